import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { physicalName } from "./naming";
import { ServiceRole, createServiceRole } from "./service-role";

/** `Cors.ALL_METHODS`: what a preflight allows. */
export const CORS_ALLOW_METHODS = ["OPTIONS", "GET", "PUT", "POST", "DELETE", "PATCH", "HEAD"] as const;
export const CORS_ALLOW_HEADERS = ["Content-Type", "Authorization"] as const;

/** One access log line per request, as JSON. */
export const ACCESS_LOG_FORMAT = JSON.stringify({
    requestId: "$context.requestId",
    ip: "$context.identity.sourceIp",
    requestTime: "$context.requestTime",
    httpMethod: "$context.httpMethod",
    resourcePath: "$context.resourcePath",
    path: "$context.path",
    status: "$context.status",
    protocol: "$context.protocol",
    responseLength: "$context.responseLength",
    responseLatency: "$context.responseLatency",
    integrationLatency: "$context.integrationLatency",
    xrayTraceId: "$context.xrayTraceId",
    userAgent: "$context.identity.userAgent",
});

/** What API Gateway needs to write execution and access logs (the AmazonAPIGatewayPushToCloudWatchLogs actions). */
export const CLOUDWATCH_ROLE_ACTIONS = [
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
] as const;

/** A fixed answer of a MOCK integration. */
export interface MockResponse {
    readonly statusCode: string;
    /** `method.response.header.X` -> a quoted static value such as `'https://chat.example.com'`. */
    readonly headers: Readonly<Record<string, string>>;
}

/** One method of the API, as data: everything the deployment serves, and so everything its trigger hashes. */
export interface MethodSpec {
    /** Resource path: `/`, `/{proxy+}`. */
    readonly path: string;
    readonly httpMethod: string;
    readonly requestParameters?: Readonly<Record<string, boolean>>;
    readonly integration:
        | { readonly type: "MOCK"; readonly response: MockResponse }
        | {
              /** HTTP_PROXY through the VPC link to the backend's load balancer, at this path of it. */
              readonly type: "VPC_LINK_PROXY";
              readonly path: string;
              readonly requestParameters?: Readonly<Record<string, string>>;
          };
}

const header = (name: string) => `method.response.header.${name}`;
const quoted = (value: string) => `'${value}'`;

/** The CORS preflight answer on every resource, like CDK's `defaultCorsPreflightOptions`. */
function preflight(path: string, frontendUrl: string): MethodSpec {
    return {
        path,
        httpMethod: "OPTIONS",
        integration: {
            type: "MOCK",
            response: {
                statusCode: "204",
                headers: {
                    [header("Access-Control-Allow-Headers")]: quoted(CORS_ALLOW_HEADERS.join(",")),
                    [header("Access-Control-Allow-Origin")]: quoted(frontendUrl),
                    [header("Vary")]: quoted("Origin"),
                    [header("Access-Control-Allow-Methods")]: quoted(CORS_ALLOW_METHODS.join(",")),
                },
            },
        },
    };
}

/**
 * Every method of the API: `ANY /` and `ANY /{proxy+}` to the backend's load balancer (through the
 * VPC link), `/health` included, and a CORS preflight `OPTIONS` on every resource, the root included.
 * They are the same whether a backend service runs or not (the load balancer answers `/health` while
 * none does, components/backend.ts): API Gateway serves a deployment, a snapshot of the methods that
 * existed when it was created (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-deployments.html),
 * and Pulumi deletes removed resources at the end of an update, after the new deployment exists
 * (pulumi/pulumi-aws#3289), so a method removed with a deployment in one update stays deployed.
 * `frontendUrl`: the origin CORS allows (the web front end).
 */
export function apiMethods(frontendUrl: string): MethodSpec[] {
    const routes: MethodSpec[] = [
        { path: "/", httpMethod: "ANY", integration: { type: "VPC_LINK_PROXY", path: "/" } },
        {
            path: "/{proxy+}",
            httpMethod: "ANY",
            requestParameters: { "method.request.path.proxy": true },
            integration: {
                type: "VPC_LINK_PROXY",
                path: "/{proxy}",
                requestParameters: { "integration.request.path.proxy": "method.request.path.proxy" },
            },
        },
    ];
    const paths = [...new Set(["/", ...routes.map((r) => r.path)])];
    return [...routes, ...paths.map((path) => preflight(path, frontendUrl))];
}

/** The deployment's trigger: a hash of everything the methods serve (never of resource ids). */
export function deploymentHash(methods: readonly MethodSpec[]): string {
    return createHash("sha256").update(JSON.stringify(methods)).digest("hex");
}

/** `/` -> `root`, `/{proxy+}` -> `proxy`: part of child resource names. */
function pathSlug(path: string): string {
    return path.replace(/[{}+]/g, "").split("/").filter(Boolean).join("-") || "root";
}

/**
 * The web ACL's rules, in evaluation order: the per-IP rate limit first (cheapest, and it stops a
 * flood before the managed rules count it), then the AWS managed rule groups. `name` is also the
 * rule's CloudWatch metric name (the `Rule` dimension).
 */
export const WEB_ACL_MANAGED_RULE_GROUPS = ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"] as const;
export const WEB_ACL_RATE_RULE = "rate-limit-per-ip";
/** How long `pulumi up` retries associating the web ACL with the stage (Pulumi duration: "15m"). */
export const WEB_ACL_ASSOCIATION_CREATE_TIMEOUT = "15m";

/** The web ACL's rules as WAFv2 takes them; each rule sends its metrics and sampled requests. */
export function webAclRules(rateLimit: number): aws.types.input.wafv2.WebAclRule[] {
    const visibility = (metricName: string) => ({ metricName, cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true });
    return [
        {
            name: WEB_ACL_RATE_RULE,
            priority: 0,
            action: { block: {} },
            // Requests per client IP in the default five-minute window (AWS WAF developer guide,
            // "Rate-based rule high-level settings": lowest limit 10).
            statement: { rateBasedStatement: { limit: rateLimit, aggregateKeyType: "IP" } },
            visibilityConfig: visibility(WEB_ACL_RATE_RULE),
        },
        ...WEB_ACL_MANAGED_RULE_GROUPS.map((group, i) => ({
            name: group,
            priority: i + 1,
            // `none`: the group's own actions (block) apply.
            overrideAction: { none: {} },
            statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
            visibilityConfig: visibility(group),
        })),
    ];
}

export interface ApiArgs {
    /** Environment name: the stage name and the last part of every name. */
    readonly environment: string;
    /** Origin of the web front end, allowed by CORS. */
    readonly frontendUrl: string;
    /** The backend behind `ANY /` and `ANY /{proxy+}`: its load balancer, reached through a VPC link (V2). */
    readonly backend: {
        readonly vpcLinkId: pulumi.Input<string>;
        readonly loadBalancerArn: pulumi.Input<string>;
        readonly loadBalancerDnsName: pulumi.Input<string>;
    };
    /** Log full request and response bodies (execution logs). They hold personal data (chat messages): off unless config says so. */
    readonly dataTrace: boolean;
    /**
     * Manage the region-wide API Gateway account setting (the CloudWatch role every REST API of the
     * account and region logs through). Exactly one stack per account and region should.
     */
    readonly manageAccount: boolean;
    /** Retention of the access and execution log groups, in days. */
    readonly logRetentionDays: number;
    /** Stage throttling of every method: steady requests per second and burst (token bucket size). */
    readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
    /**
     * An AWS WAF web ACL on the stage (AWS managed common and known-bad-inputs rule groups, and a
     * rate-based rule blocking a client IP above `rateLimit` requests per five minutes).
     */
    readonly webAcl?: { readonly rateLimit: number };
}

/** The product's REST API: one regional API per environment, deployed to a stage named after it. */
export class Api extends pulumi.ComponentResource {
    public readonly restApi: aws.apigateway.RestApi;
    public readonly stage: aws.apigateway.Stage;
    public readonly accessLogGroup: aws.cloudwatch.LogGroup;
    /** REST API id. */
    public readonly apiId: pulumi.Output<string>;
    /** REST API name (the `ApiName` dimension of its CloudWatch metrics). */
    public readonly apiName: pulumi.Output<string>;
    /** Stage name (the `Stage` dimension of its CloudWatch metrics). */
    public readonly stageName: pulumi.Output<string>;
    /** Invoke URL of the stage, e.g. `https://{apiId}.execute-api.{region}.amazonaws.com/{environment}`. */
    public readonly url: pulumi.Output<string>;
    /** The web ACL's name, also its CloudWatch metric name (the `WebACL` dimension), with `webAcl`. */
    public readonly webAclName?: pulumi.Output<string>;

    constructor(name: string, args: ApiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slack-clone:api:Api", name, {}, opts);

        const methods = apiMethods(args.frontendUrl);
        this.restApi = this.createRestApi(name, args);
        const resourceIds = this.createResources(name, methods);
        const routeResources = methods.flatMap((spec) => this.createMethod(name, spec, resourceIds[spec.path], args.backend));
        const deployment = this.createDeployment(name, methods, routeResources, args.backend);
        const account = args.manageAccount ? this.createAccount(name, this.createCloudWatchRole(name, args)) : undefined;
        this.accessLogGroup = this.createLogGroup(`${name}-access-logs`, physicalName("api-access", args.environment), args);
        this.stage = this.createStage(name, deployment, args, account);
        // API Gateway writes execution logs to a group it names after the API and stage; creating it
        // first gives it a retention.
        const executionLogs = this.createLogGroup(
            `${name}-execution-logs`,
            pulumi.interpolate`API-Gateway-Execution-Logs_${this.restApi.id}/${args.environment}`,
            args,
        );
        this.createMethodSettings(name, args, executionLogs, account);
        if (args.webAcl) this.webAclName = this.createWebAcl(name, args.environment, args.webAcl.rateLimit).name;

        this.apiId = this.restApi.id;
        this.apiName = this.restApi.name;
        this.stageName = this.stage.stageName;
        this.url = this.stage.invokeUrl;
        this.registerOutputs({ apiId: this.apiId, apiName: this.apiName, stageName: this.stageName, url: this.url, webAclName: this.webAclName });
    }

    /**
     * A regional web ACL associated with the stage by the stage's ARN,
     * `arn:aws:apigateway:{region}::/restapis/{api-id}/stages/{stage-name}` (AWS WAF API reference,
     * AssociateWebACL, https://docs.aws.amazon.com/waf/latest/APIReference/API_AssociateWebACL.html).
     */
    private createWebAcl(name: string, environment: string, rateLimit: number): aws.wafv2.WebAcl {
        const aclName = physicalName("api", environment);
        const acl = new aws.wafv2.WebAcl(
            `${name}-web-acl`,
            {
                name: aclName,
                description: `Slack clone API (${environment}): managed rules and a per-IP rate limit`,
                scope: "REGIONAL",
                defaultAction: { allow: {} },
                rules: webAclRules(rateLimit),
                visibilityConfig: { metricName: aclName, cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true },
            },
            { parent: this },
        );
        // A web ACL created in the same deploy may not be associable for minutes: the provider retries
        // WAFUnavailableEntityException until its create timeout, 5 minutes by default, which is not always
        // enough (hashicorp/terraform-provider-aws#29080; the timeout is configurable since #30002).
        new aws.wafv2.WebAclAssociation(
            `${name}-web-acl-association`,
            { webAclArn: acl.arn, resourceArn: this.stage.arn },
            { parent: this, customTimeouts: { create: WEB_ACL_ASSOCIATION_CREATE_TIMEOUT } },
        );
        return acl;
    }

    private createRestApi(name: string, args: ApiArgs): aws.apigateway.RestApi {
        return new aws.apigateway.RestApi(
            `${name}-rest-api`,
            {
                name: physicalName("api", args.environment),
                description: `Slack clone API (${args.environment})`,
                endpointConfiguration: { types: "REGIONAL" },
            },
            { parent: this },
        );
    }

    /** One API Gateway resource per path segment; `/` is the API's root resource. */
    private createResources(name: string, methods: readonly MethodSpec[]): Record<string, pulumi.Output<string>> {
        const ids: Record<string, pulumi.Output<string>> = { "/": this.restApi.rootResourceId };
        const paths = [...new Set(methods.map((m) => m.path))].sort((a, b) => a.split("/").length - b.split("/").length);
        for (const path of paths.filter((p) => p !== "/")) {
            const parentPath = path.slice(0, path.lastIndexOf("/")) || "/";
            ids[path] = new aws.apigateway.Resource(
                `${name}-${pathSlug(path)}`,
                { restApi: this.restApi.id, parentId: ids[parentPath], pathPart: path.slice(path.lastIndexOf("/") + 1) },
                { parent: this },
            ).id;
        }
        return ids;
    }

    /** A method, its integration and, for MOCK, its method response then its integration response. */
    private createMethod(name: string, spec: MethodSpec, resourceId: pulumi.Output<string>, backend: ApiArgs["backend"]): pulumi.Resource[] {
        const prefix = `${name}-${pathSlug(spec.path)}-${spec.httpMethod.toLowerCase()}`;
        const target = { restApi: this.restApi.id, resourceId };
        const method = new aws.apigateway.Method(
            prefix,
            { ...target, httpMethod: spec.httpMethod, authorization: "NONE", requestParameters: spec.requestParameters },
            { parent: this },
        );
        const on = { ...target, httpMethod: method.httpMethod };
        const integration = spec.integration;
        if (integration.type === "VPC_LINK_PROXY") {
            // A private integration: VPC link V2 plus the load balancer's ARN as integrationTarget; the
            // URI's host is the Host header the load balancer sees (HTTP: API Gateway ends TLS).
            // https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-private-integration.html
            const proxy = new aws.apigateway.Integration(
                `${prefix}-integration`,
                {
                    ...on,
                    type: "HTTP_PROXY",
                    integrationHttpMethod: "ANY",
                    connectionType: "VPC_LINK",
                    connectionId: backend.vpcLinkId,
                    integrationTarget: backend.loadBalancerArn,
                    uri: pulumi.interpolate`http://${backend.loadBalancerDnsName}${integration.path}`,
                    requestParameters: integration.requestParameters,
                },
                { parent: this },
            );
            return [method, proxy];
        }
        const mock = new aws.apigateway.Integration(
            `${prefix}-integration`,
            { ...on, type: "MOCK", requestTemplates: { "application/json": JSON.stringify({ statusCode: Number(integration.response.statusCode) }) } },
            { parent: this },
        );
        const response = integration.response;
        const methodResponse = new aws.apigateway.MethodResponse(
            `${prefix}-method-response`,
            { ...on, statusCode: response.statusCode, responseParameters: Object.fromEntries(Object.keys(response.headers).map((h) => [h, true])) },
            { parent: this },
        );
        const integrationResponse = new aws.apigateway.IntegrationResponse(
            `${prefix}-integration-response`,
            {
                ...on,
                statusCode: response.statusCode,
                responseParameters: response.headers,
            },
            { parent: this, dependsOn: [methodResponse, mock] },
        );
        return [method, mock, methodResponse, integrationResponse];
    }

    /** Re-created whenever what the methods serve, or where they send it, changes; waits for every method to exist. */
    private createDeployment(name: string, methods: readonly MethodSpec[], routeResources: pulumi.Resource[], backend: ApiArgs["backend"]): aws.apigateway.Deployment {
        return new aws.apigateway.Deployment(
            `${name}-deployment`,
            {
                restApi: this.restApi.id,
                triggers: { methods: deploymentHash(methods), backend: pulumi.interpolate`${backend.vpcLinkId} ${backend.loadBalancerArn} ${backend.loadBalancerDnsName}` },
            },
            { parent: this, dependsOn: routeResources },
        );
    }

    /** The role API Gateway logs through. It outlives the stack (other APIs of the region use it). */
    private createCloudWatchRole(name: string, args: ApiArgs): ServiceRole {
        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const region = aws.getRegionOutput({}, { parent: this }).region;
        const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        return createServiceRole(
            {
                names: { role: `${name}-cloudwatch-role`, policy: `${name}-cloudwatch-policy` },
                // A prefix, not a name: a stack re-created after a destroy must not collide with the retained role.
                namePrefix: `${physicalName("api-logs", args.environment)}-`,
                description: "API Gateway writes execution and access logs of every REST API in this region",
                service: "apigateway.amazonaws.com",
                statements: [{ Effect: "Allow", Action: [...CLOUDWATCH_ROLE_ACTIONS], Resource: pulumi.interpolate`arn:${partition}:logs:${region}:${accountId}:*` }],
            },
            { parent: this, retainOnDelete: true },
        );
    }

    /** The region-wide setting: API Gateway logs through `cloudwatch.role`, once its policy exists. Retained on delete, like the role. */
    private createAccount(name: string, cloudwatch: ServiceRole): aws.apigateway.Account {
        return new aws.apigateway.Account(
            `${name}-account`,
            { cloudwatchRoleArn: cloudwatch.role.arn },
            { parent: this, retainOnDelete: true, dependsOn: [cloudwatch.policy] },
        );
    }

    private createLogGroup(logicalName: string, logGroupName: pulumi.Input<string>, args: ApiArgs): aws.cloudwatch.LogGroup {
        return new aws.cloudwatch.LogGroup(
            logicalName,
            { name: logGroupName, retentionInDays: args.logRetentionDays },
            { parent: this },
        );
    }

    private createStage(name: string, deployment: aws.apigateway.Deployment, args: ApiArgs, account?: aws.apigateway.Account): aws.apigateway.Stage {
        return new aws.apigateway.Stage(
            `${name}-stage`,
            {
                restApi: this.restApi.id,
                deployment: deployment.id,
                stageName: args.environment,
                xrayTracingEnabled: true,
                accessLogSettings: { destinationArn: this.accessLogGroup.arn, format: ACCESS_LOG_FORMAT },
            },
            { parent: this, dependsOn: account ? [account] : [] },
        );
    }

    /** Execution logs of every method (INFO, metrics, data trace per config), into `executionLogs`. */
    private createMethodSettings(
        name: string,
        args: ApiArgs,
        executionLogs: aws.cloudwatch.LogGroup,
        account?: aws.apigateway.Account,
    ): aws.apigateway.MethodSettings {
        return new aws.apigateway.MethodSettings(
            `${name}-method-settings`,
            {
                restApi: this.restApi.id,
                stageName: this.stage.stageName,
                methodPath: "*/*",
                settings: {
                    loggingLevel: "INFO",
                    metricsEnabled: true,
                    dataTraceEnabled: args.dataTrace,
                    throttlingRateLimit: args.throttling.rateLimit,
                    throttlingBurstLimit: args.throttling.burstLimit,
                },
            },
            { parent: this, dependsOn: [executionLogs, ...(account ? [account] : [])] },
        );
    }
}

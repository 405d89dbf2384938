import { expect } from "chai";
import { CLOUDWATCH_ROLE_ACTIONS, apiMethods, deploymentHash, webAclRules } from "../components/api";
import { validateConfig } from "../components/config";
import { NAME_RULES } from "../components/naming";
import { Evaluation, MOCK_ACCOUNT_ID, byName, mockId, ofType } from "../harness/mock-engine";
import { STACKS, deployedEvaluation, evaluateWith, rawConfig, stackEvaluation } from "./helpers/stacks";

const T = {
    restApi: "aws:apigateway/restApi:RestApi",
    resource: "aws:apigateway/resource:Resource",
    method: "aws:apigateway/method:Method",
    integration: "aws:apigateway/integration:Integration",
    methodResponse: "aws:apigateway/methodResponse:MethodResponse",
    integrationResponse: "aws:apigateway/integrationResponse:IntegrationResponse",
    deployment: "aws:apigateway/deployment:Deployment",
    stage: "aws:apigateway/stage:Stage",
    methodSettings: "aws:apigateway/methodSettings:MethodSettings",
    account: "aws:apigateway/account:Account",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    webAcl: "aws:wafv2/webAcl:WebAcl",
    webAclAssociation: "aws:wafv2/webAclAssociation:WebAclAssociation",
};

/** Per stack: data trace (full bodies: personal data), stage throttling, web ACL. */
const EXPECTED: Record<string, { dataTrace: boolean; rateLimit: number; burstLimit: number; webAcl: boolean }> = {
    development: { dataTrace: true, rateLimit: 20, burstLimit: 40, webAcl: false },
    staging: { dataTrace: false, rateLimit: 100, burstLimit: 200, webAcl: true },
    production: { dataTrace: false, rateLimit: 1000, burstLimit: 2000, webAcl: true },
};
const VPC_LINK = "aws:apigatewayv2/vpcLink:VpcLink::backend-vpc-link";
const ALB = (e: Evaluation) => byName(e, "aws:lb/loadBalancer:LoadBalancer", "backend-alb");

/** `GET /health`, ... for every method of the evaluated API. */
function routes(evaluation: Evaluation): string[] {
    const paths = new Map<string, string>([["api-rest-api-root", "/"]]);
    for (const r of ofType(evaluation, T.resource)) paths.set(mockId(r), `/${r.inputs.pathPart}`);
    return ofType(evaluation, T.method)
        .map((m) => `${m.inputs.httpMethod} ${paths.get(m.inputs.resourceId)}`)
        .sort();
}

const triggerOf = (evaluation: Evaluation) => byName(evaluation, T.deployment, "api-deployment").inputs.triggers.methods;

/**
 * The methods the stage serves once `pulumi up` has taken the stack from `before` to `after`. A new
 * deployment (its triggers changed) is a snapshot of the methods that exist when it is created
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-deployments.html): the
 * program's, and those it removed too, since Pulumi deletes removed resources only at the end of the
 * update (pulumi/pulumi#9979, pulumi/pulumi-aws#3289). Unchanged triggers: the stage keeps what it served.
 */
function servedAfterUpdate(before: Evaluation, after: Evaluation): string[] {
    const triggers = (e: Evaluation) => JSON.stringify(byName(e, T.deployment, "api-deployment").inputs.triggers);
    if (triggers(after) === triggers(before)) return routes(before);
    return [...new Set([...routes(after), ...routes(before)])].sort();
}

/** Every API Gateway resource of an evaluation, as the engine saw it. */
const apiGatewayResources = (evaluation: Evaluation) =>
    evaluation.resources.filter((r) => r.type.startsWith("aws:apigateway/")).map((r) => ({ type: r.type, name: r.name, inputs: r.inputs, options: r.options }));

describe("API web ACL rules as data", () => {
    it("rate-limit with the configured limit, before the managed groups", () => {
        expect(webAclRules(10)[0].statement).to.deep.equal({ rateBasedStatement: { limit: 10, aggregateKeyType: "IP" } });
        expect(webAclRules(5000).map((r) => r.priority)).to.deep.equal([0, 1, 2]);
    });
});

describe("API methods as data", () => {
    it("send / and /{proxy+} (/health included) to the backend's load balancer, and preflight every resource", () => {
        const summary = apiMethods("https://chat.example.com").map((m) => `${m.httpMethod} ${m.path} ${m.integration.type}`);
        expect(summary).to.deep.equal(["ANY / VPC_LINK_PROXY", "ANY /{proxy+} VPC_LINK_PROXY", "OPTIONS / MOCK", "OPTIONS /{proxy+} MOCK"]);
    });

    it("hash to a trigger that changes with any route or CORS change and only then", () => {
        const hash = (frontendUrl: string) => deploymentHash(apiMethods(frontendUrl));
        const base = hash("https://chat.example.com");
        expect(hash("https://chat.example.com")).to.equal(base);
        expect(hash("https://staging.chat.example.com")).to.not.equal(base);
        const methods = apiMethods("https://chat.example.com");
        expect(deploymentHash(methods.slice(1))).to.not.equal(base);
    });
});

for (const stack of STACKS) {
    describe(`Api in ${stack}`, () => {
        let evaluation: Evaluation;
        const config = validateConfig(rawConfig(stack));
        const get = (type: string, name: string) => byName(evaluation, type, name);

        before(async () => {
            evaluation = await stackEvaluation(stack);
        });

        it("is one regional REST API named slack-clone-api-{environment}, every child inside the Api", () => {
            const apis = ofType(evaluation, T.restApi);
            expect(apis.map((a) => [a.inputs.name, a.inputs.endpointConfiguration])).to.deep.equal([
                [`slack-clone-api-${stack}`, { types: "REGIONAL" }],
            ]);
            const children = evaluation.resources.filter(
                (r) => r.type.startsWith("aws:apigateway/") || ([T.logGroup, T.role, T.rolePolicy].includes(r.type) && r.name.startsWith("api-")),
            );
            for (const child of children) expect(child.options.parent, child.name).to.equal("slack-clone:api:Api::api");
        });

        it("proxies / and /{proxy+} to the backend (no backendImage yet: /health too), a preflight on every resource", () => {
            expect(config.backend.image).to.equal(undefined);
            expect(routes(evaluation)).to.deep.equal(["ANY /", "ANY /{proxy+}", "OPTIONS /", "OPTIONS /{proxy+}"]);
            expect(ofType(evaluation, T.resource).map((r) => [r.inputs.pathPart, r.inputs.parentId])).to.deep.equal([["{proxy+}", "api-rest-api-root"]]);
            for (const m of ofType(evaluation, T.method)) expect(m.inputs.authorization, m.name).to.equal("NONE");
        });

        it("reaches the backend's internal load balancer through the VPC link (V2), never over the internet", () => {
            const alb = ALB(evaluation);
            for (const [name, path] of [["api-root-any-integration", "/"], ["api-proxy-any-integration", "/{proxy}"]]) {
                expect(get(T.integration, name).inputs, name).to.deep.include({
                    type: "HTTP_PROXY",
                    integrationHttpMethod: "ANY",
                    connectionType: "VPC_LINK",
                    connectionId: VPC_LINK,
                    integrationTarget: `arn:aws:elasticloadbalancing:${config.region}:${MOCK_ACCOUNT_ID}:loadbalancer/app/${alb.inputs.name}/50dc6c495c0c9188`,
                    uri: `http://internal-${alb.inputs.name}-1234567890.${config.region}.elb.amazonaws.com${path}`,
                });
            }
            expect(get(T.integration, "api-proxy-any-integration").inputs.requestParameters).to.deep.equal({
                "integration.request.path.proxy": "method.request.path.proxy",
            });
            expect(get(T.method, "api-proxy-any").inputs.requestParameters).to.deep.equal({ "method.request.path.proxy": true });
        });

        it("is the same API with backendImage (an application deploy): no API Gateway resource changes, so the stage keeps its deployment", async () => {
            const deployed = await deployedEvaluation(stack);
            expect(deployed.config["slack-clone:backendImage"]).to.be.a("string");
            expect(apiGatewayResources(deployed)).to.deep.equal(apiGatewayResources(evaluation));
        });

        it("serves the program's methods after an application deploy and after removing backendImage again", async () => {
            const deployed = await deployedEvaluation(stack);
            expect(servedAfterUpdate(evaluation, deployed)).to.deep.equal(routes(deployed));
            expect(servedAfterUpdate(deployed, evaluation)).to.deep.equal(routes(evaluation));
        });

        it(`answers every preflight with 204 for ${config.frontendUrl}, all methods, Content-Type and Authorization`, () => {
            for (const path of ["root", "proxy"]) {
                const integration = get(T.integration, `api-${path}-options-integration`);
                expect(integration.inputs).to.include({ type: "MOCK", httpMethod: "OPTIONS" });
                const methodResponse = get(T.methodResponse, `api-${path}-options-method-response`);
                const integrationResponse = get(T.integrationResponse, `api-${path}-options-integration-response`);
                expect(integrationResponse.inputs.statusCode).to.equal("204");
                expect(integrationResponse.inputs.responseParameters).to.deep.equal({
                    "method.response.header.Access-Control-Allow-Headers": "'Content-Type,Authorization'",
                    "method.response.header.Access-Control-Allow-Origin": `'${config.frontendUrl}'`,
                    "method.response.header.Vary": "'Origin'",
                    "method.response.header.Access-Control-Allow-Methods": "'OPTIONS,GET,PUT,POST,DELETE,PATCH,HEAD'",
                });
                expect(methodResponse.inputs.statusCode).to.equal("204");
                expect(methodResponse.inputs.responseParameters).to.deep.equal(
                    Object.fromEntries(Object.keys(integrationResponse.inputs.responseParameters).map((h) => [h, true])),
                );
                // The method response must exist before the integration response that uses its headers.
                expect(integrationResponse.options.dependsOn).to.have.members([mockId(methodResponse), mockId(integration)]);
            }
        });

        it("deploys after every method, with the hash of the methods and of where they go as trigger", () => {
            const deployment = get(T.deployment, "api-deployment");
            const alb = ALB(evaluation);
            expect(deployment.inputs.triggers).to.deep.equal({
                methods: deploymentHash(apiMethods(config.frontendUrl)),
                backend: `${VPC_LINK} arn:aws:elasticloadbalancing:${config.region}:${MOCK_ACCOUNT_ID}:loadbalancer/app/${alb.inputs.name}/50dc6c495c0c9188 internal-${alb.inputs.name}-1234567890.${config.region}.elb.amazonaws.com`,
            });
            expect(deployment.inputs).to.not.have.property("stageName");
            const routeResources = [T.method, T.integration, T.methodResponse, T.integrationResponse].flatMap((t) => ofType(evaluation, t)).map(mockId);
            // 4 methods and their integrations; 2 MOCKs with a method and an integration response each.
            expect(routeResources).to.have.length(12);
            expect(deployment.options.dependsOn).to.have.members(routeResources);
        });

        it(`deploys to the stage "${stack}" with X-Ray and JSON access logs kept ${config.logRetentionDays} days`, () => {
            const stage = get(T.stage, "api-stage");
            expect(stage.inputs).to.include({ stageName: stack, xrayTracingEnabled: true, deployment: `${T.deployment}::api-deployment` });
            const accessLogs = get(T.logGroup, "api-access-logs");
            expect(accessLogs.inputs).to.deep.equal({ name: `slack-clone-api-access-${stack}`, retentionInDays: config.logRetentionDays });
            expect(stage.inputs.accessLogSettings.destinationArn).to.equal(
                `arn:aws:logs:${config.region}:${MOCK_ACCOUNT_ID}:log-group:slack-clone-api-access-${stack}`,
            );
            const format = JSON.parse(stage.inputs.accessLogSettings.format);
            expect(format).to.include({
                requestId: "$context.requestId",
                ip: "$context.identity.sourceIp",
                status: "$context.status",
                responseLatency: "$context.responseLatency",
            });
            expect(stage.options.dependsOn).to.deep.equal([`${T.account}::api-account`]);
        });

        const expected = EXPECTED[stack];
        it(
            `logs every method at INFO with metrics, data trace ${expected.dataTrace ? "on" : "off (chat bodies are personal data)"}, ` +
                `throttled at ${expected.rateLimit} requests/s (burst ${expected.burstLimit}), to a log group with retention`,
            () => {
            const settings = get(T.methodSettings, "api-method-settings");
            expect(settings.inputs).to.deep.include({
                methodPath: "*/*",
                stageName: stack,
                settings: {
                    loggingLevel: "INFO",
                    metricsEnabled: true,
                    dataTraceEnabled: expected.dataTrace,
                    throttlingRateLimit: expected.rateLimit,
                    throttlingBurstLimit: expected.burstLimit,
                },
            });
            const executionLogs = get(T.logGroup, "api-execution-logs");
            expect(executionLogs.inputs).to.deep.equal({
                name: `API-Gateway-Execution-Logs_${T.restApi}::api-rest-api/${stack}`,
                retentionInDays: config.logRetentionDays,
            });
            expect(settings.options.dependsOn).to.have.members([mockId(executionLogs), `${T.account}::api-account`]);
            },
        );

        it(
            expected.webAcl
                ? "guards the stage with a regional web ACL: per-IP rate limit, then the AWS managed common and known-bad-inputs rule groups"
                : "has no web ACL",
            () => {
                const acls = ofType(evaluation, T.webAcl);
                if (!expected.webAcl) {
                    expect([...acls, ...ofType(evaluation, T.webAclAssociation)]).to.deep.equal([]);
                    expect(evaluation.outputs).to.not.have.property("apiWebAclName");
                    return;
                }
                expect(acls).to.have.length(1);
                const acl = acls[0];
                expect(acl.inputs).to.deep.include({
                    name: `slack-clone-api-${stack}`,
                    scope: "REGIONAL",
                    defaultAction: { allow: {} },
                    visibilityConfig: { metricName: `slack-clone-api-${stack}`, cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true },
                });
                const rules = acl.inputs.rules as Record<string, any>[];
                expect(rules.map((r) => [r.priority, r.name])).to.deep.equal([
                    [0, "rate-limit-per-ip"],
                    [1, "AWSManagedRulesCommonRuleSet"],
                    [2, "AWSManagedRulesKnownBadInputsRuleSet"],
                ]);
                expect(rules[0].statement).to.deep.equal({ rateBasedStatement: { limit: config.webAclRateLimit, aggregateKeyType: "IP" } });
                expect(rules[0].action).to.deep.equal({ block: {} });
                for (const rule of rules.slice(1)) {
                    expect(rule.statement).to.deep.equal({ managedRuleGroupStatement: { vendorName: "AWS", name: rule.name } });
                    expect(rule.overrideAction).to.deep.equal({ none: {} });
                }
                for (const rule of rules) expect(rule.visibilityConfig).to.deep.equal({ metricName: rule.name, cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true });
                // AssociateWebACL takes the stage's ARN: arn:aws:apigateway:{region}::/restapis/{api-id}/stages/{stage-name}.
                const association = ofType(evaluation, T.webAclAssociation);
                expect(association.map((a) => a.inputs)).to.deep.equal([
                    { webAclArn: `arn:aws:wafv2:${config.region}:${MOCK_ACCOUNT_ID}:regional/webacl/slack-clone-api-${stack}/api-web-acl-id`, resourceArn: `arn:aws:apigateway:${config.region}::/restapis/${T.restApi}::api-rest-api/stages/${stack}` },
                ]);
                // The provider's 5-minute default is not always enough for a web ACL made in the same deploy (hashicorp/terraform-provider-aws#29080).
                expect(association[0].options.customTimeouts).to.deep.equal({ create: "15m" });
                expect(evaluation.outputs.apiWebAclName).to.equal(`slack-clone-api-${stack}`);
            },
        );

        it("sets the account's CloudWatch role, retained on delete with its role and policy", () => {
            const account = get(T.account, "api-account");
            const role = get(T.role, "api-cloudwatch-role");
            const policy = get(T.rolePolicy, "api-cloudwatch-policy");
            for (const r of [account, role, policy]) expect(r.options.retainOnDelete, r.name).to.equal(true);
            expect(account.inputs.cloudwatchRoleArn).to.equal(`arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${role.inputs.namePrefix}api-cloudwatch-role`);
            expect(role.inputs.namePrefix).to.equal(`slack-clone-api-logs-${stack}-`);
            expect(role.inputs.namePrefix.length).to.be.at.most(NAME_RULES["aws:iam/role:Role"].inputs.namePrefix);
            expect(role.inputs.assumeRolePolicy.Statement).to.deep.equal([
                { Effect: "Allow", Principal: { Service: "apigateway.amazonaws.com" }, Action: "sts:AssumeRole" },
            ]);
            expect(policy.inputs.policy.Statement).to.deep.equal([
                { Effect: "Allow", Action: [...CLOUDWATCH_ROLE_ACTIONS], Resource: `arn:aws:logs:${config.region}:${MOCK_ACCOUNT_ID}:*` },
            ]);
            expect(CLOUDWATCH_ROLE_ACTIONS).to.have.length(7);
        });

        it("exports the API id and the stage's invoke URL", () => {
            expect(evaluation.outputs.apiId).to.equal(`${T.restApi}::api-rest-api`);
            expect(evaluation.outputs.apiUrl).to.equal(`https://${T.restApi}::api-rest-api.execute-api.${config.region}.amazonaws.com/${stack}`);
        });
    });
}

describe("Api when the config changes (production)", () => {
    let committed: Evaluation;
    let otherFrontend: Evaluation;
    let unrelated: Evaluation;

    before(async () => {
        committed = await stackEvaluation("production");
        otherFrontend = await evaluateWith("production", { config: { "slack-clone:frontendUrl": "https://app.example.com" } });
        unrelated = await evaluateWith("production", {
            config: { "slack-clone:apiGatewayAccount": "false", "slack-clone:dataTrace": "true", "slack-clone:logRetentionDays": "7" },
        });
    });

    it("re-creates the deployment when the CORS origin changes", () => {
        expect(triggerOf(otherFrontend)).to.not.equal(triggerOf(committed));
    });

    it("keeps the deployment when nothing it serves changes", () => {
        expect(triggerOf(unrelated)).to.equal(triggerOf(committed));
    });

    it("without apiGatewayAccount: no account setting or role, stage and settings depend on neither", () => {
        for (const type of [T.account, T.role, T.rolePolicy]) {
            expect(ofType(unrelated, type).filter((r) => r.options.parent === "slack-clone:api:Api::api"), type).to.be.empty;
        }
        expect(byName(unrelated, T.stage, "api-stage").options.dependsOn).to.deep.equal([]);
        expect(byName(unrelated, T.methodSettings, "api-method-settings").options.dependsOn).to.deep.equal([`${T.logGroup}::api-execution-logs`]);
        expect(byName(unrelated, T.methodSettings, "api-method-settings").inputs.settings.dataTraceEnabled).to.equal(true);
    });
});

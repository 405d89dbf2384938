import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { THUMBNAILS_PREFIX, UPLOADS_PREFIX } from "../functions/thumbnail/keys";
import type { BackendConfig } from "./config";
import { physicalName } from "./naming";
import { ServiceRole, ServiceRoleArgs, createServiceRole } from "./service-role";
import { API_ONLY_HEALTH, BACKEND_PORT, HEALTH_PATH } from "../deploy/backend-env";

/** The container's name in the task definition (the load balancer and the logs name it). */
export const CONTAINER_NAME = "backend";
/** The load balancer's listener (HTTP inside the VPC; API Gateway terminates TLS). */
export const LISTENER_PORT = 80;
/** Seconds a deregistering task keeps serving in-flight requests (AWS default 300: deploys would wait 5 minutes). */
export const DEREGISTRATION_DELAY_SECONDS = 30;
/** Target tracking: average CPU (%) of the service's tasks. */
export const CPU_TARGET_PERCENT = 60;
/** Target tracking: load balancer requests per task per minute (ALBRequestCountPerTarget). */
export const REQUESTS_PER_TASK_TARGET = 1000;
/**
 * Listener rules, evaluated from the lowest priority to the highest, the listener's default action
 * (forward to the service's targets) last; priorities run 1-50000, one rule per priority and listener
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RulePriorityPair.html).
 * The health answer while no service runs comes before the stage rewrite, which also matches
 * `/{stage}/health`. Neither is 1 or 2, which earlier versions of the program used (the stage rule
 * at 1; then the health rule at 1 and the stage rule at 2): an upgrade or a revert moves each rule,
 * in place, to a priority no rule holds, since a removed rule is deleted only at the end of the
 * update and SetRulePriorities fails with PriorityInUse on a taken one
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_SetRulePriorities.html).
 */
export const RULE_PRIORITIES = { notDeployedHealth: 5, stripStage: 10 } as const;
/** Untagged images (pushes that a newer push of the same tag replaced, failed builds) are expired after this many days. */
export const UNTAGGED_IMAGE_DAYS = 7;

/** What the backend reads and writes: the grants of the task role are derived from these and nothing else. */
export interface BackendGrants {
    /** ARNs of the 12 tables (item actions on each, Query on each one's indexes). */
    readonly tableArns: readonly pulumi.Input<string>[];
    /** The messages table's stream (real-time fan-out). */
    readonly messagesStreamArn: pulumi.Input<string>;
    /** Put/get/delete objects under `uploads/`. */
    readonly filesBucketArn: pulumi.Input<string>;
    /** Get objects under `thumbnails/`. */
    readonly thumbnailsBucketArn: pulumi.Input<string>;
}

/**
 * The backend's settings from the stack config (image, task size, counts, autoscaling, read-only
 * root filesystem: see BackendConfig), plus what the rest of the stack gives it.
 */
export interface BackendArgs extends Omit<BackendConfig, "required"> {
    /** Environment name, the last part of every name. */
    readonly environment: string;
    readonly vpcId: pulumi.Input<string>;
    /** Private subnets, one per availability zone: the tasks, the load balancer and the VPC link. */
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** The existing backend security group (8000/tcp from the VPC; the group Redis admits): the tasks'. */
    readonly taskSecurityGroupId: pulumi.Input<string>;
    /** CloudWatch Container Insights on the cluster (task counts, per-task metrics; billed as custom metrics). */
    readonly containerInsights: boolean;
    /** Retention of the container log group, in days. */
    readonly logRetentionDays: number;
    /** Without it the repository has `forceDelete`: a destroy deletes it with its images (as buckets get `forceDestroy`). */
    readonly protectData: boolean;
    /**
     * The API's stage name. API Gateway forwards a private integration's requests with the stage as
     * the first path segment; the load balancer strips it, so the backend sees `/health`, not
     * `/{stage}/health`. https://docs.aws.amazon.com/apigateway/latest/developerguide/private-integration.html
     */
    readonly stageName: string;
    /** Plain environment variables of the container (deploy/backend-env.ts, BACKEND_VARIABLES). */
    readonly variables: Readonly<Record<string, pulumi.Input<string>>>;
    /** Secret environment variables: name -> Secrets Manager secret ARN (BACKEND_SECRETS). */
    readonly secrets: Readonly<Record<string, pulumi.Input<string>>>;
    readonly grants: BackendGrants;
}

/**
 * The backend service: an ECR repository, an ECS cluster and a Fargate service in the private
 * subnets behind an internal Application Load Balancer, reached by the REST API through a VPC
 * link (V2), and scaled by Application Auto Scaling.
 */
export class Backend extends pulumi.ComponentResource {
    public readonly repository: aws.ecr.Repository;
    public readonly cluster: aws.ecs.Cluster;
    public readonly loadBalancer: aws.lb.LoadBalancer;
    public readonly targetGroup: aws.lb.TargetGroup;
    public readonly listener: aws.lb.Listener;
    /** The VPC link (V2) the API's private integrations go through. */
    public readonly vpcLink: aws.apigatewayv2.VpcLink;
    public readonly logGroup: aws.cloudwatch.LogGroup;
    public readonly taskRole: ServiceRole;
    public readonly executionRole: ServiceRole;
    /** Only with an image. */
    public readonly taskDefinition?: aws.ecs.TaskDefinition;
    public readonly service?: aws.ecs.Service;

    private readonly name: string;
    /** Where the stack runs, looked up once: the roles' trust conditions and the log driver use it. */
    private readonly where: { readonly accountId: pulumi.Output<string>; readonly region: pulumi.Output<string>; readonly partition: pulumi.Output<string> };

    constructor(name: string, args: BackendArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slack-clone:backend:Backend", name, {}, opts);
        this.name = name;
        this.where = {
            accountId: aws.getCallerIdentityOutput({}, { parent: this }).accountId,
            region: aws.getRegionOutput({}, { parent: this }).region,
            partition: aws.getPartitionOutput({}, { parent: this }).partition,
        };

        this.repository = this.createRepository(args);
        this.createLifecyclePolicy();
        this.cluster = this.createCluster(args);
        this.logGroup = this.createLogGroup(args);
        this.taskRole = this.createTaskRole(args);
        this.executionRole = this.createExecutionRole(args);
        const linkSecurityGroup = this.createSecurityGroup("link", args, "Slack clone API Gateway VPC link to the backend load balancer");
        const albSecurityGroup = this.createSecurityGroup("alb", args, "Slack clone backend load balancer");
        this.allowLinkToLoadBalancer(linkSecurityGroup, albSecurityGroup, args);
        this.loadBalancer = this.createLoadBalancer(args, albSecurityGroup);
        this.targetGroup = this.createTargetGroup(args);
        this.listener = this.createListener();
        const stageRule = this.createStageRule(args);
        this.vpcLink = this.createVpcLink(args, linkSecurityGroup);
        if (args.image !== undefined) {
            this.taskDefinition = this.createTaskDefinition(args, args.image);
            // Tasks start as soon as the service exists: the roles must hold their permissions by then
            // (else the first tasks fail to pull the image or read the secrets, counting toward the
            // circuit breaker's rollback), and the target group must be attached to a listener.
            this.service = this.createService(args, this.taskDefinition, [this.listener, stageRule, this.executionRole.policy, this.taskRole.policy]);
            if (args.autoscaling) this.createAutoscaling(args, this.service);
        } else {
            this.createNotDeployedHealthRule(args, stageRule);
        }

        this.registerOutputs({
            repositoryUrl: this.repository.repositoryUrl,
            clusterName: this.cluster.name,
            serviceName: this.service?.name,
            loadBalancerDnsName: this.loadBalancer.dnsName,
            vpcLinkId: this.vpcLink.id,
        });
    }

    private createRepository(args: BackendArgs): aws.ecr.Repository {
        return new aws.ecr.Repository(
            `${this.name}-repository`,
            {
                name: physicalName("backend", args.environment),
                // A tag names one image forever: a deploy of `backendImage` is what was tested.
                imageTagMutability: "IMMUTABLE",
                imageScanningConfiguration: { scanOnPush: true },
                encryptionConfigurations: [{ encryptionType: "AES256" }],
                // ECR refuses to delete a repository that holds images (RepositoryNotEmptyException) unless
                // forced: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DeleteRepository.html
                forceDelete: !args.protectData,
            },
            { parent: this },
        );
    }

    /** https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html */
    private createLifecyclePolicy(): aws.ecr.LifecyclePolicy {
        return new aws.ecr.LifecyclePolicy(
            `${this.name}-lifecycle`,
            {
                repository: this.repository.name,
                policy: JSON.stringify({
                    rules: [
                        {
                            rulePriority: 1,
                            description: `Expire untagged images after ${UNTAGGED_IMAGE_DAYS} days`,
                            selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: UNTAGGED_IMAGE_DAYS },
                            action: { type: "expire" },
                        },
                    ],
                }),
            },
            { parent: this },
        );
    }

    private createCluster(args: BackendArgs): aws.ecs.Cluster {
        return new aws.ecs.Cluster(
            `${this.name}-cluster`,
            {
                name: `slack-clone-${args.environment}`,
                settings: [{ name: "containerInsights", value: args.containerInsights ? "enabled" : "disabled" }],
            },
            { parent: this },
        );
    }

    private createLogGroup(args: BackendArgs): aws.cloudwatch.LogGroup {
        return new aws.cloudwatch.LogGroup(
            `${this.name}-logs`,
            { name: physicalName("backend", args.environment), retentionInDays: args.logRetentionDays },
            { parent: this },
        );
    }

    /** What the backend's code may do: exact actions on the product's tables, stream and bucket prefixes. */
    private createTaskRole(args: BackendArgs): ServiceRole {
        const { accountId, region, partition } = this.where;
        // Only tasks of this account and region: the confused-deputy conditions AWS documents for task
        // roles (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html).
        const condition = {
            ArnLike: { "aws:SourceArn": pulumi.interpolate`arn:${partition}:ecs:${region}:${accountId}:*` },
            StringEquals: { "aws:SourceAccount": accountId },
        };
        return this.createRole("task", physicalName("backend-task", args.environment), "The backend's code: its tables, stream and files", taskRoleStatements(args.grants), condition);
    }

    /**
     * What ECS needs to start a task: pull from this repository, write this log group, read these
     * secrets. The secrets use the AWS managed key, so no kms:Decrypt (needed only for a customer key).
     * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
     * Its trust policy is the one AWS documents for execution roles, without conditions
     * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html): AWS
     * documents aws:SourceArn and aws:SourceAccount for task roles only, and a condition on a key ECS
     * does not send when it assumes this role would stop every task from starting. Passing the role to
     * ECS takes iam:PassRole in this account, which no other account has.
     */
    private createExecutionRole(args: BackendArgs): ServiceRole {
        const secretArns = Object.values(args.secrets);
        return this.createRole("execution", physicalName("backend-execution", args.environment), "ECS starting backend tasks: image, logs, secrets", [
            // Authorized on "*" only (policy/rules.ts, WILDCARD_RESOURCE_ACTIONS).
            { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
            {
                Sid: "PullImage",
                Effect: "Allow",
                Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                Resource: this.repository.arn,
            },
            { Sid: "WriteLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: pulumi.interpolate`${this.logGroup.arn}:log-stream:*` },
            ...(secretArns.length > 0 ? [{ Sid: "ReadSecrets", Effect: "Allow" as const, Action: "secretsmanager:GetSecretValue", Resource: secretArns }] : []),
        ]);
    }

    /** A role ECS assumes for the backend's tasks, with its inline policy; `assumeCondition` narrows who may. */
    private createRole(suffix: string, roleName: string, description: string, statements: pulumi.Input<aws.iam.PolicyStatement>[], assumeCondition?: ServiceRoleArgs["assumeCondition"]): ServiceRole {
        return createServiceRole(
            {
                names: { role: `${this.name}-${suffix}-role`, policy: `${this.name}-${suffix}-policy` },
                name: roleName,
                description,
                service: "ecs-tasks.amazonaws.com",
                assumeCondition,
                statements,
            },
            { parent: this },
        );
    }

    /** A group with no rules of its own (rules are separate resources); the provider drops AWS's allow-all egress. */
    private createSecurityGroup(suffix: string, args: BackendArgs, description: string): aws.ec2.SecurityGroup {
        return new aws.ec2.SecurityGroup(
            `${this.name}-${suffix}`,
            // A prefix, not a name: a change that replaces the group can create the new one first.
            { vpcId: args.vpcId, namePrefix: `${physicalName(`backend-${suffix}`, args.environment)}-`, description },
            { parent: this },
        );
    }

    /** VPC link -> load balancer on the listener port; load balancer -> tasks on the backend port. */
    private allowLinkToLoadBalancer(link: aws.ec2.SecurityGroup, alb: aws.ec2.SecurityGroup, args: BackendArgs): void {
        const tcp = (port: number) => ({ ipProtocol: "tcp", fromPort: port, toPort: port });
        new aws.vpc.SecurityGroupEgressRule(
            `${this.name}-link-to-alb`,
            { securityGroupId: link.id, description: "To the backend load balancer", ...tcp(LISTENER_PORT), referencedSecurityGroupId: alb.id },
            { parent: this },
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${this.name}-alb-from-link`,
            { securityGroupId: alb.id, description: "From the API's VPC link", ...tcp(LISTENER_PORT), referencedSecurityGroupId: link.id },
            { parent: this },
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${this.name}-alb-to-tasks`,
            { securityGroupId: alb.id, description: "To the backend tasks", ...tcp(BACKEND_PORT), referencedSecurityGroupId: args.taskSecurityGroupId },
            { parent: this },
        );
    }

    private createLoadBalancer(args: BackendArgs, securityGroup: aws.ec2.SecurityGroup): aws.lb.LoadBalancer {
        return new aws.lb.LoadBalancer(
            `${this.name}-alb`,
            {
                name: physicalName("alb", args.environment),
                loadBalancerType: "application",
                internal: true,
                subnets: args.subnetIds,
                securityGroups: [securityGroup.id],
                dropInvalidHeaderFields: true,
            },
            { parent: this },
        );
    }

    private createTargetGroup(args: BackendArgs): aws.lb.TargetGroup {
        return new aws.lb.TargetGroup(
            `${this.name}-targets`,
            {
                name: physicalName("tg", args.environment),
                port: BACKEND_PORT,
                protocol: "HTTP",
                // Fargate tasks (awsvpc) register by IP address.
                targetType: "ip",
                vpcId: args.vpcId,
                deregistrationDelay: DEREGISTRATION_DELAY_SECONDS,
                healthCheck: { path: HEALTH_PATH, matcher: "200", interval: 15, healthyThreshold: 2, unhealthyThreshold: 3, timeout: 5 },
            },
            { parent: this },
        );
    }

    private createListener(): aws.lb.Listener {
        return new aws.lb.Listener(
            `${this.name}-listener`,
            {
                loadBalancerArn: this.loadBalancer.arn,
                port: LISTENER_PORT,
                protocol: "HTTP",
                defaultActions: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
            },
            { parent: this },
        );
    }

    /**
     * `/{stage}/...` -> `/...`: API Gateway includes the stage in a private integration's path. A
     * rule transform (not allowed on the default rule) rewrites it; without a match the request passes
     * unchanged. https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-transforms.html
     */
    private createStageRule(args: BackendArgs): aws.lb.ListenerRule {
        return new aws.lb.ListenerRule(
            `${this.name}-strip-stage`,
            {
                listenerArn: this.listener.arn,
                priority: RULE_PRIORITIES.stripStage,
                conditions: [{ pathPattern: { values: [`/${args.stageName}`, `/${args.stageName}/*`] } }],
                transforms: [{ type: "url-rewrite", urlRewriteConfig: { rewrite: stageRewrite(args.stageName) } }],
                actions: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
            },
            { parent: this },
        );
    }

    /**
     * While no service runs (no `image`), the load balancer answers the health check itself with
     * API_ONLY_HEALTH ("backend not deployed"); every other request finds no registered target and gets
     * the load balancer's 503
     * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html).
     * The API is the same with or without a service, so an application deploy never re-deploys it:
     * adding the service deletes this rule at the end of `pulumi up`, after the service is steady
     * (waitForSteadyState), and removing the service creates it again. It is created after the stage
     * rule, which on an older stack moves in place from priority 1 or 2 to its RULE_PRIORITIES one.
     */
    private createNotDeployedHealthRule(args: BackendArgs, stageRule: aws.lb.ListenerRule): aws.lb.ListenerRule {
        return new aws.lb.ListenerRule(
            `${this.name}-not-deployed-health`,
            {
                listenerArn: this.listener.arn,
                priority: RULE_PRIORITIES.notDeployedHealth,
                conditions: notDeployedHealthConditions(args.stageName),
                actions: [{ type: "fixed-response", fixedResponse: NOT_DEPLOYED_RESPONSE }],
            },
            { parent: this, dependsOn: [stageRule] },
        );
    }

    /**
     * A VPC link V2: REST APIs reach an Application Load Balancer through one (V1 links reach only
     * NLBs and are legacy). https://docs.aws.amazon.com/apigateway/latest/developerguide/private-integration.html
     */
    private createVpcLink(args: BackendArgs, securityGroup: aws.ec2.SecurityGroup): aws.apigatewayv2.VpcLink {
        return new aws.apigatewayv2.VpcLink(
            `${this.name}-vpc-link`,
            { name: physicalName("backend", args.environment), subnetIds: args.subnetIds, securityGroupIds: [securityGroup.id] },
            { parent: this },
        );
    }

    private createTaskDefinition(args: BackendArgs, image: string): aws.ecs.TaskDefinition {
        const region = this.where.region;
        const container = {
            name: CONTAINER_NAME,
            image,
            essential: true,
            portMappings: [{ containerPort: BACKEND_PORT, protocol: "tcp" }],
            environment: Object.entries(args.variables).map(([name, value]) => ({ name, value })),
            // The values stay in Secrets Manager: ECS injects them when the task starts.
            secrets: Object.entries(args.secrets).map(([name, valueFrom]) => ({ name, valueFrom })),
            readonlyRootFilesystem: args.readOnlyRootFilesystem,
            mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
            logConfiguration: {
                logDriver: "awslogs",
                options: { "awslogs-group": this.logGroup.name, "awslogs-region": region, "awslogs-stream-prefix": CONTAINER_NAME },
            },
        };
        return new aws.ecs.TaskDefinition(
            `${this.name}-task`,
            {
                family: physicalName("backend", args.environment),
                requiresCompatibilities: ["FARGATE"],
                networkMode: "awsvpc",
                cpu: String(args.cpu),
                memory: String(args.memory),
                runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
                executionRoleArn: this.executionRole.role.arn,
                taskRoleArn: this.taskRole.role.arn,
                // A task-scoped scratch volume: the only writable path with a read-only root filesystem.
                volumes: [{ name: "tmp" }],
                containerDefinitions: pulumi.jsonStringify([container]),
            },
            { parent: this },
        );
    }

    /**
     * Fargate spreads a service's tasks over the zones of its subnets by itself (placement strategies
     * are for EC2 only); zone rebalancing restores the spread after a zone recovers.
     * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement.html
     */
    private createService(args: BackendArgs, taskDefinition: aws.ecs.TaskDefinition, dependsOn: pulumi.Resource[]): aws.ecs.Service {
        return new aws.ecs.Service(
            `${this.name}-service`,
            {
                name: physicalName("backend", args.environment),
                cluster: this.cluster.arn,
                taskDefinition: taskDefinition.arn,
                launchType: "FARGATE",
                desiredCount: args.desiredCount,
                networkConfiguration: { subnets: args.subnetIds, securityGroups: [args.taskSecurityGroupId], assignPublicIp: false },
                loadBalancers: [{ targetGroupArn: this.targetGroup.arn, containerName: CONTAINER_NAME, containerPort: BACKEND_PORT }],
                healthCheckGracePeriodSeconds: 60,
                // A deploy whose tasks never get healthy rolls back to the last completed deployment.
                // `pulumi up` waits for a steady state, which the rollback reaches too, and reports
                // success (hashicorp/terraform-provider-aws#19519, #20858): the health check's
                // `backend rollout` (deploy/health.ts) fails that deploy, from backendTaskDefinitionArn.
                deploymentCircuitBreaker: { enable: true, rollback: true },
                deploymentMinimumHealthyPercent: 100,
                deploymentMaximumPercent: 200,
                availabilityZoneRebalancing: "ENABLED",
                waitForSteadyState: true,
                propagateTags: "SERVICE",
            },
            // Autoscaling owns the running count; a deploy must not reset it to desiredCount.
            { parent: this, dependsOn, ignoreChanges: args.autoscaling ? ["desiredCount"] : [] },
        );
    }

    private createAutoscaling(args: BackendArgs, service: aws.ecs.Service): void {
        const target = new aws.appautoscaling.Target(
            `${this.name}-scaling`,
            {
                serviceNamespace: "ecs",
                scalableDimension: "ecs:service:DesiredCount",
                resourceId: pulumi.interpolate`service/${this.cluster.name}/${service.name}`,
                minCapacity: args.minCount,
                maxCapacity: args.maxCount,
            },
            { parent: this },
        );
        const tracking = (suffix: string, targetValue: number, metric: aws.types.input.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification) =>
            new aws.appautoscaling.Policy(
                `${this.name}-scale-on-${suffix}`,
                {
                    name: physicalName(`backend-${suffix}`, args.environment),
                    policyType: "TargetTrackingScaling",
                    serviceNamespace: target.serviceNamespace,
                    scalableDimension: target.scalableDimension,
                    resourceId: target.resourceId,
                    targetTrackingScalingPolicyConfiguration: { targetValue, predefinedMetricSpecification: metric, scaleInCooldown: 300, scaleOutCooldown: 60 },
                },
                { parent: this },
            );
        tracking("cpu", CPU_TARGET_PERCENT, { predefinedMetricType: "ECSServiceAverageCPUUtilization" });
        tracking("requests", REQUESTS_PER_TASK_TARGET, {
            predefinedMetricType: "ALBRequestCountPerTarget",
            resourceLabel: pulumi.interpolate`${this.loadBalancer.arnSuffix}/${this.targetGroup.arnSuffix}`,
        });
    }
}

/** The URL rewrite that removes the stage segment: `/{stage}` or `/{stage}/rest` -> `/` or `/rest`. */
export function stageRewrite(stageName: string): { regex: string; replace: string } {
    return { regex: `^/${stageName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/?(.*)$`, replace: "/$1" };
}

/**
 * The load balancer's own `GET /health` answer while no service runs: 200, JSON, API_ONLY_HEALTH. A
 * fixed response has a status (2XX, 4XX or 5XX), a content type (text/plain, text/css, text/html,
 * application/javascript or application/json) and a body of at most 1024 characters, and no other
 * header (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_FixedResponseActionConfig.html):
 * no CORS header, which only a browser would need; the health check calls from a server.
 */
export const NOT_DEPLOYED_RESPONSE = { statusCode: "200", contentType: "application/json", messageBody: JSON.stringify(API_ONLY_HEALTH) } as const;

/**
 * The requests NOT_DEPLOYED_RESPONSE answers: `/health` as the load balancer receives it through the
 * VPC link, `/{stage}/health` (API Gateway puts the stage first in a private integration's path,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/private-integration.html), and bare
 * `/health`, which the stage rule would pass on unchanged; GET, and HEAD, which AWS advises routing
 * like GET (HttpRequestMethodConditionConfig).
 * Path patterns are case-sensitive, compared with the path only (never the query string), at most 128
 * characters each, `*` and `?` the only wildcards; method names are exact, case-sensitive, A-Z, `-`
 * and `_`, at most 40 characters. A rule has at most one path and one method condition, three values a
 * condition and five a rule (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html).
 */
export function notDeployedHealthConditions(stageName: string): { pathPattern?: { values: string[] }; httpRequestMethod?: { values: string[] } }[] {
    return [{ pathPattern: { values: [`/${stageName}${HEALTH_PATH}`, HEALTH_PATH] } }, { httpRequestMethod: { values: ["GET", "HEAD"] } }];
}

/** DynamoDB actions the backend uses on items (TransactWriteItems/TransactGetItems authorize as these). */
export const TABLE_ITEM_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
] as const;
/** Reading a stream: shards, iterators, records. */
export const STREAM_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords"] as const;

/** The task role's statements: exact actions on exact ARNs and prefixes. */
export function taskRoleStatements(grants: BackendGrants): aws.iam.PolicyStatement[] {
    return [
        { Sid: "Tables", Effect: "Allow", Action: [...TABLE_ITEM_ACTIONS], Resource: [...grants.tableArns] },
        { Sid: "Indexes", Effect: "Allow", Action: "dynamodb:Query", Resource: grants.tableArns.map((arn) => pulumi.interpolate`${arn}/index/*`) },
        { Sid: "MessagesStream", Effect: "Allow", Action: [...STREAM_ACTIONS], Resource: grants.messagesStreamArn },
        {
            Sid: "Uploads",
            Effect: "Allow",
            Action: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
            Resource: pulumi.interpolate`${grants.filesBucketArn}/${UPLOADS_PREFIX}*`,
        },
        { Sid: "Thumbnails", Effect: "Allow", Action: "s3:GetObject", Resource: pulumi.interpolate`${grants.thumbnailsBucketArn}/${THUMBNAILS_PREFIX}*` },
    ];
}

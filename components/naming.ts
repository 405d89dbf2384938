/**
 * Physical names of the product's resources and the AWS limits they must respect.
 *
 * Every name is `slack-clone-{what}-{environment}[-{suffix}]` (`physicalName`). Components set names
 * and never check them: `checkPhysicalNames` (name-check.ts), registered once for the whole stack in index.ts, checks
 * every resource the program registers against `NAME_RULES`, keyed by resource type, and refuses a
 * resource that sets a name its type has no rule for. The config validation checks the longest
 * names a stack will create against the same rules, before anything is registered.
 */
export const PROJECT = "slack-clone";

/**
 * The `{environment}` of every name. `production-dr` is production rebuilt in its second region
 * after losing the first (docs/disaster-recovery.md): its own names, since S3 bucket and IAM role
 * names are global.
 */
export const ENVIRONMENTS = ["development", "staging", "production", "production-dr"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/**
 * The environments that hold the product's real users' data: production and its rebuild. Config
 * cannot leave their data unprotected (`protectData`) or write demo data into it (`demoData`), and the
 * policy pack asks for their data's protection whatever the config says.
 */
export const PRODUCTION_ENVIRONMENTS: readonly Environment[] = ["production", "production-dr"];

/**
 * The tags every taggable resource carries, through its provider's `defaultTags` (each stack's
 * `aws:defaultTags`, which every explicit provider inherits): `project` (PROJECT), `environment`,
 * `stack` and `managed-by` (MANAGED_BY).
 */
export const REQUIRED_TAGS = ["project", "environment", "stack", "managed-by"] as const;
export const MANAGED_BY = "pulumi";

/** Where a resource type holds its physical name(s), and the longest AWS accepts (characters). */
export interface NameRule {
    /** Input -> the most characters AWS allows in it. */
    readonly inputs: Readonly<Record<string, number>>;
    /** The AWS (or provider) page that states the limit. */
    readonly source: string;
}

/**
 * The provider appends a 26-character unique suffix to a `namePrefix`
 * (pulumi-aws / terraform-provider-aws `id.PrefixedUniqueId`).
 */
const PREFIX_SUFFIX = 26;

/** Every resource type the program names, keyed by Pulumi type token. */
export const NAME_RULES: Readonly<Record<string, NameRule>> = {
    "aws:s3/bucket:Bucket": {
        inputs: { bucket: 63 },
        source: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
    },
    "aws:dynamodb/table:Table": {
        inputs: { name: 255 },
        source: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html",
    },
    "aws:elasticache/replicationGroup:ReplicationGroup": {
        inputs: { replicationGroupId: 40 },
        source: "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html",
    },
    "aws:elasticache/subnetGroup:SubnetGroup": {
        inputs: { name: 255 },
        source: "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateCacheSubnetGroup.html",
    },
    "aws:lambda/function:Function": {
        inputs: { name: 64 },
        source: "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html",
    },
    "aws:iam/role:Role": {
        inputs: { name: 64, namePrefix: 64 - PREFIX_SUFFIX },
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",
    },
    "aws:apigateway/restApi:RestApi": {
        inputs: { name: 1024 },
        // API_CreateRestApi states no limit: 1024 is a bound a name of ours never nears.
        source: "https://docs.aws.amazon.com/apigateway/latest/api/API_CreateRestApi.html",
    },
    "aws:apigateway/stage:Stage": {
        inputs: { stageName: 128 },
        source: "https://docs.aws.amazon.com/apigateway/latest/api/API_CreateStage.html",
    },
    "aws:cloudwatch/logGroup:LogGroup": {
        inputs: { name: 512 },
        source: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": {
        inputs: { name: 255 },
        source: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
    },
    "aws:cloudwatch/dashboard:Dashboard": {
        inputs: { dashboardName: 255 },
        source: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
    },
    "aws:sns/topic:Topic": {
        inputs: { name: 256 },
        source: "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html",
    },
    "aws:sqs/queue:Queue": {
        inputs: { name: 80 },
        source: "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
    },
    "aws:backup/vault:Vault": {
        inputs: { name: 50 },
        source: "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupVault.html",
    },
    "aws:backup/plan:Plan": {
        inputs: { name: 50 },
        source: "https://github.com/hashicorp/terraform-provider-aws/pull/16476 (the provider validates 1-50)",
    },
    "aws:backup/selection:Selection": {
        inputs: { name: 50 },
        source: "https://github.com/hashicorp/terraform-provider-aws/pull/7382 (the provider validates 1-50)",
    },
    "aws:cloudfront/originAccessControl:OriginAccessControl": {
        inputs: { name: 64 },
        source: "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateOriginAccessControl.html",
    },
    "aws:cloudtrail/trail:Trail": {
        inputs: { name: 128 },
        source: "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-trail-naming-requirements.html",
    },
    "aws:ec2/securityGroup:SecurityGroup": {
        inputs: { name: 255, namePrefix: 255 - PREFIX_SUFFIX },
        source: "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
    },
    "aws:secretsmanager/secret:Secret": {
        inputs: { name: 512 },
        source: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html",
    },
    "aws:wafv2/webAcl:WebAcl": {
        inputs: { name: 128 },
        source: "https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html",
    },
    "aws:cloudfront/keyGroup:KeyGroup": {
        inputs: { name: 128 },
        // KeyGroupConfig states no limit for the name (128 for its comment): a bound our names never near.
        source: "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_KeyGroupConfig.html",
    },
    "aws:cloudfront/publicKey:PublicKey": {
        inputs: { name: 128, namePrefix: 128 - PREFIX_SUFFIX },
        // PublicKeyConfig states no limit for the name (128 for its comment): a bound our names never near.
        source: "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_PublicKeyConfig.html",
    },
    "aws:route53/record:Record": {
        inputs: { name: 255 },
        source: "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html",
    },
    "aws:ecr/repository:Repository": {
        inputs: { name: 256 },
        source: "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html",
    },
    "aws:ecs/cluster:Cluster": {
        inputs: { name: 255 },
        source: "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html",
    },
    "aws:ecs/service:Service": {
        inputs: { name: 255 },
        source: "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html",
    },
    "aws:ecs/taskDefinition:TaskDefinition": {
        inputs: { family: 255 },
        source: "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html",
    },
    "aws:lb/loadBalancer:LoadBalancer": {
        inputs: { name: 32, namePrefix: 6 },
        source: "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html",
    },
    "aws:lb/targetGroup:TargetGroup": {
        inputs: { name: 32, namePrefix: 6 },
        source: "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html",
    },
    "aws:apigatewayv2/vpcLink:VpcLink": {
        inputs: { name: 128 },
        source: "https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/vpclinks.html",
    },
    "aws:appautoscaling/policy:Policy": {
        inputs: { name: 256 },
        source: "https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html",
    },
};

/** Inputs that set a physical name on any type: a type that sets one needs a rule. */
export const NAME_INPUTS = ["name", "namePrefix"] as const;

/** `slack-clone-{what}-{environment}`, plus optional suffixes such as an account id. */
export function physicalName(what: string, environment: string, ...suffixes: string[]): string {
    return [PROJECT, what, environment, ...suffixes].join("-");
}

/** Why `value` cannot be the `input` of a `type` resource, or undefined when it fits. */
export function nameProblem(type: string, input: string, value: string): string | undefined {
    const limit = NAME_RULES[type]?.inputs[input];
    if (limit === undefined) return `${type} has no naming rule for its input "${input}"; add one to NAME_RULES in components/naming.ts`;
    if (value.length <= limit) return undefined;
    return (
        `${type} ${input} "${value}" is ${value.length} characters; AWS allows at most ${limit} ` +
        `(${NAME_RULES[type].source}). Use a shorter environment name or value.`
    );
}

/**
 * The stack outputs: their names and the types of their values, defined once. index.ts exports
 * exactly this shape; the seed, the health check, the backend environment and the local environment
 * read outputs by these names, so renaming one fails the type-check wherever it is read.
 */
import * as pulumi from "@pulumi/pulumi";
import { TableOutputName, tableOutputs } from "./tables";

/**
 * Every stack output, as `pulumi stack output --json` prints it. One `<table>TableName` output per
 * table (e.g. `usersTableName`, `workspaceMembershipsTableName`): the table's physical name.
 */
export interface OutputValues extends Readonly<Record<TableOutputName, string>> {
    /** development, staging or production. */
    readonly environment: string;
    /** AWS region of the stack. */
    readonly region: string;
    /** Whether the seed writes the demo data set into this stack's tables (deploy/seed/data/demo). */
    readonly demoData: boolean;
    /** ARN of the messages table's stream (NEW_AND_OLD_IMAGES). */
    readonly messagesStreamArn: string;
    /** REST API id. */
    readonly apiId: string;
    /** AWS WAF web ACL on the API stage, also its CloudWatch metric name (where webAcl is on). */
    readonly apiWebAclName?: string;
    /** Invoke URL of the API's stage: `https://{apiId}.execute-api.{region}.amazonaws.com/{environment}`. */
    readonly apiUrl: string;
    /** The VPC the backend and Redis run in. */
    readonly vpcId: string;
    /** Private subnets for the backend (and Redis). */
    readonly privateSubnetIds: string[];
    /** Security group for the backend: 8000/tcp from the VPC; the only group Redis admits. */
    readonly backendSecurityGroupId: string;
    /** Redis primary endpoint (TLS, AUTH token required). */
    readonly redisPrimaryEndpoint: string;
    /** Redis port (6379). */
    readonly redisPort: number | undefined;
    /** `rediss://{endpoint}:{port}`: the backend's REDIS_URL; never with credentials. */
    readonly redisUrl: string;
    /** Redis requires TLS (transit encryption): clients connect with `rediss://` (false only for the local redis-server). */
    readonly redisTls: boolean;
    /** ARN of the Secrets Manager secret holding the Redis AUTH token (the token is no output); the backend's tasks get it as REDIS_AUTH_TOKEN. */
    readonly redisAuthTokenSecretArn: string;
    /** Uploaded files (uploads/ triggers the thumbnail function). */
    readonly filesBucketName: string;
    readonly filesBucketArn: string;
    /** Thumbnails, under thumbnails/<path of the upload>. */
    readonly thumbnailsBucketName: string;
    readonly thumbnailsBucketArn: string;
    readonly thumbnailFunctionName: string;
    /** SQS queue holding the events of uploads whose thumbnail failed after every retry (kept 14 days). */
    readonly thumbnailFailureQueueUrl: string;
    /** CloudFront distribution serving the files bucket. */
    readonly cdnDistributionId: string;
    readonly cdnDomainName: string;
    /** Public base URL of the files: `https://{custom domain or CloudFront domain}`. */
    readonly filesBaseUrl: string;
    /** Id of the CDN's public key: the `Key-Pair-Id` of signed URLs and cookies (where privateFiles is on). */
    readonly cdnKeyPairId?: string;
    /** The CDN's public key (PEM) as CloudFront holds it: not secret; the health check matches the signing-key secret against it (where privateFiles is on). */
    readonly cdnPublicKey?: string;
    /** ARN of the secret, created empty, that holds the private key signing the files' URLs and cookies (where privateFiles is on). */
    readonly cdnSigningKeySecretArn?: string;
    /** ECR repository of the backend's images: push `{backendRepositoryUrl}:{tag}`, then deploy that as `backendImage`. */
    readonly backendRepositoryUrl: string;
    /** ECS cluster `slack-clone-{environment}`. */
    readonly backendClusterName: string;
    /** DNS name of the backend's internal load balancer (reachable only inside the VPC). */
    readonly backendLoadBalancerDnsName: string;
    /** The image the backend service runs (once an application deploy has set `backendImage`). */
    readonly backendImage?: string;
    /** ECS service `slack-clone-backend-{environment}` (once an image is deployed). */
    readonly backendServiceName?: string;
    /**
     * ARN, with its revision, of the task definition this deploy gave the service (once an image is
     * deployed): the health check requires the service's PRIMARY deployment to run it, rolled out.
     */
    readonly backendTaskDefinitionArn?: string;
    /** `backendRequired`: the health check fails when no backend answers the API's /health (false: a note instead). */
    readonly backendRequired: boolean;
    /** The files bucket's replica in the secondary region (multiRegion only). */
    readonly filesReplicaBucketName?: string;
    /** SNS topic every alarm notifies. */
    readonly alarmTopicArn: string;
    /** `alarms`: CloudWatch alarms notify the topic, so the health check requires a confirmed subscription on it. */
    readonly alarms: boolean;
    /** CloudWatch dashboard of the stack. */
    readonly dashboardName: string;
    /** AWS Backup vault of the tables' backups (where backups are on). */
    readonly backupVaultName?: string;
    /** The role restore jobs use (where backups are on). */
    readonly backupRestoreRoleArn?: string;
    /** CloudTrail trail (where the audit trail is on). */
    readonly trailName?: string;
    /** The trail's log bucket (where the audit trail is on). */
    readonly auditBucketName?: string;
}

export type OutputName = keyof OutputValues;

/** What index.ts exports: each output as a Pulumi input of its value's type. */
export type StackExports = { readonly [K in keyof OutputValues]: pulumi.Input<OutputValues[K]> };

/** The JSON kind of an output's value: what `pulumi stack output --json` prints for it. */
export type OutputKind = "string" | "number" | "boolean" | "list";
type KindOf<T> = T extends string ? "string" : T extends number ? "number" : T extends boolean ? "boolean" : T extends readonly unknown[] ? "list" : never;

/**
 * Every output's kind, for reading outputs files at run time (the type-check holds it to
 * OutputValues: a missing, extra or mistyped entry fails to compile).
 */
export const OUTPUT_KINDS: { readonly [K in OutputName]-?: KindOf<NonNullable<OutputValues[K]>> } = {
    ...tableOutputs(() => "string" as const),
    environment: "string",
    region: "string",
    demoData: "boolean",
    messagesStreamArn: "string",
    apiId: "string",
    apiWebAclName: "string",
    apiUrl: "string",
    vpcId: "string",
    privateSubnetIds: "list",
    backendSecurityGroupId: "string",
    redisPrimaryEndpoint: "string",
    redisPort: "number",
    redisUrl: "string",
    redisTls: "boolean",
    redisAuthTokenSecretArn: "string",
    filesBucketName: "string",
    filesBucketArn: "string",
    thumbnailsBucketName: "string",
    thumbnailsBucketArn: "string",
    thumbnailFunctionName: "string",
    thumbnailFailureQueueUrl: "string",
    cdnDistributionId: "string",
    cdnDomainName: "string",
    filesBaseUrl: "string",
    cdnKeyPairId: "string",
    cdnPublicKey: "string",
    cdnSigningKeySecretArn: "string",
    backendRepositoryUrl: "string",
    backendClusterName: "string",
    backendLoadBalancerDnsName: "string",
    backendImage: "string",
    backendServiceName: "string",
    backendTaskDefinitionArn: "string",
    backendRequired: "boolean",
    filesReplicaBucketName: "string",
    alarmTopicArn: "string",
    alarms: "boolean",
    dashboardName: "string",
    backupVaultName: "string",
    backupRestoreRoleArn: "string",
    trailName: "string",
    auditBucketName: "string",
};

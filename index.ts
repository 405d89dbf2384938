/**
 * The product's infrastructure: components composed from the stack's config, and one flat set
 * of stack outputs. Every name a backend, the seed or the health check needs is an output here
 * (see README.md, "Stack outputs").
 */
import { Api } from "./components/api";
import { Audit } from "./components/audit";
import { Backup } from "./components/backup";
import { Cache } from "./components/cache";
import { Cdn } from "./components/cdn";
import { loadConfig } from "./components/config";
import { DataLayer } from "./components/data-layer";
import { Network } from "./components/network";
import { Observability } from "./components/observability";
import { Storage } from "./components/storage";
import { TABLES, tableName, tableOutputName } from "./components/tables";

const config = loadConfig();

const data = new DataLayer("data", {
    environment: config.environment,
    pointInTimeRecovery: config.pointInTimeRecovery,
    protectData: config.protectData,
});

const api = new Api("api", {
    environment: config.environment,
    frontendUrl: config.frontendUrl,
    backendUrl: config.backendUrl,
    dataTrace: config.dataTrace,
    manageAccount: config.apiGatewayAccount,
    logRetentionDays: config.logRetentionDays,
});

const network = new Network("network", {
    environment: config.environment,
    region: config.region,
    vpcCidr: config.vpcCidr,
    availabilityZones: config.availabilityZones,
    natGateways: config.natGateways,
    existingVpc: config.existingVpc,
});

const cache = new Cache("cache", {
    environment: config.environment,
    vpcId: network.vpcId,
    subnetIds: network.privateSubnetIds,
    backendSecurityGroupId: network.backendSecurityGroup.id,
    nodeType: config.redisNodeType,
    nodeCount: config.redisNodeCount,
    engineVersion: config.redisEngineVersion,
    multiAz: config.multiAz,
    snapshotRetentionDays: config.redisSnapshotRetentionDays,
    protectData: config.protectData,
});

const storage = new Storage("storage", {
    environment: config.environment,
    frontendUrl: config.frontendUrl,
    accessLogging: config.accessLogging,
    protectData: config.protectData,
    multiRegion: config.multiRegion,
    secondaryRegion: config.secondaryRegion,
    mfaDelete: config.mfaDelete,
    logRetentionDays: config.logRetentionDays,
    thumbnailMaxDimension: config.thumbnailMaxDimension,
});
const cdn = new Cdn("cdn", {
    environment: config.environment,
    bucket: {
        name: storage.filesBucketName,
        arn: storage.filesBucketArn,
        regionalDomainName: storage.filesBucket.bucketRegionalDomainName,
    },
    priceClass: config.cdnPriceClass,
    customDomain: config.customDomain,
});
// The files bucket's one policy: TLS only, and reads by this distribution only.
storage.attachFilesBucketPolicy([cdn.filesReadStatement]);

const observability = new Observability("observability", {
    environment: config.environment,
    alarms: config.alarms,
    alarmEmail: config.alarmEmail,
    tables: data.tableNames,
    api: { name: api.apiName, stage: api.stageName },
    thumbnailFunction: { name: storage.thumbnailFunctionName },
    buckets: { files: storage.filesBucketName, thumbnails: storage.thumbnailsBucketName },
    cache: { memberClusters: cache.replicationGroup.memberClusters },
});

const backup = config.backups
    ? new Backup("backup", {
          environment: config.environment,
          tableArns: data.tableArns,
          retentionDays: config.backupRetentionDays,
          // The rebuild in the second region is the environment `{environment}-dr` (docs/disaster-recovery.md).
          copyTo:
              config.multiRegion && config.secondaryRegion !== undefined
                  ? { region: config.secondaryRegion, restoredTableNames: TABLES.map((spec) => tableName(spec, `${config.environment}-dr`)) }
                  : undefined,
          protectData: config.protectData,
      })
    : undefined;

const audit = config.auditTrail
    ? new Audit("audit", { environment: config.environment, logRetentionDays: config.logRetentionDays, protectData: config.protectData })
    : undefined;

export = {
    /** development, staging or production. */
    environment: config.environment,
    /** AWS region of the stack. */
    region: config.region,
    /** One `<table>TableName` output per table, e.g. `usersTableName`, `workspaceMembershipsTableName`. */
    ...Object.fromEntries(TABLES.map((spec) => [tableOutputName(spec), data.tableNames[spec.name]])),
    /** ARN of the messages table's stream (NEW_AND_OLD_IMAGES). */
    messagesStreamArn: data.messagesStreamArn,
    /** REST API id. */
    apiId: api.apiId,
    /** Invoke URL of the API's stage: `https://{apiId}.execute-api.{region}.amazonaws.com/{environment}`. */
    apiUrl: api.url,
    /** The VPC the backend and Redis run in. */
    vpcId: network.vpcId,
    /** Private subnets for the backend (and Redis). */
    privateSubnetIds: network.privateSubnetIds,
    /** Security group for the backend: 8000/tcp from the VPC; the only group Redis admits. */
    backendSecurityGroupId: network.backendSecurityGroup.id,
    /** Redis primary endpoint (TLS, AUTH token required). */
    redisPrimaryEndpoint: cache.primaryEndpoint,
    redisPort: cache.port,
    /** Redis AUTH token: a secret (`pulumi stack output --show-secrets redisAuthToken`). */
    redisAuthToken: cache.authToken,
    /** Uploaded files (uploads/ triggers the thumbnail function). */
    filesBucketName: storage.filesBucketName,
    filesBucketArn: storage.filesBucketArn,
    /** Thumbnails, under thumbnails/<path of the upload>. */
    thumbnailsBucketName: storage.thumbnailsBucketName,
    thumbnailsBucketArn: storage.thumbnailsBucketArn,
    thumbnailFunctionName: storage.thumbnailFunctionName,
    /** CloudFront distribution serving the files bucket. */
    cdnDistributionId: cdn.distributionId,
    cdnDomainName: cdn.domainName,
    /** Public base URL of the files: `https://{custom domain or CloudFront domain}`. */
    filesBaseUrl: cdn.filesBaseUrl,
    /** The files bucket's replica in the secondary region (multiRegion only). */
    ...(storage.filesReplicaBucket ? { filesReplicaBucketName: storage.filesReplicaBucket.bucket } : {}),
    /** SNS topic every alarm notifies. */
    alarmTopicArn: observability.alarmTopicArn,
    /** CloudWatch dashboard of the stack. */
    dashboardName: observability.dashboardName,
    /** AWS Backup vault of the tables' backups, and the role restore jobs use (where backups are on). */
    ...(backup ? { backupVaultName: backup.vaultName, backupRestoreRoleArn: backup.restoreRoleArn } : {}),
    /** CloudTrail trail and its log bucket (where the audit trail is on). */
    ...(audit ? { trailName: audit.trailName, auditBucketName: audit.bucketName } : {}),
};

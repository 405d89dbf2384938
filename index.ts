/**
 * The product's infrastructure: components composed from the stack's config, and one flat set
 * of stack outputs, typed by components/outputs.ts. Every name a backend, the seed or the health
 * check needs is an output here (see README.md, "Stack outputs").
 */
import * as pulumi from "@pulumi/pulumi";
import { Api, WEB_ACL_MANAGED_RULE_GROUPS, WEB_ACL_RATE_RULE } from "./components/api";
import { Audit } from "./components/audit";
import { Backup } from "./components/backup";
import { Cache } from "./components/cache";
import { Cdn } from "./components/cdn";
import { loadConfig } from "./components/config";
import { DataLayer } from "./components/data-layer";
import { checkPhysicalNames } from "./components/naming";
import { Network } from "./components/network";
import { Observability } from "./components/observability";
import { Storage } from "./components/storage";
import { StackExports } from "./components/outputs";
import { TABLES, tableName, tableOutputs } from "./components/tables";

// Every physical name of every resource below is checked against AWS's limit for its type.
pulumi.runtime.registerStackTransformation(checkPhysicalNames);

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
    throttling: config.apiThrottling,
    webAcl: config.webAcl ? { rateLimit: config.webAclRateLimit } : undefined,
});

const network = new Network("network", {
    environment: config.environment,
    region: config.region,
    vpcCidr: config.vpcCidr,
    availabilityZones: config.availabilityZones,
    availabilityZoneCidrMask: config.availabilityZoneCidrMask,
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
    engine: config.redisEngine,
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
    providerSettings: config.awsProvider,
    mfaDelete: config.mfaDelete,
    objectLockRetentionDays: config.objectLockRetentionDays,
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
    providerSettings: config.awsProvider,
    publicKey: config.privateFiles ? config.cdnPublicKey : undefined,
    signingKeyReplicaRegion: config.multiRegion ? config.secondaryRegion : undefined,
});
// The files bucket's one policy: TLS only, and reads by this distribution only.
storage.attachFilesBucketPolicy([cdn.filesReadStatement]);

const observability = new Observability("observability", {
    environment: config.environment,
    alarms: config.alarms,
    alarmEmail: config.alarmEmail,
    tables: data.tableNames,
    api: { name: api.apiName, stage: api.stageName },
    webAcl: api.webAclName ? { name: api.webAclName, region: config.region, rules: [WEB_ACL_RATE_RULE, ...WEB_ACL_MANAGED_RULE_GROUPS] } : undefined,
    thumbnailFunction: { name: storage.thumbnailFunctionName, failureQueueName: storage.thumbnailFailureQueue.name },
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
          providerSettings: config.awsProvider,
      })
    : undefined;

const audit = config.auditTrail
    ? new Audit("audit", { environment: config.environment, logRetentionDays: config.logRetentionDays, protectData: config.protectData })
    : undefined;

const outputs: StackExports = {
    environment: config.environment,
    region: config.region,
    demoData: config.demoData,
    ...tableOutputs((spec) => data.tableNames[spec.name]),
    messagesStreamArn: data.messagesStreamArn,
    apiId: api.apiId,
    ...(api.webAclName ? { apiWebAclName: api.webAclName } : {}),
    apiUrl: api.url,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    backendSecurityGroupId: network.backendSecurityGroup.id,
    redisPrimaryEndpoint: cache.primaryEndpoint,
    redisPort: cache.port,
    redisUrl: cache.url,
    redisAuthTokenSecretArn: cache.authTokenSecretArn,
    filesBucketName: storage.filesBucketName,
    filesBucketArn: storage.filesBucketArn,
    thumbnailsBucketName: storage.thumbnailsBucketName,
    thumbnailsBucketArn: storage.thumbnailsBucketArn,
    thumbnailFunctionName: storage.thumbnailFunctionName,
    thumbnailFailureQueueUrl: storage.thumbnailFailureQueue.url,
    cdnDistributionId: cdn.distributionId,
    cdnDomainName: cdn.domainName,
    filesBaseUrl: cdn.filesBaseUrl,
    ...(cdn.keyPairId && cdn.signingKeySecretArn ? { cdnKeyPairId: cdn.keyPairId, cdnSigningKeySecretArn: cdn.signingKeySecretArn } : {}),
    ...(storage.filesReplicaBucket ? { filesReplicaBucketName: storage.filesReplicaBucket.bucket } : {}),
    alarmTopicArn: observability.alarmTopicArn,
    dashboardName: observability.dashboardName,
    ...(backup ? { backupVaultName: backup.vaultName, backupRestoreRoleArn: backup.restoreRoleArn } : {}),
    ...(audit ? { trailName: audit.trailName, auditBucketName: audit.bucketName } : {}),
};

/** The stack outputs, documented in components/outputs.ts. */
export = outputs;

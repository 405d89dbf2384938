/**
 * The product's infrastructure: components composed from the stack's config, and one flat set
 * of stack outputs, typed by components/outputs.ts. Every name a backend, the seed or the health
 * check needs is an output here (see README.md, "Stack outputs").
 */
import * as pulumi from "@pulumi/pulumi";
import { Api, WEB_ACL_MANAGED_RULE_GROUPS, WEB_ACL_RATE_RULE } from "./components/api";
import { Backend } from "./components/backend";
import { Audit } from "./components/audit";
import { Backup } from "./components/backup";
import { Cache } from "./components/cache";
import { Cdn } from "./components/cdn";
import { AWS_PROVIDER_KEYS, AWS_STATIC_CREDENTIAL_KEYS, CONFIG_KEYS, RawConfig, StackConfig, validateConfig } from "./components/config";
import { DataLayer } from "./components/data-layer";
import { checkPhysicalNames } from "./components/name-check";
import { Network } from "./components/network";
import { Observability } from "./components/observability";
import { Storage } from "./components/storage";
import { StackExports } from "./components/outputs";
import { TABLES, tableName, tableOutputs } from "./components/tables";
import { backendSecrets, backendVariables } from "./deploy/backend-env";

// Every physical name of every resource below is checked against AWS's limit for its type.
pulumi.runtime.registerStackTransformation(checkPhysicalNames);

/** Reads the stack's config once, validated (components/config.ts). Components never read config themselves. */
function loadConfig(): StackConfig {
    const project = new pulumi.Config();
    const aws = new pulumi.Config("aws");
    const all = pulumi.runtime.allConfig();
    const raw: { -readonly [K in keyof RawConfig]: RawConfig[K] } = { "aws:region": aws.get("region") };
    for (const key of AWS_PROVIDER_KEYS) raw[`aws:${key}`] = aws.get(key);
    // Only whether they are set (they are secrets, and refused).
    for (const key of AWS_STATIC_CREDENTIAL_KEYS) raw[`aws:${key}`] = `aws:${key}` in all ? "(set)" : undefined;
    for (const key of CONFIG_KEYS) raw[key] = project.get(key);
    return validateConfig(raw, pulumi.getStack());
}

const config = loadConfig();

const data = new DataLayer("data", {
    environment: config.environment,
    pointInTimeRecovery: config.pointInTimeRecovery,
    protectData: config.protectData,
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
    protectData: config.protectData,
});
// The files bucket's one policy: TLS only, and reads by this distribution only.
storage.attachFilesBucketPolicy([cdn.filesReadStatement]);

/** The outputs the backend's environment is made of (deploy/backend-env.ts); the rest follow below. */
const dataOutputs = {
    environment: config.environment,
    region: config.region,
    demoData: config.demoData,
    ...tableOutputs((spec) => data.tableNames[spec.name]),
    messagesStreamArn: data.messagesStreamArn,
    redisPrimaryEndpoint: cache.primaryEndpoint,
    redisPort: cache.port,
    redisUrl: cache.url,
    redisTls: true,
    redisAuthTokenSecretArn: cache.authTokenSecretArn,
    filesBucketName: storage.filesBucketName,
    filesBucketArn: storage.filesBucketArn,
    thumbnailsBucketName: storage.thumbnailsBucketName,
    thumbnailsBucketArn: storage.thumbnailsBucketArn,
    filesBaseUrl: cdn.filesBaseUrl,
    ...(cdn.keyPairId && cdn.signingKeySecretArn ? { cdnKeyPairId: cdn.keyPairId, cdnSigningKeySecretArn: cdn.signingKeySecretArn } : {}),
} satisfies Partial<StackExports>;

const backend = new Backend("backend", {
    environment: config.environment,
    vpcId: network.vpcId,
    subnetIds: network.privateSubnetIds,
    taskSecurityGroupId: network.backendSecurityGroup.id,
    ...config.backend,
    containerInsights: config.alarms,
    logRetentionDays: config.logRetentionDays,
    protectData: config.protectData,
    // The API's stage is named after the environment.
    stageName: config.environment,
    // The same definition as the local environment's .env.local: every value as a string.
    variables: Object.fromEntries(Object.entries(backendVariables<unknown>(dataOutputs)).map(([name, value]) => [name, pulumi.interpolate`${value}`])),
    secrets: Object.fromEntries(Object.entries(backendSecrets<unknown>(dataOutputs)).map(([name, arn]) => [name, pulumi.interpolate`${arn}`])),
    grants: {
        tableArns: TABLES.map((spec) => data.tableArns[spec.name]),
        messagesStreamArn: data.messagesStreamArn,
        filesBucketArn: storage.filesBucketArn,
        thumbnailsBucketArn: storage.thumbnailsBucketArn,
    },
});

const api = new Api("api", {
    environment: config.environment,
    frontendUrl: config.frontendUrl,
    backend: {
        vpcLinkId: backend.vpcLink.id,
        loadBalancerArn: backend.loadBalancer.arn,
        loadBalancerDnsName: backend.loadBalancer.dnsName,
    },
    dataTrace: config.dataTrace,
    manageAccount: config.apiGatewayAccount,
    logRetentionDays: config.logRetentionDays,
    throttling: config.apiThrottling,
    webAcl: config.webAcl ? { rateLimit: config.webAclRateLimit } : undefined,
});

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
    backend: backend.service && {
        loadBalancer: backend.loadBalancer.arnSuffix,
        targetGroup: backend.targetGroup.arnSuffix,
        cluster: backend.cluster.name,
        service: backend.service.name,
        maxTasks: config.backend.maxCount,
    },
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
    ...dataOutputs,
    apiId: api.apiId,
    ...(api.webAclName ? { apiWebAclName: api.webAclName } : {}),
    apiUrl: api.url,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    backendSecurityGroupId: network.backendSecurityGroup.id,
    thumbnailFunctionName: storage.thumbnailFunctionName,
    thumbnailFailureQueueUrl: storage.thumbnailFailureQueue.url,
    cdnDistributionId: cdn.distributionId,
    cdnDomainName: cdn.domainName,
    ...(cdn.publicKeyPem ? { cdnPublicKey: cdn.publicKeyPem } : {}),
    backendRepositoryUrl: backend.repository.repositoryUrl,
    backendClusterName: backend.cluster.name,
    backendLoadBalancerDnsName: backend.loadBalancer.dnsName,
    ...(backend.service && backend.taskDefinition && config.backend.image
        ? { backendImage: config.backend.image, backendServiceName: backend.service.name, backendTaskDefinitionArn: backend.taskDefinition.arn }
        : {}),
    backendRequired: config.backend.required,
    ...(storage.filesReplicaBucket ? { filesReplicaBucketName: storage.filesReplicaBucket.bucket } : {}),
    alarmTopicArn: observability.alarmTopicArn,
    alarms: config.alarms,
    dashboardName: observability.dashboardName,
    ...(backup ? { backupVaultName: backup.vaultName, backupRestoreRoleArn: backup.restoreRoleArn } : {}),
    ...(audit ? { trailName: audit.trailName, auditBucketName: audit.bucketName } : {}),
};

/** The stack outputs, documented in components/outputs.ts. */
export = outputs;

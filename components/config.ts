/**
 * Stack configuration: read once, validated, frozen, passed down as plain values.
 *
 * Defaults live in one place, the `config:` block of Pulumi.yaml (the CLI merges them under each
 * stack's values); each Pulumi.<stack>.yaml holds only what differs. Differences between
 * environments are named capabilities (`pointInTimeRecovery`, `protectData`, ...), never
 * `if (environment === "production")` in a component.
 */
import { KeyObject, createHash, createPublicKey } from "crypto";
import { Region } from "@pulumi/aws/types/enums";
import type * as awsConfig from "@pulumi/aws/config/vars";
import { closest, distance } from "fastest-levenshtein";
import { Environment, ENVIRONMENTS, MANAGED_BY, PRODUCTION_ENVIRONMENTS, PROJECT, REQUIRED_TAGS, nameProblem, physicalName } from "./naming";

const IN_PRODUCTION = `in ${PRODUCTION_ENVIRONMENTS.join(" and ")}`;

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const NAT_STRATEGIES = ["Single", "OnePerAz"] as const;

/**
 * The versions ElastiCache offers node-based replication groups, per engine (major.minor), and the
 * parameter group family of each. The Redis OSS line ends at 7.1; later versions are Valkey.
 * Source: ElastiCache user guide, "Supported engines and versions" and "Engine specific parameters"
 * (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/supported-engine-versions.html,
 * https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html,
 * https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Engine.html).
 */
export const REDIS_ENGINE_VERSIONS = {
    redis: { "6.2": "redis6.x", "7.0": "redis7", "7.1": "redis7" },
    valkey: { "7.2": "valkey7", "8.0": "valkey8", "8.1": "valkey8", "8.2": "valkey8", "9.0": "valkey9", "9.1": "valkey9" },
} as const satisfies Record<string, Record<string, string>>;
export type RedisEngine = keyof typeof REDIS_ENGINE_VERSIONS;
export const REDIS_ENGINES = Object.keys(REDIS_ENGINE_VERSIONS) as RedisEngine[];

/** The parameter group family of an engine version ElastiCache offers; throws, naming the versions offered, otherwise. */
export function redisParameterGroupFamily(engine: RedisEngine, version: string): string {
    const family = (REDIS_ENGINE_VERSIONS[engine] as Readonly<Record<string, string>>)[version];
    if (family === undefined) throw new Error(`ElastiCache offers ${engine} ${Object.keys(REDIS_ENGINE_VERSIONS[engine]).join(", ")}; not ${version}`);
    return family;
}

/**
 * The stack's `aws:*` provider settings, each with the kind of value it takes: every explicit
 * provider (second region, us-east-1 certificate) gets them too, because an explicit `aws.Provider`
 * reads none of the stack's `aws:*` config by design (pulumi/pulumi-aws#3259): which account and
 * identity a deploy uses, how it tags, and how it reaches AWS (endpoints, STS region, FIPS, proxy, CA
 * bundle, retries). Every key of @pulumi/aws's provider config but `region` (each provider's own) and
 * the static credentials (refused: AWS_STATIC_CREDENTIAL_KEYS); the type-check holds the table to the
 * provider's config, so a key a provider upgrade adds fails tsc until it is placed here.
 */
const AWS_PROVIDER_SETTING_KINDS = {
    profile: "string",
    sharedConfigFiles: "list",
    sharedCredentialsFiles: "list",
    assumeRoles: "list",
    assumeRoleWithWebIdentity: "map",
    allowedAccountIds: "list",
    forbiddenAccountIds: "list",
    defaultTags: "map",
    ignoreTags: "map",
    customCaBundle: "string",
    ec2MetadataServiceEndpoint: "string",
    ec2MetadataServiceEndpointMode: "string",
    endpoints: "list",
    httpProxy: "string",
    httpsProxy: "string",
    insecure: "boolean",
    maxRetries: "number",
    noProxy: "string",
    retryMode: "string",
    s3UsEast1RegionalEndpoint: "string",
    s3UsePathStyle: "boolean",
    skipCredentialsValidation: "boolean",
    skipMetadataApiCheck: "boolean",
    skipRegionValidation: "boolean",
    skipRequestingAccountId: "boolean",
    stsRegion: "string",
    tagPolicyCompliance: "string",
    tokenBucketRateLimiterCapacity: "number",
    useDualstackEndpoint: "boolean",
    useFipsEndpoint: "boolean",
    userAgents: "list",
} as const satisfies Record<Exclude<keyof typeof awsConfig, "region" | (typeof AWS_STATIC_CREDENTIAL_KEYS)[number]>, "string" | "boolean" | "number" | "list" | "map">;
export type AwsProviderKey = keyof typeof AWS_PROVIDER_SETTING_KINDS;
/** The keys of AWS_PROVIDER_SETTING_KINDS: what index.ts reads from the stack's `aws:` config. */
export const AWS_PROVIDER_KEYS = Object.keys(AWS_PROVIDER_SETTING_KINDS) as AwsProviderKey[];

/**
 * Static credentials in the stack's config: the default provider would deploy with them, and the
 * explicit providers (second region, us-east-1 certificate) with whatever credentials the
 * environment holds, possibly another account's (pulumi/pulumi-aws#3259). Refused: credentials come
 * from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), `aws:profile`
 * or `aws:assumeRoles`, which every provider of the stack reads alike.
 */
export const AWS_STATIC_CREDENTIAL_KEYS = ["accessKey", "secretKey", "token"] as const;

/**
 * The problem line for a static credential key set in the stack's config, in the clear or as a
 * secret (`how`, e.g. "set (secure: ...)"); never its value.
 */
export function staticCredentialProblem(key: (typeof AWS_STATIC_CREDENTIAL_KEYS)[number], how = "set"): string {
    return (
        `aws:${key}: ${how}; expected unset: the explicit providers (second region, us-east-1) would not use it and could deploy ` +
        "into another account; give credentials through the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, " +
        `AWS_SESSION_TOKEN), aws:profile or aws:assumeRoles, then: pulumi config rm aws:${key}`
    );
}
export const PRICE_CLASSES = ["PriceClass_100", "PriceClass_200", "PriceClass_All"] as const;

/**
 * Fargate's task sizes: CPU units -> the memory sizes (MiB) allowed with them.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html
 */
export const FARGATE_TASK_SIZES: Readonly<Record<number, readonly number[]>> = {
    256: [512, 1024, 2048],
    512: [1024, 2048, 3072, 4096],
    1024: range(2048, 8192, 1024),
    2048: range(4096, 16384, 1024),
    4096: range(8192, 30720, 1024),
    8192: range(16384, 61440, 4096),
    16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
    return Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
}

/** The backend service's settings (StackConfig.backend, each field documented there). */
export type BackendConfig = StackConfig["backend"];

/**
 * The validated config of a stack. Each field names its key (declared in Pulumi.yaml's `config:`
 * block with type, description and default; set per stack in Pulumi.<stack>.yaml) and its default.
 */
export interface StackConfig {
    /** Key `environment` (required): the last part of every physical name, and the API's stage name. */
    readonly environment: Environment;
    /** Key `aws:region` (required, per stack): where the stack deploys. */
    readonly region: string;
    /** Key `frontendUrl` (required): origin of the web front end, the CORS origin of the API and the files bucket; https, or http://localhost in development; lower case. */
    readonly frontendUrl: string;

    // Capabilities: what differs between environments.
    /** Key `pointInTimeRecovery`: point-in-time recovery (35 days) on every table. @default false */
    readonly pointInTimeRecovery: boolean;
    /**
     * Key `protectData`: tables, buckets and backup vaults cannot be replaced or deleted by a deploy
     * or destroy (deletion protection, `protect`, `retainOnDelete`); the Redis replication group is
     * `protect`ed; always true in PRODUCTION_ENVIRONMENTS. @default false
     */
    readonly protectData: boolean;
    /** Key `multiAz`: a Redis replica in another availability zone with automatic failover (needs `redisNodeCount` >= 2). @default false */
    readonly multiAz: boolean;
    /** Key `backups`: an AWS Backup daily plan for every table, kept `backupRetentionDays`. @default false */
    readonly backups: boolean;
    /** Key `alarms`: CloudWatch alarms to the SNS topic (the dashboard and the topic exist either way); needs `alarmEmail`. @default false */
    readonly alarms: boolean;
    /** Key `dataTrace`: API Gateway logs full request and response bodies (personal data). @default false */
    readonly dataTrace: boolean;
    /** Key `accessLogging`: S3 server access logs of the files and thumbnails buckets, to a log bucket of their own. @default false */
    readonly accessLogging: boolean;
    /** Key `auditTrail`: a multi-region CloudTrail trail with log file validation, and its bucket. @default false */
    readonly auditTrail: boolean;
    /** Key `multiRegion`: replicate the files bucket and copy backups to `secondaryRegion`. @default false */
    readonly multiRegion: boolean;
    /** Key `mfaDelete`: MFA delete is expected on the files bucket and its replica, which then get no lifecycle rules. @default false */
    readonly mfaDelete: boolean;
    /** Key `apiGatewayAccount`: manage the region-wide API Gateway CloudWatch role (one stack per account and region). @default true */
    readonly apiGatewayAccount: boolean;
    /** Key `demoData`: the seed writes the demo data set (users, channels, messages); off, it writes nothing; refused in PRODUCTION_ENVIRONMENTS. @default false */
    readonly demoData: boolean;
    /** Key `privateFiles`: the CDN serves files only with CloudFront signed URLs or cookies; false only in development. @default true */
    readonly privateFiles: boolean;
    /** Key `webAcl`: an AWS WAF web ACL on the API stage (managed rule groups, a per-IP rate limit); false only in development. @default false */
    readonly webAcl: boolean;

    // Network and cache.
    /** Key `vpcCidr`: IPv4 CIDR of the VPC to create, VPC_PREFIX (/16 to /25), at least a /26 per zone. @default "10.0.0.0/16" */
    readonly vpcCidr: string;
    /** Key `availabilityZones`: zones with a private and a public subnet, 2 to 6. @default 2 */
    readonly availabilityZones: number;
    /** Key `natGateways`: one NAT gateway (`Single`) or one per zone (`OnePerAz`, required with `multiAz`). @default "Single" */
    /**
     * Key `availabilityZoneCidrMask`: prefix length of each zone's range of `vpcCidr`, 16 to 26; zone `i`
     * always gets the `i`th range, whatever the zone count. @default 17
     */
    readonly availabilityZoneCidrMask: number;
    readonly natGateways: (typeof NAT_STRATEGIES)[number];
    /**
     * Keys `existingVpcId` and `existingPrivateSubnetIds` (at least two): an existing VPC and its
     * private subnets to use instead of creating a VPC. Both default to empty: a VPC is created.
     */
    readonly existingVpc?: { readonly vpcId: string; readonly privateSubnetIds: readonly string[] };
    /** Key `redisNodeType`: ElastiCache node type. @default "cache.t3.micro" */
    readonly redisNodeType: string;
    /** Key `redisNodeCount`: Redis nodes, a primary plus replicas, 1 to 6. @default 1 */
    readonly redisNodeCount: number;
    /** Key `redisEngine`: `redis` (Redis OSS) or `valkey`. @default "redis" */
    readonly redisEngine: RedisEngine;
    /** Key `redisEngineVersion`: a version ElastiCache offers for `redisEngine` (REDIS_ENGINE_VERSIONS), major.minor. @default "7.1" */
    readonly redisEngineVersion: string;
    /** Key `redisSnapshotRetentionDays`: days of daily Redis snapshots kept, 0 to 35; 0 turns snapshots off. @default 0 */
    readonly redisSnapshotRetentionDays: number;

    // Everything else.
    /** Key `logRetentionDays`: days every log group and the S3 access logs keep logs; a value CloudWatch accepts. @default 30 */
    readonly logRetentionDays: number;
    /** Key `thumbnailMaxDimension`: thumbnails fit inside a square of this many pixels, 16 to 2048. @default 256 */
    readonly thumbnailMaxDimension: number;
    /** The backend service (components/backend.ts). */
    readonly backend: {
        /** Key `backendImage`: image in the stack's own repository (isOwnRepositoryImage); unset until the first application deploy (everything but the task definition and the ECS service then). @default undefined */
        readonly image?: string;
        /** Key `backendRequired`: the health check fails when no backend answers /health. @default true */
        readonly required: boolean;
        /** Key `backendCpu`: CPU units per task (1024 = 1 vCPU), a size Fargate offers. @default 256 */
        readonly cpu: number;
        /** Key `backendMemory`: MiB per task, a size Fargate allows with `cpu`. @default 512 */
        readonly memory: number;
        /** Key `backendDesiredCount`: tasks to run (the starting count with autoscaling), from minCount to maxCount. @default 1 */
        readonly desiredCount: number;
        /** Key `backendMinCount`: fewest tasks autoscaling leaves; at least 2 with `multiAz`. @default 1 */
        readonly minCount: number;
        /** Key `backendMaxCount`: most tasks autoscaling starts. @default 1 */
        readonly maxCount: number;
        /** Key `backendAutoscaling`: target tracking on CPU and on requests per task. @default false */
        readonly autoscaling: boolean;
        /** Key `backendReadOnlyRootFilesystem`: the container's root filesystem is read-only, a writable /tmp mounted. @default true */
        readonly readOnlyRootFilesystem: boolean;
    };
    /** Key `cdnPriceClass`: CloudFront price class. @default "PriceClass_100" */
    readonly cdnPriceClass: (typeof PRICE_CLASSES)[number];
    /**
     * Keys `customDomain` and `customDomainZoneId`: the CDN's domain and the Route 53 zone that
     * validates its certificate. Both default to empty: the CloudFront domain is used.
     */
    readonly customDomain?: { readonly name: string; readonly zoneId: string };
    /** Key `alarmEmail`: e-mail address subscribed to the alarm topic; unset (empty) for none; required with `alarms`. @default undefined */
    readonly alarmEmail?: string;
    /** Key `backupRetentionDays`: days AWS Backup keeps each daily backup, 1 to 36500. @default 35 */
    readonly backupRetentionDays: number;
    /** Key `secondaryRegion`: second region for replication and backup copies; required with `multiRegion`. @default undefined */
    readonly secondaryRegion?: string;
    /** The stack's `aws:*` provider settings (parsed), for explicit providers; `defaultTags` holds REQUIRED_TAGS. */
    readonly awsProvider: Readonly<Partial<Record<AwsProviderKey, unknown>>>;
    /** Key `objectLockRetentionDays`: S3 Object Lock default retention (governance mode) of the files bucket and its replica, in days, 0 to 36500; 0 is off. @default 0 */
    readonly objectLockRetentionDays: number;
    /**
     * Key `cdnPublicKey`: PEM public key (RSA 2048 or ECDSA P-256) of the CDN's key group, with
     * exactly one trailing newline; required with `privateFiles`, refused without it. @default undefined
     */
    readonly cdnPublicKey?: string;
    /**
     * Keys `apiThrottlingRateLimit` and `apiThrottlingBurstLimit`: stage throttling of every method,
     * steady requests per second (1 to 10000, default 100) and burst (1 to 5000, default 200).
     */
    readonly apiThrottling: { readonly rateLimit: number; readonly burstLimit: number };
    /** Key `webAclRateLimit`: requests one client IP may send in 5 minutes before the web ACL blocks it, at least 10. @default 2000 */
    readonly webAclRateLimit: number;
}

/**
 * Every project key: the program's one list of them (index.ts reads these, `ConfigKey` types
 * them). Pulumi.yaml declares the same keys for the CLI; a test keeps the two equal.
 */
export const CONFIG_KEYS = [
    "environment",
    "frontendUrl",
    "pointInTimeRecovery",
    "protectData",
    "multiAz",
    "backups",
    "alarms",
    "dataTrace",
    "accessLogging",
    "auditTrail",
    "multiRegion",
    "mfaDelete",
    "apiGatewayAccount",
    "demoData",
    "vpcCidr",
    "availabilityZones",
    "availabilityZoneCidrMask",
    "natGateways",
    "existingVpcId",
    "existingPrivateSubnetIds",
    "redisNodeType",
    "redisNodeCount",
    "redisEngine",
    "redisEngineVersion",
    "redisSnapshotRetentionDays",
    "logRetentionDays",
    "thumbnailMaxDimension",
    "backendImage",
    "backendRequired",
    "backendCpu",
    "backendMemory",
    "backendDesiredCount",
    "backendMinCount",
    "backendMaxCount",
    "backendAutoscaling",
    "backendReadOnlyRootFilesystem",
    "cdnPriceClass",
    "customDomain",
    "customDomainZoneId",
    "alarmEmail",
    "backupRetentionDays",
    "secondaryRegion",
    "objectLockRetentionDays",
    "privateFiles",
    "cdnPublicKey",
    "apiThrottlingRateLimit",
    "apiThrottlingBurstLimit",
    "webAcl",
    "webAclRateLimit",
] as const;

export type ConfigKey = (typeof CONFIG_KEYS)[number];

type AwsKey = "aws:region" | `aws:${AwsProviderKey}` | `aws:${(typeof AWS_STATIC_CREDENTIAL_KEYS)[number]}`;

/** Raw config as Pulumi stores it: strings (arrays and maps as JSON), keyed by project key, plus `aws:region` and the AWS_PROVIDER_KEYS. */
export type RawConfig = Readonly<Partial<Record<ConfigKey | AwsKey, string>>>;

/** The regions @pulumi/aws knows (its `aws.Region` enum, the provider's list). */
export const AWS_REGIONS: readonly string[] = Object.values(Region);

/** `; did you mean "x"?` for the candidate nearest to `value` (a typo away), else "". */
export function suggestion(value: string, candidates: readonly string[]): string {
    if (value === "" || candidates.length === 0) return "";
    const nearest = closest(value, [...candidates]);
    return distance(value, nearest) <= Math.max(2, Math.floor(nearest.length / 3)) ? `; did you mean "${nearest}"?` : "";
}
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Collects every problem so one error lists them all. */
class Checker {
    readonly problems: string[] = [];
    /** Keys already reported as bad: a check that builds on a bad value adds no second line. */
    private readonly failed = new Set<string>();

    constructor(private readonly raw: RawConfig) {}

    /**
     * `<key>: got <value>; expected <allowed>`: a string quoted, a number as it is (as YAML wrote it);
     * undefined, for a key that is not set (or set to its empty default), is `<key>: missing; expected <allowed>`.
     */
    fail(key: string, value: unknown, allowed: string): void {
        if (this.failed.has(key)) return;
        this.failed.add(key);
        this.problems.push(`${key}: ${value === undefined ? "missing" : `got ${JSON.stringify(value)}`}; expected ${allowed}`);
    }

    /** `key` is set but means nothing without `needed`. */
    needs(key: ConfigKey, value: string | undefined, needed: string, shown = JSON.stringify(value)): void {
        if (value !== undefined) this.problems.push(`${key}: ${shown} has no effect without ${needed}; set that too, or remove ${key}`);
    }

    /**
     * The raw string, or undefined when missing: a problem (Pulumi.yaml declares a default for
     * every optional key), reported once; the checks on its value are skipped.
     */
    text(key: ConfigKey | AwsKey): string | undefined {
        const value = this.raw[key];
        if (value === undefined) {
            this.problems.push(
                `${key}: missing; set it in Pulumi.<stack>.yaml` + (key === "aws:region" ? "" : " or give it a default in Pulumi.yaml"),
            );
        }
        return value;
    }

    /** An optional string: the empty default means "not set". */
    optional(key: ConfigKey, valid: (v: string) => boolean, allowed: string): string | undefined {
        const value = this.text(key);
        if (value === undefined || value === "") return undefined;
        if (!valid(value)) this.fail(key, value, allowed);
        return value;
    }

    match(key: ConfigKey | AwsKey, valid: (v: string) => boolean, allowed: string): string {
        const value = this.text(key);
        if (value !== undefined && !valid(value)) this.fail(key, value, allowed);
        return value ?? "";
    }

    oneOf<T extends string>(key: ConfigKey | "aws:region", options: readonly T[], allowed = `one of ${options.join(", ")}`): T {
        const value = this.text(key);
        if (value !== undefined && !(options as readonly string[]).includes(value)) this.fail(key, value, `${allowed}${suggestion(value, options)}`);
        return (value ?? "") as T;
    }

    boolean(key: ConfigKey): boolean {
        const value = this.text(key);
        if (value !== undefined && value !== "true" && value !== "false") this.fail(key, value, "a boolean (true or false)");
        return value === "true";
    }

    integer(key: ConfigKey, min: number, max: number, allowed?: readonly number[]): number {
        const value = this.text(key);
        if (value === undefined) return min;
        const n = Number(value);
        // A number shown as one (got 300), as YAML wrote it; anything else quoted (got "300m").
        const shown = String(n) === value ? n : value;
        if (!/^-?\d+$/.test(value) || n < min || n > max) {
            this.fail(key, shown, `an integer from ${min} to ${max}`);
        } else if (allowed !== undefined && !allowed.includes(n)) {
            this.fail(key, shown, `one of ${allowed.join(", ")}`);
        }
        return n;
    }

    stringList(key: ConfigKey, valid: (v: string) => boolean, allowed: string): string[] {
        const value = this.text(key);
        if (value === undefined) return [];
        let parsed: unknown;
        try {
            parsed = JSON.parse(value);
        } catch {
            parsed = undefined;
        }
        if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string" && valid(item))) {
            this.fail(key, value, `a list of ${allowed}`);
            return [];
        }
        const repeated = parsed.filter((item, i) => parsed.indexOf(item) !== i);
        if (repeated.length > 0) {
            this.fail(key, value, `distinct ${allowed}; ${[...new Set(repeated)].map((r) => JSON.stringify(r)).join(", ")} appears more than once`);
            return parsed as string[]; // one problem: not also "at least two"
        }
        return parsed as string[];
    }

    /** A physical name this stack will create, against the naming rule of its resource type. */
    name(type: string, input: string, name: string): void {
        const problem = nameProblem(type, input, name);
        if (problem !== undefined) this.problems.push(problem);
    }
}

/**
 * What to say of an origin refused only for its upper case (the URL standard lower-cases scheme and
 * host, so that is how a browser sends its Origin): the lower-case form; undefined otherwise.
 */
function lowerCaseOrigin(value: string, allowLocalHttp: boolean): string | undefined {
    const lower = value.toLowerCase();
    if (lower === value || !isOrigin(lower, allowLocalHttp)) return undefined;
    return `lower case, as a browser sends its Origin (the CORS rules compare it exactly): ${JSON.stringify(lower)}`;
}

function isOrigin(value: string, allowLocalHttp: boolean): boolean {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return false;
    }
    const local = url.hostname === "localhost" || url.hostname === "127.0.0.1";
    const schemeOk = url.protocol === "https:" || (url.protocol === "http:" && local && allowLocalHttp);
    return schemeOk && url.origin === value;
}

/**
 * The stack's own image repository, where `backendImage` must be: `slack-clone-backend-{environment}`
 * (components/backend.ts) in the ECR registry of the stack's account and region,
 * `<account>.dkr.ecr.<region>.amazonaws.com` (`.amazonaws.com.cn` in the China regions:
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/Registries.html). The task's execution role
 * may pull from that repository only. `account` defaults to a placeholder, for messages.
 */
export function backendRepository(environment: string, region: string, account = "<12-digit account>"): string {
    return `${account}.dkr.ecr.${region}.amazonaws.com${region.startsWith("cn-") ? ".cn" : ""}/${physicalName("backend", environment)}`;
}

/**
 * `value` names an image of the stack's own repository (backendRepository, any 12-digit account) by
 * tag (`:1.4.2`, the Docker tag grammar: up to 128 of `[A-Za-z0-9_.-]`, not starting with `.` or `-`)
 * or by digest (`@sha256:<64 hex>`).
 */
export function isOwnRepositoryImage(value: string, environment: string, region: string): boolean {
    const repository = backendRepository(environment, region, "ACCOUNT").replace(/\./g, "\\.").replace("ACCOUNT", "\\d{12}");
    return new RegExp(`^${repository}(:\\w[\\w.-]{0,127}|@sha256:[0-9a-f]{64})$`).test(value);
}

/** `where` is the stack's environment and region, when both are known (else backendImage goes unchecked: one problem, one line). */
function backendConfig(c: Checker, multiAz: boolean, where?: { readonly environment: string; readonly region: string }): BackendConfig {
    const cpu = c.integer("backendCpu", 256, 16384, Object.keys(FARGATE_TASK_SIZES).map(Number));
    const memory = c.integer("backendMemory", 512, 122880);
    const sizes = FARGATE_TASK_SIZES[cpu];
    if (sizes !== undefined && !sizes.includes(memory)) {
        c.fail("backendMemory", memory, `a memory size Fargate allows with backendCpu ${cpu}: ${sizes.length > 4 ? `${sizes[0]} to ${sizes[sizes.length - 1]} in steps of ${sizes[1] - sizes[0]}` : sizes.join(", ")} (MiB)`);
    }
    const desiredCount = c.integer("backendDesiredCount", 0, 100);
    const minCount = c.integer("backendMinCount", 0, 100);
    const maxCount = c.integer("backendMaxCount", 1, 100);
    if (minCount > desiredCount || desiredCount > maxCount) {
        c.fail("backendDesiredCount", desiredCount, `a count from backendMinCount (${minCount}) to backendMaxCount (${maxCount})`);
    }
    if (multiAz && minCount < 2) c.fail("backendMinCount", minCount, "at least 2 when multiAz is true (a task in a second zone survives the loss of one)");
    const autoscaling = c.boolean("backendAutoscaling");
    if (autoscaling && maxCount <= minCount) {
        c.fail("backendMaxCount", maxCount, `more than backendMinCount (${minCount}) when backendAutoscaling is true (room to scale)`);
    }
    return {
        image: c.optional(
            "backendImage",
            (v) => where === undefined || isOwnRepositoryImage(v, where.environment, where.region),
            `an image in this stack's repository ${where === undefined ? "" : backendRepository(where.environment, where.region)}, by tag (:1.4.2) or digest (@sha256:...); ` +
                "the application deploy copies an image there and sets it (README, \"Application deploy\")",
        ),
        required: c.boolean("backendRequired"),
        cpu,
        memory,
        desiredCount,
        minCount,
        maxCount,
        autoscaling,
        readOnlyRootFilesystem: c.boolean("backendReadOnlyRootFilesystem"),
    };
}

/**
 * Account-level API Gateway throttle quota per region (requests per second, burst): a stage cannot
 * exceed it (API Gateway developer guide, "Amazon API Gateway quotas").
 */
export const API_ACCOUNT_THROTTLE = { rateLimit: 10000, burstLimit: 5000 } as const;
/** The lowest rate limit AWS WAF accepts in a rate-based rule (AWS WAF developer guide, "Rate-based rule high-level settings"). */
export const WAF_MIN_RATE_LIMIT = 10;

/**
 * A PEM public key CloudFront accepts for signed URLs and cookies: RSA 2048 or ECDSA 256
 * (CloudFront API reference, "PublicKey", https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_PublicKey.html).
 */
export function isCloudFrontPublicKey(pem: string): boolean {
    if (!pem.includes("-----BEGIN PUBLIC KEY-----")) return false;
    try {
        const key = createPublicKey(pem);
        const details = key.asymmetricKeyDetails;
        return (key.asymmetricKeyType === "rsa" && details?.modulusLength === 2048) || (key.asymmetricKeyType === "ec" && details?.namedCurve === "prime256v1");
    } catch {
        return false;
    }
}

/**
 * A public key's fingerprint, `SHA256:` and the unpadded base64 of the SHA-256 of its DER
 * SubjectPublicKeyInfo (the form `ssh-keygen -l` prints): what the CDN key commands and the health
 * check name a key by. Takes a PEM public or private key, or a KeyObject; throws on anything else.
 */
export function publicKeyFingerprint(key: string | KeyObject): string {
    const der = createPublicKey(key).export({ type: "spki", format: "der" });
    return `SHA256:${createHash("sha256").update(der).digest("base64").replace(/=+$/, "")}`;
}

/**
 * Prefix lengths of each zone's range of `vpcCidr` (`availabilityZoneCidrMask`). The longest, /26, is
 * the smallest range awsx's default layout (a private and a public subnet per zone) can split
 * (pulumi/pulumi-awsx awsx/ec2/subnetDistributorNew.ts, defaultSubnetInputs); /16 is the largest VPC.
 */
export const ZONE_CIDR_MASK = { min: 16, max: 26 } as const;
/** Availability zones a created VPC spans (`availabilityZones`). */
export const AVAILABILITY_ZONE_COUNT = { min: 2, max: 6 } as const;
/**
 * Prefix lengths of a VPC to create (`vpcCidr`): AWS allows /16 to /28
 * (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html), but the VPC must hold
 * AVAILABILITY_ZONE_COUNT.min zone ranges of at most ZONE_CIDR_MASK.max: /16 to /25.
 */
export const VPC_PREFIX = { min: 16, max: ZONE_CIDR_MASK.max - Math.ceil(Math.log2(AVAILABILITY_ZONE_COUNT.min)) } as const;

/** An IPv4 network in CIDR form with host bits zero and a prefix of VPC_PREFIX (/16 to /25). */
export function isVpcCidr(value: string): boolean {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
    if (m === null) return false;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix < VPC_PREFIX.min || prefix > VPC_PREFIX.max) return false;
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    return address % 2 ** (32 - prefix) === 0;
}

/** Blocks of prefix length `mask` that fit in a network of prefix length `prefix`. */
function blocksIn(prefix: number, mask: number): number {
    return mask < prefix ? 0 : 2 ** (mask - prefix);
}

/**
 * The stack's `aws:*` provider settings, parsed (JSON for lists and maps), with `defaultTags.tags`
 * checked to hold REQUIRED_TAGS: `project`, `environment` (the stack's), `stack` (its name, when
 * known) and `managed-by`.
 */
function awsProviderSettings(c: Checker, raw: RawConfig, environment: string, stack: string | undefined): Partial<Record<AwsProviderKey, unknown>> {
    const settings: Partial<Record<AwsProviderKey, unknown>> = {};
    for (const key of AWS_PROVIDER_KEYS) {
        const value = raw[`aws:${key}`];
        if (value === undefined || value === "") continue;
        const kind = AWS_PROVIDER_SETTING_KINDS[key];
        if (kind === "string") {
            settings[key] = value;
            continue;
        }
        let parsed: unknown;
        try {
            parsed = JSON.parse(value);
        } catch {
            parsed = undefined;
        }
        const fits =
            kind === "boolean" ? typeof parsed === "boolean" : kind === "number" ? Number.isInteger(parsed) && (parsed as number) >= 0 : typeof parsed === "object" && parsed !== null && Array.isArray(parsed) === (kind === "list");
        if (!fits) {
            c.fail(`aws:${key}`, value, kind === "boolean" ? "true or false" : kind === "number" ? "a whole number, 0 or more" : `a ${kind}, as \`pulumi config set --path\` stores it`);
        } else {
            settings[key] = parsed;
        }
    }
    const expected: Record<(typeof REQUIRED_TAGS)[number], string | undefined> = {
        project: PROJECT,
        // An unknown environment is one problem already (reported on its own line).
        environment: (ENVIRONMENTS as readonly string[]).includes(environment) ? environment : undefined,
        stack,
        "managed-by": MANAGED_BY,
    };
    for (const key of AWS_STATIC_CREDENTIAL_KEYS) {
        // Never the value: these are secrets.
        if (raw[`aws:${key}`] !== undefined && raw[`aws:${key}`] !== "") {
            c.problems.push(staticCredentialProblem(key));
        }
    }
    const tags = (settings.defaultTags as { tags?: Record<string, unknown> } | undefined)?.tags ?? {};
    const wrong = REQUIRED_TAGS.filter((tag) => typeof tags[tag] !== "string" || tags[tag] === "" || (expected[tag] !== undefined && tags[tag] !== expected[tag]));
    if (wrong.length > 0) {
        c.fail(
            "aws:defaultTags",
            settings.defaultTags,
            `tags ${REQUIRED_TAGS.map((t) => `${t}: ${expected[t] ?? "<stack name>"}`).join(", ")} ` +
                `(wrong or missing: ${wrong.join(", ")}); e.g. pulumi config set --path aws:defaultTags.tags.${wrong[0]} <value>`,
        );
    }
    return settings;
}

/**
 * Validates raw stack config and returns the typed, frozen config. Pure: no Pulumi calls. `stack`,
 * when given, is the stack's name, which its `stack` tag must carry and the error names.
 * Throws one error listing every bad key with its value and what is allowed (configProblems' lines).
 */
export function validateConfig(raw: RawConfig, stack?: string): StackConfig {
    const { config, problems } = checkConfig(raw, stack);
    if (problems.length > 0) {
        throw new Error(`Invalid configuration${stack === undefined ? "" : ` of stack "${stack}"`}:\n  - ${problems.join("\n  - ")}`);
    }
    return Object.freeze(config);
}

/**
 * Every problem `validateConfig` finds in `raw`, one line each (`<key>: got <value>; expected ...`
 * and the like); none when the config is valid.
 */
export function configProblems(raw: RawConfig, stack?: string): readonly string[] {
    return checkConfig(raw, stack).problems;
}

function checkConfig(raw: RawConfig, stack: string | undefined): { config: StackConfig; problems: readonly string[] } {
    const c = new Checker(raw);
    const environment = c.oneOf("environment", ENVIRONMENTS);
    const environmentKnown = (ENVIRONMENTS as readonly string[]).includes(environment);
    const region = c.oneOf("aws:region", AWS_REGIONS, "an AWS region @pulumi/aws knows, such as us-east-1");
    const development = environment === "development";
    const production = PRODUCTION_ENVIRONMENTS.includes(environment);
    // With an unknown environment, only the rules that hold in every environment apply (one problem, one line).
    const frontendUrl = c.match(
        "frontendUrl",
        (v) => isOrigin(v, development || !environmentKnown),
        lowerCaseOrigin(raw.frontendUrl ?? "", development || !environmentKnown) ??
            "an absolute https origin such as https://chat.example.com (no path or trailing slash)" +
                (development ? "; http://localhost:<port> is allowed in development" : "; http is allowed only in development"),
    );

    const multiAz = c.boolean("multiAz");
    const multiRegion = c.boolean("multiRegion");

    const vpcCidr = c.match(
        "vpcCidr",
        isVpcCidr,
        `an IPv4 CIDR from /${VPC_PREFIX.min} to /${VPC_PREFIX.max} with host bits zero, such as 10.0.0.0/16 ` +
            `(a VPC holds at least ${AVAILABILITY_ZONE_COUNT.min} zone ranges of /${ZONE_CIDR_MASK.max} or larger)`,
    );
    const existingVpcId = c.optional("existingVpcId", (v) => /^vpc-[0-9a-f]{8,17}$/.test(v), "a VPC id such as vpc-0123456789abcdef0");
    const existingPrivateSubnetIds = c.stringList(
        "existingPrivateSubnetIds",
        (v) => /^subnet-[0-9a-f]{8,17}$/.test(v),
        "subnet ids such as subnet-0123456789abcdef0",
    );
    if (existingVpcId !== undefined && existingPrivateSubnetIds.length < 2) {
        c.fail("existingPrivateSubnetIds", existingPrivateSubnetIds, "at least two private subnet ids (in two AZs) when existingVpcId is set");
    }
    if (existingVpcId === undefined && existingPrivateSubnetIds.length > 0) {
        c.fail("existingVpcId", undefined, "the id of the VPC those existingPrivateSubnetIds belong to");
    }

    const availabilityZones = c.integer("availabilityZones", AVAILABILITY_ZONE_COUNT.min, AVAILABILITY_ZONE_COUNT.max);
    const availabilityZoneCidrMask = c.integer("availabilityZoneCidrMask", ZONE_CIDR_MASK.min, ZONE_CIDR_MASK.max);
    if (existingVpcId === undefined && isVpcCidr(vpcCidr)) {
        const prefix = Number(vpcCidr.split("/")[1]);
        // The shortest mask that carves `availabilityZones` ranges out of the VPC.
        const shortest = prefix + Math.ceil(Math.log2(availabilityZones));
        const fitting = availabilityZoneCidrMask < prefix ? ZONE_CIDR_MASK.max : availabilityZoneCidrMask;
        const fit = blocksIn(prefix, fitting);
        if (fit < availabilityZones) {
            c.fail(
                "availabilityZones",
                availabilityZones,
                `at most ${fit}: ${vpcCidr} holds ${fit} zone ranges of /${fitting}. ` +
                    "Changing availabilityZoneCidrMask re-carves every subnet; create a larger VPC instead",
            );
        } else if (availabilityZoneCidrMask < prefix) {
            const masks = shortest === ZONE_CIDR_MASK.max ? `/${shortest}` : `/${shortest} to /${ZONE_CIDR_MASK.max}`;
            c.fail("availabilityZoneCidrMask", availabilityZoneCidrMask, `${masks} (${availabilityZones} zone ranges inside vpcCidr ${vpcCidr})`);
        }
    }

    const natGateways = c.oneOf("natGateways", NAT_STRATEGIES);
    // The private subnets reach ECR, Secrets Manager and CloudWatch Logs through NAT (S3 and DynamoDB
    // through gateway endpoints): with one NAT gateway, losing its zone stops the other zones' new tasks.
    if (multiAz && existingVpcId === undefined && natGateways === "Single") {
        c.fail("natGateways", natGateways, "OnePerAz when multiAz is true (with a single NAT gateway, losing its zone cuts the other zones' tasks off ECR, Secrets Manager and CloudWatch Logs)");
    }

    const redisNodeCount = c.integer("redisNodeCount", 1, 6);
    if (multiAz && redisNodeCount < 2) {
        c.fail("redisNodeCount", redisNodeCount, "at least 2 when multiAz is true (a primary and a replica in another AZ)");
    }

    const customDomainName = c.optional("customDomain", (v) => HOSTNAME.test(v), "a lower-case DNS name of at most 253 characters, labels of at most 63");
    const customDomainZoneId = c.optional("customDomainZoneId", (v) => /^Z[A-Z0-9]{1,31}$/.test(v), "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ");
    if (customDomainName !== undefined && customDomainZoneId === undefined) {
        c.fail("customDomainZoneId", undefined, `the Route 53 hosted zone that validates the certificate for ${customDomainName}`);
    }
    if (customDomainName === undefined) c.needs("customDomainZoneId", customDomainZoneId, "customDomain (the domain this zone validates)");

    const secondaryRegion = c.optional(
        "secondaryRegion",
        (v) => AWS_REGIONS.includes(v) && v !== region,
        `an AWS region @pulumi/aws knows, other than aws:region (${region})${suggestion(raw.secondaryRegion ?? "", AWS_REGIONS.filter((r) => r !== region))}`,
    );
    if (multiRegion && secondaryRegion === undefined) {
        c.fail("secondaryRegion", undefined, "a second AWS region when multiRegion is true");
    }
    if (!multiRegion) c.needs("secondaryRegion", secondaryRegion, "multiRegion: true (replication and backup copies to it)");
    // Endpoints are URLs of one region's services: the explicit providers of the other regions, which
    // carry every aws:* setting, would send their calls to this region's.
    if ((multiRegion || customDomainName !== undefined) && raw["aws:endpoints"] !== undefined && raw["aws:endpoints"] !== "") {
        c.problems.push(
            `aws:endpoints: not with ${multiRegion ? "multiRegion" : "customDomain"} (its provider in ${multiRegion ? "secondaryRegion" : "us-east-1"} would call ${region}'s endpoints); remove it, or turn that off`,
        );
    }
    const alarms = c.boolean("alarms");

    const redisEngine = c.oneOf("redisEngine", REDIS_ENGINES);
    const redisEngineVersion = c.text("redisEngineVersion") ?? "";
    if (REDIS_ENGINES.includes(redisEngine) && raw.redisEngineVersion !== undefined) {
        try {
            redisParameterGroupFamily(redisEngine, redisEngineVersion);
        } catch {
            const offered = Object.keys(REDIS_ENGINE_VERSIONS[redisEngine]).join(", ");
            // An unquoted 7.0 reaches the program as "7": say to quote it, where the quoted version is one offered.
            const quoted = `${redisEngineVersion}.0`;
            const unquoted =
                /^\d+$/.test(redisEngineVersion) && quoted in REDIS_ENGINE_VERSIONS[redisEngine]
                    ? ` (an unquoted ${quoted} in YAML is read as the number ${redisEngineVersion}: quote it, "${quoted}")`
                    : "";
            c.fail(
                "redisEngineVersion",
                redisEngineVersion,
                `a version ElastiCache offers for redisEngine ${redisEngine}: ${offered}` +
                    (redisEngine === "redis" ? " (Redis OSS ends at 7.1; later versions are redisEngine valkey)" : "") +
                    unquoted,
            );
        }
    }
    const outsideDevelopment = !development && environmentKnown;
    const privateFiles = fixedBoolean(c, "privateFiles", true, outsideDevelopment, "outside development", "staging and production serve files only with signed URLs or cookies");
    const cdnPublicKey = privateFiles
        ? c.optional(
              "cdnPublicKey",
              isCloudFrontPublicKey,
              `a PEM public key (-----BEGIN PUBLIC KEY-----), RSA 2048 or ECDSA P-256: npm run cdn-key -- ${stack ?? "<stack>"} makes a pair and writes it (README, "Private files")`,
          )
        : c.text("cdnPublicKey") || undefined;
    if (!privateFiles && c.problems.every((p) => !p.startsWith("privateFiles:"))) {
        // A PEM's many lines are not repeated in the message: its fingerprint names it.
        const key = cdnPublicKey !== undefined && isCloudFrontPublicKey(cdnPublicKey) ? `a PEM public key (${publicKeyFingerprint(cdnPublicKey)})` : undefined;
        c.needs("cdnPublicKey", cdnPublicKey, "privateFiles: true (signed URLs are what the key verifies)", key);
    }
    if (privateFiles && cdnPublicKey === undefined) {
        c.fail("cdnPublicKey", undefined, `the public key of the CDN's key group when privateFiles is true: npm run cdn-key -- ${stack ?? "<stack>"} makes a pair and writes it (README, "Private files")`);
    }
    const rateLimit = c.integer("apiThrottlingRateLimit", 1, API_ACCOUNT_THROTTLE.rateLimit);
    const burstLimit = c.integer("apiThrottlingBurstLimit", 1, API_ACCOUNT_THROTTLE.burstLimit);

    const config: StackConfig = {
        environment,
        region,
        frontendUrl,
        pointInTimeRecovery: c.boolean("pointInTimeRecovery"),
        protectData: fixedBoolean(c, "protectData", true, production, IN_PRODUCTION, "their tables, buckets and Redis are never replaced or deleted by a deploy or destroy"),
        multiAz,
        backups: c.boolean("backups"),
        alarms,
        dataTrace: c.boolean("dataTrace"),
        accessLogging: c.boolean("accessLogging"),
        auditTrail: c.boolean("auditTrail"),
        multiRegion,
        mfaDelete: c.boolean("mfaDelete"),
        apiGatewayAccount: c.boolean("apiGatewayAccount"),
        demoData: fixedBoolean(c, "demoData", false, production, IN_PRODUCTION, "demo users, channels and messages do not belong among the product's real users"),
        privateFiles,
        webAcl: fixedBoolean(c, "webAcl", true, outsideDevelopment, "outside development", "staging and production keep the AWS WAF web ACL on the API stage"),
        vpcCidr,
        availabilityZones,
        availabilityZoneCidrMask,
        natGateways,
        existingVpc: existingVpcId === undefined ? undefined : { vpcId: existingVpcId, privateSubnetIds: existingPrivateSubnetIds },
        redisNodeType: c.match("redisNodeType", (v) => /^cache\.[a-z0-9]+\.[a-z0-9]+$/.test(v), "an ElastiCache node type such as cache.t3.micro"),
        redisNodeCount,
        redisEngine,
        redisEngineVersion,
        redisSnapshotRetentionDays: c.integer("redisSnapshotRetentionDays", 0, 35),
        logRetentionDays: c.integer("logRetentionDays", 1, 3653, LOG_RETENTION_DAYS),
        thumbnailMaxDimension: c.integer("thumbnailMaxDimension", 16, 2048),
        backend: backendConfig(c, multiAz, environmentKnown && AWS_REGIONS.includes(region) ? { environment, region } : undefined),
        cdnPriceClass: c.oneOf("cdnPriceClass", PRICE_CLASSES),
        customDomain: customDomainName === undefined ? undefined : { name: customDomainName, zoneId: customDomainZoneId ?? "" },
        alarmEmail: alarmEmail(c, alarms),
        backupRetentionDays: c.integer("backupRetentionDays", 1, 36500),
        secondaryRegion,
        awsProvider: Object.freeze(awsProviderSettings(c, raw, environment, stack)),
        objectLockRetentionDays: c.integer("objectLockRetentionDays", 0, 36500),
        // One trailing newline, whether the value came from a YAML block or `pulumi config set "$(cat key.pem)"`:
        // the provider sees a key without it as changed on every deploy.
        cdnPublicKey: privateFiles && cdnPublicKey !== undefined ? `${cdnPublicKey.trim()}\n` : undefined,
        apiThrottling: { rateLimit, burstLimit },
        webAclRateLimit: c.integer("webAclRateLimit", WAF_MIN_RATE_LIMIT, 2_000_000_000),
    };

    // The longest names this stack will create (an account id is 12 digits); an unknown environment is one problem already.
    if (environmentKnown) {
        c.name("aws:s3/bucket:Bucket", "bucket", physicalName("files-replica", environment, "123456789012"));
        c.name("aws:elasticache/replicationGroup:ReplicationGroup", "replicationGroupId", physicalName("redis", environment));
        c.name("aws:lambda/function:Function", "name", physicalName("thumbnail", environment));
        c.name("aws:lb/loadBalancer:LoadBalancer", "name", physicalName("alb", environment));
        c.name("aws:lb/targetGroup:TargetGroup", "name", physicalName("tg", environment));
        c.name("aws:iam/role:Role", "name", physicalName("backend-execution", environment));
    }

    return { config, problems: c.problems };
}

/**
 * The alarm topic's e-mail subscriber: only alarms notify that topic, so it needs them on; and alarms
 * that notify nobody are not monitoring, so alarms need it. Whether anyone confirmed it is the
 * health check's to say (deploy/health.ts, checkAlarmSubscriptions).
 */
function alarmEmail(c: Checker, alarms: boolean): string | undefined {
    const email = c.optional("alarmEmail", (v) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v), "an e-mail address");
    if (!alarms) c.needs("alarmEmail", email, "alarms: true (nothing else notifies the alarm topic)");
    if (alarms && email === undefined && c.problems.every((p) => !p.startsWith("alarmEmail:"))) {
        c.fail("alarmEmail", undefined, "an address to notify when alarms is true (alarms that notify nobody are not monitoring)");
    }
    return email;
}

/**
 * A capability held at `required` where `applies` (`where` names those environments, `why` says
 * why), whatever the config says: production's data protection, and the signed URLs and web ACL of
 * every environment but development. Refused once: not again after the key's own type error.
 */
function fixedBoolean(c: Checker, key: ConfigKey, required: boolean, applies: boolean, where: string, why: string): boolean {
    const value = c.boolean(key);
    if (applies && value !== required && c.problems.every((p) => !p.startsWith(`${key}:`))) {
        c.fail(key, value, `${required} ${where}: ${why}`);
    }
    return value;
}

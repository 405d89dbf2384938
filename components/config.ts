/**
 * Stack configuration: read once, validated, frozen, passed down as plain values.
 *
 * Defaults live in one place, the `config:` block of Pulumi.yaml (the CLI merges them under each
 * stack's values); each Pulumi.<stack>.yaml holds only what differs. Differences between
 * environments are named capabilities (`pointInTimeRecovery`, `protectData`, ...), never
 * `if (environment === "production")` in a component.
 */
import * as pulumi from "@pulumi/pulumi";
import { Region } from "@pulumi/aws/types/enums";
import { closest, distance } from "fastest-levenshtein";
import { nameProblem, physicalName } from "./naming";

/**
 * `production-dr` is production rebuilt in its second region after losing the first
 * (docs/disaster-recovery.md): its own names, since S3 bucket and IAM role names are global.
 */
export const ENVIRONMENTS = ["development", "staging", "production", "production-dr"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const NAT_STRATEGIES = ["Single", "OnePerAz"] as const;
export const PRICE_CLASSES = ["PriceClass_100", "PriceClass_200", "PriceClass_All"] as const;

/**
 * The validated config of a stack. Each field names its key (declared in Pulumi.yaml's `config:`
 * block with type, description and default; set per stack in Pulumi.<stack>.yaml) and its default.
 */
export interface StackConfig {
    /** Key `environment` (required): the last part of every physical name, and the API's stage name. */
    readonly environment: Environment;
    /** Key `aws:region` (required, per stack): where the stack deploys. */
    readonly region: string;
    /** Key `frontendUrl` (required): origin of the web front end, the CORS origin of the API and the files bucket; https, or http://localhost in development. */
    readonly frontendUrl: string;

    // Capabilities: what differs between environments.
    /** Key `pointInTimeRecovery`: point-in-time recovery (35 days) on every table. @default false */
    readonly pointInTimeRecovery: boolean;
    /**
     * Key `protectData`: tables, buckets and backup vaults cannot be replaced or deleted by a deploy
     * or destroy (deletion protection, `protect`, `retainOnDelete`); the Redis replication group is
     * `protect`ed. @default false
     */
    readonly protectData: boolean;
    /** Key `multiAz`: a Redis replica in another availability zone with automatic failover (needs `redisNodeCount` >= 2). @default false */
    readonly multiAz: boolean;
    /** Key `backups`: an AWS Backup daily plan for every table, kept `backupRetentionDays`. @default false */
    readonly backups: boolean;
    /** Key `alarms`: CloudWatch alarms to the SNS topic (the dashboard and the topic exist either way). @default false */
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

    // Network and cache.
    /** Key `vpcCidr`: IPv4 CIDR of the VPC to create, /16 to /28, at least a /26 per zone. @default "10.0.0.0/16" */
    readonly vpcCidr: string;
    /** Key `availabilityZones`: zones with a private and a public subnet, 2 to 6. @default 2 */
    readonly availabilityZones: number;
    /** Key `natGateways`: one NAT gateway (`Single`) or one per zone (`OnePerAz`). @default "Single" */
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
    /** Key `redisEngineVersion`: pinned Redis engine version, major.minor. @default "7.1" */
    readonly redisEngineVersion: string;
    /** Key `redisSnapshotRetentionDays`: days of daily Redis snapshots kept, 0 to 35; 0 turns snapshots off. @default 0 */
    readonly redisSnapshotRetentionDays: number;

    // Everything else.
    /** Key `logRetentionDays`: days every log group and the S3 access logs keep logs; a value CloudWatch accepts. @default 30 */
    readonly logRetentionDays: number;
    /** Key `thumbnailMaxDimension`: thumbnails fit inside a square of this many pixels, 16 to 2048. @default 256 */
    readonly thumbnailMaxDimension: number;
    /** Key `backendUrl`: base URL of the backend (port 8000) the API proxies to; unset (empty) leaves the proxy route out. @default undefined */
    readonly backendUrl?: string;
    /** Key `cdnPriceClass`: CloudFront price class. @default "PriceClass_100" */
    readonly cdnPriceClass: (typeof PRICE_CLASSES)[number];
    /**
     * Keys `customDomain` and `customDomainZoneId`: the CDN's domain and the Route 53 zone that
     * validates its certificate. Both default to empty: the CloudFront domain is used.
     */
    readonly customDomain?: { readonly name: string; readonly zoneId: string };
    /** Key `alarmEmail`: e-mail address subscribed to the alarm topic; unset (empty) for none. @default undefined */
    readonly alarmEmail?: string;
    /** Key `backupRetentionDays`: days AWS Backup keeps each daily backup, 1 to 36500. @default 35 */
    readonly backupRetentionDays: number;
    /** Key `secondaryRegion`: second region for replication and backup copies; required with `multiRegion`. @default undefined */
    readonly secondaryRegion?: string;
}

/**
 * Every project key: the program's one list of them (loadConfig reads these, `ConfigKey` types
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
    "vpcCidr",
    "availabilityZones",
    "natGateways",
    "existingVpcId",
    "existingPrivateSubnetIds",
    "redisNodeType",
    "redisNodeCount",
    "redisEngineVersion",
    "redisSnapshotRetentionDays",
    "logRetentionDays",
    "thumbnailMaxDimension",
    "backendUrl",
    "cdnPriceClass",
    "customDomain",
    "customDomainZoneId",
    "alarmEmail",
    "backupRetentionDays",
    "secondaryRegion",
] as const;

export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** Raw config as Pulumi stores it: strings (arrays as JSON), keyed by project key, plus `aws:region`. */
export type RawConfig = Readonly<Partial<Record<ConfigKey | "aws:region", string>>>;

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

    constructor(private readonly raw: RawConfig) {}

    fail(key: string, value: unknown, allowed: string): void {
        this.problems.push(`${key}: got ${JSON.stringify(value)}; expected ${allowed}`);
    }

    /** `key` is set but means nothing without `needed`. */
    needs(key: ConfigKey, value: string | undefined, needed: string): void {
        if (value !== undefined) this.problems.push(`${key}: ${JSON.stringify(value)} has no effect without ${needed}; set that too, or remove ${key}`);
    }

    /**
     * The raw string, or undefined when missing: a problem (Pulumi.yaml declares a default for
     * every optional key), reported once; the checks on its value are skipped.
     */
    text(key: ConfigKey | "aws:region"): string | undefined {
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

    match(key: ConfigKey | "aws:region", valid: (v: string) => boolean, allowed: string): string {
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
        if (!/^-?\d+$/.test(value) || n < min || n > max) {
            this.fail(key, value, `an integer from ${min} to ${max}`);
        } else if (allowed !== undefined && !allowed.includes(n)) {
            this.fail(key, value, `one of ${allowed.join(", ")}`);
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

function isHttpUrl(value: string): boolean {
    try {
        const url = new URL(value);
        return url.protocol === "https:" || url.protocol === "http:";
    } catch {
        return false;
    }
}

/** An IPv4 network in CIDR form with host bits zero and a prefix AWS accepts for a VPC (/16 to /28). */
export function isVpcCidr(value: string): boolean {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
    if (m === null) return false;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix < 16 || prefix > 28) return false;
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    return address % 2 ** (32 - prefix) === 0;
}

/**
 * Validates raw stack config and returns the typed, frozen config. Pure: no Pulumi calls.
 * Throws one error listing every bad key with its value and what is allowed.
 */
export function validateConfig(raw: RawConfig): StackConfig {
    const c = new Checker(raw);
    const environment = c.oneOf("environment", ENVIRONMENTS);
    const environmentKnown = (ENVIRONMENTS as readonly string[]).includes(environment);
    const region = c.oneOf("aws:region", AWS_REGIONS, "an AWS region @pulumi/aws knows, such as us-east-1");
    const development = environment === "development";
    // With an unknown environment, only the rules that hold in every environment apply (one problem, one line).
    const frontendUrl = c.match(
        "frontendUrl",
        (v) => isOrigin(v, development || !environmentKnown),
        "an absolute https origin such as https://chat.example.com (no path or trailing slash)" +
            (development ? "; http://localhost:<port> is allowed in development" : "; http is allowed only in development"),
    );

    const multiAz = c.boolean("multiAz");
    const multiRegion = c.boolean("multiRegion");

    const vpcCidr = c.match("vpcCidr", isVpcCidr, "an IPv4 CIDR from /16 to /28 with host bits zero, such as 10.0.0.0/16");
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
        c.fail("existingVpcId", "", "the id of the VPC those existingPrivateSubnetIds belong to");
    }

    const availabilityZones = c.integer("availabilityZones", 2, 6);
    // awsx's default layout (a private and a public subnet per zone) needs at least a /26 per zone.
    const zoneBits = Math.ceil(Math.log2(availabilityZones));
    if (existingVpcId === undefined && isVpcCidr(vpcCidr) && Number(vpcCidr.split("/")[1]) + zoneBits > 26) {
        c.fail("vpcCidr", vpcCidr, `a /${26 - zoneBits} or larger network: ${availabilityZones} availability zones need at least a /26 each`);
    }

    const redisNodeCount = c.integer("redisNodeCount", 1, 6);
    if (multiAz && redisNodeCount < 2) {
        c.fail("redisNodeCount", redisNodeCount, "at least 2 when multiAz is true (a primary and a replica in another AZ)");
    }

    const customDomainName = c.optional("customDomain", (v) => HOSTNAME.test(v), "a lower-case DNS name of at most 253 characters, labels of at most 63");
    const customDomainZoneId = c.optional("customDomainZoneId", (v) => /^Z[A-Z0-9]{1,31}$/.test(v), "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ");
    if (customDomainName !== undefined && customDomainZoneId === undefined) {
        c.fail("customDomainZoneId", "", `the Route 53 hosted zone that validates the certificate for ${customDomainName}`);
    }
    if (customDomainName === undefined) c.needs("customDomainZoneId", customDomainZoneId, "customDomain (the domain this zone validates)");

    const secondaryRegion = c.optional(
        "secondaryRegion",
        (v) => AWS_REGIONS.includes(v) && v !== region,
        `an AWS region @pulumi/aws knows, other than aws:region (${region})${suggestion(raw.secondaryRegion ?? "", AWS_REGIONS.filter((r) => r !== region))}`,
    );
    if (multiRegion && secondaryRegion === undefined) {
        c.fail("secondaryRegion", "", "a second AWS region when multiRegion is true");
    }
    if (!multiRegion) c.needs("secondaryRegion", secondaryRegion, "multiRegion: true (replication and backup copies to it)");
    const alarms = c.boolean("alarms");

    const config: StackConfig = {
        environment,
        region,
        frontendUrl,
        pointInTimeRecovery: c.boolean("pointInTimeRecovery"),
        protectData: c.boolean("protectData"),
        multiAz,
        backups: c.boolean("backups"),
        alarms,
        dataTrace: c.boolean("dataTrace"),
        accessLogging: c.boolean("accessLogging"),
        auditTrail: c.boolean("auditTrail"),
        multiRegion,
        mfaDelete: c.boolean("mfaDelete"),
        apiGatewayAccount: c.boolean("apiGatewayAccount"),
        vpcCidr,
        availabilityZones,
        natGateways: c.oneOf("natGateways", NAT_STRATEGIES),
        existingVpc: existingVpcId === undefined ? undefined : { vpcId: existingVpcId, privateSubnetIds: existingPrivateSubnetIds },
        redisNodeType: c.match("redisNodeType", (v) => /^cache\.[a-z0-9]+\.[a-z0-9]+$/.test(v), "an ElastiCache node type such as cache.t3.micro"),
        redisNodeCount,
        redisEngineVersion: c.match(
            "redisEngineVersion",
            (v) => /^\d+\.\d+$/.test(v),
            `a pinned major.minor Redis version such as 7.1, as a string${/^\d+$/.test(raw.redisEngineVersion ?? "") ? ` (an unquoted ${raw.redisEngineVersion}.0 in YAML is read as the number ${raw.redisEngineVersion}: quote it, "${raw.redisEngineVersion}.0")` : ""}`,
        ),
        redisSnapshotRetentionDays: c.integer("redisSnapshotRetentionDays", 0, 35),
        logRetentionDays: c.integer("logRetentionDays", 1, 3653, LOG_RETENTION_DAYS),
        thumbnailMaxDimension: c.integer("thumbnailMaxDimension", 16, 2048),
        backendUrl: c.optional("backendUrl", isHttpUrl, "an absolute http(s) URL of the backend, such as http://backend.internal:8000"),
        cdnPriceClass: c.oneOf("cdnPriceClass", PRICE_CLASSES),
        customDomain: customDomainName === undefined ? undefined : { name: customDomainName, zoneId: customDomainZoneId ?? "" },
        alarmEmail: alarmEmail(c, alarms),
        backupRetentionDays: c.integer("backupRetentionDays", 1, 36500),
        secondaryRegion,
    };

    // The longest names this stack will create (an account id is 12 digits); an unknown environment is one problem already.
    if (environmentKnown) {
        c.name("aws:s3/bucket:Bucket", "bucket", physicalName("files-replica", environment, "123456789012"));
        c.name("aws:elasticache/replicationGroup:ReplicationGroup", "replicationGroupId", physicalName("redis", environment));
        c.name("aws:lambda/function:Function", "name", physicalName("thumbnail", environment));
    }

    if (c.problems.length > 0) {
        throw new Error(`Invalid stack configuration:\n  - ${c.problems.join("\n  - ")}`);
    }
    return Object.freeze(config);
}

/** The alarm topic's e-mail subscriber: only alarms notify that topic, so it needs them on. */
function alarmEmail(c: Checker, alarms: boolean): string | undefined {
    const email = c.optional("alarmEmail", (v) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v), "an e-mail address");
    if (!alarms) c.needs("alarmEmail", email, "alarms: true (nothing else notifies the alarm topic)");
    return email;
}

/** Reads the current stack's config once. Components never read config themselves. */
export function loadConfig(): StackConfig {
    const project = new pulumi.Config();
    const raw: Partial<Record<ConfigKey | "aws:region", string>> = { "aws:region": new pulumi.Config("aws").get("region") };
    for (const key of CONFIG_KEYS) raw[key] = project.get(key);
    return validateConfig(raw);
}

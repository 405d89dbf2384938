/**
 * The product's security rules as CrossGuard policies. Plain data and functions: `index.ts` serves
 * them to the Pulumi CLI as a policy pack, and the tests run them offline over every stack's
 * recorded resources.
 *
 * Rules that depend on the stack (point-in-time recovery, protection, the stack's region) read the
 * stack's own config, which the CLI hands to a policy pack as it hands it to the program
 * (`stackSettings`). A rule reads resource inputs only by type token, so the pack needs no
 * provider SDK.
 */
import type {
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { UnknownValueError } from "@pulumi/policy";
import { MANAGED_BY, PRODUCTION_ENVIRONMENTS, PROJECT, REQUIRED_TAGS } from "../components/naming";

/** What the rules need to know of the stack, from its config. */
export interface StackSettings {
    /** `environment`: data in PRODUCTION_ENVIRONMENTS is always protected, whatever `protectData` says. */
    readonly environment?: string;
    /** `aws:region`. */
    readonly region?: string;
    /** `secondaryRegion`: replicas, backup copies and the rebuild there are expected. */
    readonly secondaryRegion?: string;
    /** `pointInTimeRecovery`: every table must have it. */
    readonly pointInTimeRecovery: boolean;
    /** `protectData`: tables and buckets must be protected. */
    readonly protectData: boolean;
    /** `privateFiles` (true unless set to false, as in Pulumi.yaml): the files' distribution needs trusted key groups. */
    readonly privateFiles: boolean;
}

/** Settings from a stack's config as the CLI passes it (`namespace:key` -> string); unset booleans are false, as in Pulumi.yaml. */
export function stackSettings(config: Readonly<Record<string, string>>): StackSettings {
    const value = (key: string): string | undefined => config[`${PROJECT}:${key}`] || undefined;
    return {
        environment: value("environment"),
        region: config["aws:region"] || undefined,
        secondaryRegion: value("secondaryRegion"),
        pointInTimeRecovery: value("pointInTimeRecovery") === "true",
        protectData: value("protectData") === "true",
        privateFiles: value("privateFiles") !== "false",
    };
}

/**
 * Security group rules that may admit the whole internet (0.0.0.0/0 or ::/0), by logical resource
 * name, each with the reason. None today: nothing of the product listens on the internet directly
 * (CloudFront and API Gateway are managed endpoints).
 */
export const WORLD_INGRESS_ALLOWED: Readonly<Record<string, string>> = {};

/**
 * Actions AWS authorizes only on `Resource: "*"` (they support no resource-level permissions): a
 * statement may grant these, and only these, on "*".
 */
export const WILDCARD_RESOURCE_ACTIONS: Readonly<Record<string, string>> = {
    "cloudwatch:PutMetricData": "no resource-level permissions; narrow it with the cloudwatch:namespace condition key",
    "ec2:DescribeNetworkInterfaces": "EC2 Describe actions support no resource-level permissions (a Lambda function in a VPC needs it)",
    "ecr:GetAuthorizationToken":
        "the registry login token is account-wide, authorized only on \"*\" (https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html); an ECS execution role needs it to pull",
    "xray:PutTelemetryRecords": "X-Ray supports no resource-level permissions for it",
    "xray:PutTraceSegments": "X-Ray supports no resource-level permissions for it (active tracing)",
};

/**
 * AWS managed policies a role may have attached, by name (the part after `policy/`), each with the
 * reason. Any other AWS managed policy is refused: the product's roles carry inline least-privilege
 * policies. None is attached today; these are the service-role policies AWS documents for services
 * the product uses, should a role need one.
 */
export const MANAGED_POLICIES_ALLOWED: Readonly<Record<string, string>> = {
    "service-role/AWSBackupServiceRolePolicyForBackup": "the policy AWS Backup documents for its service role's backup jobs",
    "service-role/AWSBackupServiceRolePolicyForRestores": "the policy AWS Backup documents for its service role's restore jobs",
};

/** AWS managed policies never attached, whatever the list above says: full control of the account or of a service. */
const FORBIDDEN_MANAGED_POLICIES = [/^AdministratorAccess$/, /FullAccess$/, /^PowerUser/];

/**
 * Condition keys a role's trust policy must test, per service principal, where AWS documents them
 * against the confused deputy problem (IAM user guide, "The confused deputy problem"). None for the
 * services the product's roles trust today: S3's guide gives live replication's trust policy without
 * conditions (a condition on a key S3 does not send would stop replication silently; see
 * components/storage.ts), Lambda, API Gateway and AWS Backup document none for their roles, and ECS
 * documents them for task roles (which the backend's task role carries) but not for the task
 * execution role the same principal assumes (components/backend.ts).
 */
export const SERVICE_TRUST_CONDITIONS: Readonly<Record<string, readonly string[]>> = {};

/** Regions AWS itself fixes for some resources, whatever the stack's region, with the types that may name them. */
export const FIXED_REGIONS: Readonly<Record<string, { readonly types: readonly string[]; readonly reason: string }>> = {
    "us-east-1": {
        types: ["pulumi:providers:aws", "aws:cloudfront/distribution:Distribution"],
        reason: "CloudFront reads viewer certificates from ACM in us-east-1 only: the certificate's provider, and the distribution's certificate ARN",
    },
};

const TABLE = "aws:dynamodb/table:Table";
const BUCKET = "aws:s3/bucket:Bucket";
const BUCKET_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";
const BUCKET_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const BUCKET_ACLS = ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"];
const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
const SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
const INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";
const CACHE_CLUSTER = "aws:elasticache/cluster:Cluster";
const ROLE = "aws:iam/role:Role";
/** IAM resources whose `policy` input is one policy document. */
const POLICY_DOCUMENTS = ["aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy", BUCKET_POLICY];
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
/** Resources that attach a managed policy: `policyArn`, or a role's `managedPolicyArns`. */
const POLICY_ATTACHMENTS = [
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
];
const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";
/** The files bucket's name, `slack-clone-files-{environment}-{account}` (not its replica's). */
const FILES_BUCKET = new RegExp(`^${PROJECT}-files-(?!replica-)`);
const LAMBDA_FUNCTION = "aws:lambda/function:Function";
const ECS_SERVICE = "aws:ecs/service:Service";
const LOAD_BALANCERS = ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"];
const ECR_REPOSITORY = "aws:ecr/repository:Repository";

const PUBLIC_CANNED_ACLS = ["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_GRANTEES = ["http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"];
const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"];
const WORLD = ["0.0.0.0/0", "::/0"];

const REGION = /(?<![a-z0-9])(?:af|ap|ca|cn|eu|il|me|mx|sa|us)(?:-gov|-iso[a-z]?)?-(?:central|(?:north|south)(?:east|west)?|east|west)-\d{1,2}(?!\d)/g;
const ACCOUNT_ID = /(?<![0-9A-Za-z])\d{12}(?![0-9A-Za-z])/g;
/** UUIDs (e.g. managed cache policy ids) can end in 12 digits: they are not account ids. */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** `aws:s3/bucket:Bucket` -> `aws.s3.Bucket`, as the SDK names the class. */
function typeName(type: string): string {
    const [pkg, module, name] = type.split(":");
    if (name === undefined) return type;
    const mod = module.split("/")[0];
    return [pkg, ...(mod === "index" ? [] : [mod]), name].join(".");
}

/** How a message names a resource: its class and its logical name, as the CLI shows it. */
function label(resource: { readonly type: string; readonly name: string }): string {
    return `${typeName(resource.type)} "${resource.name}"`;
}

const asArray = <T>(value: T | readonly T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? [...value] : [value as T]);

/** A resource policy on some types only; `validate` gets the inputs. */
function resourcePolicy(
    name: string,
    description: string,
    types: readonly string[],
    validate: (props: Record<string, any>, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: "mandatory",
        validateResource: (args, report) => {
            if (types.includes(args.type)) validate(args.props, args, report);
        },
    };
}

/**
 * Every string in a value, with its path (`policy.Statement.0.Resource`). Code (assets, archives)
 * is skipped, and so is a value unknown during preview: the rule runs on it again at `pulumi up`.
 */
function stringsIn(value: unknown, path = ""): { path: string; value: string }[] {
    if (typeof value === "string") return [{ path, value }];
    if (value === null || typeof value !== "object") return [];
    if (!Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) return [];
    return Object.keys(value).flatMap((key) => {
        let child: unknown;
        try {
            child = (value as Record<string, unknown>)[key];
        } catch (error) {
            if (error instanceof UnknownValueError) return [];
            throw error;
        }
        return stringsIn(child, path === "" ? key : `${path}.${key}`);
    });
}

// ---------------------------------------------------------------------------------------------
// IAM policy documents

export interface Statement {
    readonly Sid?: string;
    readonly Effect?: string;
    readonly Action?: string | string[];
    readonly NotAction?: unknown;
    readonly Resource?: string | string[];
    readonly NotResource?: unknown;
    readonly Principal?: unknown;
    readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of a policy document given as JSON or as an object. */
function statementsOf(document: unknown): Statement[] {
    const parsed = typeof document === "string" ? (JSON.parse(document) as { Statement?: unknown }) : (document as { Statement?: unknown } | undefined);
    return asArray(parsed?.Statement as Statement | Statement[] | undefined);
}

/** The policy documents a resource carries: its `policy`, or a role's inline policies. */
function documentsOf(type: string, props: Record<string, any>): unknown[] {
    if (type === ROLE) return asArray(props.inlinePolicies as { policy?: unknown }[] | undefined).map((p) => p.policy);
    return POLICY_DOCUMENTS.includes(type) ? [props.policy] : [];
}

/** What is wrong with an Allow statement's actions and resources; denies grant nothing and are not checked. */
function grantProblems(statement: Statement): string[] {
    if (statement.Effect === "Deny") return [];
    const problems: string[] = [];
    if (statement.NotAction !== undefined) problems.push("uses NotAction (it grants every other action): list the actions instead");
    if (statement.NotResource !== undefined) problems.push("uses NotResource (it grants every other resource): list the resources instead");
    const actions = asArray(statement.Action);
    if (actions.length === 0 && statement.NotAction === undefined) problems.push("names no Action");
    for (const action of actions.filter((a) => a.includes("*") || a.includes("?"))) {
        problems.push(`allows the wildcard action "${action}": name each action (e.g. s3:GetObject)`);
    }
    const resources = asArray(statement.Resource);
    if (resources.length === 0 && statement.NotResource === undefined) problems.push("names no Resource");
    if (resources.includes("*")) {
        const needing = actions.filter((a) => WILDCARD_RESOURCE_ACTIONS[a] === undefined);
        if (needing.length > 0) {
            problems.push(`grants ${needing.join(", ")} on Resource "*": name the ARNs (only ${Object.keys(WILDCARD_RESOURCE_ACTIONS).join(", ")} may take "*")`);
        }
    }
    return problems;
}

/** A bucket policy statement that denies every request made without TLS, on the bucket and its objects. */
function deniesInsecureTransport(statement: Statement): boolean {
    const principal = statement.Principal as { AWS?: unknown } | string | undefined;
    const everyone = principal === "*" || (typeof principal === "object" && asArray(principal.AWS as string).includes("*"));
    const actions = asArray(statement.Action);
    const resources = asArray(statement.Resource);
    const secureTransport = statement.Condition?.Bool?.["aws:SecureTransport"];
    return (
        statement.Effect === "Deny" &&
        everyone &&
        (actions.includes("s3:*") || actions.includes("*")) &&
        String(secureTransport) === "false" &&
        resources.some((arn) => resources.includes(`${arn}/*`))
    );
}

// ---------------------------------------------------------------------------------------------
// The policies

function dynamodbEncryption(): ResourceValidationPolicy {
    return resourcePolicy("dynamodb-encryption", "Every DynamoDB table is encrypted with a KMS key.", [TABLE], (props, args, report) => {
        if (props.serverSideEncryption?.enabled !== true) {
            report(`${label(args)} uses only the AWS owned key: set serverSideEncryption: { enabled: true } (the AWS managed key aws/dynamodb, or a key of yours)`);
        }
    });
}

function dynamodbPointInTimeRecovery(settings: StackSettings): ResourceValidationPolicy {
    return resourcePolicy(
        "dynamodb-point-in-time-recovery",
        "Every DynamoDB table has point-in-time recovery where the stack's config sets pointInTimeRecovery.",
        [TABLE],
        (props, args, report) => {
            if (!settings.pointInTimeRecovery) return args.notApplicable("the stack's pointInTimeRecovery is false");
            if (props.pointInTimeRecovery?.enabled !== true) {
                report(`${label(args)} has no point-in-time recovery, which the stack's config asks for: set pointInTimeRecovery: { enabled: true }`);
            }
        },
    );
}

function dataProtected(settings: StackSettings): ResourceValidationPolicy {
    return resourcePolicy(
        "data-protected",
        `Tables and buckets are protected (protect) where the stack sets protectData, and always in ${PRODUCTION_ENVIRONMENTS.join(" and ")}.`,
        [TABLE, BUCKET],
        (_, args, report) => {
            const required = settings.protectData || (PRODUCTION_ENVIRONMENTS as readonly unknown[]).includes(settings.environment);
            if (!required) return args.notApplicable(`the stack neither sets protectData nor is ${PRODUCTION_ENVIRONMENTS.join(" or ")}`);
            // A policy pack sees `protect`; `retainOnDelete` does not reach policies (the tests check it on the program).
            if (!args.opts.protect) {
                report(`${label(args)} holds data but is not protected: give it the resource options protect: true and retainOnDelete: true (the protectData capability)`);
            }
        },
    );
}

function s3Encryption(): ResourceValidationPolicy {
    return resourcePolicy("s3-encryption", "Every bucket encryption configuration encrypts by default (SSE-S3 or SSE-KMS).", [BUCKET_ENCRYPTION], (props, args, report) => {
        const rules = asArray(props.rules as { applyServerSideEncryptionByDefault?: { sseAlgorithm?: string } }[] | undefined);
        if (rules.length === 0 || rules.some((r) => !SSE_ALGORITHMS.includes(r.applyServerSideEncryptionByDefault?.sseAlgorithm ?? ""))) {
            report(`${label(args)} does not encrypt by default: give every rule applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } (or aws:kms)`);
        }
    });
}

function s3PublicAccessBlock(): ResourceValidationPolicy {
    const flags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
    return resourcePolicy("s3-public-access-block", "Every public access block sets all four flags.", [BUCKET_PUBLIC_ACCESS_BLOCK], (props, args, report) => {
        const off = flags.filter((flag) => props[flag] !== true);
        if (off.length > 0) report(`${label(args)} leaves public access open: set ${off.map((f) => `${f}: true`).join(", ")}`);
    });
}

function s3TlsOnly(): ResourceValidationPolicy {
    return resourcePolicy("s3-tls-only", "Every bucket policy denies requests made without TLS.", [BUCKET_POLICY], (props, args, report) => {
        if (!statementsOf(props.policy).some(deniesInsecureTransport)) {
            report(
                `${label(args)} does not deny requests without TLS: add { Effect: "Deny", Principal: "*", Action: "s3:*", ` +
                    `Resource: [bucketArn, bucketArn + "/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } }`,
            );
        }
    });
}

function s3NoPublicAcl(): ResourceValidationPolicy {
    return resourcePolicy("s3-no-public-acl", "No bucket has a public ACL.", [BUCKET, ...BUCKET_ACLS], (props, args, report) => {
        const grants = props.accessControlPolicy?.grants ?? props.grants;
        const grantees = asArray(grants as { uri?: string; grantee?: { uri?: string } }[] | undefined).map((g) => g.grantee?.uri ?? g.uri);
        if (PUBLIC_CANNED_ACLS.includes(props.acl) || grantees.some((uri) => PUBLIC_GRANTEES.includes(uri ?? ""))) {
            report(`${label(args)} grants public access by ACL: remove the ACL (keep ACLs disabled: object ownership BucketOwnerEnforced)`);
        }
    });
}

/** Every bucket has its safeguards as resources of their own: encryption, public access block, policy. */
function s3BucketSafeguards(): StackValidationPolicy {
    const needed = [
        [BUCKET_ENCRYPTION, "default encryption (aws.s3.BucketServerSideEncryptionConfiguration)"],
        [BUCKET_PUBLIC_ACCESS_BLOCK, "a public access block (aws.s3.BucketPublicAccessBlock)"],
        [BUCKET_POLICY, "a bucket policy denying requests without TLS (aws.s3.BucketPolicy)"],
    ] as const;
    return {
        name: "s3-bucket-safeguards",
        description: "Every bucket has a default encryption configuration, a public access block and a TLS-only bucket policy.",
        enforcementLevel: "mandatory",
        validateStack: (args: StackValidationArgs, report: ReportViolation) => {
            for (const bucket of args.resources.filter((r) => r.type === BUCKET)) {
                // A configuration names its bucket by name or by id (the same value for S3).
                const names = [bucket.props.bucket, bucket.props.id].filter((n) => n !== undefined);
                const attached = (type: string) => args.resources.some((r) => r.type === type && names.includes(r.props.bucket));
                const missing = needed.filter(([type]) => !attached(type)).map(([, what]) => what);
                if (missing.length > 0) report(`${label(bucket)} lacks ${missing.join(", ")}: add ${missing.length > 1 ? "them" : "it"}, naming this bucket`, bucket.urn);
            }
        },
    };
}

function securityGroupNoWorldIngress(): ResourceValidationPolicy {
    return resourcePolicy(
        "security-group-no-world-ingress",
        "No security group admits 0.0.0.0/0 or ::/0, except rules listed in WORLD_INGRESS_ALLOWED.",
        [INGRESS_RULE, SECURITY_GROUP_RULE, SECURITY_GROUP],
        (props, args, report) => {
            if (WORLD_INGRESS_ALLOWED[args.name] !== undefined) return;
            const sources =
                args.type === INGRESS_RULE
                    ? [props.cidrIpv4, props.cidrIpv6]
                    : (args.type === SECURITY_GROUP ? asArray(props.ingress as Record<string, any>[] | undefined) : props.type === "ingress" ? [props] : []).flatMap(
                          (rule) => [...asArray(rule.cidrBlocks as string[]), ...asArray(rule.ipv6CidrBlocks as string[])],
                      );
            for (const cidr of sources.filter((s) => WORLD.includes(s))) {
                report(
                    `${label(args)} admits ${cidr}: admit a security group (referencedSecurityGroupId) or the VPC's CIDR instead, ` +
                        `or list "${args.name}" with its reason in WORLD_INGRESS_ALLOWED (policy/rules.ts)`,
                );
            }
        },
    );
}

function redisTransitEncryption(): ResourceValidationPolicy {
    return resourcePolicy("redis-transit-encryption", "Redis encrypts traffic in transit (TLS).", [REPLICATION_GROUP, CACHE_CLUSTER], (props, args, report) => {
        if (args.type === REPLICATION_GROUP && props.transitEncryptionEnabled !== true) {
            report(`${label(args)} accepts clients without TLS: set transitEncryptionEnabled: true`);
        }
        // A cluster of its own (not a member of a replication group) offers Redis no TLS.
        if (args.type === CACHE_CLUSTER && props.replicationGroupId === undefined && ["redis", "valkey"].includes(props.engine)) {
            report(`${label(args)} runs Redis without TLS (a Cluster offers none): use an aws.elasticache.ReplicationGroup with transitEncryptionEnabled: true`);
        }
    });
}

function iamExplicitGrants(): ResourceValidationPolicy {
    return resourcePolicy(
        "iam-explicit-grants",
        "Every IAM and bucket policy statement that allows something names explicit actions on explicit resources.",
        [ROLE, ...POLICY_DOCUMENTS],
        (props, args, report) => {
            for (const document of documentsOf(args.type, props)) {
                let statements: Statement[];
                try {
                    statements = statementsOf(document);
                } catch {
                    report(`${label(args)} has a policy that is not valid JSON: give it a policy document`);
                    continue;
                }
                statements.forEach((statement, i) => {
                    for (const problem of grantProblems(statement)) report(`${label(args)}: statement ${statement.Sid ?? i} ${problem}`);
                });
            }
        },
    );
}

function logGroupRetention(): ResourceValidationPolicy {
    return resourcePolicy("log-group-retention", "Every log group has a retention.", [LOG_GROUP], (props, args, report) => {
        if (!(typeof props.retentionInDays === "number" && props.retentionInDays > 0)) {
            report(`${label(args)} keeps logs forever: set retentionInDays (the stack's logRetentionDays)`);
        }
    });
}

function lambdaTimeoutAndMemory(): ResourceValidationPolicy {
    return resourcePolicy("lambda-timeout-and-memory", "Every Lambda function sets its timeout and memory.", [LAMBDA_FUNCTION], (props, args, report) => {
        const unset = ["timeout", "memorySize"].filter((key) => !(typeof props[key] === "number" && props[key] > 0));
        if (unset.length > 0) report(`${label(args)} leaves ${unset.join(" and ")} to the defaults (3 s, 128 MB): set ${unset.join(" and ")} for its work`);
    });
}

function ecsNoPublicIp(): ResourceValidationPolicy {
    return resourcePolicy("ecs-no-public-ip", "No ECS service gives its tasks a public IP address.", [ECS_SERVICE], (props, args, report) => {
        if (props.networkConfiguration?.assignPublicIp === true) {
            report(`${label(args)} gives its tasks public IP addresses: run them in private subnets with assignPublicIp: false (outbound traffic goes through the NAT gateways)`);
        }
    });
}

function loadBalancerInternal(): ResourceValidationPolicy {
    return resourcePolicy("load-balancer-internal", "No load balancer faces the internet (API Gateway and CloudFront are the product's front doors).", LOAD_BALANCERS, (props, args, report) => {
        if (props.internal !== true) {
            report(`${label(args)} is internet-facing: set internal: true and reach it through the API's VPC link`);
        }
    });
}

function ecrScanAndImmutableTags(): ResourceValidationPolicy {
    return resourcePolicy("ecr-scan-and-immutable-tags", "Every ECR repository scans images on push and keeps tags immutable.", [ECR_REPOSITORY], (props, args, report) => {
        if (props.imageScanningConfiguration?.scanOnPush !== true) report(`${label(args)} does not scan images on push: set imageScanningConfiguration: { scanOnPush: true }`);
        if (props.imageTagMutability !== "IMMUTABLE") {
            report(`${label(args)} lets a push overwrite a tag (imageTagMutability ${JSON.stringify(props.imageTagMutability ?? "MUTABLE")}): set imageTagMutability: "IMMUTABLE" so a deployed tag names one image`);
        }
    });
}

/**
 * A region in a resource's inputs is the stack's region, the resource's provider's, the stack's
 * secondary region, or one AWS fixes for that type (FIXED_REGIONS). Anything else was written into
 * the code or config by hand. A literal equal to the stack's own region cannot be told apart here:
 * the tests evaluate the program in a region no code names for that.
 */
function noHardCodedRegions(settings: StackSettings): ResourceValidationPolicy {
    return {
        name: "no-hard-coded-regions",
        description: "No resource input names a region other than the stack's, its provider's or the secondary region.",
        enforcementLevel: "mandatory",
        validateResource: (args, report) => {
            let providerRegion: string | undefined;
            try {
                providerRegion = args.provider?.props.region;
            } catch (error) {
                if (!(error instanceof UnknownValueError)) throw error;
            }
            if (settings.region === undefined && providerRegion === undefined) return args.notApplicable("the stack's region is unknown");
            const allowed = new Set([settings.region, providerRegion, settings.secondaryRegion]);
            for (const [region, fixed] of Object.entries(FIXED_REGIONS)) if (fixed.types.includes(args.type)) allowed.add(region);
            for (const { path, value } of stringsIn(args.props)) {
                for (const region of new Set(value.match(REGION) ?? [])) {
                    if (!allowed.has(region)) {
                        report(`${label(args)}: ${path} names the region ${region}, not the stack's (${settings.region ?? providerRegion}): derive it (aws.getRegionOutput, the provider) instead of writing it`);
                    }
                }
            }
        },
    };
}

/** The 12-digit account ids in a resource's inputs. */
function accountIdsIn(resource: PolicyResource): { path: string; account: string }[] {
    return stringsIn(resource.props).flatMap(({ path, value }) => (value.replace(UUID, "").match(ACCOUNT_ID) ?? []).map((account) => ({ path, account })));
}

/** The policy config of the rules that need the stack's account: `accountId`, 12 digits. */
const ACCOUNT_ID_CONFIG = { properties: { accountId: { type: "string" as const, pattern: "^[0-9]{12}$" } } };

/** The stack's account: the policy config's `accountId`, or else the account most resources name. */
function stackAccount(args: StackValidationArgs): string | undefined {
    const configured = args.getConfig<{ accountId?: string }>().accountId;
    if (configured !== undefined) return configured;
    const counts = new Map<string, number>();
    for (const resource of args.resources) for (const account of new Set(accountIdsIn(resource).map((i) => i.account))) counts.set(account, (counts.get(account) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}

/**
 * Every account id in the stack's inputs is the stack's own account: the policy config's
 * `accountId`, or else the account most resources name (the caller's identity, in bucket names
 * and ARNs). A literal equal to the stack's own account cannot be told apart here: the tests
 * evaluate the program for an account no code names for that.
 */
function noHardCodedAccountIds(): StackValidationPolicy {
    return {
        name: "no-hard-coded-account-ids",
        description: "No resource input names an AWS account other than the stack's own.",
        enforcementLevel: "mandatory",
        configSchema: ACCOUNT_ID_CONFIG,
        validateStack: (args, report) => {
            const found = args.resources.map((resource) => ({ resource, ids: accountIdsIn(resource) }));
            const own = stackAccount(args);
            for (const { resource, ids } of found) {
                for (const { path, account } of ids.filter((i) => i.account !== own)) {
                    report(`${label(resource)}: ${path} names the account ${account}, not the stack's (${own}): derive it (aws.getCallerIdentityOutput) instead of writing it`, resource.urn);
                }
            }
        },
    };
}

/** A provider's `defaultTags.tags`: the CLI gives a provider's maps as JSON (a default provider's from the stack config). */
function defaultTagsOf(provider: { readonly props: Record<string, any> }): Record<string, unknown> {
    const raw = provider.props.defaultTags;
    let parsed: unknown = raw;
    if (typeof raw === "string") {
        try {
            parsed = JSON.parse(raw);
        } catch {
            parsed = undefined;
        }
    }
    return ((parsed as { tags?: Record<string, unknown> } | undefined)?.tags ?? {}) as Record<string, unknown>;
}

/**
 * Every AWS resource is created by a provider whose default tags carry REQUIRED_TAGS, so each
 * taggable resource is tagged `project`, `environment`, `stack` and `managed-by` (the provider adds
 * them to every resource that takes tags). The default provider's come from `aws:defaultTags`.
 */
function defaultTags(settings: StackSettings): ResourceValidationPolicy {
    return {
        name: "default-tags",
        description: "Every AWS resource's provider tags it with project, environment, stack and managed-by (defaultTags).",
        enforcementLevel: "mandatory",
        validateResource: (args, report) => {
            if (!args.type.startsWith("aws:")) return;
            let tags: Record<string, unknown>;
            try {
                if (args.provider === undefined) return args.notApplicable("the resource's provider is unknown");
                tags = defaultTagsOf(args.provider);
            } catch (error) {
                if (error instanceof UnknownValueError) return;
                throw error;
            }
            const expected: Record<string, string | undefined> = { project: PROJECT, environment: settings.environment, "managed-by": MANAGED_BY };
            const wrong = REQUIRED_TAGS.filter((tag) => typeof tags[tag] !== "string" || tags[tag] === "" || (expected[tag] !== undefined && tags[tag] !== expected[tag]));
            if (wrong.length > 0) {
                const provider = args.provider.name === "default" ? "the stack's default provider (aws:defaultTags)" : `its provider "${args.provider.name}"`;
                report(
                    `${label(args)} is not tagged ${wrong.join(", ")} by ${provider}: give the provider defaultTags ` +
                        `{ tags: { ${REQUIRED_TAGS.map((t) => `"${t}": ${expected[t] === undefined ? "<stack>" : `"${expected[t]}"`}`).join(", ")} } }`,
                );
            }
        },
    };
}

function iamManagedPolicyAttachments(): ResourceValidationPolicy {
    return resourcePolicy(
        "iam-managed-policy-attachments",
        "No AdministratorAccess, *FullAccess or PowerUser policy is attached; an AWS managed policy only from MANAGED_POLICIES_ALLOWED.",
        [ROLE, ...POLICY_ATTACHMENTS],
        (props, args, report) => {
            const arns = args.type === ROLE ? asArray(props.managedPolicyArns as string[] | undefined) : [...asArray(props.policyArn as string | undefined), ...asArray(props.policyArns as string[] | undefined)];
            for (const arn of arns) {
                const awsManaged = /^arn:[^:]+:iam::aws:policy\/(.+)$/.exec(arn)?.[1];
                const name = arn.split("/").pop() ?? arn;
                if (FORBIDDEN_MANAGED_POLICIES.some((pattern) => pattern.test(name))) {
                    report(`${label(args)} attaches ${arn}, which grants full control: give the role an inline policy of the exact actions on the exact resources instead`);
                } else if (awsManaged !== undefined && MANAGED_POLICIES_ALLOWED[awsManaged] === undefined) {
                    report(
                        `${label(args)} attaches the AWS managed policy ${awsManaged}: use an inline least-privilege policy, ` +
                            `or list "${awsManaged}" with its reason in MANAGED_POLICIES_ALLOWED (policy/rules.ts)`,
                    );
                }
            }
        },
    );
}

/**
 * What is wrong with a role's trust statements: anyone may assume it, another account's root may,
 * or a service of `conditions` may without the condition keys listed for it. `own` is the stack's account.
 */
export function roleTrustProblems(
    statements: readonly Statement[],
    own: string | undefined,
    conditions: Readonly<Record<string, readonly string[]>> = SERVICE_TRUST_CONDITIONS,
): string[] {
    const problems: string[] = [];
    statements.forEach((statement, i) => {
        if (statement.Effect === "Deny") return;
        const at = `trust statement ${statement.Sid ?? i}`;
        const principal = statement.Principal as string | { AWS?: string | string[]; Service?: string | string[] } | undefined;
        const aws = typeof principal === "string" ? [principal] : asArray(principal?.AWS);
        if (aws.includes("*")) problems.push(`${at} lets anyone assume the role (Principal "*"): name the service or role that needs it`);
        for (const account of aws.map(accountPrincipal).filter((a): a is string => a !== undefined && a !== own)) {
            problems.push(`${at} trusts the whole account ${account}, not the stack's (${own}): name the one role of that account that needs it`);
        }
        const services = typeof principal === "object" ? asArray(principal.Service) : [];
        const keys = Object.values(statement.Condition ?? {}).flatMap((test) => Object.keys(test));
        for (const service of services) {
            const missing = (conditions[service] ?? []).filter((key) => !keys.includes(key));
            if (missing.length > 0) problems.push(`${at} lets ${service} assume the role without ${missing.join(" and ")}: add them (the confused deputy conditions AWS documents for it)`);
        }
    });
    return problems;
}

/** The account of an AWS principal that names a whole account (`123456789012` or `arn:aws:iam::123456789012:root`). */
function accountPrincipal(principal: string): string | undefined {
    return /^(\d{12})$/.exec(principal)?.[1] ?? /^arn:[^:]+:iam::(\d{12}):root$/.exec(principal)?.[1];
}

/**
 * Who may assume each role: nobody anonymous (`Principal: "*"`), no other account's root, and a
 * service principal of SERVICE_TRUST_CONDITIONS only with the conditions AWS documents for it. The
 * stack's own account is the policy config's `accountId`, or else the account most resources name.
 */
function iamRoleTrust(): StackValidationPolicy {
    return {
        name: "iam-role-trust",
        description: "No role trusts everyone or another account's root; service principals carry the conditions AWS documents (SERVICE_TRUST_CONDITIONS).",
        enforcementLevel: "mandatory",
        configSchema: ACCOUNT_ID_CONFIG,
        validateStack: (args, report) => {
            const own = stackAccount(args);
            for (const role of args.resources.filter((r) => r.type === ROLE)) {
                let statements: Statement[];
                try {
                    statements = statementsOf(role.props.assumeRolePolicy);
                } catch {
                    report(`${label(role)} has a trust policy that is not valid JSON: give it a policy document`, role.urn);
                    continue;
                }
                for (const problem of roleTrustProblems(statements, own)) report(`${label(role)}: ${problem}`, role.urn);
            }
        },
    };
}

/**
 * Where files are private (`privateFiles`), every cache behavior of a distribution serving the
 * files bucket trusts a key group: CloudFront then answers only signed URLs and cookies.
 */
function cloudfrontFilesSigned(settings: StackSettings): StackValidationPolicy {
    return {
        name: "cloudfront-files-signed",
        description: "Where privateFiles is on, every cache behavior of a distribution serving the files bucket requires signed URLs or cookies (trusted key groups).",
        enforcementLevel: "mandatory",
        validateStack: (args, report) => {
            if (!settings.privateFiles) return args.notApplicable("the stack's privateFiles is false");
            const filesBuckets = args.resources
                .filter((r) => r.type === BUCKET && typeof r.props.bucket === "string" && FILES_BUCKET.test(r.props.bucket))
                .map((r) => r.props.bucket as string);
            for (const distribution of args.resources.filter((r) => r.type === DISTRIBUTION)) {
                const origins = asArray(distribution.props.origins as { originId?: string; domainName?: string }[] | undefined);
                const filesOrigins = origins.filter((o) => filesBuckets.some((bucket) => o.domainName?.startsWith(`${bucket}.`))).map((o) => o.originId);
                if (filesOrigins.length === 0) continue;
                const behaviors = [
                    { path: "default", behavior: distribution.props.defaultCacheBehavior },
                    ...asArray(distribution.props.orderedCacheBehaviors as { pathPattern?: string }[] | undefined).map((b) => ({ path: b.pathPattern ?? "?", behavior: b })),
                ] as { path: string; behavior?: { targetOriginId?: string; trustedKeyGroups?: string[] } }[];
                for (const { path, behavior } of behaviors) {
                    if (!filesOrigins.includes(behavior?.targetOriginId) || asArray(behavior?.trustedKeyGroups).length > 0) continue;
                    report(
                        `${label(distribution)} serves the files bucket (cache behavior ${path}) to anyone with a URL: set trustedKeyGroups to the key group of the stack's public key (cdnPublicKey)`,
                        distribution.urn,
                    );
                }
            }
        },
    };
}

/** The pack's policies for a stack. */
export function policies(settings: StackSettings): (ResourceValidationPolicy | StackValidationPolicy)[] {
    return [
        dynamodbEncryption(),
        dynamodbPointInTimeRecovery(settings),
        dataProtected(settings),
        s3Encryption(),
        s3PublicAccessBlock(),
        s3TlsOnly(),
        s3NoPublicAcl(),
        s3BucketSafeguards(),
        securityGroupNoWorldIngress(),
        redisTransitEncryption(),
        iamExplicitGrants(),
        iamManagedPolicyAttachments(),
        iamRoleTrust(),
        cloudfrontFilesSigned(settings),
        logGroupRetention(),
        lambdaTimeoutAndMemory(),
        ecsNoPublicIp(),
        loadBalancerInternal(),
        ecrScanAndImmutableTags(),
        noHardCodedRegions(settings),
        noHardCodedAccountIds(),
        defaultTags(settings),
    ];
}

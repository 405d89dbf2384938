import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type {
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import { unknownCheckingProxy } from "@pulumi/policy";
import { expect } from "chai";
import { SERVICE_TRUST_CONDITIONS, StackSettings, WILDCARD_RESOURCE_ACTIONS, policies, roleTrustProblems, stackSettings } from "../policy/rules";
import { Evaluation, MOCK_ACCOUNT_ID, RecordedResource, evaluate, mockId } from "../harness/mock-engine";
import { ELSEWHERE, STACKS, productionElsewhere, serially, stackEvaluation } from "./helpers/stacks";

// ---------------------------------------------------------------------------------------------
// The adapter: what the CLI hands each policy, built from the mock engine's recorded resources.

interface Violation {
    readonly policy: string;
    /** `type::name` of the resource, for a stack policy's report naming one. */
    readonly resource?: string;
    readonly message: string;
}

class NotApplicable extends Error {}
const notApplicable = (reason?: string): never => {
    throw new NotApplicable(reason);
};

/** Policy config per policy name, as `--policy-pack-config` gives it. */
type PolicyConfig = Readonly<Record<string, object>>;

/** Runs every policy over an evaluation's resources as the CLI would, and returns the violations. */
async function violations(evaluation: Pick<Evaluation, "stack" | "config" | "resources">, config: PolicyConfig = {}): Promise<Violation[]> {
    const byId = new Map(evaluation.resources.map((r) => [mockId(r), r]));
    const urn = (r: RecordedResource): string => {
        const types: string[] = [];
        for (let parent = byId.get(r.options.parent ?? ""); parent !== undefined; parent = byId.get(parent.options.parent ?? "")) types.unshift(parent.type);
        return `urn:pulumi:${evaluation.stack}::slack-clone::${[...types, r.type].join("$")}::${r.name}`;
    };
    // `protect` is inherited from the parent, as the engine resolves it.
    const protect = (r: RecordedResource | undefined): boolean => (r === undefined ? false : (r.options.protect ?? protect(byId.get(r.options.parent ?? ""))));
    const opts = (r: RecordedResource): PolicyResourceOptions => ({
        protect: protect(r),
        ignoreChanges: [...(r.options.ignoreChanges ?? [])],
        deleteBeforeReplace: r.options.deleteBeforeReplace,
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        parent: r.options.parent === undefined ? undefined : urn(byId.get(r.options.parent)!),
    });
    // A resource without an explicit provider gets the stack's default provider, configured (as the CLI
    // does) from the stack's `aws:*` config: lists and maps as JSON strings.
    const defaultProvider = {
        type: "pulumi:providers:aws",
        name: "default",
        urn: `urn:pulumi:${evaluation.stack}::slack-clone::pulumi:providers:aws::default`,
        props: Object.fromEntries(Object.entries(evaluation.config).flatMap(([k, v]) => (k.startsWith("aws:") ? [[k.slice(4), v]] : []))),
    };
    const provider = (r: RecordedResource) => {
        const p = byId.get(r.options.provider ?? "");
        if (p === undefined) return r.type.startsWith("aws:") ? defaultProvider : undefined;
        return { type: p.type, name: p.name, urn: urn(p), props: p.inputs };
    };
    /** What the CLI tells resource and stack policies alike about a resource. */
    const described = (r: RecordedResource, props: Record<string, any>) => {
        const isType = (cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType === r.type;
        // `never`: the props, typed by whichever class the policy asks about.
        const asType = ((cls: unknown) => (isType(cls) ? props : undefined)) as never;
        return { type: r.type, props, urn: urn(r), name: r.name, opts: opts(r), provider: provider(r), isType, asType };
    };
    const found: Violation[] = [];
    const reporter =
        (policy: string, resource?: RecordedResource): ReportViolation =>
        (message, reportedUrn) => {
            const named = resource ?? evaluation.resources.find((r) => urn(r) === reportedUrn);
            found.push({ policy, ...(named ? { resource: mockId(named) } : {}), message });
        };
    const run = async (check: () => unknown) => {
        try {
            await check();
        } catch (error) {
            if (!(error instanceof NotApplicable)) throw error;
        }
    };
    const all = policies(stackSettings(evaluation.config));
    const getConfig = (name: string) => <T extends object>() => (config[name] ?? {}) as T;

    for (const policy of all.filter((p): p is ResourceValidationPolicy => "validateResource" in p)) {
        const validations = [policy.validateResource ?? []].flat();
        for (const r of evaluation.resources) {
            const args: ResourceValidationArgs = {
                ...described(r, unknownCheckingProxy(r.inputs)),
                stackTags: new Map(),
                getConfig: getConfig(policy.name),
                notApplicable,
            };
            for (const validate of validations) await run(() => validate(args, reporter(policy.name, r)));
        }
    }
    // A stack policy sees each resource's outputs: its inputs, and its id (under the mock engine, `type::name`).
    const resources: PolicyResource[] = evaluation.resources.map((r) => ({
        ...described(r, unknownCheckingProxy({ ...r.inputs, ...(r.custom ? { id: mockId(r) } : {}) })),
        dependencies: [],
        propertyDependencies: {},
    }));
    for (const policy of all.filter((p): p is StackValidationPolicy => "validateStack" in p)) {
        await run(() => policy.validateStack({ resources, stackTags: new Map(), getConfig: getConfig(policy.name), notApplicable }, reporter(policy.name)));
    }
    return found;
}

const resource = (type: string, name: string, inputs: Record<string, any>, options: Partial<RecordedResource["options"]> = {}): RecordedResource => ({
    type,
    name,
    custom: true,
    inputs,
    options: { dependsOn: [], ...options },
});

/** The default tags a stack of this environment carries. */
const tagsFor = (environment = "test") =>
    JSON.stringify({ tags: { project: "slack-clone", environment, stack: "test", "managed-by": "pulumi" } });

/** Violations of hand-built resources in a stack with this config (and its default tags, unless the config sets them). */
const check = (resources: RecordedResource[], config: Record<string, string> = { "aws:region": "us-east-1" }, policyConfig: PolicyConfig = {}) =>
    violations({ stack: "test", config: { "aws:defaultTags": tagsFor(config["slack-clone:environment"]), ...config }, resources }, policyConfig);

const POLICY_NAMES = policies(stackSettings({})).map((p) => p.name);

// ---------------------------------------------------------------------------------------------

describe("policy pack", () => {
    for (const stack of STACKS) {
        it(`${stack}: every resource passes every policy`, async () => {
            expect(await violations(await stackEvaluation(stack))).to.deep.equal([]);
        });
    }

    it("production: every table and bucket is also retainOnDelete, which no policy can see", async () => {
        const data = (await stackEvaluation("production")).resources.filter((r) => ["aws:dynamodb/table:Table", "aws:s3/bucket:Bucket"].includes(r.type));
        expect(data).to.have.length(17);
        expect(data.filter((r) => r.options.retainOnDelete !== true).map(mockId)).to.deep.equal([]);
    });

    it("production deployed elsewhere passes too: no region or account id is written in the program", async () => {
        // Another region and account than the mock engine's, and the custom domain (its us-east-1 certificate).
        const { account } = ELSEWHERE;
        const evaluation = await productionElsewhere();
        const everything = JSON.stringify(evaluation.resources.map((r) => r.inputs));
        expect(everything).to.include(`-${account}`).and.include("eu-central-1").and.include("eu-west-1").and.not.include(MOCK_ACCOUNT_ID);
        expect(await violations(evaluation, { "no-hard-coded-account-ids": { accountId: account } })).to.deep.equal([]);
    });

    it("every rule can fail: a program breaking each of them", async () => {
        const config = { "aws:region": "us-east-1", "slack-clone:environment": "production", "slack-clone:pointInTimeRecovery": "true" };
        const evaluation = await serially(() =>
            evaluate("test", config, () => {
                new aws.dynamodb.Table("loose-table", { name: "loose", hashKey: "id", attributes: [{ name: "id", type: "S" }], billingMode: "PAY_PER_REQUEST" });
                new aws.s3.Bucket("loose-bucket", { bucket: "loose" });
                new aws.s3.BucketPublicAccessBlock("loose-public-access", { bucket: "loose", blockPublicAcls: true, ignorePublicAcls: true });
                new aws.s3.BucketAcl("loose-acl", { bucket: "loose", acl: "public-read" });
                new aws.s3.BucketServerSideEncryptionConfiguration("keys-only", { bucket: "elsewhere", rules: [{ bucketKeyEnabled: true }] });
                new aws.s3.BucketPolicy("loose-policy", {
                    bucket: "loose",
                    policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "cloudfront.amazonaws.com" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::loose/*" }] },
                });
                new aws.ec2.SecurityGroup("open", { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] });
                new aws.elasticache.ReplicationGroup("plain-redis", { description: "Redis", nodeType: "cache.t3.micro", transitEncryptionEnabled: false });
                new aws.iam.Policy("broad", { policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "dynamodb:*", Resource: "*" }] }) });
                new aws.cloudwatch.LogGroup("forever", { name: "/forever" });
                new aws.lambda.Function("defaults", {
                    role: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/defaults`,
                    runtime: "nodejs22.x",
                    handler: "index.handler",
                    code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("exports.handler = async () => {};") }),
                });
                new aws.iam.RolePolicyAttachment("admin", { role: "r", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });
                new aws.iam.Role("anyone", {
                    assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }] }),
                });
                new aws.cloudfront.Distribution("open-files", {
                    enabled: true,
                    origins: [{ originId: "files", domainName: `slack-clone-files-production-${MOCK_ACCOUNT_ID}.s3.us-east-1.amazonaws.com` }],
                    defaultCacheBehavior: { targetOriginId: "files", viewerProtocolPolicy: "https-only", allowedMethods: ["GET", "HEAD"], cachedMethods: ["GET", "HEAD"] },
                    restrictions: { geoRestriction: { restrictionType: "none" } },
                    viewerCertificate: { cloudfrontDefaultCertificate: true },
                });
                new aws.s3.Bucket("files", { bucket: `slack-clone-files-production-${MOCK_ACCOUNT_ID}` });
                new aws.ecs.Service("public-tasks", { networkConfiguration: { subnets: ["subnet-1"], assignPublicIp: true } });
                new aws.lb.LoadBalancer("facing", { loadBalancerType: "application", internal: false });
                new aws.ecr.Repository("mutable", { imageTagMutability: "MUTABLE" });
                new aws.cloudwatch.MetricAlarm("elsewhere", {
                    comparisonOperator: "GreaterThanThreshold",
                    evaluationPeriods: 1,
                    alarmActions: ["arn:aws:sns:eu-west-3:210987654321:ops"],
                });
                return {};
            }),
        );
        const found = await violations(evaluation, { "no-hard-coded-account-ids": { accountId: MOCK_ACCOUNT_ID } });
        expect([...new Set(found.map((v) => v.policy))].sort()).to.deep.equal([...POLICY_NAMES].sort());
        expect(found).to.deep.include.members([
            {
                policy: "dynamodb-encryption",
                resource: "aws:dynamodb/table:Table::loose-table",
                message: 'aws.dynamodb.Table "loose-table" uses only the AWS owned key: set serverSideEncryption: { enabled: true } (the AWS managed key aws/dynamodb, or a key of yours)',
            },
            {
                policy: "dynamodb-point-in-time-recovery",
                resource: "aws:dynamodb/table:Table::loose-table",
                message: `aws.dynamodb.Table "loose-table" has no point-in-time recovery, which the stack's config asks for: set pointInTimeRecovery: { enabled: true }`,
            },
            {
                policy: "data-protected",
                resource: "aws:s3/bucket:Bucket::loose-bucket",
                message: 'aws.s3.Bucket "loose-bucket" holds data but is not protected: give it the resource options protect: true and retainOnDelete: true (the protectData capability)',
            },
            {
                policy: "s3-public-access-block",
                resource: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::loose-public-access",
                message: 'aws.s3.BucketPublicAccessBlock "loose-public-access" leaves public access open: set blockPublicPolicy: true, restrictPublicBuckets: true',
            },
            {
                policy: "s3-encryption",
                resource: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration::keys-only",
                message:
                    'aws.s3.BucketServerSideEncryptionConfiguration "keys-only" does not encrypt by default: give every rule applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } (or aws:kms)',
            },
            {
                policy: "s3-no-public-acl",
                resource: "aws:s3/bucketAcl:BucketAcl::loose-acl",
                message: 'aws.s3.BucketAcl "loose-acl" grants public access by ACL: remove the ACL (keep ACLs disabled: object ownership BucketOwnerEnforced)',
            },
            {
                policy: "s3-bucket-safeguards",
                resource: "aws:s3/bucket:Bucket::loose-bucket",
                message: 'aws.s3.Bucket "loose-bucket" lacks default encryption (aws.s3.BucketServerSideEncryptionConfiguration): add it, naming this bucket',
            },
            {
                policy: "security-group-no-world-ingress",
                resource: "aws:ec2/securityGroup:SecurityGroup::open",
                message:
                    'aws.ec2.SecurityGroup "open" admits 0.0.0.0/0: admit a security group (referencedSecurityGroupId) or the VPC\'s CIDR instead, or list "open" with its reason in WORLD_INGRESS_ALLOWED (policy/rules.ts)',
            },
            {
                policy: "redis-transit-encryption",
                resource: "aws:elasticache/replicationGroup:ReplicationGroup::plain-redis",
                message: 'aws.elasticache.ReplicationGroup "plain-redis" accepts clients without TLS: set transitEncryptionEnabled: true',
            },
            {
                policy: "iam-explicit-grants",
                resource: "aws:iam/policy:Policy::broad",
                message: 'aws.iam.Policy "broad": statement 0 allows the wildcard action "dynamodb:*": name each action (e.g. s3:GetObject)',
            },
            {
                policy: "iam-managed-policy-attachments",
                resource: "aws:iam/rolePolicyAttachment:RolePolicyAttachment::admin",
                message:
                    'aws.iam.RolePolicyAttachment "admin" attaches arn:aws:iam::aws:policy/AdministratorAccess, which grants full control: give the role an inline policy of the exact actions on the exact resources instead',
            },
            {
                policy: "iam-role-trust",
                resource: "aws:iam/role:Role::anyone",
                message: 'aws.iam.Role "anyone": trust statement 0 lets anyone assume the role (Principal "*"): name the service or role that needs it',
            },
            {
                policy: "cloudfront-files-signed",
                resource: "aws:cloudfront/distribution:Distribution::open-files",
                message:
                    'aws.cloudfront.Distribution "open-files" serves the files bucket (cache behavior default) to anyone with a URL: set trustedKeyGroups to the key group of the stack\'s public key (cdnPublicKey)',
            },
            {
                policy: "log-group-retention",
                resource: "aws:cloudwatch/logGroup:LogGroup::forever",
                message: 'aws.cloudwatch.LogGroup "forever" keeps logs forever: set retentionInDays (the stack\'s logRetentionDays)',
            },
            {
                policy: "lambda-timeout-and-memory",
                resource: "aws:lambda/function:Function::defaults",
                message: 'aws.lambda.Function "defaults" leaves timeout and memorySize to the defaults (3 s, 128 MB): set timeout and memorySize for its work',
            },
            {
                policy: "ecs-no-public-ip",
                resource: "aws:ecs/service:Service::public-tasks",
                message:
                    'aws.ecs.Service "public-tasks" gives its tasks public IP addresses: run them in private subnets with assignPublicIp: false (outbound traffic goes through the NAT gateways)',
            },
            {
                policy: "load-balancer-internal",
                resource: "aws:lb/loadBalancer:LoadBalancer::facing",
                message: `aws.lb.LoadBalancer "facing" is internet-facing: set internal: true and reach it through the API's VPC link`,
            },
            {
                policy: "ecr-scan-and-immutable-tags",
                resource: "aws:ecr/repository:Repository::mutable",
                message: 'aws.ecr.Repository "mutable" does not scan images on push: set imageScanningConfiguration: { scanOnPush: true }',
            },
            {
                policy: "ecr-scan-and-immutable-tags",
                resource: "aws:ecr/repository:Repository::mutable",
                message:
                    'aws.ecr.Repository "mutable" lets a push overwrite a tag (imageTagMutability "MUTABLE"): set imageTagMutability: "IMMUTABLE" so a deployed tag names one image',
            },
            {
                policy: "no-hard-coded-regions",
                resource: "aws:cloudwatch/metricAlarm:MetricAlarm::elsewhere",
                message:
                    'aws.cloudwatch.MetricAlarm "elsewhere": alarmActions.0 names the region eu-west-3, not the stack\'s (us-east-1): derive it (aws.getRegionOutput, the provider) instead of writing it',
            },
            {
                policy: "no-hard-coded-account-ids",
                resource: "aws:cloudwatch/metricAlarm:MetricAlarm::elsewhere",
                message: `aws.cloudwatch.MetricAlarm "elsewhere": alarmActions.0 names the account 210987654321, not the stack's (${MOCK_ACCOUNT_ID}): derive it (aws.getCallerIdentityOutput) instead of writing it`,
            },
        ]);
        expect(found.filter((v) => v.policy === "s3-tls-only").map((v) => v.message)).to.deep.equal([
            'aws.s3.BucketPolicy "loose-policy" does not deny requests without TLS: add { Effect: "Deny", Principal: "*", Action: "s3:*", ' +
                'Resource: [bucketArn, bucketArn + "/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } }',
        ]);
    });

    describe("data and encryption", () => {
        const table = (inputs: Record<string, any>, options = {}) => resource("aws:dynamodb/table:Table", "data-users", { name: "slack-clone-users-staging", ...inputs }, options);

        it("asks for point-in-time recovery only where the stack's config does", async () => {
            const withoutPitr = table({ serverSideEncryption: { enabled: true }, pointInTimeRecovery: { enabled: false } });
            expect(await check([withoutPitr], { "aws:region": "us-east-1" })).to.deep.equal([]);
            const found = await check([withoutPitr], { "aws:region": "us-east-1", "slack-clone:pointInTimeRecovery": "true" });
            expect(found.map((v) => v.policy)).to.deep.equal(["dynamodb-point-in-time-recovery"]);
        });

        it("asks for protection where the stack sets protectData, and always in production and its rebuild production-dr, whatever the config says", async () => {
            const bucket = resource("aws:s3/bucket:Bucket", "storage-files", { bucket: "files" });
            const protectedBucket = { ...bucket, options: { ...bucket.options, protect: true } };
            const safe = { serverSideEncryption: { enabled: true } };
            expect(await check([table(safe)], { "slack-clone:environment": "staging", "aws:region": "us-east-1" })).to.deep.equal([]);
            const protectData = await check([table(safe)], { "slack-clone:environment": "staging", "slack-clone:protectData": "true", "aws:region": "us-east-1" });
            expect(protectData.map((v) => v.policy)).to.deep.equal(["data-protected"]);
            const production = { "slack-clone:environment": "production", "slack-clone:protectData": "false", "aws:region": "us-east-1" };
            for (const environment of ["production", "production-dr"]) {
                const found = await check([table(safe), bucket], { ...production, "slack-clone:environment": environment });
                expect(found.filter((v) => v.policy === "data-protected").map((v) => v.resource), environment).to.deep.equal([
                    "aws:dynamodb/table:Table::data-users",
                    "aws:s3/bucket:Bucket::storage-files",
                ]);
            }
            // Protection inherited from a parent counts, as the engine resolves it.
            const component = { ...resource("slack-clone:data:DataLayer", "data", {}, { protect: true }), custom: false };
            const child = table(safe, { parent: mockId(component) });
            expect((await check([component, child, protectedBucket], production)).filter((v) => v.policy === "data-protected")).to.deep.equal([]);
        });

        it("bucket encryption must apply to every rule", async () => {
            const encryption = (algorithms: string[]) =>
                resource("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "e", {
                    bucket: "b",
                    rules: algorithms.map((sseAlgorithm) => ({ applyServerSideEncryptionByDefault: { sseAlgorithm } })),
                });
            expect(await check([encryption(["AES256"]), encryption(["aws:kms"])])).to.deep.equal([]);
            for (const bad of [[], ["AES256", "none"]]) expect((await check([encryption(bad)])).map((v) => v.policy)).to.deep.equal(["s3-encryption"]);
        });

        it("a bucket needs each safeguard for itself, found by its name or its id", async () => {
            const bucket = resource("aws:s3/bucket:Bucket", "audit-bucket", { bucket: "audit" });
            const encryption = resource("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "enc", {
                bucket: mockId(bucket),
                rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
            });
            const flags = { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true };
            const block = resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "block", { bucket: "audit", ...flags });
            const otherBlock = { ...block, name: "other", inputs: { ...block.inputs, bucket: "other" } };
            const found = await check([bucket, encryption, otherBlock]);
            expect(found.map((v) => v.message)).to.deep.equal([
                'aws.s3.Bucket "audit-bucket" lacks a public access block (aws.s3.BucketPublicAccessBlock), a bucket policy denying requests without TLS (aws.s3.BucketPolicy): add them, naming this bucket',
            ]);
            expect((await check([bucket, encryption, block])).map((v) => v.message)).to.deep.equal([
                'aws.s3.Bucket "audit-bucket" lacks a bucket policy denying requests without TLS (aws.s3.BucketPolicy): add it, naming this bucket',
            ]);
        });

        it("public grants on a bucket or its ACL, by canned ACL or grantee", async () => {
            const allUsers = "http://acs.amazonaws.com/groups/global/AllUsers";
            const bad = [
                resource("aws:s3/bucket:Bucket", "a", { bucket: "a", acl: "public-read-write" }),
                resource("aws:s3/bucket:Bucket", "b", { bucket: "b", grants: [{ type: "Group", uri: allUsers, permissions: ["READ"] }] }),
                resource("aws:s3/bucketAclV2:BucketAclV2", "c", { bucket: "c", accessControlPolicy: { grants: [{ grantee: { type: "Group", uri: allUsers }, permission: "READ" }] } }),
            ];
            const found = (await check(bad)).filter((v) => v.policy === "s3-no-public-acl");
            expect(found.map((v) => v.resource)).to.deep.equal(bad.map(mockId));
            const fine = resource("aws:s3/bucketAcl:BucketAcl", "d", { bucket: "d", acl: "private" });
            expect(await check([fine])).to.deep.equal([]);
        });

        it("a TLS deny must cover the bucket and its objects", async () => {
            const policy = (statement: object) => resource("aws:s3/bucketPolicy:BucketPolicy", "p", { bucket: "b", policy: JSON.stringify({ Statement: [statement] }) });
            const deny = { Effect: "Deny", Principal: { AWS: "*" }, Action: "s3:*", Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], Condition: { Bool: { "aws:SecureTransport": false } } };
            expect(await check([policy(deny)])).to.deep.equal([]);
            const onlyObjects = { ...deny, Resource: "arn:aws:s3:::b/*" };
            const onlyGets = { ...deny, Action: "s3:GetObject" };
            for (const bad of [onlyObjects, onlyGets]) expect((await check([policy(bad)])).map((v) => v.policy)).to.deep.equal(["s3-tls-only"]);
        });
    });

    describe("network", () => {
        const ingress = (name: string, inputs: Record<string, any>) => resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name, inputs);

        it("no ingress from the internet, in any of the three ways to write a rule", async () => {
            const bad = [
                ingress("v4", { cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443 }),
                ingress("v6", { cidrIpv6: "::/0", ipProtocol: "tcp", fromPort: 443, toPort: 443 }),
                resource("aws:ec2/securityGroupRule:SecurityGroupRule", "rule", { type: "ingress", ipv6CidrBlocks: ["::/0"], protocol: "tcp", fromPort: 22, toPort: 22 }),
                resource("aws:ec2/securityGroup:SecurityGroup", "inline", { ingress: [{ cidrBlocks: ["10.0.0.0/16"] }, { cidrBlocks: ["0.0.0.0/0"] }] }),
            ];
            const found = await check(bad);
            expect(found.map((v) => [v.policy, v.resource])).to.deep.equal(bad.map((r) => ["security-group-no-world-ingress", mockId(r)]));
            expect(found[1].message).to.match(/^aws\.vpc\.SecurityGroupIngressRule "v6" admits ::\/0: admit a security group/);
        });

        it("egress to the internet, and ingress from a group or the VPC, are fine", async () => {
            const fine = [
                resource("aws:ec2/securityGroupRule:SecurityGroupRule", "out", { type: "egress", cidrBlocks: ["0.0.0.0/0"] }),
                resource("aws:ec2/securityGroup:SecurityGroup", "inline", { egress: [{ cidrBlocks: ["0.0.0.0/0"] }], ingress: [{ securityGroups: ["sg-1"] }] }),
                ingress("vpc", { cidrIpv4: "10.0.0.0/16" }),
            ];
            expect(await check(fine)).to.deep.equal([]);
        });

        it("a load balancer left to its default (internet-facing) fails; an ECS service's default (no public IP) passes", async () => {
            const lb = resource("aws:lb/loadBalancer:LoadBalancer", "default-lb", { loadBalancerType: "application" });
            const classic = resource("aws:alb/loadBalancer:LoadBalancer", "alb", { internal: true });
            const service = resource("aws:ecs/service:Service", "svc", { networkConfiguration: { subnets: ["subnet-1"] } });
            expect((await check([lb, classic, service])).map((v) => [v.policy, v.resource])).to.deep.equal([["load-balancer-internal", mockId(lb)]]);
        });

        it("Redis runs only on a replication group with TLS", async () => {
            const standalone = resource("aws:elasticache/cluster:Cluster", "solo", { engine: "redis", nodeType: "cache.t3.micro" });
            const member = resource("aws:elasticache/cluster:Cluster", "member", { replicationGroupId: "rg" });
            const memcached = resource("aws:elasticache/cluster:Cluster", "mc", { engine: "memcached" });
            expect((await check([standalone, member, memcached])).map((v) => v.resource)).to.deep.equal([mockId(standalone)]);
        });
    });

    describe("IAM statements", () => {
        const rolePolicy = (statements: object[]) =>
            resource("aws:iam/rolePolicy:RolePolicy", "policy", { role: "r", policy: { Version: "2012-10-17", Statement: statements } });
        const problems = async (statements: object[]) => (await check([rolePolicy(statements)])).map((v) => v.message.replace('aws.iam.RolePolicy "policy": ', ""));

        it("explicit actions on explicit resources pass; ARN wildcards within a bucket or a log group are explicit", async () => {
            expect(await problems([{ Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::b/uploads/*" }])).to.deep.equal([]);
            expect(await problems([{ Effect: "Allow", Action: "logs:PutLogEvents", Resource: "arn:aws:logs:us-east-1:123456789012:log-group:/x:*" }])).to.deep.equal([]);
        });

        it("flags wildcard actions, Resource \"*\", NotAction, NotResource and missing parts, statement by statement", async () => {
            expect(
                await problems([
                    { Sid: "Everything", Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::b" },
                    { Effect: "Allow", Action: ["s3:Get*"], Resource: "arn:aws:s3:::b/*" },
                    { Sid: "Anywhere", Effect: "Allow", Action: ["s3:GetObject", "xray:PutTraceSegments"], Resource: "*" },
                    { Sid: "Inverted", Effect: "Allow", NotAction: "iam:*", NotResource: "arn:aws:iam::123456789012:role/admin" },
                    { Sid: "Nothing", Effect: "Allow" },
                ]),
            ).to.deep.equal([
                'statement Everything allows the wildcard action "*": name each action (e.g. s3:GetObject)',
                'statement 1 allows the wildcard action "s3:Get*": name each action (e.g. s3:GetObject)',
                `statement Anywhere grants s3:GetObject on Resource "*": name the ARNs (only ${Object.keys(WILDCARD_RESOURCE_ACTIONS).join(", ")} may take "*")`,
                "statement Inverted uses NotAction (it grants every other action): list the actions instead",
                "statement Inverted uses NotResource (it grants every other resource): list the resources instead",
                "statement Nothing names no Action",
                "statement Nothing names no Resource",
            ]);
        });

        it('lets the actions AWS authorizes only on "*" take "*"', async () => {
            expect(await problems([{ Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" }])).to.deep.equal([]);
        });

        it("does not check denies: they grant nothing (the TLS-only deny uses s3:* on purpose)", async () => {
            expect(await problems([{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" }])).to.deep.equal([]);
        });

        it("reads roles' inline policies, managed policies and bucket policies, as JSON or objects", async () => {
            const broad = JSON.stringify({ Statement: { Effect: "Allow", Action: "sqs:*", Resource: "arn:aws:sqs:us-east-1:123456789012:q" } });
            const holders = [
                resource("aws:iam/role:Role", "role", { assumeRolePolicy: "{}", inlinePolicies: [{ name: "inline", policy: broad }] }),
                resource("aws:iam/policy:Policy", "managed", { policy: broad }),
                resource("aws:iam/userPolicy:UserPolicy", "user", { user: "u", policy: JSON.parse(broad) }),
            ];
            expect((await check(holders)).map((v) => v.resource)).to.deep.equal(holders.map(mockId));
            expect((await check([resource("aws:iam/policy:Policy", "garbled", { policy: "{not json" })])).map((v) => v.message)).to.deep.equal([
                'aws.iam.Policy "garbled" has a policy that is not valid JSON: give it a policy document',
            ]);
        });
    });

    describe("role policy attachments and trust", () => {
        const attach = (name: string, policyArn: string) => resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", name, { role: "r", policyArn });
        const role = (name: string, statement: object) => resource("aws:iam/role:Role", name, { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) });
        const messages = async (resources: RecordedResource[], policy: string) =>
            (await check(resources, { "aws:region": "us-east-1" }, { "iam-role-trust": { accountId: MOCK_ACCOUNT_ID } })).filter((v) => v.policy === policy).map((v) => v.resource);

        it("refuses AdministratorAccess, *FullAccess, PowerUser and unlisted AWS managed policies; allows the listed service-role ones", async () => {
            const attachments = [
                attach("admin", "arn:aws:iam::aws:policy/AdministratorAccess"),
                attach("s3-full", "arn:aws:iam::aws:policy/AmazonS3FullAccess"),
                attach("power", "arn:aws:iam::aws:policy/PowerUserAccess"),
                attach("unlisted", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"),
                attach("backup", "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"),
                attach("own", `arn:aws:iam::${MOCK_ACCOUNT_ID}:policy/slack-clone-reader`),
                resource("aws:iam/role:Role", "inline-admin", { assumeRolePolicy: "{}", managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] }),
            ];
            expect(await messages(attachments, "iam-managed-policy-attachments")).to.deep.equal([
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment::admin",
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment::s3-full",
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment::power",
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment::unlisted",
                "aws:iam/role:Role::inline-admin",
            ]);
        });

        it("refuses a trust in everyone or another account's root; a service principal trusted as AWS documents it passes", async () => {
            const assume = { Effect: "Allow", Action: "sts:AssumeRole" };
            const roles = [
                role("star", { ...assume, Principal: "*" }),
                role("other-root", { ...assume, Principal: { AWS: "arn:aws:iam::210987654321:root" } }),
                role("other-id", { ...assume, Principal: { AWS: ["210987654321"] } }),
                role("own-root", { ...assume, Principal: { AWS: `arn:aws:iam::${MOCK_ACCOUNT_ID}:root` } }),
                role("other-role", { ...assume, Principal: { AWS: "arn:aws:iam::210987654321:role/deployer" } }),
                // Live replication's trust policy as the S3 guide gives it: no condition keys.
                role("s3-replication", { ...assume, Principal: { Service: "s3.amazonaws.com" } }),
                role("lambda", { ...assume, Principal: { Service: "lambda.amazonaws.com" } }),
            ];
            expect(await messages(roles, "iam-role-trust")).to.deep.equal(["star", "other-root", "other-id"].map((n) => `aws:iam/role:Role::${n}`));
        });

        it("asks a service principal for the condition keys its table lists (none documented for the product's services today)", () => {
            expect(SERVICE_TRUST_CONDITIONS).to.deep.equal({});
            const conditions = { "example.amazonaws.com": ["aws:SourceAccount", "aws:SourceArn"] };
            const trust = (Condition?: Record<string, Record<string, string>>) => [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "example.amazonaws.com" }, Condition }];
            expect(roleTrustProblems(trust(), MOCK_ACCOUNT_ID, conditions)).to.deep.equal([
                "trust statement 0 lets example.amazonaws.com assume the role without aws:SourceAccount and aws:SourceArn: add them (the confused deputy conditions AWS documents for it)",
            ]);
            expect(roleTrustProblems(trust({ StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID } }), MOCK_ACCOUNT_ID, conditions)).to.have.length(1);
            expect(roleTrustProblems(trust({ StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID }, ArnLike: { "aws:SourceArn": "arn:aws:example:::x" } }), MOCK_ACCOUNT_ID, conditions)).to.deep.equal([]);
        });
    });

    describe("signed files on the CDN", () => {
        const bucket = resource("aws:s3/bucket:Bucket", "files", { bucket: `slack-clone-files-staging-${MOCK_ACCOUNT_ID}` });
        const distribution = (name: string, trustedKeyGroups?: string[], ordered: object[] = []) =>
            resource("aws:cloudfront/distribution:Distribution", name, {
                origins: [
                    { originId: "files", domainName: `slack-clone-files-staging-${MOCK_ACCOUNT_ID}.s3.us-east-1.amazonaws.com` },
                    { originId: "site", domainName: "site.example.com" },
                ],
                defaultCacheBehavior: { targetOriginId: "files", trustedKeyGroups },
                orderedCacheBehaviors: ordered,
            });
        const flagged = async (config: Record<string, string>, ...resources: RecordedResource[]) =>
            (await check([bucket, ...resources], { "aws:region": "us-east-1", ...config })).filter((v) => v.policy === "cloudfront-files-signed").map((v) => v.message);

        it("needs trusted key groups on every behavior serving the files bucket, where files are private", async () => {
            expect(await flagged({}, distribution("signed", ["kg-1"]), distribution("open"))).to.have.length(1);
            expect((await flagged({}, distribution("open-path", ["kg-1"], [{ pathPattern: "avatars/*", targetOriginId: "files" }])))[0]).to.include("cache behavior avatars/*");
            // Another origin's behaviors are not the files'.
            expect(await flagged({}, distribution("site", ["kg-1"], [{ pathPattern: "app/*", targetOriginId: "site" }]))).to.deep.equal([]);
        });

        it("does not apply where privateFiles is false (development's opt-out)", async () => {
            expect(await flagged({ "slack-clone:privateFiles": "false" }, distribution("open"))).to.deep.equal([]);
        });
    });

    describe("hard-coded regions and account ids", () => {
        const topic = (name: string, value: string, options = {}) => resource("aws:sns/topic:Topic", name, { name, displayName: value }, options);

        it("allows the stack's region, the resource's provider's, the secondary region and AWS's fixed ones; flags others", async () => {
            // The provider itself names a region no config names: flagged once, on the provider.
            const provider = resource("pulumi:providers:aws", "west", { region: "us-west-2" });
            const resources = [
                topic("here", "s3.eu-central-1.amazonaws.com"),
                topic("provider", "us-west-2a", { provider: mockId(provider) }),
                topic("secondary", "arn:aws:dynamodb:eu-west-1:123456789012:table/t"),
                resource("aws:cloudfront/distribution:Distribution", "cdn", { viewerCertificate: { acmCertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/c" } }),
                topic("there", "us-east-1"),
                topic("zone", "in ap-southeast-2b"),
            ];
            const config = { "aws:region": "eu-central-1", "slack-clone:secondaryRegion": "eu-west-1" };
            const found = await check([provider, ...resources], config);
            expect(found.filter((v) => v.policy === "no-hard-coded-regions").map((v) => v.message)).to.deep.equal([
                `pulumi.providers.aws "west": region names the region us-west-2, not the stack's (eu-central-1): derive it (aws.getRegionOutput, the provider) instead of writing it`,
                `aws.sns.Topic "there": displayName names the region us-east-1, not the stack's (eu-central-1): derive it (aws.getRegionOutput, the provider) instead of writing it`,
                `aws.sns.Topic "zone": displayName names the region ap-southeast-2, not the stack's (eu-central-1): derive it (aws.getRegionOutput, the provider) instead of writing it`,
            ]);
        });

        it("takes the stack's account from the policy config, or else the account most resources name", async () => {
            const named = (name: string, account: string) => topic(name, `arn:aws:sns:us-east-1:${account}:${name}`);
            const resources = [named("a", "111111111111"), named("b", "111111111111"), named("c", "222222222222")];
            const accountsFlagged = async (policyConfig: PolicyConfig) =>
                (await check(resources, undefined, policyConfig)).filter((v) => v.policy === "no-hard-coded-account-ids").map((v) => v.resource);
            expect(await accountsFlagged({})).to.deep.equal([mockId(resources[2])]);
            expect(await accountsFlagged({ "no-hard-coded-account-ids": { accountId: "222222222222" } })).to.deep.equal([mockId(resources[0]), mockId(resources[1])]);
        });

        it("ignores UUIDs ending in 12 digits, longer numbers, and code", async () => {
            const resources = [
                topic("uuid", "658327ea-f89d-4fab-a63d-123456789012"),
                topic("long", "1234567890123"),
                resource("aws:lambda/function:Function", "f", {
                    timeout: 3,
                    memorySize: 128,
                    code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("// 999999999999 us-west-1") }),
                }),
            ];
            expect(await check(resources)).to.deep.equal([]);
        });

        it("skips a value unknown during preview instead of failing the policy (it runs again at pulumi up)", async () => {
            // @pulumi/policy's sentinel for a string output that is unknown during preview.
            const unknownString = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
            expect(await check([topic("later", unknownString), topic("now", "eu-west-3")])).to.deep.equal([
                {
                    policy: "no-hard-coded-regions",
                    resource: "aws:sns/topic:Topic::now",
                    message: `aws.sns.Topic "now": displayName names the region eu-west-3, not the stack's (us-east-1): derive it (aws.getRegionOutput, the provider) instead of writing it`,
                },
            ]);
        });
    });

    it("reads the stack's settings from its config as the CLI passes it", () => {
        const settings: StackSettings = stackSettings({
            "aws:region": "eu-west-1",
            "slack-clone:environment": "production",
            "slack-clone:pointInTimeRecovery": "true",
            "slack-clone:protectData": "false",
            "slack-clone:secondaryRegion": "",
        });
        expect(settings).to.deep.equal({
            environment: "production",
            region: "eu-west-1",
            secondaryRegion: undefined,
            pointInTimeRecovery: true,
            protectData: false,
            // Unset: true, as Pulumi.yaml's default.
            privateFiles: true,
        });
        expect(stackSettings({ "slack-clone:privateFiles": "false" }).privateFiles).to.equal(false);
    });
});

describe("policy default-tags", () => {
    const topic = (name: string, options: Partial<RecordedResource["options"]> = {}) => resource("aws:sns/topic:Topic", name, { name }, options);

    it("passes a resource whose provider carries the four tags with the stack's values", async () => {
        expect((await check([topic("tagged")], { "aws:region": "us-east-1", "slack-clone:environment": "staging" })).filter((v) => v.policy === "default-tags")).to.deep.equal([]);
    });

    it("flags a resource of a default provider without aws:defaultTags, and one of an explicit provider with a wrong environment tag", async () => {
        const config = { "aws:region": "us-east-1", "slack-clone:environment": "staging", "aws:defaultTags": "" };
        const explicit = resource("pulumi:providers:aws", "west", {
            region: "us-east-1",
            defaultTags: JSON.stringify({ tags: { project: "slack-clone", environment: "production", stack: "staging", "managed-by": "pulumi" } }),
        });
        const found = (await check([topic("bare"), explicit, topic("elsewhere", { provider: mockId(explicit) })], config)).filter((v) => v.policy === "default-tags");
        expect(found.map((v) => [v.resource, v.message.split(":")[0]])).to.deep.equal([
            ["aws:sns/topic:Topic::bare", 'aws.sns.Topic "bare" is not tagged project, environment, stack, managed-by by the stack\'s default provider (aws'],
            ["aws:sns/topic:Topic::elsewhere", 'aws.sns.Topic "elsewhere" is not tagged environment by its provider "west"'],
        ]);
    });
});

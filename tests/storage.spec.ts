import { expect } from "chai";
import { Storage, StorageArgs } from "../components/storage";
import { thumbnailCode } from "../components/thumbnail";
import { Evaluation, MOCK_ACCOUNT_ID, RecordedResource, byName, evaluate, mockId } from "../harness/mock-engine";
import { STACKS, evaluateWith, serially, stackEvaluation } from "./helpers/stacks";

const T = {
    bucket: "aws:s3/bucket:Bucket",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    cors: "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration",
    logging: "aws:s3/bucketLogging:BucketLogging",
    replication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    notification: "aws:s3/bucketNotification:BucketNotification",
    provider: "pulumi:providers:aws",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    function: "aws:lambda/function:Function",
    permission: "aws:lambda/permission:Permission",
    invokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
    objectLock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
} as const;

/** Every lifecycle configuration ends with this rule. */
const ABORT_MULTIPART = { id: "abort-incomplete-multipart-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } };

/** What each stack's config should produce. */
const EXPECTED: Record<string, { origin: string; accessLogs: boolean; replicaRegion?: string; protect: boolean; logDays: number; lockDays: number }> = {
    development: { origin: "http://localhost:3000", accessLogs: false, protect: false, logDays: 30, lockDays: 0 },
    staging: { origin: "https://staging.chat.example.com", accessLogs: true, protect: false, logDays: 90, lockDays: 0 },
    production: { origin: "https://chat.example.com", accessLogs: true, replicaRegion: "us-west-2", protect: true, logDays: 365, lockDays: 30 },
};

/** Every resource of `type` in the stack, inside Storage or not (the audit bucket too). */
const ofTypeIn = (evaluation: Evaluation, type: string) => evaluation.resources.filter((r) => r.type === type);
const arn = (bucket: string) => `arn:aws:s3:::${bucket}`;
const bucketName = (what: string, stack: string) => `slack-clone-${what}-${stack}-${MOCK_ACCOUNT_ID}`;
const tlsOnly = (bucket: string) => ({
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [arn(bucket), `${arn(bucket)}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
});

const STORAGE = "slack-clone:storage:Storage::storage";

/** Resources declared inside the Storage component (its children, and theirs). */
function storageResources(evaluation: Evaluation): RecordedResource[] {
    const parents = new Map(evaluation.resources.map((r) => [mockId(r), r.options.parent]));
    const inside = (r: RecordedResource) => {
        for (let parent = r.options.parent; parent !== undefined; parent = parents.get(parent)) if (parent === STORAGE) return true;
        return false;
    };
    return evaluation.resources.filter(inside);
}

/** Resources of `type` that configure bucket `bucket`. */
const forBucket = (resources: readonly RecordedResource[], type: string, bucket: string) =>
    resources.filter((r) => r.type === type && r.inputs.bucket === bucket);

describe("Storage stacks", () => {
    it("cover exactly the stacks this spec expects", () => {
        expect(STACKS).to.deep.equal(Object.keys(EXPECTED).sort());
    });
});

for (const stack of STACKS) {
    const expected = EXPECTED[stack];
    const files = bucketName("files", stack);
    const thumbnails = bucketName("thumbnails", stack);
    const logs = bucketName("s3-logs", stack);
    const replica = bucketName("files-replica", stack);
    const buckets = [files, thumbnails, ...(expected.accessLogs ? [logs] : []), ...(expected.replicaRegion ? [replica] : [])];
    const functionName = `slack-clone-thumbnail-${stack}`;

    describe(`Storage in ${stack}`, () => {
        let evaluation: Evaluation;
        let resources: RecordedResource[];
        const of = (type: string) => resources.filter((r) => r.type === type);
        const one = (type: string, bucket: string) => {
            const found = forBucket(resources, type, bucket);
            expect(found, `${type} of ${bucket}`).to.have.length(1);
            return found[0];
        };

        before(async () => {
            evaluation = await stackEvaluation(stack);
            resources = storageResources(evaluation);
        });

        it(`creates the buckets ${buckets.map((b) => b.replace(`-${stack}-${MOCK_ACCOUNT_ID}`, "")).join(", ")}, named slack-clone-{what}-{environment}-{account}`, () => {
            const created = of(T.bucket);
            expect(created.map((b) => b.inputs.bucket)).to.have.members(buckets);
            expect(created).to.have.length(buckets.length);
            for (const b of created) {
                expect(b.options.parent).to.equal(STORAGE);
                expect(b.inputs.bucket).to.match(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
                // Destroyable (objects and versions deleted by destroy) exactly where data is not protected.
                expect(b.inputs.forceDestroy, b.name).to.equal(evaluation.config["slack-clone:protectData"] !== "true");
            }
        });

        it("encrypts every bucket with SSE-S3 and blocks all public access", () => {
            for (const bucket of buckets) {
                expect(one(T.encryption, bucket).inputs.rules).to.deep.equal([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
                const { bucket: _, ...block } = one(T.publicAccess, bucket).inputs;
                expect(block, bucket).to.deep.equal({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
            }
        });

        it("gives every bucket exactly one policy, denying requests without TLS first, created after its public access block", () => {
            for (const bucket of buckets) {
                const policy = one(T.policy, bucket);
                expect(policy.inputs.policy.Version).to.equal("2012-10-17");
                expect(policy.inputs.policy.Statement[0]).to.deep.equal(tlsOnly(bucket));
                expect(policy.options.dependsOn).to.include(mockId(one(T.publicAccess, bucket)));
                expect(policy.options.parent).to.equal(STORAGE);
            }
            // index.ts adds the CDN's statement to the files policy: only that distribution may read.
            const distribution = byName(evaluation, "aws:cloudfront/distribution:Distribution", "cdn-distribution");
            expect(one(T.policy, files).inputs.policy.Statement.slice(1)).to.deep.equal([
                {
                    Sid: "AllowCloudFrontRead",
                    Effect: "Allow",
                    Principal: { Service: "cloudfront.amazonaws.com" },
                    Action: "s3:GetObject",
                    Resource: `${arn(files)}/*`,
                    Condition: { StringEquals: { "AWS:SourceArn": `arn:aws:cloudfront::${MOCK_ACCOUNT_ID}:distribution/${distribution.name}` } },
                },
            ]);
            expect(one(T.policy, thumbnails).inputs.policy.Statement).to.have.length(1);
        });

        it(`versions the files bucket and allows GET/PUT/POST from ${expected.origin} only`, () => {
            expect(one(T.versioning, files).inputs).to.deep.equal({ bucket: files, versioningConfiguration: { status: "Enabled" } });
            expect(one(T.cors, files).inputs.corsRules).to.deep.equal([
                // The browser reads each part's ETag to complete a multipart upload.
                { allowedMethods: ["GET", "PUT", "POST"], allowedOrigins: [expected.origin], allowedHeaders: ["*"], exposeHeaders: ["ETag"], maxAgeSeconds: 3000 },
            ]);
            expect(forBucket(resources, T.cors, thumbnails)).to.deep.equal([]);
        });

        it("expires files after 365 days and replaced versions after 30 (MFA delete is off in every committed stack)", () => {
            expect(evaluation.config["slack-clone:mfaDelete"]).to.equal("false");
            for (const bucket of [files, ...(expected.replicaRegion ? [replica] : [])]) {
                expect(one(T.lifecycle, bucket).inputs.rules, bucket).to.deep.equal([
                    { id: "expire-files", status: "Enabled", filter: {}, expiration: { days: 365 }, noncurrentVersionExpiration: { noncurrentDays: 30 } },
                    ABORT_MULTIPART,
                ]);
            }
        });

        it("puts every versioned bucket's lifecycle after its versioning, and aborts incomplete multipart uploads on every bucket", () => {
            const everyBucket = ofTypeIn(evaluation, T.bucket);
            const lifecycles = ofTypeIn(evaluation, T.lifecycle);
            for (const bucket of everyBucket) {
                const name = bucket.inputs.bucket;
                const lifecycle = lifecycles.filter((l) => [name, mockId(bucket)].includes(l.inputs.bucket));
                expect(lifecycle, name).to.have.length(1);
                expect(lifecycle[0].inputs.rules.at(-1), name).to.deep.equal(ABORT_MULTIPART);
                const versioning = ofTypeIn(evaluation, T.versioning).filter((v) => [name, mockId(bucket)].includes(v.inputs.bucket));
                expect(lifecycle[0].options.dependsOn, name).to.deep.equal(versioning.map(mockId));
            }
        });

        it(
            expected.lockDays > 0
                ? `locks every version of the files bucket and its replica for ${expected.lockDays} days in governance mode, without replacing the buckets`
                : "leaves Object Lock off",
            () => {
                const locks = of(T.objectLock);
                if (expected.lockDays === 0) {
                    expect(locks).to.deep.equal([]);
                    return;
                }
                for (const bucket of [files, ...(expected.replicaRegion ? [replica] : [])]) {
                    const lock = one(T.objectLock, bucket);
                    expect(lock.inputs.rule, bucket).to.deep.equal({ defaultRetention: { mode: "GOVERNANCE", days: expected.lockDays } });
                    // S3 accepts Object Lock only on a versioned bucket.
                    expect(lock.options.dependsOn).to.deep.equal([mockId(one(T.versioning, bucket))]);
                    // The bucket's own objectLockEnabled would replace it (hashicorp/terraform-provider-aws#36529): never set.
                    expect(one(T.bucket, bucket).inputs).to.not.have.property("objectLockEnabled");
                }
                expect(locks).to.have.length(expected.replicaRegion ? 2 : 1);
            },
        );

        it("expires thumbnails after 90 days; every lifecycle rule has a filter", () => {
            expect(one(T.lifecycle, thumbnails).inputs.rules).to.deep.equal([
                { id: "expire-thumbnails", status: "Enabled", filter: {}, expiration: { days: 90 } },
                ABORT_MULTIPART,
            ]);
            for (const lifecycle of of(T.lifecycle)) {
                for (const rule of lifecycle.inputs.rules) expect(rule.filter, lifecycle.name).to.deep.equal({});
            }
        });

        if (expected.accessLogs) {
            it(`logs access to both buckets in a log bucket of its own, kept ${expected.logDays} days`, () => {
                const logging = of(T.logging);
                expect(logging.map((l) => l.inputs)).to.deep.equal([
                    { bucket: files, targetBucket: logs, targetPrefix: "files/" },
                    { bucket: thumbnails, targetBucket: logs, targetPrefix: "thumbnails/" },
                ]);
                const policy = one(T.policy, logs);
                for (const l of logging) expect(l.options.dependsOn).to.deep.equal([mockId(policy)]);
                expect(policy.inputs.policy.Statement.slice(1)).to.deep.equal([
                    {
                        Sid: "AllowServerAccessLogDelivery",
                        Effect: "Allow",
                        Principal: { Service: "logging.s3.amazonaws.com" },
                        Action: "s3:PutObject",
                        Resource: [`${arn(logs)}/files/*`, `${arn(logs)}/thumbnails/*`],
                        Condition: {
                            ArnLike: { "aws:SourceArn": [arn(files), arn(thumbnails)] },
                            StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID },
                        },
                    },
                ]);
                expect(one(T.lifecycle, logs).inputs.rules).to.deep.equal([
                    { id: "expire-access-logs", status: "Enabled", filter: {}, expiration: { days: expected.logDays } },
                    ABORT_MULTIPART,
                ]);
            });
        } else {
            it("has no access logging", () => {
                expect(of(T.logging)).to.deep.equal([]);
            });
        }

        if (expected.replicaRegion) {
            it(`replicates the files bucket to a versioned bucket in ${expected.replicaRegion}, through its own provider`, () => {
                const provider = byName(evaluation, T.provider, "storage-secondary");
                expect(provider.inputs.region).to.equal(expected.replicaRegion);
                const replicaResources = resources.filter((r) => r.inputs.bucket === replica);
                expect(replicaResources.map((r) => r.type).sort()).to.deep.equal(
                    [T.bucket, T.policy, T.publicAccess, T.encryption, T.versioning, T.lifecycle, ...(expected.lockDays > 0 ? [T.objectLock] : [])].sort(),
                );
                for (const r of replicaResources) expect(r.options.provider, r.name).to.equal(mockId(provider));
                expect(one(T.versioning, replica).inputs.versioningConfiguration).to.deep.equal({ status: "Enabled" });

                const replication = one(T.replication, files);
                expect(replication.inputs).to.deep.equal({
                    bucket: files,
                    role: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/slack-clone-files-replication-${stack}`,
                    rules: [
                        {
                            id: "files-to-secondary-region",
                            status: "Enabled",
                            filter: {},
                            deleteMarkerReplication: { status: "Disabled" },
                            destination: { bucket: arn(replica), storageClass: "STANDARD" },
                        },
                    ],
                });
                expect(replication.options.dependsOn).to.have.members([
                    mockId(one(T.versioning, files)),
                    mockId(one(T.versioning, replica)),
                    mockId(byName(evaluation, T.rolePolicy, "storage-replication-policy")),
                    ...of(T.objectLock).map(mockId),
                ]);
            });

            // https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html (step 2)
            it("replicates with a role S3 assumes by the documented trust policy (no condition keys S3 may not send), allowed exactly the replication actions", () => {
                const role = byName(evaluation, T.role, "storage-replication-role");
                expect(role.inputs.assumeRolePolicy.Statement).to.deep.equal([{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }]);
                expect(byName(evaluation, T.rolePolicy, "storage-replication-policy").inputs.policy.Statement).to.deep.equal([
                    { Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: arn(files) },
                    {
                        Effect: "Allow",
                        Action: [
                            "s3:GetObjectVersionForReplication",
                            "s3:GetObjectVersionAcl",
                            "s3:GetObjectVersionTagging",
                            // Each version's retention and legal hold travel to the locked replica.
                            ...(expected.lockDays > 0 ? ["s3:GetObjectRetention", "s3:GetObjectLegalHold"] : []),
                        ],
                        Resource: `${arn(files)}/*`,
                    },
                    { Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateTags"], Resource: `${arn(replica)}/*` },
                ]);
            });
        } else {
            it("has no replication", () => {
                expect([...of(T.replication), ...of(T.provider)]).to.deep.equal([]);
            });
        }

        it(
            expected.protect
                ? "protects every bucket (protect, retainOnDelete) and retains each bucket's configuration with it"
                : "leaves buckets and their configuration unprotected",
            () => {
                const s3 = resources.filter((r) => r.type.startsWith("aws:s3/") && r.type !== T.notification);
                for (const r of s3) {
                    const isBucket = r.type === T.bucket;
                    expect(r.options.protect === true, `${r.name} protect`).to.equal(expected.protect && isBucket);
                    expect(r.options.retainOnDelete === true, `${r.name} retainOnDelete`).to.equal(expected.protect);
                }
                const notData = resources.filter((r) => [T.role, T.rolePolicy, T.function, T.logGroup, T.notification].includes(r.type as never));
                for (const r of notData) expect([r.options.protect, r.options.retainOnDelete], r.name).to.deep.equal([undefined, undefined]);
            },
        );

        it(`runs the thumbnail function ${functionName}: nodejs24.x on x86_64, 512 MB, 30 s, its own log group kept ${expected.logDays} days`, () => {
            const fn = byName(evaluation, T.function, "storage-thumbnail");
            const { code, ...inputs } = fn.inputs;
            expect(inputs).to.deep.equal({
                name: functionName,
                role: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${functionName}`,
                runtime: "nodejs24.x",
                architectures: ["x86_64"],
                handler: "index.handler",
                memorySize: 512,
                timeout: 30,
                environment: { variables: { THUMBNAILS_BUCKET: thumbnails, THUMBNAIL_MAX_DIMENSION: "256" } },
                loggingConfig: { logFormat: "Text", logGroup: `/aws/lambda/${functionName}` },
            });
            expect(fn.options.parent).to.equal("slack-clone:storage:ThumbnailFunction::storage-thumbnail");
            expect(fn.options.dependsOn).to.deep.equal([`${T.rolePolicy}::storage-thumbnail-policy`]);
            expect(byName(evaluation, T.logGroup, "storage-thumbnail-logs").inputs).to.deep.equal({
                name: `/aws/lambda/${functionName}`,
                retentionInDays: expected.logDays,
            });
        });

        it("keeps the event of an upload whose thumbnail failed after 2 retries: on-failure destination, an encrypted queue kept 14 days", () => {
            const queue = byName(evaluation, "aws:sqs/queue:Queue", "storage-thumbnail-failures");
            expect(queue.inputs).to.deep.equal({ name: `slack-clone-thumbnail-failures-${stack}`, sqsManagedSseEnabled: true, messageRetentionSeconds: 1209600 });
            const invokeConfig = byName(evaluation, T.invokeConfig, "storage-thumbnail-async");
            expect(invokeConfig.inputs).to.deep.equal({
                functionName,
                maximumRetryAttempts: 2,
                destinationConfig: { onFailure: { destination: `arn:aws:sqs:us-east-1:${MOCK_ACCOUNT_ID}:slack-clone-thumbnail-failures-${stack}` } },
            });
            expect(invokeConfig.options.dependsOn).to.deep.equal([`${T.rolePolicy}::storage-thumbnail-policy`]);
            expect(evaluation.outputs.thumbnailFailureQueueUrl).to.equal(`https://sqs.us-east-1.amazonaws.com/${MOCK_ACCOUNT_ID}/slack-clone-thumbnail-failures-${stack}`);
        });

        it("ships the built code archive: the bundled handler and sharp's linux-x64 packages", async () => {
            const recorded = byName(evaluation, T.function, "storage-thumbnail").inputs.code;
            const built = await thumbnailCode().assets;
            expect(Object.keys(await recorded.assets).sort()).to.deep.equal(Object.keys(built).sort());
        });

        it("lets the function read uploads/*, write thumbnails/*, send to its failure queue and write its own logs, nothing else", () => {
            const role = byName(evaluation, T.role, "storage-thumbnail-role");
            expect(role.inputs.name).to.equal(functionName);
            expect(role.inputs.assumeRolePolicy.Statement).to.deep.equal([
                { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
            ]);
            const policy = byName(evaluation, T.rolePolicy, "storage-thumbnail-policy");
            expect(policy.inputs.role).to.equal(`${T.role}::storage-thumbnail-role`);
            expect(policy.inputs.policy.Statement).to.deep.equal([
                { Sid: "ReadUploads", Effect: "Allow", Action: "s3:GetObject", Resource: `${arn(files)}/uploads/*` },
                { Sid: "WriteThumbnails", Effect: "Allow", Action: "s3:PutObject", Resource: `${arn(thumbnails)}/thumbnails/*` },
                {
                    Sid: "SendFailedEvents",
                    Effect: "Allow",
                    Action: "sqs:SendMessage",
                    Resource: `arn:aws:sqs:us-east-1:${MOCK_ACCOUNT_ID}:slack-clone-thumbnail-failures-${stack}`,
                },
                {
                    Sid: "WriteLogs",
                    Effect: "Allow",
                    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                    Resource: `arn:aws:logs:us-east-1:${MOCK_ACCOUNT_ID}:log-group:/aws/lambda/${functionName}:*`,
                },
            ]);
            const fnRoles = of(T.role).filter((r) => r.name.startsWith("storage-thumbnail"));
            expect(fnRoles).to.have.length(1);
        });

        it("triggers on ObjectCreated of uploads/*.jpg in the files bucket only, after S3 may invoke it (this bucket, this account)", () => {
            const permission = byName(evaluation, T.permission, "storage-thumbnail-invoke");
            expect(permission.inputs).to.deep.equal({
                function: functionName,
                action: "lambda:InvokeFunction",
                principal: "s3.amazonaws.com",
                sourceArn: arn(files),
                sourceAccount: MOCK_ACCOUNT_ID,
            });
            const notifications = of(T.notification);
            expect(notifications).to.have.length(1);
            expect(notifications[0].inputs).to.deep.equal({
                bucket: files,
                lambdaFunctions: [
                    {
                        lambdaFunctionArn: `arn:aws:lambda:us-east-1:${MOCK_ACCOUNT_ID}:function:${functionName}`,
                        events: ["s3:ObjectCreated:*"],
                        filterPrefix: "uploads/",
                        filterSuffix: ".jpg",
                    },
                ],
            });
            expect(notifications[0].options.dependsOn).to.deep.equal([mockId(permission)]);
        });

        it("exports the bucket names and ARNs and the function name" + (expected.replicaRegion ? ", and the replica's name" : ""), () => {
            const { outputs } = evaluation;
            expect(outputs.filesBucketName).to.equal(files);
            expect(outputs.filesBucketArn).to.equal(arn(files));
            expect(outputs.thumbnailsBucketName).to.equal(thumbnails);
            expect(outputs.thumbnailsBucketArn).to.equal(arn(thumbnails));
            expect(outputs.thumbnailFunctionName).to.equal(functionName);
            expect(outputs.filesReplicaBucketName).to.equal(expected.replicaRegion ? replica : undefined);
        });
    });
}

describe("Object Lock switched on in production", () => {
    it("changes no input of any bucket, so no bucket is replaced (the preview data guard stays green)", async () => {
        const buckets = (evaluation: Evaluation) => evaluation.resources.filter((r) => r.type === T.bucket).map((r) => [r.name, r.inputs]);
        const before = await evaluateWith("production", { config: { "slack-clone:objectLockRetentionDays": "0" } });
        const after = await stackEvaluation("production");
        expect(before.resources.filter((r) => r.type === T.objectLock)).to.deep.equal([]);
        expect(after.resources.filter((r) => r.type === T.objectLock)).to.have.length(2);
        expect(buckets(after)).to.deep.equal(buckets(before));
    });
});

describe("Storage with mfaDelete (an option, off in every committed stack)", () => {
    it("gives the files bucket and its replica no lifecycle configuration (S3 refuses lifecycle rules on an MFA-delete bucket)", async () => {
        const evaluation = await evaluateWith("production", { config: { "slack-clone:mfaDelete": "true" } });
        const lifecycles = storageResources(evaluation).filter((r) => r.type === T.lifecycle).map((r) => r.inputs.bucket);
        expect(lifecycles).to.not.include(bucketName("files", "production"));
        expect(lifecycles).to.not.include(bucketName("files-replica", "production"));
        expect(lifecycles).to.include(bucketName("thumbnails", "production"));
    });
});

describe("Storage.attachFilesBucketPolicy", () => {
    const args: StorageArgs = {
        environment: "staging",
        frontendUrl: "https://chat.example.com",
        accessLogging: false,
        protectData: false,
        multiRegion: false,
        mfaDelete: false,
        objectLockRetentionDays: 0,
        logRetentionDays: 30,
        thumbnailMaxDimension: 256,
        providerSettings: {},
    };
    const files = bucketName("files", "staging");
    const cdnArn = "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE";
    let evaluation: Evaluation;
    let secondCall: Error | undefined;

    before(async () => {
        evaluation = await serially(() =>
            evaluate("staging", { "aws:region": "us-east-1" }, () => {
                const storage = new Storage("storage", args);
                storage.attachFilesBucketPolicy([
                    {
                        Sid: "AllowCloudFrontRead",
                        Effect: "Allow",
                        Principal: { Service: "cloudfront.amazonaws.com" },
                        Action: "s3:GetObject",
                        Resource: storage.filesBucketArn.apply((a) => `${a}/*`),
                        Condition: { StringEquals: { "AWS:SourceArn": cdnArn } },
                    },
                ]);
                try {
                    storage.attachFilesBucketPolicy([]);
                } catch (error) {
                    secondCall = error as Error;
                }
                return {};
            }),
        );
    });

    it("creates the files bucket's one policy: TLS-only, then the extra statements, inside Storage, after the public access block", () => {
        const policies = forBucket(storageResources(evaluation), T.policy, files);
        expect(policies).to.have.length(1);
        expect(policies[0].inputs.policy.Statement).to.deep.equal([
            tlsOnly(files),
            {
                Sid: "AllowCloudFrontRead",
                Effect: "Allow",
                Principal: { Service: "cloudfront.amazonaws.com" },
                Action: "s3:GetObject",
                Resource: `${arn(files)}/*`,
                Condition: { StringEquals: { "AWS:SourceArn": cdnArn } },
            },
        ]);
        expect(policies[0].options.parent).to.equal("slack-clone:storage:Storage::storage");
        expect(policies[0].options.dependsOn).to.deep.equal([`${T.publicAccess}::storage-files-public-access`]);
    });

    it("refuses a second call, which would overwrite the first policy", () => {
        expect(secondCall?.message).to.equal(
            'bucket "storage-files": its policy was already attached; S3 keeps one policy per bucket, so pass every statement at once',
        );
    });
});

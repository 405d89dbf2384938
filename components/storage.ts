import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { physicalName } from "./naming";
import { LifecycleRule, PrivateBucket, PrivateBucketArgs } from "./private-bucket";
import { ThumbnailFunction } from "./thumbnail";

export interface StorageArgs {
    /** Environment name, part of every bucket name. */
    readonly environment: string;
    /** Origin of the web front end: the only CORS origin of the files bucket. */
    readonly frontendUrl: string;
    /** S3 server access logs of both buckets, to a log bucket of their own (kept `logRetentionDays`). */
    readonly accessLogging: boolean;
    /**
     * Buckets survive any deploy or destroy: `protect` and `retainOnDelete` on each bucket, and
     * `retainOnDelete` on each bucket's configuration (versioning, encryption, public access block,
     * policy...), so a retained bucket keeps its safeguards.
     */
    readonly protectData: boolean;
    /** Replicates the files bucket to a bucket in `secondaryRegion`. */
    readonly multiRegion: boolean;
    /** Region of the replica bucket; required with `multiRegion`. */
    readonly secondaryRegion?: string;
    /**
     * MFA delete is expected on the files bucket. The root account switches it on once (README,
     * "MFA delete"); S3 does not support lifecycle rules on such a bucket, so the files bucket and
     * its replica then get none: files and their versions are kept.
     */
    readonly mfaDelete: boolean;
    /** Days the access logs are kept. */
    readonly logRetentionDays: number;
    /** Thumbnails fit inside a square of this many pixels. */
    readonly thumbnailMaxDimension: number;
}

/** Expiry of uploaded files and of their noncurrent versions (days). */
const FILES_EXPIRE_DAYS = 365;
const FILES_NONCURRENT_EXPIRE_DAYS = 30;
const THUMBNAILS_EXPIRE_DAYS = 90;
const CORS_MAX_AGE_SECONDS = 3000;

/** Access logs of each bucket go under this prefix of the log bucket. */
const LOG_PREFIXES = { files: "files/", thumbnails: "thumbnails/" } as const;

/**
 * The product's S3 storage: the files bucket (uploads, versioned, CORS for the web app), the
 * thumbnails bucket, and the thumbnail function between them; where the config says so, access
 * logging and cross-region replication of the files bucket.
 *
 * The files bucket takes exactly one bucket policy, created by `attachFilesBucketPolicy` once the
 * statements of every consumer (e.g. the CDN's origin access) are known. Its event notification
 * configuration (one per bucket) belongs to the thumbnail function.
 */
export class Storage extends pulumi.ComponentResource {
    public readonly filesBucket: aws.s3.Bucket;
    public readonly thumbnailsBucket: aws.s3.Bucket;
    /** The files bucket's copy in the secondary region (with `multiRegion`). */
    public readonly filesReplicaBucket?: aws.s3.Bucket;
    /** Bucket receiving the server access logs (with `accessLogging`). */
    public readonly accessLogsBucket?: aws.s3.Bucket;
    public readonly thumbnailFunction: aws.lambda.Function;

    public readonly filesBucketName: pulumi.Output<string>;
    public readonly filesBucketArn: pulumi.Output<string>;
    public readonly thumbnailsBucketName: pulumi.Output<string>;
    public readonly thumbnailsBucketArn: pulumi.Output<string>;
    public readonly thumbnailFunctionName: pulumi.Output<string>;

    private readonly accountId: pulumi.Output<string>;
    private readonly files: PrivateBucket;
    private readonly thumbnails: PrivateBucket;

    constructor(
        private readonly name: string,
        private readonly args: StorageArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("slack-clone:storage:Storage", name, {}, opts);
        this.accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

        this.files = this.createFilesBucket();
        this.thumbnails = this.createThumbnailsBucket();
        this.filesBucket = this.files.bucket;
        this.thumbnailsBucket = this.thumbnails.bucket;
        if (args.accessLogging) this.accessLogsBucket = this.createAccessLogging();
        if (args.multiRegion) this.filesReplicaBucket = this.createReplication();
        this.thumbnailFunction = new ThumbnailFunction(
            `${name}-thumbnail`,
            {
                environment: args.environment,
                filesBucket: this.filesBucket,
                thumbnailsBucket: this.thumbnailsBucket,
                accountId: this.accountId,
                maxDimension: args.thumbnailMaxDimension,
                logRetentionDays: args.logRetentionDays,
            },
            { parent: this },
        ).lambda;

        this.filesBucketName = this.filesBucket.bucket;
        this.filesBucketArn = this.filesBucket.arn;
        this.thumbnailsBucketName = this.thumbnailsBucket.bucket;
        this.thumbnailsBucketArn = this.thumbnailsBucket.arn;
        this.thumbnailFunctionName = this.thumbnailFunction.name;
        this.registerOutputs({
            filesBucketName: this.filesBucketName,
            filesBucketArn: this.filesBucketArn,
            thumbnailsBucketName: this.thumbnailsBucketName,
            thumbnailsBucketArn: this.thumbnailsBucketArn,
            thumbnailFunctionName: this.thumbnailFunctionName,
            filesReplicaBucketName: this.filesReplicaBucket?.bucket,
        });
    }

    /**
     * Creates the files bucket's only bucket policy: TLS-only access plus `extraStatements` (e.g.
     * read access for the CDN's origin access control). Call it exactly once, after every consumer
     * that needs a statement exists; S3 keeps one policy per bucket, so a second policy resource
     * would silently overwrite the first.
     */
    public attachFilesBucketPolicy(extraStatements: pulumi.Input<aws.iam.PolicyStatement>[]): aws.s3.BucketPolicy {
        return this.files.attachPolicy(extraStatements);
    }

    private createFilesBucket(): PrivateBucket {
        const files = this.createPrivateBucket("files", "files", { versioning: true, lifecycleRules: this.filesLifecycleRules() });
        new aws.s3.BucketCorsConfiguration(
            `${this.name}-files-cors`,
            {
                bucket: files.bucket.bucket,
                corsRules: [
                    {
                        allowedMethods: ["GET", "PUT", "POST"],
                        allowedOrigins: [this.args.frontendUrl],
                        allowedHeaders: ["*"],
                        maxAgeSeconds: CORS_MAX_AGE_SECONDS,
                    },
                ],
            },
            files.childOptions(),
        );
        return files;
    }

    private createThumbnailsBucket(): PrivateBucket {
        const thumbnails = this.createPrivateBucket("thumbnails", "thumbnails", {
            lifecycleRules: [{ id: "expire-thumbnails", status: "Enabled", filter: {}, expiration: { days: THUMBNAILS_EXPIRE_DAYS } }],
        });
        thumbnails.attachPolicy([]);
        return thumbnails;
    }

    /** A log bucket of its own, and server access logging of both buckets into it. */
    private createAccessLogging(): aws.s3.Bucket {
        const logs = this.createPrivateBucket("access-logs", "s3-logs", {
            lifecycleRules: [{ id: "expire-access-logs", status: "Enabled", filter: {}, expiration: { days: this.args.logRetentionDays } }],
        });
        // Log delivery is authorized by the bucket policy (ACLs are disabled on new buckets).
        const policy = logs.attachPolicy([
            {
                Sid: "AllowServerAccessLogDelivery",
                Effect: "Allow",
                Principal: { Service: "logging.s3.amazonaws.com" },
                Action: "s3:PutObject",
                Resource: Object.values(LOG_PREFIXES).map((prefix) => pulumi.interpolate`${logs.bucket.arn}/${prefix}*`),
                Condition: {
                    ArnLike: { "aws:SourceArn": [this.filesBucket.arn, this.thumbnailsBucket.arn] },
                    StringEquals: { "aws:SourceAccount": this.accountId },
                },
            },
        ]);
        for (const [what, source] of [
            ["files", this.files],
            ["thumbnails", this.thumbnails],
        ] as const) {
            new aws.s3.BucketLogging(
                `${this.name}-${what}-access-logging`,
                { bucket: source.bucket.bucket, targetBucket: logs.bucket.bucket, targetPrefix: LOG_PREFIXES[what] },
                { ...source.childOptions(), dependsOn: [policy] },
            );
        }
        return logs.bucket;
    }

    /** The files bucket replicated to a versioned bucket in the secondary region, by a role of its own. */
    private createReplication(): aws.s3.Bucket {
        if (this.args.secondaryRegion === undefined) throw new Error("Storage: multiRegion needs secondaryRegion");
        const provider = new aws.Provider(`${this.name}-secondary`, { region: this.args.secondaryRegion }, { parent: this });
        const replica = this.createPrivateBucket("files-replica", "files-replica", {
            versioning: true,
            lifecycleRules: this.filesLifecycleRules(),
            provider,
        });
        replica.attachPolicy([]);

        const { role, rolePolicy } = this.createReplicationRole(replica.bucket);
        new aws.s3.BucketReplicationConfig(
            `${this.name}-files-replication`,
            {
                bucket: this.filesBucket.bucket,
                role: role.arn,
                rules: [
                    {
                        id: "files-to-secondary-region",
                        status: "Enabled",
                        filter: {},
                        // A deletion in the primary region does not hide the copy.
                        deleteMarkerReplication: { status: "Disabled" },
                        destination: { bucket: replica.bucket.arn, storageClass: "STANDARD" },
                    },
                ],
            },
            { ...this.files.childOptions(), dependsOn: [this.files.versioning!, replica.versioning!, rolePolicy] },
        );
        return replica.bucket;
    }

    /** A role that S3 alone assumes, for this bucket, to read its versions and write them to the replica. */
    private createReplicationRole(replica: aws.s3.Bucket): { role: aws.iam.Role; rolePolicy: aws.iam.RolePolicy } {
        const source = this.filesBucket.arn;
        const role = new aws.iam.Role(
            `${this.name}-replication-role`,
            {
                name: physicalName("files-replication", this.args.environment),
                assumeRolePolicy: {
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Service: "s3.amazonaws.com" },
                            Action: "sts:AssumeRole",
                            Condition: { StringEquals: { "aws:SourceAccount": this.accountId }, ArnLike: { "aws:SourceArn": source } },
                        },
                    ],
                },
            },
            { parent: this },
        );
        const rolePolicy = new aws.iam.RolePolicy(
            `${this.name}-replication-policy`,
            {
                role: role.id,
                policy: {
                    Version: "2012-10-17",
                    Statement: [
                        { Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: source },
                        {
                            Effect: "Allow",
                            Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
                            Resource: pulumi.interpolate`${source}/*`,
                        },
                        {
                            Effect: "Allow",
                            Action: ["s3:ReplicateObject", "s3:ReplicateTags"],
                            Resource: pulumi.interpolate`${replica.arn}/*`,
                        },
                    ],
                },
            },
            { parent: this },
        );
        return { role, rolePolicy };
    }

    /** `slack-clone-{what}-{environment}-{accountId}`, with the options every bucket of the component shares. */
    private createPrivateBucket(resource: string, what: string, options: Omit<PrivateBucketArgs, "bucketName" | "protectData">): PrivateBucket {
        const bucketName = this.accountId.apply((id) => physicalName(what, this.args.environment, id));
        return new PrivateBucket(this, `${this.name}-${resource}`, { bucketName, protectData: this.args.protectData, ...options });
    }

    /** Files expire after a year, replaced versions after 30 days; none with MFA delete (S3 refuses lifecycle rules there). */
    private filesLifecycleRules(): LifecycleRule[] {
        if (this.args.mfaDelete) return [];
        return [
            {
                id: "expire-files",
                status: "Enabled",
                filter: {},
                expiration: { days: FILES_EXPIRE_DAYS },
                noncurrentVersionExpiration: { noncurrentDays: FILES_NONCURRENT_EXPIRE_DAYS },
            },
        ];
    }
}

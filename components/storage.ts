import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { physicalName } from "./naming";
import { LifecycleRule, PrivateBucket, PrivateBucketArgs } from "./private-bucket";
import { ServiceRole, createServiceRole } from "./service-role";
import { AwsProviderSettings, regionalProvider } from "./providers";
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
    /** The stack's AWS provider settings, which the secondary region's provider inherits. */
    readonly providerSettings: AwsProviderSettings;
    /**
     * MFA delete is expected on the files bucket. The root account switches it on once (README,
     * "MFA delete"); S3 does not support lifecycle rules on such a bucket, so the files bucket and
     * its replica then get none: files and their versions are kept, and incomplete multipart
     * uploads are not aborted.
     */
    readonly mfaDelete: boolean;
    /**
     * Days of S3 Object Lock default retention, in governance mode, on the files bucket and its
     * replica (`PrivateBucketArgs.objectLockRetentionDays`); 0 leaves Object Lock off.
     */
    readonly objectLockRetentionDays: number;
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
/** Response headers the browser may read: a multipart upload needs each part's `ETag` to complete it. */
export const CORS_EXPOSE_HEADERS = ["ETag"];

/** What the replication role reads of each source version. */
const REPLICATION_READ_ACTIONS = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"];
/**
 * What it also reads to carry each version's retention and legal hold to a locked replica (S3 user
 * guide, "Object Lock considerations", https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html).
 */
const OBJECT_LOCK_REPLICATION_ACTIONS = ["s3:GetObjectRetention", "s3:GetObjectLegalHold"];

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
    /** The thumbnail function's on-failure queue. */
    public readonly thumbnailFailureQueue: aws.sqs.Queue;

    public readonly filesBucketName: pulumi.Output<string>;
    public readonly filesBucketArn: pulumi.Output<string>;
    public readonly thumbnailsBucketName: pulumi.Output<string>;
    public readonly thumbnailsBucketArn: pulumi.Output<string>;
    public readonly thumbnailFunctionName: pulumi.Output<string>;

    private readonly accountId: pulumi.Output<string>;
    private readonly files: PrivateBucket;
    private readonly thumbnails: PrivateBucket;

    constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slack-clone:storage:Storage", name, {}, opts);
        this.accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

        this.files = this.createFilesBucket(name, args);
        this.thumbnails = this.createThumbnailsBucket(name, args);
        this.filesBucket = this.files.bucket;
        this.thumbnailsBucket = this.thumbnails.bucket;
        if (args.accessLogging) this.accessLogsBucket = this.createAccessLogging(name, args);
        if (args.multiRegion) {
            const replica = this.createReplicaBucket(name, args);
            this.createReplication(name, replica, this.createReplicationRole(name, args, replica.bucket));
            this.filesReplicaBucket = replica.bucket;
        }
        const thumbnail = new ThumbnailFunction(
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
        );
        this.thumbnailFunction = thumbnail.lambda;
        this.thumbnailFailureQueue = thumbnail.failureQueue;

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

    private createFilesBucket(name: string, args: StorageArgs): PrivateBucket {
        const files = this.createPrivateBucket(name, args, "files", "files", filesBucketOptions(args));
        new aws.s3.BucketCorsConfiguration(
            `${name}-files-cors`,
            {
                bucket: files.bucket.bucket,
                corsRules: [
                    {
                        allowedMethods: ["GET", "PUT", "POST"],
                        allowedOrigins: [args.frontendUrl],
                        allowedHeaders: ["*"],
                        exposeHeaders: CORS_EXPOSE_HEADERS,
                        maxAgeSeconds: CORS_MAX_AGE_SECONDS,
                    },
                ],
            },
            files.childOptions(),
        );
        return files;
    }

    private createThumbnailsBucket(name: string, args: StorageArgs): PrivateBucket {
        const thumbnails = this.createPrivateBucket(name, args, "thumbnails", "thumbnails", {
            lifecycleRules: [{ id: "expire-thumbnails", status: "Enabled", filter: {}, expiration: { days: THUMBNAILS_EXPIRE_DAYS } }],
        });
        thumbnails.attachPolicy([]);
        return thumbnails;
    }

    /** A log bucket of its own, and server access logging of both buckets into it. */
    private createAccessLogging(name: string, args: StorageArgs): aws.s3.Bucket {
        const logs = this.createPrivateBucket(name, args, "access-logs", "s3-logs", {
            lifecycleRules: [{ id: "expire-access-logs", status: "Enabled", filter: {}, expiration: { days: args.logRetentionDays } }],
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
                `${name}-${what}-access-logging`,
                { bucket: source.bucket.bucket, targetBucket: logs.bucket.bucket, targetPrefix: LOG_PREFIXES[what] },
                { ...source.childOptions(), dependsOn: [policy] },
            );
        }
        return logs.bucket;
    }

    /**
     * The files bucket's copy in the secondary region (a provider of its own), configured as the files
     * bucket is: replicating locked objects needs Object Lock on the destination too (S3 replication
     * failure reason DstBucketObjectLockConfigMissing).
     */
    private createReplicaBucket(name: string, args: StorageArgs): PrivateBucket {
        if (args.secondaryRegion === undefined) throw new Error("Storage: multiRegion needs secondaryRegion");
        const provider = regionalProvider(`${name}-secondary`, args.secondaryRegion, args.providerSettings, { parent: this });
        const replica = this.createPrivateBucket(name, args, "files-replica", "files-replica", { ...filesBucketOptions(args), provider });
        replica.attachPolicy([]);
        return replica;
    }

    /**
     * A role that S3 assumes to read the files bucket's versions and write them to the replica, with
     * the trust policy the S3 user guide gives for live replication: the service principal
     * s3.amazonaws.com, no condition ("Setting up permissions for live replication", step 2:
     * https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html).
     * S3 documents no source condition keys for it, and a condition on a key the service does not
     * send denies the assumption: replication would stop with no error anywhere but the objects'
     * FAILED replication status. What the role may do is scoped to these two buckets instead, and
     * only a principal of this account allowed iam:PassRole can name it in a replication rule.
     */
    private createReplicationRole(name: string, args: StorageArgs, replica: aws.s3.Bucket): ServiceRole {
        const source = this.filesBucket.arn;
        return createServiceRole(
            {
                names: { role: `${name}-replication-role`, policy: `${name}-replication-policy` },
                name: physicalName("files-replication", args.environment),
                service: "s3.amazonaws.com",
                statements: [
                    { Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: source },
                    {
                        Effect: "Allow",
                        Action: [...REPLICATION_READ_ACTIONS, ...(args.objectLockRetentionDays > 0 ? OBJECT_LOCK_REPLICATION_ACTIONS : [])],
                        Resource: pulumi.interpolate`${source}/*`,
                    },
                    {
                        Effect: "Allow",
                        Action: ["s3:ReplicateObject", "s3:ReplicateTags"],
                        Resource: pulumi.interpolate`${replica.arn}/*`,
                    },
                ],
            },
            { parent: this },
        );
    }

    /** Replication of every object of the files bucket to the replica, once both are versioned and the role may act. */
    private createReplication(name: string, replica: PrivateBucket, role: ServiceRole): aws.s3.BucketReplicationConfig {
        return new aws.s3.BucketReplicationConfig(
            `${name}-files-replication`,
            {
                bucket: this.filesBucket.bucket,
                role: role.role.arn,
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
            {
                ...this.files.childOptions(),
                dependsOn: [this.files.versioning!, replica.versioning!, role.policy, ...[this.files.objectLock, replica.objectLock].filter((r) => r !== undefined)],
            },
        );
    }

    /** `slack-clone-{what}-{environment}-{accountId}`, with the options every bucket of the component shares. */
    private createPrivateBucket(
        name: string,
        args: StorageArgs,
        resource: string,
        what: string,
        options: Omit<PrivateBucketArgs, "bucketName" | "protectData">,
    ): PrivateBucket {
        const bucketName = this.accountId.apply((id) => physicalName(what, args.environment, id));
        return new PrivateBucket(this, `${name}-${resource}`, { bucketName, protectData: args.protectData, ...options });
    }
}

/**
 * The files bucket and its replica: versioned, locked per `objectLockRetentionDays`; files expire
 * after a year, replaced versions after 30 days (a locked version once its retention has passed);
 * no lifecycle at all with MFA delete.
 */
function filesBucketOptions(args: StorageArgs): Omit<PrivateBucketArgs, "bucketName" | "protectData"> {
    const expireFiles: LifecycleRule = {
        id: "expire-files",
        status: "Enabled",
        filter: {},
        expiration: { days: FILES_EXPIRE_DAYS },
        noncurrentVersionExpiration: { noncurrentDays: FILES_NONCURRENT_EXPIRE_DAYS },
    };
    return { versioning: true, lifecycleRules: [expireFiles], mfaDelete: args.mfaDelete, objectLockRetentionDays: args.objectLockRetentionDays };
}

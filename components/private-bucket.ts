import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export type LifecycleRule = aws.types.input.s3.BucketLifecycleConfigurationRule;

/** Days after which S3 aborts a multipart upload never completed (its parts are billed until then). */
export const ABORT_MULTIPART_DAYS = 7;

/** The rule every bucket's lifecycle configuration ends with: incomplete multipart uploads are aborted. */
export const ABORT_INCOMPLETE_MULTIPART_UPLOADS: LifecycleRule = {
    id: "abort-incomplete-multipart-uploads",
    status: "Enabled",
    filter: {},
    abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_MULTIPART_DAYS },
};

export interface PrivateBucketArgs {
    /** Physical bucket name (`slack-clone-{what}-{environment}-{accountId}`). */
    readonly bucketName: pulumi.Input<string>;
    /**
     * The bucket holds data: `protect` and `retainOnDelete` on the bucket, and `retainOnDelete` on
     * every configuration child; without it, `forceDestroy`, so `pulumi destroy` empties and deletes it (encryption, public access block, versioning, lifecycle, policy,
     * and whatever the owner adds through `childOptions`), so a retained bucket keeps its safeguards.
     */
    readonly protectData: boolean;
    /** Versioning enabled. @default false */
    readonly versioning?: boolean;
    /**
     * Lifecycle rules, each with a `filter`. The configuration always ends with
     * `ABORT_INCOMPLETE_MULTIPART_UPLOADS`, and comes after the versioning of a versioned bucket.
     */
    readonly lifecycleRules?: readonly LifecycleRule[];
    /**
     * MFA delete is expected on the bucket (the root account switches it on; README, "MFA delete"):
     * no lifecycle configuration at all, since S3 does not support lifecycle rules on an MFA-delete
     * bucket (S3 user guide, "Lifecycle and other bucket configurations"). @default false
     */
    readonly mfaDelete?: boolean;
    /**
     * Days of S3 Object Lock default retention in governance mode (needs `versioning`): no version can
     * be deleted or overwritten for this long after its upload, except by a principal with
     * `s3:BypassGovernanceRetention`. Switched on by an `aws.s3.BucketObjectLockConfiguration` on the
     * existing bucket: the bucket's own `objectLockEnabled` flag would replace it
     * (hashicorp/terraform-provider-aws#36529). Once on, it cannot be switched off (S3 user guide,
     * "Configuring S3 Object Lock"). 0 or absent: off.
     */
    readonly objectLockRetentionDays?: number;
    /** `BucketOwnerEnforced` object ownership (ACLs disabled), set explicitly. @default not managed */
    readonly ownerEnforced?: boolean;
    /** Provider of another region (a replica); the bucket and every child use it. */
    readonly provider?: aws.Provider;
}

/** The first statement of every bucket policy: any request to the bucket without TLS is denied. */
function denyInsecureTransport(bucketArn: pulumi.Input<string>): aws.iam.PolicyStatement {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, pulumi.interpolate`${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

/**
 * The one recipe for a bucket of the product: SSE-S3 encryption, all public access blocked, and
 * optionally versioning, lifecycle rules and enforced ownership; one policy that denies requests
 * without TLS, added by `attachPolicy` once its other statements are known (S3 keeps one policy
 * per bucket). Not a component: every resource is a child of `parent`, named `{name}-encryption`,
 * `{name}-public-access`, ... so the owner's resource names stay as they are.
 */
export class PrivateBucket {
    public readonly bucket: aws.s3.Bucket;
    public readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
    public readonly versioning?: aws.s3.BucketVersioning;
    /** The Object Lock configuration (with `objectLockRetentionDays`). */
    public readonly objectLock?: aws.s3.BucketObjectLockConfiguration;
    private policy?: aws.s3.BucketPolicy;

    /** `name` is the bucket's logical name; its children's names start with it. */
    constructor(
        private readonly parent: pulumi.Resource,
        private readonly name: string,
        private readonly args: PrivateBucketArgs,
    ) {
        this.bucket = new aws.s3.Bucket(
            name,
            // Unprotected, a bucket is destroyable from its first deploy: `forceDestroy` lets `pulumi destroy`
            // delete its objects and versions (the provider honours it only once a deploy has recorded it).
            { bucket: args.bucketName, forceDestroy: !args.protectData },
            { parent, provider: args.provider, protect: args.protectData, retainOnDelete: args.protectData },
        );
        const bucket = this.bucket.bucket;
        if (args.ownerEnforced) {
            new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } }, this.childOptions());
        }
        new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-encryption`,
            { bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
            this.childOptions(),
        );
        this.publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
            `${name}-public-access`,
            { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            this.childOptions(),
        );
        if (args.versioning) {
            // MFA delete is never set here: only the root account can switch it on (README, "MFA delete").
            this.versioning = new aws.s3.BucketVersioning(
                `${name}-versioning`,
                { bucket, versioningConfiguration: { status: "Enabled" } },
                this.childOptions(),
            );
        }
        const lockDays = args.objectLockRetentionDays ?? 0;
        if (lockDays > 0) {
            if (this.versioning === undefined) throw new Error(`bucket "${name}": Object Lock needs versioning (S3 accepts it only on a versioned bucket)`);
            this.objectLock = new aws.s3.BucketObjectLockConfiguration(
                `${name}-object-lock`,
                { bucket, rule: { defaultRetention: { mode: "GOVERNANCE", days: lockDays } } },
                { ...this.childOptions(), dependsOn: [this.versioning] },
            );
        }
        if (!args.mfaDelete) {
            new aws.s3.BucketLifecycleConfiguration(
                `${name}-lifecycle`,
                { bucket, rules: [...(args.lifecycleRules ?? []), ABORT_INCOMPLETE_MULTIPART_UPLOADS] },
                // A versioned bucket's lifecycle comes after its versioning (the provider's documented dependsOn).
                { ...this.childOptions(), dependsOn: this.versioning ? [this.versioning] : [] },
            );
        }
    }

    /**
     * Creates the bucket's only policy: deny any request without TLS, then `statements`; after the
     * public access block. Throws on a second call: a second policy resource would silently
     * overwrite the first.
     */
    public attachPolicy(statements: pulumi.Input<aws.iam.PolicyStatement>[]): aws.s3.BucketPolicy {
        if (this.policy !== undefined) {
            throw new Error(`bucket "${this.name}": its policy was already attached; S3 keeps one policy per bucket, so pass every statement at once`);
        }
        this.policy = new aws.s3.BucketPolicy(
            `${this.name}-policy`,
            {
                bucket: this.bucket.bucket,
                policy: { Version: "2012-10-17", Statement: [denyInsecureTransport(this.bucket.arn), ...statements] },
            },
            { ...this.childOptions(), dependsOn: [this.publicAccessBlock] },
        );
        return this.policy;
    }

    /** Options of any resource that configures this bucket: same parent and provider, retained with the bucket. */
    public childOptions(): pulumi.CustomResourceOptions {
        return { parent: this.parent, provider: this.args.provider, retainOnDelete: this.args.protectData };
    }
}

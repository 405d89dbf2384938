import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export type LifecycleRule = aws.types.input.s3.BucketLifecycleConfigurationRule;

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
    /** Lifecycle rules; none (and no lifecycle configuration) when empty or absent. Every rule needs a `filter`. */
    readonly lifecycleRules?: readonly LifecycleRule[];
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
        if (args.lifecycleRules !== undefined && args.lifecycleRules.length > 0) {
            new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, { bucket, rules: [...args.lifecycleRules] }, this.childOptions());
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

import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { assertNameFits, physicalName } from "./naming";
import { denyInsecureTransport } from "./storage";

export interface AuditArgs {
    /** Environment name, the last part of every name. */
    readonly environment: string;
    /** Days the trail's log files are kept (the stack's log retention). */
    readonly logRetentionDays: number;
    /** The log bucket is data: `protect` and `retainOnDelete` it. */
    readonly protectData: boolean;
}

/** Days a deleted or overwritten log file stays recoverable as a noncurrent version. */
const NONCURRENT_LOG_DAYS = 30;

/**
 * CloudTrail: a multi-region trail `slack-clone-trail-{environment}` with log file validation,
 * writing to its own bucket `slack-clone-audit-{environment}-{accountId}` (SSE-S3, versioned,
 * public access blocked, TLS only, writable by this trail only).
 */
export class Audit extends pulumi.ComponentResource {
    public readonly trailName: pulumi.Output<string>;
    public readonly bucketName: pulumi.Output<string>;

    constructor(name: string, args: AuditArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slack-clone:audit:Audit", name, {}, opts);

        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const region = aws.getRegionOutput({}, { parent: this }).region;
        const trailName = physicalName("trail", args.environment);

        const bucket = this.createBucket(name, args, account);
        // The trail must not exist before its bucket accepts it (InsufficientS3BucketPolicyException).
        const policy = this.allowTrail(name, bucket, pulumi.interpolate`arn:${partition}:cloudtrail:${region}:${account}:trail/${trailName}`, account);
        const trail = new aws.cloudtrail.Trail(
            `${name}-trail`,
            {
                name: trailName,
                s3BucketName: bucket.bucket,
                isMultiRegionTrail: true,
                includeGlobalServiceEvents: true,
                enableLogFileValidation: true,
                enableLogging: true,
            },
            { parent: this, dependsOn: [policy] },
        );

        this.trailName = trail.name;
        this.bucketName = bucket.bucket;
        this.registerOutputs({ trailName: this.trailName, bucketName: this.bucketName });
    }

    private createBucket(name: string, args: AuditArgs, account: pulumi.Output<string>): aws.s3.Bucket {
        const data = { parent: this, protect: args.protectData, retainOnDelete: args.protectData };
        const bucket = new aws.s3.Bucket(
            `${name}-bucket`,
            { bucket: account.apply((id) => assertNameFits("s3Bucket", physicalName("audit", args.environment, id))) },
            data,
        );
        const child = { parent: this };
        new aws.s3.BucketOwnershipControls(`${name}-bucket-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
        new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-bucket-encryption`,
            { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
            child,
        );
        new aws.s3.BucketVersioning(`${name}-bucket-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, child);
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-bucket-lifecycle`,
            {
                bucket: bucket.id,
                rules: [
                    {
                        id: "expire-logs",
                        status: "Enabled",
                        filter: {},
                        expiration: { days: args.logRetentionDays },
                        noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_LOG_DAYS },
                    },
                ],
            },
            child,
        );
        return bucket;
    }

    /** Public access blocked, then the policy CloudTrail requires for this trail, and TLS only. */
    private allowTrail(name: string, bucket: aws.s3.Bucket, trailArn: pulumi.Output<string>, account: pulumi.Output<string>): aws.s3.BucketPolicy {
        const block = new aws.s3.BucketPublicAccessBlock(
            `${name}-bucket-public-access`,
            { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            { parent: this },
        );
        const cloudtrail = { Service: "cloudtrail.amazonaws.com" };
        const fromThisTrail = { "aws:SourceArn": trailArn };
        const policy = pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
                { Sid: "TrailAclCheck", Effect: "Allow", Principal: cloudtrail, Action: "s3:GetBucketAcl", Resource: bucket.arn, Condition: { StringEquals: fromThisTrail } },
                {
                    Sid: "TrailWrite",
                    Effect: "Allow",
                    Principal: cloudtrail,
                    Action: "s3:PutObject",
                    Resource: pulumi.interpolate`${bucket.arn}/AWSLogs/${account}/*`,
                    Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", ...fromThisTrail } },
                },
                denyInsecureTransport(bucket.arn),
            ],
        });
        return new aws.s3.BucketPolicy(`${name}-bucket-policy`, { bucket: bucket.id, policy }, { parent: this, dependsOn: [block] });
    }
}

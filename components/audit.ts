import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { physicalName } from "./naming";
import { PrivateBucket } from "./private-bucket";

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
        const policy = this.allowTrail(bucket, pulumi.interpolate`arn:${partition}:cloudtrail:${region}:${account}:trail/${trailName}`, account);
        const trail = new aws.cloudtrail.Trail(
            `${name}-trail`,
            {
                name: trailName,
                s3BucketName: bucket.bucket.bucket,
                isMultiRegionTrail: true,
                includeGlobalServiceEvents: true,
                enableLogFileValidation: true,
                enableLogging: true,
            },
            { parent: this, dependsOn: [policy] },
        );

        this.trailName = trail.name;
        this.bucketName = bucket.bucket.bucket;
        this.registerOutputs({ trailName: this.trailName, bucketName: this.bucketName });
    }

    /** SSE-S3, versioned, owner-enforced, all public access blocked; log files expire after `logRetentionDays`. */
    private createBucket(name: string, args: AuditArgs, account: pulumi.Output<string>): PrivateBucket {
        return new PrivateBucket(this, `${name}-bucket`, {
            bucketName: account.apply((id) => physicalName("audit", args.environment, id)),
            protectData: args.protectData,
            ownerEnforced: true,
            versioning: true,
            lifecycleRules: [
                {
                    id: "expire-logs",
                    status: "Enabled",
                    filter: {},
                    expiration: { days: args.logRetentionDays },
                    noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_LOG_DAYS },
                },
            ],
        });
    }

    /** The bucket's one policy: what CloudTrail requires for this trail, and TLS only. */
    private allowTrail(target: PrivateBucket, trailArn: pulumi.Output<string>, account: pulumi.Output<string>): aws.s3.BucketPolicy {
        const bucketArn = target.bucket.arn;
        const cloudtrail = { Service: "cloudtrail.amazonaws.com" };
        const fromThisTrail = { "aws:SourceArn": trailArn };
        return target.attachPolicy([
            { Sid: "TrailAclCheck", Effect: "Allow", Principal: cloudtrail, Action: "s3:GetBucketAcl", Resource: bucketArn, Condition: { StringEquals: fromThisTrail } },
            {
                Sid: "TrailWrite",
                Effect: "Allow",
                Principal: cloudtrail,
                Action: "s3:PutObject",
                Resource: pulumi.interpolate`${bucketArn}/AWSLogs/${account}/*`,
                Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", ...fromThisTrail } },
            },
        ]);
    }
}

import { expect } from "chai";
import { Evaluation, byName, ofType } from "../harness/mock-engine";
import { STACKS, stackEvaluation } from "./helpers/stacks";

const TRAIL = "aws:cloudtrail/trail:Trail";
const BUCKET = "aws:s3/bucket:Bucket";

for (const stack of STACKS) {
    describe(`Audit in ${stack}`, () => {
        let evaluation: Evaluation;
        const on = stack !== "development";
        const bucketName = `slack-clone-audit-${stack}-123456789012`;
        const bucketArn = `arn:aws:s3:::${bucketName}`;
        const trailArn = `arn:aws:cloudtrail:us-east-1:123456789012:trail/slack-clone-trail-${stack}`;
        const child = (type: string, name: string) => byName(evaluation, `aws:s3/${type}`, `audit-bucket-${name}`).inputs;

        before(async () => {
            evaluation = await stackEvaluation(stack);
        });

        if (!on) {
            it("has no trail, no audit bucket and no audit outputs", () => {
                expect(ofType(evaluation, TRAIL)).to.deep.equal([]);
                expect(ofType(evaluation, "slack-clone:audit:Audit")).to.deep.equal([]);
                expect(evaluation.outputs).not.to.have.any.keys("trailName", "auditBucketName");
            });
            return;
        }

        it("has a multi-region trail with log file validation, writing to its own bucket once the bucket policy allows it", () => {
            const trail = byName(evaluation, TRAIL, "audit-trail");
            expect(trail.inputs).to.deep.equal({
                name: `slack-clone-trail-${stack}`,
                s3BucketName: bucketName,
                isMultiRegionTrail: true,
                includeGlobalServiceEvents: true,
                enableLogFileValidation: true,
                enableLogging: true,
            });
            expect(trail.options.dependsOn).to.deep.equal(["aws:s3/bucketPolicy:BucketPolicy::audit-bucket-policy"]);
            expect(evaluation.outputs).to.include({ trailName: `slack-clone-trail-${stack}`, auditBucketName: bucketName });
        });

        it("keeps the logs in an SSE-S3, versioned, owner-enforced bucket with all public access blocked", () => {
            expect(byName(evaluation, BUCKET, "audit-bucket").inputs.bucket).to.equal(bucketName);
            expect(child("bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "encryption").rules).to.deep.equal([
                { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
            ]);
            expect(child("bucketVersioning:BucketVersioning", "versioning").versioningConfiguration).to.deep.equal({ status: "Enabled" });
            expect(child("bucketOwnershipControls:BucketOwnershipControls", "ownership").rule).to.deep.equal({ objectOwnership: "BucketOwnerEnforced" });
            expect(child("bucketPublicAccessBlock:BucketPublicAccessBlock", "public-access")).to.deep.equal({
                bucket: bucketName,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
        });

        it("expires log files after logRetentionDays and deleted ones 30 days later", () => {
            const days = Number(evaluation.config["slack-clone:logRetentionDays"]);
            expect(days).to.equal(stack === "production" ? 365 : 90);
            expect(child("bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lifecycle").rules).to.deep.equal([
                { id: "expire-logs", status: "Enabled", filter: {}, expiration: { days }, noncurrentVersionExpiration: { noncurrentDays: 30 } },
                { id: "abort-incomplete-multipart-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
            ]);
        });

        it("lets only this trail write, only under AWSLogs/{account}/, and refuses plain HTTP, after blocking public access", () => {
            const policy = byName(evaluation, "aws:s3/bucketPolicy:BucketPolicy", "audit-bucket-policy");
            expect(policy.options.dependsOn).to.deep.equal(["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::audit-bucket-public-access"]);
            const trail = { Service: "cloudtrail.amazonaws.com" };
            expect(policy.inputs.policy).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "DenyInsecureTransport",
                        Effect: "Deny",
                        Principal: "*",
                        Action: "s3:*",
                        Resource: [bucketArn, `${bucketArn}/*`],
                        Condition: { Bool: { "aws:SecureTransport": "false" } },
                    },
                    { Sid: "TrailAclCheck", Effect: "Allow", Principal: trail, Action: "s3:GetBucketAcl", Resource: bucketArn, Condition: { StringEquals: { "aws:SourceArn": trailArn } } },
                    {
                        Sid: "TrailWrite",
                        Effect: "Allow",
                        Principal: trail,
                        Action: "s3:PutObject",
                        Resource: `${bucketArn}/AWSLogs/123456789012/*`,
                        Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trailArn } },
                    },
                ],
            });
        });

        it(stack === "production" ? "protects the audit bucket like the other data" : "leaves the audit bucket unprotected", () => {
            const bucket = byName(evaluation, BUCKET, "audit-bucket");
            expect(bucket.options.protect === true).to.equal(stack === "production");
            expect(bucket.options.retainOnDelete === true).to.equal(stack === "production");
            expect(bucket.inputs.forceDestroy).to.equal(stack !== "production");
        });
    });
}

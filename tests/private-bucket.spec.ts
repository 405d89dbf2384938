import { expect } from "chai";
import { Evaluation, RecordedResource, mockId, ofType } from "../harness/mock-engine";
import { STACKS, stackEvaluation } from "./helpers/stacks";

const BUCKET = "aws:s3/bucket:Bucket";
/** The thumbnail trigger belongs to the function: destroying the function rightly removes it. */
const OWNED_BY_OTHERS = ["aws:s3/bucketNotification:BucketNotification"];

/** Every resource that configures a bucket (`bucket` input = its name or id), with that bucket. */
function configurations(evaluation: Evaluation): { child: RecordedResource; bucket: RecordedResource }[] {
    const buckets = ofType(evaluation, BUCKET);
    return evaluation.resources
        .filter((r) => r.type.startsWith("aws:s3/") && r.type !== BUCKET && !OWNED_BY_OTHERS.includes(r.type))
        .map((child) => {
            const bucket = buckets.find((b) => child.inputs.bucket === b.inputs.bucket || child.inputs.bucket === mockId(b));
            if (bucket === undefined) throw new Error(`${mockId(child)} configures no bucket of the program (bucket: ${child.inputs.bucket})`);
            return { child, bucket };
        });
}

for (const stack of STACKS) {
    describe(`Private buckets in ${stack}`, () => {
        let evaluation: Evaluation;
        before(async () => {
            evaluation = await stackEvaluation(stack);
        });

        it("give every configuration child its bucket's parent, provider and retainOnDelete (a retained bucket keeps its safeguards)", () => {
            const pairs = configurations(evaluation);
            expect(pairs).not.to.be.empty;
            const options = (r: RecordedResource) => ({ parent: r.options.parent, provider: r.options.provider, retainOnDelete: r.options.retainOnDelete === true });
            for (const { child, bucket } of pairs) expect(options(child), mockId(child)).to.deep.equal(options(bucket));
        });

        it("encrypt, block public access and deny plain HTTP on every bucket", () => {
            for (const bucket of ofType(evaluation, BUCKET)) {
                const types = configurations(evaluation).filter((p) => p.bucket === bucket).map((p) => p.child.type);
                expect(types, bucket.name).to.include.members([
                    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                    "aws:s3/bucketPolicy:BucketPolicy",
                ]);
            }
        });
    });
}

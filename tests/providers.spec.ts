/**
 * Every explicit AWS provider (the second region's, the copy region's, us-east-1's for the CDN
 * certificate) deploys as the stack's own provider does: an explicit `aws.Provider` reads none of the
 * stack's `aws:*` config (pulumi/pulumi-aws#3259), so the program passes it on.
 */
import { expect } from "chai";
import { Evaluation, ofType } from "../harness/mock-engine";
import { ELSEWHERE, evaluateWith, productionElsewhere, stackEvaluation } from "./helpers/stacks";

const PROVIDER = "pulumi:providers:aws";

/** A provider input as the program gave it: the SDK sends an explicit provider's lists and maps as JSON. */
const value = (input: unknown): unknown => (typeof input === "string" && /^[[{]/.test(input) ? JSON.parse(input) : input);

describe("explicit AWS providers", () => {
    const settings = ELSEWHERE.providerSettings;
    let evaluation: Evaluation;

    before(async () => {
        // Production with a custom domain, its provider settings set in config (and another account and region).
        evaluation = await productionElsewhere();
    });

    it("carry the stack's profile, assumed roles, allowed account ids, ignored and default tags, STS region, proxy and retries, with their own region", () => {
        const providers = ofType(evaluation, PROVIDER);
        expect(providers.map((p) => [p.name, p.inputs.region])).to.deep.equal([
            ["storage-secondary", ELSEWHERE.secondaryRegion],
            ["cdn-us-east-1", "us-east-1"],
            ["backup-copy-region", ELSEWHERE.secondaryRegion],
        ]);
        for (const provider of providers) {
            for (const [key, expected] of Object.entries({ ...settings, "aws:defaultTags": evaluation.config["aws:defaultTags"] })) {
                const name = key.slice("aws:".length);
                expect(value(provider.inputs[name]), `${provider.name} ${name}`).to.deep.equal(value(expected));
            }
        }
    });

    it("tag everything they create with the stack's default tags, in every stack", async () => {
        for (const stack of ["development", "staging", "production"]) {
            for (const provider of ofType(await stackEvaluation(stack), PROVIDER)) {
                expect(value(provider.inputs.defaultTags), provider.name).to.deep.equal({
                    tags: { project: "slack-clone", environment: stack, stack, "managed-by": "pulumi" },
                });
            }
        }
    });

    it("are never left behind by static credentials in the stack's config: the program refuses aws:accessKey", async () => {
        // The default provider would deploy with these keys and the explicit ones with the environment's credentials.
        let error: Error | undefined;
        await evaluateWith("staging", { config: { "aws:accessKey": "AKIAEXAMPLE", "aws:secretKey": "example-secret" } }).catch((e: Error) => (error = e));
        expect(error?.message).to.include("aws:accessKey: set; expected unset").and.include("aws:secretKey: set");
        expect(error?.message).not.to.include("example-secret");
    });
});

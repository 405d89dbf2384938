import { expect } from "chai";
import { outputsFile, run, stalledEndpoint, endpointEnv, tsx } from "./helpers/process";

describe("npm run seed against an endpoint that accepts and never answers (as a process)", function () {
    this.timeout(30000);

    it("gives up within its bound, naming the endpoint, the action and the table, without a stack trace", async () => {
        const stalled = await stalledEndpoint();
        try {
            const started = Date.now();
            const seed = run(...tsx("deploy/seed/seed.ts", "--outputs", outputsFile(), "--timeout", "0.4"), endpointEnv(stalled.endpoint));
            expect(await seed.exited).to.equal(1);
            expect(Date.now() - started, "3 attempts of 0.4 s, backoff and start-up").to.be.below(15000);
            expect(seed.output()).to.match(
                new RegExp(`^seed failed: DynamoDB DescribeTable slack-clone-[a-z-]+-qa at http://127\\.0\\.0\\.1:${stalled.port}: no answer in 400 ms \\(3 attempts\\)$`, "m"),
            );
            expect(seed.output(), "no stack trace").to.not.match(/^\s+at /m);
        } finally {
            stalled.close();
        }
    });
});

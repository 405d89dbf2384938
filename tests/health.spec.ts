import { expect } from "chai";
import { freePort } from "../local/stand-ins";
import { endpointEnv, outputsFile, run, stalledEndpoint, tsx } from "./helpers/process";

describe("npm run health against a stalled or refused endpoint (as a process)", function () {
    this.timeout(30000);

    it("reports every check within its bound, naming the endpoint; a refused port too", async () => {
        const stalled = await stalledEndpoint();
        const outputs = outputsFile();
        try {
            const health = run(...tsx("deploy/health.ts", "--outputs", outputs, "--timeout", "0.4"), endpointEnv(stalled.endpoint));
            expect(await health.exited).to.equal(1);
            expect(health.output()).to.match(
                new RegExp(`^FAIL  table users +DynamoDB DescribeTable slack-clone-users-qa at http://127\\.0\\.0\\.1:${stalled.port}: no answer in 400 ms \\(3 attempts\\)$`, "m"),
            );
            expect(health.output()).to.include("health check failed: 12 of 12 checks failed");
        } finally {
            stalled.close();
        }

        const refused = await freePort();
        const refusedRun = run(...tsx("deploy/health.ts", "--outputs", outputs), endpointEnv(`http://127.0.0.1:${refused}`));
        expect(await refusedRun.exited).to.equal(1);
        expect(refusedRun.output()).to.include(
            `FAIL  table users                      DynamoDB DescribeTable slack-clone-users-qa at http://127.0.0.1:${refused}: connect ECONNREFUSED 127.0.0.1:${refused} (3 attempts)`,
        );
        expect(refusedRun.output(), "no stack trace").to.not.match(/^\s+at /m);
    });
});

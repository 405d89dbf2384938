import { expect } from "chai";
import * as path from "path";
import { DEFAULT_RUNS, MAX_RUNS, runChild, runsOption } from "../bench/child";
import { PROJECT_ROOT } from "../harness/stack-files";

describe("npm run bench (bench/)", () => {
    it("takes --runs as a whole number from 1 to 100, naming a bad value and the range (99999999999999999999 lost its precision and never ended)", () => {
        expect(runsOption(undefined)).to.equal(DEFAULT_RUNS);
        expect(runsOption("5")).to.equal(5);
        expect(runsOption(String(MAX_RUNS))).to.equal(100);
        for (const bad of ["0", "-1", "1.5", "five", "", "101", "99999999999999999999", "0100"]) {
            expect(() => runsOption(bad), bad).to.throw(`--runs must be a whole number from 1 to 100; got ${JSON.stringify(bad)}`);
        }
    });

    it("reports a child process's failure as the child's own message (naming the stack), not its stack trace", () => {
        const failing = path.join(PROJECT_ROOT, "tests", "fixtures", "bench-child.ts");
        expect(() => runChild(failing, ["b9"])).to.throw(/^Stack b9: Unknown stack "b9"$/);
        const missing = path.join(PROJECT_ROOT, "bench", "no-such-benchmark.ts");
        expect(() => runChild(missing, [])).to.throw(/^the benchmark's child process \(.*no-such-benchmark\.ts --child \) exited 1: Error \[ERR_MODULE_NOT_FOUND\]: Cannot find module .*no-such-benchmark\.ts' .+$/);
    });
});

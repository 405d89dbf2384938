import { expect } from "chai";
import * as path from "path";
import { DEFAULT_RUNS, runChild, runsOption } from "../bench/child";
import { PROJECT_ROOT } from "../harness/stack-files";

describe("npm run bench (bench/)", () => {
    it("takes --runs as a whole number, 1 or more, naming a bad value", () => {
        expect(runsOption(undefined)).to.equal(DEFAULT_RUNS);
        expect(runsOption("5")).to.equal(5);
        for (const bad of ["0", "-1", "1.5", "five", ""]) expect(() => runsOption(bad), bad).to.throw(`--runs must be a whole number, 1 or more; got ${JSON.stringify(bad)}`);
    });

    it("reports a child process's failure as the child's own message (naming the stack), not its stack trace", () => {
        const failing = path.join(PROJECT_ROOT, "tests", "fixtures", "bench-child.ts");
        expect(() => runChild(failing, ["b9"])).to.throw(/^Stack b9: Unknown stack "b9"$/);
        const missing = path.join(PROJECT_ROOT, "bench", "no-such-benchmark.ts");
        expect(() => runChild(missing, [])).to.throw(/^the benchmark's child process \(.*no-such-benchmark\.ts --child \) exited 1: Error \[ERR_MODULE_NOT_FOUND\]: Cannot find module .*no-such-benchmark\.ts' .+$/);
    });
});

import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_RUNS, MAX_RUNS, runChild, runsOption } from "../bench/child";
import { startTime } from "../bench/local";
import { PROJECT_ROOT } from "../harness/stack-files";
import { LOCAL_ROOT } from "../local/state";

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

    it("runs its npm start with .env.local and .local/ in a folder of its own, removed once it stopped: beside a developer's npm start, whose lock refused it (The local environment is already running)", async () => {
        const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-start-")), "root");
        try {
            expect(await startTime([report], path.join(PROJECT_ROOT, "tests", "fixtures", "bench-start.ts"))).to.be.above(0);
            const root = fs.readFileSync(report, "utf8");
            expect(root, "neither the checkout nor the folder it inherited").to.not.be.oneOf([PROJECT_ROOT, LOCAL_ROOT]);
            expect(path.dirname(root)).to.equal(os.tmpdir());
            expect(fs.existsSync(root), "removed, .local/ and all").to.equal(false);
        } finally {
            fs.rmSync(path.dirname(report), { recursive: true, force: true });
        }
    });
});

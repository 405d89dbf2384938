import { expect } from "chai";
import { limitsFromCommandLine, outputsFromCommandLine, parseCommandLine } from "../deploy/stack-outputs";

describe("seed and health command lines (deploy/stack-outputs.ts)", () => {
    it("take exactly one source of outputs", () => {
        expect(() => outputsFromCommandLine(parseCommandLine(["--stack", "staging", "--local"], {}))).to.throw(
            "Give one of --stack, --outputs and --local; got --stack and --local",
        );
        expect(() => outputsFromCommandLine(parseCommandLine([], {}))).to.throw("Say which outputs to use: --stack <name>, --outputs <file|-> or --local");
    });

    it("read --timeout as seconds per attempt, refusing anything else", () => {
        expect(limitsFromCommandLine(parseCommandLine(["--timeout", "2.5"], {}))).to.deep.equal({ requestTimeoutMs: 2500 });
        expect(limitsFromCommandLine(parseCommandLine([], {}))).to.deep.equal({});
        for (const bad of ["0", "ten", "601"]) {
            expect(() => limitsFromCommandLine(parseCommandLine(["--timeout", bad], {})), bad).to.throw(`--timeout must be a number of seconds, more than 0 and at most 600; got ${bad}`);
        }
    });
});

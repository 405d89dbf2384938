import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandLine, readCommandLine } from "../deploy/command-line";
import { HEALTH_COMMAND } from "../deploy/health";
import { SEED_COMMAND } from "../deploy/seed/seed";
import { CommonArgs, limitsFromCommandLine, outputsFromCommandLine, readStackOutputs, requireOutput } from "../deploy/stack-outputs";

/** The common flags of an outputs command's line. */
const parseCommandLine = (argv: string[]) => (readCommandLine(HEALTH_COMMAND, argv) as CommandLine).values as CommonArgs;

describe("stack outputs (deploy/stack-outputs.ts)", () => {
    it("reads outputs from a file and explain a missing Pulumi CLI", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "outputs-")), "outputs.json");
        fs.writeFileSync(file, JSON.stringify({ region: "us-east-1" }));
        expect(readStackOutputs({ outputsFile: file })).to.deep.equal({ region: "us-east-1" });
        fs.writeFileSync(file, `\uFEFF${JSON.stringify({ region: "us-east-1" })}`);
        expect(readStackOutputs({ outputsFile: file }), "a UTF-8 byte-order mark is no part of the JSON").to.deep.equal({ region: "us-east-1" });
        fs.writeFileSync(file, "not json\nat all");
        expect(() => readStackOutputs({ outputsFile: file })).to.throw(/^Stack outputs from \S+ are not JSON: [^\n]+$/);
        expect(() => readStackOutputs({ outputsFile: `${file}.missing` })).to.throw(`--outputs ${file}.missing: no such file; write it with pulumi stack output`);
        const saved = process.env.PATH;
        process.env.PATH = "/nonexistent";
        try {
            expect(() => readStackOutputs({ stack: "staging" })).to.throw(
                "Cannot run the Pulumi CLI (it is not installed here) for pulumi stack output --json --stack staging: without it, pass the outputs as a file, written where the CLI runs: " +
                    "pulumi stack output --json --stack staging > outputs.json, then --outputs outputs.json",
            );
        } finally {
            process.env.PATH = saved;
        }
    });

    it("refuses a stack name the CLI would take otherwise (empty: its selected stack; with a space or $(...): no stack) before running it, and stdin that is a terminal", () => {
        for (const stack of ["", "staging staging", "$(touch x)", "-x"]) {
            expect(() => readStackOutputs({ stack }), stack).to.throw(`${JSON.stringify(stack)} is not a stack: <stack>, <org>/<stack> or <org>/<project>/<stack>`);
        }
        expect(() => readStackOutputs({ outputsFile: "-" }, true)).to.throw("--outputs -: stdin is a terminal, not the outputs; pipe them in");
    });

    it("says what is wrong with an outputs file that cannot be read, and how to write one, instead of a bare system error", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "outputs-"));
        const write = (file: string) => `write it with pulumi stack output --json --stack <name> > ${file}`;
        expect(() => readStackOutputs({ outputsFile: dir })).to.throw(`--outputs ${dir}: is a directory; ${write(path.join(dir, "outputs.json"))}, then --outputs ${path.join(dir, "outputs.json")}`);
        // Write-only for everyone, root included (a root test run reads any chmod 000 file).
        const unreadable = "/proc/sys/vm/drop_caches";
        expect(() => readStackOutputs({ outputsFile: unreadable })).to.throw(`--outputs ${unreadable}: not readable (permission denied); make it readable or ${write(unreadable)}`);
    });

    it("names every output of another kind than the program exports at once, an unknown environment and a URL that is none, when it reads them", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "outputs-")), "outputs.json");
        fs.writeFileSync(file, JSON.stringify({ region: 5, demoData: "yes", redisPort: "abc", privateSubnetIds: "subnet-1", apiUrl: "not a url", environment: "prod", futureOutput: 1 }));
        expect(() => readStackOutputs({ outputsFile: file })).to.throw(
            `Stack outputs from ${file} do not read as this program's: ` +
                [
                    'Stack output "region" is 5 (a number); expected a string',
                    'Stack output "demoData" is "yes" (a string); expected true or false',
                    'Stack output "privateSubnetIds" is "subnet-1" (a string); expected a list',
                    'Stack output "redisPort" is "abc" (a string); expected a number',
                    'Stack output "environment" is "prod"; expected one of development, staging, production, production-dr',
                    'Stack output "apiUrl" is "not a url"; expected an http(s) URL with no credentials, query or fragment (paths are added to it)',
                ].join("; "),
        );
        for (const apiUrl of ["https://exa mple.com", "https://example.com/staging?x=1", "https://example.com/staging#top", "http://user:pw@example.com/staging", "ftp://example.com/staging"]) {
            fs.writeFileSync(file, JSON.stringify({ apiUrl }));
            expect(() => readStackOutputs({ outputsFile: file }), apiUrl).to.throw(`Stack output "apiUrl" is ${JSON.stringify(apiUrl)}; expected an http(s) URL`);
        }
        // Two table outputs swapped, and another environment's: the seed would write into the wrong tables.
        fs.writeFileSync(file, JSON.stringify({ environment: "staging", channelsTableName: "slack-clone-messages-staging", messagesTableName: "slack-clone-channels-development", usersTableName: "slack-clone-users-staging" }));
        expect(() => readStackOutputs({ outputsFile: file })).to.throw(
            `Stack outputs from ${file} do not read as this program's: ` +
                'Stack output "channelsTableName" is "slack-clone-messages-staging"; expected slack-clone-channels-staging, the channels table of staging; ' +
                'Stack output "messagesTableName" is "slack-clone-channels-development"; expected slack-clone-messages-staging, the messages table of staging',
        );
        const deployed = { environment: "staging", region: "eu-central-1", demoData: false, redisPort: 6379, privateSubnetIds: ["subnet-1"], apiUrl: "https://a1.execute-api.eu-central-1.amazonaws.com/staging", redisPort2: "x" };
        fs.writeFileSync(file, JSON.stringify(deployed));
        expect(readStackOutputs({ outputsFile: file }), "an output this program does not export is left alone").to.deep.equal(deployed);
    });

    it("names a missing or mistyped output", () => {
        expect(() => requireOutput({ region: "" }, "region")).to.throw(/Stack output "region" is missing/);
        expect(() => requireOutput({}, "region")).to.throw(/Stack output "region" is missing/);
        expect(() => requireOutput({ redisPort: "6379" }, "redisPort", "number")).to.throw('Stack output "redisPort" is "6379" (a string); expected a number');
        expect(() => requireOutput({ region: 5 }, "region")).to.throw('Stack output "region" is 5 (a number); expected a non-empty string');
        expect(requireOutput({ redisPort: 6379 }, "redisPort", "number")).to.equal(6379);
    });
});

describe("seed and health command lines (deploy/stack-outputs.ts)", () => {
    it("take exactly one source of outputs", () => {
        expect(() => outputsFromCommandLine(parseCommandLine(["--stack", "staging", "--local"]), HEALTH_COMMAND)).to.throw(
            "Give one of --stack, --outputs and --local; got --stack and --local",
        );
        // The example names the command that was run.
        for (const command of [HEALTH_COMMAND, SEED_COMMAND]) {
            expect(() => outputsFromCommandLine(parseCommandLine([]), command)).to.throw(
                `Say which outputs to use: --stack <name>, --outputs <file|-> or --local (the running npm start), after \`--\` (e.g. \`${command.name} -- --local\``,
            );
        }
    });

    it("read --timeout as seconds per attempt, refusing anything else", () => {
        expect(limitsFromCommandLine(parseCommandLine(["--timeout", "2.5"]))).to.deep.equal({ requestTimeoutMs: 2500 });
        expect(limitsFromCommandLine(parseCommandLine(["--timeout", ".5"]))).to.deep.equal({ requestTimeoutMs: 500 });
        expect(limitsFromCommandLine(parseCommandLine([]))).to.deep.equal({});
        expect(limitsFromCommandLine(parseCommandLine(["--timeout", "0.01"]))).to.deep.equal({ requestTimeoutMs: 10 });
        // 0.0001 s rounds to 0 ms, which the SDK takes for no timeout at all.
        for (const bad of ["0", "0.0001", "0.009", "ten", "601", "0x10", "1e1", "Infinity"]) {
            expect(() => limitsFromCommandLine(parseCommandLine(["--timeout", bad])), bad).to.throw(`--timeout must be a number of seconds in decimal (5, 2.5), from 0.01 to 600; got ${bad}`);
        }
        expect(() => parseCommandLine(["--timeout", ""])).to.throw("Option '--timeout' needs <seconds>; got an empty one");
    });
});

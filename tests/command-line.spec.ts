import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { CommandSpec, decimal, failureLine, readCommandLine, usage } from "../deploy/command-line";
import { checkOutputsSource } from "../deploy/stack-outputs";
import { PROJECT_ROOT } from "../harness/stack-files";
import { HEALTH_COMMAND, main as health } from "../deploy/health";
import { SEED_COMMAND, main as seed } from "../deploy/seed/seed";
import { CDN_KEY_COMMAND, main as cdnKey } from "../dev/cdn-key";
import { DIAGRAM_COMMAND, main as diagram } from "../dev/diagram";
import { PREVIEW_COMMAND, main as preview } from "../dev/preview";
import { SCHEMA_SNAPSHOT_COMMAND, main as schemaSnapshot } from "../dev/schema-snapshot";
import { START_COMMAND, main as start } from "../local/start";
import { KEEP_BACKEND_IMAGE_COMMAND, main as keepBackendImage } from "../deploy/keep-backend-image";
import { BENCH_COMMAND, main as bench } from "../bench/index";
import { BENCH_THUMBNAIL_COMMAND, main as benchThumbnail } from "../bench/thumbnail";
import { captureLog } from "./helpers/console";

/** Every command of the README, with the main its script runs. */
const COMMANDS: ReadonlyArray<[CommandSpec, (argv: readonly string[]) => Promise<void>]> = [
    [START_COMMAND, start],
    [SEED_COMMAND, seed],
    [HEALTH_COMMAND, health],
    [KEEP_BACKEND_IMAGE_COMMAND, keepBackendImage],
    [PREVIEW_COMMAND, preview],
    [DIAGRAM_COMMAND, diagram],
    [SCHEMA_SNAPSHOT_COMMAND, schemaSnapshot],
    [CDN_KEY_COMMAND, cdnKey],
    [BENCH_COMMAND, bench],
    [BENCH_THUMBNAIL_COMMAND, benchThumbnail],
];

/** What `work` prints with console.log. */
const printed = async (work: () => Promise<void>): Promise<string> => (await captureLog(work)).printed;

describe("command lines (deploy/command-line.ts)", () => {
    for (const [command, main] of COMMANDS) {
        it(`${command.name} -- --help (or -h) prints the usage and ends without error, before any work; an unknown option points at --help`, async () => {
            expect(await printed(() => main(["--help"]))).to.equal(usage(command));
            expect(await printed(() => main(["-h"])), "-h too").to.equal(usage(command));
            let error: Error | undefined;
            await main(["--no-such-option"]).catch((e: Error) => (error = e));
            expect(error?.message).to.equal(`Unknown option '--no-such-option' (\`${command.name} -- --help\` lists the options)`);
        });
    }

    it("the usage lists every option the parser accepts, with its value's placeholder; the parser accepts every option the usage lists", () => {
        for (const [command] of COMMANDS) {
            const text = usage(command);
            expect(text.split("\n")[0]).to.equal(`Usage: ${command.name}${command.synopsis ? ` -- ${command.synopsis}` : ""}`);
            for (const [name, option] of Object.entries(command.options)) {
                const flag = `--${name}${option.type === "string" ? ` ${option.value}` : ""}`;
                const line = text.split("\n").find((l) => l.startsWith(`  ${flag} `));
                expect(line?.endsWith(` ${option.description}${option.multiple ? " (may be repeated)" : ""}`), `${command.name}: ${flag}`).to.equal(true);
                const argv = option.type === "string" ? [`--${name}`, "1"] : [`--${name}`];
                expect(readCommandLine(command, argv)?.values[name], `${command.name} ${argv.join(" ")}`).to.deep.equal(option.multiple ? ["1"] : option.type === "string" ? "1" : true);
            }
        }
    });

    it("suggests the option a typo away, and names a missing value or an argument the command does not take", () => {
        expect(() => readCommandLine(SEED_COMMAND, ["--dry_run"])).to.throw(`Unknown option '--dry_run'; did you mean "--dry-run"? (\`npm run seed -- --help\` lists the options)`);
        expect(() => readCommandLine(START_COMMAND, ["--backend"])).to.throw(`Option '--backend <value>' argument missing (\`npm start -- --help\` lists the options)`);
        expect(() => readCommandLine(SCHEMA_SNAPSHOT_COMMAND, ["production"])).to.throw(/^Unexpected argument 'production'.* \(`npm run schema:snapshot -- --help` lists the options\)$/);
    });

    // npm takes an option typed before `--` as its own config, and hands the script only the
    // environment variable npm_config_<name with - as _> (https://docs.npmjs.com/cli/v11/using-npm/config#environment-variables).
    it("refuses an option of the command that reached npm (typed without --), naming it and the fix, before what npm left of it", async () => {
        const quiet = () => undefined;
        expect(() => readCommandLine(START_COMMAND, [], quiet, { npm_config_dynamodb_port: "5000" })).to.throw(
            "--dynamodb-port reached npm, not the script (npm set npm_config_dynamodb_port): put -- before the script's options: npm start -- --dynamodb-port 5000",
        );
        // `npm start --backend "exit 3"`: npm records true and leaves the value as an argument, which is not what to report.
        expect(() => readCommandLine(START_COMMAND, ["exit 3"], quiet, { npm_config_backend: "true" })).to.throw(
            `--backend reached npm, not the script (npm set npm_config_backend): put -- before the script's options: npm start -- --backend "exit 3"`,
        );
        // Two options lost their values: which is whose is not known.
        expect(() => readCommandLine(SEED_COMMAND, ["staging", "2", "--local"], quiet, { npm_config_stack: "true", npm_config_timeout: "true" })).to.throw(
            "npm run seed -- --stack <name> --timeout <seconds> --local; npm left staging and 2 as arguments: put each after its option",
        );
        // The suggestion is the whole command line meant: the arguments typed after -- too.
        const healthLine = (argv: string[], env: Record<string, string>) => () => readCommandLine(HEALTH_COMMAND, argv, quiet, env);
        // `npm run health --skip redis -- --local`
        expect(healthLine(["redis", "--local"], { npm_config_skip: "true" })).to.throw(/: npm run health -- --skip redis --local$/);
        // `npm run health --skip redis --skip cdn -- --local`; `--skip=redis --skip cdn`
        expect(healthLine(["redis", "cdn", "--local"], { npm_config_skip: "true\n\ntrue" })).to.throw(/: npm run health -- --skip redis --skip cdn --local$/);
        expect(healthLine(["cdn", "--local"], { npm_config_skip: "redis\n\ntrue" })).to.throw(/: npm run health -- --skip redis --skip cdn --local$/);
        // `npm run health --skip=redis --skip="api /health" -- --local`: npm joins a repeated option's values with a blank line.
        expect(healthLine(["--local"], { npm_config_skip: "redis\n\napi /health" })).to.throw(/: npm run health -- --skip redis --skip "api \/health" --local$/);
        // `npm run health --skip -- --local`: no value typed at all.
        expect(healthLine(["--local"], { npm_config_skip: "true" })).to.throw(/: npm run health -- --skip <check> --local$/);
        // `npm run seed --dry-run -- --local`
        expect(() => readCommandLine(SEED_COMMAND, ["--local"], quiet, { npm_config_dry_run: "true" })).to.throw(/: npm run seed -- --dry-run --local$/);
        // A command that takes arguments: the value may be any of them.
        expect(() => readCommandLine(CDN_KEY_COMMAND, ["key.pem", "staging"], quiet, { npm_config_out: "true" })).to.throw(
            /: npm run cdn-key -- --out <file> key.pem staging; if npm left a value typed after --out among the arguments, put it there instead of the placeholder$/,
        );
        expect(() => readCommandLine(SEED_COMMAND, [], quiet, { npm_config_stack: "staging", npm_config_dry_run: "true" })).to.throw(
            "--stack, --dry-run reached npm, not the script (npm set npm_config_stack, npm_config_dry_run): put -- before the script's options: npm run seed -- --stack staging --dry-run",
        );
        // npm's own config (always in a script's environment) is not a command's option.
        const npmOwn = { npm_config_cache: "/root/.npm", npm_config_local_prefix: "/work", npm_config_node_gyp: "/x", npm_config_user_agent: "npm/11" };
        expect(readCommandLine(START_COMMAND, ["--redis-port", "6380"], quiet, npmOwn)?.values).to.deep.equal({ "redis-port": "6380" });
        // The commands read the process's environment.
        process.env.npm_config_redis_port = "5001";
        try {
            let error: Error | undefined;
            await start([]).catch((e: Error) => (error = e));
            expect(error?.message).to.match(/^--redis-port reached npm, not the script .*: npm start -- --redis-port 5001$/);
        } finally {
            delete process.env.npm_config_redis_port;
        }
    });

    it("refuses an option given twice unless it may be repeated, naming it and the values (parseArgs keeps the last)", async () => {
        expect(() => readCommandLine(START_COMMAND, ["--redis-port", "5000", "--redis-port=5001"])).to.throw(
            "Option '--redis-port' is given 2 times (5000, 5001); give it once (`npm start -- --help` lists the options)",
        );
        expect(() => readCommandLine(SEED_COMMAND, ["--dry-run", "--local", "--dry-run"])).to.throw("Option '--dry-run' is given 2 times; give it once");
        expect(readCommandLine(HEALTH_COMMAND, ["--local", "--skip", "redis", "--skip", "cdn"])?.values.skip, "--skip may be repeated").to.deep.equal(["redis", "cdn"]);
    });

    it("refuses a string option given an empty value, naming what it needs (an empty --outputs would read no file, an empty --skip skip nothing)", () => {
        expect(() => readCommandLine(SEED_COMMAND, ["--outputs="])).to.throw("Option '--outputs' needs <file|->; got an empty one (`npm run seed -- --help` lists the options)");
        expect(() => readCommandLine(HEALTH_COMMAND, ["--local", "--skip", "redis", "--skip", ""])).to.throw("Option '--skip' needs <check>; got an empty one");
        expect(() => readCommandLine(START_COMMAND, ["--redis-port", ""])).to.throw("Option '--redis-port' needs <port>; got an empty one");
    });

    it("names a string option followed by an argument starting with a dash, its placeholder and that argument, rather than parseArgs's \"argument is ambiguous\" with Node's own syntax", async () => {
        const refused = (main: (argv: readonly string[]) => Promise<void>, ...argv: string[]) => main(argv).then(() => "ran", (error: Error) => error.message);
        // A negative number: given with =, it reaches the option's own check.
        expect(await refused(start, "--dynamodb-port", "-1")).to.equal(
            "Option '--dynamodb-port' needs <port>; got -1, which reads as an option: write --dynamodb-port=-1 to give it as the value (`npm start -- --help` lists the options)",
        );
        expect(await refused(start, "--dynamodb-port=-1")).to.equal("--dynamodb-port must be a port from 1 to 65535; got -1");
        // `--` or another option of the command: the value was left out.
        expect(await refused(seed, "--timeout", "--")).to.equal("Option '--timeout' needs <seconds>; got none before -- (`npm run seed -- --help` lists the options)");
        expect(() => readCommandLine(SEED_COMMAND, ["--stack", "--local"])).to.throw("Option '--stack' needs <name>; got none before --local (`npm run seed -- --help` lists the options)");
        // A mistyped option is no value either (--stack=--nope would be refused as a stack name).
        expect(() => readCommandLine(SEED_COMMAND, ["--stack", "--nope"])).to.throw("Option '--stack' needs <name>; got none before --nope");
        expect(() => readCommandLine(HEALTH_COMMAND, ["--local", "--skip", "-x"])).to.throw("Option '--skip' needs <check>; got -x, which reads as an option: write --skip=-x to give it as the value");
    });

    it("ends a failed command with its message, lines kept, a server's control characters shown escaped (ESC [2J would clear the screen)", () => {
        const error = new Error("Seed data does not fit the tables:\n  - AccessDenied: \u001b[2Jno\r");
        expect(failureLine("seed", error)).to.equal("seed failed: Seed data does not fit the tables:\n  - AccessDenied: \\x1b[2Jno");
    });

    it("takes numbers in decimal digits only: a port, a count or seconds written 0x50, 1e3 or 0b1 is refused, naming it", async () => {
        expect([decimal("80"), decimal("0080"), decimal("1.5", { fraction: true }), decimal(".5", { fraction: true }), decimal("2.", { fraction: true })]).to.deep.equal([80, 80, 1.5, 0.5, 2]);
        for (const text of ["0x50", "1e3", "0b1", "0o7", " 8", "8 ", "", "+8", "-8", "1.5", "Infinity", "1_000"]) expect(decimal(text), text).to.be.NaN;
        expect(decimal("0x10", { fraction: true })).to.be.NaN;
        for (const port of ["0x50", "1e3", "80.0"]) {
            let error: Error | undefined;
            await start(["--dynamodb-port", port]).catch((e: Error) => (error = e));
            expect(error?.message, port).to.equal(`--dynamodb-port must be a port from 1 to 65535; got ${port}`);
        }
    });
});

describe("the command lines the README, the runbook and the workflows show", () => {
    /** Every `npm start -- ...` / `npm run <script> -- ...` in the file, up to a closing backtick, a `#` comment or the line's end. */
    const commandLines = (file: string) =>
        [...fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8").matchAll(/(npm start|npm run [a-z:-]+) -- ([^`#\n]*)/g)].map(([, name, rest]) => ({
            file,
            name,
            // Shell words: "quoted strings" are one; a synopsis's [optional ...] parts are left out.
            argv: [...rest.trim().matchAll(/"([^"]*)"|(\S+)/g)].map(([, quoted, word]) => quoted ?? word).filter((word) => !word.startsWith("[")),
        }));
    const files = ["README.md", "docs/disaster-recovery.md", ...fs.readdirSync(path.join(PROJECT_ROOT, ".github/workflows")).map((f) => `.github/workflows/${f}`)];

    it("each parses with its command's options (a deploy step once passed both --stack and --outputs, which the seed and health check refuse)", () => {
        const found = files.flatMap(commandLines);
        expect(found.filter((c) => c.file.startsWith(".github/")).map((c) => c.name)).to.include.members(["npm run seed", "npm run health"]);
        for (const { file, name, argv } of found) {
            const command = COMMANDS.find(([c]) => c.name === name)?.[0];
            expect(command, `${file}: ${name} is a command of the README`).to.not.equal(undefined);
            try {
                const line = readCommandLine(command!, argv, () => undefined);
                if (line !== undefined && "outputs" in command!.options) checkOutputsSource(line.values, command!);
            } catch (error) {
                throw new Error(`${file}: ${name} -- ${argv.join(" ")}: ${(error as Error).message}`);
            }
        }
        expect(() => checkOutputsSource({ stack: "staging", outputs: "outputs.json" }, SEED_COMMAND)).to.throw("Give one of --stack, --outputs and --local; got --stack and --outputs");
    });
});

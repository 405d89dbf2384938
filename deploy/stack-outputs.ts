/**
 * Stack outputs for the commands that run after a deploy (seed, health check): read from
 * `pulumi stack output --json --stack <name>`, or from a JSON file (`-` for stdin), so they also
 * run where the Pulumi CLI is not installed, or from the running local environment (`--local`: the
 * outputs and endpoints `npm start` wrote). No output is a secret: what needs a secret reads it from
 * Secrets Manager by the ARN an output gives (README, "Security").
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ENVIRONMENTS } from "../components/naming";
import { OUTPUT_KINDS, OutputKind, OutputName } from "../components/outputs";
import { TABLES, tableName, tableOutputName } from "../components/tables";
import { stackName } from "../harness/stack-files";
import { readLocalEnvironment } from "../local/state";
import { CallLimits, DEFAULT_LIMITS } from "./aws-clients";
import { oneLine } from "./format";
import { CommandSpec, OptionSpec, decimal } from "./command-line";

/**
 * Stack outputs as read from JSON: any of the names components/outputs.ts defines, values not yet
 * checked (read them with `requireOutput`, or check their type).
 */
export type StackOutputs = { readonly [K in OutputName]?: unknown };

export interface OutputsSource {
    /** Stack whose outputs the Pulumi CLI prints. */
    readonly stack?: string;
    /** JSON file of outputs, or `-` for stdin. */
    readonly outputsFile?: string;
    /** What to do where the Pulumi CLI is missing. @default pass the outputs as a file (--outputs) */
    readonly withoutCli?: string;
}

/** Where to get the Pulumi CLI. */
export const PULUMI_INSTALL = "https://www.pulumi.com/docs/iac/download-install/";

/** How long a Pulumi CLI command may take (ms) before it is stopped: reading outputs or setting config takes seconds. */
export const PULUMI_TIMEOUT_MS = 120_000;

/**
 * The Pulumi CLI run with `args` to its end (at most PULUMI_TIMEOUT_MS); its stdout. Throws, naming the
 * command: when the CLI is not installed (followed by `withoutCli`, how to do without it, where there
 * is a way), times out, is killed, or exits non-zero (its exit code and message: stderr, else stdout).
 */
export function runPulumi(args: readonly string[], withoutCli = `install it: ${PULUMI_INSTALL}`): string {
    const command = `pulumi ${args.join(" ")}`;
    const run = spawnSync("pulumi", [...args], { encoding: "utf8", timeout: PULUMI_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024 });
    const code = (run.error as NodeJS.ErrnoException | undefined)?.code;
    if (code === "ENOENT") throw new Error(`Cannot run the Pulumi CLI (it is not installed here) for ${command}: ${withoutCli}`);
    if (code === "ETIMEDOUT") throw new Error(`${command} gave no result in ${PULUMI_TIMEOUT_MS / 1000} s and was stopped`);
    if (run.error !== undefined) throw new Error(`${command} failed: ${run.error.message}`);
    if (run.signal !== null) throw new Error(`${command} was killed by ${run.signal}`);
    if (run.status !== 0) throw new Error(`${command} failed (exit code ${run.status}): ${oneLine(run.stderr.trim() || run.stdout.trim() || "no message")}`);
    return run.stdout;
}

/**
 * The outputs of `source`: its file (`-`: stdin), else its stack's, from the Pulumi CLI. Throws on a
 * stack name the CLI would not take as one (harness/stack-files `stackName`: an empty one would be
 * the CLI's selected stack), on stdin that is a terminal (`stdinIsTerminal`: nobody types outputs),
 * and when the outputs cannot be read or do not read as this program's.
 */
export function readStackOutputs(source: OutputsSource, stdinIsTerminal = process.stdin.isTTY === true): StackOutputs {
    const file = source.outputsFile;
    if (file === "-" && stdinIsTerminal) {
        throw new Error("--outputs -: stdin is a terminal, not the outputs; pipe them in (pulumi stack output --json --stack <name> | <command> -- --outputs -) or give a file");
    }
    if (file !== undefined) {
        let text: string;
        try {
            text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
        } catch (error) {
            throw unreadable(file, error as NodeJS.ErrnoException);
        }
        return parseOutputs(text, file === "-" ? "stdin" : file);
    }
    if (source.stack === undefined) throw new Error("No outputs source: give a stack or an outputs file");
    stackName(source.stack);
    const withoutCli =
        source.withoutCli ?? `without it, pass the outputs as a file, written where the CLI runs: pulumi stack output --json --stack ${source.stack} > outputs.json, then --outputs outputs.json`;
    const run = runPulumi(["stack", "output", "--json", "--stack", source.stack], withoutCli);
    return parseOutputs(run, `pulumi stack output --stack ${source.stack}`);
}

/** Why `--outputs <file>` cannot be read, and how to write the file. */
function unreadable(file: string, error: NodeJS.ErrnoException): Error {
    const write = (to: string) => `pulumi stack output --json --stack <name> > ${to}`;
    if (file === "-") return new Error(`--outputs -: stdin cannot be read (${error.message})`);
    switch (error.code) {
        case "ENOENT":
        case "ENOTDIR":
            return new Error(`--outputs ${file}: no such file; write it with ${write(file)}`);
        case "EISDIR": {
            const inside = path.join(file, "outputs.json");
            return new Error(`--outputs ${file}: is a directory; write it with ${write(inside)}, then --outputs ${inside}`);
        }
        case "EACCES":
        case "EPERM":
            return new Error(`--outputs ${file}: not readable (permission denied); make it readable or write it with ${write(file)}`);
        default:
            return new Error(`--outputs ${file}: cannot be read (${error.message}); write it with ${write(file)}`);
    }
}

function parseOutputs(text: string, from: string): StackOutputs {
    let parsed: unknown;
    try {
        // A byte-order mark (an editor's UTF-8 "with BOM") is no part of the JSON.
        parsed = JSON.parse(text.replace(/^\uFEFF/, ""));
    } catch (error) {
        throw new Error(`Stack outputs from ${from} are not JSON: ${oneLine((error as Error).message)}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new Error(`Stack outputs from ${from} must be a JSON object of output names to values`);
    }
    const problems = outputValueProblems(parsed as StackOutputs);
    if (problems.length > 0) throw new Error(`Stack outputs from ${from} do not read as this program's: ${problems.join("; ")}`);
    return parsed as StackOutputs;
}

/** `value` is an http(s) URL that paths can be appended to: parsed as written, with no user, password, query or fragment. */
function isBaseUrl(value: string): boolean {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return false;
    }
    return ["http:", "https:"].includes(url.protocol) && url.username === "" && url.password === "" && !/[?#\s]/.test(value) && url.href.replace(/\/$/, "") === value.replace(/\/$/, "");
}

/**
 * What is wrong with the outputs' values, all at once: each output of another JSON kind than the
 * program exports (OUTPUT_KINDS), an environment that is none of the product's, a URL output that is
 * no http(s) URL. Outputs the program does not export are left alone (a newer program's).
 */
export function outputValueProblems(outputs: StackOutputs): string[] {
    const problems: string[] = [];
    for (const [name, kind] of Object.entries(OUTPUT_KINDS) as [OutputName, OutputKind][]) {
        const value = outputs[name];
        if (value === undefined || value === null) continue;
        const actual = Array.isArray(value) ? "list" : typeof value;
        if (actual !== kind) problems.push(mistyped(name, value, kind === "string" ? "a string" : kind === "number" ? "a number" : kind === "boolean" ? "true or false" : "a list").message);
    }
    const { environment } = outputs;
    if (typeof environment === "string" && !(ENVIRONMENTS as readonly string[]).includes(environment)) {
        problems.push(`Stack output "environment" is ${JSON.stringify(environment)}; expected one of ${ENVIRONMENTS.join(", ")}`);
    } else if (typeof environment === "string") {
        // Each table output names the table the program gives that name in this environment: a file that
        // swaps two, or names another environment's, would have the seed write into the wrong tables.
        for (const spec of TABLES) {
            const [name, value, expected] = [tableOutputName(spec), outputs[tableOutputName(spec)], tableName(spec, environment)];
            if (typeof value === "string" && value !== expected) problems.push(`Stack output "${name}" is ${JSON.stringify(value)}; expected ${expected}, the ${spec.name} table of ${environment}`);
        }
    }
    for (const name of ["apiUrl", "filesBaseUrl"] as const) {
        const value = outputs[name];
        if (typeof value === "string" && !isBaseUrl(value)) {
            problems.push(`Stack output "${name}" is ${JSON.stringify(value)}; expected an http(s) URL with no credentials, query or fragment (paths are added to it)`);
        }
    }
    return problems;
}

/** A non-empty string output (or a number or boolean output, with `"number"` or `"boolean"`), or an error naming it and where outputs come from. */
export function requireOutput(outputs: StackOutputs, name: OutputName): string;
export function requireOutput(outputs: StackOutputs, name: OutputName, type: "number"): number;
export function requireOutput(outputs: StackOutputs, name: OutputName, type: "boolean"): boolean;
export function requireOutput(outputs: StackOutputs, name: OutputName, type: OutputType = "string"): string | number | boolean {
    const problem = outputProblem(outputs, name, type);
    if (problem === "missing") throw new Error(`Stack output "${name}" is missing; is the stack deployed with this version of the program?`);
    if (problem !== undefined) throw problem;
    return outputs[name] as string | number | boolean;
}

/**
 * The non-empty string outputs `names`, checked all at once. Throws one error naming every missing
 * output ("Stack outputs missing: a, b") and every one of another type (as `requireOutput` says it).
 */
export function requireOutputs(outputs: StackOutputs, names: readonly OutputName[]): string[] {
    const problems = names.map((name) => outputProblem(outputs, name, "string"));
    const missing = names.filter((_, i) => problems[i] === "missing");
    const messages = problems.filter((p): p is Error => p instanceof Error).map((p) => p.message);
    if (missing.length > 0) messages.unshift(`Stack outputs missing: ${missing.join(", ")}`);
    if (messages.length > 0) throw new Error(messages.join("; "));
    return names.map((name) => outputs[name] as string);
}

type OutputType = "string" | "number" | "boolean";

/** What is wrong with an output: "missing", an error saying its type is wrong, or undefined when it is a value of `type`. */
function outputProblem(outputs: StackOutputs, name: OutputName, type: OutputType): "missing" | Error | undefined {
    const value = outputs[name];
    if (value === undefined || value === null || value === "") return "missing";
    if (typeof value !== type) return mistyped(name, value, type === "string" ? "a non-empty string" : type === "number" ? "a number" : "true or false");
    return undefined;
}

/** An output that is there but of the wrong JSON type: a hand-written outputs file, not an old stack. */
export function mistyped(name: OutputName, value: unknown, expected: string): Error {
    const kind = Array.isArray(value) ? "list" : typeof value;
    return new Error(`Stack output "${name}" is ${JSON.stringify(value)} (a${kind === "object" ? "n" : ""} ${kind}); expected ${expected}`);
}

export interface CommonArgs {
    readonly stack?: string;
    readonly outputs?: string;
    readonly local?: boolean;
    /** Seconds per attempt of each AWS call. */
    readonly timeout?: string;
}

/** The options of every command that reads stack outputs: `--stack` / `--outputs` / `--local`, `--timeout`. */
export const OUTPUTS_OPTIONS: Readonly<Record<keyof CommonArgs, OptionSpec>> = {
    stack: { type: "string", value: "<name>", description: "the outputs of this stack, from `pulumi stack output --json` (needs the Pulumi CLI)" },
    outputs: { type: "string", value: "<file|->", description: "the outputs from this JSON file (`-`: stdin), as `pulumi stack output --json` prints them" },
    local: { type: "boolean", description: "the running `npm start`: its outputs (.local/outputs.json) and endpoints (.env.local)" },
    timeout: {
        type: "string",
        value: "<seconds>",
        description: `time per attempt of each AWS call, 0.01 to 600 (default ${DEFAULT_LIMITS.requestTimeoutMs / 1000})`,
    },
};

/** A command that reads stack outputs (one of --stack, --outputs, --local), with `options` of its own. */
export function outputsCommand(name: string, summary: string, options: Readonly<Record<string, OptionSpec>>): CommandSpec {
    return { name, synopsis: "(--stack <name> | --outputs <file|-> | --local) [options]", summary, options: { ...OUTPUTS_OPTIONS, ...options } };
}

/** Throws unless the command line of `command` names exactly one source of outputs (--stack, --outputs or --local). */
export function checkOutputsSource(args: CommonArgs, command: CommandSpec): void {
    const given = (["stack", "outputs", "local"] as const).filter((flag) => args[flag] !== undefined);
    if (given.length > 1) throw new Error(`Give one of --stack, --outputs and --local; got ${given.map((f) => `--${f}`).join(" and ")}`);
    if (given.length === 0) {
        throw new Error(
            `Say which outputs to use: --stack <name>, --outputs <file|-> or --local (the running npm start), after \`--\` (e.g. \`${command.name} -- --local\`: typed before \`--\`, --local goes to npm, which keeps it)`,
        );
    }
}

/**
 * The outputs the command line names (one of --stack, --outputs, --local). `--local` also points
 * the AWS SDK at the local stand-ins, with their credentials, from the running npm start's .env.local.
 */
export function outputsFromCommandLine(args: CommonArgs, command: CommandSpec): StackOutputs {
    checkOutputsSource(args, command);
    if (args.local) {
        const { outputs, env } = readLocalEnvironment(undefined, undefined, outputValueProblems);
        Object.assign(process.env, env);
        return outputs;
    }
    return readStackOutputs({ stack: args.stack, outputsFile: args.outputs });
}

/** `--timeout <seconds>`: the time each attempt of an AWS call may take. */
export function limitsFromCommandLine(args: CommonArgs): Partial<CallLimits> {
    if (args.timeout === undefined) return {};
    const seconds = decimal(args.timeout, { fraction: true });
    // At least 10 ms: a value that rounds to 0 ms would turn the request timeout off, not make it short
    // (0 is the SDK's "no timeout": aws/aws-sdk-js-v3#6763).
    if (!(seconds >= 0.01 && seconds <= 600)) throw new Error(`--timeout must be a number of seconds in decimal (5, 2.5), from 0.01 to 600; got ${args.timeout}`);
    return { requestTimeoutMs: Math.round(seconds * 1000) };
}

/**
 * The command lines of the README's commands (npm start, seed, health, preview, diagram,
 * schema:snapshot, cdn-key, bench): one definition per command, its options with a placeholder and a description
 * each, serves both node's `parseArgs` and the usage that `--help` prints.
 */
import { parseArgs } from "util";
import { suggestion } from "../components/config";
import { listed, oneLine } from "./format";

export interface OptionSpec {
    readonly type: "string" | "boolean";
    /** May be given more than once; the value is then a list. @default false */
    readonly multiple?: boolean;
    /** What the usage shows for a string option's value, e.g. `<port>`. @default "<value>" */
    readonly value?: string;
    /** One line: what the option does, and its default. */
    readonly description: string;
}

export interface CommandSpec {
    /** How the README runs the command, without the `--` that passes arguments through npm: `npm run seed`. */
    readonly name: string;
    /** The arguments in the usage line, e.g. `[options]` or `<stack> [<stack>...]`; "" for none. */
    readonly synopsis: string;
    /** What the command does, in a sentence or two. */
    readonly summary: string;
    readonly options: Readonly<Record<string, OptionSpec>>;
    /** Whether arguments that are not options are allowed (named in the synopsis). @default false */
    readonly positionals?: boolean;
}

/** A parsed command line: option values by name (string, boolean, or a list for `multiple`), and the other arguments. */
export interface CommandLine {
    readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
    readonly positionals: readonly string[];
}

/** `--help`, also `-h` (parseArgs's `short`): what a user tries first. */
const HELP: OptionSpec = { type: "boolean", description: "print this help and exit" };

/** The text `--help` prints: usage line, summary, one line per option (--help included). */
export function usage(command: CommandSpec): string {
    const options = Object.entries({ ...command.options, help: HELP }).map(([name, option]) => [
        `${name === "help" ? "-h, " : ""}--${name}${option.type === "string" ? ` ${option.value ?? "<value>"}` : ""}`,
        `${option.description}${option.multiple ? " (may be repeated)" : ""}`,
    ]);
    const width = Math.max(...options.map(([flag]) => flag.length));
    return [
        `Usage: ${command.name}${command.synopsis === "" ? "" : ` -- ${command.synopsis}`}`,
        "",
        command.summary,
        "",
        "Options:",
        ...options.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`),
    ].join("\n");
}

/**
 * `argv` parsed by the command's options, or undefined once `--help` has printed the usage (the
 * command then ends, with exit code 0).
 * Throws, pointing at `--help`: parseArgs's error for an unknown option (with the closest option, if
 * one is a typo away), a string option without its value, or followed by an argument starting with a
 * dash (valueLikeOption's message), or an argument the command does not take;
 * an option given twice that is not `multiple` (parseArgs would keep the last silently), and a
 * string option given an empty value.
 * Before that, throws for an option of the command that reached npm instead (npmOptionsProblem).
 * `env` is where npm leaves those: the process's environment, unless a test gives its own.
 */
export function readCommandLine(
    command: CommandSpec,
    argv: readonly string[],
    print: (text: string) => void = console.log,
    env: Readonly<Record<string, string | undefined>> = process.env,
): CommandLine | undefined {
    const npmProblem = npmOptionsProblem(command, env, argv);
    if (npmProblem !== undefined) throw new Error(npmProblem);
    let parsed: CommandLine & { tokens: { kind: string; name?: string; value?: string }[] };
    try {
        parsed = parseArgs({ args: [...argv], options: { ...command.options, help: { ...HELP, short: "h" } }, allowPositionals: command.positionals ?? false, strict: true, tokens: true }) as typeof parsed;
    } catch (error) {
        const e = error as Error & { code?: string };
        if (!e.code?.startsWith("ERR_PARSE_ARGS_")) throw e;
        const unknown = e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? /'([^']+)'/.exec(e.message)?.[1] : undefined;
        // Node's hint on unknown options (`-- <option>` for a positional) points at its own argv, not the npm command.
        const problem = unknown !== undefined ? `Unknown option '${unknown}'${suggestion(unknown, ["help", ...Object.keys(command.options)].map((o) => `--${o}`))}` : (valueLikeOption(command, argv, e) ?? e.message);
        throw new Error(`${problem} (\`${command.name} -- --help\` lists the options)`);
    }
    for (const [name, option] of Object.entries(command.options)) {
        const given = parsed.tokens.filter((t) => t.kind === "option" && t.name === name);
        if (given.length > 1 && option.multiple !== true) {
            const values = option.type === "string" ? ` (${given.map((t) => t.value).join(", ")})` : "";
            throw new Error(`Option '--${name}' is given ${given.length} times${values}; give it once (\`${command.name} -- --help\` lists the options)`);
        }
        // `--out ""` or `--outputs=`: parseArgs takes the empty string as the value.
        if (given.some((t) => t.value === "")) throw new Error(`Option '--${name}' needs ${option.value ?? "a value"}; got an empty one (\`${command.name} -- --help\` lists the options)`);
    }
    if (parsed.values.help === true) {
        print(usage(command));
        return undefined;
    }
    return { values: parsed.values, positionals: parsed.positionals };
}

/**
 * What to say for parseArgs's "argument is ambiguous" error: a string option followed by an
 * argument that starts with a dash (`--dynamodb-port -1`, `--timeout --`), which parseArgs does not
 * take as its value. Names the option, its placeholder and that argument: an argument starting
 * with `--` (an option, known or mistyped, or `--` itself) or `-h` means the value was left out;
 * anything else (a negative number) is given with `=`.
 * Undefined for any other error.
 */
function valueLikeOption(command: CommandSpec, argv: readonly string[], error: Error & { code?: string }): string | undefined {
    const name = error.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" ? /option argument for '--([^']+)'/.exec(error.message)?.[1] : undefined;
    const at = argv.findIndex((arg, i) => arg === `--${name}` && argv[i + 1]?.startsWith("-"));
    if (name === undefined || at === -1) return undefined;
    const next = argv[at + 1];
    const needs = `Option '--${name}' needs ${command.options[name]?.value ?? "<value>"}`;
    const isOption = next.startsWith("--") || next === "-h";
    return isOption ? `${needs}; got none before ${next}` : `${needs}; got ${next}, which reads as an option: write --${name}=${next} to give it as the value`;
}

/**
 * What to say when options of `command` reached npm rather than the script: npm takes an option
 * typed before `--` (`npm start --dynamodb-port=5000`) as its own config and hands it to the script
 * only as the environment variable `npm_config_<name, - as _>` (npm docs, "config", Environment
 * Variables: https://docs.npmjs.com/cli/v11/using-npm/config#environment-variables), a repeated
 * option's values joined by a blank line (npm's @npmcli/config set-envs: `join('\n\n')`), and
 * leaves a value typed apart (`--skip redis`) as an argument, recording `true`, before the
 * arguments typed after `--` (`argv`). The fix it suggests is the whole command line meant: every
 * option with its value, then those arguments. A value left as an argument is known for one option
 * (given once or repeated) of a command that takes no arguments: the leading arguments are its
 * values; otherwise the option shows its placeholder, and the message names the arguments npm left.
 * Only the command's own option names are looked for; an npm shorthand that maps to one of npm's
 * defaults (`--local` is `--no-global`) leaves no trace to find. Undefined when there are none.
 */
export function npmOptionsProblem(command: CommandSpec, env: Readonly<Record<string, string | undefined>>, argv: readonly string[] = []): string | undefined {
    const reached = Object.entries(command.options).filter(([name]) => env[npmConfigVariable(name)] !== undefined);
    if (reached.length === 0) return undefined;
    const valueless = (value: string) => value === "true" || value === "";
    // Each time a string option was given: its value, or undefined where npm kept none.
    const given = reached.map(([name, option]) => {
        const recorded = env[npmConfigVariable(name)] ?? "";
        const values = option.type === "string" ? recorded.split("\n\n").map((v) => (valueless(v) ? undefined : v)) : [];
        return { name, option, values };
    });
    const lost = given.filter(({ values }) => values.includes(undefined));
    const lostCount = lost.reduce((n, { values }) => n + values.filter((v) => v === undefined).length, 0);
    // The values npm left as arguments lead them; a command that takes arguments may have had one typed first.
    let leading = 0;
    while (!command.positionals && leading < Math.min(lostCount, argv.length) && !argv[leading].startsWith("-")) leading++;
    const found = argv.slice(0, leading);
    const rest = argv.slice(leading);
    if (lost.length === 1) {
        // One option's values: theirs in the order typed.
        lost[0].values.forEach((value, i, values) => value === undefined && (values[i] = found.shift()));
    }
    const quoted = (value: string) => (/[\s"'$`\\]/.test(value) || value === "" ? JSON.stringify(value) : value);
    const fixed = given.flatMap(({ name, option, values }) =>
        option.type === "boolean" ? [`--${name}`] : values.map((value) => `--${name} ${value === undefined ? (option.value ?? "<value>") : quoted(value)}`),
    );
    const unplaced =
        found.length > 0
            ? `; npm left ${listed(found.map(quoted))} as ${found.length === 1 ? "an argument" : "arguments"}: put each after its option`
            : command.positionals && lostCount > 0 && argv.length > 0
              ? `; if npm left a value typed after ${listed(lost.map(({ name }) => `--${name}`))} among the arguments, put it there instead of the placeholder`
              : "";
    return (
        `${reached.map(([name]) => `--${name}`).join(", ")} reached npm, not the script (npm set ${reached.map(([name]) => npmConfigVariable(name)).join(", ")}): ` +
        `put -- before the script's options: ${[command.name, "--", ...fixed, ...rest.map(quoted)].join(" ")}${unplaced}`
    );
}

/** The environment variable npm sets for its config key `name` (npm's set-envs: dashes as underscores, lower case). */
export function npmConfigVariable(name: string): string {
    return `npm_config_${name.replace(/-/g, "_").toLowerCase()}`;
}

/**
 * `text` as a number written in decimal digits (`8080`), with a fraction where `fraction` (`1.5`,
 * `.5`); NaN for anything else that `Number()` would take: `0x50`, `1e3`, `0b1`, ` 8`, `""`.
 * Command-line numbers go through this, so that a range check sees only what the user meant.
 */
export function decimal(text: string, { fraction = false }: { readonly fraction?: boolean } = {}): number {
    return (fraction ? /^(\d+(\.\d*)?|\.\d+)$/ : /^\d+$/).test(text) ? Number(text) : NaN;
}

/**
 * `<what> failed: <message>`: the message's lines stay lines; a control character in one (a
 * server's message quoted in it) is shown escaped (oneLine).
 */
export function failureLine(what: string, error: Error): string {
    return `${what} failed: ${String(error.message).split("\n").map((line) => oneLine(line)).join("\n")}`;
}

/**
 * A command's entry, for its script's `require.main === module`: runs `main`, and on an error ends
 * the process with failureLine (no stack trace), and exit code 1.
 */
export function runMain(what: string, main: () => Promise<void>): void {
    main().catch((error: Error) => {
        console.error(failureLine(what, error));
        process.exit(1);
    });
}

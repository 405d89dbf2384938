/**
 * The command lines of the README's commands (npm start, seed, health, preview, diagram,
 * schema:snapshot): one definition per command, its options with a placeholder and a description
 * each, serves both node's `parseArgs` and the usage that `--help` prints.
 */
import { parseArgs } from "util";
import { suggestion } from "../components/config";

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
 * Throws parseArgs's error for an unknown option (with the closest option, if one is a typo away),
 * a string option without its value, or an argument the command does not take, each pointing at `--help`.
 */
export function readCommandLine(command: CommandSpec, argv: readonly string[], print: (text: string) => void = console.log): CommandLine | undefined {
    let parsed: CommandLine;
    try {
        parsed = parseArgs({ args: [...argv], options: { ...command.options, help: { ...HELP, short: "h" } }, allowPositionals: command.positionals ?? false, strict: true }) as CommandLine;
    } catch (error) {
        const e = error as Error & { code?: string };
        if (!e.code?.startsWith("ERR_PARSE_ARGS_")) throw e;
        const unknown = e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? /'([^']+)'/.exec(e.message)?.[1] : undefined;
        // Node's hint on unknown options (`-- <option>` for a positional) points at its own argv, not the npm command.
        const problem = unknown !== undefined ? `Unknown option '${unknown}'${suggestion(unknown, ["help", ...Object.keys(command.options)].map((o) => `--${o}`))}` : e.message;
        throw new Error(`${problem} (\`${command.name} -- --help\` lists the options)`);
    }
    if (parsed.values.help === true) {
        print(usage(command));
        return undefined;
    }
    return parsed;
}

/**
 * A command's entry, for its script's `require.main === module`: runs `main`, and on an error ends
 * the process with one line, `<what> failed: <message>` (no stack trace), and exit code 1.
 */
export function runMain(what: string, main: () => Promise<void>): void {
    main().catch((error: Error) => {
        console.error(`${what} failed: ${error.message}`);
        process.exit(1);
    });
}

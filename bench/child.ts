/**
 * What the benchmarks that measure fresh processes share: the child process a case runs in, its
 * result handed back as JSON on its last line of output, its error as one message, and medians.
 */
import { spawnSync } from "child_process";

/** How many times each case runs by default (`--runs`). */
export const DEFAULT_RUNS = 3;

/** The most runs `--runs` takes: each run of a case is a fresh process of seconds, so more would run for hours. */
export const MAX_RUNS = 100;

/** `--runs <n>`, as `npm run bench` and `npm run bench:thumbnail` take it. */
export const RUNS_OPTION = { type: "string", value: "<n>", description: `timed runs of each case, 1 to ${MAX_RUNS}; its figures are their medians (default ${DEFAULT_RUNS})` } as const;

/** The value of `--runs`: a whole number from 1 to MAX_RUNS. Throws naming the value and the range otherwise. */
export function runsOption(value: string | boolean | string[] | undefined): number {
    if (value === undefined) return DEFAULT_RUNS;
    // Digits first: a number past 2^53 (99999999999999999999) would lose its precision, and never end.
    if (typeof value !== "string" || !/^[1-9]\d*$/.test(value) || value.length > String(MAX_RUNS).length || Number(value) > MAX_RUNS) {
        throw new Error(`--runs must be a whole number from 1 to ${MAX_RUNS}; got ${JSON.stringify(value)}`);
    }
    return Number(value);
}

/**
 * Runs `node --import tsx <script> --child <args...>` to its end and returns what the child's
 * `childMain` printed last (parsed JSON). Throws the child's own error message when it failed
 * (e.g. `Stack staging: ...`), or its exit code and the error
 * line of its stderr when it died without one.
 */
export function runChild<T>(script: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): T {
    const result = spawnSync(process.execPath, ["--import", "tsx", script, "--child", ...args], { encoding: "utf8", env });
    let last: { result?: T; error?: string } | undefined;
    try {
        last = JSON.parse(result.stdout.trim().split("\n").pop() ?? "") as { result?: T; error?: string };
    } catch {
        // No result line: the process died before it could print one.
    }
    if (last?.error !== undefined) throw new Error(last.error);
    if (result.status !== 0 || last === undefined || !("result" in last)) {
        // Node's report of an uncaught error is a dozen lines: its error line says what happened.
        const lines = result.stderr.split("\n").map((l) => l.trim()).filter(Boolean);
        const why = result.error?.message ?? lines.find((l) => /^(\w*Error\b|FATAL ERROR)/.test(l)) ?? lines.pop() ?? "";
        throw new Error(`the benchmark's child process (${script} --child ${args.join(" ")}) exited ${result.status ?? result.signal}${why === "" ? "" : `: ${why}`}`);
    }
    return last.result as T;
}

/** A child's entry: prints `{ result }` of `work` as its last line, or `{ error: message }` and exits 1 (for `runChild`). */
export function childMain(work: () => Promise<unknown>): void {
    work().then(
        (result) => console.log(JSON.stringify({ result })),
        (error: Error) => {
            console.log(JSON.stringify({ error: error.message }));
            process.exit(1);
        },
    );
}

/** The median of `values` (the upper one of an even count). */
export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * `npm run bench`: every benchmark, in order, each figure against a baseline measured in the same run:
 * the program's evaluation under the mock engine (evaluate.ts), the seed and `npm start` (local.ts),
 * and the thumbnail function (thumbnail.ts, also `npm run bench:thumbnail` alone).
 */
import { quietNodeVersionNotice } from "../deploy/aws-clients";
import { CommandSpec, readCommandLine, runMain } from "../deploy/command-line";
import { DEFAULT_RUNS, RUNS_OPTION, runsOption } from "./child";
import { benchEvaluate } from "./evaluate";
import { benchLocal } from "./local";
import { benchThumbnail } from "./thumbnail";

export const BENCH_COMMAND: CommandSpec = {
    name: "npm run bench",
    synopsis: "[--runs <n>]",
    summary:
        "Benchmarks, each figure against a baseline measured in the same run: evaluating the project's stacks (Pulumi.<environment>.yaml) under the mock engine, " +
        "the seed, `npm start` until healthy, and the thumbnail function. It starts a local environment of its own, on free ports and in a temporary folder, so it runs beside your own `npm start`.",
    options: { runs: { ...RUNS_OPTION, description: `timed runs of each evaluation and thumbnail case; their figures are medians (default ${DEFAULT_RUNS})` } },
};

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
    const line = readCommandLine(BENCH_COMMAND, argv);
    if (line === undefined) return;
    const runs = runsOption(line.values.runs);
    const notice = quietNodeVersionNotice();
    if (notice !== undefined) console.error(notice);
    await benchEvaluate(runs);
    console.log("");
    await benchLocal();
    console.log("");
    await benchThumbnail(runs);
}

if (require.main === module) runMain("bench", main);

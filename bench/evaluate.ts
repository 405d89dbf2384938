/**
 * `npm run bench`: time and memory to evaluate the program under the mock engine.
 *
 * Each case runs in a fresh process (module loading is most of the cost), RUNS times; medians.
 *   baseline   the SDK floor: @pulumi/pulumi loaded and an empty program evaluated under mocks
 *   1 process  the three stacks evaluated one after another in one process (what `npm test` does)
 *   3 procs    one process per stack (the naive alternative), summed
 * Reproduce: npm run bench   (RUNS=5 npm run bench for more samples)
 */
import { spawnSync } from "child_process";
import { listStacks } from "../harness/stack-files";

const RUNS = Number(process.env.RUNS ?? 3);

interface Sample {
    readonly ms: number;
    readonly rssMb: number;
}

async function child(stacks: string[]): Promise<void> {
    const { evaluate, evaluateStack } = await import("../harness/mock-engine");
    let resources = 0;
    if (stacks.length === 0) await evaluate("baseline", { "aws:region": "us-east-1" }, () => ({}));
    for (const stack of stacks) resources += (await evaluateStack(stack)).resources.length;
    console.log(JSON.stringify({ resources, rssMb: process.resourceUsage().maxRSS / 1024 }));
}

function run(stacks: string[]): Sample & { resources: number } {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ["--import", "tsx", __filename, "--child", ...stacks], { encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) throw new Error(`bench child failed: ${result.stderr}`);
    const line = result.stdout.trim().split("\n").pop()!;
    return { ms, ...(JSON.parse(line) as { resources: number; rssMb: number }) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function measure(label: string, cases: string[][]): Sample {
    const samples: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
        const runs = cases.map(run);
        samples.push({ ms: runs.reduce((t, r) => t + r.ms, 0), rssMb: Math.max(...runs.map((r) => r.rssMb)) });
        process.stderr.write(`  ${label}: run ${i + 1}/${RUNS} ${samples[i].ms.toFixed(0)} ms\n`);
    }
    return { ms: median(samples.map((s) => s.ms)), rssMb: median(samples.map((s) => s.rssMb)) };
}

function main(): void {
    const stacks = listStacks();
    console.log(`Evaluating ${stacks.join(", ")} under the mock engine, ${RUNS} runs each (median)`);
    const baseline = measure("baseline", [[]]);
    const together = measure("1 process", [stacks]);
    const apart = measure("3 procs", stacks.map((s) => [s]));
    const row = (label: string, s: Sample) =>
        `${label.padEnd(34)} ${s.ms.toFixed(0).padStart(6)} ms  x${(s.ms / baseline.ms).toFixed(2).padStart(5)}   ` +
        `${s.rssMb.toFixed(0).padStart(4)} MB peak RSS  x${(s.rssMb / baseline.rssMb).toFixed(2)}`;
    console.log("");
    console.log(`${"case".padEnd(34)} ${"wall".padStart(9)}  vs baseline   memory`);
    console.log(row("baseline: empty program", baseline));
    console.log(row(`${stacks.length} stacks in 1 process`, together));
    console.log(row(`${stacks.length} stacks in ${stacks.length} processes (sum)`, apart));
    console.log(`\nOne process is x${(apart.ms / together.ms).toFixed(2)} faster than one per stack. Reproduce: npm run bench`);
}

if (process.argv[2] === "--child") {
    child(process.argv.slice(3)).catch((error: Error) => {
        console.error(error.stack);
        process.exit(1);
    });
} else {
    main();
}

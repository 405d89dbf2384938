/**
 * `npm run bench` (evaluation part): time and memory to evaluate the program under the mock engine.
 *
 * Each case runs in a fresh process (module loading is most of the cost), `runs` times; medians.
 *   baseline   the SDK floor: @pulumi/pulumi loaded and an empty program evaluated under mocks
 *   1 process  the project's stacks evaluated one after another in one process (what `npm test` does)
 *   3 procs    one process per stack (the naive alternative), summed
 * Only the project's stacks (harness/stack-files.ts `projectStacks`), not a developer's own stack file.
 * Reproduce: npm run bench   (npm run bench -- --runs 5 for more samples)
 */
import { checkStackFile, projectStacks } from "../harness/stack-files";
import { childMain, median, runChild } from "./child";

interface Sample {
    readonly ms: number;
    readonly rssMb: number;
}

/** The child's work: the stacks evaluated one after another (none: the empty program). A failure names the stack. */
async function child(stacks: readonly string[]): Promise<{ resources: number; rssMb: number }> {
    const { evaluate, evaluateNamed } = await import("../harness/mock-engine");
    let resources = 0;
    if (stacks.length === 0) await evaluate("baseline", { "aws:region": "us-east-1" }, () => ({}));
    for (const stack of stacks) {
        resources += (await evaluateNamed(stack)).resources.length;
    }
    return { resources, rssMb: process.resourceUsage().maxRSS / 1024 };
}

function run(stacks: string[]): Sample {
    const started = process.hrtime.bigint();
    const { rssMb } = runChild<{ rssMb: number }>(__filename, stacks);
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, rssMb };
}

function measure(label: string, cases: string[][], runs: number): Sample {
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) {
        const results = cases.map(run);
        samples.push({ ms: results.reduce((t, r) => t + r.ms, 0), rssMb: Math.max(...results.map((r) => r.rssMb)) });
        process.stderr.write(`  ${label}: run ${i + 1}/${runs} ${samples[i].ms.toFixed(0)} ms\n`);
    }
    return { ms: median(samples.map((s) => s.ms)), rssMb: median(samples.map((s) => s.rssMb)) };
}

/**
 * Measures and prints the evaluation figures. Throws, before measuring anything, when there is no
 * project stack or a stack's config is bad (checkStackFile's error, naming its file); and when a
 * stack's program fails (`Stack <stack>: ...`).
 */
export async function benchEvaluate(runs: number): Promise<void> {
    const stacks = projectStacks();
    if (stacks.length === 0) throw new Error("No stack to evaluate: the project's stacks are its Pulumi.<environment>.yaml files");
    for (const stack of stacks) checkStackFile(stack);
    console.log(`Evaluating ${stacks.join(", ")} under the mock engine, ${runs} runs each (median)`);
    const baseline = measure("baseline", [[]], runs);
    const together = measure("1 process", [stacks], runs);
    const apart = measure(`${stacks.length} procs`, stacks.map((s) => [s]), runs);
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

if (require.main === module && process.argv[2] === "--child") childMain(() => child(process.argv.slice(3)));

/**
 * `npm run bench` (local part): seed throughput and time from `npm start` to healthy.
 *
 *   seed       2,000 message items through seed() (conditional PutItem, 16 in flight) into an
 *              empty table, then again over the same items (all kept), against a baseline of
 *              sequential PutItem calls, all on the same dynalite in this run
 *   npm start  a fresh `local/start.ts` process until it reports healthy (its files in a folder of
 *              its own: startTime), against a baseline of a process that only loads the same
 *              runtime (node + tsx) and exits
 * Reproduce: npm run bench
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CreateTableCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { TABLES, tableOutputName } from "../components/tables";
import { createTableInput } from "../local/start";
import { freePort, startDynamoDb } from "../local/stand-ins";
import { LOCAL_ROOT_VARIABLE } from "../local/state";
import { seed } from "../deploy/seed/seed";
import { dynamoDbClient } from "../deploy/aws-clients";

const ITEMS = 2000;
const messages = TABLES.find((t) => t.name === "messages")!;

function syntheticMessages(): Record<string, string>[] {
    return Array.from({ length: ITEMS }, (_, i) => ({
        PK: `CHANNEL#ch-bench-${i % 20}`,
        SK: `MSG#2026-01-01T00:00:${String(i).padStart(5, "0")}#m${i}`,
        user_id: `usr-${i % 50}`,
        text: `message ${i} `.repeat(8),
    }));
}

async function timed(work: () => Promise<unknown>): Promise<number> {
    const started = process.hrtime.bigint();
    await work();
    return Number(process.hrtime.bigint() - started) / 1e6;
}

async function benchSeed(): Promise<void> {
    const dynamodb = await startDynamoDb(0);
    const client = dynamoDbClient({ region: "us-east-1", endpoint: dynamodb.endpoint, credentials: { accessKeyId: "x", secretAccessKey: "x" } });
    for (const name of ["bench-sequential", "bench-seed"]) await client.send(new CreateTableCommand(createTableInput(messages, name)));
    const items = syntheticMessages();
    const sequential = await timed(async () => {
        for (const item of items) await client.send(new PutItemCommand({ TableName: "bench-sequential", Item: marshall(item) }));
    });
    const run = () => seed(client, { [tableOutputName(messages)]: "bench-seed" }, new Map([[messages, items]]));
    const first = await timed(run);
    const second = await timed(run);
    await dynamodb.stop();
    const line = (label: string, ms: number) =>
        `  ${label.padEnd(34)}${ms.toFixed(0).padStart(6)} ms  ${(ITEMS / (ms / 1000)).toFixed(0).padStart(6)} items/s` +
        (ms === sequential ? "" : `  x${(sequential / ms).toFixed(2)} faster`);
    console.log(`seed: ${ITEMS} items`);
    console.log(line("baseline sequential PutItem", sequential));
    console.log(line("seed, empty table (x16 in flight)", first));
    console.log(line("seed again, every item kept", second));
}

/** Wall time until the process prints `until` (then it is stopped), or exits when `until` is undefined. */
function processTime(args: string[], until?: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
    return new Promise((resolve, reject) => {
        const started = process.hrtime.bigint();
        const child = spawn(process.execPath, ["--import", "tsx", ...args], { stdio: ["ignore", "pipe", "pipe"], env });
        let output = "";
        const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
        child.stdout.on("data", (chunk: Buffer) => {
            output += chunk.toString();
            if (until !== undefined && output.includes(until) && !child.killed) {
                const ms = elapsed();
                child.once("exit", () => resolve(ms));
                child.kill("SIGINT");
            }
        });
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.once("exit", (code) => {
            if (until === undefined && code === 0) resolve(elapsed());
            else if (!output.includes(until ?? "\0")) reject(new Error(`process exited ${code} before "${until}":\n${output}`));
        });
    });
}

/**
 * Wall time (ms) from spawning `script` (`npm start`'s local/start.ts) with `args` until it prints
 * "Running;" (it is then stopped with SIGINT), with .env.local and .local/ in a new temporary folder
 * of its own (LOCAL_ROOT_VARIABLE), removed once it has exited: it runs beside a developer's own
 * `npm start` in the checkout, whose lock would refuse it. Throws with the process's output when it
 * exits before it is running.
 */
export async function startTime(args: readonly string[], script = "local/start.ts"): Promise<number> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "slack-clone-bench-"));
    try {
        return await processTime([script, ...args], "Running;", { ...process.env, [LOCAL_ROOT_VARIABLE]: root });
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
}

async function benchStart(): Promise<void> {
    const baseline = await processTime(["-e", "require('@aws-sdk/client-dynamodb'); require('@aws-sdk/client-s3')"]);
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    const start = await startTime(["--dynamodb-port", String(ports[0]), "--s3-port", String(ports[1]), "--redis-port", String(ports[2])]);
    console.log("npm start to healthy:");
    console.log(`  baseline: node + tsx + AWS SDK load  ${baseline.toFixed(0).padStart(6)} ms`);
    console.log(`  local/start.ts until healthy         ${start.toFixed(0).padStart(6)} ms  x${(start / baseline).toFixed(2)} of baseline`);
}

/** Measures and prints the seed's and `npm start`'s figures. Throws when a stand-in or `npm start` fails. */
export async function benchLocal(): Promise<void> {
    await benchSeed();
    await benchStart();
}

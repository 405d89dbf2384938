/**
 * Seed: `npm run seed -- (--stack <name> | --outputs <file|-> | --local) [--dry-run] [--concurrency <n>] [--timeout <s>]`
 *
 * Writes the items of deploy/seed/data/<table>.json into the stack's tables, found by name through the
 * stack outputs. BatchWriteItem (25 items per request), a bounded number of requests in flight,
 * UnprocessedItems retried with exponential backoff. Idempotent: items have fixed keys, so a second
 * run leaves the same items. Fails before writing anything when an output or a table is missing.
 * Every call is bounded in time and attempts (deploy/aws-clients.ts); a failure names the endpoint,
 * the action and the table.
 */
import * as fs from "fs";
import * as path from "path";
import { BatchWriteItemCommand, DescribeTableCommand, DynamoDBClient, WriteRequest } from "@aws-sdk/client-dynamodb";
import { dynamoDbClient, quietNodeVersionNotice } from "../aws-clients";
import { count } from "../format";
import { marshall } from "@aws-sdk/util-dynamodb";
import { TABLES, TableSpec, keyAttributes, tableOutputName } from "../../components/tables";
import { StackOutputs, limitsFromCommandLine, outputsFromCommandLine, parseCommandLine, requireOutput } from "../stack-outputs";

export const DATA_DIR = path.join(__dirname, "data");
/** BatchWriteItem accepts at most 25 put or delete requests. */
export const BATCH_SIZE = 25;

export type SeedItem = Readonly<Record<string, unknown>>;
export type SeedData = ReadonlyMap<TableSpec, readonly SeedItem[]>;

/** deploy/seed/data/<short name>.json for each table that has seed items. */
export function loadSeedData(dir = DATA_DIR): SeedData {
    const data = new Map<TableSpec, SeedItem[]>();
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
        const spec = TABLES.find((t) => `${t.name}.json` === file);
        if (spec === undefined) throw new Error(`deploy/seed/data/${file} names no table; tables: ${TABLES.map((t) => t.name).join(", ")}`);
        data.set(spec, JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as SeedItem[]);
    }
    return data;
}

const TYPE_OF: Record<string, string> = { S: "string", N: "number", B: "object" };

/** Every way an item breaks its table's keys or indexes (empty when it fits). */
export function itemProblems(spec: TableSpec, item: SeedItem): string[] {
    const problems: string[] = [];
    const tableKeys = [spec.partitionKey.name, spec.sortKey.name];
    for (const attribute of keyAttributes(spec)) {
        const value = item[attribute.name];
        if (value === undefined) {
            if (tableKeys.includes(attribute.name)) problems.push(`missing key attribute ${attribute.name}`);
        } else if (typeof value !== TYPE_OF[attribute.type] || value === "") {
            problems.push(`${attribute.name} must be a non-empty ${TYPE_OF[attribute.type]} (${attribute.type}) for the table or an index; got ${JSON.stringify(value)}`);
        }
    }
    return problems;
}

function validate(data: SeedData): void {
    const problems: string[] = [];
    for (const [spec, items] of data) {
        const keys = new Set<string>();
        items.forEach((item, i) => {
            for (const p of itemProblems(spec, item)) problems.push(`${spec.name}[${i}]: ${p}`);
            const key = `${String(item[spec.partitionKey.name])}|${String(item[spec.sortKey.name])}`;
            if (keys.has(key)) problems.push(`${spec.name}[${i}]: duplicate key ${key}`);
            keys.add(key);
        });
    }
    if (problems.length > 0) throw new Error(`Seed data does not fit the tables:\n  - ${problems.join("\n  - ")}`);
}

export interface SeedOptions {
    readonly dryRun?: boolean;
    /** Requests in flight at once. @default 4 */
    readonly concurrency?: number;
    /** Attempts per batch while DynamoDB returns UnprocessedItems. @default 8 */
    readonly maxAttempts?: number;
    /** Delay before the first retry, doubled each time (with jitter). @default 50 */
    readonly baseDelayMs?: number;
    readonly log?: (line: string) => void;
}

export interface SeedReport {
    /** Items per physical table name. */
    written: Record<string, number>;
    requests: number;
    retries: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `tasks` with at most `limit` in flight. */
async function pool(tasks: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
    let next = 0;
    const worker = async () => {
        while (next < tasks.length) await tasks[next++]();
    };
    await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

export async function seed(client: DynamoDBClient, outputs: StackOutputs, data: SeedData, options: SeedOptions = {}): Promise<SeedReport> {
    const log = options.log ?? (() => undefined);
    const { concurrency = 4, maxAttempts = 8, baseDelayMs = 50 } = options;

    // Everything that can be checked is checked before the first write.
    const missingOutputs = [...data.keys()].map(tableOutputName).filter((name) => typeof outputs[name] !== "string");
    if (missingOutputs.length > 0) throw new Error(`Stack outputs missing: ${missingOutputs.join(", ")}; nothing was written`);
    validate(data);
    const tables = [...data].map(([spec, items]) => ({ spec, items, name: requireOutput(outputs, tableOutputName(spec)) }));

    if (options.dryRun) {
        for (const t of tables) {
            log(`would write ${count(t.items.length, "item")} to ${t.name}`);
            for (const item of t.items) log(`  ${String(item[t.spec.partitionKey.name])} ${String(item[t.spec.sortKey.name])}`);
        }
        return { written: {}, requests: 0, retries: 0 };
    }

    const missingTables: string[] = [];
    for (const t of tables) {
        await client.send(new DescribeTableCommand({ TableName: t.name })).catch((error: Error) => {
            if (error.name !== "ResourceNotFoundException") throw error;
            missingTables.push(t.name);
        });
    }
    if (missingTables.length > 0) throw new Error(`Tables missing: ${missingTables.join(", ")}; deploy the stack first. Nothing was written`);

    const report: SeedReport = { written: {}, requests: 0, retries: 0 };
    const started = Date.now();
    const tasks: Array<() => Promise<void>> = [];
    for (const t of tables) {
        let pendingBatches = Math.ceil(t.items.length / BATCH_SIZE);
        for (let i = 0; i < t.items.length; i += BATCH_SIZE) {
            const batch = t.items.slice(i, i + BATCH_SIZE);
            tasks.push(async () => {
                await writeBatch(t.name, batch.map((item) => ({ PutRequest: { Item: marshall(item) } })));
                report.written[t.name] = (report.written[t.name] ?? 0) + batch.length;
                if (--pendingBatches === 0) log(`  ${t.name}: ${count(t.items.length, "item")} (${Date.now() - started} ms)`);
            });
        }
    }

    async function writeBatch(table: string, requests: WriteRequest[]): Promise<void> {
        for (let attempt = 1; ; attempt++) {
            report.requests++;
            const result = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
            const unprocessed = result.UnprocessedItems?.[table] ?? [];
            if (unprocessed.length === 0) return;
            if (attempt >= maxAttempts) throw new Error(`${table}: ${unprocessed.length} items still unprocessed after ${attempt} attempts`);
            report.retries++;
            await sleep(baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
            requests = unprocessed;
        }
    }

    await pool(tasks, concurrency);
    return report;
}

async function main(): Promise<void> {
    const notice = quietNodeVersionNotice();
    if (notice !== undefined) console.error(notice);
    const args = parseCommandLine(process.argv.slice(2), { "dry-run": { type: "boolean" }, concurrency: { type: "string" } });
    const outputs = outputsFromCommandLine(args);
    const concurrency = Number(args.concurrency ?? 4);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency must be a positive integer; got ${args.concurrency}`);
    const client = dynamoDbClient({ region: requireOutput(outputs, "region"), limits: limitsFromCommandLine(args) });
    const log = (line: string) => console.log(line);
    log(`Seeding ${requireOutput(outputs, "environment")}${args["dry-run"] ? " (dry run)" : ""}`);
    const report = await seed(client, outputs, loadSeedData(), { dryRun: args["dry-run"] === true, concurrency, log });
    if (!args["dry-run"]) {
        const items = Object.values(report.written).reduce((a, b) => a + b, 0);
        log(
            `Seeded ${count(items, "item")} in ${count(Object.keys(report.written).length, "table")} ` +
                `(${count(report.requests, "request")}, ${count(report.retries, "retry", "retries")})`,
        );
    }
}

if (require.main === module) {
    main().catch((error: Error) => {
        console.error(`seed failed: ${error.message}`);
        process.exit(1);
    });
}

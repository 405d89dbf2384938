/**
 * Seed: `npm run seed -- (--stack <name> | --outputs <file|-> | --local) [--dry-run] [--concurrency <n>] [--timeout <s>]`
 *
 * Writes the stack's seed data set into its tables, found by name through the stack outputs: the
 * demo data (deploy/seed/data/demo/<table>.json) where the stack's `demoData` output is true,
 * nothing elsewhere (production starts empty). It reads which items exist (BatchGetItem) and writes
 * each missing one with a conditional PutItem (`attribute_not_exists` on the partition key): an
 * item that exists is kept as it is, whoever changed it, so the seed never overwrites or deletes
 * anything and can run on every deploy. The data set's last item (the demo data's: the workspace
 * ws-default) is written last, once every other item is there: while it exists, the data set has
 * been written whole before, and a run writes nothing, so an item users deleted since stays deleted
 * (a run over seeded tables only reads); a run that failed midway is completed by the next. A bounded number of
 * requests are in flight; throttled requests are retried by the SDK. Fails before writing anything
 * when an output or a table is missing. Every call is bounded in time and attempts
 * (deploy/aws-clients.ts); a failure names the endpoint, the action and the table.
 */
import * as fs from "fs";
import * as path from "path";
import {
    BatchGetItemCommand,
    BatchGetItemCommandOutput,
    ConditionalCheckFailedException,
    DescribeTableCommand,
    DynamoDBClient,
    KeysAndAttributes,
    PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { dynamoDbClient, quietNodeVersionNotice } from "../aws-clients";
import { count } from "../format";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { PRODUCTION_ENVIRONMENTS } from "../../components/naming";
import { TABLES, TableSpec, keyAttributes, tableOutputName } from "../../components/tables";
import { decimal, readCommandLine, runMain } from "../command-line";
import { CommonArgs, StackOutputs, limitsFromCommandLine, outputsCommand, outputsFromCommandLine, requireOutput, requireOutputs } from "../stack-outputs";

/** BatchGetItem reads at most 100 keys a request (DynamoDB API reference, BatchGetItem). */
export const BATCH_GET_SIZE = 100;

/** The demo data set: users, a workspace, channels, messages, reactions. */
export const DEMO_DATA_DIR = path.join(__dirname, "data", "demo");

export type SeedItem = Readonly<Record<string, unknown>>;
export type SeedData = ReadonlyMap<TableSpec, readonly SeedItem[]>;

/** <dir>/<short name>.json for each table that has seed items. */
export function loadSeedData(dir = DEMO_DATA_DIR): SeedData {
    const data = new Map<TableSpec, SeedItem[]>();
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
        const spec = TABLES.find((t) => `${t.name}.json` === file);
        if (spec === undefined) throw new Error(`${path.relative(process.cwd(), path.join(dir, file))} names no table; tables: ${TABLES.map((t) => t.name).join(", ")}`);
        data.set(spec, JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as SeedItem[]);
    }
    return data;
}

/**
 * The data set a stack gets: the demo data where its `demoData` output is true, none where false.
 * Throws when the output is missing (every stack exports it: an outputs file without it is not taken
 * for false) or not a boolean, and when it is true in a production environment.
 */
export function seedDataFor(outputs: StackOutputs): SeedData {
    requireOutput(outputs, "demoData", "boolean");
    if (outputs.demoData === true && (PRODUCTION_ENVIRONMENTS as readonly unknown[]).includes(outputs.environment)) {
        // The config refuses demoData there; outputs that say otherwise were written or merged by hand.
        throw new Error(`Stack outputs say demoData is true for environment ${String(outputs.environment)}, which never gets demo data; nothing was written`);
    }
    return outputs.demoData === true ? loadSeedData() : new Map();
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
    /** Requests in flight at once. @default 16 */
    readonly concurrency?: number;
    readonly log?: (line: string) => void;
}

export interface SeedReport {
    /** Items written, per physical table name. */
    written: Record<string, number>;
    /** Items that already existed and were left as they are, per physical table name. */
    kept: Record<string, number>;
    requests: number;
    /** The data set was written whole by an earlier run (its last item exists): nothing was written. */
    seededBefore: boolean;
}

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
    const { concurrency = 16 } = options;

    // Everything that can be checked is checked before the first write.
    let names: string[];
    try {
        names = requireOutputs(outputs, [...data.keys()].map(tableOutputName));
    } catch (error) {
        throw new Error(`${(error as Error).message}; nothing was written`);
    }
    validate(data);
    // A table with no items has nothing to write (and no last item to write last).
    const tables = [...data].map(([spec, items], i) => ({ spec, items, name: names[i] })).filter((t) => t.items.length > 0);

    type Table = (typeof tables)[number];
    /** An item's partition and sort key values: joined by `|`, its identity in a table; by a space, as printed. */
    const keyValues = (t: Table, item: Readonly<Record<string, unknown>>) => [String(item[t.spec.partitionKey.name]), String(item[t.spec.sortKey.name])];
    const keyOf = (t: Table, item: Readonly<Record<string, unknown>>) => keyValues(t, item).join("|");
    const last = tables[tables.length - 1];
    const marker = last?.items[last.items.length - 1];
    const markerShown = last === undefined ? "" : `${last.name} holds ${keyValues(last, marker).join(" ")}`;

    // Offline: no table is read, so what a real run would leave out is said, not known.
    if (options.dryRun) {
        if (last !== undefined) log(`dry run, no table read: a real run writes only the items not there yet, and nothing at all where ${markerShown} (written last)`);
        for (const t of tables) {
            log(`would write ${count(t.items.length, "item")} to ${t.name}, each only if its key is not there yet`);
            for (const item of t.items) log(`  ${keyValues(t, item).join(" ")}`);
        }
        return { written: {}, kept: {}, requests: 0, seededBefore: false };
    }

    const missingTables: string[] = [];
    for (const t of tables) {
        await client.send(new DescribeTableCommand({ TableName: t.name })).catch((error: Error) => {
            if (error.name !== "ResourceNotFoundException") throw error;
            missingTables.push(t.name);
        });
    }
    if (missingTables.length > 0) throw new Error(`Tables missing: ${missingTables.join(", ")}; deploy the stack first. Nothing was written`);

    const report: SeedReport = { written: {}, kept: {}, requests: 0, seededBefore: false };
    const started = Date.now();

    /** The keys (`PK|SK`) of `items` that exist in `table` already: BatchGetItem, 100 keys a request, unprocessed keys asked again. */
    const existingKeys = async (t: Table): Promise<Set<string>> => {
        const names = [t.spec.partitionKey.name, t.spec.sortKey.name];
        const found = new Set<string>();
        const reads: Array<() => Promise<void>> = [];
        for (let i = 0; i < t.items.length; i += BATCH_GET_SIZE) {
            const keys = t.items.slice(i, i + BATCH_GET_SIZE).map((item) => marshall(Object.fromEntries(names.map((n) => [n, item[n]]))));
            reads.push(async () => {
                let request: KeysAndAttributes | undefined = { Keys: keys, ProjectionExpression: "#pk, #sk", ExpressionAttributeNames: { "#pk": names[0], "#sk": names[1] } };
                for (let attempt = 1; request !== undefined; attempt++) {
                    if (attempt > 8) throw new Error(`${t.name}: DynamoDB left keys unprocessed 8 times; nothing more was written`);
                    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
                    report.requests++;
                    const result: BatchGetItemCommandOutput = await client.send(new BatchGetItemCommand({ RequestItems: { [t.name]: request } }));
                    for (const item of result.Responses?.[t.name] ?? []) found.add(keyOf(t, unmarshall(item)));
                    request = result.UnprocessedKeys?.[t.name];
                }
            });
        }
        await pool(reads, concurrency);
        return found;
    };

    const existing = new Map<Table, Set<string>>();
    for (const t of tables) existing.set(t, await existingKeys(t));
    const exists = (t: Table, item: SeedItem) => existing.get(t)!.has(keyOf(t, item));
    for (const t of tables) {
        report.written[t.name] = 0;
        report.kept[t.name] = t.items.filter((item) => exists(t, item)).length;
    }
    if (last === undefined) return report;
    if (exists(last, marker)) {
        report.seededBefore = true;
        log(`  seeded before (${markerShown}, written last): nothing written, so what users changed or deleted since stays as it is`);
        return report;
    }

    /** Writes `item` only if its key is still new: an item created since the read above is kept too. */
    const put = async (t: Table, item: SeedItem): Promise<void> => {
        report.requests++;
        // An item is identified by its key, so checking the partition key attribute checks the whole key.
        const written = await client
            .send(
                new PutItemCommand({
                    TableName: t.name,
                    Item: marshall(item),
                    ConditionExpression: "attribute_not_exists(#pk)",
                    ExpressionAttributeNames: { "#pk": t.spec.partitionKey.name },
                }),
            )
            .then(
                () => true,
                (error: Error) => {
                    if (error instanceof ConditionalCheckFailedException || error.name === "ConditionalCheckFailedException") return false;
                    throw error;
                },
            );
        report[written ? "written" : "kept"][t.name]++;
    };
    const done = (t: Table) =>
        log(`  ${t.name}: ${count(report.written[t.name], "item")} written, ${count(report.kept[t.name], "item")} already there and kept (${Date.now() - started} ms)`);
    const tasks: Array<() => Promise<void>> = [];
    for (const t of tables) {
        const missing = t.items.filter((item) => item !== marker && !exists(t, item));
        if (missing.length === 0 && t !== last) done(t);
        let pending = missing.length;
        for (const item of missing) {
            tasks.push(async () => {
                await put(t, item);
                if (--pending === 0 && t !== last) done(t);
            });
        }
    }
    await pool(tasks, concurrency);
    // Last, once everything else is there: from now on the data set counts as written.
    await put(last, marker);
    done(last);
    return report;
}

/** Requests in flight at once unless `--concurrency` says otherwise. */
const DEFAULT_CONCURRENCY = 16;
/**
 * The most `--concurrency` may ask for: the AWS SDK's HTTP handler opens at most 50 sockets per
 * client (maxSockets, aws/aws-sdk-js-v3#2024), and a request waiting for a socket is outside every
 * timeout (aws/aws-sdk-js-v3#3722), so more would queue unbounded instead of going faster.
 */
export const MAX_CONCURRENCY = 50;

export const SEED_COMMAND = outputsCommand(
    "npm run seed",
    "Writes the stack's seed data (the demo data where its demoData output is true) into its tables; keeps every item that exists.",
    {
        "dry-run": { type: "boolean", description: "print what it would write, and write nothing" },
        concurrency: { type: "string", value: "<n>", description: `requests in flight at once, 1 to ${MAX_CONCURRENCY} (default ${DEFAULT_CONCURRENCY})` },
    },
);

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
    const line = readCommandLine(SEED_COMMAND, argv);
    if (line === undefined) return;
    const args = line.values as CommonArgs & { "dry-run"?: boolean; concurrency?: string };
    const notice = quietNodeVersionNotice();
    if (notice !== undefined) console.error(notice);
    const concurrency = args.concurrency === undefined ? DEFAULT_CONCURRENCY : decimal(args.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
        throw new Error(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY} in decimal digits (the AWS SDK opens at most ${MAX_CONCURRENCY} connections); got ${args.concurrency}`);
    }
    const outputs = outputsFromCommandLine(args, SEED_COMMAND);
    const client = dynamoDbClient({ region: requireOutput(outputs, "region"), limits: limitsFromCommandLine(args) });
    const log = (line: string) => console.log(line);
    log(`Seeding ${requireOutput(outputs, "environment")}${args["dry-run"] ? " (dry run)" : ""}`);
    const data = seedDataFor(outputs);
    if (data.size === 0) {
        log("Nothing to seed: this stack's demoData is false (the product starts with empty tables)");
        return;
    }
    const report = await seed(client, outputs, data, { dryRun: args["dry-run"] === true, concurrency, log });
    if (!args["dry-run"]) {
        const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
        log(
            `Seeded ${count(Object.keys(report.written).length, "table")}: ${count(sum(report.written), "item")} written, ` +
                `${count(sum(report.kept), "item")} already there and kept (${count(report.requests, "request")})`,
        );
    }
}

if (require.main === module) runMain("seed", main);

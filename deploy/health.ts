/**
 * Health check: `npm run health -- --stack <name> [--outputs <file|->] [--skip redis]`
 *
 * Verifies every component the stack outputs name: each table ACTIVE with the keys and indexes of
 * its spec, the buckets reachable, Redis answering PING, the API's /health. Prints one line per
 * check and exits non-zero naming what failed. `npm start` runs it against the local environment.
 */
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import Redis from "ioredis";
import { TABLES, TableSpec, keySchema, tableOutputName } from "../components/tables";
import { redisUrl } from "./backend-env";
import { StackOutputs, parseCommandLine, readStackOutputs, requireOutput } from "./stack-outputs";

export interface CheckResult {
    readonly check: string;
    readonly ok: boolean;
    readonly detail: string;
}

export interface HealthClients {
    readonly dynamodb: DynamoDBClient;
    readonly s3: S3Client;
}

const TIMEOUT_MS = 5000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer in ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const describeKeys = (keys: ReadonlyArray<{ AttributeName?: string; KeyType?: string }> | undefined) =>
    (keys ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(",");

async function checkTable(client: DynamoDBClient, spec: TableSpec, name: string): Promise<string> {
    const { Table: table } = await withTimeout(client.send(new DescribeTableCommand({ TableName: name })), name);
    if (table?.TableStatus !== "ACTIVE") throw new Error(`${name} is ${table?.TableStatus}, not ACTIVE`);
    const expectedKeys = describeKeys(keySchema(spec));
    if (describeKeys(table.KeySchema) !== expectedKeys) throw new Error(`${name} has keys ${describeKeys(table.KeySchema)}, expected ${expectedKeys}`);
    const indexes = new Map((table.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, describeKeys(i.KeySchema)]));
    for (const index of spec.indexes) {
        const expected = describeKeys(keySchema(index));
        if (indexes.get(index.name) !== expected) throw new Error(`${name}: index ${index.name} is ${indexes.get(index.name) ?? "missing"}, expected ${expected}`);
    }
    return `ACTIVE, ${spec.indexes.length} indexes`;
}

async function pingRedis(url: string): Promise<string> {
    const redis = new Redis(url, { lazyConnect: true, connectTimeout: TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on("error", () => undefined); // reported through the rejected commands below
    try {
        await withTimeout(redis.connect(), "Redis");
        return `PING ${await withTimeout(redis.ping(), "Redis")}`;
    } finally {
        redis.disconnect();
    }
}

async function getHealth(url: string): Promise<string> {
    const response = await withTimeout(fetch(url), url);
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return `${response.status}`;
}

/** Runs every check the outputs allow, except `skip`ped ones; never throws, each failure is a result. */
export async function checkHealth(outputs: StackOutputs, clients: HealthClients, skip: readonly string[] = []): Promise<CheckResult[]> {
    const checks: Array<[string, () => Promise<string>]> = TABLES.map((spec) => [
        `table ${spec.name}`,
        () => checkTable(clients.dynamodb, spec, requireOutput(outputs, tableOutputName(spec))),
    ]);
    for (const output of ["filesBucketName", "thumbnailsBucketName"] as const) {
        if (outputs[output] !== undefined) {
            checks.push([`bucket ${output}`, async () => {
                const bucket = requireOutput(outputs, output);
                await withTimeout(clients.s3.send(new HeadBucketCommand({ Bucket: bucket })), bucket);
                return `${bucket} reachable`;
            }]);
        }
    }
    if (outputs.redisPrimaryEndpoint !== undefined) checks.push(["redis", () => pingRedis(redisUrl(outputs))]);
    if (outputs.apiUrl !== undefined) checks.push(["api /health", () => getHealth(`${requireOutput(outputs, "apiUrl").replace(/\/$/, "")}/health`)]);

    const unknown = skip.filter((s) => !checks.some(([check]) => check === s));
    if (unknown.length > 0) throw new Error(`--skip ${unknown.join(", ")}: no such check; checks: ${checks.map(([c]) => c).join(", ")}`);
    return Promise.all(
        checks.filter(([check]) => !skip.includes(check)).map(async ([check, run]) => {
            try {
                return { check, ok: true, detail: await run() };
            } catch (error) {
                const e = error as Error;
                return { check, ok: false, detail: e.name === "NotFound" || e.name === "ResourceNotFoundException" ? `missing (${e.message || e.name})` : e.message || e.name };
            }
        }),
    );
}

export function formatHealth(results: readonly CheckResult[]): string {
    const width = Math.max(...results.map((r) => r.check.length));
    return results.map((r) => `${r.ok ? "ok  " : "FAIL"}  ${r.check.padEnd(width)}  ${r.detail}`).join("\n");
}

/** Clients for the stack's region; endpoints follow AWS_ENDPOINT_URL_* when set (local environment). */
export function clientsFor(region: string): HealthClients {
    return {
        dynamodb: new DynamoDBClient({ region }),
        s3: new S3Client({ region, forcePathStyle: process.env.S3_FORCE_PATH_STYLE === "true" }),
    };
}

async function main(): Promise<void> {
    const args = parseCommandLine(process.argv.slice(2), { skip: { type: "string", multiple: true } });
    const outputs = readStackOutputs({ stack: args.stack, outputsFile: args.outputs });
    const skip = (args.skip as string[] | undefined) ?? [];
    const results = await checkHealth(outputs, clientsFor(requireOutput(outputs, "region")), skip);
    if (skip.length > 0) console.log(`Skipped: ${skip.join(", ")}`);
    console.log(formatHealth(results));
    const failed = results.filter((r) => !r.ok);
    if (failed.length > 0) throw new Error(`${failed.length} of ${results.length} checks failed: ${failed.map((r) => r.check).join(", ")}`);
    console.log(`All ${results.length} checks passed`);
}

if (require.main === module) {
    main().catch((error: Error) => {
        console.error(`health check failed: ${error.message}`);
        process.exit(1);
    });
}

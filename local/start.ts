/**
 * `npm start`: the development environment on real local stand-ins, no AWS account.
 *
 * Starts DynamoDB (dynalite) with the 12 tables made from components/tables.ts, S3 (s3rver) with
 * both buckets, where an upload under uploads/ ending .jpg runs the thumbnail handler the Lambda
 * ships (any other upload is logged as outside the trigger), and Redis (redis-server); runs the
 * seed and the health check; prints and writes to .env.local the variables a backend on port 8000
 * needs (the names a deployed stack gives; with `--backend "<command>"` it runs that command with
 * them and PORT=8000 and waits for its /health) and to .local/outputs.json the stack outputs (for
 * `npm run seed -- --local`, `npm run health -- --local`); stays up until Ctrl-C, Ctrl-\ or SIGTERM (or
 * until the process that started it is gone), then stops the backend and every stand-in and removes
 * both files.
 * A start after one that was killed clears what it left (its redis-server by recorded pid, its
 * backend by recorded process group). The files are in the checkout, or where SLACK_CLONE_LOCAL_ROOT
 * says (local/state.ts).
 *
 *   npm start -- [--backend "<command>" [--backend-port 8000]] [--dynamodb-port 4567] [--s3-port 4568] [--redis-port 6380]
 */
// First: from here on, a stop signal stops npm start as main's handler would (local/stop-signals.ts).
import { takeStopSignals } from "./stop-signals";
import { randomBytes } from "crypto";
import { ChildProcess, spawn } from "child_process";
import { once } from "events";
import * as fs from "fs";
import * as os from "os";
import { CreateTableCommand } from "@aws-sdk/client-dynamodb";
import { dynamoDbClient, quietNodeVersionNotice, s3Client } from "../deploy/aws-clients";
import type { S3Event } from "aws-lambda";
import { validateConfig } from "../components/config";
import { physicalName } from "../components/naming";
import { OutputValues } from "../components/outputs";
import { BILLING_MODE, TABLES, TableOutputName, TableSpec, keyAttributes, keySchema, tableName, tableOutputs } from "../components/tables";
import { seed, seedDataFor } from "../deploy/seed/seed";
import { CommandSpec, decimal, readCommandLine, runMain } from "../deploy/command-line";
import { BACKEND_PORT, HEALTH_PATH, backendEnvironment, secretsFromEnvironment } from "../deploy/backend-env";
import { CheckResult, HealthClients, checkApiHealth, checkHealth, formatHealth } from "../deploy/health";
import { createHandler } from "../functions/thumbnail/handler";
import { UPLOADS_PREFIX, UPLOAD_SUFFIX, encodeEventKey } from "../functions/thumbnail/keys";
import { rawConfig } from "../harness/stack-files";
import { REDIS_STOP_TIMEOUT_MS, S3StandIn, StandIn, answers, diesWithParent, startDynamoDb, startRedis, startS3 } from "./stand-ins";
import { listed, oneLine } from "../deploy/format";
import { ENV_FILE, ENV_FILE_MARK, Lock, OUTPUTS_FILE, S3_DIR, START_PID_VARIABLE, claimLock, envFileIsOurs, groupRunning, groupStartedBy, isRedisOnPort, isRunning, prepareStateFiles, releaseLock, shown, writeLock, writePrivateFile } from "./state";

export const ENVIRONMENT = "development";
/** Stands in for the 12-digit account id in local bucket names. */
export const LOCAL_ACCOUNT_ID = "000000000000";
export const DEFAULT_PORTS = { dynamodb: 4567, s3: 4568, redis: 6380, backend: BACKEND_PORT } as const;
/** How long a backend may take to answer its /health. */
export const BACKEND_START_TIMEOUT_MS = 60000;
/** How often the backend's /health is asked until it answers: a refused connection costs next to nothing. */
export const BACKEND_POLL_MS = 50;
/** How often a start waiting for the backend's /health says what it last got. */
export const BACKEND_PROGRESS_MS = 10000;
export { ENV_FILE };
/** How long a backend may take to stop after SIGTERM before its process group gets SIGKILL. */
export const BACKEND_STOP_TIMEOUT_MS = 2000;
/**
 * The shell script that runs a `--backend` command and leads its process group. The command runs in
 * the background, so that the shell acts on a signal at once (a shell defers its traps while a
 * foreground command runs). The shell ignores SIGTERM, so that a SIGTERM to the whole group (a stop)
 * reaches the command once; SIGHUP, its parent-death signal, makes it pass SIGTERM to the group
 * (`kill 0`). It exits with the command's status (128 + n for signal n). The traps are set after the
 * command started, which must not inherit an ignored SIGTERM; the newline lets it end in a comment.
 */
export const BACKEND_SHELL = (command: string) => `{ ${command}\n} &\ntrap '' TERM\ntrap 'trap "" HUP; kill -TERM 0' HUP\nwait $!`;
/**
 * The Fetch standard's bad ports (https://fetch.spec.whatwg.org/#port-blocking; the same list in
 * web-platform-tests' fetch/api/request/request-bad-port.any.js): Node's fetch, which asks the
 * backend's /health, refuses them ("bad port") without connecting, so a backend there never passes.
 */
export const FETCH_BAD_PORTS: ReadonlySet<number> = new Set([
    1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139,
    143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659,
    4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** What a Fetch bad port would break, per option that takes one: what fetch (Node's, a browser's) must reach there. */
const FETCH_PORT_USES = {
    "backend-port": `npm start could never ask the backend's ${HEALTH_PATH}`,
    "s3-port": "no browser could load the files under FILES_BASE_URL",
} as const;

/**
 * Why `port` cannot be given to `option` (a Fetch bad port, see FETCH_BAD_PORTS), suggesting the
 * next port above it that is not one and not in `taken`; undefined when it can.
 */
export function fetchPortProblem(option: keyof typeof FETCH_PORT_USES, port: number, taken: readonly number[] = []): string | undefined {
    if (!FETCH_BAD_PORTS.has(port)) return undefined;
    let next = port + 1;
    while (FETCH_BAD_PORTS.has(next) || taken.includes(next)) next++;
    return (
        `--${option} ${port} is one of the ports Node's fetch and browsers refuse to connect to (the Fetch standard's bad ports, ` +
        `https://fetch.spec.whatwg.org/#port-blocking), so ${FETCH_PORT_USES[option]}: give it another, e.g. --${option} ${next}`
    );
}
/** How long a stop waits for the stand-ins to close their connections before exiting anyway. */
const STOP_TIMEOUT_MS = 3000;

export interface Ports {
    readonly dynamodb: number;
    readonly s3: number;
    readonly redis: number;
    /** Where `--backend` listens (PORT). @default 8000 */
    readonly backend?: number;
}

export interface LocalEnvironment {
    /** Outputs with the names and shape of the development stack's outputs. */
    readonly outputs: LocalOutputs;
    /** What a backend needs: the deployed stack's variables plus the local endpoints. */
    readonly env: Record<string, string>;
    readonly health: readonly CheckResult[];
    readonly s3: S3StandIn;
    /** Clients of the stand-ins, and the reader of the local stack's one secret. */
    readonly clients: HealthClients;
    /** Its parts by name ("the backend", "DynamoDB", "Redis", "S3"), in stop order: those that run, and those whose process has exited. */
    status(): { running: string[]; exited: string[] };
    stop(): Promise<void>;
}

export function createTableInput(spec: TableSpec, name: string) {
    return {
        TableName: name,
        BillingMode: BILLING_MODE,
        AttributeDefinitions: keyAttributes(spec).map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
        KeySchema: keySchema(spec),
        GlobalSecondaryIndexes:
            spec.indexes.length === 0
                ? undefined
                : spec.indexes.map((index) => ({ IndexName: index.name, KeySchema: keySchema(index), Projection: { ProjectionType: index.projection } })),
    };
}

/** The outputs of the stack the local environment stands in for (no API or network; the files bucket stands in for the CDN). */
export type LocalOutputs = Pick<
    OutputValues,
    | "environment"
    | "region"
    | "demoData"
    | TableOutputName
    | "filesBucketName"
    | "thumbnailsBucketName"
    | "filesBaseUrl"
    | "redisPrimaryEndpoint"
    | "redisPort"
    | "redisUrl"
    | "redisTls"
    | "redisAuthTokenSecretArn"
> &
    // With --backend: the backend stands in for the API, so `health --local` checks its /health.
    Partial<Pick<OutputValues, "apiUrl" | "backendRequired">>;

/** The local stand-in for the ARN of the stack's Redis AUTH token secret. */
export function localRedisSecretArn(region: string): string {
    return `arn:aws:secretsmanager:${region}:${LOCAL_ACCOUNT_ID}:secret:${physicalName("redis-auth-token", ENVIRONMENT)}-local`;
}

const FILES_BUCKET = physicalName("files", ENVIRONMENT, LOCAL_ACCOUNT_ID);
const THUMBNAILS_BUCKET = physicalName("thumbnails", ENVIRONMENT, LOCAL_ACCOUNT_ID);

function localOutputs(region: string, demoData: boolean, redisPort: number, s3Endpoint: string): LocalOutputs {
    return {
        environment: ENVIRONMENT,
        region,
        demoData,
        ...tableOutputs((spec) => tableName(spec, ENVIRONMENT)),
        filesBucketName: FILES_BUCKET,
        thumbnailsBucketName: THUMBNAILS_BUCKET,
        // The CDN's stand-in: the files bucket, path-style (a key appended after a slash).
        filesBaseUrl: `${s3Endpoint}/${FILES_BUCKET}`,
        redisPrimaryEndpoint: "127.0.0.1",
        redisPort,
        // No TLS locally; AUTH as deployed.
        redisUrl: `redis://127.0.0.1:${redisPort}`,
        redisAuthTokenSecretArn: localRedisSecretArn(region),
        redisTls: false,
    };
}

/** Runs `work`, printing its name and duration. */
async function step<T>(log: (line: string) => void, name: string, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    log(`… ${name}`);
    const result = await work();
    log(`✓ ${name} (${Date.now() - started} ms)`);
    return result;
}

/**
 * What the files bucket's notification does in AWS: an object created under uploads/ ending .jpg
 * invokes the thumbnail function. s3rver emits its records with raw keys; S3 URL-encodes them.
 */
function triggerThumbnails(s3: S3StandIn, filesBucket: string, handle: (event: S3Event) => Promise<unknown>, log: (line: string) => void): void {
    s3.events.on("event", (event: S3Event) => {
        const created = event.Records.filter((r) => r.eventName.startsWith("ObjectCreated:") && r.s3.bucket.name === filesBucket);
        const records = created.filter((r) => isThumbnailUpload(r.s3.object.key));
        for (const r of created.filter((r) => !records.includes(r))) {
            log(`upload ${r.s3.object.key}: outside the thumbnail trigger (keys under ${UPLOADS_PREFIX} ending ${UPLOAD_SUFFIX}, case-sensitive as S3's filter is); no thumbnail`);
        }
        if (records.length === 0) return;
        const encoded = records.map((r) => ({ ...r, s3: { ...r.s3, object: { ...r.s3.object, key: encodeEventKey(r.s3.object.key) } } }));
        handle({ Records: encoded }).catch((error: Error) => log(`thumbnail failed: ${error.message}`));
    });
}

/** Whether the files bucket's notification invokes the thumbnail function for this key (S3 filters are case-sensitive). */
export function isThumbnailUpload(key: string): boolean {
    return key.startsWith(UPLOADS_PREFIX) && key.endsWith(UPLOAD_SUFFIX);
}

export interface StartOptions {
    /** Called with each stand-in's name ("DynamoDB", "Redis", "S3") once it runs. */
    readonly onStarted?: (name: string) => void;
    /** Called with redis-server's pid as soon as it runs, so a later start can clear it if this one is killed. */
    readonly onRedisStarted?: (pid: number) => void;
    /** Whether the caller is stopping what has started so far (a stop before this returned): redis-server's exit is then no crash. */
    readonly stopping?: () => boolean;
    /** A backend developer's server, run by the shell with the backend's environment and PORT. */
    readonly backend?: string;
    /** Called with the backend command's process group id as soon as it runs. */
    readonly onBackendStarted?: (pgid: number) => void;
    /** Where S3's objects go, emptied first; default: a new folder under the system's temporary folder. */
    readonly s3Directory?: string;
}

/** `directory` emptied (a killed start's objects gone), or undefined for none. */
function emptied(directory: string | undefined): string | undefined {
    if (directory !== undefined) fs.rmSync(directory, { recursive: true, force: true });
    return directory;
}

/**
 * How a process ended: "exited with code 1", or "was killed by SIGKILL" (also when a shell reports
 * its command's signal as exit code 128 + the signal's number, as shells do).
 */
export function howEnded(code: number | null, signal: NodeJS.Signals | null): string {
    const number = code !== null && code > 128 ? code - 128 : undefined;
    const bySignal = signal ?? Object.entries(os.constants.signals).find(([, n]) => n === number)?.[0];
    return bySignal !== undefined ? `was killed by ${bySignal}` : `exited with code ${code}`;
}

/**
 * Runs `command` through the shell with `env` and PORT, and resolves once GET /health answers 2xx.
 * Rejects, naming the command, when it exits first or stays unhealthy for `startTimeoutMs` (default
 * BACKEND_START_TIMEOUT_MS), with the last answer it got (status and body, or the connection's
 * error); every `progressMs` (default BACKEND_PROGRESS_MS) of the wait logs that answer.
 * Once healthy, an exit (a crash) is logged at once on one line, with its code or signal and what
 * keeps running (`othersRunning`, default the three stand-ins); the stand-ins are left running, so
 * the developer can restart the backend with .env.local's variables.
 * The command runs in a process group of its own, in the background of a shell (BACKEND_SHELL)
 * that this process's death signals, even by SIGKILL (setpriv's parent-death signal, which reaches
 * only that shell): the shell then sends SIGTERM to the whole group, as stop() does. stop() gives
 * the group `stopTimeoutMs` (default BACKEND_STOP_TIMEOUT_MS) after SIGTERM, then SIGKILL.
 * `onStarted` gets the group's id as soon as the command runs. The command's environment is
 * `env`, PORT, and START_PID_VARIABLE (this process's pid), by which a later start knows the
 * group for this start's if this one is killed.
 */
export async function startBackend(
    command: string,
    port: number,
    env: Record<string, string>,
    log: (line: string) => void,
    {
        onStarted,
        stopTimeoutMs = BACKEND_STOP_TIMEOUT_MS,
        startTimeoutMs = BACKEND_START_TIMEOUT_MS,
        progressMs = BACKEND_PROGRESS_MS,
        othersRunning = () => ["DynamoDB", "S3", "Redis"],
    }: { onStarted?: (pgid: number) => void; stopTimeoutMs?: number; startTimeoutMs?: number; progressMs?: number; othersRunning?: () => readonly string[] } = {},
): Promise<StandIn> {
    const badPort = fetchPortProblem("backend-port", port);
    if (badPort !== undefined) throw new Error(badPort);
    // Whatever already answers there would pass the /health wait for a command that then fails to bind.
    if (await answers(port)) throw new Error(`port ${port} is already in use by another process: stop it, or give the backend another port with --backend-port`);
    const child: ChildProcess = spawn(...diesWithParent("/bin/sh", ["-c", BACKEND_SHELL(command)], "SIGHUP"), {
        detached: true,
        env: { ...process.env, [START_PID_VARIABLE]: String(process.pid), ...env, PORT: String(port) },
        stdio: ["ignore", "pipe", "pipe"],
    });
    if (child.pid !== undefined) onStarted?.(child.pid);
    let printed = false;
    /** Where a start that failed on the backend looks next. */
    const nextStep = () => (printed ? "see the `backend |` lines above for what it printed" : "it printed nothing: run it by hand with the same PORT to see why");
    const prefix = (chunk: Buffer) => {
        printed = true;
        chunk.toString().trimEnd().split("\n").forEach((line) => log(`backend | ${line}`));
    };
    child.stdout?.on("data", prefix);
    child.stderr?.on("data", prefix);
    let state: "starting" | "healthy" | "stopping" | "exited" = "starting";
    const exited = once(child, "exit").then(([code, signal]) => {
        const how = `backend command "${command}" ${howEnded(code as number | null, signal as NodeJS.Signals | null)}`;
        const was = state;
        state = "exited";
        if (was === "starting") throw new Error(`${how} before answering ${HEALTH_PATH} on port ${port}; ${nextStep()}`);
        if (was === "healthy") {
            log(`${how} after it was healthy on port ${port}; ${keepRunning(othersRunning())}: restart it with the variables of ${shown(ENV_FILE)} and PORT=${port}, or stop everything with Ctrl-C`);
        }
    });
    exited.catch(() => undefined);
    const stop = async () => {
        if (state !== "exited") state = "stopping";
        // The whole group: what the command started too, even after the command itself ended.
        await terminate(-child.pid!, () => groupRunning(child.pid!), stopTimeoutMs);
    };
    const origin = `http://127.0.0.1:${port}`;
    const url = `${origin}${HEALTH_PATH}`;
    const began = Date.now();
    // Ends the polling when the backend exits first: it would otherwise poll on until the deadline.
    const settled = new AbortController();
    const healthy = (async () => {
        let last = "no answer yet";
        let reported = began;
        while (!settled.signal.aborted) {
            try {
                // The health check's own request: its error names the status and body, or the connection's error.
                await checkApiHealth(origin, { backendRequired: false }, 2000);
                return;
            } catch (error) {
                // What the backend answered, on one line: a body may hold line breaks or terminal escapes.
                last = oneLine((error as Error).message.replace(url, "").replace(/^:? */, ""), 300);
            }
            const waited = Date.now() - began;
            if (waited > startTimeoutMs) {
                throw new Error(`backend command "${command}" did not answer ${url} with 2xx within ${startTimeoutMs / 1000} s; last: ${last}; ${nextStep()}`);
            }
            if (Date.now() - reported >= progressMs && !settled.signal.aborted) {
                reported = Date.now();
                log(`… backend: no 2xx from ${url} after ${Math.round(waited / 1000)} s of ${startTimeoutMs / 1000} s; last: ${last}`);
            }
            await new Promise((resolve) => setTimeout(resolve, BACKEND_POLL_MS));
        }
    })();
    try {
        await Promise.race([healthy, exited]);
        state = "healthy";
    } catch (error) {
        await stop();
        throw error;
    } finally {
        settled.abort();
    }
    return { name: "the backend", running: () => state !== "exited", endpoint: origin, port, pid: child.pid, stop };
}

/** Starts the stand-ins, tables, seed and health check, and the backend if given. On any failure, stops what it started. */
export async function startLocal(ports: Ports, log: (line: string) => void = () => undefined, options: StartOptions = {}): Promise<LocalEnvironment> {
    const { region, thumbnailMaxDimension, demoData } = validateConfig(rawConfig(ENVIRONMENT));
    const started: StandIn[] = [];
    let backend: StandIn | undefined;
    const status = () => {
        const parts = [...(backend !== undefined ? [backend] : []), ...started];
        return { running: parts.filter((s) => s.running()).map((s) => s.name), exited: parts.filter((s) => !s.running()).map((s) => s.name) };
    };
    let stopping = false;
    const stop = async () => {
        stopping = true;
        // The backend first: it must not see its stand-ins vanish under it.
        await backend?.stop();
        backend = undefined;
        const parts = started.splice(0);
        // redis-server is waited for (its stop is bounded); the in-process stand-ins are given STOP_TIMEOUT_MS to
        // close their connections: a client holding a keep-alive connection must not keep the stop waiting.
        const children = Promise.all(parts.filter((s) => s.pid !== undefined).map((s) => s.stop()));
        let timer: NodeJS.Timeout | undefined;
        const closed = await Promise.race([
            Promise.all(parts.filter((s) => s.pid === undefined).map((s) => s.stop())).then(() => true),
            new Promise<boolean>((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS, false))),
        ]);
        clearTimeout(timer);
        if (!closed) log(`Stand-ins still closing connections after ${STOP_TIMEOUT_MS} ms; exiting takes them down.`);
        await children;
    };
    const record = (standIn: StandIn) => {
        started.push(standIn);
        options.onStarted?.(standIn.name);
    };
    const backendPort = ports.backend ?? DEFAULT_PORTS.backend;
    try {
        const dynamodb = await step(log, `DynamoDB (dynalite) on ${ports.dynamodb || "a free port"}`, () => startDynamoDb(ports.dynamodb));
        record(dynamodb);
        // A fresh password per start: a backend that forgets AUTH fails here, not in staging.
        const redisPassword = randomBytes(32).toString("hex");
        const secretVariables = { REDIS_AUTH_TOKEN: redisPassword };
        const redis = await step(log, `Redis (redis-server, AUTH required) on ${ports.redis || "a free port"}`, () =>
            startRedis(
                ports.redis,
                redisPassword,
                (code, signal) => {
                    // Once a stop has begun (the backend first), its exit is the stop's.
                    if (stopping || options.stopping?.() === true) return;
                    log(
                        `redis-server (pid ${redis.pid}, port ${redis.port}) ${howEnded(code, signal)}; ${keepRunning(status().running)} without it: ` +
                            `stop everything with Ctrl-C and run npm start again to get Redis back`,
                    );
                },
                options.onRedisStarted,
            ),
        );
        record(redis);
        const [filesBucket, thumbnailsBucket] = [FILES_BUCKET, THUMBNAILS_BUCKET];
        const s3 = await step(log, `S3 (s3rver) on ${ports.s3 || "a free port"} with ${filesBucket}, ${thumbnailsBucket}`, () =>
            startS3(ports.s3, [filesBucket, thumbnailsBucket], emptied(options.s3Directory)),
        );
        record(s3);
        const outputs = localOutputs(region, demoData, redis.port, s3.endpoint);

        // s3rver accepts its own well-known key; dynalite accepts any.
        const credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
        const clients: HealthClients = {
            dynamodb: dynamoDbClient({ region, endpoint: dynamodb.endpoint, credentials }),
            s3: s3Client({ region, endpoint: s3.endpoint, forcePathStyle: true, credentials }),
            // The stack's secrets, by ARN, from the variables the backend gets (a deployed one, from Secrets Manager).
            secrets: secretsFromEnvironment(outputs, secretVariables),
        };
        const handle = createHandler({
            s3: clients.s3,
            thumbnailsBucket,
            maxDimension: thumbnailMaxDimension,
            log: (entry) => log(`thumbnail ${entry.level}: ${entry.key}${entry.thumbnailKey ? ` -> ${entry.thumbnailKey}` : ""}${entry.reason ? ` (${entry.reason})` : ""}`),
        });
        triggerThumbnails(s3, filesBucket, handle, log);

        await step(log, `${TABLES.length} tables from the table specs`, async () => {
            for (const spec of TABLES) await clients.dynamodb.send(new CreateTableCommand(createTableInput(spec, tableName(spec, ENVIRONMENT))));
        });
        await step(log, "seed", () => seed(clients.dynamodb, outputs, seedDataFor(outputs), { log }));
        const health = await step(log, "health check", async () => {
            const results = await checkHealth(outputs, clients, { local: true, backendStarting: options.backend !== undefined });
            log(formatHealth(results));
            return results;
        });
        const failed = health.filter((r) => !r.ok);
        if (failed.length > 0) throw new Error(`health check failed: ${failed.map((r) => r.check).join(", ")}`);

        const env = {
            ...backendEnvironment(outputs),
            // What a deployed backend's task gets from the secret (backendSecrets), given directly.
            ...secretVariables,
            AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
            AWS_ENDPOINT_URL_S3: s3.endpoint,
            S3_FORCE_PATH_STYLE: "true",
            AWS_ACCESS_KEY_ID: credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
            // Empty, so that a profile the developer's shell exports does not win over the stand-ins' key: the
            // AWS SDK uses AWS_PROFILE, when it is set, before AWS_ACCESS_KEY_ID (credential-provider-node's
            // defaultProvider), and takes an empty one for unset.
            AWS_PROFILE: "",
        };
        let checked = health;
        if (options.backend !== undefined) {
            const command = options.backend;
            await step(log, `backend "${command}" on ${backendPort}, healthy at ${HEALTH_PATH}`, async () => {
                backend = await startBackend(command, backendPort, env, log, { onStarted: options.onBackendStarted, othersRunning: () => status().running });
                // The check the health check left until now, as `health --local` runs it: the backend stands in for the API.
                const api: CheckResult = { check: "api /health", ok: true, detail: await checkApiHealth(backend.endpoint, { backendRequired: true }) };
                log(formatHealth([api]));
                checked = health.map((r) => (r.check === api.check ? api : r));
            });
        }
        const withBackend: LocalOutputs = backend === undefined ? outputs : { ...outputs, apiUrl: backend.endpoint, backendRequired: true };
        return { outputs: withBackend, env, health: checked, s3, clients, status, stop };
    } catch (error) {
        await stop();
        throw error;
    }
}

/**
 * Sends SIGTERM to `target` (a pid, or -pgid for a process group) and, if `running` still holds
 * after `timeoutMs`, SIGKILL; resolves once `running` no longer holds (at most 1 s after SIGKILL).
 */
async function terminate(target: number, running: () => boolean, timeoutMs = 5000): Promise<void> {
    const signal = (name: NodeJS.Signals) => {
        try {
            process.kill(target, name);
        } catch {
            // already gone
        }
    };
    const gone = async (ms: number) => {
        for (let waited = 0; running() && waited < ms; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    signal("SIGTERM");
    await gone(timeoutMs);
    if (!running()) return;
    signal("SIGKILL");
    await gone(1000);
}

/** "DynamoDB and S3 keep running", "S3 keeps running". */
const keepRunning = (names: readonly string[]) => `${listed(names)} ${names.length === 1 ? "keeps" : "keep"} running`;

/** The last line of a stop: what it stopped, what had exited before, and the files it removed (none: not named). */
export function stoppedLine(stopped: readonly string[], exited: readonly string[] = [], removed: readonly string[] = []): string {
    const before = exited.length > 0 ? ` (${listed(exited)} had already exited)` : "";
    const files = removed.length > 0 ? `; removed ${listed(removed.map(shown))}` : "";
    return `Stopped ${stopped.length > 0 ? listed(stopped) : "nothing"}${before}${files}.`;
}

/** Removes the files that describe a running environment (gone once it stops), but a .env.local npm start did not write (logged); returns those it removed. */
function removeEnvironmentFiles(log: (line: string) => void): string[] {
    return [ENV_FILE, OUTPUTS_FILE].filter((file) => {
        try {
            // A .env.local someone put in place of ours while it ran is theirs: kept.
            if (file === ENV_FILE && envFileIsOurs(file) === false) {
                log(`Kept ${shown(file)}: npm start did not write what it holds now`);
                return false;
            }
            fs.rmSync(file);
            return true;
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
            throw error;
        }
    });
}

/**
 * One local environment at a time: a second `npm start` says where the first one is. A start that
 * was killed (kill -9, a crash) left its lock; its redis-server and its backend's process group,
 * recorded there, are stopped now if they are still that start's (the redis-server on its port; a
 * group whose members carry the start's pid in START_PID_VARIABLE, its shell gone or not).
 * `onClaimed` is called as soon as the lock is this start's, before those are cleared.
 */
async function acquireLock(lock: Lock, log: (line: string) => void, onClaimed: () => void): Promise<void> {
    const { holder, stale } = claimLock(lock);
    if (holder === undefined) onClaimed();
    if (stale !== undefined) await clearLeftovers(stale, log, holder === undefined);
    if (holder !== undefined) {
        throw new Error(
            `The local environment is already running (pid ${holder.pid}, DynamoDB ${holder.ports.dynamodb}, S3 ${holder.ports.s3}, ` +
                `Redis ${holder.ports.redis}); its variables are in ${shown(ENV_FILE)}. Stop it with Ctrl-C in its terminal, or kill ${holder.pid}.`,
        );
    }
}

/**
 * Stops the backend and redis-server a start that did not stop cleanly recorded in its lock, and
 * removes its files, unless `removeFiles` is false: a start that took the dead lock away but lost
 * the new one to another start leaves the files, which are the winner's by then.
 */
async function clearLeftovers(held: Lock, log: (line: string) => void, removeFiles: boolean): Promise<void> {
    const leftBy = `left running by an earlier npm start (pid ${held.pid}) that did not stop cleanly`;
    const backend = held.backend;
    if (backend !== undefined && groupStartedBy(backend.pgid, held.pid)) {
        await terminate(-backend.pgid, () => groupRunning(backend.pgid));
        log(`Stopped the backend "${backend.command}" (process group ${backend.pgid}, port ${held.ports.backend}) ${leftBy}`);
    }
    const redisPid = held.redisPid;
    if (redisPid !== undefined && isRunning(redisPid) && isRedisOnPort(redisPid, held.ports.redis)) {
        // A zombie (killed, never reaped) no longer runs redis-server: its command line is empty.
        await terminate(redisPid, () => isRedisOnPort(redisPid, held.ports.redis));
        log(`Stopped redis-server (pid ${redisPid}, port ${held.ports.redis}) ${leftBy}`);
    }
    if (removeFiles) removeEnvironmentFiles(log);
}

export const START_COMMAND: CommandSpec = {
    name: "npm start",
    synopsis: "[options]",
    summary:
        "Runs the development environment on local stand-ins (DynamoDB: dynalite, S3: s3rver, Redis: redis-server), seeded and " +
        "health-checked, and writes the backend's variables to .env.local; with --backend, runs the backend too. Ctrl-C stops everything.",
    options: {
        backend: {
            type: "string",
            value: '"<command>"',
            description: "run this backend server (through the shell) with the variables of .env.local and PORT, and wait for its /health",
        },
        "backend-port": { type: "string", value: "<port>", description: `the backend's PORT, with --backend (default ${DEFAULT_PORTS.backend})` },
        "dynamodb-port": { type: "string", value: "<port>", description: `DynamoDB's port (default ${DEFAULT_PORTS.dynamodb})` },
        "s3-port": { type: "string", value: "<port>", description: `S3's port (default ${DEFAULT_PORTS.s3})` },
        "redis-port": { type: "string", value: "<port>", description: `Redis's port (default ${DEFAULT_PORTS.redis})` },
    },
};

/** The ports and backend command of `npm start`'s arguments, or undefined once `--help` has printed the usage. */
function parseCommandLine(argv: readonly string[]): { ports: Ports; backend?: string } | undefined {
    const line = readCommandLine(START_COMMAND, argv);
    if (line === undefined) return undefined;
    const values = line.values as Partial<Record<keyof typeof START_COMMAND.options, string>>;
    const port = (flag: `${keyof typeof DEFAULT_PORTS}-port`, fallback: number) => {
        const raw = values[flag];
        const value = raw === undefined ? fallback : decimal(raw);
        if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`--${flag} must be a port from 1 to 65535; got ${raw}`);
        return value;
    };
    if (values.backend === undefined && values["backend-port"] !== undefined) {
        throw new Error(`--backend-port ${values["backend-port"]} does nothing without --backend: give the backend's command with --backend "<command>", or leave --backend-port out`);
    }
    if (values.backend !== undefined && values.backend.trim() === "") throw new Error('--backend needs the command that starts the backend, e.g. --backend "npm run dev"');
    const ports = {
        dynamodb: port("dynamodb-port", DEFAULT_PORTS.dynamodb),
        s3: port("s3-port", DEFAULT_PORTS.s3),
        redis: port("redis-port", DEFAULT_PORTS.redis),
        backend: port("backend-port", DEFAULT_PORTS.backend),
    };
    const badPort =
        fetchPortProblem("s3-port", ports.s3, [ports.dynamodb, ports.redis, ports.backend]) ??
        (values.backend !== undefined ? fetchPortProblem("backend-port", ports.backend, [ports.dynamodb, ports.s3, ports.redis]) : undefined);
    if (badPort !== undefined) throw new Error(badPort);
    // One port per process that listens (the backend's only where --backend runs one).
    const listeners = Object.entries(ports).filter(([name]) => name !== "backend" || values.backend !== undefined);
    const chosen = listeners.map(([, p]) => p);
    const twice = chosen.findIndex((p, i) => chosen.indexOf(p) !== i);
    if (twice !== -1) {
        const flag = (i: number) => `--${listeners[i][0]}-port`;
        throw new Error(`${flag(twice)} ${chosen[twice]} is also ${flag(chosen.indexOf(chosen[twice]))}; give each a port of its own`);
    }
    return { ports, backend: values.backend };
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
    const commandLine = parseCommandLine(argv);
    if (commandLine === undefined) return;
    const { ports, backend } = commandLine;
    const log = (line: string) => console.log(line);
    process.stdout.on("error", () => undefined); // a closed pipe (| head) must not cut the clean-up short
    const notice = quietNodeVersionNotice();
    if (notice !== undefined) log(notice);
    let lock: Lock = { pid: process.pid, ports };
    /** Whether the lock is this start's: only then are the lock, .env.local and the outputs its to remove. */
    let locked = false;
    let local: LocalEnvironment | undefined;
    /** The stand-ins started so far, by name, in stop order. */
    const standIns: string[] = [];
    let redisPid: number | undefined;
    let backendPgid: number | undefined;

    let stopping = false;
    const shutdown = async (why: string) => {
        if (stopping) return; // a second Ctrl-C must not cut the clean-up short
        stopping = true;
        log(`\nStopping (${why})…`);
        let stopped: string[];
        let exited: string[] = [];
        if (local !== undefined) {
            ({ running: stopped, exited } = local.status());
            await local.stop();
        } else {
            // Stopped mid-start: what has started is stopped as stop() would (SIGKILL for a backend that ignores SIGTERM).
            const pgid = backendPgid;
            if (pgid !== undefined && groupRunning(pgid)) await terminate(-pgid, () => groupRunning(pgid), BACKEND_STOP_TIMEOUT_MS);
            const pid = redisPid;
            if (pid !== undefined) await terminate(pid, () => isRunning(pid), REDIS_STOP_TIMEOUT_MS);
            // DynamoDB and S3 run in this process: exiting ends them. redis-server, from the moment it runs.
            const parts = ["DynamoDB", "Redis", "S3"].filter((name) => standIns.includes(name) || (name === "Redis" && pid !== undefined));
            stopped = [...(pgid !== undefined ? ["the backend"] : []), ...parts];
        }
        const removed = locked ? removeEnvironmentFiles(log) : [];
        if (locked) {
            // S3's objects (a stop mid-start: S3 did not remove them itself).
            fs.rmSync(S3_DIR, { recursive: true, force: true });
            releaseLock();
        }
        log(stoppedLine(stopped, exited, removed));
        process.exit(0);
    };
    // Before the lock: clearing a killed start's leftovers removes .env.local, which must be ours.
    prepareStateFiles();
    // Before the lock: a stop while it claims the lock or clears a killed start's leftovers is a stop too.
    takeStopSignals((signal) => void shutdown(signal));
    await acquireLock(lock, log, () => (locked = true));
    const started = Date.now();
    // Whatever started us (npm, a terminal) died without a signal reaching us: we are reparented.
    const parent = process.ppid;
    setInterval(() => {
        if (process.ppid !== parent) void shutdown(`parent process ${parent} is gone`);
    }, 250).unref();

    try {
        local = await startLocal(ports, log, {
            onRedisStarted: (pid) => {
                redisPid = pid;
                writeLock((lock = { ...lock, redisPid: pid }));
            },
            backend,
            onBackendStarted: (pgid) => {
                backendPgid = pgid;
                writeLock((lock = { ...lock, backend: { pgid, command: backend! } }));
            },
            // Under the lock: no other start uses it.
            s3Directory: S3_DIR,
            onStarted: (name) => standIns.push(name),
            stopping: () => stopping,
        });
    } catch (error) {
        // A stop under way ends the process once it has stopped what runs (a stand-in it stopped may have failed the start).
        if (stopping) await new Promise(() => undefined);
        releaseLock();
        throw error;
    }
    if (stopping) return;
    const dotenv = Object.entries(local.env).map(([k, v]) => `${k}=${v}`).join("\n");
    writePrivateFile(ENV_FILE, `${ENV_FILE_MARK}\n${dotenv}\n`);
    writePrivateFile(OUTPUTS_FILE, `${JSON.stringify(local.outputs, null, 2)}\n`);
    // From now on, `--local` commands read the files.
    writeLock({ ...lock, ready: true });
    log(`\nHealthy in ${Date.now() - started} ms. Backend environment (also in ${shown(ENV_FILE)}):\n\n${dotenv}\n`);
    log(`Stack outputs in ${shown(OUTPUTS_FILE)}: \`npm run seed -- --local\` and \`npm run health -- --local\` use them.`);
    if (backend !== undefined) log(`Backend "${backend}" healthy on http://127.0.0.1:${ports.backend}${HEALTH_PATH}`);
    log(`Running; Ctrl-C stops ${backend !== undefined ? "the backend and " : ""}every stand-in.`);
}

if (require.main === module) runMain("npm start", main);

/**
 * Real local stand-ins for the AWS services of the development stack: dynalite (DynamoDB, in
 * process), s3rver (S3, in process) and Debian's redis-server (a child process).
 * Each starts on a given port (0 picks a free one) and returns its endpoint and a stop function.
 * The in-process ones end with this process; redis-server is made to (see `diesWithParent`).
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { once } from "events";

export interface StandIn {
    /** What messages call it: "DynamoDB", "S3", "Redis", "the backend". */
    readonly name: string;
    readonly endpoint: string;
    readonly port: number;
    /** The child process, for a stand-in that runs as one. */
    readonly pid?: number;
    /** Whether it still runs: false once its process has exited (an in-process stand-in runs until stopped). */
    running(): boolean;
    stop(): Promise<void>;
}

export const REDIS_INSTALL = "sudo apt-get install -y redis-server";
/** How long redis-server may take to exit after SIGTERM before it gets SIGKILL. */
export const REDIS_STOP_TIMEOUT_MS = 2000;

/** Fails with a clear message when a port is taken, instead of an obscure EADDRINUSE later. */
async function listen(server: net.Server, port: number, what: string, flag: string): Promise<number> {
    server.listen(port, "127.0.0.1");
    try {
        await once(server, "listening");
    } catch (error) {
        const e = error as NodeJS.ErrnoException;
        if (e.code === "EADDRINUSE") throw new Error(`${what}: port ${port} is in use; choose another with ${flag} <port>`);
        throw e;
    }
    return (server.address() as net.AddressInfo).port;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function answers(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => {
            socket.destroy();
            resolve(true);
        });
        socket.on("error", () => resolve(false));
    });
}

export async function freePort(): Promise<number> {
    const server = net.createServer();
    const port = await listen(server, 0, "free port", "");
    await new Promise((resolve) => server.close(resolve));
    return port;
}

/**
 * Closes an HTTP server and every connection it holds: a client's idle keep-alive connection (a
 * running backend's SDK client) would otherwise keep `close` waiting until the client lets go.
 */
function closeServer(server: http.Server): Promise<void> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    return closed;
}

export async function startDynamoDb(port: number): Promise<StandIn> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dynalite = require("dynalite") as (options: object) => net.Server;
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const bound = await listen(server, port, "DynamoDB (dynalite)", "--dynamodb-port");
    return {
        name: "DynamoDB",
        running: () => server.listening,
        endpoint: `http://127.0.0.1:${bound}`,
        port: bound,
        stop: () => closeServer(server as http.Server),
    };
}

export interface S3StandIn extends StandIn {
    /** s3rver's emitter: `event` carries S3 notification records for every object written. */
    readonly events: NodeJS.EventEmitter;
}

/**
 * s3rver on `port` (0: a free one) with `buckets`, its objects in `directory` (default: a new folder
 * under the system's temporary folder), which `stop()` removes.
 */
export async function startS3(port: number, buckets: readonly string[], directory?: string): Promise<S3StandIn> {
    if (port !== 0) {
        // s3rver reports a busy port poorly; probe it first.
        const probe = net.createServer();
        await listen(probe, port, "S3 (s3rver)", "--s3-port");
        await new Promise((resolve) => probe.close(resolve));
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const S3rver = require("s3rver");
    const folder = directory ?? fs.mkdtempSync(path.join(os.tmpdir(), "slack-clone-s3-"));
    fs.mkdirSync(folder, { recursive: true });
    const server = new S3rver({
        port,
        address: "127.0.0.1",
        silent: true,
        directory: folder,
        allowMismatchedSignatures: true,
        configureBuckets: buckets.map((name) => ({ name, configs: [] })),
    });
    const { port: bound } = (await server.run()) as { port: number };
    return {
        name: "S3",
        running: () => (server.httpServer as http.Server).listening,
        endpoint: `http://127.0.0.1:${bound}`,
        port: bound,
        events: server,
        stop: async () => {
            await closeServer(server.httpServer as http.Server);
            fs.rmSync(folder, { recursive: true, force: true });
        },
    };
}

/**
 * util-linux's setpriv (in every Debian) sets the parent-death signal and execs the command: the
 * child gets SIGTERM when this process dies, even by SIGKILL (prctl PR_SET_PDEATHSIG, setpriv(1)).
 */
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((file) => fs.existsSync(file));

/** `command args` that gets `signal` when this process dies, where setpriv is available. */
export function diesWithParent(command: string, args: string[], signal: NodeJS.Signals = "SIGTERM"): [string, string[]] {
    return SETPRIV === undefined ? [command, args] : [SETPRIV, ["--pdeathsig", signal, command, ...args]];
}

/**
 * redis-server on `port`, requiring `password` (AUTH), as ElastiCache requires its AUTH token. The
 * password is passed as a config line on stdin (`-`), not as an argument other users could read
 * from the process list. `onExit` gets the code and signal of an exit that `stop()` did not cause
 * (a crash, a kill), once it was ready; `onSpawned` gets its pid as soon as it runs. It runs in a
 * process group of its own, and gets SIGTERM when this process dies (diesWithParent). `stop()` gives
 * it REDIS_STOP_TIMEOUT_MS after SIGTERM, then SIGKILL, and resolves once it has exited.
 */
export async function startRedis(
    port: number,
    password: string,
    onExit?: (code: number | null, signal: NodeJS.Signals | null) => void,
    onSpawned?: (pid: number) => void,
): Promise<StandIn> {
    const bound = port === 0 ? await freePort() : port;
    const child: ChildProcess = spawn(
        ...diesWithParent("redis-server", ["-", "--port", String(bound), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]),
        // A process group of its own: a terminal's Ctrl-C (SIGINT to the whole foreground group) reaches
        // this process, whose stop ends it, not redis-server, whose exit would pass for a crash.
        { stdio: ["pipe", "pipe", "pipe"], detached: true },
    );
    if (child.pid !== undefined) onSpawned?.(child.pid);
    // Listened for from the start: an exit before stop() asked is no longer observable once it happened.
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    exited.catch(() => undefined);
    // A redis-server that exits at once (not installed, port taken) closes stdin first: its exit says why, not EPIPE.
    child.stdin?.on("error", () => undefined).end(`requirepass "${password}"\n`);
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const notInstalled = new Error(`redis-server is not installed. Install it with: ${REDIS_INSTALL}`);
    await new Promise<void>((resolve, reject) => {
        child.once("error", (error: NodeJS.ErrnoException) => reject(error.code === "ENOENT" ? notInstalled : error));
        void exited.then(([code]) =>
            reject(
                // setpriv reports a missing command on stderr and exits 127.
                code === 127 && /No such file/.test(output)
                    ? notInstalled
                    : new Error(`redis-server exited (${code}) on port ${bound}: ${output.trim().split("\n").pop()}; choose another port with --redis-port <port>`),
            ),
            () => undefined, // an "error" event instead: rejected above
        );
        child.stdout?.on("data", () => {
            if (output.includes("Ready to accept connections")) resolve();
        });
    });
    let stopping = false;
    void exited.then(([code, signal]) => {
        if (!stopping) onExit?.(code, signal);
    }, () => undefined);
    return {
        name: "Redis",
        running: () => child.exitCode === null && child.signalCode === null,
        endpoint: `redis://127.0.0.1:${bound}`,
        port: bound,
        pid: child.pid,
        stop: async () => {
            stopping = true;
            // A killed redis-server has a signalCode and no exitCode: waiting for its exit would wait forever.
            if (child.exitCode !== null || child.signalCode !== null) return;
            child.kill("SIGTERM");
            // Bounded: one that does not exit on SIGTERM gets SIGKILL.
            const timer = setTimeout(() => child.kill("SIGKILL"), REDIS_STOP_TIMEOUT_MS);
            await exited;
            clearTimeout(timer);
        },
    };
}

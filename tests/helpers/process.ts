/** Commands of the README run as processes, for tests of signals, hangs and exit codes. */
import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { TABLES, tableOutputName } from "../../components/tables";

/** A command run as a process, its stdout and stderr collected together. */
export function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    const child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    return {
        child,
        exited,
        output: () => output,
        /** Resolves as soon as `text` has been printed; fails if the process ends first or after `timeoutMs`. */
        until(text: string, timeoutMs = 30000): Promise<void> {
            return new Promise((resolve, reject) => {
                const check = () => {
                    if (output.includes(text)) finish();
                };
                const ended = () => finish(output.includes(text) ? undefined : new Error(`no "${text}" from ${command} ${args.join(" ")}:\n${output}`));
                const timer = setTimeout(() => finish(new Error(`no "${text}" from ${command} ${args.join(" ")} in ${timeoutMs} ms:\n${output}`)), timeoutMs);
                function finish(error?: Error) {
                    clearTimeout(timer);
                    child.stdout.off("data", check);
                    child.stderr.off("data", check);
                    child.off("close", ended);
                    if (error) reject(error);
                    else resolve();
                }
                // After the collectors above, so `output` already holds each chunk.
                child.stdout.on("data", check);
                child.stderr.on("data", check);
                child.once("close", ended);
                // Already closed: its output is complete.
                if (child.stdout.destroyed && child.stderr.destroyed) ended();
                else check();
            });
        },
    };
}

/** spawnSync's result without blocking the test: several commands can run at once. */
export function runToEnd(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"], env });
    const out = { stdout: "", stderr: "" };
    child.stdout.on("data", (chunk: Buffer) => (out.stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out.stderr += chunk.toString()));
    return new Promise((resolve, reject) => child.once("error", reject).once("close", (status) => resolve({ status, ...out })));
}

/** `node --import tsx <script> <args>`, as npm's scripts run them. */
export const tsx = (script: string, ...args: string[]) => [process.execPath, ["--import", "tsx", script, ...args]] as const;

/** A server that accepts every connection and never answers: what made the seed hang for 400 s. */
export async function stalledEndpoint(): Promise<{ endpoint: string; port: number; close(): void }> {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => sockets.push(socket.on("error", () => undefined)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        port,
        close: () => {
            sockets.forEach((s) => s.destroy());
            server.close();
        },
    };
}

/** A stack outputs file for environment `staging` (every table), as `--outputs` reads it. */
export function outputsFile(): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "outputs-")), "outputs.json");
    const outputs = { environment: "staging", region: "us-east-1", demoData: true, ...Object.fromEntries(TABLES.map((t) => [tableOutputName(t), `slack-clone-${t.name}-staging`])) };
    fs.writeFileSync(file, JSON.stringify(outputs));
    return file;
}

/** The environment that points the AWS SDK at `endpoint` with dummy credentials. */
export const endpointEnv = (endpoint: string) => ({ AWS_ENDPOINT_URL_DYNAMODB: endpoint, AWS_ENDPOINT_URL_S3: endpoint, AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "x" });

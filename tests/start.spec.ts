import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { once } from "events";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import sharp from "sharp";
import { TABLES } from "../components/tables";
import { BACKEND_POLL_MS, FETCH_BAD_PORTS, LocalEnvironment, START_COMMAND, fetchPortProblem, main as startMain, startBackend, startLocal } from "../local/start";
import { usage } from "../deploy/command-line";
import { answers, freePort, startRedis, startS3 } from "../local/stand-ins";
import { groupRunning, isRunning } from "../local/state";
import Redis from "ioredis";
import { BACKEND_VARIABLES, SECRET_VARIABLES, backendEnvironment, backendSecrets } from "../deploy/backend-env";
import { byName } from "../harness/mock-engine";
import { localEnvironment, localLog as lines } from "./helpers/local";
import { run, runToEnd, tsx } from "./helpers/process";
import { ENV_FILE, ENV_FILE_MARK, LOCAL_AWS_VARIABLES, LOCK_FILE, OUTPUTS_FILE, S3_DIR, START_PID_VARIABLE, shown } from "../local/state";
import { checkHealth } from "../deploy/health";
import { deployedEvaluation } from "./helpers/stacks";

/** Waits up to `timeoutMs` for a line starting with `prefix` in `lines`. */
async function lineStarting(lines: string[], prefix: string, timeoutMs = 3000): Promise<string | undefined> {
    for (let waited = 0; waited < timeoutMs; waited += 20) {
        const line = lines.find((l) => l.startsWith(prefix));
        if (line !== undefined) return line;
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return undefined;
}

/** The AUTH password of the shared in-process local environment, to compare with a later start's. */
let firstStartPassword: string | undefined;

/** PING as a client with `password` (or none): PONG, or the server's refusal (ioredis reports it as an `error` event). */
async function ping(url: string, password?: string): Promise<string> {
    const redis = new Redis(url, { password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const refusals: string[] = [];
    redis.on("error", (error: Error) => refusals.push(error.message));
    try {
        await redis.connect();
        return await redis.ping();
    } catch (error) {
        return refusals[0] ?? (error as Error).message;
    } finally {
        redis.disconnect();
    }
}

describe("local environment (dynalite, s3rver, redis-server)", function () {
    this.timeout(60000);
    let local: LocalEnvironment;

    before(async () => {
        local = await localEnvironment();
    });

    it("prints each step's tick after its output, and counts in words (1 item, 1 index)", () => {
        const tick = lines.findIndex((l) => l.startsWith("✓ health check"));
        const redisLine = lines.findIndex((l) => /^ok +redis +PING PONG$/m.test(l));
        expect(redisLine, lines.join("\n")).to.be.greaterThan(-1);
        expect(tick, "the tick follows the health table").to.be.greaterThan(redisLine);
        expect(lines[redisLine], "no SNS here: the alarm topic check says it is skipped").to.match(/^skip +alarm topic +skipped: .*the local environment has no SNS/m);
        expect(lines.some((l) => /slack-clone-workspaces-development: 1 item written, 0 items already there and kept \(/.test(l)), lines.join("\n")).to.equal(true);
        expect(lines.join("\n")).to.match(/table users +ACTIVE, 1 index$/m).and.not.match(/\b1 (items|indexes)\b/);
    });

    it("comes up healthy: 12 tables with their indexes, both buckets, Redis", () => {
        expect(local.health.filter((r) => r.check.startsWith("table ")).length).to.equal(12);
        expect(local.health.filter((r) => !r.ok)).to.deep.equal([]);
        expect(local.health.map((r) => r.check)).to.include.members(["bucket filesBucketName", "bucket thumbnailsBucketName", "redis"]);
    });

    it("runs redis-server with a password: a client without it is refused, the backend's REDIS_AUTH_TOKEN is let in", async () => {
        firstStartPassword = local.env.REDIS_AUTH_TOKEN;
        expect(local.env.REDIS_AUTH_TOKEN).to.match(/^[0-9a-f]{64}$/);
        expect(await ping(local.env.REDIS_URL)).to.match(/^NOAUTH /);
        expect(await ping(local.env.REDIS_URL, "wrong-password")).to.match(/^WRONGPASS /);
        expect(await ping(local.env.REDIS_URL, local.env.REDIS_AUTH_TOKEN)).to.equal("PONG");
    });

    it("gives the backend every table name and the local endpoints", () => {
        for (const table of TABLES) expect(local.env[`${table.name.replace(/-/g, "_").toUpperCase()}_TABLE`]).to.equal(`slack-clone-${table.name}-development`);
        expect(local.env.AWS_ENDPOINT_URL_DYNAMODB).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(local.env).to.include({ REDIS_HOST: "127.0.0.1", REDIS_TLS: "false" });
        expect(local.env.REDIS_PORT).to.match(/^\d+$/);
        expect(local.env.FILES_BASE_URL).to.match(/^http:\/\/127\.0\.0\.1:\d+\/slack-clone-files-development-000000000000$/);
    });

    it("gives a local backend exactly the variables the deployed container gets (plus the local endpoints)", async () => {
        const deployed = await deployedEvaluation("development");
        const [container] = JSON.parse(byName(deployed, "aws:ecs/taskDefinition:TaskDefinition", "backend-task").inputs.containerDefinitions);
        // The stand-ins' endpoints and key (what --local commands require of .env.local), and an empty AWS_PROFILE,
        // so that a profile the developer's shell exports does not win over that key.
        const localOnly = [...LOCAL_AWS_VARIABLES, "S3_FORCE_PATH_STYLE", "AWS_PROFILE"];
        for (const name of LOCAL_AWS_VARIABLES) expect(local.env[name], name).to.be.a("string").and.not.equal("");
        expect(local.env.AWS_PROFILE).to.equal("");
        const secretNames = SECRET_VARIABLES.map(([name]) => name);
        const shared = Object.keys(local.env).filter((k) => !localOnly.includes(k) && !secretNames.includes(k));
        expect(container.environment.map((v: { name: string }) => v.name)).to.deep.equal(shared);
        expect(shared).to.deep.equal(BACKEND_VARIABLES.map(([name]) => name));
        expect(Object.keys(backendEnvironment(deployed.outputs))).to.deep.equal(shared);
        // Secrets: the same names, from Secrets Manager deployed, set directly locally.
        const localSecrets = Object.keys(local.env).filter((k) => secretNames.includes(k)).sort();
        expect(container.secrets.map((v: { name: string }) => v.name).sort()).to.deep.equal(localSecrets);
        expect(Object.keys(backendSecrets(deployed.outputs)).sort()).to.deep.equal(localSecrets);
        // Values differ only where the stand-ins do: endpoints, and no TLS on the local redis-server.
        const value = (name: string) => container.environment.find((v: { name: string }) => v.name === name).value;
        for (const name of shared.filter((n) => n.endsWith("_TABLE") || n === "ENVIRONMENT" || n === "AWS_REGION")) expect(local.env[name], name).to.equal(value(name));
        expect([value("REDIS_TLS"), local.env.REDIS_TLS]).to.deep.equal(["true", "false"]);
        expect(value("REDIS_URL")).to.match(/^rediss:\/\/[^@]+$/);
        expect(local.env.REDIS_URL).to.match(/^redis:\/\/127\.0\.0\.1:\d+$/);
    });

    it("runs the thumbnail handler for an upload under uploads/ ending .jpg, as the bucket notification does", async () => {
        const jpeg = await sharp({ create: { width: 1200, height: 800, channels: 3, background: "#3366cc" } }).jpeg().toBuffer();
        const [files, thumbnails] = [String(local.outputs.filesBucketName), String(local.outputs.thumbnailsBucketName)];
        await local.clients.s3.send(new PutObjectCommand({ Bucket: files, Key: "uploads/team photo.jpg", Body: jpeg }));
        await local.clients.s3.send(new PutObjectCommand({ Bucket: files, Key: "avatars/skip.jpg", Body: jpeg }));
        await local.clients.s3.send(new PutObjectCommand({ Bucket: files, Key: "uploads/IMG_0001.JPG", Body: jpeg }));
        const read = (key: string) =>
            local.clients.s3.send(new GetObjectCommand({ Bucket: thumbnails, Key: key })).then(async (o) => Buffer.from(await o.Body!.transformToByteArray()));
        let thumbnail: Buffer | undefined;
        for (let attempt = 0; attempt < 100 && thumbnail === undefined; attempt++) {
            // s3rver can list an object it is still writing: an empty body is not there yet.
            thumbnail = await read("thumbnails/team photo.jpg").then((body) => (body.length > 0 ? body : Promise.reject(new Error("empty")))).catch(async () => {
                await new Promise((resolve) => setTimeout(resolve, 100));
                return undefined;
            });
        }
        expect(thumbnail, "thumbnails/team photo.jpg within 10 s").to.not.equal(undefined);
        const { width, height, format } = await sharp(thumbnail!).metadata();
        expect([format, width, height]).to.deep.equal(["jpeg", 256, 171]);
        let error: Error | undefined;
        await read("thumbnails/skip.jpg").catch((e: Error) => (error = e));
        expect(error?.name, "an upload outside uploads/ gets no thumbnail").to.equal("NoSuchKey");
        const outside = (key: string) => `upload ${key}: outside the thumbnail trigger (keys under uploads/ ending .jpg, case-sensitive as S3's filter is); no thumbnail`;
        expect(lines, "says so for an upload outside the trigger").to.include.members([outside("avatars/skip.jpg"), outside("uploads/IMG_0001.JPG")]);
    });

});

describe("npm start (local/start.ts as a process)", function () {
    this.timeout(60000);

    it("refuses a second start while one runs, writes .env.local, its outputs and its lock with mode 600, and a double Ctrl-C still stops every stand-in", async () => {
        const ports = await Promise.all([freePort(), freePort(), freePort()]);
        const args = ["--import", "tsx", "local/start.ts", "--dynamodb-port", String(ports[0]), "--s3-port", String(ports[1]), "--redis-port", String(ports[2])];
        const { child: first, exited, until } = run(process.execPath, args);
        await until("Running;");

        try {
            const second = spawnSync(process.execPath, args, { encoding: "utf8" });
            expect(second.status).to.equal(1);
            expect(second.stderr).to.include(`The local environment is already running (pid ${first.pid}`);

            for (const file of [ENV_FILE, OUTPUTS_FILE, LOCK_FILE]) {
                expect((fs.statSync(file).mode & 0o777).toString(8), `${file}: readable by its owner only (.env.local holds REDIS_AUTH_TOKEN)`).to.equal("600");
            }
            const dotenv = Object.fromEntries(fs.readFileSync(ENV_FILE, "utf8").trim().split("\n").map((line) => line.split(/=(.*)/s).slice(0, 2)));
            expect(dotenv.REDIS_AUTH_TOKEN, "a fresh Redis password per start").to.match(/^[0-9a-f]{64}$/).and.not.equal(firstStartPassword);
            expect(await ping(dotenv.REDIS_URL)).to.match(/^NOAUTH/);
            expect(await ping(dotenv.REDIS_URL, dotenv.REDIS_AUTH_TOKEN)).to.equal("PONG");
        } catch (error) {
            first.kill("SIGINT"); // a failed check must not leave the environment running
            throw error;
        }

        // A .env.local someone put in place of npm start's while it ran is theirs: the stop keeps it.
        fs.writeFileSync(ENV_FILE, "MY_SECRET=important\n");
        first.kill("SIGINT");
        await until("Stopping");
        first.kill("SIGINT"); // impatient: Ctrl-C again while it stops
        expect(await exited).to.equal(0);
        expect(fs.readFileSync(ENV_FILE, "utf8")).to.equal("MY_SECRET=important\n");
        fs.rmSync(ENV_FILE);
        expect(await answers(ports[2]), "redis-server stopped").to.equal(false);
        expect(fs.existsSync(path.dirname(LOCK_FILE)), "lock released, and its folder with nothing else in it").to.equal(false);
    });

    it("says redis-server is missing and how to install it, with no stack trace, and releases its lock", async () => {
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "no-redis-"));
        const ports = await Promise.all([freePort(), freePort(), freePort()]);
        const start = run(...tsx("local/start.ts", "--dynamodb-port", String(ports[0]), "--s3-port", String(ports[1]), "--redis-port", String(ports[2])), { PATH: bin });
        expect(await start.exited).to.equal(1);
        expect(start.output()).to.include("npm start failed: redis-server is not installed. Install it with: sudo apt-get install -y redis-server");
        expect(start.output(), "no stack trace").to.not.match(/^\s+at /m);
        expect(fs.existsSync(path.dirname(LOCK_FILE)), "lock released, and its folder with nothing else in it").to.equal(false);
    });

    it("refuses one port given to two stand-ins before starting any, rather than calling it in use; npm start -- --help prints the usage and exits 0", async () => {
        const [port, redisPort] = await Promise.all([freePort(), freePort()]);
        const start = run(...tsx("local/start.ts", "--dynamodb-port", String(port), "--s3-port", String(port), "--redis-port", String(redisPort)));
        const help = runToEnd("npm", ["start", "--silent", "--", "--help"]);
        expect(await start.exited).to.equal(1);
        expect(start.output()).to.include(`npm start failed: --s3-port ${port} is also --dynamodb-port; give each a port of its own`);
        expect(start.output(), "nothing started").to.not.include("DynamoDB (dynalite)");
        const { status, stdout, stderr } = await help;
        expect([status, stdout.trim(), stderr]).to.deep.equal([0, usage(START_COMMAND), ""]);
    });

    it("stops on a signal at any moment with exit code 0: while its modules load, and mid-start, where it waits for redis-server's exit and names no file it never wrote", async () => {
        const ports = await Promise.all([freePort(), freePort(), freePort()]);
        const args = ["--dynamodb-port", String(ports[0]), "--s3-port", String(ports[1]), "--redis-port", String(ports[2])];
        // As soon as it catches SIGQUIT (Ctrl-\; its own mask in /proc): long before main() runs, while modules load.
        const loading = run(...tsx("local/start.ts", ...args));
        const catches = (pid: number) => {
            const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
            return mask !== undefined && (BigInt(`0x${mask}`) & (1n << BigInt(os.constants.signals.SIGQUIT - 1))) !== 0n;
        };
        for (let waited = 0; !catches(loading.child.pid!) && waited < 10000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
        loading.child.kill("SIGQUIT");
        expect(await loading.exited, loading.output()).to.equal(0);
        expect(loading.output()).to.include("Stopping (SIGQUIT)…");
        // What it had started by then depends on the machine's load: the stand-ins in their start order.
        expect(loading.output().trim().split("\n").pop()).to.match(/^Stopped (nothing|DynamoDB|DynamoDB and Redis|DynamoDB, Redis and S3)\.$/);

        // Mid-start: the stand-ins run, the files are not written yet.
        const midStart = run(...tsx("local/start.ts", ...args));
        await midStart.until("… seed");
        const { redisPid } = JSON.parse(fs.readFileSync(LOCK_FILE, "utf8")) as { redisPid: number };
        midStart.child.kill("SIGTERM");
        expect(await midStart.exited).to.equal(0);
        expect(isRunning(redisPid), "redis-server had exited when npm start said it stopped it").to.equal(false);
        expect(midStart.output().trim().split("\n").pop()).to.equal("Stopped DynamoDB, Redis and S3.");
        expect(midStart.output(), "redis-server's exit was the stop's").to.not.include("redis-server (pid");
        for (const file of [LOCK_FILE, S3_DIR]) expect(fs.existsSync(file), `${file} removed`).to.equal(false);
    });
});

describe("npm start stopped any other way than Ctrl-C (as processes)", function () {
    this.timeout(90000);
    const portArgs = (ports: number[]) => ["--dynamodb-port", String(ports[0]), "--s3-port", String(ports[1]), "--redis-port", String(ports[2])];

    it("SIGTERM to npm stops every stand-in, frees all three ports and removes .env.local; a crashed backend and a killed redis-server are reported at once and the rest keeps running, and the stop names only what it stopped, at once; seed and health --local work while it runs", async () => {
        const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
        const notRunning = spawnSync(...tsx("deploy/health.ts", "--local"), { encoding: "utf8" });
        expect(notRunning.status).to.equal(1);
        expect(notRunning.stderr).to.include("The local environment is not running: start it with `npm start` in another terminal");

        const backend = `"${process.execPath}" tests/fixtures/backend.js`;
        const npm = run("npm", ["start", "--", ...portArgs(ports), "--backend", backend, "--backend-port", String(ports[3])]);
        try {
            await npm.until("Running;");
            await fetch(`http://127.0.0.1:${ports[3]}/crash`).catch(() => undefined); // an uncaught error: the backend exits 1
            await npm.until("after it was healthy");
            expect(npm.output().split("\n").filter((l) => l.includes("after it was healthy"))).to.deep.equal([
                `backend command "${backend}" exited with code 1 after it was healthy on port ${ports[3]}; ` +
                    `DynamoDB, Redis and S3 keep running: restart it with the variables of ${shown(ENV_FILE)} and PORT=${ports[3]}, or stop everything with Ctrl-C`,
            ]);
            expect(fs.existsSync(ENV_FILE) && fs.existsSync(OUTPUTS_FILE)).to.equal(true);
            expect(fs.readFileSync(ENV_FILE, "utf8").split("\n")[0], "marked as npm start's").to.equal(ENV_FILE_MARK);
            const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _, ...unquieted } = process.env;
            // A profile the developer's shell exports does not win over the stand-ins' key (.env.local's empty AWS_PROFILE).
            const profile = { AWS_PROFILE: "developer-profile-not-configured-here" };
            const [health, seeded] = await Promise.all([
                runToEnd(...tsx("deploy/health.ts", "--local", "--skip", "redis", "--skip", "redis"), { ...process.env, ...profile }),
                runToEnd(...tsx("deploy/seed/seed.ts", "--local"), { ...unquieted, ...profile }),
            ]);
            // The backend stands in for the API locally: health --local sees that it is down.
            expect(health.status, health.stdout).to.equal(1);
            expect(health.stdout).to.match(new RegExp(`^FAIL +api /health +http://127\\.0\\.0\\.1:${ports[3]}/health: connect ECONNREFUSED`, "m"));
            expect(health.stdout.split("\n").filter((l) => l.startsWith("FAIL")), "nothing else fails").to.have.length(1);
            expect(health.stdout.split("\n").filter((l) => l.startsWith("Skipped:")), "a check skipped twice is named once").to.deep.equal(["Skipped: redis"]);
            expect(seeded.stdout, seeded.stderr).to.match(/^Seeded 7 tables: 0 items written, 23 items already there and kept/m);
            expect(seeded.stderr, "the SDK's 9-line notice is not printed").to.not.include("NodeVersionSupportWarning");
            if (Number(process.versions.node.split(".")[0]) < 22) expect(seeded.stderr).to.match(/^Note: Node \d+\.\d+\.\d+ works, but is past its end of life; use Node 22 or 24/m);

            const { redisPid } = JSON.parse(fs.readFileSync(LOCK_FILE, "utf8")) as { redisPid: number };
            process.kill(redisPid, "SIGKILL");
            await npm.until("redis-server (pid");
            expect(npm.output().split("\n").filter((l) => l.startsWith("redis-server (pid"))).to.deep.equal([
                `redis-server (pid ${redisPid}, port ${ports[2]}) was killed by SIGKILL; DynamoDB and S3 keep running without it: ` +
                    "stop everything with Ctrl-C and run npm start again to get Redis back",
            ]);

            const stopping = Date.now();
            npm.child.kill("SIGTERM"); // what an editor's stop button or a process manager sends
            await npm.exited;
            expect(Date.now() - stopping, "no wait for a redis-server already gone").to.be.below(2500);
            expect(npm.output()).to.not.include("still closing connections");
            for (const port of ports) expect(await answers(port), `port ${port} freed`).to.equal(false);
            expect(fs.existsSync(ENV_FILE), ".env.local removed").to.equal(false);
            expect(fs.existsSync(LOCK_FILE), "lock released").to.equal(false);
            expect(npm.output().trim().split("\n").pop()).to.equal(
                `Stopped DynamoDB and S3 (the backend and Redis had already exited); removed ${shown(ENV_FILE)} and ${shown(OUTPUTS_FILE)}.`,
            );
        } finally {
            if (npm.child.exitCode === null && npm.child.signalCode === null) npm.child.kill("SIGTERM");
            await npm.exited;
        }
    });

    it("exits with every stand-in when npm itself is killed (kill -9: no signal reaches it)", async () => {
        const ports = await Promise.all([freePort(), freePort(), freePort()]);
        const npm = run("npm", ["start", "--", ...portArgs(ports)]);
        await npm.until("Running;");
        npm.child.kill("SIGKILL");
        const free = async () => !(await Promise.all(ports.map(answers))).some(Boolean) && !fs.existsSync(LOCK_FILE);
        for (let waited = 0; !(await free()) && waited < 10000; waited += 200) await new Promise((resolve) => setTimeout(resolve, 200));
        expect(await Promise.all(ports.map(answers)), "all three ports freed").to.deep.equal([false, false, false]);
        expect(fs.existsSync(LOCK_FILE), "lock released").to.equal(false);
    });

    it("kill -9 takes redis-server and the backend's process group down with it; the next start clears a leftover redis-server and backend by their recorded pid and process group, and stops at once on Ctrl-\\ (SIGQUIT) while a client holds connections open to the stand-ins (a running backend's keep-alive)", async () => {
        const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
        // The backend's shell runs node as a child (not exec'd), so the group holds two processes.
        const backend = `"${process.execPath}" tests/fixtures/backend.js; exit`;
        const args = [...portArgs(ports), "--backend", backend, "--backend-port", String(ports[3])];
        const first = run(...tsx("local/start.ts", ...args));
        await first.until("Running;");
        first.child.kill("SIGKILL");
        await first.exited;
        const up = () => Promise.all([answers(ports[2]), answers(ports[3])]);
        for (let waited = 0; (await up()).some(Boolean) && waited < 3000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
        expect(await up(), "redis-server and the backend died with their parent").to.deep.equal([false, false]);

        // Leftovers that did not die (e.g. no setpriv): a redis-server and a backend recorded in the dead start's lock.
        const leftover = spawn("redis-server", ["--port", String(ports[2]), "--bind", "127.0.0.1", "--save", ""], { stdio: "ignore", detached: true });
        leftover.unref();
        let leftoverPgid = 0;
        // Started as the dead start would have: its pid marks the group (START_PID_VARIABLE).
        const leftoverBackend = await startBackend(backend, ports[3], { [START_PID_VARIABLE]: String(first.child.pid) }, () => undefined, { onStarted: (pgid) => (leftoverPgid = pgid) });
        while (!(await answers(ports[2]))) await new Promise((resolve) => setTimeout(resolve, 50));
        const lock = JSON.parse(fs.readFileSync(LOCK_FILE, "utf8"));
        expect(lock.backend?.command, "the lock records the backend").to.equal(backend);
        fs.writeFileSync(LOCK_FILE, JSON.stringify({ ...lock, redisPid: leftover.pid, backend: { ...lock.backend, pgid: leftoverPgid } }));
        // The killed start's S3 objects stay where it kept them (not in the system's temporary folder) until the next start.
        expect(fs.readdirSync(S3_DIR), "the killed start's buckets").to.not.deep.equal([]);
        fs.writeFileSync(path.join(S3_DIR, "leftover-object"), "");

        const second = run(...tsx("local/start.ts", ...args));
        const held: net.Socket[] = [];
        try {
            await second.until("Running;");
            expect(fs.existsSync(path.join(S3_DIR, "leftover-object")), "emptied by the next start").to.equal(false);
            expect(second.output()).to.include(
                `Stopped redis-server (pid ${leftover.pid}, port ${ports[2]}) left running by an earlier npm start (pid ${first.child.pid}) that did not stop cleanly`,
            );
            expect(second.output()).to.include(
                `Stopped the backend "${backend}" (process group ${leftoverPgid}, port ${ports[3]}) left running by an earlier npm start (pid ${first.child.pid}) that did not stop cleanly`,
            );
            held.push(...ports.slice(0, 2).map((port) => net.connect(port, "127.0.0.1").on("error", () => undefined)));
            await Promise.all(held.map((socket) => new Promise((resolve) => socket.once("connect", resolve))));
            const { redisPid } = JSON.parse(fs.readFileSync(LOCK_FILE, "utf8")) as { redisPid: number };
            const stopped = Date.now();
            second.child.kill("SIGQUIT"); // Ctrl-\ stops it as SIGTERM does
            expect(await second.exited).to.equal(0);
            expect(isRunning(redisPid), "redis-server had exited when npm start said it stopped it").to.equal(false);
            expect(Date.now() - stopped).to.be.below(2500);
            expect(second.output(), "the stand-ins dropped the held connections instead of waiting them out").to.not.include("still closing connections");
            expect(second.output().trim().split("\n").pop()).to.equal(`Stopped the backend, DynamoDB, Redis and S3; removed ${shown(ENV_FILE)} and ${shown(OUTPUTS_FILE)}.`);
            expect(fs.existsSync(S3_DIR), "a clean stop removes the S3 objects").to.equal(false);
        } finally {
            held.forEach((socket) => socket.destroy());
            if (second.child.exitCode === null) second.child.kill("SIGTERM");
            await second.exited;
            if (leftover.exitCode === null && leftover.signalCode === null) leftover.kill("SIGKILL");
            await leftoverBackend.stop();
        }
    });
});

describe("npm start -- --backend", function () {
    this.timeout(60000);
    const fixture = `"${process.execPath}" tests/fixtures/backend.js`;

    it("runs the backend with the local environment and PORT, waits for its /health, checks api /health once it is up (not \"no backend\" before it runs), and stops it first; a redis-server, then a backend, that exits says what keeps running", async () => {
        const port = await freePort();
        const lines: string[] = [];
        let redisPid = 0;
        const local = await startLocal({ dynamodb: 0, s3: 0, redis: 0, backend: port }, (l) => lines.push(l), { backend: fixture, onRedisStarted: (pid) => (redisPid = pid) });
        try {
            const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { env: Record<string, string> };
            expect(health.env).to.include(local.env);
            expect(health.env.PORT).to.equal(String(port));
            expect(lines).to.include(`backend | listening on ${port}`);
            // The start's health check runs before the backend: its api /health waits for it, then reports it before the backend's tick.
            expect(lines.join("\n").split("\n").find((l) => /^skip +api \/health /.test(l))).to.match(/ skipped: checked once the backend is up$/);
            const api = lines.findIndex((l) => /^ok +api \/health +backend answered 200$/.test(l));
            expect(api, lines.join("\n")).to.be.greaterThan(lines.indexOf(`backend | listening on ${port}`));
            expect(lines[api + 1]).to.match(/^✓ backend /);
            expect(local.health.find((r) => r.check === "api /health")).to.deep.equal({ check: "api /health", ok: true, detail: "backend answered 200" });
            // The local outputs name the backend as the API, so the health check (and health --local) checks it.
            expect(local.outputs.apiUrl).to.equal(`http://127.0.0.1:${port}`);
            const checks = await checkHealth(local.outputs, local.clients, { local: true });
            expect(checks.find((r) => r.check === "api /health")).to.deep.include({ ok: true, detail: "backend answered 200" });

            // Each exit says what still runs: Redis first, then the backend.
            process.kill(redisPid, "SIGKILL");
            await lineStarting(lines, "redis-server (pid");
            await fetch(`http://127.0.0.1:${port}/crash`).catch(() => undefined);
            await lineStarting(lines, `backend command "${fixture}" exited`);
            expect(lines.filter((l) => /^redis-server \(pid|after it was healthy/.test(l)).map((l) => l.replace(/^.*?; /, ""))).to.deep.equal([
                "the backend, DynamoDB and S3 keep running without it: stop everything with Ctrl-C and run npm start again to get Redis back",
                `DynamoDB and S3 keep running: restart it with the variables of ${shown(ENV_FILE)} and PORT=${port}, or stop everything with Ctrl-C`,
            ]);
            expect(local.status()).to.deep.equal({ running: ["DynamoDB", "S3"], exited: ["the backend", "Redis"] });
        } finally {
            await local.stop();
        }
        const answers = await fetch(`http://127.0.0.1:${port}/health`).then(() => true, () => false);
        expect(answers, "backend stopped").to.equal(false);
    });

    it("refuses a backend port another process already answers on, instead of passing the /health wait on that process's answer", async () => {
        const squatter = http.createServer((_, response) => response.writeHead(200).end("someone else")).listen(0, "127.0.0.1");
        await once(squatter, "listening");
        const port = (squatter.address() as net.AddressInfo).port;
        try {
            let error: Error | undefined;
            const started = await startBackend(`"${process.execPath}" tests/fixtures/backend.js`, port, {}, () => undefined).catch((e: Error) => (error = e));
            if (!(started instanceof Error)) await started.stop();
            expect(error?.message).to.equal(`port ${port} is already in use by another process: stop it, or give the backend another port with --backend-port`);
        } finally {
            squatter.closeAllConnections();
            squatter.close();
        }
    });

    it("fails naming a backend command that exits before it is healthy, and stops the stand-ins", async () => {
        const redis = await freePort();
        let error: Error | undefined;
        await startLocal({ dynamodb: 0, s3: 0, redis, backend: await freePort() }, undefined, { backend: "exit 3" }).catch((e: Error) => (error = e));
        expect(error?.message).to.match(/^backend command "exit 3" exited with code 3 before answering \/health on port \d+; it printed nothing: run it by hand with the same PORT to see why$/);
        expect(await answers(redis), "redis-server stopped").to.equal(false);
    });
});

describe("startS3 (local/stand-ins.ts)", () => {
    it("stops cleanly when its folder was removed while it ran (s3rver's reset on close threw ENOENT, uncaught)", async () => {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "s3-gone-"));
        const s3 = await startS3(0, ["bucket-a"], folder);
        fs.rmSync(folder, { recursive: true, force: true });
        const uncaught: Error[] = [];
        const record = (error: Error) => uncaught.push(error);
        process.prependListener("uncaughtException", record);
        try {
            await s3.stop();
            await new Promise((resolve) => setTimeout(resolve, 50));
        } finally {
            process.removeListener("uncaughtException", record);
        }
        expect(uncaught.map((e) => e.message)).to.deep.equal([]);
        expect(s3.running()).to.equal(false);
    });
});

describe("startRedis (local/stand-ins.ts)", () => {
    it("reports an exit it did not cause (kill -9) with its signal, once, and a stop after it returns at once (it waited for an exit that had already happened)", async () => {
        const exits: [number | null, NodeJS.Signals | null][] = [];
        const redis = await startRedis(0, "password", (code, signal) => exits.push([code, signal]));
        expect(redis.running()).to.equal(true);
        process.kill(redis.pid!, "SIGKILL");
        for (let waited = 0; exits.length === 0 && waited < 3000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(exits).to.deep.equal([[null, "SIGKILL"]]);
        expect(redis.running()).to.equal(false);
        const stopping = Date.now();
        await redis.stop();
        expect(Date.now() - stopping, "stop of a redis-server already gone").to.be.below(200);
        const stopped = await startRedis(0, "password", (code, signal) => exits.push([code, signal]));
        await stopped.stop();
        expect(exits, "a stop's own exit is not reported").to.have.length(1);
    });
});

describe("startBackend (local/start.ts)", () => {
    const fixture = `"${process.execPath}" tests/fixtures/backend.js`;

    it("refuses a Fetch bad port for the backend when --backend-port is read (Node's fetch would never reach its /health: https://fetch.spec.whatwg.org/#port-blocking), suggesting a port it reaches", async () => {
        // Node's own fetch refuses every listed port without connecting; the suggestions it does not.
        const refusal = (port: number) => fetch(`http://127.0.0.1:${port}/`).then(() => "answered", (error: Error & { cause?: Error }) => error.cause?.message);
        for (const port of FETCH_BAD_PORTS) expect(await refusal(port), `port ${port}`).to.equal("bad port");
        for (const port of [6001, 6670, 10081]) expect(await refusal(port), `port ${port}`).to.not.equal("bad port");
        const refused = (argv: string[]) => startMain(argv).then(() => "started", (error: Error) => error.message);
        expect(await refused(["--backend", "node be.js", "--backend-port", "6000"])).to.equal(
            "--backend-port 6000 is one of the ports Node's fetch and browsers refuse to connect to (the Fetch standard's bad ports, https://fetch.spec.whatwg.org/#port-blocking), " +
                "so npm start could never ask the backend's /health: give it another, e.g. --backend-port 6001",
        );
        // S3's port is in FILES_BASE_URL, which browsers load.
        expect(await refused(["--s3-port", "6000"])).to.equal(
            "--s3-port 6000 is one of the ports Node's fetch and browsers refuse to connect to (the Fetch standard's bad ports, https://fetch.spec.whatwg.org/#port-blocking), " +
                "so no browser could load the files under FILES_BASE_URL: give it another, e.g. --s3-port 6001",
        );
        // The suggestion skips the rest of a run of bad ports, and a port another stand-in has.
        expect(await refused(["--backend", "node be.js", "--backend-port", "6665", "--redis-port", "6670"])).to.match(/e\.g\. --backend-port 6671$/);
        expect(fetchPortProblem("backend-port", 8000)).to.equal(undefined);
        // startBackend itself refuses it too, before it runs the command.
        const ran = await startBackend(fixture, 10080, {}, () => undefined).then(() => "ran", (error: Error) => error.message);
        expect(ran).to.match(/^--backend-port 10080 is one of the ports Node's fetch and browsers refuse/);
    });

    it("refuses --backend-port without --backend (it would do nothing), before any other port check", async () => {
        // An --s3-port that is no port: whatever reads the ports first refuses it, so nothing starts either way.
        const refused = (...argv: string[]) => startMain([...argv, "--s3-port", "0"]).then(() => "started", (error: Error) => error.message);
        const without = (port: string) => `--backend-port ${port} does nothing without --backend: give the backend's command with --backend "<command>", or leave --backend-port out`;
        expect(await refused("--backend-port", "6000"), "a Fetch bad port").to.equal(without("6000"));
        expect(await refused("--backend-port", "4567"), "DynamoDB's default port").to.equal(without("4567"));
        expect(await refused("--backend-port=9000")).to.equal(without("9000"));
        expect(await refused("--backend", "node be.js", "--backend-port", "9000"), "with --backend: the ports are read").to.equal("--s3-port must be a port from 1 to 65535; got 0");
    });

    it("gives a backend that ignores SIGTERM its stop timeout, then ends its whole process group with SIGKILL", async () => {
        const port = await freePort();
        let pgid = 0;
        // `; exit`: the shell runs node as its child rather than exec'ing it.
        const backend = await startBackend(`${fixture}; exit`, port, { IGNORE_SIGTERM: "1" }, () => undefined, { stopTimeoutMs: 300, onStarted: (id) => (pgid = id) });
        const started = Date.now();
        await backend.stop();
        expect(Date.now() - started, "stopped within its timeout and a little").to.be.within(300, 1500);
        expect(groupRunning(pgid), "no process of the group runs").to.equal(false);
        expect(await answers(port)).to.equal(false);
    });

    it("reports at once, on one line, a backend that exits after it was healthy (an uncaught error: code 1; a signal: its name)", async () => {
        const crashes = [
            [(port: number) => fetch(`http://127.0.0.1:${port}/crash`).catch(() => undefined), "exited with code 1"],
            [async (port: number) => process.kill(((await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { pid: number }).pid, "SIGKILL"), "was killed by SIGKILL"],
        ] as const;
        await Promise.all(
            crashes.map(async ([crash, how]) => {
                const port = await freePort();
                const lines: string[] = [];
                const backend = await startBackend(fixture, port, {}, (l) => lines.push(l));
                try {
                    await crash(port);
                    const line = await lineStarting(lines, `backend command "${fixture}" `);
                    expect(line, lines.join("\n")).to.equal(
                        `backend command "${fixture}" ${how} after it was healthy on port ${port}; ` +
                            `DynamoDB, S3 and Redis keep running: restart it with the variables of ${shown(ENV_FILE)} and PORT=${port}, or stop everything with Ctrl-C`,
                    );
                } finally {
                    await backend.stop();
                }
                expect(lines.filter((l) => l.includes("after it was healthy")), "one line, not repeated by the stop").to.have.length(1);
            }),
        );
    });

    it("says what /health last answered while it waits (a line every progress interval), and puts the last answer and where to look next in the timeout's error: a 500 and its body (on one line, terminal escapes shown escaped), a refused connection", async () => {
        const seeOutput = "see the `backend |` lines above for what it printed";
        const cases = [
            [`${fixture}`, { HEALTH_STATUS: "500" }, 'answered 500: {"status":"error","reason":"database unreachable"}', seeOutput],
            [`${fixture}`, { HEALTH_STATUS: "500", HEALTH_BODY: "down\n\n\u001b[2Jcleared" }, "answered 500: down \\x1b[2Jcleared", seeOutput],
            ["sleep 30", {}, "connect ECONNREFUSED 127.0.0.1:", "it printed nothing: run it by hand with the same PORT to see why"],
        ] as const;
        await Promise.all(
            cases.map(async ([command, env, last, next]) => {
                const port = await freePort();
                const lines: string[] = [];
                const url = `http://127.0.0.1:${port}/health`;
                // Long enough for the fixture to be answering on a loaded machine before the first progress line.
                const error = await startBackend(command, port, env, (l) => lines.push(l), { startTimeoutMs: 1500, progressMs: 700 }).then(
                    (started) => started.stop().then(() => undefined),
                    (e: Error) => e,
                );
                expect(error?.message).to.include(`backend command "${command}" did not answer ${url} with 2xx within 1.5 s; last: ${last}`).and.match(new RegExp(`; ${next.replace(/[|()]/g, "\\$&")}$`));
                expect(error?.message).not.to.match(/[\n\u001b]/);
                const progress = lines.filter((l) => l.startsWith("… backend:"));
                expect(progress.length, lines.join("\n")).to.be.within(1, 3);
                expect(progress[progress.length - 1]).to.match(new RegExp(`^… backend: no 2xx from ${url} after [01] s of 1.5 s; last: `)).and.include(last).and.not.match(/[\n\u001b]/);
            }),
        );
    });

    it("stops waiting for /health once the backend command has exited (it polled the port until its 60 s deadline, holding npm test open)", async () => {
        const port = await freePort();
        const error = await startBackend("exit 3", port, {}, () => undefined).then(
            (started) => started.stop().then(() => undefined),
            (e: Error) => e,
        );
        expect(error?.message).to.match(/exited with code 3 before answering/);
        // Listen where the poll went: any request after the failure would be a poll left running.
        let polls = 0;
        const server = http.createServer((_, response) => (polls++, response.writeHead(503).end())).listen(port, "127.0.0.1");
        await once(server, "listening");
        try {
            await new Promise((resolve) => setTimeout(resolve, 3 * BACKEND_POLL_MS)); // three of its poll intervals
            expect(polls, "requests to /health after the backend exited").to.equal(0);
        } finally {
            server.closeAllConnections();
            server.close();
        }
    });
});

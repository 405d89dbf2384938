import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { CreateTableCommand, DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import sharp from "sharp";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { TABLES, tableOutputName } from "../components/tables";
import { LocalEnvironment, createTableInput, startLocal } from "../local/start";
import { freePort } from "../local/stand-ins";
import { itemProblems, loadSeedData, seed } from "../deploy/seed/seed";
import { backendEnvironment, redisUrl } from "../deploy/backend-env";
import { checkHealth } from "../deploy/health";
import { readStackOutputs } from "../deploy/stack-outputs";
import { stackEvaluation } from "./helpers/stacks";

const spec = (name: string) => TABLES.find((t) => t.name === name)!;

async function scanAll(client: DynamoDBClient, table: string): Promise<Record<string, unknown>[]> {
    const { Items = [] } = await client.send(new ScanCommand({ TableName: table }));
    return Items.map((item) => unmarshall(item)).sort((a, b) => `${a.PK}${a.SK}`.localeCompare(`${b.PK}${b.SK}`));
}

describe("seed data", () => {
    it("fits every table's keys and indexes", () => {
        const data = loadSeedData();
        expect([...data.keys()].map((s) => s.name).sort()).to.include.members(["workspaces", "users", "channels", "messages", "reactions"]);
        for (const [table, items] of data) {
            expect(items, table.name).to.not.be.empty;
            for (const item of items) expect(itemProblems(table, item), `${table.name} ${JSON.stringify(item)}`).to.deep.equal([]);
        }
        const messages = data.get(spec("messages"))!;
        expect(messages.some((m) => m.parent_message_id !== undefined), "a thread").to.equal(true);
    });

    it("flags an item that breaks a key or an index", () => {
        expect(itemProblems(spec("users"), { PK: "USER#x" })).to.deep.equal(["missing key attribute SK"]);
        expect(itemProblems(spec("users"), { PK: "USER#x", SK: "PROFILE", email: 42 })[0]).to.include("email must be a non-empty string");
    });

    it("retries UnprocessedItems with backoff until written", async () => {
        const batches: unknown[][] = [];
        const client = {
            send: async (command: { input: { RequestItems?: Record<string, unknown[]> } }) => {
                if (command.input.RequestItems === undefined) return {}; // DescribeTable
                const [[table, requests]] = Object.entries(command.input.RequestItems);
                batches.push(requests);
                // The first request leaves one item unprocessed, as a throttled table does.
                return batches.length === 1 ? { UnprocessedItems: { [table]: requests.slice(0, 1) } } : {};
            },
        } as unknown as DynamoDBClient;
        const data = new Map([[spec("users"), loadSeedData().get(spec("users"))!]]);
        const report = await seed(client, { [tableOutputName(spec("users"))]: "users-t" }, data, { baseDelayMs: 1 });
        expect(report).to.deep.equal({ written: { "users-t": 3 }, requests: 2, retries: 1 });
        expect(batches.map((b) => b.length)).to.deep.equal([3, 1]);
    });
});

describe("stack outputs and backend environment", () => {
    it("read outputs from a file and explain a missing Pulumi CLI", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "outputs-")), "outputs.json");
        fs.writeFileSync(file, JSON.stringify({ region: "us-east-1" }));
        expect(readStackOutputs({ outputsFile: file })).to.deep.equal({ region: "us-east-1" });
        fs.writeFileSync(file, "not json");
        expect(() => readStackOutputs({ outputsFile: file })).to.throw(/are not JSON/);
        const saved = process.env.PATH;
        process.env.PATH = "/nonexistent";
        try {
            expect(() => readStackOutputs({ stack: "staging" })).to.throw(/Cannot run the Pulumi CLI.*--outputs outputs.json/);
        } finally {
            process.env.PATH = saved;
        }
    });

    it("use TLS and the AUTH token for Redis when the stack has one", () => {
        expect(redisUrl({ redisPrimaryEndpoint: "r.example", redisPort: 6379, redisAuthToken: "a&b" })).to.equal("rediss://:a%26b@r.example:6379");
        expect(redisUrl({ redisPrimaryEndpoint: "127.0.0.1", redisPort: 6380 })).to.equal("redis://127.0.0.1:6380");
    });

    it("name the missing output", () => {
        expect(() => backendEnvironment({ environment: "staging", region: "us-east-1" })).to.throw(/Stack output "usersTableName" is missing/);
    });
});

describe("local environment (dynalite, s3rver, redis-server)", function () {
    this.timeout(60000);
    let local: LocalEnvironment;
    const lines: string[] = [];

    before(async () => {
        local = await startLocal({ dynamodb: 0, s3: 0, redis: 0 }, (line) => lines.push(line));
    });
    after(async () => {
        await local?.stop();
    });

    it("prints each step's tick after its output, and counts in words (1 item, 1 index)", () => {
        const tick = lines.findIndex((l) => l.startsWith("✓ health check"));
        const redisLine = lines.findIndex((l) => /^ok +redis +PING PONG$/.test(l.split("\n").pop() ?? ""));
        expect(redisLine, lines.join("\n")).to.be.greaterThan(-1);
        expect(tick, "the tick follows the health table").to.be.greaterThan(redisLine);
        expect(lines.some((l) => /slack-clone-workspaces-development: 1 item \(/.test(l)), lines.join("\n")).to.equal(true);
        expect(lines.join("\n")).to.match(/table users +ACTIVE, 1 index$/m).and.not.match(/\b1 (items|indexes)\b/);
    });

    it("comes up healthy: 12 tables with their indexes, both buckets, Redis", () => {
        expect(local.health.filter((r) => r.check.startsWith("table ")).length).to.equal(12);
        expect(local.health.filter((r) => !r.ok)).to.deep.equal([]);
        expect(local.health.map((r) => r.check)).to.include.members(["bucket filesBucketName", "bucket thumbnailsBucketName", "redis"]);
    });

    it("gives the backend every table name and the local endpoints", () => {
        for (const table of TABLES) expect(local.env[`${table.name.replace(/-/g, "_").toUpperCase()}_TABLE`]).to.equal(`slack-clone-${table.name}-development`);
        expect(local.env.AWS_ENDPOINT_URL_DYNAMODB).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(local.env.REDIS_URL).to.match(/^redis:\/\/127\.0\.0\.1:\d+$/);
    });

    it("uses the variable names the deployed development stack gives (only the API and CDN have no stand-in)", async () => {
        const deployed = Object.keys(backendEnvironment((await stackEvaluation("development")).outputs)).sort();
        const localOnly = ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3", "S3_FORCE_PATH_STYLE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];
        const shared = Object.keys(local.env).filter((k) => !localOnly.includes(k)).sort();
        expect(deployed.filter((k) => !shared.includes(k))).to.deep.equal(["API_URL", "FILES_BASE_URL"]);
        expect(shared.filter((k) => !deployed.includes(k))).to.deep.equal([]);
        expect(local.env.REDIS_URL).to.match(/^redis:/);
        expect(backendEnvironment((await stackEvaluation("development")).outputs).REDIS_URL).to.match(/^rediss:\/\/:.+@/);
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
            thumbnail = await read("thumbnails/team photo.jpg").catch(async () => {
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

    it("seeds idempotently: a second run leaves the same items", async () => {
        const data = loadSeedData();
        const before = await Promise.all([...data.keys()].map((t) => scanAll(local.clients.dynamodb, String(local.outputs[tableOutputName(t)]))));
        for (const [i, [table, items]] of [...data].entries()) expect(before[i].length, table.name).to.equal(items.length);
        await seed(local.clients.dynamodb, local.outputs, data);
        const after = await Promise.all([...data.keys()].map((t) => scanAll(local.clients.dynamodb, String(local.outputs[tableOutputName(t)]))));
        expect(after).to.deep.equal(before);
    });

    it("writes nothing when a table is missing, naming it", async () => {
        const empty = "slack-clone-users-seedcheck";
        await local.clients.dynamodb.send(new CreateTableCommand(createTableInput(spec("users"), empty)));
        const outputs = { ...local.outputs, usersTableName: empty, channelsTableName: "slack-clone-channels-nowhere" };
        let error: Error | undefined;
        await seed(local.clients.dynamodb, outputs, loadSeedData()).catch((e: Error) => (error = e));
        expect(error?.message).to.equal("Tables missing: slack-clone-channels-nowhere; deploy the stack first. Nothing was written");
        expect(await scanAll(local.clients.dynamodb, empty)).to.deep.equal([]);
    });

    it("writes nothing when an output is missing, naming it", async () => {
        const { messagesTableName: _, ...outputs } = local.outputs;
        let error: Error | undefined;
        await seed(local.clients.dynamodb, outputs, loadSeedData()).catch((e: Error) => (error = e));
        expect(error?.message).to.equal("Stack outputs missing: messagesTableName; nothing was written");
    });

    it("dry run writes nothing and says what it would write", async () => {
        const lines: string[] = [];
        const report = await seed({} as DynamoDBClient, local.outputs, loadSeedData(), { dryRun: true, log: (l) => lines.push(l) });
        expect(report.requests).to.equal(0);
        expect(lines).to.include("would write 6 items to slack-clone-messages-development");
    });

    it("health check names what is missing or down", async () => {
        const apiPort = await freePort();
        const outputs = { ...local.outputs, presenceTableName: "slack-clone-presence-gone", redisPort: 1, apiUrl: `http://127.0.0.1:${apiPort}/v1` };
        const failed = (await checkHealth(outputs, local.clients)).filter((r) => !r.ok);
        expect(failed.map((r) => r.check)).to.deep.equal(["table presence", "redis", "api /health"]);
        expect(failed[0].detail).to.include("missing").and.include("DynamoDB DescribeTable slack-clone-presence-gone at http://127.0.0.1:");
        expect(failed[1].detail, "names the refused address, not \"Connection is closed.\"").to.equal("Redis: connect ECONNREFUSED 127.0.0.1:1");
        expect(failed[2].detail).to.equal(`http://127.0.0.1:${apiPort}/v1/health: connect ECONNREFUSED 127.0.0.1:${apiPort}`);
    });

    it("health check leaves out what it is told to skip, and refuses an unknown check", async () => {
        const results = await checkHealth({ ...local.outputs, redisPort: 1 }, local.clients, ["redis"]);
        expect(results.map((r) => r.check)).to.not.include("redis");
        expect(results.every((r) => r.ok)).to.equal(true);
        let error: Error | undefined;
        await checkHealth(local.outputs, local.clients, ["cache"]).catch((e: Error) => (error = e));
        expect(error?.message).to.match(/^--skip cache: no such check; checks: table users, /);
    });
});

describe("npm start (local/start.ts as a process)", function () {
    this.timeout(60000);

    it("refuses a second start while one runs, and a double Ctrl-C still stops every stand-in", async () => {
        const ports = await Promise.all([freePort(), freePort(), freePort()]);
        const args = ["--import", "tsx", "local/start.ts", "--dynamodb-port", String(ports[0]), "--s3-port", String(ports[1]), "--redis-port", String(ports[2])];
        const first = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        first.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => first.once("exit", resolve));
        for (let waited = 0; !output.includes("Running;"); waited += 100) {
            if (waited > 30000 || first.exitCode !== null) throw new Error(`npm start did not come up:\n${output}`);
            await new Promise((resolve) => setTimeout(resolve, 100));
        }

        const second = spawnSync(process.execPath, args, { encoding: "utf8" });
        expect(second.status).to.equal(1);
        expect(second.stderr).to.include(`The local environment is already running (pid ${first.pid}`);

        const until = async (text: string) => {
            while (!output.includes(text) && first.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 10));
        };
        first.kill("SIGINT");
        await until("Stopping");
        first.kill("SIGINT"); // impatient: Ctrl-C again while it stops
        expect(await exited).to.equal(0);
        const redisAnswers = await new Promise<boolean>((resolve) => {
            const socket = net.connect(ports[2], "127.0.0.1", () => resolve(true)).on("error", () => resolve(false));
            socket.unref();
        });
        expect(redisAnswers, "redis-server stopped").to.equal(false);
        expect(fs.existsSync(".local/start.lock"), "lock released").to.equal(false);
    });
});

describe("npm start stopped any other way than Ctrl-C (as processes)", function () {
    this.timeout(90000);
    const portArgs = (ports: number[]) => ["--dynamodb-port", String(ports[0]), "--s3-port", String(ports[1]), "--redis-port", String(ports[2])];

    it("SIGTERM to npm stops every stand-in, frees all three ports and removes .env.local; seed and health --local work while it runs", async () => {
        const ports = await Promise.all([freePort(), freePort(), freePort()]);
        const notRunning = spawnSync(...tsx("deploy/health.ts", "--local"), { encoding: "utf8" });
        expect(notRunning.status).to.equal(1);
        expect(notRunning.stderr).to.include("The local environment is not running: start it with `npm start` in another terminal");

        const npm = run("npm", ["start", "--", ...portArgs(ports)]);
        await npm.until("Running;");
        expect(fs.existsSync(".env.local") && fs.existsSync(".local/outputs.json")).to.equal(true);
        const health = spawnSync(...tsx("deploy/health.ts", "--local"), { encoding: "utf8" });
        expect(health.stdout, health.stderr).to.include("All 15 checks passed");
        const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _, ...unquieted } = process.env;
        const seeded = spawnSync(...tsx("deploy/seed/seed.ts", "--local"), { encoding: "utf8", env: unquieted });
        expect(seeded.stdout, seeded.stderr).to.match(/^Seeded 23 items in 7 tables/m);
        expect(seeded.stderr, "the SDK's 9-line notice is not printed").to.not.include("NodeVersionSupportWarning");
        if (Number(process.versions.node.split(".")[0]) < 22) expect(seeded.stderr).to.match(/^Note: Node \d+\.\d+\.\d+ works, but is past its end of life; use Node 22 or 24/m);

        npm.child.kill("SIGTERM"); // what an editor's stop button or a process manager sends
        await npm.exited;
        for (const port of ports) expect(await listening(port), `port ${port} freed`).to.equal(false);
        expect(fs.existsSync(".env.local"), ".env.local removed").to.equal(false);
        expect(fs.existsSync(".local/start.lock"), "lock released").to.equal(false);
        expect(npm.output().trim().split("\n").pop()).to.equal("Stopped DynamoDB, S3 and Redis; removed .env.local and .local/outputs.json.");
    });

    it("kill -9 takes redis-server down with it, and the next start clears a leftover redis-server by its recorded pid", async () => {
        const ports = await Promise.all([freePort(), freePort(), freePort()]);
        const first = run(...tsx("local/start.ts", ...portArgs(ports)));
        await first.until("Running;");
        first.child.kill("SIGKILL");
        await first.exited;
        let redisUp = true;
        for (let waited = 0; redisUp && waited < 3000; waited += 100) {
            redisUp = await listening(ports[2]);
            if (redisUp) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(redisUp, "redis-server died with its parent").to.equal(false);

        // A leftover that did not die (e.g. no setpriv): a redis-server recorded in the dead start's lock.
        const leftover = spawn("redis-server", ["--port", String(ports[2]), "--bind", "127.0.0.1", "--save", ""], { stdio: "ignore", detached: true });
        leftover.unref();
        while (!(await listening(ports[2]))) await new Promise((resolve) => setTimeout(resolve, 50));
        const lock = JSON.parse(fs.readFileSync(".local/start.lock", "utf8"));
        fs.writeFileSync(".local/start.lock", JSON.stringify({ ...lock, redisPid: leftover.pid }));

        const second = run(...tsx("local/start.ts", ...portArgs(ports)));
        try {
            await second.until("Running;");
            expect(second.output()).to.include(
                `Stopped redis-server (pid ${leftover.pid}, port ${ports[2]}) left running by an earlier npm start (pid ${first.child.pid}) that did not stop cleanly`,
            );
        } finally {
            second.child.kill("SIGTERM");
            expect(await second.exited).to.equal(0);
            if (leftover.exitCode === null && leftover.signalCode === null) leftover.kill("SIGKILL");
        }
    });
});

/** A command of the README run as a process, its output collected. */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    const child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    return {
        child,
        exited,
        output: () => output,
        async until(text: string, timeoutMs = 30000): Promise<void> {
            for (let waited = 0; !output.includes(text); waited += 50) {
                if (waited > timeoutMs || child.exitCode !== null) throw new Error(`no "${text}" from ${command} ${args.join(" ")}:\n${output}`);
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
        },
    };
}

const listening = (port: number) =>
    new Promise<boolean>((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => (socket.destroy(), resolve(true))).on("error", () => resolve(false));
    });

const tsx = (script: string, ...args: string[]) => [process.execPath, ["--import", "tsx", script, ...args]] as const;

describe("seed and health check against a stalled or refused endpoint (as processes)", function () {
    this.timeout(30000);
    let stalled: net.Server;
    let port: number;
    let outputsFile: string;
    const sockets: net.Socket[] = [];

    before(async () => {
        // Accepts every connection and never answers: what made the seed hang for 400 s.
        stalled = net.createServer((socket) => sockets.push(socket.on("error", () => undefined)));
        await new Promise<void>((resolve) => stalled.listen(0, "127.0.0.1", resolve));
        port = (stalled.address() as net.AddressInfo).port;
        outputsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "outputs-")), "outputs.json");
        const outputs = { environment: "qa", region: "us-east-1", ...Object.fromEntries(TABLES.map((t) => [tableOutputName(t), `slack-clone-${t.name}-qa`])) };
        fs.writeFileSync(outputsFile, JSON.stringify(outputs));
    });
    after(() => {
        sockets.forEach((s) => s.destroy());
        stalled.close();
    });

    const env = (endpoint: string) => ({ AWS_ENDPOINT_URL_DYNAMODB: endpoint, AWS_ENDPOINT_URL_S3: endpoint, AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "x" });

    it("npm run seed gives up within its bound, naming the endpoint, the action and the table", async () => {
        const started = Date.now();
        const seedRun = run(...tsx("deploy/seed/seed.ts", "--outputs", outputsFile, "--timeout", "0.4"), env(`http://127.0.0.1:${port}`));
        expect(await seedRun.exited).to.equal(1);
        expect(Date.now() - started, "3 attempts of 0.4 s, backoff and start-up").to.be.below(15000);
        expect(seedRun.output()).to.match(
            new RegExp(`^seed failed: DynamoDB DescribeTable slack-clone-[a-z-]+-qa at http://127\\.0\\.0\\.1:${port}: no answer in 400 ms \\(3 attempts\\)$`, "m"),
        );
        expect(seedRun.output(), "no stack trace").to.not.match(/^\s+at /m);
    });

    it("npm run health reports every check within its bound, naming the endpoint; a refused port too", async () => {
        const healthRun = run(...tsx("deploy/health.ts", "--outputs", outputsFile, "--timeout", "0.4"), env(`http://127.0.0.1:${port}`));
        expect(await healthRun.exited).to.equal(1);
        expect(healthRun.output()).to.match(new RegExp(`^FAIL  table users +DynamoDB DescribeTable slack-clone-users-qa at http://127\\.0\\.0\\.1:${port}: no answer in 400 ms \\(3 attempts\\)$`, "m"));
        expect(healthRun.output()).to.include("health check failed: 12 of 12 checks failed");

        const refused = await freePort();
        const refusedRun = run(...tsx("deploy/health.ts", "--outputs", outputsFile), env(`http://127.0.0.1:${refused}`));
        expect(await refusedRun.exited).to.equal(1);
        expect(refusedRun.output()).to.include(`FAIL  table users                      DynamoDB DescribeTable slack-clone-users-qa at http://127.0.0.1:${refused}: connect ECONNREFUSED 127.0.0.1:${refused} (3 attempts)`);
        expect(refusedRun.output(), "no stack trace").to.not.match(/^\s+at /m);
    });
});

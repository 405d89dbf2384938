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
        expect(() => readStackOutputs({ outputsFile: `${file}.missing` })).to.throw(`--outputs ${file}.missing: no such file; write it with pulumi stack output`);
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

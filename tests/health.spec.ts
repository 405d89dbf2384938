import { expect } from "chai";
import * as http from "http";
import { AddressInfo } from "net";
import { API_ONLY_HEALTH } from "../deploy/backend-env";
import { checkApiHealth, checkHealth } from "../deploy/health";
import { LocalEnvironment } from "../local/start";
import { freePort } from "../local/stand-ins";
import { localEnvironment } from "./helpers/local";
import { endpointEnv, outputsFile, run, stalledEndpoint, tsx } from "./helpers/process";

describe("health check, on the local environment", function () {
    this.timeout(60000);
    let local: LocalEnvironment;

    before(async () => {
        local = await localEnvironment();
    });

    it("names what is missing or down", async () => {
        const apiPort = await freePort();
        const outputs = { ...local.outputs, presenceTableName: "slack-clone-presence-gone", redisUrl: "redis://127.0.0.1:1", apiUrl: `http://127.0.0.1:${apiPort}/v1` };
        const failed = (await checkHealth(outputs, local.clients)).filter((r) => !r.ok);
        expect(failed.map((r) => r.check)).to.deep.equal(["table presence", "redis", "api /health"]);
        expect(failed[0].detail).to.include("missing").and.include("DynamoDB DescribeTable slack-clone-presence-gone at http://127.0.0.1:");
        expect(failed[1].detail, "names the refused address, not \"Connection is closed.\"").to.equal("Redis: connect ECONNREFUSED 127.0.0.1:1");
        expect(failed[2].detail).to.equal(`http://127.0.0.1:${apiPort}/v1/health: connect ECONNREFUSED 127.0.0.1:${apiPort}`);
    });

    it("reads the Redis AUTH token from the stack's secret, and says when Redis refuses it", async () => {
        const asked: string[] = [];
        const wrongToken = { ...local.clients, secrets: async (arn: string) => (asked.push(arn), "not-the-token") };
        const [redis] = (await checkHealth(local.outputs, wrongToken)).filter((r) => r.check === "redis");
        expect(asked).to.deep.equal([local.outputs.redisAuthTokenSecretArn]);
        expect(redis.ok).to.equal(false);
        expect(redis.detail).to.match(/^Redis at 127\.0\.0\.1:\d+: WRONGPASS /);
    });

    it("bounds Redis and the API by the same timeout as the AWS calls (--timeout), naming each address once", async () => {
        const stalled = await stalledEndpoint();
        try {
            const outputs = { ...local.outputs, redisUrl: `redis://127.0.0.1:${stalled.port}`, apiUrl: `${stalled.endpoint}/v1` };
            const started = Date.now();
            const results = await checkHealth(outputs, local.clients, [], 300);
            expect(Date.now() - started).to.be.below(2500);
            const detail = (check: string) => results.find((r) => r.check === check)?.detail;
            expect(detail("redis")).to.equal(`Redis at 127.0.0.1:${stalled.port}: no answer in 300 ms`);
            expect(detail("api /health")).to.equal(`${stalled.endpoint}/v1/health: no answer in 300 ms`);
        } finally {
            stalled.close();
        }
    });

    it("leaves out what it is told to skip, and refuses an unknown check", async () => {
        const results = await checkHealth({ ...local.outputs, redisUrl: "redis://127.0.0.1:1" }, local.clients, ["redis"]);
        expect(results.map((r) => r.check)).to.not.include("redis");
        expect(results.every((r) => r.ok)).to.equal(true);
        let error: Error | undefined;
        await checkHealth(local.outputs, local.clients, ["cache"]).catch((e: Error) => (error = e));
        expect(error?.message).to.match(/^--skip cache: no such check; checks: table users, /);
    });
});

describe("npm run health against a stalled or refused endpoint (as a process)", function () {
    this.timeout(30000);

    it("reports every check within its bound, naming the endpoint; a refused port too", async () => {
        const [stalled, refused, outputs] = [await stalledEndpoint(), await freePort(), outputsFile()];
        // Both runs at once: the stalled one spends its time waiting.
        const health = run(...tsx("deploy/health.ts", "--outputs", outputs, "--timeout", "0.4"), endpointEnv(stalled.endpoint));
        const refusedRun = run(...tsx("deploy/health.ts", "--outputs", outputs), endpointEnv(`http://127.0.0.1:${refused}`));
        try {
            expect(await health.exited).to.equal(1);
            expect(health.output()).to.match(
                new RegExp(`^FAIL  table users +DynamoDB DescribeTable slack-clone-users-qa at http://127\\.0\\.0\\.1:${stalled.port}: no answer in 400 ms \\(3 attempts\\)$`, "m"),
            );
            expect(health.output()).to.include("health check failed: 12 of 12 checks failed");
        } finally {
            stalled.close();
        }

        expect(await refusedRun.exited).to.equal(1);
        expect(refusedRun.output()).to.include(
            `FAIL  table users                      DynamoDB DescribeTable slack-clone-users-qa at http://127.0.0.1:${refused}: connect ECONNREFUSED 127.0.0.1:${refused} (3 attempts)`,
        );
        expect(refusedRun.output(), "no stack trace").to.not.match(/^\s+at /m);
    });
});

describe("health check: GET {apiUrl}/health tells the backend's answer from the API's own", () => {
    let server: http.Server;
    let url: string;
    let answer: { status: number; body: string } = { status: 200, body: "" };

    before(async () => {
        server = http.createServer((_, response) => response.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/production/`;
    });
    after(() => server.close());

    it("fails with 'backend not deployed' on the API-only answer where a backend is required, and notes it elsewhere", async () => {
        answer = { status: 200, body: JSON.stringify(API_ONLY_HEALTH) };
        let error: Error | undefined;
        await checkApiHealth(url, true).catch((e: Error) => (error = e));
        expect(error?.message).to.match(/^backend not deployed: the API answered \/health itself/);
        expect(await checkApiHealth(url, false)).to.match(/^note: backend not deployed/);
    });

    it("passes on the backend's own answer and fails on an error, with its status", async () => {
        answer = { status: 200, body: JSON.stringify({ status: "ok", version: "1.0.0" }) };
        expect(await checkApiHealth(url, true)).to.equal("backend answered 200");
        answer = { status: 503, body: '{"message":"Service Unavailable"}' };
        let error: Error | undefined;
        await checkApiHealth(url, false).catch((e: Error) => (error = e));
        expect(error?.message).to.equal(`${url.replace(/\/$/, "")}/health answered 503: {"message":"Service Unavailable"}`);
    });
});

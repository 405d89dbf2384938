import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import { freePort } from "../local/stand-ins";
import { listening, run, tsx } from "./helpers/process";

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

    it("stops within its bound while a client holds connections open to the stand-ins (a running backend's keep-alive)", async () => {
        const ports = await Promise.all([freePort(), freePort(), freePort()]);
        const start = run(...tsx("local/start.ts", ...portArgs(ports)));
        await start.until("Running;");
        const held = ports.slice(0, 2).map((port) => net.connect(port, "127.0.0.1").on("error", () => undefined));
        await Promise.all(held.map((socket) => new Promise((resolve) => socket.once("connect", resolve))));
        const stopped = Date.now();
        start.child.kill("SIGTERM");
        try {
            expect(await start.exited).to.equal(0);
            expect(Date.now() - stopped).to.be.below(8000);
            expect(start.output().trim().split("\n").pop()).to.equal("Stopped DynamoDB, S3 and Redis; removed .env.local and .local/outputs.json.");
        } finally {
            held.forEach((socket) => socket.destroy());
        }
    });

    it("exits with every stand-in when npm itself is killed (kill -9: no signal reaches it)", async () => {
        const ports = await Promise.all([freePort(), freePort(), freePort()]);
        const npm = run("npm", ["start", "--", ...portArgs(ports)]);
        await npm.until("Running;");
        npm.child.kill("SIGKILL");
        const free = async () => !(await Promise.all(ports.map(listening))).some(Boolean) && !fs.existsSync(".local/start.lock");
        for (let waited = 0; !(await free()) && waited < 10000; waited += 200) await new Promise((resolve) => setTimeout(resolve, 200));
        expect(await Promise.all(ports.map(listening)), "all three ports freed").to.deep.equal([false, false, false]);
        expect(fs.existsSync(".local/start.lock"), "lock released").to.equal(false);
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

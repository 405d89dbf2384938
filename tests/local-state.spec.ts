import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import { answers, freePort } from "../local/stand-ins";
import { once } from "events";
import {
    Claim,
    ENV_FILE,
    ENV_FILE_MARK,
    LOCAL_AWS_VARIABLES,
    LOCK_FILE,
    Lock,
    START_PID_VARIABLE,
    checkEnvFileIsOurs,
    checkNothingInTheWay,
    claimLock,
    groupRunning,
    groupStartedBy,
    isRedisOnPort,
    inLocalRoot,
    localRootProblem,
    makeStateDir,
    readLocalEnvironment,
    readLock,
    runs,
    shown,
    writeLock,
} from "../local/state";
import { main as start } from "../local/start";
import { outputValueProblems } from "../deploy/stack-outputs";
// The module object itself, whose functions every importer's namespace reads through.
import nodeFs = require("fs");

const ports = { dynamodb: 4567, s3: 4568, redis: 6380 };
const FIRST = 101;
const SECOND = 102;
/** The lock of a start that was killed: its pid runs no start any more. */
const DEAD: Lock = { pid: 103, ports, redisPid: 104 };
/** The two contenders run; DEAD does not. */
const running = (pid: number) => pid === FIRST || pid === SECOND;

/**
 * Runs `first` and, right after its `step`-th file operation on the lock (or a file next to it),
 * the whole of `second` (after `first`, if it made fewer): every way a second start can slip in. `fs` calls made inside another fs
 * call (writeFileSync opens the file with fs.openSync) count as part of it. Returns how many
 * operations `first` made, so a caller knows when it has tried every step.
 */
function interleave(lockFile: string, step: number, first: () => void, second: () => void): number {
    const fsModule = nodeFs as unknown as Record<string, unknown>;
    const originals = Object.entries(fsModule).filter(([name, value]) => name.endsWith("Sync") && typeof value === "function") as [string, (...a: unknown[]) => unknown][];
    let operations = 0;
    let depth = 0;
    let secondRan = false;
    for (const [name, original] of originals) {
        fsModule[name] = (...args: unknown[]) => {
            depth++;
            try {
                return original(...args);
            } finally {
                depth--;
                const onLock = args.some((a) => typeof a === "string" && a.startsWith(lockFile));
                if (depth === 0 && onLock && !secondRan && ++operations === step) {
                    secondRan = true;
                    second();
                }
            }
        };
    }
    try {
        first();
    } finally {
        for (const [name, original] of originals) fsModule[name] = original;
    }
    if (!secondRan) second(); // one after the other
    return operations;
}

describe("the npm start lock (local/state.ts)", () => {
    let dir: string;
    let lockFile: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "lock-"));
        lockFile = path.join(dir, "start.lock");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    for (const before of ["no lock", "the lock of a killed start"] as const) {
        it(`lets exactly one of two starts that claim it at once win, with ${before}: the other is told which start holds it`, () => {
            for (let step = 1; ; step++) {
                fs.rmSync(dir, { recursive: true, force: true });
                fs.mkdirSync(dir);
                if (before !== "no lock") writeLock(DEAD, lockFile);
                const claims: Record<number, Claim> = {};
                const claim = (pid: number) => () => (claims[pid] = claimLock({ pid, ports }, lockFile, running));
                const operations = interleave(lockFile, step, claim(FIRST), claim(SECOND));
                const at = `second start after step ${step} of the first`;
                const winners = [FIRST, SECOND].filter((pid) => claims[pid]?.holder === undefined);
                expect(winners, at).to.have.lengthOf(1);
                const loser = winners[0] === FIRST ? SECOND : FIRST;
                expect(claims[loser].holder?.pid, at).to.equal(winners[0]);
                expect(readLock(lockFile)?.pid, at).to.equal(winners[0]);
                // The killed start's leftovers are cleared once, by whichever start took its lock away.
                const stale = [FIRST, SECOND].map((pid) => claims[pid].stale).filter((lock) => lock !== undefined);
                expect(stale, at).to.deep.equal(before === "no lock" ? [] : [DEAD]);
                expect(fs.readdirSync(dir), `${at}: nothing else left next to the lock`).to.deep.equal(["start.lock"]);
                if (step > operations) break;
            }
        });
    }

    it("is readable by its owner only, as it is written and as it is updated", () => {
        claimLock({ pid: FIRST, ports }, lockFile, running);
        expect(fs.statSync(lockFile).mode & 0o777).to.equal(0o600);
        writeLock({ pid: FIRST, ports, redisPid: 200 }, lockFile);
        expect(fs.statSync(lockFile).mode & 0o777).to.equal(0o600);
        expect(readLock(lockFile)?.redisPid).to.equal(200);
    });
});

describe("the state folder (local/state.ts)", () => {
    it("is made when missing, kept when there, and a file in its place is named instead of a bare EEXIST or ENOTDIR", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "state-dir-"));
        const dir = path.join(root, ".local");
        makeStateDir(dir);
        makeStateDir(dir);
        expect(fs.statSync(dir).isDirectory()).to.equal(true);
        const file = path.join(root, "file");
        fs.writeFileSync(file, "");
        for (const blocked of [file, path.join(file, ".local")]) {
            expect(() => makeStateDir(blocked)).to.throw(`${blocked}: a file is in the way of that folder (`);
        }
    });

    it("is refused, naming SLACK_CLONE_LOCAL_ROOT, its value and the fix, where that variable is only white space, a file, below a file, or not writable", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "state-root-"));
        const file = path.join(root, "afile");
        fs.writeFileSync(file, "");
        const fix = "Fix: set SLACK_CLONE_LOCAL_ROOT to a folder you can write (made if missing), or unset it to use the checkout";
        expect(localRootProblem(undefined, true)).to.equal(undefined);
        expect(localRootProblem("", true)).to.equal(undefined);
        expect(localRootProblem("   ", false)).to.equal('SLACK_CLONE_LOCAL_ROOT="   " is only white space: set SLACK_CLONE_LOCAL_ROOT to a folder you can write (made if missing), or unset it to use the checkout');
        expect(localRootProblem(file, false)).to.equal(`SLACK_CLONE_LOCAL_ROOT="${file}": ${file} is a file, not a folder; npm start keeps .env.local and .local/ there. ${fix}`);
        const below = path.join(file, "sub", "dir");
        expect(localRootProblem(below, false)).to.equal(`SLACK_CLONE_LOCAL_ROOT="${below}": ${below} cannot be a folder: ${file} is a file; npm start keeps .env.local and .local/ there. ${fix}`);
        // A read-only folder (this test may run as root, whom no mode stops): what access(2) answers there.
        const denied = (dir: string) => {
            throw Object.assign(new Error(`EACCES: permission denied, access '${dir}'`), { code: "EACCES" });
        };
        expect(localRootProblem(root, true, denied)).to.equal(`SLACK_CLONE_LOCAL_ROOT="${root}": ${root} cannot be written (EACCES); npm start keeps .env.local and .local/ there. ${fix}`);
        const missing = path.join(root, "new", "state");
        expect(localRootProblem(missing, true, denied)).to.equal(`SLACK_CLONE_LOCAL_ROOT="${missing}": ${missing} (to be made in ${root}) cannot be written (EACCES); npm start keeps .env.local and .local/ there. ${fix}`);
        // Only a start writes: the --local readers take a folder they could not write.
        expect(localRootProblem(root, false, denied)).to.equal(undefined);
        expect(localRootProblem(missing, true)).to.equal(undefined);
        expect(fs.existsSync(path.join(root, "new"))).to.equal(false);
    });

    it("names SLACK_CLONE_LOCAL_ROOT, its value and the fix for every file-system error, not a bare ENOENT or ENAMETOOLONG: a symbolic link to nothing, a name too long, an error while the files are prepared", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "state-root-"));
        const fix = "npm start keeps .env.local and .local/ there. Fix: set SLACK_CLONE_LOCAL_ROOT to a folder you can write (made if missing), or unset it to use the checkout";
        const dangling = path.join(root, "d");
        fs.symlinkSync(path.join(root, "gone"), dangling);
        for (const writable of [true, false]) {
            expect(localRootProblem(dangling, writable)).to.equal(`SLACK_CLONE_LOCAL_ROOT="${dangling}": ${dangling} is a symbolic link to ${path.join(root, "gone")}, which does not exist; ${fix}`);
            expect(localRootProblem(path.join(dangling, "sub"), writable), "below it").to.include(`: ${dangling} is a symbolic link to `);
        }
        const long = path.join(root, "x".repeat(300));
        for (const writable of [true, false]) {
            expect(localRootProblem(long, writable)).to.equal(`SLACK_CLONE_LOCAL_ROOT="${long}": ${long} cannot be used (ENAMETOOLONG: a name in the path is too long); ${fix}`);
        }
        // What preparing or reading the files throws: mkdir's own error, named.
        const below = path.join(long, ".local");
        expect(() => inLocalRoot(() => makeStateDir(below), long)).to.throw(`SLACK_CLONE_LOCAL_ROOT="${long}": mkdir ${below} failed (ENAMETOOLONG: a name in the path is too long); ${fix}`);
        expect(() => inLocalRoot(() => makeStateDir(below), ""), "unset (empty): as it is").to.throw(/^ENAMETOOLONG/);
        expect(() => inLocalRoot(() => { throw new Error("not the file system's"); }, long)).to.throw(/^not the file system's$/);
    });
});

describe("the files of a running start (local/state.ts)", () => {
    it("are read for --local once the start is ready; before, it says to wait; a file removed (or a folder in its place) while it runs is named, with the restart that writes it again", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "running-"));
        const files = { lock: path.join(dir, "start.lock"), outputs: path.join(dir, "outputs.json"), env: path.join(dir, ".env.local") };
        const read = () => readLocalEnvironment(files, running);
        expect(read, "no lock").to.throw("The local environment is not running: start it with `npm start` in another terminal, then run this again");
        writeLock(DEAD, files.lock);
        expect(read, "a killed start's lock").to.throw("The local environment is not running");
        writeLock({ pid: FIRST, ports }, files.lock);
        expect(read).to.throw(`npm start (pid ${FIRST}) is still starting: run this again once it prints "Running;"`);
        writeLock({ pid: FIRST, ports, ready: true }, files.lock);
        fs.writeFileSync(files.outputs, JSON.stringify({ environment: "development" }));
        const local = Object.fromEntries(LOCAL_AWS_VARIABLES.map((name) => [name, name.startsWith("AWS_ENDPOINT") ? "http://127.0.0.1:4567" : "local"]));
        const envText = (...lines: string[]) => [ENV_FILE_MARK, "ENVIRONMENT=development", ...Object.entries(local).map(([k, v]) => `${k}=${v}`), ...lines].join("\n") + "\n";
        fs.writeFileSync(files.env, envText());
        expect(read()).to.deep.equal({ outputs: { environment: "development" }, env: { ENVIRONMENT: "development", ...local } });
        const restart = "though npm start (pid 101) is running: it wrote that file once it was up, and something has removed or replaced it since. " +
            "Restart it (Ctrl-C in its terminal, then npm start) to write the file again";
        fs.rmSync(files.env);
        expect(read).to.throw(`${files.env} is missing, ${restart}`);
        fs.mkdirSync(files.env);
        expect(read).to.throw(`${files.env} is a folder, ${restart}`);
        fs.rmSync(files.outputs);
        expect(read).to.throw(`${files.outputs} is missing, ${restart}`);
        // Damaged while it runs: named, with the restart, instead of JSON.parse's bare message or a variable lost unseen.
        const rewritten = "though npm start (pid 101) is running: it wrote that file whole once it was up, and something has changed it since. " +
            "Restart it (Ctrl-C in its terminal, then npm start) to write the file again";
        fs.rmdirSync(files.env);
        fs.writeFileSync(files.env, envText());
        fs.writeFileSync(files.outputs, '{"environment":');
        expect(read).to.throw(/^\S+outputs\.json is damaged \((Unexpected end of JSON input|.*JSON.*)\), though npm start/);
        expect(read).to.throw(rewritten);
        fs.writeFileSync(files.outputs, "[]");
        expect(read).to.throw(`${files.outputs} is damaged (not a JSON object), ${rewritten}`);
        // Outputs that do not read as the program's (the seed and health check give outputValueProblems).
        fs.writeFileSync(files.outputs, JSON.stringify({ environment: "production", usersTableName: "slack-clone-users-development" }));
        expect(() => readLocalEnvironment(files, running, outputValueProblems)).to.throw(
            `${files.outputs} is damaged (Stack output "usersTableName" is "slack-clone-users-development"; expected slack-clone-users-production, the users table of production), ${rewritten}`,
        );
        fs.writeFileSync(files.outputs, "{}");
        fs.writeFileSync(files.env, `${ENV_FILE_MARK}\nENVIRONMENT=development\njunk here\n\n`);
        expect(read).to.throw(`${files.env} is damaged (line 3 is not KEY=value: "junk here"), ${rewritten}`);
        // Without the stand-ins' endpoints and key, the AWS SDK would reach AWS with the shell's credentials.
        fs.writeFileSync(files.env, envText().replace(/^AWS_ENDPOINT_URL_DYNAMODB=.*\n/m, "").replace(/^AWS_ACCESS_KEY_ID=.*\n/m, ""));
        expect(read).to.throw(`${files.env} is damaged (no AWS_ENDPOINT_URL_DYNAMODB, AWS_ACCESS_KEY_ID), ${rewritten}`);
    });

    it("must not have a folder in their place: npm start names it and the fix instead of a bare EISDIR, before it starts anything", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "in-the-way-"));
        const file = path.join(dir, "outputs.json");
        expect(() => checkNothingInTheWay(file, "the outputs"), "none yet").to.not.throw();
        fs.writeFileSync(file, "{}");
        expect(() => checkNothingInTheWay(file, "the outputs"), "a file").to.not.throw();
        fs.rmSync(file);
        fs.mkdirSync(file);
        expect(() => checkNothingInTheWay(file, "the outputs")).to.throw(
            `${file}: a folder is in the way of that file; npm start writes the outputs there. Move it away (mv ${file} ${file}.moved) and start again`,
        );
        // npm start itself (in process: it fails before it starts anything), with a folder named .env.local.
        fs.mkdirSync(ENV_FILE, { recursive: true });
        try {
            let error: Error | undefined;
            await start(["--dynamodb-port", "1", "--s3-port", "2", "--redis-port", "3"]).catch((e: Error) => (error = e));
            expect(error?.message).to.equal(
                `${shown(ENV_FILE)}: a folder is in the way of that file; npm start writes the backend's variables there. ` +
                    `Move it away (mv ${shown(ENV_FILE)} ${shown(ENV_FILE)}.moved) and start again`,
            );
            expect(fs.existsSync(LOCK_FILE), "no lock taken").to.equal(false);
        } finally {
            fs.rmdirSync(ENV_FILE);
        }
    });
});

describe("what a killed start left (local/state.ts)", () => {
    it("takes a recorded redis-server pid for the start's only while it serves the recorded port (a reused pid on another port is someone else's)", async () => {
        const port = await freePort();
        const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", ""], { stdio: "ignore" });
        try {
            while (!(await answers(port))) await new Promise((resolve) => setTimeout(resolve, 20));
            expect(isRedisOnPort(redis.pid!, port)).to.equal(true);
            expect(isRedisOnPort(redis.pid!, port + 1)).to.equal(false);
        } finally {
            redis.kill();
        }
    });

    it("never takes a .env.local npm start did not write for its own (it would replace, then remove it)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "env-"));
        const file = path.join(dir, ".env.local");
        expect(() => checkEnvFileIsOurs(file), "none").to.not.throw();
        fs.writeFileSync(file, `${ENV_FILE_MARK}\nENVIRONMENT=development\n`);
        expect(() => checkEnvFileIsOurs(file), "a start's").to.not.throw();
        fs.writeFileSync(file, "MY_OWN_SETTING=keep-me\n");
        expect(() => checkEnvFileIsOurs(file)).to.throw(
            `${file} exists and npm start did not write it: npm start writes the backend's variables there and removes the file when it stops, ` +
                `so yours would be lost. Move it aside (mv ${file} ${file}.mine) and start again`,
        );
    });
});

describe("a killed start's backend (local/state.ts)", () => {
    it("is known by the start's pid in its group's environment, also once the shell that led the group has exited", async () => {
        // The leader exits at once; the member it started in the background lives on in its group.
        const leader = spawn("/bin/sh", ["-c", "sleep 30 >/dev/null & echo $!; exit 0"], { detached: true, stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, [START_PID_VARIABLE]: "4242" } });
        const pgid = leader.pid!;
        let member = "";
        leader.stdout!.on("data", (chunk: Buffer) => (member += chunk.toString()));
        await once(leader, "close");
        try {
            // Until the member has exec'd sleep: mid-exec, its /proc environ reads empty (seen under the load of a full npm test).
            for (let waited = 0; !runs(Number(member), "sleep") && waited < 2000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
            expect(groupRunning(pgid), "the member runs on").to.equal(true);
            expect(groupStartedBy(pgid, 4242), "the dead start's group").to.equal(true);
            expect(groupStartedBy(pgid, 4243), "another start's pid").to.equal(false);
        } finally {
            process.kill(-pgid, "SIGKILL");
        }
    });
});

/**
 * What a running `npm start` leaves on disk, shared by the local environment and the commands that
 * use it (`npm run seed -- --local`, `npm run health -- --local`), in LOCAL_ROOT (the checkout,
 * unless LOCAL_ROOT_VARIABLE names another folder):
 *   .local/start.lock      {pid, ports, redisPid, backend, ready}: who runs, and what to clear if it died
 *   .local/outputs.json    the local environment's stack outputs (development stack's names)
 *   .local/s3/             the S3 stand-in's objects
 *   .env.local             the backend's environment variables, local endpoints included
 * The outputs and .env.local exist only while the environment runs.
 */
import * as fs from "fs";
import * as path from "path";
import { oneLine } from "../deploy/format";
import { PROJECT_ROOT, symbolicLinkTarget } from "../harness/stack-files";

/**
 * The environment variable that moves the folder holding .env.local and .local/ away from the
 * checkout (an absolute path, or one relative to the working directory): a second local environment
 * (the tests' processes, another working copy's tools) then runs beside the checkout's own
 * `npm start`, and the commands reading it (`--local`) must be given the same value. Unset or empty:
 * the checkout. Only white space, a file, or a folder npm start cannot write: refused (localRootProblem).
 */
export const LOCAL_ROOT_VARIABLE = "SLACK_CLONE_LOCAL_ROOT";
const rootSetting = process.env[LOCAL_ROOT_VARIABLE];
/** The folder holding .env.local and .local/, read once when this module loads (see LOCAL_ROOT_VARIABLE). */
export const LOCAL_ROOT = rootSetting !== undefined && rootSetting !== "" ? path.resolve(rootSetting) : PROJECT_ROOT;

/**
 * Why LOCAL_ROOT_VARIABLE's value `setting` cannot hold .env.local and .local/, naming the variable,
 * its value and the fix; undefined when it can (unset or empty: the checkout, not checked here).
 * Refused: only white space (a folder named so in the checkout is never what was meant); a file, or
 * a file in place of one of its parents; and, where `writable`, a folder (or, for a folder still to be
 * made, its nearest existing parent) that `access` (default: fs.accessSync for write and search
 * permission) refuses, e.g. EACCES or EROFS.
 */
export function localRootProblem(
    setting: string | undefined,
    writable: boolean,
    access: (dir: string) => void = (dir) => fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK),
): string | undefined {
    if (setting === undefined || setting === "") return undefined;
    const given = `${LOCAL_ROOT_VARIABLE}=${JSON.stringify(setting)}`;
    if (setting.trim() === "") return `${given} is only white space: ${LOCAL_ROOT_FIX}`;
    const root = path.resolve(setting);
    const problem = (what: string) => `${given}: ${what}; npm start keeps .env.local and .local/ there. Fix: ${LOCAL_ROOT_FIX}`;
    // The folder, or its nearest existing parent: mkdir makes the rest.
    let existing = root;
    for (;;) {
        let stat: fs.Stats | undefined;
        try {
            stat = fs.statSync(existing);
        } catch (error) {
            const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
            if (!["ENOENT", "ENOTDIR"].includes(code)) return problem(`${existing === root ? root : `${root} (below ${existing})`} cannot be used (${errnoText(code)})`);
            // A symbolic link to nothing: mkdir would fail below it with a bare ENOENT.
            const target = symbolicLinkTarget(existing);
            if (target !== undefined) return problem(`${existing} is a symbolic link to ${target}, which does not exist`);
        }
        if (stat !== undefined) {
            if (!stat.isDirectory()) return problem(`${root} ${existing === root ? "is a file, not a folder" : `cannot be a folder: ${existing} is a file`}`);
            break;
        }
        existing = path.dirname(existing);
    }
    if (!writable) return undefined;
    try {
        access(existing);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        const what = existing === root ? root : `${root} (to be made in ${existing})`;
        return problem(`${what} cannot be written (${code})`);
    }
    return undefined;
}

/** What to do about a LOCAL_ROOT_VARIABLE that npm start cannot use. */
const LOCAL_ROOT_FIX = `set ${LOCAL_ROOT_VARIABLE} to a folder you can write (made if missing), or unset it to use the checkout`;

/** "ENAMETOOLONG: a name in the path is too long", or the code alone for a code without a known text. */
function errnoText(code: string): string {
    const texts: Record<string, string> = { ENAMETOOLONG: "a name in the path is too long", ELOOP: "too many symbolic links", EACCES: "permission denied", EROFS: "read-only file system" };
    return texts[code] !== undefined ? `${code}: ${texts[code]}` : code;
}

/** Throws localRootProblem's message for this process's LOCAL_ROOT_VARIABLE, if any. */
function checkLocalRoot(writable: boolean): void {
    const problem = localRootProblem(rootSetting, writable);
    if (problem !== undefined) throw new Error(problem);
}

/**
 * Runs `work` on the files under LOCAL_ROOT; where LOCAL_ROOT_VARIABLE (`setting`, default this
 * process's) is set, a file-system error it throws (one with a code and a syscall: ENOENT, ENAMETOOLONG,
 * ...) becomes one naming the variable, its value and the fix. Other errors, and all without the variable, pass as they are.
 */
export function inLocalRoot<T>(work: () => T, setting: string | undefined = rootSetting): T {
    try {
        return work();
    } catch (error) {
        const e = error as NodeJS.ErrnoException;
        if (setting === undefined || setting === "" || e.code === undefined || e.syscall === undefined) throw error;
        const where = e.path !== undefined ? `${e.syscall} ${shown(e.path)}` : e.syscall;
        throw new Error(
            `${LOCAL_ROOT_VARIABLE}=${JSON.stringify(setting)}: ${where} failed (${errnoText(e.code)}); npm start keeps .env.local and .local/ there. Fix: ${LOCAL_ROOT_FIX}`,
        );
    }
}
export const STATE_DIR = path.join(LOCAL_ROOT, ".local");
export const LOCK_FILE = path.join(STATE_DIR, "start.lock");
export const OUTPUTS_FILE = path.join(STATE_DIR, "outputs.json");
export const ENV_FILE = path.join(LOCAL_ROOT, ".env.local");
/** The objects of npm start's S3 stand-in: emptied by each start, so a killed one leaves them only until the next. */
export const S3_DIR = path.join(STATE_DIR, "s3");

/** `file` as messages name it: relative to the working directory where it lies below it (`.env.local`), absolute otherwise. */
export function shown(file: string): string {
    const relative = path.relative(process.cwd(), file);
    return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

/**
 * Creates `dir` (default .local) unless it exists. Throws naming it when a file holds its name or
 * a parent's (mkdir's bare EEXIST / ENOTDIR otherwise).
 */
export function makeStateDir(dir = STATE_DIR): void {
    try {
        fs.mkdirSync(dir, { recursive: true });
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "EEXIST" && code !== "ENOTDIR") throw error;
        throw new Error(`${shown(dir)}: a file is in the way of that folder (${code}); npm start keeps its lock and outputs there; move the file away and start again`);
    }
}

/**
 * Throws naming `file` when something other than a file holds its name (a folder: reading or
 * replacing it would fail with a bare EISDIR); `holds` says what npm start keeps in it.
 */
export function checkNothingInTheWay(file: string, holds: string): void {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(file);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") return; // none yet (a file in a parent's place is makeStateDir's to name)
        throw error;
    }
    if (stat.isFile()) return;
    const name = shown(file);
    throw new Error(
        `${name}: a ${stat.isDirectory() ? "folder" : "non-file"} is in the way of that file; npm start writes ${holds} there. ` +
            `Move it away (mv ${name} ${name}.moved) and start again`,
    );
}

/**
 * Checks, before a start claims the lock, that it can write its files: LOCAL_ROOT_VARIABLE names a
 * folder it can write (localRootProblem), a .env.local it did not
 * write is never taken (checkEnvFileIsOurs), .local is made (makeStateDir), and no folder holds the
 * name of .env.local, the lock or the outputs (checkNothingInTheWay).
 */
export function prepareStateFiles(): void {
    checkLocalRoot(true);
    inLocalRoot(() => {
        checkNothingInTheWay(ENV_FILE, "the backend's variables");
        checkEnvFileIsOurs();
        makeStateDir();
        checkNothingInTheWay(LOCK_FILE, "its lock");
        checkNothingInTheWay(OUTPUTS_FILE, "the local stack outputs");
    });
}

export interface Lock {
    readonly pid: number;
    readonly ports: { readonly dynamodb: number; readonly s3: number; readonly redis: number; readonly backend?: number };
    /** The redis-server child, once started. */
    readonly redisPid?: number;
    /** The `--backend` command and its process group (led by the shell that runs it), once started. */
    readonly backend?: { readonly pgid: number; readonly command: string };
    /** Set once .env.local and .local/outputs.json are written: before, a missing file means the start is still under way. */
    readonly ready?: boolean;
}

export function isRunning(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM";
    }
}

/**
 * The live members of process group `pgid` (pids). Zombies are left out: they hold no port, and
 * wait for a parent that may never reap them; but a process whose main thread is a zombie while
 * its other threads still exit holds its files (and ports) until they are gone.
 * Undefined without /proc.
 */
function groupMembers(pgid: number): string[] | undefined {
    let pids: string[];
    try {
        pids = fs.readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
    } catch {
        return undefined;
    }
    return pids.filter((pid) => {
        try {
            // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
            const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
            const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            return Number(pgrp) === pgid && (state !== "Z" || fs.readdirSync(`/proc/${pid}/task`).length > 1);
        } catch {
            return false; // gone meanwhile
        }
    });
}

/** Whether process group `pgid` has a live member (see groupMembers); without /proc, whether a signal reaches the group. */
export function groupRunning(pgid: number): boolean {
    const members = groupMembers(pgid);
    return members === undefined ? isRunning(-pgid) : members.length > 0;
}

/** The variable npm start gives its backend command: the start's pid, which marks the backend's whole process group as its. */
export const START_PID_VARIABLE = "SLACK_CLONE_NPM_START_PID";

/**
 * Whether a live member of process group `pgid` carries START_PID_VARIABLE=`startPid` in its
 * environment: the group is that start's backend, even once the shell that led it has exited (a
 * member that ignored SIGTERM outlives it), and not a group whose id was reused by another program.
 * Without /proc: whether a signal reaches the group.
 */
export function groupStartedBy(pgid: number, startPid: number): boolean {
    const members = groupMembers(pgid);
    if (members === undefined) return isRunning(-pgid);
    const mark = `${START_PID_VARIABLE}=${startPid}`;
    return members.some((pid) => {
        try {
            return fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(mark);
        } catch {
            return false;
        }
    });
}

/** The lock file's content, or undefined when there is none (or it is not a lock: written by hand, or damaged). */
export function readLock(file = LOCK_FILE): Lock | undefined {
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as Lock;
    } catch {
        return undefined;
    }
}

/** /proc/<pid>/cmdline names `program`: the recorded pid runs it still, and was not reused by another program. */
export function runs(pid: number, program: string): boolean {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(program);
    } catch {
        return isRunning(pid); // no /proc: trust the pid
    }
}

/**
 * Whether `pid` is the redis-server a start ran on `port`: redis-server names its address in its
 * process title (`redis-server 127.0.0.1:<port>`), so a pid since reused by another redis-server,
 * on another port, is not taken for it.
 */
export const isRedisOnPort = (pid: number, port: number) => runs(pid, `redis-server 127.0.0.1:${port}`);

/** The first line of the .env.local npm start writes: a file without it is someone else's, never replaced or removed. */
export const ENV_FILE_MARK = "# Written by npm start: the local environment's variables; removed when it stops.";

/** Whether npm start wrote `file` (its first line is ENV_FILE_MARK); undefined when there is none. */
export function envFileIsOurs(file = ENV_FILE): boolean | undefined {
    try {
        return fs.readFileSync(file, "utf8").split("\n", 1)[0] === ENV_FILE_MARK;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
    }
}

/** Throws when .env.local exists and npm start did not write it (envFileIsOurs). */
export function checkEnvFileIsOurs(file = ENV_FILE): void {
    if (envFileIsOurs(file) === false) {
        const name = shown(file);
        throw new Error(
            `${name} exists and npm start did not write it: npm start writes the backend's variables there and removes ` +
                `the file when it stops, so yours would be lost. Move it aside (mv ${name} ${name}.mine) and start again`,
        );
    }
}

/** Whether `pid` is a running `npm start`. */
const isStart = (pid: number) => isRunning(pid) && runs(pid, "local/start");

/**
 * A claim of the lock: `holder` is the running start that holds it (the claim lost), or undefined
 * (the claim won); `stale` is the lock of a start that did not stop cleanly, which this claim took
 * away: the claimer stops the processes it left (whether it then won or not: no other start saw it),
 * and removes its files only if it won (they are the winner's otherwise).
 */
export interface Claim {
    readonly holder?: Lock;
    readonly stale?: Lock;
}

/**
 * Claims `file` for `lock.pid`, atomically: of starts that claim it at once, exactly one wins.
 * The lock is created only where there is none (a hard link of a file written in full, so no start
 * ever reads it empty); a lock whose pid runs no start (`running`) is stale, and is taken away by
 * renaming it, which only one start can do. A lock renamed away that turns out to be a running
 * start's (it replaced the stale one meanwhile) is put back.
 */
export function claimLock(lock: Lock, file = LOCK_FILE, running: (pid: number) => boolean = isStart): Claim {
    let stale: Lock | undefined;
    for (;;) {
        if (createExclusive(file, lock)) return { stale };
        const held = readLock(file);
        if (held !== undefined && held.pid !== lock.pid && running(held.pid)) return { holder: held, stale };
        const aside = `${file}.${lock.pid}.stale`;
        try {
            fs.renameSync(file, aside);
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") continue; // another start took it away first
            throw error;
        }
        const taken = readLock(aside);
        if (taken !== undefined && taken.pid !== lock.pid && running(taken.pid)) {
            linkUnlessExists(aside, file); // put back, unless its start has written it anew meanwhile
        } else {
            stale = taken ?? stale;
        }
        fs.rmSync(aside, { force: true });
    }
}

/** Creates `file` holding `lock` unless it exists (true if it did): written in full first, then linked. */
function createExclusive(file: string, lock: Lock): boolean {
    const temp = `${file}.${lock.pid}.new`;
    writeNewFile(temp, JSON.stringify(lock));
    try {
        return linkUnlessExists(temp, file);
    } finally {
        fs.rmSync(temp, { force: true });
    }
}

/** Links `existing` to `file` unless `file` exists: true if it did. */
function linkUnlessExists(existing: string, file: string): boolean {
    try {
        fs.linkSync(existing, file);
        return true;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw error;
    }
}

/** Removes the lock, and its folder (.local) when nothing else is left in it: a stopped start leaves no trace. */
export function releaseLock(file = LOCK_FILE): void {
    fs.rmSync(file, { force: true });
    try {
        fs.rmdirSync(path.dirname(file));
    } catch (error) {
        if (!["ENOTEMPTY", "EEXIST", "ENOENT"].includes((error as NodeJS.ErrnoException).code ?? "")) throw error;
    }
}

/** Replaces the lock's content (a start records its redis-server and backend as they start). */
export function writeLock(lock: Lock, file = LOCK_FILE): void {
    writePrivateFile(file, JSON.stringify(lock));
}

/**
 * Writes `text` to `file`, readable and writable by its owner only (mode 600: .env.local holds
 * REDIS_AUTH_TOKEN), replacing it at once: a reader sees the old content or the new, never part of
 * it (the text is written to `<file>.<pid>.new`, then renamed over `file`).
 */
export function writePrivateFile(file: string, text: string): void {
    const temp = `${file}.${process.pid}.new`;
    writeNewFile(temp, text);
    fs.renameSync(temp, file);
}

/** Writes `text` to a new file of mode 600 (a file of that name, left by a killed process, would keep its own mode). */
function writeNewFile(file: string, text: string): void {
    fs.rmSync(file, { force: true });
    fs.writeFileSync(file, text, { mode: 0o600 });
}

/**
 * `KEY=value` lines, as .env.local holds them (blank lines and `#` comments skipped). Throws naming
 * the first other line (its number, 1-based, and its start): its variable would be lost unseen.
 */
export function parseEnvFile(text: string): Record<string, string> {
    const env: Record<string, string> = {};
    text.split("\n").forEach((raw, i) => {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) return;
        const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
        if (match === null) throw new Error(`line ${i + 1} is not KEY=value: ${oneLine(JSON.stringify(line), 60)}`);
        env[match[1]] = match[2];
    });
    return env;
}

/**
 * The running local environment's outputs and variables, for seed and health `--local`.
 * Throws localRootProblem's message for a LOCAL_ROOT_VARIABLE that names no folder; throws, saying how to start it, when no `npm start` is running; saying to wait, while it starts;
 * naming the file and saying to restart it, when .env.local or .local/outputs.json is gone (or
 * unreadable) while it runs, or damaged: outputs that are not a JSON object, a .env.local line that
 * is not KEY=value (parseEnvFile), a .env.local without one of LOCAL_AWS_VARIABLES, outputs in
 * which `outputProblems` finds a problem (the seed and health check give theirs: outputValueProblems).
 */
export function readLocalEnvironment(
    files: { readonly lock: string; readonly outputs: string; readonly env: string } = { lock: LOCK_FILE, outputs: OUTPUTS_FILE, env: ENV_FILE },
    running: (pid: number) => boolean = isStart,
    outputProblems: (outputs: Record<string, unknown>) => readonly string[] = () => [],
): { outputs: Record<string, unknown>; env: Record<string, string> } {
    checkLocalRoot(false);
    const lock = readLock(files.lock);
    if (lock === undefined || !running(lock.pid)) {
        throw new Error("The local environment is not running: start it with `npm start` in another terminal, then run this again");
    }
    if (lock.ready !== true) throw new Error(`npm start (pid ${lock.pid}) is still starting: run this again once it prints "Running;"`);
    // A file the start wrote whole that no longer reads as it wrote it: edited (or damaged) since.
    const parsed = <T>(file: string, parse: (text: string) => T): T => {
        const text = readStateFile(file, lock.pid);
        try {
            return parse(text);
        } catch (error) {
            throw new Error(
                `${shown(file)} is damaged (${(error as Error).message}), though npm start (pid ${lock.pid}) is running: it wrote that file whole once it was up, ` +
                    `and something has changed it since. ${RESTART}`,
            );
        }
    };
    const outputs = parsed(files.outputs, (text) => {
        const value = JSON.parse(text) as unknown;
        if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not a JSON object");
        const problems = outputProblems(value as Record<string, unknown>);
        if (problems.length > 0) throw new Error(problems.join("; "));
        return value as Record<string, unknown>;
    });
    const env = parsed(files.env, (text) => {
        const variables = parseEnvFile(text);
        // Without them, the AWS SDK would reach AWS itself, with whatever credentials the shell has.
        const missing = LOCAL_AWS_VARIABLES.filter((name) => variables[name] === undefined || variables[name] === "");
        if (missing.length > 0) throw new Error(`no ${missing.join(", ")}`);
        return variables;
    });
    return { outputs, env };
}

/** The variables of .env.local that point the AWS SDK at the stand-ins, with their key (local/start.ts sets them). */
export const LOCAL_AWS_VARIABLES = ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] as const;

/** How a --local command's user gets a running start's files written again. */
const RESTART = "Restart it (Ctrl-C in its terminal, then npm start) to write the file again";

/** A file a running start wrote, or an error naming it: removed (or replaced) since, so the start must write it again. */
function readStateFile(file: string, pid: number): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const what = code === "ENOENT" ? "is missing" : code === "EISDIR" ? "is a folder" : `cannot be read (${code})`;
        throw new Error(
            `${shown(file)} ${what}, though npm start (pid ${pid}) is running: it wrote that file once it was up, and something has removed or replaced it since. ${RESTART}`,
        );
    }
}

/**
 * What a running `npm start` leaves on disk, shared by the local environment and the commands that
 * use it (`npm run seed -- --local`, `npm run health -- --local`):
 *   .local/start.lock      {pid, ports, redisPid, backend}: who runs, and what to clear if it died
 *   .local/outputs.json    the local environment's stack outputs (development stack's names)
 *   .env.local             the backend's environment variables, local endpoints included
 * The outputs and .env.local exist only while the environment runs.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../harness/stack-files";

export const STATE_DIR = path.join(PROJECT_ROOT, ".local");
export const LOCK_FILE = path.join(STATE_DIR, "start.lock");
export const OUTPUTS_FILE = path.join(STATE_DIR, "outputs.json");
export const ENV_FILE = path.join(PROJECT_ROOT, ".env.local");

export interface Lock {
    readonly pid: number;
    readonly ports: { readonly dynamodb: number; readonly s3: number; readonly redis: number; readonly backend?: number };
    /** The redis-server child, once started. */
    readonly redisPid?: number;
    /** The `--backend` command and its process group (led by the shell that runs it), once started. */
    readonly backend?: { readonly pgid: number; readonly command: string };
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
 * Whether process group `pgid` has a live member. Zombies are left out: they hold no port, and
 * wait for a parent that may never reap them; but a process whose main thread is a zombie while
 * its other threads still exit holds its files (and ports) until they are gone.
 * Without /proc: whether a signal reaches the group.
 */
export function groupRunning(pgid: number): boolean {
    let pids: string[];
    try {
        pids = fs.readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
    } catch {
        return isRunning(-pgid);
    }
    return pids.some((pid) => {
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

/** The lock file's content, or undefined when there is none (or it is unreadable: a start killed mid-write). */
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

/** Whether `pid` is a running `npm start`. */
const isStart = (pid: number) => isRunning(pid) && runs(pid, "local/start");

/**
 * A claim of the lock: `holder` is the running start that holds it (the claim lost), or undefined
 * (the claim won); `stale` is the lock a start that did not stop cleanly left, whose leftovers the
 * claimer clears.
 */
export interface Claim {
    readonly holder?: Lock;
    readonly stale?: Lock;
}

/** Claims `file` for `lock.pid`: wins unless a running start (`running(pid)`) holds it. */
export function claimLock(lock: Lock, file = LOCK_FILE, running: (pid: number) => boolean = isStart): Claim {
    const held = readLock(file);
    if (held !== undefined && held.pid !== lock.pid && running(held.pid)) return { holder: held };
    writeLock(lock, file);
    return { stale: held };
}

/** Replaces the lock's content (a start records its redis-server and backend as they start). */
export function writeLock(lock: Lock, file = LOCK_FILE): void {
    fs.writeFileSync(file, JSON.stringify(lock));
}

/** `KEY=value` lines, as .env.local holds them. */
export function parseEnvFile(text: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const line of text.split("\n")) {
        const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
        if (match) env[match[1]] = match[2];
    }
    return env;
}

/**
 * The running local environment's outputs and variables, for seed and health `--local`.
 * Throws, saying how to start it, when no `npm start` is running.
 */
export function readLocalEnvironment(): { outputs: Record<string, unknown>; env: Record<string, string> } {
    const lock = readLock();
    if (lock === undefined || !isRunning(lock.pid) || !fs.existsSync(OUTPUTS_FILE) || !fs.existsSync(ENV_FILE)) {
        throw new Error("The local environment is not running: start it with `npm start` in another terminal, then run this again");
    }
    return {
        outputs: JSON.parse(fs.readFileSync(OUTPUTS_FILE, "utf8")) as Record<string, unknown>,
        env: parseEnvFile(fs.readFileSync(ENV_FILE, "utf8")),
    };
}

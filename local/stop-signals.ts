/**
 * The signals that stop `npm start`: Ctrl-C (SIGINT), Ctrl-\ (SIGQUIT), an editor's stop button or a
 * process manager (SIGTERM), a closed terminal (SIGHUP).
 * local/start.ts imports this module before any other, so that, run as npm start, such a signal ends
 * it as a stop does (exit code 0) from here on, also while the rest of its modules load and before
 * main() takes the signals over (takeStopSignals); only while Node and tsx load does a signal's
 * default action apply (exit code 128 + its number). Imported by anything else (a test), it installs nothing.
 */
import * as path from "path";

export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;

/** Before main() runs nothing has started: a stop has nothing to stop. */
let handle: (signal: NodeJS.Signals) => void = (signal) => {
    process.stdout.write(`\nStopping (${signal})…\nStopped nothing.\n`);
    process.exit(0);
};
let installed = false;
/**
 * One listener per signal, for good: a signal that arrives while modules load (synchronously) is
 * delivered once the event loop runs, to the handler of that moment; a listener removed meanwhile drops it.
 */
function install(): void {
    if (installed) return;
    installed = true;
    for (const signal of STOP_SIGNALS) process.on(signal, (s) => handle(s));
}
const entry = process.argv[1];
if (entry !== undefined && path.resolve(entry) === path.join(__dirname, "start.ts")) install();

/** Hands STOP_SIGNALS to `handler` from now on, in place of the stop at once of the time before. */
export function takeStopSignals(handler: (signal: NodeJS.Signals) => void): void {
    install();
    handle = handler;
}

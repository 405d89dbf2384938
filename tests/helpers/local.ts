/**
 * One local environment (dynalite, s3rver, redis-server, tables, seed) for the whole mocha run,
 * started on free ports when a spec first asks for it and stopped after the last test.
 */
import { LocalEnvironment, startLocal } from "../../local/start";

/** Every line the local environment has logged, from its start. */
export const localLog: string[] = [];

let started: Promise<LocalEnvironment> | undefined;

export function localEnvironment(): Promise<LocalEnvironment> {
    started ??= startLocal({ dynamodb: 0, s3: 0, redis: 0 }, (line) => localLog.push(line));
    return started;
}

// A root hook: runs once, after every spec file.
after(async () => {
    await (await started)?.stop();
});

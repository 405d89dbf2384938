/**
 * Evaluations of the real program for each stack, shared by every spec file: each stack is
 * evaluated once per test run, one after another (the SDK's runtime state is global).
 */
import { EvaluateOptions, Evaluation, evaluateStack } from "../../tools/mock-engine";
import { listStacks, readStackConfig } from "../../tools/stack-files";

export const STACKS = listStacks();

const cache = new Map<string, Promise<Evaluation>>();
let queue: Promise<unknown> = Promise.resolve();

/** Evaluations run strictly one at a time. */
export function serially<T>(work: () => Promise<T>): Promise<T> {
    const result = queue.then(work);
    queue = result.catch(() => undefined);
    return result;
}

/** The stack's evaluation with its committed config (memoized). */
export function stackEvaluation(stack: string): Promise<Evaluation> {
    let evaluation = cache.get(stack);
    if (evaluation === undefined) {
        evaluation = serially(() => evaluateStack(stack));
        cache.set(stack, evaluation);
    }
    return evaluation;
}

/** A fresh evaluation with config or mock overrides (not memoized). */
export function evaluateWith(stack: string, options: EvaluateOptions): Promise<Evaluation> {
    return serially(() => evaluateStack(stack, options));
}

/**
 * A stack's config as `validateConfig` takes it (project keys without their namespace, and
 * `aws:region`), with overrides keyed `namespace:key` as in `EvaluateOptions.config`.
 */
export function rawConfig(stack: string, overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...readStackConfig(stack), ...overrides })) {
        raw[key.startsWith("slack-clone:") ? key.slice("slack-clone:".length) : key] = value;
    }
    return raw;
}

/**
 * Evaluations of the real program for each stack, shared by every spec file: each stack is
 * evaluated once per test run, one after another (the SDK's runtime state is global).
 */
import { EvaluateOptions, Evaluation, evaluateStack } from "../../harness/mock-engine";
import { listStacks } from "../../harness/stack-files";

export { rawConfig } from "../../harness/stack-files";

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

/** A test's changes to this process's environment, undone afterwards. */

/**
 * Runs `work` with `process.env` as `change` leaves it (it may set and delete variables), then puts
 * the environment back as it was: variables added are removed, changed or deleted ones restored.
 */
export async function withEnvironment<T>(change: (env: NodeJS.ProcessEnv) => void, work: () => Promise<T>): Promise<T> {
    const saved = { ...process.env };
    change(process.env);
    try {
        return await work();
    } finally {
        for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
        Object.assign(process.env, saved);
    }
}

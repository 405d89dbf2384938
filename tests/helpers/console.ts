/** A command's `main` run in this process, its console.log output captured instead of printed. */

/** What `work` printed with console.log (lines joined with "\n"), and the error it threw, if any. */
export async function captureLog(work: () => Promise<unknown>): Promise<{ printed: string; error?: Error }> {
    const lines: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => lines.push(args.join(" "));
    try {
        await work();
        return { printed: lines.join("\n") };
    } catch (error) {
        return { printed: lines.join("\n"), error: error as Error };
    } finally {
        console.log = log;
    }
}

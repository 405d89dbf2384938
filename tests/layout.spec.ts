/**
 * The specs mirror the source: the promises of `<folder>/<name>.ts` are in `tests/<name>.spec.ts`,
 * or `tests/<folder>-<name>.spec.ts` where the name alone says little, or where SPEC_OF says.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../harness/stack-files";

/** Source folders whose files make promises of their own. */
const SOURCE_DIRS = ["components", "functions", "deploy", "dev", "local", "policy"];

/** Sources whose spec the naming rule cannot find. */
const SPEC_OF: Readonly<Record<string, string>> = {
    // Pure definitions, tested where they are turned into the dashboard and alarms.
    "components/metrics.ts": "observability.spec.ts",
    // The transformation that applies naming.ts's rules, tested with them.
    "components/name-check.ts": "naming.spec.ts",
    "functions/thumbnail/keys.ts": "thumbnail-handler.spec.ts",
    // Exercised by every command that reaches AWS: the seed's and the health check's bounds.
    "deploy/aws-clients.ts": "health.spec.ts",
    "deploy/format.ts": "start.spec.ts",
    "local/stand-ins.ts": "start.spec.ts",
    "local/state.ts": "start.spec.ts",
    "local/stop-signals.ts": "start.spec.ts",
    "policy/index.ts": "policy-pack.spec.ts",
};

function sources(dir: string): string[] {
    return fs.readdirSync(path.join(PROJECT_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
        const file = path.posix.join(dir, entry.name);
        if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sources(file);
        return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [file] : [];
    });
}

describe("tests layout", () => {
    it("has a spec named after every source file", () => {
        const specs = new Set(fs.readdirSync(path.join(PROJECT_ROOT, "tests")).filter((f) => f.endsWith(".spec.ts")));
        const missing = SOURCE_DIRS.flatMap(sources).filter((file) => {
            const base = path.posix.basename(file, ".ts");
            const folder = path.posix.basename(path.posix.dirname(file));
            return ![SPEC_OF[file], `${base}.spec.ts`, `${folder}-${base}.spec.ts`].some((spec) => spec !== undefined && specs.has(spec));
        });
        expect(missing, "add tests/<name>.spec.ts (or list the file in SPEC_OF)").to.deep.equal([]);
    });

    it("the README's layout names every folder of the tree, two levels deep", () => {
        const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
        const layout = /## Layout\n+```\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
        const ignored = new Set(["node_modules", ".git", ".local", ".scratch"]);
        const folders = (dir: string, depth: number): string[] =>
            fs.readdirSync(path.join(PROJECT_ROOT, dir), { withFileTypes: true })
                .filter((entry) => entry.isDirectory() && !ignored.has(entry.name))
                .flatMap((entry) => {
                    const folder = path.posix.join(dir, entry.name);
                    return depth > 1 ? [folder, ...folders(folder, depth - 1)] : [folder];
                });
        expect(folders("", 2).filter((folder) => !layout.includes(`${folder}/`)), "README.md, ## Layout").to.deep.equal([]);
    });
});

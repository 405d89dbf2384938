/**
 * Reads a stack's config from Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI does:
 * the project's declared defaults, overlaid by the stack file's values, as the strings the
 * program's `pulumi.Config` sees. Used by the offline plan, the tests and the benchmark.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export const PROJECT_ROOT = path.resolve(__dirname, "..");

interface ProjectConfigDeclaration {
    readonly type?: string;
    readonly description?: string;
    readonly default?: unknown;
}

export interface ProjectFile {
    readonly name: string;
    readonly config: Readonly<Record<string, ProjectConfigDeclaration>>;
}

export function readProject(root = PROJECT_ROOT): ProjectFile {
    return parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as ProjectFile;
}

/** The stacks that have a Pulumi.<stack>.yaml. */
export function listStacks(root = PROJECT_ROOT): string[] {
    return fs
        .readdirSync(root)
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((stack): stack is string => stack !== undefined)
        .sort();
}

/** A config value as the CLI hands it to the program: scalars as strings, lists and maps as JSON. */
function asConfigString(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * The full config of a stack, keyed `namespace:key` (e.g. `slack-clone:environment`, `aws:region`).
 * Throws, naming the file and the key, on an unknown stack or an undeclared project key.
 */
export function readStackConfig(stack: string, root = PROJECT_ROOT): Record<string, string> {
    const project = readProject(root);
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        throw new Error(`Unknown stack "${stack}": no Pulumi.${stack}.yaml. Stacks: ${listStacks(root).join(", ")}`);
    }
    const config: Record<string, string> = {};
    for (const [key, declaration] of Object.entries(project.config)) {
        if (declaration.default !== undefined) config[`${project.name}:${key}`] = asConfigString(declaration.default);
    }
    const stackFile = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    for (const [key, value] of Object.entries(stackFile.config ?? {})) {
        const [namespace, name] = key.includes(":") ? key.split(":", 2) : [project.name, key];
        if (namespace === project.name && !(name in project.config)) {
            throw new Error(
                `Pulumi.${stack}.yaml: "${key}" is not a key of this project. Keys: ${Object.keys(project.config).join(", ")}`,
            );
        }
        config[`${namespace}:${name}`] = asConfigString(value);
    }
    return config;
}

/**
 * A stack's config as `validateConfig` takes it (project keys without their namespace, and
 * `aws:region`), with overrides keyed `namespace:key` as in `EvaluateOptions.config`.
 */
export function rawConfig(stack: string, overrides: Readonly<Record<string, string>> = {}, root = PROJECT_ROOT): Record<string, string> {
    const prefix = `${readProject(root).name}:`;
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...readStackConfig(stack, root), ...overrides })) {
        raw[key.startsWith(prefix) ? key.slice(prefix.length) : key] = value;
    }
    return raw;
}

/**
 * Reads a stack's config from Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI does:
 * the project's declared defaults, overlaid by the stack file's values, as the strings the
 * program's `pulumi.Config` sees. Used by the offline plan, the tests and the benchmark.
 */
import * as fs from "fs";
import * as path from "path";
import type * as awsConfig from "@pulumi/aws/config/vars";
import { Document, Pair, YAMLMap, isMap, isScalar, parseDocument } from "yaml";
import { AWS_STATIC_CREDENTIAL_KEYS, RawConfig, configProblems, staticCredentialProblem, suggestion } from "../components/config";
import { ENVIRONMENTS } from "../components/naming";

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

/**
 * The types a project config key may declare, and the attributes of a declaration: Pulumi's project
 * file schema (pulumi/pulumi sdk/go/common/workspace/project.json, `simpleConfigType` and
 * `configTypeDeclaration`, which also requires `items` of an `array`), which the CLI enforces.
 */
const CONFIG_TYPES = ["string", "integer", "boolean", "array"] as const;
const DECLARATION_KEYS = ["type", "items", "description", "secret", "default"];

/** Whether `value`, as YAML read it, is of the declared `type`. */
function isOfType(value: unknown, type: (typeof CONFIG_TYPES)[number]): boolean {
    return type === "array" ? Array.isArray(value) : type === "integer" ? Number.isInteger(value) : typeof value === type;
}

/**
 * Pulumi.yaml, its `config:` declarations checked as the CLI checks them: a known type (else the
 * closest is suggested), `items` for an array, no attribute the schema lacks, and a default of the
 * declared type. Throws one error naming Pulumi.yaml and listing every problem.
 */
export function readProject(root = PROJECT_ROOT): ProjectFile {
    const project = readYaml(path.join(root, "Pulumi.yaml")).document.toJS() as ProjectFile;
    const problems: string[] = [];
    for (const [key, declaration] of Object.entries(project.config ?? {})) {
        if (declaration === null || typeof declaration !== "object" || Array.isArray(declaration)) continue; // `key: value`, a default alone
        const { type, default: fallback } = declaration;
        for (const attribute of Object.keys(declaration).filter((a) => !DECLARATION_KEYS.includes(a))) {
            problems.push(`config key ${key}: "${attribute}" is not an attribute of a config declaration (${DECLARATION_KEYS.join(", ")})${suggestion(attribute, DECLARATION_KEYS)}`);
        }
        if (type !== undefined && !(CONFIG_TYPES as readonly string[]).includes(type)) {
            problems.push(`config key ${key}: type ${JSON.stringify(type)} is not a config type (${CONFIG_TYPES.join(", ")})${suggestion(String(type), CONFIG_TYPES)}`);
        } else if (type === "array" && !("items" in declaration)) {
            problems.push(`config key ${key}: type array needs \`items:\` (e.g. items: {type: string})`);
        } else if (type !== undefined && fallback !== undefined && !isOfType(fallback, type as (typeof CONFIG_TYPES)[number])) {
            problems.push(`config key ${key}: default ${JSON.stringify(fallback)} is not of its type, ${type}`);
        }
    }
    if (problems.length > 0) throw new Error(`Pulumi.yaml:\n  - ${problems.join("\n  - ")}`);
    return project;
}

/** The last parse of each file read, reused while its text is unchanged (the tests read the same files thousands of times). */
const parsed = new Map<string, { document: Document; text: string }>();

/**
 * A YAML file's document and text; a syntax error names the file (the parser's message has line,
 * column and caret). The document is shared between calls that read the same text: read it, never
 * change it.
 */
function readYaml(file: string): { document: Document; text: string } {
    const text = readProjectFile(file);
    const last = parsed.get(file);
    if (last?.text === text) return last;
    const document = parseDocument(text, { prettyErrors: true });
    if (document.errors.length > 0) throw new Error(`${path.basename(file)}: ${document.errors[0].message}`);
    parsed.set(file, { document, text });
    return { document, text };
}

/**
 * The text of a file of the project (Pulumi.yaml, Pulumi.<stack>.yaml, README.md), UTF-8. Throws an
 * error naming the file, what is wrong and the fix where reading it fails with a bare one: a
 * directory in its place (EISDIR), a symbolic link to nothing (ENOENT: the link and its target), and
 * for Pulumi.yaml and README.md, which git holds, a missing file (git checkout -- <file> restores
 * it). Other errors (EACCES, ...) pass as they are: they name the file.
 */
export function readProjectFile(file: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (error) {
        const name = path.basename(file);
        const restore = `git checkout -- ${name}`;
        const code = (error as NodeJS.ErrnoException).code;
        const target = code === "ENOENT" ? symbolicLinkTarget(file) : undefined;
        if (target !== undefined) {
            throw new Error(`${name} is a symbolic link to ${target}, which does not exist: point it at the file (ln -sfn <file> ${name}) or remove the link (rm ${name})`);
        }
        if (code === "EISDIR") {
            throw new Error(`${name} is a directory, not a file: move the directory away (mv ${name} ${name}.moved), then restore the file (${restore}) or write it anew`);
        }
        if (code === "ENOENT" && ["Pulumi.yaml", "README.md"].includes(name)) {
            throw new Error(`No ${name} in ${path.dirname(file)}: the project's file is missing (${restore} restores it)`);
        }
        throw error;
    }
}

/** The target of the symbolic link `file`, or undefined when it is none (or gone). */
export function symbolicLinkTarget(file: string): string | undefined {
    try {
        return fs.lstatSync(file).isSymbolicLink() ? fs.readlinkSync(file) : undefined;
    } catch {
        return undefined;
    }
}

/**
 * The stacks that have a Pulumi.<stack>.yaml: every entry of that name, whatever it is, so that one
 * which is no readable file (a directory, a symbolic link to nothing) is named by the command that
 * reads it (readProjectFile) rather than silently left out.
 */
export function listStacks(root = PROJECT_ROOT): string[] {
    return fs
        .readdirSync(root)
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((stack): stack is string => stack !== undefined)
        .sort();
}

/** The disaster-recovery rebuild's environment: its stack file exists only during a recovery. */
const REBUILD_ENVIRONMENT = "production-dr";

/**
 * The project's stacks: those whose file is named after an environment, Pulumi.<environment>.yaml
 * (ENVIRONMENTS in components/naming.ts: development, staging, production), sorted. These are what
 * the tests, the schema snapshot, the benchmark and the workflows' checks cover. Left out:
 * Pulumi.production-dr.yaml, which the disaster-recovery runbook makes from production's file during
 * a recovery (docs/disaster-recovery.md; tests/disaster-recovery.spec.ts checks the config it gives),
 * and any other stack file (Pulumi.alice.yaml), a developer's own stack. The commands that take a
 * stack name (preview, diagram, cdn-key) accept those, and messages that list stacks for a user name
 * them (`listStacks`), but nothing iterates them.
 */
export function projectStacks(root = PROJECT_ROOT): string[] {
    return listStacks(root).filter((stack) => stack !== REBUILD_ENVIRONMENT && (ENVIRONMENTS as readonly string[]).includes(stack));
}

/** A config value as the CLI hands it to the program: scalars as strings, lists and maps as JSON. */
function asConfigString(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Config namespaces besides the project's: the providers the program uses that take config
 * (@pulumi/aws; random and awsx take none), and the engine's own `pulumi:` keys.
 */
const PROVIDER_NAMESPACES = ["aws", "pulumi"] as const;
const PULUMI_KEYS = ["disable-default-providers"];

/** The top-level keys of a stack settings file: https://www.pulumi.com/docs/iac/concepts/projects/stack-settings-file/ */
const STACK_FILE_KEYS = ["config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt"];

/**
 * Keys of @pulumi/aws's provider config. Written out because its config/vars module loads the
 * Pulumi SDK (a second for every command that reads a stack file); the type-check holds the list
 * to that module's exports both ways, so a provider upgrade that adds or drops a key fails tsc.
 */
const AWS_CONFIG_KEYS = [
    "accessKey", "allowedAccountIds", "assumeRoleWithWebIdentity", "assumeRoles", "customCaBundle",
    "defaultTags", "ec2MetadataServiceEndpoint", "ec2MetadataServiceEndpointMode", "endpoints",
    "forbiddenAccountIds", "httpProxy", "httpsProxy", "ignoreTags", "insecure", "maxRetries",
    "noProxy", "profile", "region", "retryMode", "s3UsEast1RegionalEndpoint", "s3UsePathStyle",
    "secretKey", "sharedConfigFiles", "sharedCredentialsFiles", "skipCredentialsValidation",
    "skipMetadataApiCheck", "skipRegionValidation", "skipRequestingAccountId", "stsRegion",
    "tagPolicyCompliance", "token", "tokenBucketRateLimiterCapacity", "useDualstackEndpoint",
    "useFipsEndpoint", "userAgents",
] as const satisfies readonly (keyof typeof awsConfig)[];
/** `true` only while AWS_CONFIG_KEYS names every key of config/vars; otherwise tsc names the missing ones. */
export const AWS_CONFIG_KEYS_COMPLETE: [Exclude<keyof typeof awsConfig, (typeof AWS_CONFIG_KEYS)[number]>] extends [never] ? true : Exclude<keyof typeof awsConfig, (typeof AWS_CONFIG_KEYS)[number]> = true;

const AWS_KEYS: readonly string[] = AWS_CONFIG_KEYS;

export interface StackFile {
    /** The full config, keyed `namespace:key`, project defaults included. */
    readonly config: Record<string, string>;
    /** Things an offline evaluation does differently from the CLI (secrets it cannot decrypt). */
    readonly notes: readonly string[];
}

/**
 * The stack name of a stack reference as the CLI takes it: `stack`, `org/stack` or
 * `org/project/stack` (https://www.pulumi.com/docs/iac/concepts/stacks/); the stack's file is
 * Pulumi.<stack>.yaml whichever form names it. Throws when the name breaks the CLI's rule (1 to 100
 * letters, digits, hyphens, underscores or periods: pulumi/pulumi#1381), starts with a hyphen (the
 * CLI would read it as an option where a command passes it on), or the project is another.
 */
export function stackName(reference: string, root = PROJECT_ROOT): string {
    const parts = reference.split("/");
    const stack = parts[parts.length - 1];
    const stacks = `Stacks: ${listStacks(root).join(", ")}`;
    if (parts.length > 3 || parts.slice(0, -1).some((part) => !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(part)) || !/^(?!-)[A-Za-z0-9_.-]{1,100}$/.test(stack)) {
        throw new Error(
            `${JSON.stringify(reference)} is not a stack: <stack>, <org>/<stack> or <org>/<project>/<stack>, a stack name being 1 to 100 letters, digits, hyphens, underscores or periods, not starting with a hyphen. ${stacks}`,
        );
    }
    const project = readProject(root).name;
    if (parts.length === 3 && parts[1] !== project) {
        throw new Error(`${JSON.stringify(reference)} names project "${parts[1]}"; this is project "${project}": use ${parts[0]}/${project}/${stack} or ${stack}`);
    }
    return stack;
}

/**
 * A stack's config as the CLI would give it to the program, checked the way the CLI cannot:
 * every key belongs to this project or to a provider the program uses (else the closest key is
 * suggested); a string key written as an unquoted number is shown as written, with the values
 * allowed where quoting it would not do. A `secure:` value cannot be decrypted without the CLI: the
 * key's default stands in for it, with a note; a static AWS credential is refused whatever its value,
 * as the config validation refuses it in the clear. A file holding only `config:` reads as empty.
 * Throws one error naming the file and listing every problem, the config validation's among them
 * once there is one (a file whose only problems are bad values is left to the evaluation, whose
 * overrides may fix them: checkStackFile refuses those too).
 */
export function readStackFile(reference: string, root = PROJECT_ROOT): StackFile {
    const reading = readStack(reference, root);
    // Bad values are listed with the file's own problems: one round of fixes, not two.
    if (reading.problems.length > 0) throw stackError(reading, valueProblems(reading));
    return { config: reading.config, notes: reading.notes };
}

/**
 * A stack's config checked as a deploy checks it, before any evaluation: readStackFile's checks and
 * the config validation (components/config.ts), in one error naming the file and listing every
 * problem; a bad value that is Pulumi.yaml's default, not the stack file's, is said to be.
 */
export function checkStackFile(reference: string, root = PROJECT_ROOT): StackFile {
    const reading = readStack(reference, root);
    const invalid = valueProblems(reading);
    if (reading.problems.length + invalid.length > 0) throw stackError(reading, invalid);
    return { config: reading.config, notes: reading.notes };
}

/** A stack file as read: its config (defaults included), notes, problems, and which project keys it set or had reported. */
interface StackReading extends StackFile {
    readonly project: string;
    readonly stack: string;
    readonly fileName: string;
    readonly problems: readonly string[];
    /** Project keys (bare) the file sets, and the bare keys its problems already name. */
    readonly set: ReadonlySet<string>;
    readonly reported: ReadonlySet<string>;
    /** The keys Pulumi.yaml declares (bare). */
    readonly declared: readonly string[];
}

function stackError(reading: StackReading, invalid: readonly string[]): Error {
    return new Error(`${reading.fileName}:\n  - ${[...reading.problems, ...invalid].join("\n  - ")}`);
}

/** The config validation's problems with the stack's config, except for keys the file's problems name already; a value that is Pulumi.yaml's default says so. */
function valueProblems(reading: StackReading): string[] {
    const bare = (key: string) => (key.startsWith(`${reading.project}:`) ? key.slice(reading.project.length + 1) : key);
    const raw = Object.fromEntries(Object.entries(reading.config).map(([key, value]) => [bare(key), value]));
    return configProblems(raw as RawConfig, reading.stack)
        .map((line) => ({ line, key: line.slice(0, line.indexOf(":", line.startsWith("aws:") ? 4 : 0)) }))
        .filter(({ key }) => !reading.reported.has(key))
        .map(({ line, key }) => {
            const fromDefault = reading.declared.includes(key) && !reading.set.has(key) && `${reading.project}:${key}` in reading.config;
            return fromDefault ? `${line} (the value is Pulumi.yaml's default; ${reading.fileName} does not set ${key})` : line;
        });
}

function readStack(reference: string, root: string): StackReading {
    const project = readProject(root);
    const stack = stackName(reference, root);
    const fileName = `Pulumi.${stack}.yaml`;
    const file = path.join(root, fileName);
    if (!fs.existsSync(file) && symbolicLinkTarget(file) === undefined) {
        throw new Error(`Unknown stack "${stack}": no ${fileName}. Stacks: ${listStacks(root).join(", ")}`);
    }
    const config: Record<string, string> = {};
    for (const [key, declaration] of Object.entries(project.config)) {
        if (declaration.default !== undefined) config[`${project.name}:${key}`] = asConfigString(declaration.default);
    }
    const { document, text } = readYaml(file);
    const top = document.contents;
    const given = top === null ? undefined : isMap(top) ? top.get("config", true) : top;
    // `config:` with nothing under it is YAML's null: no keys, as in an empty file.
    const entries = isScalar(given) && given.value === null ? undefined : given;
    if (top !== null && !isMap(top)) throw new Error(`${fileName}: must be a map with a \`config:\` map of key: value; got ${describeNode(top)}`);
    const unknownTop = isMap(top) ? (top.items as Pair[]).map((p) => String(isScalar(p.key) ? p.key.value : p.key)).filter((k) => !STACK_FILE_KEYS.includes(k)) : [];
    if (unknownTop.length > 0) {
        const [key] = unknownTop;
        throw new Error(`${fileName}: "${key}" is not a key of a stack settings file (${STACK_FILE_KEYS.join(", ")})${suggestion(key, STACK_FILE_KEYS)}`);
    }
    if (entries !== undefined && entries !== null && !isMap(entries)) {
        throw new Error(`${fileName}: \`config\` must be a map of key: value (such as \`${project.name}:multiAz: true\`); got ${describeNode(entries)}`);
    }

    const projectKeys = Object.keys(project.config).map((k) => `${project.name}:${k}`);
    const problems: string[] = [];
    const notes: string[] = [];
    /** String keys written as numbers: the key, the text as written, what YAML read. */
    const unquoted: { key: string; name: string; written: string; read: unknown }[] = [];
    const set = new Set<string>();
    const reported = new Set<string>();
    for (const pair of ((entries as YAMLMap | undefined)?.items ?? []) as Pair[]) {
        const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
        const [namespace, name] = key.includes(":") ? [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)] : [project.name, key];
        const full = `${namespace}:${name}`;
        reported.add(namespace === project.name ? name : full); // unless its value is taken, below
        const known =
            namespace === project.name
                ? name in project.config
                : namespace === "aws"
                  ? name === "region" || AWS_KEYS.includes(name)
                  : namespace === "pulumi"
                    ? PULUMI_KEYS.includes(name)
                    : false;
        if (!known) {
            const candidates = [...projectKeys, "aws:region", ...(namespace === "aws" ? AWS_KEYS.map((k) => `aws:${k}`) : [])];
            const why =
                namespace === project.name || (PROVIDER_NAMESPACES as readonly string[]).includes(namespace)
                    ? `is not a key of ${namespace === project.name ? "this project" : `the ${namespace} namespace`}`
                    : `is in namespace "${namespace}", which is neither this project's ("${project.name}") nor a provider's the program uses (${PROVIDER_NAMESPACES.join(", ")})`;
            problems.push(`"${key}" ${why}${suggestion(full, candidates) || `. Keys: ${Object.keys(project.config).join(", ")}`}`);
            continue;
        }
        const value = pair.value as unknown;
        const plain = isScalar(value) ? value.value : (value as { toJSON?: () => unknown })?.toJSON?.() ?? value;
        if (isMap(value) && value.has("secure")) {
            const fallback = config[full];
            const credential = AWS_STATIC_CREDENTIAL_KEYS.find((k) => full === `aws:${k}`);
            if (credential !== undefined) {
                problems.push(staticCredentialProblem(credential, "set (secure: ...)"));
                continue;
            }
            if ((namespace === project.name || full === "aws:region") && fallback === undefined) { // a required key
                problems.push(`"${key}" is a secret (secure: ...), which only the Pulumi CLI can decrypt, and has no default to stand in for it offline`);
            } else {
                notes.push(
                    `${fileName}: "${key}" is a secret (secure: ...), which only the Pulumi CLI can decrypt; this offline evaluation uses ` +
                        (fallback === undefined ? "no value for it" : `its default (${JSON.stringify(fallback)})`) + " instead",
                );
            }
            continue;
        }
        if (isScalar(value) ? value.value === null : value === null) {
            problems.push(`"${key}" has no value; give it one (quote "" for an empty string) or remove the key`);
            continue;
        }
        const declared = namespace === project.name ? project.config[name].type : undefined;
        if (declared === "string" && isScalar(value) && typeof value.value !== "string") {
            const written = value.range ? text.slice(value.range[0], value.range[1]) : String(value.value);
            unquoted.push({ key, name, written, read: value.value });
            continue;
        }
        config[full] = asConfigString(plain);
        reported.delete(namespace === project.name ? name : full);
        if (namespace === project.name) set.add(name);
    }
    for (const { key, name, written, read } of unquoted) {
        const refused = quotedProblem(project.name, config, name, written);
        problems.push(
            `"${key}": ${written} was read as the ${typeof read} ${JSON.stringify(read)}, but the key is a string` +
                (refused === undefined ? `; quote it: "${written}"` : `, and "${written}" is not valid either: ${refused}`),
        );
    }
    return { config, notes, problems, set, reported, project: project.name, stack, fileName, declared: Object.keys(project.config) };
}

/**
 * What the config validation says of project key `name` set to the string `written` in `config`
 * (its problem line from "expected" on), or undefined when it finds no problem with that key.
 */
function quotedProblem(project: string, config: Readonly<Record<string, string>>, name: string, written: string): string | undefined {
    const raw: Record<string, string> = { [name]: written };
    for (const [key, value] of Object.entries(config)) {
        const bare = key.startsWith(`${project}:`) ? key.slice(project.length + 1) : key;
        if (bare !== name) raw[bare] = value;
    }
    const line = configProblems(raw as RawConfig).find((l) => l.startsWith(`${name}: `));
    if (line === undefined) return undefined;
    return line.includes("; expected ") ? line.slice(line.indexOf("; expected ") + 2) : line;
}

function describeNode(node: unknown): string {
    if (isScalar(node)) return `${typeof node.value} ${JSON.stringify(node.value)}`;
    return Array.isArray((node as { items?: unknown }).items) ? "a list" : String(node);
}

/**
 * The full config of a stack, keyed `namespace:key` (e.g. `slack-clone:environment`, `aws:region`).
 * Throws, naming the file and the key, on an unknown stack, an unknown key or namespace, or a
 * value of the wrong YAML type (see `readStackFile`).
 */
export function readStackConfig(stack: string, root = PROJECT_ROOT): Record<string, string> {
    return readStackFile(stack, root).config;
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

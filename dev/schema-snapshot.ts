/**
 * The schema guard's data: the parts of each DynamoDB table that DynamoDB (or Pulumi) can only
 * change by replacing the table, which deletes its data. `tests/schema-snapshot.json` holds the
 * committed snapshot; `tests/schema-snapshot.spec.ts` compares the program against it.
 *
 * `npm run schema:snapshot` rewrites the snapshot from the program: run it only after a reviewed
 * migration (see the guard's message), or to record a new table. It prints every change that
 * would replace or delete a table and writes those only with `--accept-replacements`.
 */
import * as fs from "fs";
import * as path from "path";
import { Evaluation, evaluateNamed, ofType } from "../harness/mock-engine";
import { PROJECT_ROOT, checkStackFile, projectStacks, readProject } from "../harness/stack-files";
import { CommandSpec, readCommandLine, runMain } from "../deploy/command-line";

export const SNAPSHOT_FILE = path.join(PROJECT_ROOT, "tests", "schema-snapshot.json");

export interface TableSchema {
    /** Pulumi type::name::parent; renaming the resource replaces the table. */
    readonly resource: string;
    readonly hashKey: string;
    readonly rangeKey?: string;
    /** Types of the table's own key attributes (S, N or B). */
    readonly keyTypes: Readonly<Record<string, string>>;
}

/** Keyed by the physical name with the environment as `{environment}`. */
export type SchemaSnapshot = Readonly<Record<string, TableSchema>>;

/**
 * The tables of an evaluation, their physical names with the stack's environment (its
 * `environment` config, which a developer's own stack shares with the stack it copies) as `{environment}`.
 */
export function schemaOf(evaluation: Evaluation): SchemaSnapshot {
    const environment = evaluation.config[`${readProject().name}:environment`];
    const snapshot: Record<string, TableSchema> = {};
    for (const table of ofType(evaluation, "aws:dynamodb/table:Table")) {
        const name = String(table.inputs.name).replace(new RegExp(`-${environment}$`), "-{environment}");
        const keys = [table.inputs.hashKey, table.inputs.rangeKey].filter((k): k is string => k !== undefined);
        const types = Object.fromEntries(
            (table.inputs.attributes as { name: string; type: string }[]).filter((a) => keys.includes(a.name)).map((a) => [a.name, a.type]),
        );
        snapshot[name] = {
            resource: `${table.type}::${table.name}::${table.options.parent ?? "stack"}`,
            hashKey: table.inputs.hashKey,
            ...(table.inputs.rangeKey === undefined ? {} : { rangeKey: table.inputs.rangeKey }),
            keyTypes: types,
        };
    }
    return snapshot;
}

const MIGRATE =
    "DynamoDB cannot change this in place and the data would be lost. To migrate: add the new table " +
    "under a new name in components/tables.ts, copy the items (export to S3 and import, or a backfill " +
    "script), switch the backend to the new name, retire the old table in a later change, and only then " +
    "run `npm run schema:snapshot -- --accept-replacements`.";

/** A difference between the snapshot and the program; `replaces`: deploying it would replace or delete the table. */
interface SchemaChange {
    readonly replaces: boolean;
    readonly message: string;
}

/** A table's key schema as a reader writes it: `PK (S) + SK (S)`. */
const keySchema = (s: TableSchema) => [s.hashKey, s.rangeKey].filter((k) => k !== undefined).map((k) => `${k} (${s.keyTypes[k!]})`).join(" + ");

/** What differs for one table between two schemas: `before` or `after` is undefined for a table only in the other. */
interface TableDifference {
    readonly name: string;
    readonly before?: TableSchema;
    readonly after?: TableSchema;
    readonly resource: boolean;
    readonly keys: boolean;
}

/** The tables that differ from `before` to `after`: those of `before` first, in its order, then those only in `after`. */
function tableDifferences(before: SchemaSnapshot, after: SchemaSnapshot): TableDifference[] {
    return [...new Set([...Object.keys(before), ...Object.keys(after)])]
        .map((name) => {
            const [b, a] = [before[name], after[name]];
            const both = a !== undefined && b !== undefined;
            return { name, before: b, after: a, resource: both && a.resource !== b.resource, keys: both && keySchema(a) !== keySchema(b) };
        })
        .filter((d) => d.before === undefined || d.after === undefined || d.resource || d.keys);
}

function changesBetween(snapshot: SchemaSnapshot, current: SchemaSnapshot): SchemaChange[] {
    const changes: SchemaChange[] = [];
    const replacement = (message: string) => changes.push({ replaces: true, message });
    for (const { name, before, after, resource, keys } of tableDifferences(snapshot, current)) {
        if (before === undefined) {
            changes.push({ replaces: false, message: `Table ${name} is new: record its key schema with \`npm run schema:snapshot\` and commit tests/schema-snapshot.json.` });
        } else if (after === undefined) {
            replacement(`Table ${name} would be DELETED: it is no longer in the program. ${MIGRATE}`);
        }
        if (resource) {
            replacement(
                `Table ${name} would be REPLACED: its Pulumi resource changed from ${before!.resource} to ${after!.resource}. ` +
                    `Keep the old identity with the resource option aliases: [{ name, parent }] of the old resource, or ${MIGRATE}`,
            );
        }
        if (keys) replacement(`Table ${name} would be REPLACED: its key schema changed from ${keySchema(before!)} to ${keySchema(after!)}. ${MIGRATE}`);
    }
    return changes;
}

/**
 * Where the stacks' schemas differ from the first stack's, one line per table: the stacks named, and
 * what each has (the table or not, its Pulumi resource, its key schema). Empty when they agree.
 */
function disagreements(schemas: ReadonlyMap<string, SchemaSnapshot>): string[] {
    if (schemas.size === 0) return [];
    const [[first, reference], ...rest] = [...schemas];
    return rest.flatMap(([stack, schema]) =>
        tableDifferences(reference, schema).map(({ name, before, after, resource, keys }) => {
            const has = (what: (s: TableSchema) => string) => `${what(before!)} in ${first}, ${what(after!)} in ${stack}`;
            const what =
                before === undefined ? `only in ${stack}, not in ${first}`
                : after === undefined ? `only in ${first}, not in ${stack}`
                : [resource ? `resource ${has((s) => s.resource)}` : "", keys ? `key schema ${has(keySchema)}` : ""].filter(Boolean).join("; ");
            return `${stack}: table ${name}: ${what}`;
        }),
    );
}

/** Every change from `snapshot` to `current` that would replace or delete a table, and every table the snapshot lacks, as messages. */
export function replacementsBetween(snapshot: SchemaSnapshot, current: SchemaSnapshot): string[] {
    return changesBetween(snapshot, current).map((change) => change.message);
}

export function readSnapshot(file = SNAPSHOT_FILE): SchemaSnapshot {
    return JSON.parse(fs.readFileSync(file, "utf8")) as SchemaSnapshot;
}

const ACCEPT = "accept-replacements";

export const SCHEMA_SNAPSHOT_COMMAND: CommandSpec = {
    name: "npm run schema:snapshot",
    synopsis: `[--${ACCEPT}]`,
    summary:
        "Rewrites tests/schema-snapshot.json from the program's tables (the project's stacks, Pulumi.<environment>.yaml, must agree); run it only after a reviewed migration, or to record a new table. " +
        `It prints every change that would replace or delete a table, and refuses to record those without --${ACCEPT}.`,
    options: {
        [ACCEPT]: { type: "boolean", description: "record changes that would replace or delete a table (only once their data has been migrated)" },
    },
};

export interface SchemaSnapshotOptions {
    /** The snapshot file. @default SNAPSHOT_FILE */
    readonly file?: string;
    /** A stack's evaluation. @default evaluateStack */
    readonly evaluate?: (stack: string) => Promise<Evaluation>;
    /** The project folder whose stacks (`projectStacks`: not a developer's own) are checked and recorded. @default PROJECT_ROOT */
    readonly root?: string;
}

/**
 * Writes the program's table schemas, those of the project's stacks, to the snapshot file. Throws,
 * writing nothing: when a stack's config is bad (checkStackFile's error, naming its file), before any
 * evaluation; when a stack's program fails (`Stack <stack>: ...`); when the stacks disagree (each stack and table named, with what differs); or when a change would
 * replace or delete a table (each one named) and the command line lacks --accept-replacements.
 */
export async function main(argv: readonly string[] = process.argv.slice(2), options: SchemaSnapshotOptions = {}): Promise<void> {
    const line = readCommandLine(SCHEMA_SNAPSHOT_COMMAND, argv);
    if (line === undefined) return;
    const file = options.file ?? SNAPSHOT_FILE;
    const schemas = new Map<string, SchemaSnapshot>();
    const root = options.root ?? PROJECT_ROOT;
    const stacks = projectStacks(root);
    for (const stack of stacks) checkStackFile(stack, root);
    for (const stack of stacks) {
        schemas.set(stack, schemaOf(await evaluateNamed(stack, options.evaluate)));
    }
    const disagreeing = disagreements(schemas);
    if (disagreeing.length > 0) {
        throw new Error(`The stacks disagree on the tables (a table's key schema cannot depend on a stack's config); fix the program first:\n  - ${disagreeing.join("\n  - ")}`);
    }
    const [schema] = schemas.values();
    if (schema === undefined) throw new Error("No stack to read the tables from: the project's stacks are its Pulumi.<environment>.yaml files");
    const shown = path.relative(process.cwd(), file);
    const changes = fs.existsSync(file) ? changesBetween(readSnapshot(file), schema) : [];
    const replacements = changes.filter((change) => change.replaces).map((change) => change.message);
    if (replacements.length > 0 && line.values[ACCEPT] !== true) {
        throw new Error(
            `${replacements.length} change(s) would replace or delete a table; ${shown} is unchanged:\n` +
                replacements.map((message) => `  - ${message}\n`).join("") +
                `Record them only once the data has been migrated as above: npm run schema:snapshot -- --${ACCEPT}`,
        );
    }
    for (const message of replacements) console.log(`Accepted (--${ACCEPT}): ${message.slice(0, message.indexOf(":"))}`);
    for (const change of changes.filter((c) => !c.replaces)) console.log(`Recorded: ${change.message.slice(0, change.message.indexOf(":"))}`);
    fs.writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
    console.log(`Wrote ${shown} (${Object.keys(schema).length} tables)`);
}

if (require.main === module) runMain("schema:snapshot", main);

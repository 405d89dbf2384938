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
import { Evaluation, evaluateStack, ofType } from "../harness/mock-engine";
import { PROJECT_ROOT, listStacks } from "../harness/stack-files";
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

export function schemaOf(evaluation: Evaluation): SchemaSnapshot {
    const snapshot: Record<string, TableSchema> = {};
    for (const table of ofType(evaluation, "aws:dynamodb/table:Table")) {
        const name = String(table.inputs.name).replace(new RegExp(`-${evaluation.stack}$`), "-{environment}");
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

function changesBetween(snapshot: SchemaSnapshot, current: SchemaSnapshot): SchemaChange[] {
    const changes: SchemaChange[] = [];
    const replacement = (message: string) => changes.push({ replaces: true, message });
    for (const [name, before] of Object.entries(snapshot)) {
        const after = current[name];
        if (after === undefined) {
            replacement(`Table ${name} would be DELETED: it is no longer in the program. ${MIGRATE}`);
            continue;
        }
        if (after.resource !== before.resource) {
            replacement(
                `Table ${name} would be REPLACED: its Pulumi resource changed from ${before.resource} to ${after.resource}. ` +
                    `Keep the old identity with the resource option aliases: [{ name, parent }] of the old resource, or ${MIGRATE}`,
            );
        }
        const describe = (s: TableSchema) =>
            [s.hashKey, s.rangeKey].filter((k) => k !== undefined).map((k) => `${k} (${s.keyTypes[k!]})`).join(" + ");
        if (describe(after) !== describe(before)) {
            replacement(`Table ${name} would be REPLACED: its key schema changed from ${describe(before)} to ${describe(after)}. ${MIGRATE}`);
        }
    }
    for (const name of Object.keys(current)) {
        if (!(name in snapshot)) {
            changes.push({ replaces: false, message: `Table ${name} is new: record its key schema with \`npm run schema:snapshot\` and commit tests/schema-snapshot.json.` });
        }
    }
    return changes;
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
        "Rewrites tests/schema-snapshot.json from the program's tables (all stacks must agree); run it only after a reviewed migration, or to record a new table. " +
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
}

/**
 * Writes the program's table schemas to the snapshot file. Throws, writing nothing, when the stacks
 * disagree, or when a change would replace or delete a table (each one named) and the command line
 * lacks --accept-replacements.
 */
export async function main(argv: readonly string[] = process.argv.slice(2), options: SchemaSnapshotOptions = {}): Promise<void> {
    const line = readCommandLine(SCHEMA_SNAPSHOT_COMMAND, argv);
    if (line === undefined) return;
    const file = options.file ?? SNAPSHOT_FILE;
    const evaluate = options.evaluate ?? ((stack: string) => evaluateStack(stack));
    const schemas: SchemaSnapshot[] = [];
    for (const stack of listStacks()) schemas.push(schemaOf(await evaluate(stack)));
    const [first, ...rest] = schemas.map((s) => JSON.stringify(s, null, 2));
    if (rest.some((s) => s !== first)) throw new Error("The stacks disagree on the tables' key schemas; fix the program first.");
    const shown = path.relative(process.cwd(), file);
    const changes = fs.existsSync(file) ? changesBetween(readSnapshot(file), schemas[0]) : [];
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
    fs.writeFileSync(file, `${first}\n`);
    console.log(`Wrote ${shown} (${Object.keys(schemas[0]).length} tables)`);
}

if (require.main === module) runMain("schema:snapshot", main);

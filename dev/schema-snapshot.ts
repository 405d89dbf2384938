/**
 * The schema guard's data: the parts of each DynamoDB table that DynamoDB (or Pulumi) can only
 * change by replacing the table, which deletes its data. `tests/schema-snapshot.json` holds the
 * committed snapshot; `tests/schema-guard.spec.ts` compares the program against it.
 *
 * `npm run schema:snapshot` rewrites the snapshot from the program: run it only after a reviewed
 * migration (see the guard's message), or to record a new table.
 */
import * as fs from "fs";
import * as path from "path";
import { Evaluation, evaluateStack, ofType } from "../harness/mock-engine";
import { PROJECT_ROOT, listStacks } from "../harness/stack-files";
import { CommandSpec, readCommandLine } from "../deploy/command-line";

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
    "run `npm run schema:snapshot`.";

/** Every change from `snapshot` to `current` that would replace or delete a table, as messages. */
export function replacementsBetween(snapshot: SchemaSnapshot, current: SchemaSnapshot): string[] {
    const problems: string[] = [];
    for (const [name, before] of Object.entries(snapshot)) {
        const after = current[name];
        if (after === undefined) {
            problems.push(`Table ${name} would be DELETED: it is no longer in the program. ${MIGRATE}`);
            continue;
        }
        if (after.resource !== before.resource) {
            problems.push(
                `Table ${name} would be REPLACED: its Pulumi resource changed from ${before.resource} to ${after.resource}. ` +
                    `Keep the old identity with the resource option aliases: [{ name, parent }] of the old resource, or ${MIGRATE}`,
            );
        }
        const describe = (s: TableSchema) =>
            [s.hashKey, s.rangeKey].filter((k) => k !== undefined).map((k) => `${k} (${s.keyTypes[k!]})`).join(" + ");
        if (describe(after) !== describe(before)) {
            problems.push(`Table ${name} would be REPLACED: its key schema changed from ${describe(before)} to ${describe(after)}. ${MIGRATE}`);
        }
    }
    for (const name of Object.keys(current)) {
        if (!(name in snapshot)) {
            problems.push(`Table ${name} is new: record its key schema with \`npm run schema:snapshot\` and commit tests/schema-snapshot.json.`);
        }
    }
    return problems;
}

export function readSnapshot(): SchemaSnapshot {
    return JSON.parse(fs.readFileSync(SNAPSHOT_FILE, "utf8")) as SchemaSnapshot;
}

export const SCHEMA_SNAPSHOT_COMMAND: CommandSpec = {
    name: "npm run schema:snapshot",
    synopsis: "",
    summary: "Rewrites tests/schema-snapshot.json from the program's tables (all stacks must agree); run it only after a reviewed migration, or to record a new table.",
    options: {},
};

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
    if (readCommandLine(SCHEMA_SNAPSHOT_COMMAND, argv) === undefined) return;
    const schemas: SchemaSnapshot[] = [];
    for (const stack of listStacks()) schemas.push(schemaOf(await evaluateStack(stack)));
    const [first, ...rest] = schemas.map((s) => JSON.stringify(s, null, 2));
    if (rest.some((s) => s !== first)) throw new Error("The stacks disagree on the tables' key schemas; fix the program first.");
    fs.writeFileSync(SNAPSHOT_FILE, `${first}\n`);
    console.log(`Wrote ${path.relative(process.cwd(), SNAPSHOT_FILE)} (${Object.keys(schemas[0]).length} tables)`);
}

if (require.main === module) {
    main().catch((error: Error) => {
        console.error(`schema:snapshot failed: ${error.message}`);
        process.exit(1);
    });
}

/**
 * Offline plan: `npm run preview -- <stack>`.
 *
 * Evaluates the program for a stack under the SDK's mock engine (config read from Pulumi.yaml and
 * Pulumi.<stack>.yaml as the CLI would) and prints the resources it would create, as a tree by
 * component, then a count per type. No AWS account and no Pulumi CLI needed.
 */
import { Evaluation, RecordedResource, evaluateStack } from "../harness/mock-engine";
import { listStacks } from "../harness/stack-files";

const key = (r: RecordedResource) => `${r.type}::${r.name}`;

/** The input holding a resource's physical name, where it is not `name`. */
const PHYSICAL_NAME_INPUT: Readonly<Record<string, string>> = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:elasticache/replicationGroup:ReplicationGroup": "replicationGroupId",
    "aws:cloudwatch/dashboard:Dashboard": "dashboardName",
};

function describe(r: RecordedResource): string {
    const name: unknown = r.inputs[PHYSICAL_NAME_INPUT[r.type] ?? "name"];
    const physical = typeof name === "string" && name !== r.name ? ` (${name})` : "";
    const flags = [r.options.protect ? "protected" : "", r.options.retainOnDelete ? "retained on delete" : ""].filter(Boolean);
    return `${r.type}  ${r.name}${physical}${flags.length > 0 ? `  [${flags.join(", ")}]` : ""}`;
}

export function renderPlan(evaluation: Evaluation): string {
    const children = new Map<string | undefined, RecordedResource[]>();
    for (const r of evaluation.resources) {
        children.set(r.options.parent, [...(children.get(r.options.parent) ?? []), r]);
    }
    const lines = [`Stack ${evaluation.stack}: ${evaluation.resources.length} resources would be created`, ""];
    const walk = (parent: string | undefined, indent: string) => {
        for (const r of children.get(parent) ?? []) {
            lines.push(`${indent}+ ${describe(r)}`);
            walk(key(r), `${indent}    `);
        }
    };
    walk(undefined, "");

    const counts = new Map<string, number>();
    for (const r of evaluation.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    lines.push("", "Resources by type:");
    for (const [type, count] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
        lines.push(`  ${String(count).padStart(4)}  ${type}`);
    }
    return lines.join("\n");
}

async function main(): Promise<void> {
    const stack = process.argv[2];
    if (stack === undefined || stack.startsWith("-")) {
        throw new Error(`Usage: npm run preview -- <stack>   (stacks: ${listStacks().join(", ")})`);
    }
    console.log(renderPlan(await evaluateStack(stack)));
}

if (require.main === module) {
    main().catch((error: Error) => {
        console.error(`preview failed: ${error.message}`);
        process.exit(1);
    });
}

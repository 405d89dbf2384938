/**
 * Offline plan: `npm run preview -- <stack> [<stack>...]`.
 *
 * Evaluates the program for each stack under the SDK's mock engine (config read from Pulumi.yaml
 * and Pulumi.<stack>.yaml as the CLI would) and prints the resources it would create, as a tree by
 * component, then a count per type. No AWS account and no Pulumi CLI needed. Names that embed an
 * id AWS assigns show `<name id>`; the VPC shows its zones, subnets and NAT gateways.
 */
import { CommandSpec, readCommandLine, runMain } from "../deploy/command-line";
import { Evaluation, RecordedResource, evaluateNamed, mockId, physicalNameOf } from "../harness/mock-engine";
import { PROJECT_ROOT, checkStackFile, listStacks, stackName } from "../harness/stack-files";

/** A mock id (`type::name`) inside a value stands for an id AWS assigns at deploy time: `<name id>`. */
const MOCK_ID = /[a-z0-9-]+:[A-Za-z0-9/]+:[A-Za-z0-9]+::([A-Za-z0-9_.-]+)/g;
const withPlaceholders = (value: string) => value.replace(MOCK_ID, (_, name: string) => `<${name} id>`);

function describe(r: RecordedResource): string {
    const name = physicalNameOf(r);
    const physical = name !== undefined && name !== r.name ? ` (${withPlaceholders(name)})` : "";
    const flags = [r.options.protect ? "protected" : "", r.options.retainOnDelete ? "retained on delete" : ""].filter(Boolean);
    return `${r.type}  ${r.name}${physical}${flags.length > 0 ? `  [${flags.join(", ")}]` : ""}`;
}

/**
 * What an awsx Vpc will create, from its inputs (the mock engine sees none of its children): the
 * costliest difference between stacks. Subnet CIDRs show where the program declares them; awsx
 * chooses them otherwise.
 */
export function vpcLayout(inputs: Record<string, any>): string[] {
    const zones: number = inputs.numberOfAvailabilityZones ?? 3;
    const strategy: string = inputs.natGateways?.strategy ?? "OnePerAz";
    const nats = strategy === "None" ? 0 : strategy === "Single" ? 1 : zones;
    const lines = [`= ${inputs.cidrBlock ?? "awsx's default CIDR"}, ${zones} availability zones, ${nats} NAT gateway${nats === 1 ? "" : "s"} (${strategy})`];
    const specs: Array<{ type: string; cidrBlocks?: string[]; cidrMask?: number; size?: number }> = inputs.subnetSpecs ?? [];
    if (specs.length === 0) {
        lines.push(`= per zone: a private and a public subnet, CIDRs chosen by awsx (${inputs.subnetStrategy ?? "Auto"} strategy)`);
    }
    for (const spec of specs) {
        const cidrs = spec.cidrBlocks ?? [];
        const sized = spec.cidrMask !== undefined ? `/${spec.cidrMask} each` : spec.size !== undefined ? `${spec.size} addresses each` : "CIDRs chosen by awsx";
        lines.push(`= ${spec.type.toLowerCase()} subnets: ${cidrs.length > 0 ? cidrs.map((c, i) => `zone ${i + 1} ${c}`).join(", ") : sized}`);
    }
    return lines;
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
            if (r.type === "awsx:ec2:Vpc") lines.push(...vpcLayout(r.inputs).map((line) => `${indent}    ${line}`));
            walk(mockId(r), `${indent}    `);
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

export const PREVIEW_COMMAND: CommandSpec = {
    name: "npm run preview",
    synopsis: "<stack> [<stack>...]",
    summary:
        "Prints the plan of each stack (a Pulumi.<stack>.yaml) without the Pulumi CLI or an AWS account: the program evaluated " +
        "under the SDK's mock engine with the stack's config, as a tree of resources by component, then a count per type.",
    options: {},
    positionals: true,
};

/** What main needs besides its command line; tests pass a memoized evaluation. */
export interface PreviewOptions {
    /** Evaluates a stack; default: `evaluateStack` (harness/mock-engine.ts). */
    readonly evaluate?: (stack: string) => Promise<Evaluation>;
    /** The project directory whose stack files are checked. @default PROJECT_ROOT */
    readonly root?: string;
}

/**
 * `references` without those that name a stack named before (`development`, then
 * `acme/slack-clone/development`: stackName), each kept in its first spelling, in order. A reference
 * that is not a stack stays, once, for checkStackFile to name.
 */
export function uniqueStacks(references: readonly string[], root = PROJECT_ROOT): string[] {
    const byStack = new Map<string, string>();
    for (const reference of references) {
        let stack: string;
        try {
            stack = stackName(reference, root);
        } catch {
            stack = reference;
        }
        if (!byStack.has(stack)) byStack.set(stack, reference);
    }
    return [...byStack.values()];
}

/**
 * Prints the plan of each stack named in `argv` (each stack once, however often and however spelt: uniqueStacks), one after another. First checks every stack's
 * config (harness/stack-files' checkStackFile: the file and the config validation) and throws, having
 * printed no plan, one error listing every bad stack reference and every bad stack with each of its
 * problems. A stack whose program then fails throws its error, prefixed with the stack's name.
 */
export async function main(argv: readonly string[] = process.argv.slice(2), options: PreviewOptions = {}): Promise<void> {
    const line = readCommandLine(PREVIEW_COMMAND, argv);
    if (line === undefined) return;
    const root = options.root ?? PROJECT_ROOT;
    const stacks = uniqueStacks(line.positionals, root);
    if (stacks.length === 0) throw new Error(`Name at least one stack (${listStacks(root).join(", ")}): npm run preview -- <stack> [<stack>...]`);
    const notes: string[] = [];
    const problems: string[] = [];
    for (const stack of stacks) {
        try {
            notes.push(...checkStackFile(stack, root).notes);
        } catch (error) {
            problems.push((error as Error).message);
        }
    }
    if (problems.length > 0) {
        const header = stacks.length > 1 ? `${problems.length} of the ${stacks.length} stacks named cannot be previewed (no plan printed):\n` : "";
        throw new Error(header + problems.join("\n"));
    }
    for (const note of notes) console.error(`Note: ${note}`);
    for (const [i, stack] of stacks.entries()) {
        const evaluation = await evaluateNamed(stack, options.evaluate);
        console.log(`${i > 0 ? "\n" : ""}${renderPlan(evaluation)}`);
    }
}

if (require.main === module) runMain("preview", main);

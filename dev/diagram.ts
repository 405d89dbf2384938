/**
 * Architecture diagrams: `npm run diagram -- [stack ...]` (by default the stacks README.md links a
 * diagram of).
 *
 * Evaluates the program for a stack under the mock engine and draws what it declares as a Mermaid
 * flowchart in docs/architecture-<stack>.md (production's also in README.md): components as
 * boxes, resources as nodes, references as arrows. A reference is found, not declared: under the
 * mock engine a resource's id is `type::name` and its computed outputs (ARNs, names, endpoints)
 * are those the engine answered with, so an input equal to another resource's id, output or name
 * refers to it (and an ARN followed by `/...` or `:...` too, as in IAM statements). Explicit
 * `dependsOn` adds a dashed arrow.
 *
 * Two simplifications keep the picture readable: a resource that only configures another (a
 * bucket's policy, an API's methods, a role's inline policy, a security group's rules) is drawn
 * inside the resource it configures, and six or more siblings of one type (the tables, the alarms)
 * are one node.
 */
import * as fs from "fs";
import * as path from "path";
import {
    Evaluation,
    MOCK_ACCOUNT_ID,
    RecordedResource,
    STANDARD_OUTPUTS,
    evaluateStack,
    mockId,
    physicalNameInput,
    physicalNameOf,
} from "../harness/mock-engine";
import { PROJECT_ROOT, readProjectFile, readStackFile, stackName } from "../harness/stack-files";
import { CommandSpec, readCommandLine, runMain } from "../deploy/command-line";

/** Resources that configure another one: the input that names it, and its type. */
const ATTACHED: readonly { readonly type: RegExp; readonly input: string; readonly owner: string }[] = [
    { type: /^aws:s3\/bucket[A-Z]\w*:/, input: "bucket", owner: "aws:s3/bucket:Bucket" },
    {
        type: /^aws:apigateway\/(resource|method|integration|methodResponse|integrationResponse|deployment|stage|methodSettings):/,
        input: "restApi",
        owner: "aws:apigateway/restApi:RestApi",
    },
    { type: /^aws:iam\/rolePolicy(Attachment)?:/, input: "role", owner: "aws:iam/role:Role" },
    { type: /^aws:lambda\/permission:/, input: "function", owner: "aws:lambda/function:Function" },
    { type: /^aws:lambda\/functionEventInvokeConfig:/, input: "functionName", owner: "aws:lambda/function:Function" },
    { type: /^aws:(vpc\/securityGroup(Ingress|Egress)Rule|ec2\/securityGroupRule):/, input: "securityGroupId", owner: "aws:ec2/securityGroup:SecurityGroup" },
    { type: /^aws:ecr\/lifecyclePolicy:/, input: "repository", owner: "aws:ecr/repository:Repository" },
    { type: /^aws:secretsmanager\/secretVersion:/, input: "secretId", owner: "aws:secretsmanager/secret:Secret" },
    { type: /^aws:lb\/listener:/, input: "loadBalancerArn", owner: "aws:lb/loadBalancer:LoadBalancer" },
];

/** Siblings of one type drawn as one node from this many on. */
const GROUP_FROM = 6;

const PROVIDER = /^pulumi:providers:/;

/** `aws:s3/bucketPolicy:BucketPolicy` -> `s3`, `BucketPolicy`; `awsx:ec2:Vpc` -> `awsx ec2`, `Vpc`. */
function typeParts(type: string): { module: string; name: string } {
    const [pkg, module = "", name = type] = type.split(":");
    const mod = module.split("/")[0];
    return { module: [pkg === "aws" ? "" : pkg, mod === "index" ? "" : mod].filter(Boolean).join(" "), name };
}


/** Every string in a value (JSON documents such as policies are read as data), with the top-level input holding it. */
function strings(value: unknown, top: string, out: { input: string; value: string }[] = []): { input: string; value: string }[] {
    if (typeof value === "string") {
        if (/^\s*[[{]/.test(value)) {
            try {
                return strings(JSON.parse(value), top, out);
            } catch {
                // Not JSON after all: a plain string.
            }
        }
        out.push({ input: top, value });
    } else if (Array.isArray(value)) {
        for (const item of value) strings(item, top, out);
    } else if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
        for (const item of Object.values(value)) strings(item, top, out);
    }
    return out;
}

interface Graph {
    /** Node id -> label; components hold node ids. */
    readonly nodes: Map<string, string>;
    /** Component id -> title, parent component id, node ids. */
    readonly components: Map<string, { title: string; parent?: string; nodes: Set<string> }>;
    /** `from\tto` -> labels, and whether the edge is only an explicit dependency. */
    readonly edges: Map<string, { labels: Set<string>; dependsOnly: boolean }>;
}

/** The diagram's graph of an evaluation: resources grouped and attached as described above. */
export function architectureGraph(evaluation: Evaluation): Graph {
    const stackRegion = evaluation.config["aws:region"] ?? "us-east-1";
    const all = evaluation.resources;
    const byId = new Map(all.map((r) => [mockId(r), r]));
    const regionOf = (r: RecordedResource): string => byId.get(r.options.provider ?? "")?.inputs.region ?? stackRegion;
    const hasChildren = new Set(all.map((r) => r.options.parent));
    const isComponent = (r: RecordedResource) => !r.custom && hasChildren.has(mockId(r));
    const resources = all.filter((r) => !PROVIDER.test(r.type) && !isComponent(r));

    // What identifies each resource: its id, its own name, and the outputs the engine computed.
    const identities = new Map<string, Set<string>>();
    const identify = (value: string, r: RecordedResource) => identities.set(value, (identities.get(value) ?? new Set()).add(mockId(r)));
    for (const r of resources) {
        const computed = STANDARD_OUTPUTS[r.type]?.(r.name, r.inputs, { config: evaluation.config, region: regionOf(r), accountId: MOCK_ACCOUNT_ID }) ?? {};
        for (const { value } of strings(computed, "")) identify(value, r);
        if (r.custom) identify(mockId(r), r);
        const name = physicalNameOf(r);
        if (name !== undefined) identify(name, r);
    }
    const arns = [...identities.keys()].filter((k) => k.startsWith("arn:")).sort((a, b) => b.length - a.length);
    /** The resource a value names (of `type` if given), preferring one in the referrer's region when a name is used in two. */
    const referent = (value: string, from: RecordedResource, type?: string): RecordedResource | undefined => {
        const key = identities.has(value) ? value : arns.find((arn) => value.startsWith(`${arn}/`) || value.startsWith(`${arn}:`));
        const candidates = [...(identities.get(key ?? "") ?? [])]
            .map((id) => byId.get(id)!)
            .filter((c) => c !== from && (type === undefined || c.type === type));
        const chosen = candidates.length === 1 ? candidates : candidates.filter((c) => regionOf(c) === regionOf(from));
        return chosen.length === 1 ? chosen[0] : undefined;
    };

    // Configuration resources are drawn in their owner; many siblings of one type are one node.
    const ownerOf = new Map<string, RecordedResource>();
    for (const r of resources) {
        const rule = ATTACHED.find((a) => a.type.test(r.type));
        const owner = rule === undefined ? undefined : referent(String(r.inputs[rule.input]), r, rule.owner);
        if (owner !== undefined) ownerOf.set(mockId(r), owner);
    }
    const drawn = resources.filter((r) => !ownerOf.has(mockId(r)));
    const siblings = new Map<string, RecordedResource[]>();
    for (const r of drawn) siblings.set(`${r.options.parent}\t${r.type}`, [...(siblings.get(`${r.options.parent}\t${r.type}`) ?? []), r]);
    const nodeIdOf = new Map<string, string>();
    const graph: Graph = { nodes: new Map(), components: new Map(), edges: new Map() };
    const componentId = (id: string) => sanitize(`${typeParts(byId.get(id)!.type).name}_${byId.get(id)!.name}`);
    for (const group of siblings.values()) {
        const many = group.length >= GROUP_FROM;
        for (const r of group) {
            const { module, name } = typeParts(r.type);
            const id = sanitize(`${name}_${many ? (byId.get(r.options.parent ?? "")?.name ?? "stack") : r.name}`);
            nodeIdOf.set(mockId(r), id);
            if (graph.nodes.has(id)) continue;
            const region = regionOf(r) === stackRegion ? "" : ` · ${regionOf(r)}`;
            const title = many ? `${module} ${name} ×${group.length}` : `${module} ${name}${region}`;
            const names = (many ? group : [r]).map((g) => physicalName(g, all));
            const attached = resources.filter((a) => group.includes(ownerOf.get(mockId(a))!) && (many || ownerOf.get(mockId(a)) === r));
            graph.nodes.set(id, [title, many ? namePattern(names) : names[0], attachedSummary(attached, name)].filter(Boolean).join("<br/>"));
            addToComponent(graph, r.options.parent, id, byId, componentId);
        }
    }
    for (const [id, owner] of ownerOf) nodeIdOf.set(id, nodeIdOf.get(mockId(owner))!);

    const edge = (from: string, to: string, label: string, dependsOnly: boolean) => {
        if (from === to) return;
        const key = `${from}\t${to}`;
        const existing = graph.edges.get(key) ?? { labels: new Set<string>(), dependsOnly };
        if (!dependsOnly) {
            if (existing.dependsOnly) existing.labels.clear();
            existing.dependsOnly = false;
        }
        if (existing.dependsOnly === dependsOnly) existing.labels.add(label);
        graph.edges.set(key, existing);
    };
    for (const r of resources) {
        const from = nodeIdOf.get(mockId(r))!;
        // A resource's own name is no reference, even when another resource has the same name.
        for (const [input, value] of Object.entries(r.inputs).filter(([input]) => input !== physicalNameInput(r))) {
            for (const s of strings(value, input)) {
                const target = referent(s.value, r);
                if (target !== undefined && nodeIdOf.has(mockId(target))) edge(from, nodeIdOf.get(mockId(target))!, s.input, false);
            }
        }
    }
    for (const r of resources) {
        for (const dependency of r.options.dependsOn) {
            const to = nodeIdOf.get(dependency);
            if (to !== undefined) edge(nodeIdOf.get(mockId(r))!, to, "dependsOn", true);
        }
    }
    return graph;
}

/** Files the node among its component's (and the component among its parents). */
function addToComponent(
    graph: Graph,
    parent: string | undefined,
    node: string,
    byId: Map<string, RecordedResource>,
    componentId: (id: string) => string,
): void {
    if (parent === undefined) return;
    const id = componentId(parent);
    const component = graph.components.get(id);
    if (component !== undefined) {
        component.nodes.add(node);
        return;
    }
    const resource = byId.get(parent)!;
    const grandparent = resource.options.parent;
    graph.components.set(id, {
        title: `${typeParts(resource.type).name} · ${resource.name}`,
        parent: grandparent === undefined ? undefined : componentId(grandparent),
        nodes: new Set([node]),
    });
    if (grandparent !== undefined) addToComponent(graph, grandparent, id, byId, componentId);
}

const sanitize = (id: string) => id.replace(/[^A-Za-z0-9_]/g, "_");

/**
 * The physical name as the docs show it: the deploying account as `{accountId}`, another
 * resource's id as `{RestApi id}`, a name prefix with `…`.
 */
function physicalName(r: RecordedResource, all: readonly RecordedResource[]): string {
    const name = physicalNameOf(r) ?? (typeof r.inputs.namePrefix === "string" ? `${r.inputs.namePrefix}…` : r.name);
    return all.reduce((shown, other) => shown.split(mockId(other)).join(`{${typeParts(other.type).name} id}`), name.split(MOCK_ACCOUNT_ID).join("{accountId}"));
}

/** `slack-clone-users-production`, `slack-clone-files-production` -> `slack-clone-*-production`. */
function namePattern(names: readonly string[]): string {
    let prefix = names[0];
    for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
    const rests = names.map((name) => name.slice(prefix.length));
    let suffix = rests[0];
    for (const rest of rests) while (!rest.endsWith(suffix)) suffix = suffix.slice(1);
    return `${prefix}*${suffix}`;
}

/** `+ Cors, Lifecycle, 3 Method` for the resources drawn inside a node: type names without the owner's. */
function attachedSummary(attached: readonly RecordedResource[], ownerName: string): string {
    if (attached.length === 0) return "";
    const counts = new Map<string, number>();
    for (const r of attached) {
        const short = typeParts(r.type).name.replace(new RegExp(`^${ownerName}(?=[A-Z])`), "").replace(/Config(uration)?$/, "") || typeParts(r.type).name;
        counts.set(short, (counts.get(short) ?? 0) + 1);
    }
    const items = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([short, n]) => (n > 1 ? `${n} ${short}` : short));
    const lines = Array.from({ length: Math.ceil(items.length / 4) }, (_, i) => items.slice(i * 4, i * 4 + 4).join(", "));
    return `+ ${lines.join("<br/>")}`;
}

const quote = (label: string) => `"${label.replace(/"/g, "#quot;")}"`;

/** The Mermaid flowchart of a stack (stable: everything sorted). */
export function mermaid(evaluation: Evaluation): string {
    const graph = architectureGraph(evaluation);
    const lines = ["flowchart LR"];
    const inComponent = new Set([...graph.components.values()].flatMap((c) => [...c.nodes]));
    const render = (id: string, indent: string) => {
        const component = graph.components.get(id);
        if (component === undefined) {
            lines.push(`${indent}${id}[${quote(graph.nodes.get(id)!)}]`);
            return;
        }
        lines.push(`${indent}subgraph ${id}[${quote(component.title)}]`);
        for (const child of [...component.nodes].sort()) render(child, `${indent}    `);
        lines.push(`${indent}end`);
    };
    const topComponents = [...graph.components].filter(([, c]) => c.parent === undefined).map(([id]) => id);
    const topNodes = [...graph.nodes.keys()].filter((id) => !inComponent.has(id));
    for (const id of [...topComponents, ...topNodes].sort()) render(id, "    ");
    for (const [key, { labels, dependsOnly }] of [...graph.edges].sort(([a], [b]) => a.localeCompare(b))) {
        const [from, to] = key.split("\t");
        lines.push(`    ${from} ${dependsOnly ? "-.->" : "-->"}|${quote([...labels].sort().join(", "))}| ${to}`);
    }
    return lines.join("\n");
}

/** The stack whose diagram README.md shows. */
export const README_STACK = "production";
const README_BLOCK = /(<!-- architecture diagram: generated by npm run diagram -->\n)[\s\S]*?(<!-- end of architecture diagram -->)/;

export const diagramFile = (stack: string, root = PROJECT_ROOT) => path.join(root, "docs", `architecture-${stack}.md`);

/** The stacks whose diagram README.md links (`](docs/architecture-<stack>.md)`), in the README's order. */
export function linkedStacks(readme: string): string[] {
    return [...new Set([...readme.matchAll(/\]\(docs\/architecture-([A-Za-z0-9_.-]+)\.md\)/g)].map(([, stack]) => stack))];
}

/** docs/architecture-<stack>.md. */
export function diagramDocument(evaluation: Evaluation): string {
    return [
        `# Architecture: ${evaluation.stack}`,
        "",
        `Generated from the program with the \`${evaluation.stack}\` stack's config by \`npm run diagram -- ${evaluation.stack}\`; do not edit`,
        "(`npm test` fails when it no longer matches the program). Boxes are components; a node is a resource, its",
        "type and physical name (`{accountId}` is the deploying account, `…` a generated suffix), with the resources",
        "that only configure it listed after `+`; six or more siblings of one type are one node (`×12`). An arrow",
        "A → B: A's inputs name B (its id, ARN or name), labelled with those inputs; dashed: an explicit `dependsOn`.",
        "",
        "```mermaid",
        mermaid(evaluation),
        "```",
        "",
    ].join("\n");
}

/** README.md with its copy of the diagram replaced by this one; throws when README has no marked place for it. */
export function readmeWithDiagram(readme: string, evaluation: Evaluation): string {
    if (!README_BLOCK.test(readme)) throw new Error("README.md has no architecture diagram markers");
    return readme.replace(README_BLOCK, (_, start: string, end: string) => `${start}\`\`\`mermaid\n${mermaid(evaluation)}\n\`\`\`\n${end}`);
}

export const DIAGRAM_COMMAND: CommandSpec = {
    name: "npm run diagram",
    synopsis: "[<stack>...]",
    summary:
        "Draws each stack (<stack>, <org>/<stack> or <org>/<project>/<stack>) from the program into docs/architecture-<stack>.md, " +
        `and the ${README_STACK} diagram into README.md. With no stack named: the stacks whose diagram README.md links, not every ` +
        "Pulumi.<stack>.yaml (a personal stack is drawn only when named). Every stack is read and drawn before any file is written.",
    options: {},
    positionals: true,
};

export interface DiagramOptions {
    /** The project's folder: stack files, README.md and docs/. @default PROJECT_ROOT */
    readonly root?: string;
    /** A stack's evaluation. @default evaluateStack */
    readonly evaluate?: (stack: string) => Promise<Evaluation>;
}

/**
 * Draws the stacks named in `argv` (or README's). Throws, having written nothing, on a bad stack
 * reference, a stack file that does not read (harness/stack-files' checks), a stack whose program
 * fails, or a README that is missing (saying how to restore it: readProjectFile) or has no diagram markers.
 */
export async function main(argv: readonly string[] = process.argv.slice(2), options: DiagramOptions = {}): Promise<void> {
    const line = readCommandLine(DIAGRAM_COMMAND, argv);
    if (line === undefined) return;
    const root = options.root ?? PROJECT_ROOT;
    const evaluate = options.evaluate ?? ((stack: string) => evaluateStack(stack));
    const readmeFile = path.join(root, "README.md");
    let readme = readProjectFile(readmeFile);
    const references = line.positionals.length > 0 ? line.positionals : linkedStacks(readme);
    if (references.length === 0) throw new Error("README.md links no docs/architecture-<stack>.md: name the stacks: npm run diagram -- <stack> [<stack>...]");
    const stacks = [...new Set(references.map((reference) => stackName(reference, root)))];
    // Every stack file is read (and checked) before the first evaluation, every diagram drawn before the first write.
    for (const stack of stacks) for (const note of readStackFile(stack, root).notes) console.error(`Note: ${note}`);
    const files = new Map<string, string>();
    for (const stack of stacks) {
        console.log(`drawing ${stack}`);
        const evaluation = await evaluate(stack);
        files.set(diagramFile(stack, root), diagramDocument(evaluation));
        if (stack === README_STACK) files.set(readmeFile, (readme = readmeWithDiagram(readme, evaluation)));
    }
    for (const [file, text] of files) {
        fs.writeFileSync(file, text);
        console.log(`wrote ${path.relative(root, file)}${file === readmeFile ? " (architecture diagram)" : ""}`);
    }
}

if (require.main === module) runMain("diagram", main);

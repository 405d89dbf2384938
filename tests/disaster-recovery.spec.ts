/**
 * The disaster-recovery runbook against the program: every resource name it mentions exists in the
 * production program (or, for `-production-dr` names, in the rebuild stack its commands configure),
 * the rebuild's config is valid, and its import file matches the rebuild's tables.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { validateConfig } from "../components/config";
import { TABLES } from "../components/tables";
import { Evaluation, MOCK_ACCOUNT_ID, byName } from "../harness/mock-engine";
import { PROJECT_ROOT, readProject, readStackConfig } from "../harness/stack-files";
import { evaluateWith, stackEvaluation } from "./helpers/stacks";

const RUNBOOK = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "disaster-recovery.md"), "utf8");

/** Resource names as the runbook writes them; `${ACCOUNT_ID}` is the account id. */
function namesIn(text: string): string[] {
    const names = text.match(/slack-clone-[a-z0-9]+(?:-[a-z0-9]+)*(?:-\$\{ACCOUNT_ID\})?/g) ?? [];
    return [...new Set(names.map((n) => n.replace("${ACCOUNT_ID}", MOCK_ACCOUNT_ID)))];
}

/** Every string input of every resource: the physical names the program gives. */
function physicalNames(evaluation: Evaluation): Set<string> {
    return new Set(evaluation.resources.flatMap((r) => Object.values(r.inputs).filter((v): v is string => typeof v === "string")));
}

/** The rebuild's config, as the runbook's `pulumi config cp/set/rm` commands leave it (`--path` sets one field of a map). */
function rebuildConfig(): { base: string; overrides: Record<string, string> } {
    const base = /^\s*pulumi config cp --stack (\S+) --dest production-dr\s*$/m.exec(RUNBOOK)?.[1];
    expect(base, "the runbook copies a stack's config").to.be.a("string");
    const project = readProject();
    const copied = readStackConfig(base!);
    const overrides: Record<string, string> = {};
    for (const [, verb, byPath, key, value] of RUNBOOK.matchAll(/^\s*pulumi config (set|rm)( --path)? (\S+)(?: (\S+))?\s*$/gm)) {
        const [name, ...path] = key.split(".");
        const full = name.includes(":") ? name : `${project.name}:${name}`;
        if (byPath === undefined) {
            overrides[full] = verb === "set" ? value : String(project.config[name]?.default ?? "");
            continue;
        }
        const map = JSON.parse(overrides[full] ?? copied[full] ?? "{}");
        const parent = path.slice(0, -1).reduce((node, field) => (node[field] ??= {}), map);
        parent[path[path.length - 1]] = value;
        overrides[full] = JSON.stringify(map);
    }
    return { base: base!, overrides };
}

function importFile(): { resources: { type: string; name: string; id?: string; parent?: string; component?: boolean }[] } {
    const json = /```json\n([\s\S]*?)```/.exec(RUNBOOK)?.[1];
    expect(json, "the runbook's import file").to.be.a("string");
    return JSON.parse(json!);
}

describe("disaster-recovery runbook", () => {
    let production: Evaluation;
    let rebuild: Evaluation;
    const isRebuild = (name: string) => name.includes("-production-dr");

    before(async () => {
        production = await stackEvaluation("production");
        const { base, overrides } = rebuildConfig();
        rebuild = await evaluateWith(base, { config: overrides, stackName: "production-dr" });
    });

    it("uses production's regions and the 12 tables", () => {
        expect(/^PRIMARY=(\S+)/m.exec(RUNBOOK)?.[1]).to.equal(production.config["aws:region"]);
        expect(/^SECONDARY=(\S+)/m.exec(RUNBOOK)?.[1]).to.equal(production.config["slack-clone:secondaryRegion"]);
        expect(/^TABLES="([^"]+)"/m.exec(RUNBOOK)?.[1].split(" ")).to.deep.equal(TABLES.map((t) => t.name));
    });

    it("names only production resources that the production program creates", () => {
        const names = namesIn(RUNBOOK).filter((n) => !isRebuild(n));
        expect(names).to.include.members([
            "slack-clone-backups-production",
            "slack-clone-restore-production",
            `slack-clone-audit-production-${MOCK_ACCOUNT_ID}`,
            `slack-clone-files-replica-production-${MOCK_ACCOUNT_ID}`,
            "slack-clone-redis-production",
            "slack-clone-thumbnail-production",
        ]);
        const created = physicalNames(production);
        expect(names.filter((n) => !created.has(n)), "not in the production program").to.deep.equal([]);
    });

    it("names only rebuild resources that the rebuild's config creates", () => {
        const names = namesIn(RUNBOOK).filter(isRebuild);
        expect(names).to.include.members(["slack-clone-users-production-dr", "slack-clone-alarms-production-dr", `slack-clone-files-production-dr-${MOCK_ACCOUNT_ID}`]);
        const created = physicalNames(rebuild);
        expect(names.filter((n) => !created.has(n)), "not in the rebuild program").to.deep.equal([]);
    });

    it("configures the rebuild as production's config in the second region, under its own environment name, and it is valid", () => {
        const { base, overrides } = rebuildConfig();
        expect(base).to.equal("production");
        expect(overrides).to.deep.equal({
            "slack-clone:environment": "production-dr",
            "aws:region": production.config["slack-clone:secondaryRegion"],
            "slack-clone:multiRegion": "false",
            "slack-clone:secondaryRegion": "",
            // A backendImage of production's (set by an operator's keep-backend-image) would name production's repository.
            "slack-clone:backendImage": "",
            "aws:defaultTags": JSON.stringify({ tags: { project: "slack-clone", environment: "production-dr", stack: "production-dr", "managed-by": "pulumi" } }),
        });
        const raw = Object.fromEntries(Object.entries(rebuild.config).map(([k, v]) => [k.replace(/^slack-clone:/, ""), v]));
        const config = validateConfig(raw, "production-dr");
        expect(config).to.include({ environment: "production-dr", region: "us-west-2", protectData: true, pointInTimeRecovery: true, backups: true, alarms: true });
    });

    it("imports exactly the rebuild's 12 tables, under the DataLayer, with the ids the restore jobs give them", () => {
        const [component, ...tables] = importFile().resources;
        const dataLayer = byName(rebuild, "slack-clone:data:DataLayer", component.name);
        expect(component).to.deep.equal({ type: dataLayer.type, name: "data", component: true });
        expect(tables.map((t) => t.name)).to.deep.equal(TABLES.map((t) => `data-${t.name}`));
        for (const entry of tables) {
            const table = byName(rebuild, entry.type, entry.name);
            expect(entry.parent).to.equal(component.name);
            expect(table.options.parent).to.equal(`${dataLayer.type}::${dataLayer.name}`);
            expect(entry.id).to.equal(table.inputs.name);
        }
    });

    it("restores into tables production's restore role may create in the second region", () => {
        const policy = byName(production, "aws:iam/rolePolicy:RolePolicy", "backup-restore-role-policy").inputs.policy;
        const allowed: string[] = policy.Statement.find((s: { Sid: string }) => s.Sid === "DynamoDBRestorePermissions").Resource;
        for (const { id } of importFile().resources.slice(1)) {
            expect(allowed).to.include(`arn:aws:dynamodb:us-west-2:${MOCK_ACCOUNT_ID}:table/${id}`);
        }
        expect(RUNBOOK).to.include("--iam-role-arn arn:aws:iam::${ACCOUNT_ID}:role/slack-clone-restore-production");
        expect(RUNBOOK).to.include('--metadata "TargetTableName=slack-clone-$t-production-dr');
    });
});

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
import { Evaluation, MOCK_ACCOUNT_ID, byName, ofType } from "../tools/mock-engine";
import { PROJECT_ROOT, readProject } from "../tools/stack-files";
import { evaluateWith, stackEvaluation } from "./helpers/stacks";

const RUNBOOK = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "disaster-recovery.md"), "utf8");

/**
 * Components whose resources the runbook names (in "Names created by other components") but that
 * this program does not compose yet. Remove a component from here when index.ts composes it: its
 * names are then checked like the others, and this test fails until it is removed.
 */
const NOT_YET_IN_PROGRAM: Readonly<Record<string, string>> = {
    Storage: "slack-clone:storage:Storage",
};

/** Resource names as the runbook writes them; `${ACCOUNT_ID}` is the account id. */
function namesIn(text: string): string[] {
    const names = text.match(/slack-clone-[a-z0-9]+(?:-[a-z0-9]+)*(?:-\$\{ACCOUNT_ID\})?/g) ?? [];
    return [...new Set(names.map((n) => n.replace("${ACCOUNT_ID}", MOCK_ACCOUNT_ID)))];
}

/** The text under a heading, up to the next heading. */
function section(heading: string): string {
    const start = RUNBOOK.indexOf(`${heading}\n`);
    expect(start, `runbook section "${heading}"`).to.be.greaterThan(-1);
    const rest = RUNBOOK.slice(start + heading.length);
    const end = rest.search(/^#{1,6} /m);
    return end === -1 ? rest : rest.slice(0, end);
}

/** Rows of the "Names created by other components" table: name and component. */
function otherComponentNames(): { name: string; component: string }[] {
    return [...section("### Names created by other components").matchAll(/^\| `([^`]+)` \| (\w+) \|$/gm)].map(([, name, component]) => ({
        name: namesIn(name)[0],
        component,
    }));
}

/** Every string input of every resource: the physical names the program gives. */
function physicalNames(evaluation: Evaluation): Set<string> {
    return new Set(evaluation.resources.flatMap((r) => Object.values(r.inputs).filter((v): v is string => typeof v === "string")));
}

/** The rebuild's config, as the runbook's `pulumi config cp/set/rm` commands leave it. */
function rebuildConfig(): { base: string; overrides: Record<string, string> } {
    const base = /^\s*pulumi config cp --stack (\S+) --dest production-dr\s*$/m.exec(RUNBOOK)?.[1];
    expect(base, "the runbook copies a stack's config").to.be.a("string");
    const project = readProject();
    const overrides: Record<string, string> = {};
    for (const [, verb, key, value] of RUNBOOK.matchAll(/^\s*pulumi config (set|rm) (\S+)(?: (\S+))?\s*$/gm)) {
        const full = key.includes(":") ? key : `${project.name}:${key}`;
        overrides[full] = verb === "set" ? value : String(project.config[key]?.default ?? "");
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
    const others = otherComponentNames();
    const isOther = (name: string) => others.some((o) => o.name === name);
    const isRebuild = (name: string) => name.includes("-production-dr");

    before(async () => {
        production = await stackEvaluation("production");
        const { base, overrides } = rebuildConfig();
        rebuild = await evaluateWith(base, { config: overrides });
    });

    it("uses production's regions and the 12 tables", () => {
        expect(/^PRIMARY=(\S+)/m.exec(RUNBOOK)?.[1]).to.equal(production.config["aws:region"]);
        expect(/^SECONDARY=(\S+)/m.exec(RUNBOOK)?.[1]).to.equal(production.config["slack-clone:secondaryRegion"]);
        expect(/^TABLES="([^"]+)"/m.exec(RUNBOOK)?.[1].split(" ")).to.deep.equal(TABLES.map((t) => t.name));
    });

    it("names only production resources that the production program creates", () => {
        const names = namesIn(RUNBOOK).filter((n) => !isRebuild(n) && !isOther(n));
        expect(names).to.include.members(["slack-clone-backups-production", "slack-clone-restore-production", `slack-clone-audit-production-${MOCK_ACCOUNT_ID}`]);
        const created = physicalNames(production);
        expect(names.filter((n) => !created.has(n)), "not in the production program").to.deep.equal([]);
    });

    it("names only rebuild resources that the rebuild's config creates", () => {
        const names = namesIn(RUNBOOK).filter((n) => isRebuild(n) && !isOther(n));
        expect(names).to.include.members(["slack-clone-users-production-dr", "slack-clone-alarms-production-dr"]);
        const created = physicalNames(rebuild);
        expect(names.filter((n) => !created.has(n)), "not in the rebuild program").to.deep.equal([]);
    });

    it("names other components' resources only in their marked list, each checked once its component is composed", () => {
        expect(others.map((o) => o.name)).to.have.length.above(0).and.not.include(undefined);
        for (const { name, component } of others) {
            const evaluation = isRebuild(name) ? rebuild : production;
            const type = NOT_YET_IN_PROGRAM[component];
            if (type !== undefined) {
                expect(ofType(evaluation, type), `${component} is now in the program: remove it from NOT_YET_IN_PROGRAM so ${name} is checked`).to.deep.equal([]);
            } else {
                expect(physicalNames(evaluation).has(name), `${name} (${component})`).to.equal(true);
            }
        }
    });

    it("configures the rebuild as production's config in the second region, under its own environment name, and it is valid", () => {
        const { base, overrides } = rebuildConfig();
        expect(base).to.equal("production");
        expect(overrides).to.deep.equal({
            "slack-clone:environment": "production-dr",
            "aws:region": production.config["slack-clone:secondaryRegion"],
            "slack-clone:multiRegion": "false",
            "slack-clone:secondaryRegion": "",
        });
        const raw = Object.fromEntries(Object.entries(rebuild.config).map(([k, v]) => [k.replace(/^slack-clone:/, ""), v]));
        const config = validateConfig(raw);
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
        const policy = JSON.parse(byName(production, "aws:iam/rolePolicy:RolePolicy", "backup-restore-role-policy").inputs.policy);
        const allowed: string[] = policy.Statement.find((s: { Sid: string }) => s.Sid === "RestoreTheTables").Resource;
        for (const { id } of importFile().resources.slice(1)) {
            expect(allowed).to.include(`arn:aws:dynamodb:us-west-2:${MOCK_ACCOUNT_ID}:table/${id}`);
        }
        expect(RUNBOOK).to.include("--iam-role-arn arn:aws:iam::${ACCOUNT_ID}:role/slack-clone-restore-production");
        expect(RUNBOOK).to.include('--metadata "TargetTableName=slack-clone-$t-production-dr');
    });
});

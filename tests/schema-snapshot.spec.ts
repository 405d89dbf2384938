import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SNAPSHOT_FILE, SchemaSnapshot, SchemaSnapshotOptions, main, readSnapshot, replacementsBetween, schemaOf } from "../dev/schema-snapshot";
import { captureLog } from "./helpers/console";
import { Evaluation } from "../harness/mock-engine";
import { PROJECT_ROOT } from "../harness/stack-files";
import { STACKS, stackEvaluation } from "./helpers/stacks";

describe("schema guard", () => {
    for (const stack of STACKS) {
        it(`${stack}: no table would be replaced or deleted against tests/schema-snapshot.json`, async () => {
            const problems = replacementsBetween(readSnapshot(), schemaOf(await stackEvaluation(stack)));
            expect(problems, problems.join("\n")).to.deep.equal([]);
        });
    }

    describe("catches", () => {
        let snapshot: SchemaSnapshot;
        const users = "slack-clone-users-{environment}";
        before(() => {
            snapshot = readSnapshot();
        });

        it("a changed sort key, naming the table and how to migrate", () => {
            const current = { ...snapshot, [users]: { ...snapshot[users], rangeKey: "created_at", keyTypes: { PK: "S", created_at: "N" } } };
            const [problem, ...rest] = replacementsBetween(snapshot, current);
            expect(rest).to.deep.equal([]);
            expect(problem).to.include(`Table ${users} would be REPLACED`);
            expect(problem).to.include("from PK (S) + SK (S) to PK (S) + created_at (N)");
            expect(problem).to.include("To migrate:");
        });

        it("a changed key attribute type", () => {
            const current = { ...snapshot, [users]: { ...snapshot[users], keyTypes: { PK: "N", SK: "S" } } };
            expect(replacementsBetween(snapshot, current)).to.have.length(1);
        });

        it("a renamed Pulumi resource, suggesting an alias", () => {
            const current = { ...snapshot, [users]: { ...snapshot[users], resource: "aws:dynamodb/table:Table::users::stack" } };
            expect(replacementsBetween(snapshot, current)[0]).to.match(/REPLACED: its Pulumi resource changed.*aliases/);
        });

        it("a removed table", () => {
            const { [users]: _, ...current } = snapshot;
            expect(replacementsBetween(snapshot, current)[0]).to.include(`Table ${users} would be DELETED`);
        });

        it("a new table that the snapshot does not record yet", () => {
            const current = { ...snapshot, "slack-clone-bookmarks-{environment}": snapshot[users] };
            expect(replacementsBetween(snapshot, current)[0]).to.include("npm run schema:snapshot");
        });
    });
});

describe("npm run schema:snapshot", () => {
    let dir: string;
    let file: string;
    const committed = () => fs.readFileSync(SNAPSHOT_FILE, "utf8");
    /** main on a copy of the snapshot: what it printed, or its error. */
    const run = (argv: string[], options: SchemaSnapshotOptions = {}) => captureLog(() => main(argv, { file, evaluate: stackEvaluation, ...options }));
    /** A copy of Pulumi.yaml and the project's stack files in a folder of its own (removed after the test). */
    const projectCopy = (): string => {
        const root = path.join(dir, "project");
        fs.mkdirSync(root);
        for (const f of ["Pulumi.yaml", ...STACKS.map((stack) => `Pulumi.${stack}.yaml`)]) fs.copyFileSync(path.join(PROJECT_ROOT, f), path.join(root, f));
        return root;
    };
    /** Development's evaluation as a developer's own stack `b0` copied from its file has it: the same environment, another stack name. */
    const personal = async (stack: string): Promise<Evaluation> => ({ ...(await stackEvaluation("development")), stack });
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "schema-snapshot-"));
        file = path.join(dir, "schema-snapshot.json");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("refuses to record a sort key renamed in every table (each table would be replaced), naming each and --accept-replacements", async () => {
        // The snapshot says SortKey where the program says SK: as if `const SK = str("SortKey")` had been run before.
        const renamed = committed().replace(/"SK"/g, '"SortKey"');
        fs.writeFileSync(file, renamed);
        const refused = await run([]);
        expect(refused.error?.message).to.match(/^\d+ change\(s\) would replace or delete a table; .*schema-snapshot\.json is unchanged:\n/);
        const withSortKey = Object.entries(JSON.parse(committed()) as SchemaSnapshot).filter(([, t]) => t.rangeKey === "SK");
        expect(withSortKey.length).to.be.greaterThan(1);
        for (const [name] of withSortKey) expect(refused.error!.message).to.include(`  - Table ${name} would be REPLACED: its key schema changed from PK (S) + SortKey (S) to PK (S) + SK (S)`);
        expect(refused.error!.message.split("\n").pop()).to.equal("Record them only once the data has been migrated as above: npm run schema:snapshot -- --accept-replacements");
        expect(fs.readFileSync(file, "utf8")).to.equal(renamed);

        const accepted = await run(["--accept-replacements"]);
        expect(accepted.error).to.equal(undefined);
        expect(accepted.printed).to.include("Accepted (--accept-replacements): Table slack-clone-users-{environment} would be REPLACED");
        expect(fs.readFileSync(file, "utf8")).to.equal(committed());
    });

    it("records a new table without the flag, as it records an unchanged schema", async () => {
        const { ["slack-clone-users-{environment}"]: _, ...rest } = JSON.parse(committed()) as SchemaSnapshot;
        fs.writeFileSync(file, JSON.stringify(rest));
        const recorded = await run([]);
        expect(recorded.error).to.equal(undefined);
        expect(recorded.printed).to.match(/^Recorded: Table slack-clone-users-\{environment\} is new\nWrote .*schema-snapshot\.json \(12 tables\)$/);
        expect(fs.readFileSync(file, "utf8")).to.equal(committed());
    });

    it("records the project's stacks only, each table under its stack's environment: a developer's own stack file, even a broken one, is left out", async () => {
        expect(schemaOf(await personal("b0")), "b0's tables are named -development").to.deep.equal(schemaOf(await stackEvaluation("development")));
        const root = projectCopy();
        fs.copyFileSync(path.join(root, "Pulumi.development.yaml"), path.join(root, "Pulumi.b0.yaml"));
        fs.writeFileSync(path.join(root, "Pulumi.b1.yaml"), "config:\n  slack-clone:multiAz: maybe\n");
        fs.writeFileSync(file, committed());
        const evaluated: string[] = [];
        const recorded = await run([], { root, evaluate: (stack) => (evaluated.push(stack), stackEvaluation(stack)) });
        expect(recorded.error).to.equal(undefined);
        expect(evaluated).to.deep.equal(["development", "production", "staging"]);
        expect(fs.readFileSync(file, "utf8")).to.equal(committed());
    });

    it("names the stacks that disagree and what differs, table by table, writing nothing", async () => {
        const staging = await stackEvaluation("staging");
        const table = (r: Evaluation["resources"][number], name: string) => r.type === "aws:dynamodb/table:Table" && String(r.inputs.name).startsWith(`slack-clone-${name}-`);
        const changed: Evaluation = {
            ...staging,
            // users keyed by PK alone, and the messages table gone.
            resources: staging.resources.filter((r) => !table(r, "messages")).map((r) => (table(r, "users") ? { ...r, inputs: { ...r.inputs, rangeKey: undefined } } : r)),
        };
        fs.writeFileSync(file, "{}");
        const refused = await run([], { evaluate: (stack) => (stack === "staging" ? Promise.resolve(changed) : stackEvaluation(stack)) });
        expect(refused.error?.message).to.equal(
            "The stacks disagree on the tables (a table's key schema cannot depend on a stack's config); fix the program first:\n" +
                "  - staging: table slack-clone-users-{environment}: key schema PK (S) + SK (S) in development, PK (S) in staging\n" +
                "  - staging: table slack-clone-messages-{environment}: only in development, not in staging",
        );
        expect(fs.readFileSync(file, "utf8")).to.equal("{}");
    });

    it("checks every stack's config before evaluating any, naming the file; a program that fails is named by its stack", async () => {
        const root = projectCopy();
        const staging = path.join(root, "Pulumi.staging.yaml");
        fs.writeFileSync(staging, fs.readFileSync(staging, "utf8").replace(/^config:\n/m, "config:\n  slack-clone:multiAz: maybe\n"));
        const evaluated: string[] = [];
        const bad = await run([], { root, evaluate: (stack) => (evaluated.push(stack), stackEvaluation(stack)) });
        expect(bad.error?.message).to.match(/^Pulumi\.staging\.yaml:\n {2}- multiAz: got "maybe"/);
        expect(evaluated).to.deep.equal([]);
        const failing = await run([], { evaluate: (stack) => (stack === "production" ? Promise.reject(new Error("boom")) : stackEvaluation(stack)) });
        expect(failing.error?.message).to.equal("Stack production: boom");
    });
});

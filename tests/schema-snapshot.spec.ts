import { expect } from "chai";
import { SchemaSnapshot, readSnapshot, replacementsBetween, schemaOf } from "../dev/schema-snapshot";
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

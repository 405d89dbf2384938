import { expect } from "chai";
import { TABLES, tableName, tableOutputName } from "../components/tables";
import { Evaluation, RecordedResource, byName, ofType } from "../harness/mock-engine";
import { STACKS, stackEvaluation } from "./helpers/stacks";

const TABLE = "aws:dynamodb/table:Table";

for (const stack of STACKS) {
    describe(`DataLayer in ${stack}`, () => {
        let evaluation: Evaluation;
        let tables: RecordedResource[];
        const expectPitr = stack !== "development";
        const expectProtected = stack === "production";

        before(async () => {
            evaluation = await stackEvaluation(stack);
            tables = ofType(evaluation, TABLE);
        });

        it("creates exactly the 12 tables, named slack-clone-{table}-{environment}, inside the DataLayer", () => {
            expect(tables.map((t) => t.inputs.name)).to.deep.equal(TABLES.map((spec) => `slack-clone-${spec.name}-${stack}`));
            const dataLayer = byName(evaluation, "slack-clone:data:DataLayer", "data");
            for (const t of tables) expect(t.options.parent).to.equal(`${dataLayer.type}::${dataLayer.name}`);
        });

        for (const spec of TABLES) {
            it(`${spec.name}: keys, indexes, stream, TTL, billing, encryption`, () => {
                const t = byName(evaluation, TABLE, `data-${spec.name}`);
                expect(t.inputs.billingMode).to.equal("PAY_PER_REQUEST");
                expect([t.inputs.hashKey, t.inputs.rangeKey]).to.deep.equal(["PK", "SK"]);
                // DynamoDB requires exactly the key attributes of the table and its indexes.
                const expected = new Set([spec.partitionKey, spec.sortKey, ...spec.indexes.flatMap((i) => [i.partitionKey, i.sortKey])]
                    .filter((a) => a !== undefined)
                    .map((a) => `${a!.name}:${a!.type}`));
                expect(t.inputs.attributes.map((a: { name: string; type: string }) => `${a.name}:${a.type}`).sort()).to.deep.equal([...expected].sort());
                expect(t.inputs.globalSecondaryIndexes ?? []).to.deep.equal(
                    spec.indexes.map((i) => ({
                        name: i.name,
                        projectionType: "ALL",
                        keySchemas: [
                            { attributeName: i.partitionKey.name, keyType: "HASH" },
                            ...(i.sortKey ? [{ attributeName: i.sortKey.name, keyType: "RANGE" }] : []),
                        ],
                    })),
                );
                expect(t.inputs.streamEnabled).to.equal(spec.name === "messages");
                expect(t.inputs.streamViewType).to.equal(spec.name === "messages" ? "NEW_AND_OLD_IMAGES" : undefined);
                const ttl = ["notifications", "presence"].includes(spec.name) ? { attributeName: "expires_at", enabled: true } : undefined;
                expect(t.inputs.ttl).to.deep.equal(ttl);
                expect(t.inputs.serverSideEncryption).to.deep.equal({ enabled: true });
            });
        }

        it(`has point-in-time recovery ${expectPitr ? "on" : "off"} on every table`, () => {
            for (const t of tables) expect(t.inputs.pointInTimeRecovery, t.name).to.deep.equal({ enabled: expectPitr });
        });

        it(expectProtected ? "protects every table: deletion protection, protect, retainOnDelete" : "leaves tables unprotected", () => {
            for (const t of tables) {
                expect(t.inputs.deletionProtectionEnabled, t.name).to.equal(expectProtected);
                expect(t.options.protect === true, `${t.name} protect`).to.equal(expectProtected);
                expect(t.options.retainOnDelete === true, `${t.name} retainOnDelete`).to.equal(expectProtected);
            }
        });

        it("exports every table name keyed by its short name, the stream ARN, environment and region", () => {
            for (const spec of TABLES) expect(evaluation.outputs[tableOutputName(spec)]).to.equal(tableName(spec, stack));
            expect(evaluation.outputs.environment).to.equal(stack);
            expect(evaluation.outputs.region).to.equal(evaluation.config["aws:region"]);
            expect(evaluation.outputs.messagesStreamArn).to.match(/^arn:aws:dynamodb:.*:table\/slack-clone-messages-.*\/stream\//);
        });
    });
}

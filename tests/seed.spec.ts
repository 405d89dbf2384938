import { expect } from "chai";
import { CreateTableCommand, DeleteItemCommand, DynamoDBClient, PutItemCommand, ScanCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { TABLES, tableOutputName } from "../components/tables";
import { MAX_CONCURRENCY, itemProblems, loadSeedData, main, seed, seedDataFor } from "../deploy/seed/seed";
import { LocalEnvironment, createTableInput } from "../local/start";
import { localEnvironment } from "./helpers/local";
import { endpointEnv, outputsFile, run, stalledEndpoint, tsx } from "./helpers/process";
import { stackEvaluation } from "./helpers/stacks";

const spec = (name: string) => TABLES.find((t) => t.name === name)!;

async function scanAll(client: DynamoDBClient, table: string): Promise<Record<string, unknown>[]> {
    const { Items = [] } = await client.send(new ScanCommand({ TableName: table }));
    return Items.map((item) => unmarshall(item)).sort((a, b) => `${a.PK}${a.SK}`.localeCompare(`${b.PK}${b.SK}`));
}

describe("seed data", () => {
    it("fits every table's keys and indexes", () => {
        const data = loadSeedData();
        expect([...data.keys()].map((s) => s.name).sort()).to.include.members(["workspaces", "users", "channels", "messages", "reactions"]);
        for (const [table, items] of data) {
            expect(items, table.name).to.not.be.empty;
            for (const item of items) expect(itemProblems(table, item), `${table.name} ${JSON.stringify(item)}`).to.deep.equal([]);
        }
        const messages = data.get(spec("messages"))!;
        expect(messages.some((m) => m.parent_message_id !== undefined), "a thread").to.equal(true);
    });

    it("names an output of the wrong type as the health check does, not as missing, and writes nothing", async () => {
        const outputs: Record<string, unknown> = { ...Object.fromEntries(TABLES.map((t) => [tableOutputName(t), `slack-clone-${t.name}-qa`])), usersTableName: 5, channelsTableName: ["a"] };
        const { messagesTableName: _, ...withoutMessages } = outputs;
        const failure = (outputs: Record<string, unknown>) => seed({} as DynamoDBClient, outputs, loadSeedData()).then(() => "written", (e: Error) => e.message);
        expect(await failure(withoutMessages)).to.equal(
            'Stack outputs missing: messagesTableName; Stack output "channelsTableName" is ["a"] (a list); expected a non-empty string; ' +
                'Stack output "usersTableName" is 5 (a number); expected a non-empty string; nothing was written',
        );
        expect(await failure({ ...outputs, channelsTableName: "slack-clone-channels-qa" })).to.equal(
            'Stack output "usersTableName" is 5 (a number); expected a non-empty string; nothing was written',
        );
    });

    it("flags an item that breaks a key or an index", () => {
        expect(itemProblems(spec("users"), { PK: "USER#x" })).to.deep.equal(["missing key attribute SK"]);
        expect(itemProblems(spec("users"), { PK: "USER#x", SK: "PROFILE", email: 42 })[0]).to.include("email must be a non-empty string");
    });

    it("writes only missing items, each only if its key is still new, the data set's last item last: an existing item is kept, not overwritten", async () => {
        const puts: { ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; Item: { PK: { S: string } } }[] = [];
        const client = {
            send: async (command: { input: Record<string, any> }) => {
                const { input } = command;
                // usr-alice is found by the read; usr-bob appears between the read and the write; usr-carol, the last item, is written last.
                if (input.RequestItems !== undefined) return { Responses: { "users-t": [{ PK: { S: "USER#usr-alice" }, SK: { S: "PROFILE" } }] } };
                if (input.Item === undefined) return {}; // DescribeTable
                puts.push(input as (typeof puts)[number]);
                if (input.Item.PK.S === "USER#usr-bob") throw Object.assign(new Error("The conditional request failed"), { name: "ConditionalCheckFailedException" });
                return {};
            },
        } as unknown as DynamoDBClient;
        // A table with no items (here the last) is left out: the last item written is the users'.
        const data = new Map([
            [spec("users"), loadSeedData().get(spec("users"))!],
            [spec("workspaces"), []],
        ]);
        const report = await seed(client, { [tableOutputName(spec("users"))]: "users-t", [tableOutputName(spec("workspaces"))]: "workspaces-t" }, data);
        expect(report).to.deep.equal({ written: { "users-t": 1 }, kept: { "users-t": 2 }, requests: 3, seededBefore: false });
        expect(puts.map((p) => p.Item.PK.S)).to.deep.equal(["USER#usr-bob", "USER#usr-carol"]);
        for (const put of puts) {
            expect(put.ConditionExpression).to.equal("attribute_not_exists(#pk)");
            expect(put.ExpressionAttributeNames).to.deep.equal({ "#pk": "PK" });
        }
    });

    it("writes the last item only once every other write has succeeded, and not at all when one fails", async () => {
        const events: string[] = [];
        const client = (failing?: string) =>
            ({
                send: async ({ input }: { input: Record<string, any> }) => {
                    if (input.RequestItems !== undefined) return { Responses: {} };
                    if (input.Item === undefined) return {}; // DescribeTable
                    const id = input.Item.PK.S as string;
                    events.push(`start ${id}`);
                    // The first user's write is slow: the last item must still wait for it.
                    await new Promise((resolve) => setTimeout(resolve, id === "USER#usr-alice" ? 30 : 1));
                    if (id === failing) throw new Error("ProvisionedThroughputExceededException");
                    events.push(`end ${id}`);
                    return {};
                },
            }) as unknown as DynamoDBClient;
        const data = new Map([[spec("users"), loadSeedData().get(spec("users"))!]]);
        const outputs = { [tableOutputName(spec("users"))]: "users-t" };
        await seed(client(), outputs, data);
        expect(events.indexOf("start USER#usr-carol"), events.join(", ")).to.be.above(events.indexOf("end USER#usr-alice"));
        events.length = 0;
        const error = await seed(client("USER#usr-bob"), outputs, data).then(() => undefined, (e: Error) => e);
        expect(error?.message).to.equal("ProvisionedThroughputExceededException");
        expect(events, "the last item is never written after a failure").to.not.include("start USER#usr-carol");
    });

    it("is demo data where the stack's demoData output says so (development, staging), nothing in production", async () => {
        const outputs = await Promise.all(["development", "staging", "production"].map(async (stack) => (await stackEvaluation(stack)).outputs));
        expect(outputs.map((o) => o.demoData)).to.deep.equal([true, true, false]);
        expect([...seedDataFor(outputs[0]).keys()]).to.deep.equal([...loadSeedData().keys()]);
        expect(seedDataFor(outputs[2]).size).to.equal(0);
        expect(() => seedDataFor({ ...outputs[0], demoData: "yes" }), "not read as false").to.throw('Stack output "demoData" is "yes" (a string); expected true or false');
        const { demoData: _, ...withoutDemoData } = outputs[0];
        expect(() => seedDataFor(withoutDemoData), "a missing output is not read as false either").to.throw('Stack output "demoData" is missing');
        // Hand-written or merged outputs cannot bring demo data into production (the config refuses it there).
        for (const environment of ["production", "production-dr"]) {
            expect(() => seedDataFor({ ...outputs[2], environment, demoData: true })).to.throw(
                `Stack outputs say demoData is true for environment ${environment}, which never gets demo data; nothing was written`,
            );
        }
    });
});

describe("seed on the local environment's tables", function () {
    this.timeout(60000);
    let local: LocalEnvironment;

    before(async () => {
        local = await localEnvironment();
    });

    it("never overwrites or restores: a user's change to a seeded item, and a seeded item deleted, survive the next seed, which writes nothing once the data set is whole", async () => {
        const data = loadSeedData();
        const tableOf = (name: string) => String(local.outputs[tableOutputName(spec(name))]);
        const scanEvery = () => Promise.all([...data.keys()].map((t) => scanAll(local.clients.dynamodb, String(local.outputs[tableOutputName(t)]))));
        const before = await scanEvery();
        for (const [i, [table, items]] of [...data].entries()) expect(before[i].length, table.name).to.equal(items.length);
        // A user renames herself and deletes a seeded message.
        await local.clients.dynamodb.send(
            new UpdateItemCommand({
                TableName: tableOf("users"),
                Key: marshall({ PK: "USER#usr-alice", SK: "PROFILE" }),
                UpdateExpression: "SET display_name = :name",
                ExpressionAttributeValues: marshall({ ":name": "Alice (renamed)" }),
            }),
        );
        const [deleted] = data.get(spec("messages"))!;
        await local.clients.dynamodb.send(new DeleteItemCommand({ TableName: tableOf("messages"), Key: marshall({ PK: deleted.PK, SK: deleted.SK }) }));
        try {
            const lines: string[] = [];
            const report = await seed(local.clients.dynamodb, local.outputs, data, { log: (line) => lines.push(line) });
            expect(report.seededBefore).to.equal(true);
            expect(Object.values(report.written).every((n) => n === 0), "nothing written").to.equal(true);
            expect(report.kept[tableOf("messages")]).to.equal(data.get(spec("messages"))!.length - 1);
            expect(lines).to.deep.equal([
                `  seeded before (${tableOf("workspaces")} holds WORKSPACE#ws-default METADATA, written last): nothing written, so what users changed or deleted since stays as it is`,
            ]);
            const after = await scanEvery();
            const expected = before.map((items) =>
                items.filter((item) => !(item.PK === deleted.PK && item.SK === deleted.SK)).map((item) => (item.user_id === "usr-alice" && item.SK === "PROFILE" ? { ...item, display_name: "Alice (renamed)" } : item)),
            );
            expect(after).to.deep.equal(expected);
        } finally {
            await local.clients.dynamodb.send(new PutItemCommand({ TableName: tableOf("messages"), Item: marshall(deleted) }));
        }
    });

    it("completes a data set an earlier run left part-written (its last item, the workspace, missing), writing that item last", async () => {
        const data = loadSeedData();
        const tableOf = (name: string) => String(local.outputs[tableOutputName(spec(name))]);
        const [workspace] = data.get(spec("workspaces"))!;
        const [message] = data.get(spec("messages"))!;
        await local.clients.dynamodb.send(new DeleteItemCommand({ TableName: tableOf("workspaces"), Key: marshall({ PK: workspace.PK, SK: workspace.SK }) }));
        await local.clients.dynamodb.send(new DeleteItemCommand({ TableName: tableOf("messages"), Key: marshall({ PK: message.PK, SK: message.SK }) }));
        const lines: string[] = [];
        const report = await seed(local.clients.dynamodb, local.outputs, data, { log: (line) => lines.push(line) });
        expect(report.seededBefore).to.equal(false);
        expect(report.written).to.include({ [tableOf("workspaces")]: 1, [tableOf("messages")]: 1 });
        expect(Object.values(report.written).reduce((a, b) => a + b, 0), "only the missing two").to.equal(2);
        expect(lines[lines.length - 1], "the workspace's table is reported last").to.match(new RegExp(`^  ${tableOf("workspaces")}: 1 item written, 0 items already there and kept`));
        expect(await scanAll(local.clients.dynamodb, tableOf("workspaces"))).to.have.length(1);
    });

    it("writes nothing when a table is missing, naming it", async () => {
        const empty = "slack-clone-users-seedcheck";
        await local.clients.dynamodb.send(new CreateTableCommand(createTableInput(spec("users"), empty)));
        const outputs = { ...local.outputs, usersTableName: empty, channelsTableName: "slack-clone-channels-nowhere" };
        let error: Error | undefined;
        await seed(local.clients.dynamodb, outputs, loadSeedData()).catch((e: Error) => (error = e));
        expect(error?.message).to.equal("Tables missing: slack-clone-channels-nowhere; deploy the stack first. Nothing was written");
        expect(await scanAll(local.clients.dynamodb, empty)).to.deep.equal([]);
    });

    it("writes nothing when an output is missing, naming it", async () => {
        const { messagesTableName: _, ...outputs } = local.outputs;
        let error: Error | undefined;
        await seed(local.clients.dynamodb, outputs, loadSeedData()).catch((e: Error) => (error = e));
        expect(error?.message).to.equal("Stack outputs missing: messagesTableName; nothing was written");
    });

    it("dry run writes nothing and says what it would write", async () => {
        const lines: string[] = [];
        const report = await seed({} as DynamoDBClient, local.outputs, loadSeedData(), { dryRun: true, log: (l) => lines.push(l) });
        expect(report.requests).to.equal(0);
        expect(lines).to.include("would write 6 items to slack-clone-messages-development, each only if its key is not there yet");
        // It reads nothing, so it says what a real run on a seeded stack would do.
        expect(lines[0]).to.equal(
            "dry run, no table read: a real run writes only the items not there yet, and nothing at all where slack-clone-workspaces-development holds WORKSPACE#ws-default METADATA (written last)",
        );
    });

    it("writes nothing, and makes no request, for a data set with no items (demoData false gives npm start an empty one)", async () => {
        const report = await seed({} as DynamoDBClient, local.outputs, new Map());
        expect(report).to.deep.equal({ written: {}, kept: {}, requests: 0, seededBefore: false });
    });

});

describe("npm run seed's command line", () => {
    it("refuses a --concurrency outside 1 to 50 (the AWS SDK's 50 sockets; a request waiting for one has no timeout), before any call", async () => {
        for (const value of ["0", "2.5", "many", "0x10", "1e1", " 8", String(MAX_CONCURRENCY + 1)]) {
            let error: Error | undefined;
            await main(["--outputs", outputsFile(), "--concurrency", value]).catch((e: Error) => (error = e));
            expect(error?.message, value).to.equal(`--concurrency must be a whole number from 1 to 50 in decimal digits (the AWS SDK opens at most 50 connections); got ${value}`);
        }
    });
});

describe("npm run seed against an endpoint that accepts and never answers (as a process)", function () {
    this.timeout(30000);

    it("gives up within its bound, naming the endpoint, the action and the table, without a stack trace", async () => {
        const stalled = await stalledEndpoint();
        try {
            const started = Date.now();
            const seed = run(...tsx("deploy/seed/seed.ts", "--outputs", outputsFile(), "--timeout", "0.1"), endpointEnv(stalled.endpoint));
            expect(await seed.exited).to.equal(1);
            expect(Date.now() - started, "3 attempts of 0.1 s, backoff and start-up").to.be.below(15000);
            expect(seed.output()).to.match(
                new RegExp(`^seed failed: DynamoDB DescribeTable slack-clone-[a-z-]+-staging at http://127\\.0\\.0\\.1:${stalled.port}: no answer in 100 ms \\(3 attempts\\)$`, "m"),
            );
            expect(seed.output(), "no stack trace").to.not.match(/^\s+at /m);
        } finally {
            stalled.close();
        }
    });
});

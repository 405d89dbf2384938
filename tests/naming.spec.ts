import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { spawnSync } from "child_process";
import { ENVIRONMENTS } from "../components/naming";
import { NAME_RULES, nameProblem, physicalName } from "../components/naming";
import { checkPhysicalNames } from "../components/name-check";
import { Evaluation, STANDARD_CALLS, evaluate } from "../harness/mock-engine";
import { backendImage, evaluateWith, serially } from "./helpers/stacks";

const LONGEST = [...ENVIRONMENTS].sort((a, b) => b.length - a.length)[0];

/** Production's config under the longest environment name, with every optional named resource on. */
const EVERYTHING_ON = {
    "slack-clone:environment": LONGEST,
    "slack-clone:customDomain": "files.chat.example.com",
    "slack-clone:customDomainZoneId": "Z0123456789ABCDEFGHIJ",
    "slack-clone:backendImage": backendImage("production", LONGEST),
    // A stack of that environment tags its resources with it.
    "aws:defaultTags": JSON.stringify({ tags: { project: "slack-clone", environment: LONGEST, stack: LONGEST, "managed-by": "pulumi" } }),
};

describe("Physical names", () => {
    let evaluation: Evaluation;
    before(async () => {
        evaluation = await evaluateWith("production", { config: EVERYTHING_ON, stackName: LONGEST });
    });

    it(`fit AWS's limit for every named resource type, with the longest environment name (${LONGEST})`, () => {
        expect(LONGEST).to.equal("production-dr");
        const named = evaluation.resources.filter((r) => NAME_RULES[r.type] !== undefined);
        const problems = named.flatMap((r) =>
            Object.keys(NAME_RULES[r.type].inputs)
                .filter((input) => typeof r.inputs[input] === "string")
                .map((input) => nameProblem(r.type, input, r.inputs[input]))
                .filter((p) => p !== undefined),
        );
        expect(problems).to.deep.equal([]);
        // Every rule is exercised here: the test covers every named type, and no rule is dead.
        expect([...new Set(named.map((r) => r.type))].sort()).to.deep.equal(Object.keys(NAME_RULES).sort());
    });

    it("are set only on resource types that have a rule", () => {
        const unruled = evaluation.resources.filter(
            (r) => r.custom && (r.inputs.name !== undefined || r.inputs.namePrefix !== undefined) && NAME_RULES[r.type] === undefined,
        );
        expect(unruled.map((r) => r.type)).to.deep.equal([]);
    });

    it("are checked by index.ts for every resource, names made of outputs included: a too-long account id fails the bucket", async () => {
        const identity = STANDARD_CALLS["aws:index/getCallerIdentity:getCallerIdentity"];
        const calls = { ...STANDARD_CALLS, "aws:index/getCallerIdentity:getCallerIdentity": (i: Record<string, any>, c: Parameters<typeof identity>[1]) => ({ ...identity(i, c), accountId: "1".repeat(40) }) };
        const failure = await evaluateWith("development", { calls }).then(
            () => undefined,
            (error: Error) => error,
        );
        expect(failure?.message).to.match(
            /^error serializing property "bucket": Resource "storage-files": aws:s3\/bucket:Bucket bucket "slack-clone-files-development-1{40}" is 70 characters; AWS allows at most 63 \(https:\/\/docs\.aws\.amazon\.com\/AmazonS3\/latest\/userguide\/bucketnamingrules\.html\)/,
        );
    });

    it("refuse a resource that sets a name its type has no rule for, and a plain name over its limit, when it is declared", async () => {
        const attempt = (program: () => void) =>
            serially(() =>
                evaluate("test", { "aws:region": "us-east-1" }, () => {
                    pulumi.runtime.registerStackTransformation(checkPhysicalNames);
                    program();
                    return {};
                }),
            ).then(
                () => undefined,
                (error: Error) => error.message,
            );
        expect(await attempt(() => new aws.kinesis.Stream("stream", { name: physicalName("events", "development"), shardCount: 1 }))).to.equal(
            'Resource "stream": aws:kinesis/stream:Stream has no naming rule for its input "name"; add one to NAME_RULES in components/naming.ts',
        );
        expect(await attempt(() => new aws.backup.Vault("vault", { name: physicalName("backups-of-every-table-we-have", "production-dr") }))).to.match(
            /^Resource "vault": aws:backup\/vault:Vault name "slack-clone-backups-of-every-table-we-have-production-dr" is 56 characters; AWS allows at most 50 /,
        );
        expect(await attempt(() => new aws.backup.Vault("vault", { name: physicalName("backups", "production-dr") }))).to.equal(undefined);
    });
});

describe("naming.ts without the Pulumi SDK", () => {
    it("the commands that only need names and stack files (npm start, seed, health check, cdn-key, keep-backend-image) do not load the Pulumi SDK: it cost each about a second", () => {
        const modules = ["./local/start", "./deploy/seed/seed", "./deploy/health", "./dev/cdn-key", "./deploy/keep-backend-image", "./components/config", "./components/tables"];
        // Reading and validating the development stack file as npm start does, aws:defaultTags included.
        const work = `require("./components/config").validateConfig(require("./harness/stack-files").rawConfig("development"));`;
        const probe = `${modules.map((m) => `require(${JSON.stringify(m)});`).join("")}${work}console.log(Object.keys(require.cache).filter((f) => f.includes("/node_modules/@pulumi/pulumi/")).length)`;
        const loaded = spawnSync(process.execPath, ["--import", "tsx", "-e", probe], { encoding: "utf8" });
        expect(loaded.stderr).to.equal("");
        expect(loaded.stdout.trim(), "files of @pulumi/pulumi loaded").to.equal("0");
    });
});

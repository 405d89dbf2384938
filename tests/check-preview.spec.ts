import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findDataLoss, main, PreviewDigest, PreviewStep } from "../deploy/check-preview";
import { PROJECT_ROOT } from "../harness/stack-files";

describe("the data guard (deploy/check-preview.ts)", () => {
    const fixture = (name: string) =>
        JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", name), "utf8")) as PreviewDigest;
    const urn = (stack: string, type: string, name: string) => `urn:pulumi:${stack}::slack-clone::slack-clone:data:DataLayer$${type}::${name}`;
    const TABLE = "aws:dynamodb/table:Table";
    const BUCKET = "aws:s3/bucket:Bucket";
    const step = (op: PreviewStep["op"], type: string, name: string, protect: { old?: boolean; new?: boolean } = {}): PreviewStep => ({
        op,
        urn: urn("development", type, name),
        oldState: op === "create" ? undefined : { type, protect: protect.old },
        newState: op === "delete" ? undefined : { type, protect: protect.new },
    });

    it("fails a production preview that replaces a protected table, naming it and nothing else", () => {
        const losses = findDataLoss(fixture("preview-production-replaces-protected-table.json"), { allowDataReplacement: true });
        expect(losses).to.deep.equal([{ urn: urn("production", TABLE, "data-messages"), type: TABLE, ops: ["replace"], protected: true }]);
    });

    it("passes a preview that only creates, updates in place and deletes resources holding no data", () => {
        expect(findDataLoss(fixture("preview-staging-safe-changes.json"))).to.deep.equal([]);
    });

    it("fails on an unprotected table or bucket deleted or replaced, unless replacement is allowed", () => {
        const digest: PreviewDigest = {
            steps: [
                step("create-replacement", BUCKET, "storage-files"),
                step("replace", BUCKET, "storage-files"),
                step("delete-replaced", BUCKET, "storage-files"),
                step("delete", TABLE, "data-presence"),
                step("update", TABLE, "data-users"),
            ],
        };
        expect(findDataLoss(digest).map(({ urn: u, ops }) => [u.split("::").pop(), ops])).to.deep.equal([
            ["storage-files", ["create-replacement", "replace", "delete-replaced"]],
            ["data-presence", ["delete"]],
        ]);
        expect(findDataLoss(digest, { allowDataReplacement: true })).to.deep.equal([]);
    });

    it("fails on any protected resource, even one the same change unprotects, whatever the label", () => {
        const digest: PreviewDigest = {
            steps: [
                step("replace", TABLE, "data-messages", { old: true, new: false }),
                step("delete", "aws:kms/key:Key", "data-key", { old: true }),
                { op: "delete-replaced", urn: urn("development", "aws:ec2/vpc:Vpc", "network-vpc"), oldState: { protect: true } },
            ],
        };
        expect(findDataLoss(digest, { allowDataReplacement: true }).map(({ type, protected: p }) => [type, p])).to.deep.equal([
            [TABLE, true],
            ["aws:kms/key:Key", true],
            ["aws:ec2/vpc:Vpc", true],
        ]);
    });

    it("passes a preview with no steps (the CLI omits the key)", () => {
        expect(findDataLoss({})).to.deep.equal([]);
    });

    it("refuses a file that is not pulumi preview --json output, naming it, instead of passing it as safe", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "check-preview-"));
        const write = (name: string, text: string) => (fs.writeFileSync(path.join(dir, name), text), path.join(dir, name));
        const failure = (file: string) => main([file]).then(() => "passed", (e: Error) => e.message);
        const truncated = write("truncated.json", '{"steps": [');
        const message = await failure(truncated);
        expect(message.startsWith(`${truncated}: `) && message.endsWith(" (expected the output of pulumi preview --json)"), message).to.equal(true);
        const list = write("list.json", "[]");
        expect(await failure(list)).to.equal(`${list}: not the output of pulumi preview --json (a JSON object with "steps")`);
    });

    it("exits 1 naming the resource, and 0 on a safe preview (npx tsx deploy/check-preview.ts)", () => {
        const run = (file: string) =>
            spawnSync(process.execPath, ["--require", "tsx/cjs", "deploy/check-preview.ts", path.join("tests", "fixtures", file)], {
                cwd: PROJECT_ROOT,
                encoding: "utf8",
            });
        const failing = run("preview-production-replaces-protected-table.json");
        expect(failing.status).to.equal(1);
        expect(failing.stderr).to.include("data-messages (aws:dynamodb/table:Table): replace [protected]");
        const passing = run("preview-staging-safe-changes.json");
        expect(passing.status, passing.stderr).to.equal(0);
    });
});

import { expect } from "chai";
import { spawnSync } from "child_process";
import { renderPlan } from "../dev/preview";
import { evaluateWith, stackEvaluation } from "./helpers/stacks";

describe("offline plan (npm run preview)", () => {
    it("lists the production tables as a tree under their component, with a count per type", async () => {
        const plan = renderPlan(await stackEvaluation("production"));
        expect(plan).to.match(/^\+ slack-clone:data:DataLayer {2}data$/m);
        const tables = plan.match(/^ {4}\+ aws:dynamodb\/table:Table {2}data-[a-z-]+ \(slack-clone-[a-z-]+-production\) {2}\[protected, retained on delete\]$/gm);
        expect(tables).to.have.length(12);
        expect(plan).to.match(/^ +12 {2}aws:dynamodb\/table:Table$/m);
    });

    it("exits non-zero naming the problem for an unknown stack", () => {
        const run = spawnSync(process.execPath, ["--require", "tsx/cjs", "dev/preview.ts", "prod"], { encoding: "utf8" });
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include('Unknown stack "prod"');
        expect(run.stderr).to.include("development, production, staging");
    });
});

describe("evaluation with bad config", () => {
    it("fails with the validation error, before any resource is declared", async () => {
        let error: Error | undefined;
        await evaluateWith("staging", { config: { "slack-clone:vpcCidr": "10.0.0.0/33" } }).catch((e: Error) => (error = e));
        expect(error?.message).to.include('vpcCidr: got "10.0.0.0/33"');
    });
});

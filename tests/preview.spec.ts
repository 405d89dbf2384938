import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main, renderPlan, uniqueStacks, vpcLayout } from "../dev/preview";
import { listStacks, stackName } from "../harness/stack-files";
import { captureLog } from "./helpers/console";
import { evaluateWith, stackEvaluation } from "./helpers/stacks";

describe("offline plan (npm run preview)", () => {
    it("lists the production tables as a tree under their component, with a count per type", async () => {
        const plan = renderPlan(await stackEvaluation("production"));
        expect(plan).to.match(/^\+ slack-clone:data:DataLayer {2}data$/m);
        const tables = plan.match(/^ {4}\+ aws:dynamodb\/table:Table {2}data-[a-z-]+ \(slack-clone-[a-z-]+-production\) {2}\[protected, retained on delete\]$/gm);
        expect(tables).to.have.length(12);
        expect(plan).to.match(/^ +12 {2}aws:dynamodb\/table:Table$/m);
    });

    it("shows the VPC's zones, subnets and NAT gateways, which differ between stacks", async () => {
        const [production, development] = [renderPlan(await stackEvaluation("production")), renderPlan(await stackEvaluation("development"))];
        expect(production).to.match(/^ {4}\+ awsx:ec2:Vpc {2}network-vpc\n {8}= 10\.0\.0\.0\/16, 3 availability zones, 3 NAT gateways \(OnePerAz\)\n {8}= /m);
        expect(development).to.include("= 10.0.0.0/16, 2 availability zones, 1 NAT gateway (Single)");
        expect(vpcLayout({ cidrBlock: "10.0.0.0/16", numberOfAvailabilityZones: 2, natGateways: { strategy: "Single" }, subnetSpecs: [{ type: "Private", cidrBlocks: ["10.0.0.0/19", "10.0.32.0/19"] }] })).to.deep.equal([
            "= 10.0.0.0/16, 2 availability zones, 1 NAT gateway (Single)",
            "= private subnets: zone 1 10.0.0.0/19, zone 2 10.0.32.0/19",
        ]);
    });

    it("shows a placeholder, not a mock id, for a name that embeds an id AWS assigns", async () => {
        const plan = renderPlan(await stackEvaluation("production"));
        expect(plan).to.include("api-execution-logs (API-Gateway-Execution-Logs_<api-rest-api id>/production)");
        expect(plan, "no mock id anywhere").to.not.match(/::/);
    });

    const preview = (...argv: string[]) => captureLog(() => main(argv, { evaluate: stackEvaluation }));

    it("previews several stacks in one run, one plan after another", async () => {
        const { printed, error } = await preview("staging", "development");
        expect(error).to.equal(undefined);
        expect(printed.match(/^Stack [a-z]+: \d+ resources would be created$/gm)).to.deep.equal([
            printed.match(/^Stack staging: \d+ resources would be created$/m)![0],
            printed.match(/^Stack development: \d+ resources would be created$/m)![0],
        ]);
    });

    it("checks every named stack's config before evaluating any, and lists every bad stack, each by name, in one error", async () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "preview-"));
        for (const file of ["Pulumi.yaml", "Pulumi.development.yaml"]) fs.copyFileSync(file, path.join(root, file));
        const development = fs.readFileSync("Pulumi.development.yaml", "utf8");
        const broken = (stack: string, extra: string) => development.replace(/stack: development/, `stack: ${stack}`) + extra;
        fs.writeFileSync(path.join(root, "Pulumi.b1.yaml"), broken("b1", "  slack-clone:frontendUrl2: x\n  slack-clone:logRetentionDays: 31\n"));
        fs.writeFileSync(path.join(root, "Pulumi.b8.yaml"), broken("b8", "  slack-clone:availabilityZones: 0\n"));
        const evaluated: string[] = [];
        const evaluate = (stack: string) => (evaluated.push(stack), stackEvaluation(stack));
        const { printed, error } = await captureLog(() => main(["development", "b1", "b8"], { root, evaluate }));
        expect(error?.message.split("\n")).to.deep.equal([
            "2 of the 3 stacks named cannot be previewed (no plan printed):",
            "Pulumi.b1.yaml:",
            '  - "slack-clone:frontendUrl2" is not a key of this project; did you mean "slack-clone:frontendUrl"?',
            '  - logRetentionDays: got 31; expected one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653',
            "Pulumi.b8.yaml:",
            '  - availabilityZones: got 0; expected an integer from 2 to 6',
        ]);
        expect(evaluated, "no evaluation before every stack is checked").to.deep.equal([]);
        expect(printed).to.equal("");
        // Once the configs are good, a program error names its stack, after the plans of the stacks before it.
        const failing = await captureLog(() =>
            main(["development", "staging"], { evaluate: (stack) => (stack === "staging" ? Promise.reject(new Error("boom")) : stackEvaluation(stack)) }),
        );
        expect(failing.error?.message).to.equal("Stack staging: boom");
        expect(failing.printed).to.match(/^Stack development: \d+ resources would be created$/m);
    });

    it("previews a stack named twice once, by the stack its reference names (development and acme/slack-clone/development were two plans), in its first spelling", async () => {
        const evaluated: string[] = [];
        const { printed, error } = await captureLog(() =>
            main(["development", "acme/slack-clone/development", "staging", "development", "acme/staging"], { evaluate: (stack) => (evaluated.push(stack), stackEvaluation(stackName(stack))) }),
        );
        expect(error).to.equal(undefined);
        expect(evaluated).to.deep.equal(["development", "staging"]);
        expect(printed.match(/^Stack [a-z]+: \d+ resources would be created$/gm)).to.have.length(2);
        expect(uniqueStacks(["acme/staging", "staging", "not a stack", "not a stack", "qa"])).to.deep.equal(["acme/staging", "not a stack", "qa"]);
    });

    it("fails naming the problem for an unknown stack, before any plan", async () => {
        const { printed, error } = await preview("staging", "prod");
        expect(error?.message).to.include('Unknown stack "prod"').and.include(`Stacks: ${listStacks().join(", ")}`);
        expect(printed).to.equal("");
    });
});

describe("evaluation with bad config", () => {
    it("fails with the validation error, naming the stack, before any resource is declared", async () => {
        let error: Error | undefined;
        await evaluateWith("staging", { config: { "slack-clone:vpcCidr": "10.0.0.0/33" } }).catch((e: Error) => (error = e));
        expect(error?.message).to.match(/^Invalid configuration of stack "staging":\n  - vpcCidr: got "10\.0\.0\.0\/33"/);
    });
});

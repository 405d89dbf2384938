import { expect } from "chai";
import { main, renderPlan, vpcLayout } from "../dev/preview";
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

    it("fails naming the problem for an unknown stack, before any plan", async () => {
        const { printed, error } = await preview("staging", "prod");
        expect(error?.message).to.include('Unknown stack "prod"').and.include("development, production, staging");
        expect(printed).to.equal("");
    });
});

describe("evaluation with bad config", () => {
    it("fails with the validation error, before any resource is declared", async () => {
        let error: Error | undefined;
        await evaluateWith("staging", { config: { "slack-clone:vpcCidr": "10.0.0.0/33" } }).catch((e: Error) => (error = e));
        expect(error?.message).to.include('vpcCidr: got "10.0.0.0/33"');
    });
});

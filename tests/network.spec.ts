import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { privateRouteTableIds, zoneSubnetCidrs } from "../components/network";
import { Evaluation, MOCK_EXISTING_VPC_CIDR, byName, mockId, ofType } from "../harness/mock-engine";
import { EGRESS, GROUP, INGRESS, rulesOf } from "./helpers/security-groups";
import { STACKS, evaluateWith, stackEvaluation } from "./helpers/stacks";

const VPC = "awsx:ec2:Vpc";
const ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";
const NETWORK = "slack-clone:network:Network::network";

/**
 * The subnets awsx's automatic layout gave a 10.0.0.0/16 VPC (awsx/ec2/subnetDistributorNew.ts:
 * zone blocks of /16 + ceil(log2(zones)), a private subnet one bit longer, then a public one two bits
 * longer): what the deployed stacks have, and must keep.
 */
const DEPLOYED_SUBNETS = {
    2: { private: ["10.0.0.0/18", "10.0.128.0/18"], public: ["10.0.64.0/19", "10.0.192.0/19"] },
    3: { private: ["10.0.0.0/19", "10.0.64.0/19", "10.0.128.0/19"], public: ["10.0.32.0/20", "10.0.96.0/20", "10.0.160.0/20"] },
};

/** What each stack's config asks of the network. */
const EXPECTED: Record<string, { zones: 2 | 3; nat: string }> = {
    development: { zones: 2, nat: "Single" },
    staging: { zones: 2, nat: "Single" },
    production: { zones: 3, nat: "OnePerAz" },
};

describe("subnet CIDRs per availability zone (zoneSubnetCidrs)", () => {
    it("keeps the CIDRs the deployed stacks have: two zones of a /16 at /17, three at /18", () => {
        expect(zoneSubnetCidrs("10.0.0.0/16", 17, 2)).to.deep.equal(DEPLOYED_SUBNETS[2]);
        expect(zoneSubnetCidrs("10.0.0.0/16", 18, 3)).to.deep.equal(DEPLOYED_SUBNETS[3]);
    });

    it("gives zones 1..n the same CIDRs whatever the zone count (pulumi/pulumi-awsx#520: awsx's layout re-carves them)", () => {
        for (const mask of [17, 18, 20]) {
            const most = zoneSubnetCidrs("10.0.0.0/16", mask, 2 ** (mask - 16) >= 4 ? 4 : 2);
            for (let n = 1; n <= most.private.length; n++) {
                const fewer = zoneSubnetCidrs("10.0.0.0/16", mask, n);
                expect(fewer.private, `/${mask}, ${n} zones`).to.deep.equal(most.private.slice(0, n));
                expect(fewer.public, `/${mask}, ${n} zones`).to.deep.equal(most.public.slice(0, n));
            }
        }
        // Staging growing to 3 zones at production's mask would move its subnets: the mask stays the stack's.
        expect(zoneSubnetCidrs("10.0.0.0/16", 17, 2).private).to.not.deep.equal(zoneSubnetCidrs("10.0.0.0/16", 18, 3).private.slice(0, 2));
    });

    it("refuses more zones than the VPC holds at that mask", () => {
        expect(() => zoneSubnetCidrs("10.0.0.0/16", 17, 3)).to.throw("10.0.0.0/16 holds 2 blocks of /17, not 3");
        expect(zoneSubnetCidrs("172.16.0.0/20", 22, 4).public).to.deep.equal(["172.16.2.0/24", "172.16.6.0/24", "172.16.10.0/24", "172.16.14.0/24"]);
    });
});

for (const stack of STACKS) {
    describe(`Network in ${stack}`, () => {
        let evaluation: Evaluation;
        let vpcCidr: string;
        const { zones, nat } = EXPECTED[stack];
        const privateRouteTables = Array.from({ length: zones }, (_, i) => `rtb-network-vpc-private-${i + 1}`);
        const privateSubnets = Array.from({ length: zones }, (_, i) => `subnet-network-vpc-private-${i + 1}`);

        before(async () => {
            evaluation = await stackEvaluation(stack);
            vpcCidr = evaluation.config["slack-clone:vpcCidr"];
        });

        it(`creates one VPC with the configured CIDR, ${zones} zones and NAT strategy ${nat}`, () => {
            const vpcs = ofType(evaluation, VPC);
            expect(vpcs).to.have.length(1);
            expect(vpcs[0].inputs).to.deep.equal({
                cidrBlock: vpcCidr,
                numberOfAvailabilityZones: zones,
                subnetStrategy: "Auto",
                subnetSpecs: [
                    { type: "Private", cidrBlocks: DEPLOYED_SUBNETS[zones].private },
                    { type: "Public", cidrBlocks: DEPLOYED_SUBNETS[zones].public },
                ],
                natGateways: { strategy: nat },
            });
            expect(vpcs[0].options.parent).to.equal(NETWORK);
        });

        it("routes DynamoDB and S3 through gateway endpoints on the private route tables only", () => {
            const endpoints = ofType(evaluation, ENDPOINT);
            expect(endpoints.map((e) => e.inputs)).to.deep.equal(
                ["dynamodb", "s3"].map((service) => ({
                    vpcId: "vpc-network-vpc",
                    serviceName: `com.amazonaws.${evaluation.config["aws:region"]}.${service}`,
                    vpcEndpointType: "Gateway",
                    routeTableIds: privateRouteTables,
                })),
            );
            for (const e of endpoints) expect(e.options.parent).to.equal(NETWORK);
        });

        it("gives the backend 8000/tcp from the VPC CIDR only, and all outbound", () => {
            const backend = byName(evaluation, GROUP, "network-backend");
            expect(backend.inputs.vpcId).to.equal("vpc-network-vpc");
            expect(backend.inputs.namePrefix).to.equal(`slack-clone-backend-${stack}-`);
            expect(rulesOf(evaluation, INGRESS, backend)).to.deep.equal([{ ipProtocol: "tcp", fromPort: 8000, toPort: 8000, cidrIpv4: vpcCidr }]);
            expect(rulesOf(evaluation, EGRESS, backend)).to.deep.equal([{ ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" }]);
        });

        it("admits nothing from the internet, and declares rules one way only (per-rule resources)", () => {
            const ingress = ofType(evaluation, INGRESS);
            expect(ingress).to.not.be.empty;
            for (const r of ingress) {
                expect(r.inputs.cidrIpv4, r.name).to.not.equal("0.0.0.0/0");
                expect(r.inputs.cidrIpv6, r.name).to.equal(undefined);
            }
            for (const group of ofType(evaluation, GROUP)) {
                expect(group.inputs.ingress, group.name).to.equal(undefined);
                expect(group.inputs.egress, group.name).to.equal(undefined);
            }
            expect(ofType(evaluation, "aws:ec2/securityGroupRule:SecurityGroupRule")).to.be.empty;
        });

        it("exports the VPC id, the private subnet ids and the backend security group id", () => {
            expect(evaluation.outputs.vpcId).to.equal("vpc-network-vpc");
            expect(evaluation.outputs.privateSubnetIds).to.deep.equal(privateSubnets);
            expect(evaluation.outputs.backendSecurityGroupId).to.equal(mockId(byName(evaluation, GROUP, "network-backend")));
        });
    });
}

describe("Network with an existing VPC", () => {
    const vpcId = "vpc-0123456789abcdef0";
    const subnets = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"];
    let evaluation: Evaluation;

    before(async () => {
        evaluation = await evaluateWith("development", {
            config: { "slack-clone:existingVpcId": vpcId, "slack-clone:existingPrivateSubnetIds": JSON.stringify(subnets) },
        });
    });

    it("creates no VPC and leaves the VPC's routing alone (no endpoints)", () => {
        expect(ofType(evaluation, VPC)).to.be.empty;
        expect(ofType(evaluation, ENDPOINT)).to.be.empty;
    });

    it("puts the backend and Redis in the given VPC and subnets", () => {
        expect(byName(evaluation, GROUP, "network-backend").inputs.vpcId).to.equal(vpcId);
        expect(byName(evaluation, GROUP, "cache-redis").inputs.vpcId).to.equal(vpcId);
        expect(byName(evaluation, "aws:elasticache/subnetGroup:SubnetGroup", "cache-subnets").inputs.subnetIds).to.deep.equal(subnets);
        expect(evaluation.outputs.vpcId).to.equal(vpcId);
        expect(evaluation.outputs.privateSubnetIds).to.deep.equal(subnets);
    });

    it("admits 8000/tcp from that VPC's own CIDR, looked up, not from vpcCidr", () => {
        expect(evaluation.config["slack-clone:vpcCidr"]).to.not.equal(MOCK_EXISTING_VPC_CIDR);
        const backend = byName(evaluation, GROUP, "network-backend");
        expect(rulesOf(evaluation, INGRESS, backend)).to.deep.equal([{ ipProtocol: "tcp", fromPort: 8000, toPort: 8000, cidrIpv4: MOCK_EXISTING_VPC_CIDR }]);
    });
});

describe("privateRouteTableIds", () => {
    const resolve = <T>(output: pulumi.Output<T>) => new Promise<T>((ok) => output.apply(ok));

    it("keeps the route tables that serve a private subnet, once each, when fields are outputs (resource references)", async () => {
        const association = (subnetId: string, routeTableId: string) =>
            ({ subnetId: pulumi.output(subnetId), routeTableId: pulumi.output(routeTableId) }) as any;
        const vpc = {
            routeTableAssociations: pulumi.output([
                association("subnet-public-1", "rtb-public"),
                association("subnet-private-1", "rtb-private-1"),
                association("subnet-public-2", "rtb-public"),
                association("subnet-private-2", "rtb-private-2"),
                association("subnet-private-3", "rtb-private-2"),
            ]),
            privateSubnetIds: pulumi.output(["subnet-private-1", "subnet-private-2", "subnet-private-3"]),
        };
        expect(await resolve(privateRouteTableIds(vpc))).to.deep.equal(["rtb-private-1", "rtb-private-2"]);
    });
});

import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
// Only the ec2 module of awsx: the package index also loads ECS, load balancers and the classic API.
import * as awsx from "@pulumi/awsx/ec2";
import type { ec2 as awsxInput } from "@pulumi/awsx/types/input";
import { BACKEND_PORT } from "../deploy/backend-env";
import { NAT_STRATEGIES } from "./config";
import { physicalName } from "./naming";

/** The port the backend listens on, admitted from inside the VPC. */
export { BACKEND_PORT };

/** AWS services reached through gateway endpoints instead of the NAT gateways. */
export const GATEWAY_ENDPOINT_SERVICES = ["dynamodb", "s3"] as const;

export interface NetworkArgs {
    /** Environment name, part of the security group's name. */
    readonly environment: string;
    /** AWS region of the stack: part of the endpoint service names. */
    readonly region: string;
    /** CIDR of the VPC to create; the backend security group admits port 8000 from it. */
    readonly vpcCidr: string;
    /** Availability zones with a private and a public subnet each. */
    readonly availabilityZones: number;
    /** Prefix length of each zone's block of `vpcCidr` (see `zoneSubnetCidrs`). */
    readonly availabilityZoneCidrMask: number;
    /** One NAT gateway for the VPC, or one per availability zone. */
    readonly natGateways: (typeof NAT_STRATEGIES)[number];
    /**
     * Use this VPC and these private subnets instead of creating a VPC. The VPC belongs to someone
     * else, so its routing is left alone: it provides its own gateway endpoints, and the backend
     * security group admits the VPC's own CIDR (looked up), not `vpcCidr`.
     */
    readonly existingVpc?: { readonly vpcId: string; readonly privateSubnetIds: readonly string[] };
}

interface VpcShape {
    readonly vpcId: pulumi.Output<string>;
    readonly privateSubnetIds: pulumi.Output<string[]>;
    readonly cidrBlock: pulumi.Output<string>;
}

/**
 * The backend's network: a VPC with private subnets across availability zones (or an existing
 * VPC), gateway endpoints that keep DynamoDB and S3 traffic off the NAT gateways, and the
 * backend's security group.
 */
export class Network extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    /** Where the backend and Redis run. */
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    /** The backend: 8000/tcp from the VPC, all outbound. Redis admits it by reference. */
    public readonly backendSecurityGroup: aws.ec2.SecurityGroup;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slack-clone:network:Network", name, {}, opts);

        const vpc = args.existingVpc === undefined ? this.createVpc(name, args) : this.useExistingVpc(args.existingVpc);
        this.vpcId = vpc.vpcId;
        this.privateSubnetIds = vpc.privateSubnetIds;
        this.backendSecurityGroup = this.createBackendSecurityGroup(name, args.environment, vpc.cidrBlock);

        this.registerOutputs({
            vpcId: this.vpcId,
            privateSubnetIds: this.privateSubnetIds,
            backendSecurityGroupId: this.backendSecurityGroup.id,
        });
    }

    /** A new VPC, with the gateway endpoints on its private route tables. */
    private createVpc(name: string, args: NetworkArgs): VpcShape {
        const vpc = new awsx.Vpc(
            `${name}-vpc`,
            {
                cidrBlock: args.vpcCidr,
                numberOfAvailabilityZones: args.availabilityZones,
                // Per zone, a private subnet and a smaller public one for the NAT gateway, at CIDRs that
                // depend on the zone's index only: a change of zone count adds or removes zones and
                // leaves the others' subnets alone (awsx's automatic layout would re-carve them all,
                // pulumi/pulumi-awsx#520). Explicit `cidrBlocks` keep awsx's subnet names.
                subnetStrategy: "Auto",
                subnetSpecs: subnetSpecs(zoneSubnetCidrs(args.vpcCidr, args.availabilityZoneCidrMask, args.availabilityZones)),
                natGateways: { strategy: args.natGateways },
            },
            { parent: this },
        );
        this.createGatewayEndpoints(name, args.region, vpc.vpcId, privateRouteTableIds(vpc));
        return { vpcId: vpc.vpcId, privateSubnetIds: vpc.privateSubnetIds, cidrBlock: pulumi.output(args.vpcCidr) };
    }

    /** Someone else's VPC: only read (its CIDR), never changed. */
    private useExistingVpc(existing: NonNullable<NetworkArgs["existingVpc"]>): VpcShape {
        return {
            vpcId: pulumi.output(existing.vpcId),
            privateSubnetIds: pulumi.output([...existing.privateSubnetIds]),
            cidrBlock: aws.ec2.getVpcOutput({ id: existing.vpcId }, { parent: this }).cidrBlock,
        };
    }

    /** Gateway endpoints for DynamoDB and S3, routed from the private subnets only. */
    private createGatewayEndpoints(name: string, region: string, vpcId: pulumi.Input<string>, routeTableIds: pulumi.Input<string[]>): void {
        for (const service of GATEWAY_ENDPOINT_SERVICES) {
            new aws.ec2.VpcEndpoint(
                `${name}-${service}`,
                { vpcId, serviceName: `com.amazonaws.${region}.${service}`, vpcEndpointType: "Gateway", routeTableIds },
                { parent: this },
            );
        }
    }

    private createBackendSecurityGroup(name: string, environment: string, vpcCidr: pulumi.Input<string>): aws.ec2.SecurityGroup {
        const group = new aws.ec2.SecurityGroup(
            `${name}-backend`,
            {
                vpcId: this.vpcId,
                // A prefix, not a name: a change that replaces the group can create the new one first.
                namePrefix: `${physicalName("backend", environment)}-`,
                description: "Slack clone backend",
            },
            { parent: this },
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-backend-http-from-vpc`,
            { securityGroupId: group.id, description: "Backend HTTP from the VPC", ipProtocol: "tcp", fromPort: BACKEND_PORT, toPort: BACKEND_PORT, cidrIpv4: vpcCidr },
            { parent: this },
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-backend-all-outbound`,
            { securityGroupId: group.id, description: "All outbound", ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" },
            { parent: this },
        );
        return group;
    }
}

/** The subnets of each zone, in zone order. */
export interface ZoneSubnets {
    readonly private: readonly string[];
    readonly public: readonly string[];
}

const ipv4 = (address: number) => [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join(".");

/**
 * The subnet CIDRs of zones 1..`zones`: zone `i` (from 0) takes the `i`th block of prefix length
 * `zoneMask` in `vpcCidr`, its private subnet is the first half of that block and its public subnet
 * the quarter after it. So a zone's subnets depend on its index alone, and for the zone mask awsx's
 * automatic layout derived from a zone count (the VPC prefix plus ceil(log2(zones))), they are
 * exactly the CIDRs awsx gave (awsx/ec2/subnetDistributorNew.ts: getSubnetSpecs, defaultSubnetInputs).
 * Throws when `vpcCidr` cannot hold that many zone blocks (components/config.ts refuses it first).
 */
export function zoneSubnetCidrs(vpcCidr: string, zoneMask: number, zones: number): ZoneSubnets {
    const [base, prefix] = vpcCidr.split("/");
    const start = base.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
    if (zoneMask < Number(prefix) || 2 ** (zoneMask - Number(prefix)) < zones) {
        throw new Error(`${vpcCidr} holds ${zoneMask < Number(prefix) ? 0 : 2 ** (zoneMask - Number(prefix))} blocks of /${zoneMask}, not ${zones}`);
    }
    const zoneSize = 2 ** (32 - zoneMask);
    const blocks = Array.from({ length: zones }, (_, i) => start + i * zoneSize);
    return {
        private: blocks.map((block) => `${ipv4(block)}/${zoneMask + 1}`),
        public: blocks.map((block) => `${ipv4(block + zoneSize / 2)}/${zoneMask + 2}`),
    };
}

/** awsx subnet specs with explicit per-zone CIDRs (types and names as awsx's default layout). */
function subnetSpecs(cidrs: ZoneSubnets): awsxInput.SubnetSpecArgs[] {
    return [
        { type: "Private", cidrBlocks: [...cidrs.private] },
        { type: "Public", cidrBlocks: [...cidrs.public] },
    ];
}

/**
 * The route tables of the VPC's private subnets. awsx 3.x has no private-route-table output and
 * its `routeTables` mix public and private ones; `routeTableAssociations` pair each route table
 * with the subnet it serves, so a route table is private exactly when it serves a private subnet.
 * (Attaching the endpoints to every route table would also route the public subnets through them.)
 */
export function privateRouteTableIds(vpc: Pick<awsx.Vpc, "routeTableAssociations" | "privateSubnetIds">): pulumi.Output<string[]> {
    return pulumi.all([vpc.routeTableAssociations, vpc.privateSubnetIds]).apply(([associations, privateSubnetIds]) =>
        // The associations are resource references: their fields are outputs.
        pulumi
            .all(associations.map((a) => ({ subnetId: a.subnetId, routeTableId: a.routeTableId })))
            .apply((pairs) => [...new Set(pairs.filter((p) => privateSubnetIds.includes(p.subnetId ?? "")).map((p) => p.routeTableId))]),
    );
}

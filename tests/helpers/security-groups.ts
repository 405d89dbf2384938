/** Security groups and their per-rule resources, as the mock engine recorded them. */
import { Evaluation, RecordedResource, mockId, ofType } from "../../harness/mock-engine";

export const GROUP = "aws:ec2/securityGroup:SecurityGroup";
export const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
export const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";

/** The group's ingress or egress rules as AWS sees them: protocol, ports, source or destination. */
export function rulesOf(evaluation: Evaluation, type: typeof INGRESS | typeof EGRESS, group: RecordedResource): Record<string, unknown>[] {
    return ofType(evaluation, type)
        .filter((r) => r.inputs.securityGroupId === mockId(group))
        .map((r) => {
            const { ipProtocol, fromPort, toPort, cidrIpv4, cidrIpv6, referencedSecurityGroupId, prefixListId } = r.inputs;
            const fields = { ipProtocol, fromPort, toPort, cidrIpv4, cidrIpv6, referencedSecurityGroupId, prefixListId };
            return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
        });
}

import { expect } from "chai";
import { Evaluation, mockId, ofType } from "../harness/mock-engine";
import { STACKS, stackEvaluation } from "./helpers/stacks";

const ROLE = "aws:iam/role:Role";

for (const stack of STACKS) {
    describe(`Service roles in ${stack}`, () => {
        let evaluation: Evaluation;
        before(async () => {
            evaluation = await stackEvaluation(stack);
        });

        it("are each assumable by one AWS service only, with exactly one inline policy and no managed policy", () => {
            const roles = ofType(evaluation, ROLE);
            expect(roles.length).to.be.at.least(stack === "development" ? 2 : 4);
            for (const role of roles) {
                const statements = role.inputs.assumeRolePolicy.Statement;
                expect(statements, role.name).to.have.length(1);
                expect(statements[0], role.name).to.include({ Effect: "Allow", Action: "sts:AssumeRole" });
                expect(Object.keys(statements[0].Principal), role.name).to.deep.equal(["Service"]);
                const policies = ofType(evaluation, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === mockId(role));
                expect(policies.map((p) => p.name), role.name).to.have.length(1);
                expect(policies[0].options.retainOnDelete, role.name).to.equal(role.options.retainOnDelete);
            }
            expect(ofType(evaluation, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")).to.deep.equal([]);
        });
    });
}

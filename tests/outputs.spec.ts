import { expect } from "chai";
import { OutputValues } from "../components/outputs";
import { tableOutputName, TABLES } from "../components/tables";
import { backendEnvironment } from "../deploy/backend-env";
import { StackOutputs, requireOutput } from "../deploy/stack-outputs";
import { validateConfig } from "../components/config";
import { byName } from "../harness/mock-engine";
import { STACKS, deployedEvaluation, rawConfig, stackEvaluation } from "./helpers/stacks";

// These tests are also type tests: `tsc --noEmit` (the first half of npm test) fails if a name that
// is not a stack output type-checks where outputs are read.
describe("Stack outputs: one typed definition", () => {
    it("refuses, at type-check time, to read an output that components/outputs.ts does not define", () => {
        const outputs: StackOutputs = { region: "us-east-1" };
        // @ts-expect-error: "regions" is not a stack output
        expect(() => requireOutput(outputs, "regions")).to.throw(/Stack output "regions" is missing/);
        // @ts-expect-error: "usersTable" is not a stack output (the table's output is usersTableName)
        const wrong: StackOutputs = { usersTable: "x" };
        expect(wrong).to.deep.equal({ usersTable: "x" });
        expect(requireOutput(outputs, "region")).to.equal("us-east-1");
    });

    it("names one output per table, typed from the table specs", () => {
        const names: (keyof OutputValues)[] = TABLES.map(tableOutputName);
        expect(names).to.include.members(["usersTableName", "workspaceMembershipsTableName", "reactionsTableName"]);
        expect(new Set(names).size).to.equal(TABLES.length);
    });

    for (const stack of STACKS) {
        it(`${stack}: index.ts exports what the backend environment reads`, async () => {
            const { outputs } = await stackEvaluation(stack);
            const env = backendEnvironment(outputs);
            expect(env).to.include({ ENVIRONMENT: stack, AWS_REGION: "us-east-1", FILES_BUCKET: outputs.filesBucketName, REDIS_HOST: outputs.redisPrimaryEndpoint, REDIS_TLS: "true" });
            for (const spec of TABLES) expect(outputs[tableOutputName(spec)], tableOutputName(spec)).to.be.a("string");
        });

        it(`${stack}: exports the CDN's public key where files are private, and no private key anywhere`, async () => {
            const { outputs } = await stackEvaluation(stack);
            const configured = validateConfig(rawConfig(stack)).cdnPublicKey;
            expect(outputs.cdnPublicKey).to.equal(configured);
            expect(outputs.cdnPublicKey === undefined).to.equal(stack === "development");
            expect(JSON.stringify(outputs)).to.not.include("PRIVATE KEY");
        });

        it(`${stack}: exports the task definition the service runs (the health check's backend rollout) exactly where a service exists`, async () => {
            const [committed, deployed] = await Promise.all([stackEvaluation(stack), deployedEvaluation(stack)]);
            const service = byName(deployed, "aws:ecs/service:Service", "backend-service");
            expect(deployed.outputs.backendTaskDefinitionArn, "the ARN with its revision, as DescribeServices reports a deployment's").to.equal(service.inputs.taskDefinition);
            expect(deployed.outputs.backendTaskDefinitionArn).to.match(new RegExp(`^arn:aws:ecs:us-east-1:\\d{12}:task-definition/slack-clone-backend-${stack}:\\d+$`));
            expect(deployed.outputs).to.include({ backendClusterName: `slack-clone-${stack}`, backendServiceName: service.inputs.name });
            expect(committed.resources.filter((r) => r.type === "aws:ecs/service:Service")).to.deep.equal([]);
            expect(committed.outputs).to.not.have.any.keys("backendTaskDefinitionArn", "backendServiceName");
        });

        it(`${stack}: exports alarms and the alarm topic, which the health check reads to require a confirmed subscription`, async () => {
            const { outputs } = await stackEvaluation(stack);
            expect(outputs.alarms).to.equal(validateConfig(rawConfig(stack)).alarms);
            expect(outputs.alarmTopicArn).to.equal(`arn:aws:sns:us-east-1:123456789012:slack-clone-alarms-${stack}`);
        });
    }
});

import { expect } from "chai";
import { RecordedResource } from "../harness/mock-engine";
import { unboundedLogs } from "./helpers/log-retention";
import { STACKS, stackEvaluation } from "./helpers/stacks";

const resource = (type: string, name: string, inputs: Record<string, any>): RecordedResource => ({ type, name, custom: true, inputs, options: { dependsOn: [] } });
const logGroup = (name: string, retentionInDays?: number) => resource("aws:cloudwatch/logGroup:LogGroup", name, { name, retentionInDays });

describe("log retention", () => {
    for (const stack of STACKS) {
        it(`${stack}: every log group keeps logs logRetentionDays, and no resource logs to a group AWS would create`, async () => {
            const evaluation = await stackEvaluation(stack);
            const days = Number(evaluation.config["slack-clone:logRetentionDays"]);
            expect(unboundedLogs(evaluation.resources, days)).to.deep.equal([]);
        });
    }

    describe("catches", () => {
        it("a log group without retention or with another one", () => {
            expect(unboundedLogs([logGroup("/a"), logGroup("/b", 30), logGroup("/c", 90)], 90)).to.deep.equal([
                "log group /a keeps logs forever, not 90 days",
                "log group /b keeps logs 30, not 90 days",
            ]);
        });

        it("a Lambda function whose log group is not declared", () => {
            const fn = resource("aws:lambda/function:Function", "thumbnail", { name: "slack-clone-thumbnail-staging" });
            expect(unboundedLogs([fn], 90)).to.deep.equal([
                "aws:lambda/function:Function thumbnail logs to /aws/lambda/slack-clone-thumbnail-staging, which the program does not declare (AWS would keep it forever)",
            ]);
            expect(unboundedLogs([fn, logGroup("/aws/lambda/slack-clone-thumbnail-staging", 90)], 90)).to.deep.equal([]);
            const custom = resource("aws:lambda/function:Function", "f", { name: "f", loggingConfig: { logFormat: "JSON", logGroup: "/custom" } });
            expect(unboundedLogs([custom, logGroup("/custom", 90)], 90)).to.deep.equal([]);
        });

        it("API Gateway execution logs without their declared log group", () => {
            const stage = resource("aws:apigateway/stage:Stage", "stage", { restApi: "a1b2c3", stageName: "staging" });
            const settings = resource("aws:apigateway/methodSettings:MethodSettings", "settings", {
                restApi: "a1b2c3",
                stageName: "staging",
                methodPath: "*/*",
                settings: { loggingLevel: "INFO", metricsEnabled: true },
            });
            expect(unboundedLogs([stage, settings], 90)).to.deep.equal([
                "aws:apigateway/methodSettings:MethodSettings settings logs to API-Gateway-Execution-Logs_a1b2c3/staging, which the program does not declare (AWS would keep it forever)",
            ]);
            expect(unboundedLogs([stage, settings, logGroup("API-Gateway-Execution-Logs_a1b2c3/staging", 90)], 90)).to.deep.equal([]);
            const off = { ...settings, inputs: { ...settings.inputs, settings: { loggingLevel: "OFF" } } };
            expect(unboundedLogs([stage, off], 90)).to.deep.equal([]);
        });
    });
});

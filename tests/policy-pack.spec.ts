/**
 * The policy pack as the Pulumi CLI runs it: `pulumi preview --policy-pack policy` starts
 * `@pulumi/pulumi/cmd/run-policy-pack` in the pack's folder with the stack's config in PULUMI_CONFIG
 * (TypeScript compiled on the fly), reads the port it prints, and calls it over gRPC. This test
 * plays the engine's part.
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as structTypes from "google-protobuf/google/protobuf/struct_pb";
import type * as emptyTypes from "google-protobuf/google/protobuf/empty_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { AnalyzeRequest, AnalyzeResponse, AnalyzerInfo, AnalyzerResourceOptions } from "@pulumi/pulumi/proto/analyzer_pb";
import { expect } from "chai";
import { policies, stackSettings } from "../policy/rules";
import { PROJECT_ROOT, readStackConfig } from "../harness/stack-files";
import { runToEnd } from "./helpers/process";

// The gRPC and protobuf runtime of @pulumi/pulumi itself (the client classes above are built on them).
const fromPulumi = <T>(id: string): T => require(require.resolve(id, { paths: [path.dirname(require.resolve("@pulumi/pulumi"))] })) as T;
const grpc = fromPulumi<typeof grpcTypes>("@grpc/grpc-js");
const { Struct } = fromPulumi<typeof structTypes>("google-protobuf/google/protobuf/struct_pb");
const { Empty } = fromPulumi<typeof emptyTypes>("google-protobuf/google/protobuf/empty_pb");

const PACK = path.join(PROJECT_ROOT, "policy");

/** Starts the pack as the CLI does, with the production stack's config; resolves once it listens. */
function startPack(): { process: ChildProcess; client: Promise<AnalyzerClient> } {
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [PACK] });
    const child = spawn(process.execPath, [runner, "127.0.0.1:0", "."], {
        cwd: PACK,
        env: { ...process.env, PULUMI_CONFIG: JSON.stringify(readStackConfig("production")) },
    });
    // Also when a filtered run never reaches the suite's `after` (a --grep that matches no test runs
    // no hook at all): the pack and its pipes do not keep mocha from exiting, and go with it.
    process.once("exit", () => child.kill());
    child.unref();
    for (const stream of [child.stdout, child.stderr]) (stream as unknown as { unref(): void }).unref();
    const client = new Promise<AnalyzerClient>((resolve, reject) => {
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (data: Buffer) => {
            stdout += data.toString();
            const port = /^(\d+)\s*$/m.exec(stdout)?.[1];
            if (port !== undefined) resolve(new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
        });
        child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
        child.on("exit", (code) => reject(new Error(`the policy pack exited (${code}) before listening:\n${stdout}${stderr}`)));
    });
    return { process: child, client };
}

// Started when the specs load: the pack compiles while other suites run.
const pack = startPack();
// A root hook: stops the pack also when a filtered run (--grep) leaves out this file's suites.
after(() => {
    pack.process.kill();
});

const call = <T>(invoke: (callback: (error: grpcTypes.ServiceError | null, response: T) => void) => void): Promise<T> =>
    new Promise((resolve, reject) => invoke((error, response) => (error ? reject(error) : resolve(response))));

describe("policy pack under the Pulumi CLI's runner", () => {
    it("loads from policy/ with every policy, and judges a resource by the stack's config", async () => {
        const client = await pack.client;
        const info = await call<AnalyzerInfo>((cb) => client.getAnalyzerInfo(new Empty(), cb));
        expect(info.getName()).to.equal("slack-clone");
        const expected = policies(stackSettings({})).map((p) => p.name);
        expect(info.getPoliciesList().map((p) => p.getName())).to.have.members(expected).and.have.length(expected.length);

        const analyze = async (props: Record<string, unknown>, protect: boolean) => {
            const request = new AnalyzeRequest();
            request.setType("aws:dynamodb/table:Table");
            request.setName("data-users");
            request.setUrn("urn:pulumi:production::slack-clone::slack-clone:data:DataLayer$aws:dynamodb/table:Table::data-users");
            request.setProperties(Struct.fromJavaScript(props as Record<string, structTypes.JavaScriptValue>));
            const options = new AnalyzerResourceOptions();
            options.setProtect(protect);
            request.setOptions(options);
            const response = await call<AnalyzeResponse>((cb) => client.analyze(request, cb));
            return response.getDiagnosticsList().map((d) => d.getPolicyname());
        };
        const table = { name: "slack-clone-users-production", serverSideEncryption: { enabled: true }, pointInTimeRecovery: { enabled: true } };
        expect(await analyze(table, true)).to.deep.equal([]);
        // Production's config asks for point-in-time recovery and protection.
        expect(await analyze({ ...table, pointInTimeRecovery: { enabled: false } }, false)).to.deep.equal(["dynamodb-point-in-time-recovery", "data-protected"]);
        client.close();
    });
});

describe("the policy pack's runner in a filtered run", () => {
    it("does not keep mocha from exiting when --grep matches no test (no hook runs then)", async () => {
        const mocha = require.resolve("mocha/bin/mocha.js");
        const run = await Promise.race([
            runToEnd(process.execPath, [mocha, "tests/policy-pack.spec.ts", "--grep", "matches no test at all"]),
            new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 20000).unref()),
        ]);
        expect(run, "mocha still running after 20 s").to.not.equal(undefined);
        expect(run?.stdout).to.include("0 passing");
    });
});

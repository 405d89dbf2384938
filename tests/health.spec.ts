import { expect } from "chai";
import { generateKeyPairSync } from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import { Deployment } from "@aws-sdk/client-ecs";
import { Subscription } from "@aws-sdk/client-sns";
import { publicKeyFingerprint } from "../components/config";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { credentialsProblem, dynamoDbClient, ecsClient, secretsManagerClient, snsClient } from "../deploy/aws-clients";
import { API_ONLY_HEALTH } from "../deploy/backend-env";
import {
    PENDING_CONFIRMATION,
    ServiceDescriber,
    SubscriptionLister,
    checkApiHealth,
    checkBackendRollout,
    checkHealth,
    checkSigningKey,
    describeService,
    formatHealth,
    listSubscriptions,
    main as health,
    secretReader,
} from "../deploy/health";
import { StackOutputs } from "../deploy/stack-outputs";
import { LocalEnvironment } from "../local/start";
import { freePort } from "../local/stand-ins";
import { withEnvironment } from "./helpers/environment";
import { localEnvironment } from "./helpers/local";
import { endpointEnv, outputsFile, run, stalledEndpoint, tsx } from "./helpers/process";
import { STACKS, deployedEvaluation, stackEvaluation } from "./helpers/stacks";

describe("health check, on the local environment", function () {
    this.timeout(60000);
    let local: LocalEnvironment;

    before(async () => {
        local = await localEnvironment();
    });

    it("names what is missing or down", async () => {
        const apiPort = await freePort();
        const outputs = { ...local.outputs, presenceTableName: "slack-clone-presence-gone", redisUrl: "redis://127.0.0.1:1", apiUrl: `http://127.0.0.1:${apiPort}/v1` };
        const failed = (await checkHealth(outputs, local.clients, { local: true })).filter((r) => !r.ok);
        expect(failed.map((r) => r.check)).to.deep.equal(["table presence", "redis", "api /health"]);
        expect(failed[0].detail).to.include("missing").and.include("DynamoDB DescribeTable slack-clone-presence-gone at http://127.0.0.1:");
        expect(failed[1].detail, "names the refused address, not \"Connection is closed.\"").to.equal("Redis: connect ECONNREFUSED 127.0.0.1:1");
        expect(failed[2].detail).to.equal(`http://127.0.0.1:${apiPort}/v1/health: connect ECONNREFUSED 127.0.0.1:${apiPort}`);
    });

    it("reads the Redis AUTH token from the stack's secret, and says when Redis refuses it", async () => {
        const asked: string[] = [];
        const wrongToken = { ...local.clients, secrets: async (arn: string) => (asked.push(arn), "not-the-token") };
        const [redis] = (await checkHealth(local.outputs, wrongToken, { local: true })).filter((r) => r.check === "redis");
        expect(asked).to.deep.equal([local.outputs.redisAuthTokenSecretArn]);
        expect(redis.ok).to.equal(false);
        expect(redis.detail).to.match(/^Redis at 127\.0\.0\.1:\d+: WRONGPASS /);
    });

    it("bounds Redis and the API by the same timeout as the AWS calls (--timeout), naming each address once", async () => {
        const stalled = await stalledEndpoint();
        try {
            const outputs = { ...local.outputs, redisUrl: `redis://127.0.0.1:${stalled.port}`, apiUrl: `${stalled.endpoint}/v1` };
            const started = Date.now();
            const results = await checkHealth(outputs, local.clients, { timeoutMs: 300, local: true });
            expect(Date.now() - started).to.be.below(2500);
            const detail = (check: string) => results.find((r) => r.check === check)?.detail;
            expect(detail("redis")).to.equal(`Redis at 127.0.0.1:${stalled.port}: no answer in 300 ms`);
            expect(detail("api /health")).to.equal(`${stalled.endpoint}/v1/health: no answer in 300 ms`);
        } finally {
            stalled.close();
        }
    });

    it("leaves out what it is told to skip, and refuses an unknown check", async () => {
        const results = await checkHealth({ ...local.outputs, redisUrl: "redis://127.0.0.1:1" }, local.clients, { skip: ["redis"], local: true });
        expect(results.map((r) => r.check)).to.not.include("redis");
        expect(results.every((r) => r.ok)).to.equal(true);
        let error: Error | undefined;
        await checkHealth(local.outputs, local.clients, { skip: ["cache"], local: true }).catch((e: Error) => (error = e));
        expect(error?.message).to.match(/^--skip "cache": no such check; checks: table users, [^;]+$/);
        await checkHealth(local.outputs, local.clients, { skip: ["redis "], local: true }).catch((e: Error) => (error = e));
        expect(error?.message, "quoted, so a space shows").to.match(/^--skip "redis ": no such check; .*; did you mean "redis"\?$/);
        await checkHealth(local.outputs, local.clients, { skip: ["redsi"], local: true }).catch((e: Error) => (error = e));
        expect(error?.message, "the check a typo away, as for an unknown option").to.match(/^--skip "redsi": no such check; checks: .*; did you mean "redis"\?$/);
    });
});

describe("npm run health against a stalled or refused endpoint (as a process)", function () {
    this.timeout(30000);

    it("reports every check within its bound, naming the endpoint; a refused port too", async () => {
        const [stalled, refused, outputs] = [await stalledEndpoint(), await freePort(), outputsFile()];
        // Both runs at once: the stalled one spends its time waiting.
        const health = run(...tsx("deploy/health.ts", "--outputs", outputs, "--timeout", "0.1"), endpointEnv(stalled.endpoint));
        const refusedRun = run(...tsx("deploy/health.ts", "--outputs", outputs), endpointEnv(`http://127.0.0.1:${refused}`));
        try {
            expect(await health.exited).to.equal(1);
            expect(health.output()).to.match(
                new RegExp(`^FAIL  table users +DynamoDB DescribeTable slack-clone-users-staging at http://127\\.0\\.0\\.1:${stalled.port}: no answer in 100 ms \\(3 attempts\\)$`, "m"),
            );
            // The outputs file names the tables only: every other check fails too, naming its missing output.
            expect(health.output()).to.match(/^health check failed: (\d+) of \1 checks failed: table users, /m);
            expect(health.output()).to.match(/^FAIL {2}redis +Stack output "redisUrl" is missing/m);
        } finally {
            stalled.close();
        }

        expect(await refusedRun.exited).to.equal(1);
        expect(refusedRun.output()).to.include(
            `FAIL  table users                      DynamoDB DescribeTable slack-clone-users-staging at http://127.0.0.1:${refused}: connect ECONNREFUSED 127.0.0.1:${refused} (3 attempts)`,
        );
        expect(refusedRun.output(), "no stack trace").to.not.match(/^\s+at /m);
    });
});

describe("health check: GET {apiUrl}/health tells the backend's answer from the API's own", () => {
    let server: http.Server;
    let url: string;
    let answer: { status: number; body: string } = { status: 200, body: "" };

    before(async () => {
        server = http.createServer((_, response) => response.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/production/`;
    });
    after(() => server.close());

    it("fails with 'backend not deployed' on the API-only answer where a backend is required, and notes it elsewhere", async () => {
        answer = { status: 200, body: JSON.stringify(API_ONLY_HEALTH) };
        let error: Error | undefined;
        await checkApiHealth(url, { backendRequired: true }).catch((e: Error) => (error = e));
        expect(error?.message).to.match(/^backend not deployed: the load balancer answered \/health itself/);
        expect(await checkApiHealth(url, { backendRequired: false })).to.match(/^note: backend not deployed/);
    });

    it("fails, required or not, on the 'not deployed' answer where the outputs name a backend service: a stale API deployment (made while /health was the API's own) or rule, with the fix", async () => {
        answer = { status: 200, body: JSON.stringify(API_ONLY_HEALTH) };
        for (const backendRequired of [true, false]) {
            const error = await checkApiHealth(url, { backendRequired, backendDeployed: true }).then(() => undefined, (e: Error) => e);
            expect(error?.message).to.match(/answered "not deployed", yet the stack runs a backend service: the API stage serves a deployment made while \/health was the API's own .*pulumi up --replace/);
        }
    });

    it("passes on the backend's own answer and fails on an error, with its status", async () => {
        answer = { status: 200, body: JSON.stringify({ status: "ok", version: "1.0.0" }) };
        expect(await checkApiHealth(url, { backendRequired: true })).to.equal("backend answered 200");
        answer = { status: 503, body: '{"message":"Service Unavailable"}' };
        let error: Error | undefined;
        await checkApiHealth(url, { backendRequired: false }).catch((e: Error) => (error = e));
        expect(error?.message).to.equal(`${url.replace(/\/$/, "")}/health answered 503: {"message":"Service Unavailable"}`);
        answer = { status: 404, body: "" };
        await checkApiHealth(url, { backendRequired: false }).catch((e: Error) => (error = e));
        expect(error?.message).to.equal(`${url.replace(/\/$/, "")}/health answered 404: (an empty body)`);
    });

    it("quotes an error's body on one line, control characters escaped (ESC [2J would clear the screen), cut to 200 characters with an ellipsis; its FAIL line stays one line", async () => {
        answer = { status: 502, body: `<html>\r\n  <h1>Bad\tGateway</h1>\n\u001b[2J\u0007${"x".repeat(300)}` };
        let error: Error | undefined;
        await checkApiHealth(url, { backendRequired: false }).catch((e: Error) => (error = e));
        const quoted = error?.message.split(" answered 502: ")[1];
        expect(quoted).to.equal(`<html> <h1>Bad Gateway</h1> \\x1b[2J\\x07${"x".repeat(199 - "<html> <h1>Bad Gateway</h1> \\x1b[2J\\x07".length)}…`);
        expect(quoted).to.have.length(200);
        const line = formatHealth([{ check: "api /health", ok: false, detail: "first\nsecond\u001b[2J\u009b" }]);
        expect(line).to.equal("FAIL  api /health  first second\\x1b[2J\\x9b");
    });
});

/**
 * A fake Secrets Manager on a local port, answering GetSecretValue (JSON 1.1 protocol) from `secrets`:
 * a string is the secret's value; a secret created without a value answers as AWS does
 * (ResourceNotFoundException "... secret value for staging label: AWSCURRENT", ansible/ansible#69710).
 */
async function fakeSecretsManager(secrets: Record<string, string | "no version">) {
    const asked: string[] = [];
    const server = http.createServer((request, response) => {
        let body = "";
        request.on("data", (chunk) => (body += chunk));
        request.on("end", () => {
            const { SecretId } = JSON.parse(body) as { SecretId: string };
            asked.push(`${request.headers["x-amz-target"]} ${SecretId}`);
            const value = secrets[SecretId];
            const [status, answer] =
                value === undefined
                    ? [400, { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." }]
                    : value === "no version"
                      ? [400, { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT" }]
                      : [200, { ARN: SecretId, SecretString: value }];
            response.writeHead(status, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(answer));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = secretsManagerClient({ region: "us-east-1", endpoint, credentials: { accessKeyId: "x", secretAccessKey: "x" }, limits: { maxAttempts: 1 } });
    return { reader: secretReader(client), asked, close: () => server.close() };
}

describe("health check: the CDN's signing-key secret holds the private key of the public key CloudFront trusts", () => {
    const pair = () => generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
    const [deployed, other] = [pair(), pair()];
    const arn = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-clone-cdn-signing-key-${name}-AbCdEf`;
    const outputs = (name: string) => ({ environment: "staging", cdnSigningKeySecretArn: arn(name), cdnKeyPairId: "K2JCJMDEHXQW5F", cdnPublicKey: deployed.publicKey });
    let fake: Awaited<ReturnType<typeof fakeSecretsManager>>;

    before(async () => {
        fake = await fakeSecretsManager({ [arn("right")]: deployed.privateKey, [arn("empty")]: "no version", [arn("other")]: other.privateKey, [arn("text")]: "not a key: hunter2" });
    });
    after(() => fake.close());

    const failure = (name: string) => checkSigningKey(outputs(name), fake.reader).then(() => undefined, (e: Error) => e.message);

    it("passes when the secret holds the deployed key's private half, read with GetSecretValue on the output's ARN", async () => {
        expect(await checkSigningKey(outputs("right"), fake.reader)).to.equal(`the secret holds the private key of CloudFront public key K2JCJMDEHXQW5F (${publicKeyFingerprint(deployed.publicKey)})`);
        expect(fake.asked).to.include(`secretsmanager.GetSecretValue ${arn("right")}`);
    });

    it("fails on a secret created empty, saying how to store the key", async () => {
        expect(await failure("empty")).to.match(
            new RegExp(
                "^no URL can be signed: the signing-key secret holds no private key\\. Store the private key of CloudFront public key K2JCJMDEHXQW5F \\(SHA256:\\S+\\) in it, " +
                    "or make a new pair with npm run cdn-key -- staging and follow the steps it prints \\(Secrets Manager GetSecretValue .*can't find the specified secret value for staging label: AWSCURRENT\\)$",
            ),
        );
    });

    it("fails on another key, naming the key id and both fingerprints; on a value that is no key, without showing it", async () => {
        expect(await failure("other")).to.equal(
            `the signing-key secret holds the private key of public key ${publicKeyFingerprint(other.publicKey)}, not of CloudFront public key K2JCJMDEHXQW5F ` +
                `(${publicKeyFingerprint(deployed.publicKey)}): CloudFront refuses every URL the backend signs. Store the private key of K2JCJMDEHXQW5F in the secret, or make a new pair with npm run cdn-key -- staging`,
        );
        const text = await failure("text");
        expect(text).to.match(/^the signing-key secret arn:\S+ holds no PEM private key: store the private key of CloudFront public key K2JCJMDEHXQW5F/);
        expect(text).to.not.include("hunter2");
        expect(await failure("deleted"), "a secret that does not exist is not called empty").to.match(/^Secrets Manager GetSecretValue \S+ at http:\/\/127\.0\.0\.1:\d+: Secrets Manager can't find the specified secret\.$/);
    });

    it("is one of the checks where the stack's files are private (its outputs name the secret), and none elsewhere", async () => {
        const missing = { dynamodb: undefined as never, s3: undefined as never, secrets: fake.reader };
        const checks = async (o: object) => (await checkHealth(o, missing)).map((r) => r.check);
        expect(await checks(outputs("right"))).to.include("cdn signing key");
        expect(await checks({ environment: "development" })).to.not.include("cdn signing key");
        const [result] = (await checkHealth(outputs("empty"), missing)).filter((r) => r.check === "cdn signing key");
        expect(result.ok).to.equal(false);
    });
});

describe("health check: someone has confirmed the alarm topic's subscription where alarms are on", function () {
    this.timeout(60000);
    const TOPIC = "arn:aws:sns:us-east-1:123456789012:slack-clone-alarms-staging";
    const email = (subscriptionArn: string, endpoint = "oncall@slack-clone.dev") => ({ SubscriptionArn: subscriptionArn, Protocol: "email", Endpoint: endpoint, TopicArn: TOPIC });
    const fake = (subscriptions: Subscription[]) => {
        const asked: string[] = [];
        return { asked, list: async (topicArn: string) => (asked.push(topicArn), subscriptions) };
    };
    let local: LocalEnvironment;
    let staging: StackOutputs;

    before(async () => {
        local = await localEnvironment();
        staging = { ...local.outputs, environment: "staging", alarmTopicArn: TOPIC, alarms: true };
    });
    const alarmResult = async (outputs: StackOutputs, alarmSubscriptions?: SubscriptionLister, skip: string[] = [], onLocal = false) =>
        (await checkHealth(outputs, { ...local.clients, alarmSubscriptions }, { skip, local: onLocal })).filter((r) => r.check === "alarm topic");

    it("passes with a confirmed subscription, naming it and any still pending", async () => {
        const { asked, list } = fake([email(`${TOPIC}:0a1b2c3d`), email(PENDING_CONFIRMATION, "new-oncall@slack-clone.dev")]);
        expect(await alarmResult(staging, list)).to.deep.equal([
            { check: "alarm topic", ok: true, detail: "slack-clone-alarms-staging: 1 confirmed subscription (email oncall@slack-clone.dev); not confirmed: email new-oncall@slack-clone.dev" },
        ]);
        expect(asked).to.deep.equal([TOPIC]);
        // Outputs of a stack deployed before the alarms output existed say so instead of guessing.
        const { alarms, ...old } = staging;
        expect(alarms).to.equal(true);
        const [stale] = await alarmResult(old, list);
        expect(stale).to.deep.equal({ check: "alarm topic", ok: false, detail: 'Stack output "alarms" is missing; is the stack deployed with this version of the program?' });
    });

    it("fails with only subscriptions pending confirmation (SubscriptionArn PendingConfirmation), naming them and the fix", async () => {
        const [result] = await alarmResult(staging, fake([email(PENDING_CONFIRMATION)]).list);
        expect(result.ok).to.equal(false);
        expect(result.detail).to.equal(
            "slack-clone-alarms-staging has no confirmed subscription: every alarm reaches nobody. Pending confirmation: email oncall@slack-clone.dev. " +
                'Fix: click the link in the e-mail "AWS Notification - Subscription Confirmation" (valid 48 hours); ' +
                "or pulumi config set alarmEmail <address> --stack staging, then pulumi up --stack staging (AWS e-mails the new address a link)",
        );
    });

    it("fails naming an address at a reserved domain (the committed placeholder oncall@example.com) as one that can never confirm", async () => {
        for (const address of ["oncall@example.com", "ops@alerts.EXAMPLE.org", "a@example.net.", "a@ci.test", "a@nowhere.invalid", "a@host.localhost", "a@chat.example"]) {
            const [result] = await alarmResult(staging, fake([email(PENDING_CONFIRMATION, address)]).list);
            expect(result.detail, address).to.match(/^slack-clone-alarms-staging has no confirmed subscription, and none can be confirmed: /);
            expect(result.detail, address).to.include(`${address} is at `).and.include("a reserved domain that receives no mail");
            expect(result.detail, address).to.include("pulumi config set alarmEmail <the team's address> --stack staging");
        }
        // Names that only look reserved receive mail: the usual advice (click the link).
        for (const address of ["oncall@myexample.com", "oncall@example.com.au", "oncall@testing.io"]) {
            const [result] = await alarmResult(staging, fake([email(PENDING_CONFIRMATION, address)]).list);
            expect(result.detail, address).to.include(`Pending confirmation: email ${address}. Fix: click the link`);
        }
        // One address that can confirm among reserved ones: waiting for it is the advice.
        const [mixed] = await alarmResult(staging, fake([email(PENDING_CONFIRMATION, "oncall@example.com"), email(PENDING_CONFIRMATION)]).list);
        expect(mixed.detail).to.include("Pending confirmation: email oncall@example.com, email oncall@slack-clone.dev. Fix: click the link");
    });

    it("fails with no subscription at all (AWS deleted the unconfirmed one after 48 hours), saying how to subscribe again", async () => {
        const [result] = await alarmResult(staging, fake([]).list);
        expect(result.ok).to.equal(false);
        expect(result.detail).to.match(/^slack-clone-alarms-staging has no subscription: every alarm reaches nobody/).and.include("pulumi up --refresh --stack staging");
    });

    it("reads every page of ListSubscriptionsByTopic through the SNS client (100 a page, NextToken)", async () => {
        const member = (arn: string, endpoint: string) =>
            `<member><TopicArn>${TOPIC}</TopicArn><Protocol>email</Protocol><SubscriptionArn>${arn}</SubscriptionArn><Owner>123456789012</Owner><Endpoint>${endpoint}</Endpoint></member>`;
        const pages: Record<string, string> = {
            "": `<Subscriptions>${member(PENDING_CONFIRMATION, "new-oncall@slack-clone.dev")}</Subscriptions><NextToken>page-2</NextToken>`,
            "page-2": `<Subscriptions>${member(`${TOPIC}:0a1b2c3d`, "oncall@slack-clone.dev")}</Subscriptions>`,
        };
        const requests: URLSearchParams[] = [];
        const sns = http.createServer((request, response) => {
            let body = "";
            request.on("data", (chunk: Buffer) => (body += chunk.toString()));
            request.on("end", () => {
                const form = new URLSearchParams(body);
                requests.push(form);
                response.writeHead(200, { "content-type": "text/xml" });
                response.end(
                    `<ListSubscriptionsByTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListSubscriptionsByTopicResult>` +
                        `${pages[form.get("NextToken") ?? ""]}</ListSubscriptionsByTopicResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListSubscriptionsByTopicResponse>`,
                );
            });
        });
        await new Promise<void>((resolve) => sns.listen(0, "127.0.0.1", resolve));
        try {
            const endpoint = `http://127.0.0.1:${(sns.address() as AddressInfo).port}`;
            const list = listSubscriptions(snsClient({ region: "us-east-1", endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" } }));
            const [result] = await alarmResult(staging, list);
            expect(requests.map((r) => [r.get("Action"), r.get("TopicArn"), r.get("NextToken")])).to.deep.equal([
                ["ListSubscriptionsByTopic", TOPIC, null],
                ["ListSubscriptionsByTopic", TOPIC, "page-2"],
            ]);
            expect(result.detail).to.equal("slack-clone-alarms-staging: 1 confirmed subscription (email oncall@slack-clone.dev); not confirmed: email new-oncall@slack-clone.dev");
        } finally {
            sns.close();
        }
    });

    it("bounds the SNS call like every AWS call, naming the action, topic and endpoint", async () => {
        const stalled = await stalledEndpoint();
        try {
            const sns = snsClient({ region: "us-east-1", endpoint: stalled.endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" }, limits: { requestTimeoutMs: 150, maxAttempts: 2 } });
            const started = Date.now();
            const [result] = await alarmResult(staging, listSubscriptions(sns));
            expect(Date.now() - started).to.be.below(2500);
            expect(result).to.deep.equal({ check: "alarm topic", ok: false, detail: `SNS ListSubscriptionsByTopic ${TOPIC} at ${stalled.endpoint}: no answer in 150 ms (2 attempts)` });
        } finally {
            stalled.close();
        }
    });

    it("is skipped, saying why, on the local environment (no SNS) and where alarms are off; --skip leaves it out", async () => {
        const unused = fake([]);
        const [localResult] = await alarmResult(local.outputs, unused.list, [], true);
        expect(localResult).to.deep.include({ ok: true, skipped: true, detail: "skipped: the local environment has no SNS" });
        // Outputs of a stack without the topic's (hand-written, misspelt): a failure naming it, not a skip.
        const { alarmTopicArn: _, ...noTopic } = staging;
        expect((await alarmResult(noTopic, unused.list))[0]).to.deep.include({ ok: false, detail: 'Stack output "alarmTopicArn" is missing; is the stack deployed with this version of the program?' });
        const [development] = await alarmResult({ ...staging, environment: "development", alarms: false }, unused.list);
        expect(development.detail).to.equal("skipped: alarms are off in this stack (alarms: false), nothing notifies the topic");
        expect(formatHealth([localResult])).to.match(/^skip {2}alarm topic {2}skipped: /);
        expect(await alarmResult(staging, unused.list, ["alarm topic"])).to.deep.equal([]);
        expect(unused.asked).to.deep.equal([]);
    });
});

// A deploy that the deployment circuit breaker rolls back leaves the service steady on the old task
// definition, and pulumi up reports success (hashicorp/terraform-provider-aws#19519, #20858;
// terraform-aws-modules/terraform-aws-ecs#325): the health check is what fails it.
describe("health check: the backend service runs the task definition the stack deployed, rolled out (not rolled back)", function () {
    this.timeout(60000);
    const CLUSTER = "slack-clone-staging";
    const SERVICE = "slack-clone-backend-staging";
    const taskDefinition = (revision: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/slack-clone-backend-staging:${revision}`;
    const staging = { environment: "staging", backendClusterName: CLUSTER, backendServiceName: SERVICE, backendTaskDefinitionArn: taskDefinition(7) };
    const deployment = (status: string, revision: number, rolloutState: string, rolloutStateReason: string, runningCount = 2): Deployment => ({
        status,
        taskDefinition: taskDefinition(revision),
        rolloutState: rolloutState as Deployment["rolloutState"],
        rolloutStateReason,
        desiredCount: 2,
        runningCount,
    });
    const fake = (answer: Awaited<ReturnType<ServiceDescriber>>) => {
        const asked: string[] = [];
        return { asked, describe: async (cluster: string, service: string) => (asked.push(`${cluster}/${service}`), answer) };
    };
    const withDeployments = (...deployments: Deployment[]) => fake({ services: [{ serviceName: SERVICE, status: "ACTIVE", deployments }], failures: [] });
    const rolloutResult = async (outputs: StackOutputs, backendService?: ServiceDescriber, skip: string[] = [], onLocal = false) =>
        (await checkHealth(outputs, { dynamodb: undefined as never, s3: undefined as never, secrets: undefined as never, backendService }, { skip, local: onLocal })).filter((r) => r.check === "backend rollout");
    const NO_WAIT = { timeoutMs: 0, intervalMs: 1, progress: () => undefined };
    const failure = (answer: ReturnType<typeof fake>) => checkBackendRollout(staging, answer.describe, "staging", NO_WAIT).then(() => undefined, (e: Error) => e.message);
    const FIX =
        `Fix: find why the new tasks failed in the service's events (aws ecs describe-services --cluster ${CLUSTER} --services ${SERVICE} --query "services[0].events[:10].message") ` +
        "and the container logs (aws logs tail slack-clone-backend-staging --since 1h), then push a fixed image under a new tag and deploy it (README, Application deploy)";

    it("passes when the PRIMARY deployment runs the deployed task definition, COMPLETED; asks ECS for the outputs' cluster and service", async () => {
        const ecs = withDeployments(deployment("PRIMARY", 7, "COMPLETED", "ECS deployment ecs-svc/7 completed."));
        expect(await rolloutResult(staging, ecs.describe)).to.deep.equal([{ check: "backend rollout", ok: true, detail: "slack-clone-backend-staging:7 rolled out (COMPLETED), 2 of 2 tasks running" }]);
        expect(ecs.asked).to.deep.equal([`${CLUSTER}/${SERVICE}`]);
    });

    it("fails when the circuit breaker rolled the deploy back, naming what runs instead, ECS's reasons and the fix", async () => {
        const primary = deployment("PRIMARY", 6, "COMPLETED", "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/6.");
        const failed = deployment("ACTIVE", 7, "FAILED", "ECS deployment circuit breaker: tasks failed to start.", 0);
        expect(await failure(withDeployments(primary, failed))).to.equal(
            `${SERVICE} runs slack-clone-backend-staging:6 (COMPLETED: "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/6."; 2 of 2 tasks running), ` +
                `not this stack's slack-clone-backend-staging:7: the deployment circuit breaker rolled the deploy back ` +
                `(its deployment: FAILED: "ECS deployment circuit breaker: tasks failed to start."), and pulumi up reported success, since the rollback is a steady state too. ` +
                `The backend serves the previous image. ${FIX}`,
        );
        // Once the failed deployment is INACTIVE, DescribeServices no longer lists it.
        const gone = await failure(withDeployments(primary));
        expect(gone).to.include("not this stack's slack-clone-backend-staging:7: the deployment circuit breaker rolled the deploy back (ECS no longer lists its deployment)").and.include(FIX);
        // While the rollback runs, the PRIMARY deployment is the old task definition, IN_PROGRESS.
        const rollingBack = await failure(withDeployments(deployment("PRIMARY", 6, "IN_PROGRESS", "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/6.", 1), failed));
        expect(rollingBack).to.match(/^slack-clone-backend-staging runs slack-clone-backend-staging:6 \(IN_PROGRESS: .*; 1 of 2 tasks running\), not this stack's slack-clone-backend-staging:7: the deployment circuit breaker rolled/);
    });

    it("fails on a later revision than the outputs name, saying the outputs are older than the service's last deploy", async () => {
        const message = await failure(withDeployments(deployment("PRIMARY", 8, "COMPLETED", "ECS deployment ecs-svc/8 completed.")));
        expect(message).to.match(/^slack-clone-backend-staging runs slack-clone-backend-staging:8 \(COMPLETED: .*\), not this stack's slack-clone-backend-staging:7, an earlier revision: these outputs are older/);
        expect(message).to.include("pulumi up --refresh --stack staging").and.not.include("circuit breaker");
        // With --stack acme/staging, the fix names that stack, not the environment.
        const ecs = withDeployments(deployment("PRIMARY", 8, "COMPLETED", "ECS deployment ecs-svc/8 completed."));
        const [named] = await checkHealth(staging, { dynamodb: undefined as never, s3: undefined as never, secrets: undefined as never, backendService: ecs.describe }, { stack: "acme/staging" })
            .then((results) => results.filter((r) => r.check === "backend rollout"));
        expect(named.detail).to.include("(pulumi up --refresh --stack acme/staging)");
    });

    it("fails while the rollout is IN_PROGRESS, saying it is still rolling out", async () => {
        const message = await failure(withDeployments(deployment("PRIMARY", 7, "IN_PROGRESS", "ECS deployment ecs-svc/7 in progress.", 1), deployment("ACTIVE", 6, "COMPLETED", "")));
        expect(message).to.equal(
            'slack-clone-backend-staging:7 is still rolling out after 0 s (IN_PROGRESS: "ECS deployment ecs-svc/7 in progress."; 1 of 2 tasks running): run the health check again once ECS completes it (or rolls it back)',
        );
    });

    it("asks ECS again while the deployed rollout is IN_PROGRESS (as right after pulumi up), saying so each time, until it completes or the wait is over", async () => {
        const answers = [
            deployment("PRIMARY", 7, "IN_PROGRESS", "ECS deployment ecs-svc/7 in progress.", 1),
            deployment("PRIMARY", 7, "IN_PROGRESS", "ECS deployment ecs-svc/7 in progress.", 2),
            deployment("PRIMARY", 7, "COMPLETED", "ECS deployment ecs-svc/7 completed."),
        ];
        let asked = 0;
        const describe: ServiceDescriber = async () => ({ services: [{ serviceName: SERVICE, status: "ACTIVE", deployments: [answers[Math.min(asked++, answers.length - 1)]] }], failures: [] });
        const lines: string[] = [];
        const wait = { timeoutMs: 1000, intervalMs: 5, progress: (line: string) => lines.push(line) };
        expect(await checkBackendRollout(staging, describe, "staging", wait)).to.equal("slack-clone-backend-staging:7 rolled out (COMPLETED), 2 of 2 tasks running");
        expect(asked).to.equal(3);
        expect(lines).to.have.length(2);
        expect(lines[0]).to.match(/^backend rollout: slack-clone-backend-staging:7 is still rolling out \(1 of 2 tasks running\); asking ECS again in 0.005 s \(0 s of at most 1 s\)$/);
        // A rollout that never completes: asked until the wait is over, then the failure.
        asked = 0;
        answers.splice(2, 1);
        const started = Date.now();
        const message = await checkBackendRollout(staging, describe, "staging", { ...wait, timeoutMs: 60 }).then(() => undefined, (e: Error) => e.message);
        expect(Date.now() - started, "within its wait").to.be.below(1000);
        expect(Date.now() - started, "the last ask at the end of the wait, not an interval before").to.be.at.least(60);
        expect(asked, "asked more than once").to.be.above(2);
        expect(message).to.match(/^slack-clone-backend-staging:7 is still rolling out after 0 s \(IN_PROGRESS: .*; 2 of 2 tasks running\): run the health check again/);
    });

    it("fails on a FAILED rollout with nothing to roll back to (a first deploy), with ECS's reason and the fix", async () => {
        const message = await failure(withDeployments(deployment("PRIMARY", 7, "FAILED", "ECS deployment circuit breaker: tasks failed to start.", 0)));
        expect(message).to.equal(
            'slack-clone-backend-staging:7 did not roll out (FAILED: "ECS deployment circuit breaker: tasks failed to start."; 0 of 2 tasks running), ' +
                `and there was no earlier completed deployment to roll back to. ${FIX}`,
        );
        // A service without the rolling update (ECS) deployment controller has no rollout state: not a pass.
        const { rolloutState, rolloutStateReason, ...noState } = deployment("PRIMARY", 7, "COMPLETED", "", 2);
        expect([rolloutState, rolloutStateReason]).to.deep.equal(["COMPLETED", ""]);
        expect(await failure(withDeployments(noState))).to.equal("slack-clone-backend-staging:7: ECS reports no rollout state (2 of 2 tasks running), not the rollout state COMPLETED");
    });

    it("fails on a service ECS does not have (DescribeServices failures: MISSING) or one being deleted, saying how to create it again", async () => {
        const missing = fake({ services: [], failures: [{ arn: `arn:aws:ecs:us-east-1:123456789012:service/${CLUSTER}/${SERVICE}`, reason: "MISSING" }] });
        const [result] = await rolloutResult(staging, missing.describe);
        expect(result).to.deep.equal({
            check: "backend rollout",
            ok: false,
            detail:
                `ECS has no service ${SERVICE} in cluster ${CLUSTER} (DescribeServices: MISSING): it was deleted outside Pulumi, ` +
                "or these credentials are for another account or region than the stack's. Fix: pulumi up --refresh --stack staging creates it again",
        });
        const draining = fake({ services: [{ serviceName: SERVICE, status: "DRAINING", deployments: [deployment("PRIMARY", 7, "COMPLETED", "")] }], failures: [] });
        expect(await failure(draining)).to.equal(`${SERVICE} is DRAINING, not ACTIVE: it is deleted or being deleted. Fix: pulumi up --refresh --stack staging creates it again`);
    });

    it("fails on outputs without the task definition (deployed by an older program) or the cluster (hand-written), and without an ECS client, saying so", async () => {
        const { backendTaskDefinitionArn, ...old } = staging;
        expect(backendTaskDefinitionArn).to.be.a("string");
        const ecs = withDeployments(deployment("PRIMARY", 7, "COMPLETED", ""));
        expect((await rolloutResult(old, ecs.describe))[0]).to.deep.include({ ok: false, detail: "Stack outputs missing: backendTaskDefinitionArn" });
        // A service's outputs without the cluster's: not taken for the local environment and skipped.
        const { backendClusterName, ...noCluster } = staging;
        expect(backendClusterName).to.be.a("string");
        expect((await rolloutResult(noCluster, ecs.describe))[0]).to.deep.include({ ok: false, detail: "Stack outputs missing: backendClusterName" });
        expect((await rolloutResult(staging))[0]).to.deep.include({ ok: false, detail: "no ECS client to describe the backend service with" });
        expect(ecs.asked).to.deep.equal([]);
    });

    it("is skipped, saying why, on the local environment (no ECS) and in a stack without a service; --skip leaves it out", async () => {
        const unused = withDeployments();
        const [local] = await rolloutResult({ environment: "development", region: "us-east-1" }, unused.describe, [], true);
        expect(local).to.deep.equal({ check: "backend rollout", ok: true, skipped: true, detail: "skipped: the local environment has no ECS" });
        // Outputs of a stack with no backend outputs at all: a failure naming them, not taken for the local environment.
        expect((await rolloutResult({ environment: "staging", region: "us-east-1" }, unused.describe))[0]).to.deep.include({
            ok: false,
            detail: "Stack outputs missing: backendClusterName, backendServiceName, backendTaskDefinitionArn",
        });
        const { backendServiceName, backendTaskDefinitionArn, ...noService } = staging;
        expect([backendServiceName, backendTaskDefinitionArn]).to.have.length(2);
        const [infrastructureOnly] = await rolloutResult(noService, unused.describe);
        expect(infrastructureOnly).to.deep.equal({ check: "backend rollout", ok: true, skipped: true, detail: "skipped: no backend service in this stack (no backendImage deployed yet), nothing rolls out" });
        expect(formatHealth([infrastructureOnly])).to.match(/^skip {2}backend rollout {2}skipped: /);
        expect(await rolloutResult(staging, unused.describe, ["backend rollout"])).to.deep.equal([]);
        expect(unused.asked).to.deep.equal([]);
    });

    it("reads each stack's outputs as index.ts exports them: checked where a service runs, skipped where none does", async () => {
        const keys = ["environment", "backendClusterName", "backendServiceName", "backendTaskDefinitionArn"] as const;
        const pick = (outputs: Record<string, unknown>) => Object.fromEntries(keys.filter((k) => k in outputs).map((k) => [k, outputs[k]]));
        for (const stack of STACKS) {
            const [committed, deployed] = await Promise.all([stackEvaluation(stack), deployedEvaluation(stack)]);
            const ecs = fake({ services: [{ serviceName: deployed.outputs.backendServiceName, status: "ACTIVE", deployments: [{ status: "PRIMARY", taskDefinition: deployed.outputs.backendTaskDefinitionArn, rolloutState: "COMPLETED", desiredCount: 1, runningCount: 1 }] }] });
            const [result] = await rolloutResult(pick(deployed.outputs), ecs.describe);
            expect(result, stack).to.deep.include({ ok: true, detail: `slack-clone-backend-${stack}:1 rolled out (COMPLETED), 1 of 1 tasks running` });
            expect(ecs.asked, stack).to.deep.equal([`slack-clone-${stack}/slack-clone-backend-${stack}`]);
            expect((await rolloutResult(pick(committed.outputs), ecs.describe))[0], stack).to.deep.include({ skipped: true });
        }
    });

    it("calls DescribeServices through the ECS client, bounded like every AWS call and naming the cluster, service and endpoint", async () => {
        const requests: Array<{ target: unknown; body: unknown }> = [];
        const ecs = http.createServer((request, response) => {
            let body = "";
            request.on("data", (chunk: Buffer) => (body += chunk.toString()));
            request.on("end", () => {
                requests.push({ target: request.headers["x-amz-target"], body: JSON.parse(body) });
                const answer = { services: [{ serviceName: SERVICE, status: "ACTIVE", deployments: [{ status: "PRIMARY", taskDefinition: taskDefinition(7), rolloutState: "COMPLETED", desiredCount: 2, runningCount: 2 }] }], failures: [] };
                response.writeHead(200, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(answer));
            });
        });
        await new Promise<void>((resolve) => ecs.listen(0, "127.0.0.1", resolve));
        const stalled = await stalledEndpoint();
        const credentials = { accessKeyId: "test", secretAccessKey: "test" };
        try {
            const endpoint = `http://127.0.0.1:${(ecs.address() as AddressInfo).port}`;
            const [result] = await rolloutResult(staging, describeService(ecsClient({ region: "us-east-1", endpoint, credentials })));
            expect(requests).to.deep.equal([{ target: "AmazonEC2ContainerServiceV20141113.DescribeServices", body: { cluster: CLUSTER, services: [SERVICE] } }]);
            expect(result.detail).to.equal("slack-clone-backend-staging:7 rolled out (COMPLETED), 2 of 2 tasks running");

            const bounded = ecsClient({ region: "us-east-1", endpoint: stalled.endpoint, credentials, limits: { requestTimeoutMs: 150, maxAttempts: 2 } });
            const started = Date.now();
            const [timedOut] = await rolloutResult(staging, describeService(bounded));
            expect(Date.now() - started).to.be.below(2500);
            expect(timedOut).to.deep.equal({ check: "backend rollout", ok: false, detail: `ECS DescribeServices ${CLUSTER}/${SERVICE} at ${stalled.endpoint}: no answer in 150 ms (2 attempts)` });
        } finally {
            ecs.close();
            stalled.close();
        }
    });
});

describe("AWS clients without credentials (deploy/aws-clients.ts)", () => {
    /** Runs `work` with no credentials anywhere the SDK's default chain looks (no instance metadata either). */
    const withoutCredentials = <T>(profile: string | undefined, work: () => Promise<T>): Promise<T> =>
        withEnvironment((env) => {
            for (const key of Object.keys(env)) if (/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE|CONTAINER_|WEB_IDENTITY)/.test(key)) delete env[key];
            Object.assign(env, { AWS_CONFIG_FILE: "/nonexistent/config", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials", AWS_EC2_METADATA_DISABLED: "true" });
            if (profile !== undefined) env.AWS_PROFILE = profile;
        }, work);
    const failure = (work: Promise<unknown>) => work.then(() => "succeeded", (e: Error) => e.message);

    it("a call says there are no credentials and how to give them, naming the call (the SDK's own message names neither)", async () => {
        const message = await withoutCredentials(undefined, () =>
            failure(dynamoDbClient({ region: "us-east-1", limits: { maxAttempts: 1 } }).send(new DescribeTableCommand({ TableName: "slack-clone-users-staging" }))),
        );
        expect(message).to.equal(
            "DynamoDB DescribeTable slack-clone-users-staging: no AWS credentials: set AWS_PROFILE to a profile in ~/.aws/config (aws configure; aws sso login for SSO), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        );
    });

    it("names the AWS_PROFILE that gives none, once, before any check runs", async () => {
        const message = await withoutCredentials("nosuch", () => failure(health(["--outputs", outputsFile()])));
        expect(message).to.equal(
            "no AWS credentials: AWS_PROFILE=nosuch gives none (no such profile in ~/.aws/config or ~/.aws/credentials, or its SSO session expired: aws sso login --profile nosuch)",
        );
        expect(credentialsProblem(Object.assign(new Error("denied"), { name: "AccessDeniedException" }))).to.equal(undefined);
    });
});

/**
 * Health check: `npm run health -- (--stack <name> | --outputs <file|-> | --local) [--skip redis] [--timeout <s>]`
 *
 * Verifies every component the stack outputs name: each table ACTIVE with the keys and indexes of
 * its spec, the buckets reachable, Redis answering PING, the API's /health answered by the backend
 * (through the VPC link and the load balancer), where a backend service runs its rollout (ECS runs
 * the task definition the stack deployed, rolled out completely), where files are private the CDN's
 * signing-key secret holding the private key of the public key CloudFront trusts, and, where alarms
 * are on, someone confirmed on the alarm topic. Prints one line per check and exits non-zero naming what
 * failed. `npm start` runs it against the local environment.
 * Every check is bounded in time (AWS calls: deploy/aws-clients.ts; Redis and the API: TIMEOUT_MS)
 * and a failure names the endpoint.
 */
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeServicesCommand, DescribeServicesCommandOutput, Deployment, ECSClient } from "@aws-sdk/client-ecs";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient, Subscription, paginateListSubscriptionsByTopic } from "@aws-sdk/client-sns";
import { createPrivateKey } from "crypto";
import { CallLimits, DEFAULT_LIMITS, dynamoDbClient, ecsClient, quietNodeVersionNotice, requireCredentials, s3Client, secretsManagerClient, snsClient } from "./aws-clients";
import { count, oneLine } from "./format";
import Redis from "ioredis";
import { publicKeyFingerprint, suggestion } from "../components/config";
import { physicalName } from "../components/naming";
import { TABLES, TableSpec, keySchema, tableOutputName } from "../components/tables";
import { API_ONLY_HEALTH, HEALTH_PATH, secretsFromEnvironment } from "./backend-env";
import { readCommandLine, runMain } from "./command-line";
import { CommonArgs, OUTPUTS_OPTIONS, StackOutputs, limitsFromCommandLine, outputsCommand, outputsFromCommandLine, requireOutput, requireOutputs } from "./stack-outputs";

export interface CheckResult {
    readonly check: string;
    /** True when the check passed or did not run (`skipped`). */
    readonly ok: boolean;
    /** The check did not run here; `detail` says why. */
    readonly skipped?: boolean;
    readonly detail: string;
}

/** Reads a secret's string by ARN (Secrets Manager GetSecretValue); throws EmptySecretError when it holds no value. */
export type SecretReader = (secretArn: string) => Promise<string>;

/** A secret that exists but holds no value: a secret created without one has no version until PutSecretValue. */
export class EmptySecretError extends Error {
    override readonly name = "EmptySecretError";
}

/** Every subscription of an SNS topic, by the topic's ARN (ListSubscriptionsByTopic, all pages). */
export type SubscriptionLister = (topicArn: string) => Promise<readonly Subscription[]>;

/** An ECS service by cluster and service name (DescribeServices): the API's `services` and `failures`. */
export type ServiceDescriber = (cluster: string, service: string) => Promise<Pick<DescribeServicesCommandOutput, "services" | "failures">>;

export interface HealthClients {
    readonly dynamodb: DynamoDBClient;
    readonly s3: S3Client;
    /** Where the Redis AUTH token is read from: the stack's secret, not its outputs. */
    readonly secrets: SecretReader;
    /** The alarm topic's subscriptions (SNS); absent where there is no SNS (the local environment). */
    readonly alarmSubscriptions?: SubscriptionLister;
    /** The backend service's deployments (ECS); absent where there is no ECS (the local environment). */
    readonly backendService?: ServiceDescriber;
}

/** Time Redis and the API's /health have to answer, in ms, unless `--timeout` says otherwise. */
const TIMEOUT_MS = 5000;

function withTimeout<T>(promise: Promise<T>, what: string, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const describeKeys = (keys: ReadonlyArray<{ AttributeName?: string; KeyType?: string }> | undefined) =>
    (keys ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(",");

async function checkTable(client: DynamoDBClient, spec: TableSpec, name: string): Promise<string> {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (table?.TableStatus !== "ACTIVE") throw new Error(`${name} is ${table?.TableStatus}, not ACTIVE`);
    const expectedKeys = describeKeys(keySchema(spec));
    if (describeKeys(table.KeySchema) !== expectedKeys) throw new Error(`${name} has keys ${describeKeys(table.KeySchema)}, expected ${expectedKeys}`);
    const indexes = new Map((table.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, describeKeys(i.KeySchema)]));
    for (const index of spec.indexes) {
        const expected = describeKeys(keySchema(index));
        if (indexes.get(index.name) !== expected) throw new Error(`${name}: index ${index.name} is ${indexes.get(index.name) ?? "missing"}, expected ${expected}`);
    }
    return `ACTIVE, ${count(spec.indexes.length, "index", "indexes")}`;
}

/** PING with AUTH: the URL carries no credentials, the token comes from its secret. */
async function pingRedis(url: string, password: string, timeoutMs: number): Promise<string> {
    const redis = new Redis(url, { password, lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const address = `${redis.options.host}:${redis.options.port}`;
    // The socket's error (ECONNREFUSED 127.0.0.1:6380, ...) or the server's refusal (NOAUTH, WRONGPASS)
    // says more than the rejected command's "Connection is closed."
    let socketError: Error | undefined;
    redis.on("error", (error: Error) => (socketError ??= error));
    try {
        await withTimeout(redis.connect(), `Redis at ${address}`, timeoutMs);
        return `PING ${await withTimeout(redis.ping(), `Redis at ${address}`, timeoutMs)}`;
    } catch (error) {
        const reason = socketError?.message ?? (error as Error).message;
        throw new Error(reason.startsWith("Redis") ? reason : reason.includes(address) ? `Redis: ${reason}` : `Redis at ${address}: ${reason}`);
    } finally {
        redis.disconnect();
    }
}

/** What the stack's outputs say about its backend, for `checkApiHealth`. */
export interface BackendExpectation {
    /** `backendRequired`: no backend is a failure (staging, production), else a note. */
    readonly backendRequired: boolean;
    /** The outputs name a backend service (`backendServiceName`): an answer saying "not deployed" is then stale. @default false */
    readonly backendDeployed?: boolean;
}

/**
 * `GET {apiUrl}/health` through the API and the backend's load balancer to the backend. The load
 * balancer answers it itself (API_ONLY_HEALTH) while no backend service runs: that is "backend not
 * deployed", a failure where `backendRequired` (staging, production), a note otherwise; and always a
 * failure where a service is deployed (a stale API deployment or load balancer rule). Any other 2xx
 * is the backend's own answer.
 */
export async function checkApiHealth(apiUrl: string, backend: BackendExpectation, timeoutMs = TIMEOUT_MS): Promise<string> {
    const url = `${apiUrl.replace(/\/$/, "")}${HEALTH_PATH}`;
    const response = await withTimeout(
        fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).catch((error: Error & { cause?: Error }) => {
            // fetch says only "fetch failed"; its cause names the refused address. The signal's abort says how long.
            throw new Error(`${url}: ${error.name === "TimeoutError" ? `no answer in ${timeoutMs} ms` : error.cause?.message ?? error.message}`);
        }),
        url,
        timeoutMs,
    );
    const body = await withTimeout(response.text(), url, timeoutMs);
    if (!response.ok) throw new Error(`${url} answered ${response.status}: ${body.trim() === "" ? "(an empty body)" : oneLine(body, 200)}`);
    let parsed: unknown;
    try {
        parsed = JSON.parse(body);
    } catch {
        parsed = undefined;
    }
    if ((parsed as { backend?: unknown } | undefined)?.backend === API_ONLY_HEALTH.backend) {
        if (backend.backendDeployed === true) {
            throw new Error(
                `${url} answered "not deployed", yet the stack runs a backend service: the API stage serves a deployment made while /health was ` +
                    "the API's own (a stack deployed before the load balancer answered it: run pulumi up --replace with the URN of its api-deployment), " +
                    "or the load balancer's not-deployed rule outlived a failed update (pulumi up again). README, Api",
            );
        }
        const what = "backend not deployed: the load balancer answered /health itself (no backendImage yet; see README, Application deploy)";
        if (backend.backendRequired) throw new Error(what);
        return `note: ${what}`;
    }
    return `backend answered ${response.status}`;
}

/** ListSubscriptionsByTopic's SubscriptionArn for a subscription nobody has confirmed yet (it then receives nothing). */
export const PENDING_CONFIRMATION = "PendingConfirmation";

/** Every page of ListSubscriptionsByTopic (100 subscriptions a page). */
export function listSubscriptions(client: SNSClient): SubscriptionLister {
    return async (topicArn) => {
        const subscriptions: Subscription[] = [];
        for await (const page of paginateListSubscriptionsByTopic({ client }, { TopicArn: topicArn })) subscriptions.push(...(page.Subscriptions ?? []));
        return subscriptions;
    };
}

/**
 * Domains that can never receive mail, so never confirm the subscription AWS e-mails: the
 * second-level names RFC 2606 reserves for documentation (example.com, .net, .org) and the
 * special-use top-level names of RFC 2606 and RFC 6761 (.example, .test, .invalid, .localhost),
 * each with every name below it (https://www.rfc-editor.org/rfc/rfc2606, https://www.rfc-editor.org/rfc/rfc6761).
 */
export const RESERVED_EMAIL_DOMAINS = ["example.com", "example.net", "example.org", "example", "test", "invalid", "localhost"] as const;

/** The reserved domain (RESERVED_EMAIL_DOMAINS) an e-mail address is at, or undefined; case and a trailing dot do not matter. */
export function reservedEmailDomain(address: string): string | undefined {
    const domain = address.slice(address.lastIndexOf("@") + 1).toLowerCase().replace(/\.$/, "");
    return RESERVED_EMAIL_DOMAINS.find((reserved) => domain === reserved || domain.endsWith(`.${reserved}`));
}

/**
 * The alarm topic has at least one confirmed subscription (its SubscriptionArn is an ARN): an
 * e-mail subscription stays PendingConfirmation, receiving nothing, until someone clicks the link
 * AWS e-mails, and AWS deletes it after 48 hours unconfirmed
 * (https://aws.amazon.com/about-aws/whats-new/2023/05/amazon-sns-automatic-deletion-unconfirmed-subscriptions/,
 * https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html). Throws, naming the
 * topic, the endpoints waiting for confirmation and the fix; `stack` fills in the fix's commands.
 */
export async function checkAlarmSubscriptions(topicArn: string, list: SubscriptionLister, stack = "<stack>"): Promise<string> {
    const topic = topicArn.slice(topicArn.lastIndexOf(":") + 1);
    const subscriptions = await list(topicArn);
    const endpoint = (s: Subscription) => `${s.Protocol} ${s.Endpoint}`;
    const confirmed = subscriptions.filter((s) => s.SubscriptionArn?.startsWith("arn:"));
    const unconfirmed = subscriptions.filter((s) => !confirmed.includes(s));
    const waiting = unconfirmed.map((s) => (s.SubscriptionArn === PENDING_CONFIRMATION ? endpoint(s) : `${endpoint(s)} (${s.SubscriptionArn})`)).join(", ");
    if (confirmed.length > 0) {
        return `${topic}: ${count(confirmed.length, "confirmed subscription")} (${confirmed.map(endpoint).join(", ")})` + (waiting === "" ? "" : `; not confirmed: ${waiting}`);
    }
    const resubscribe = (address = "<address>") =>
        `pulumi config set alarmEmail ${address} --stack ${stack}, then pulumi up --stack ${stack} (AWS e-mails the new address a link)`;
    if (unconfirmed.length === 0) {
        throw new Error(
            `${topic} has no subscription: every alarm reaches nobody (AWS deletes a subscription left unconfirmed for 48 hours). ` +
                `Fix: pulumi up --refresh --stack ${stack} subscribes alarmEmail again and AWS e-mails it a new link; or ${resubscribe()}`,
        );
    }
    const unreachable = unconfirmed.filter((s) => s.Protocol === "email" && reservedEmailDomain(s.Endpoint ?? "") !== undefined);
    if (unreachable.length === unconfirmed.length) {
        // The committed stack files' placeholder, oncall@example.com, is one of these.
        throw new Error(
            `${topic} has no confirmed subscription, and none can be confirmed: ${unreachable.map((s) => `${s.Endpoint} is at ${reservedEmailDomain(s.Endpoint ?? "")}, a reserved domain that receives no mail`).join("; ")} ` +
                `(RFC 2606, RFC 6761). Every alarm reaches nobody. Fix: ${resubscribe("<the team's address>")}`,
        );
    }
    throw new Error(
        `${topic} has no confirmed subscription: every alarm reaches nobody. Pending confirmation: ${waiting}. ` +
            `Fix: click the link in the e-mail "AWS Notification - Subscription Confirmation" (valid 48 hours); or ${resubscribe()}`,
    );
}

/**
 * The CDN's signing key: the secret `cdnSigningKeySecretArn` holds a PEM private key whose public half
 * is the key CloudFront trusts (`cdnPublicKey`, id `cdnKeyPairId`); otherwise the backend signs no URL
 * CloudFront accepts, and the CDN serves no file. Keys are named by id and fingerprint
 * (publicKeyFingerprint), never by content. Throws, saying what to do, when the secret is empty, holds
 * no private key, or holds another key's.
 */
export async function checkSigningKey(outputs: StackOutputs, secrets: SecretReader, stack = stackOf(outputs)): Promise<string> {
    const secretArn = requireOutput(outputs, "cdnSigningKeySecretArn");
    const keyId = requireOutput(outputs, "cdnKeyPairId");
    let deployedFingerprint: string;
    try {
        deployedFingerprint = publicKeyFingerprint(requireOutput(outputs, "cdnPublicKey"));
    } catch (error) {
        throw new Error((error as Error).message.startsWith("Stack output") ? (error as Error).message : `Stack output "cdnPublicKey" is no PEM public key`);
    }
    const deployed = `CloudFront public key ${keyId} (${deployedFingerprint})`;
    const newPair = `npm run cdn-key -- ${stack}`;
    let secret: string;
    try {
        secret = await secrets(secretArn);
    } catch (error) {
        if (!(error instanceof EmptySecretError)) throw error;
        throw new Error(`no URL can be signed: the signing-key secret holds no private key. Store the private key of ${deployed} in it, or make a new pair with ${newPair} and follow the steps it prints (${error.message})`);
    }
    let fingerprint: string;
    try {
        fingerprint = publicKeyFingerprint(createPrivateKey(secret));
    } catch {
        throw new Error(`the signing-key secret ${secretArn} holds no PEM private key: store the private key of ${deployed} in it (--secret-string file://<key file>), or make a new pair with ${newPair}`);
    }
    if (fingerprint !== deployedFingerprint) {
        throw new Error(
            `the signing-key secret holds the private key of public key ${fingerprint}, not of ${deployed}: CloudFront refuses every URL the backend signs. ` +
                `Store the private key of ${keyId} in the secret, or make a new pair with ${newPair}`,
        );
    }
    return `the secret holds the private key of ${deployed}`;
}

/** DescribeServices through `client`, for one service. */
export function describeService(client: ECSClient): ServiceDescriber {
    return (cluster, service) => client.send(new DescribeServicesCommand({ cluster, services: [service] }));
}

/** `{family}:{revision}` of a task definition ARN (`arn:aws:ecs:{region}:{account}:task-definition/{family}:{revision}`). */
function taskDefinitionName(arn: string): string {
    return arn.slice(arn.lastIndexOf("/") + 1);
}

/** A later revision of the same family: the service was updated after these outputs were read, or outside Pulumi. */
function isLaterRevision(arn: string, than: string): boolean {
    const [family, revision] = taskDefinitionName(arn).split(":");
    const [otherFamily, otherRevision] = taskDefinitionName(than).split(":");
    return family === otherFamily && Number(revision) > Number(otherRevision);
}

const rollout = (d: Deployment) => `${d.rolloutState ?? "no rollout state"}${d.rolloutStateReason ? `: "${d.rolloutStateReason}"` : ""}`;
const runningTasks = (d: Deployment) => `${d.runningCount ?? 0} of ${d.desiredCount ?? 0} tasks running`;

/**
 * The backend service runs the task definition this stack deployed (`backendTaskDefinitionArn`),
 * rolled out completely: its PRIMARY deployment (the most recent) has that task definition and the
 * rolloutState COMPLETED (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html).
 * When a deploy's new tasks never get healthy, the deployment circuit breaker rolls the service back
 * to its last COMPLETED deployment, the service is steady again on the old task definition, and
 * `pulumi up` (waitForSteadyState) reports success (hashicorp/terraform-provider-aws#19519, #20858;
 * terraform-aws-modules/terraform-aws-ecs#325): this check is what fails that deploy. Throws naming
 * what runs instead, ECS's rolloutStateReason and the fix; also for a service ECS does not know
 * (DescribeServices `failures` reason MISSING:
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html), one being
 * deleted, a rollout still IN_PROGRESS once `wait` is over (it asks again meanwhile, saying so) and a
 * FAILED one with nothing to roll back to (a first deploy).
 */
export async function checkBackendRollout(outputs: StackOutputs, describe: ServiceDescriber, stack = stackOf(outputs), wait: RolloutWait = ROLLOUT_WAIT): Promise<string> {
    const [cluster, serviceName, deployed, environment] = requireOutputs(outputs, ["backendClusterName", "backendServiceName", "backendTaskDefinitionArn", "environment"]);
    const started = Date.now();
    let answer = await describe(cluster, serviceName);
    // A rollout still IN_PROGRESS right after `pulumi up` (ECS may mark it COMPLETED a little after the
    // steady state pulumi waited for): asked again every intervalMs until timeoutMs has passed.
    const rollingOut = (a: typeof answer) => a.services?.[0]?.deployments?.find((d) => d.status === "PRIMARY" && d.taskDefinition === deployed && d.rolloutState === "IN_PROGRESS");
    // The last ask is at the end of the wait.
    for (let waiting = rollingOut(answer); waiting !== undefined; waiting = rollingOut(answer)) {
        const left = wait.timeoutMs - (Date.now() - started);
        if (left <= 0) break;
        const pause = Math.min(wait.intervalMs, left);
        wait.progress(`backend rollout: ${taskDefinitionName(deployed)} is still rolling out (${runningTasks(waiting)}); asking ECS again in ${pause / 1000} s (${Math.round((Date.now() - started) / 1000)} s of at most ${wait.timeoutMs / 1000} s)`);
        await new Promise((resolve) => setTimeout(resolve, pause));
        answer = await describe(cluster, serviceName);
    }
    const { services = [], failures = [] } = answer;
    const service = services[0];
    const recreate = `pulumi up --refresh --stack ${stack} creates it again`;
    if (service === undefined) {
        const reasons = failures.map((f) => [f.reason, f.detail].filter((p) => p !== undefined).join(": ")).join(", ");
        throw new Error(
            `ECS has no service ${serviceName} in cluster ${cluster} (DescribeServices: ${reasons || "no service and no failure"}): it was deleted outside Pulumi, ` +
                `or these credentials are for another account or region than the stack's. Fix: ${recreate}`,
        );
    }
    if (service.status !== "ACTIVE") throw new Error(`${serviceName} is ${service.status}, not ACTIVE: it is deleted or being deleted. Fix: ${recreate}`);
    const deployments = service.deployments ?? [];
    const primary = deployments.find((d) => d.status === "PRIMARY");
    const name = taskDefinitionName(deployed);
    // The log group components/backend.ts gives the container.
    const logGroup = physicalName("backend", environment);
    const fix =
        `Fix: find why the new tasks failed in the service's events (aws ecs describe-services --cluster ${cluster} --services ${serviceName} --query "services[0].events[:10].message") ` +
        `and the container logs (aws logs tail ${logGroup} --since 1h), then push a fixed image under a new tag and deploy it (README, Application deploy)`;
    if (primary?.taskDefinition === undefined) throw new Error(`${serviceName} has no PRIMARY deployment: ECS is not running ${name}. ${fix}`);
    if (primary.taskDefinition !== deployed) {
        const runs = `${serviceName} runs ${taskDefinitionName(primary.taskDefinition)} (${rollout(primary)}; ${runningTasks(primary)}), not this stack's ${name}`;
        if (isLaterRevision(primary.taskDefinition, deployed)) {
            throw new Error(`${runs}, an earlier revision: these outputs are older than the service's last deploy (read them again), or the service was updated outside Pulumi (pulumi up --refresh --stack ${stack})`);
        }
        const ours = deployments.find((d) => d.taskDefinition === deployed);
        throw new Error(
            `${runs}: the deployment circuit breaker rolled the deploy back (${ours === undefined ? "ECS no longer lists its deployment" : `its deployment: ${rollout(ours)}`}), ` +
                `and pulumi up reported success, since the rollback is a steady state too. The backend serves the previous image. ${fix}`,
        );
    }
    switch (primary.rolloutState) {
        case "COMPLETED":
            return `${name} rolled out (COMPLETED), ${runningTasks(primary)}`;
        case "IN_PROGRESS":
            throw new Error(
                `${name} is still rolling out after ${Math.round((Date.now() - started) / 1000)} s (${rollout(primary)}; ${runningTasks(primary)}): run the health check again once ECS completes it (or rolls it back)`,
            );
        case "FAILED":
            throw new Error(`${name} did not roll out (${rollout(primary)}; ${runningTasks(primary)}), and there was no earlier completed deployment to roll back to. ${fix}`);
        default:
            throw new Error(`${name}: ECS reports ${rollout(primary)} (${runningTasks(primary)}), not the rollout state COMPLETED`);
    }
}

/** How long the rollout check waits for a rollout still IN_PROGRESS, and how it says so. */
export interface RolloutWait {
    /** The longest wait, in ms, from the first DescribeServices. */
    readonly timeoutMs: number;
    /** Between two DescribeServices, in ms. */
    readonly intervalMs: number;
    /** A line for each wait. */
    readonly progress: (line: string) => void;
}

/** Up to 5 minutes, asking every 15 s, on stderr (stdout keeps the results' table). */
export const ROLLOUT_WAIT: RolloutWait = { timeoutMs: 300_000, intervalMs: 15_000, progress: (line) => console.error(line) };

export interface HealthOptions {
    /** Checks to leave out, by the names they print. Throws, naming the checks, on one that does not exist. @default [] */
    readonly skip?: readonly string[];
    /** Time Redis and the API's /health each have to answer, in ms (the AWS calls: their clients' limits). @default 5000 */
    readonly timeoutMs?: number;
    /**
     * The outputs are the local environment's (npm start): it has no SNS, no ECS and, without
     * `--backend`, no API, so those checks are skipped. Elsewhere a missing output fails its check,
     * naming it, rather than leaving the check out. @default false
     */
    readonly local?: boolean;
    /**
     * With `local`, and outputs without an API: a backend is about to start (npm start --backend),
     * which checks its /health once it is up; the api /health skip says so. @default false
     */
    readonly backendStarting?: boolean;
    /** The stack the outputs are from, as the fixes' commands name it (`--stack`'s value). @default stackOf(outputs) */
    readonly stack?: string;
    /** How the rollout check waits for a rollout still IN_PROGRESS. @default ROLLOUT_WAIT */
    readonly rolloutWait?: RolloutWait;
}

/**
 * The stack a fix's command names when the outputs' source does not say: the stack of their
 * environment (Pulumi.<environment>.yaml is the stack of that name), else `<stack>`.
 */
export function stackOf(outputs: StackOutputs): string {
    return typeof outputs.environment === "string" ? outputs.environment : "<stack>";
}

/** Runs every check, except `skip`ped ones; never throws for a check, each failure is a result. */
export async function checkHealth(outputs: StackOutputs, clients: HealthClients, options: HealthOptions = {}): Promise<CheckResult[]> {
    const { skip = [], timeoutMs = TIMEOUT_MS, local = false, stack = stackOf(outputs), rolloutWait = ROLLOUT_WAIT } = options;
    const checks: Array<[string, () => Promise<string>]> = TABLES.map((spec) => [
        `table ${spec.name}`,
        () => checkTable(clients.dynamodb, spec, requireOutput(outputs, tableOutputName(spec))),
    ]);
    for (const output of ["filesBucketName", "thumbnailsBucketName"] as const) {
        checks.push([`bucket ${output}`, async () => {
            const bucket = requireOutput(outputs, output);
            await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
            return `${bucket} reachable`;
        }]);
    }
    checks.push(["redis", async () => pingRedis(requireOutput(outputs, "redisUrl"), await clients.secrets(requireOutput(outputs, "redisAuthTokenSecretArn")), timeoutMs)]);
    // Only where the stack's files are private (privateFiles): its outputs then name the secret.
    if (outputs.cdnSigningKeySecretArn !== undefined) {
        checks.push(["cdn signing key", () => checkSigningKey(outputs, clients.secrets, stack)]);
    }
    // Checks that cannot run on these outputs, and why.
    const skipped: CheckResult[] = [];
    const skipBecause = (check: string, why: string) => skipped.push({ check, ok: true, skipped: true, detail: `skipped: ${why}` });
    if (local && outputs.apiUrl === undefined) {
        skipBecause("api /health", options.backendStarting ? "checked once the backend is up" : "no backend (npm start -- --backend <command> runs one in its place)");
    } else {
        // Outputs of a stack deployed before backendRequired existed: strict.
        checks.push(["api /health", () => checkApiHealth(requireOutput(outputs, "apiUrl"), { backendRequired: outputs.backendRequired !== false, backendDeployed: outputs.backendServiceName !== undefined }, timeoutMs)]);
    }
    const rolloutCheck = "backend rollout";
    // A service's outputs come together (index.ts); any one of them means a service runs, and the check
    // then names whichever is missing rather than skipping on a guess.
    const serviceOutputs = (["backendImage", "backendServiceName", "backendTaskDefinitionArn"] as const).filter((name) => outputs[name] !== undefined);
    if (local) {
        skipBecause(rolloutCheck, "the local environment has no ECS");
    } else if (serviceOutputs.length === 0 && outputs.backendClusterName !== undefined) {
        skipBecause(rolloutCheck, "no backend service in this stack (no backendImage deployed yet), nothing rolls out");
    } else {
        checks.push([rolloutCheck, async () => {
            if (clients.backendService === undefined) throw new Error("no ECS client to describe the backend service with");
            return checkBackendRollout(outputs, clients.backendService, stack, rolloutWait);
        }]);
    }
    const alarmCheck = "alarm topic";
    if (local) {
        skipBecause(alarmCheck, "the local environment has no SNS");
    } else if (outputs.alarms === false) {
        skipBecause(alarmCheck, "alarms are off in this stack (alarms: false), nothing notifies the topic");
    } else {
        checks.push([alarmCheck, async () => {
            // Outputs of a stack deployed before the alarms output existed: a failure saying so, not a guess.
            requireOutput(outputs, "alarms", "boolean");
            if (clients.alarmSubscriptions === undefined) throw new Error("no SNS client to list the alarm topic's subscriptions with");
            return checkAlarmSubscriptions(requireOutput(outputs, "alarmTopicArn"), clients.alarmSubscriptions, stack);
        }]);
    }

    const names = [...checks.map(([c]) => c), ...skipped.map((r) => r.check)];
    const unknown = skip.filter((s) => !names.includes(s));
    if (unknown.length > 0) throw new Error(`--skip ${unknown.map((u) => JSON.stringify(u)).join(", ")}: no such check; checks: ${names.join(", ")}${unknown.map((u) => suggestion(u.trim(), names)).join("")}`);
    const results = await Promise.all(
        checks.filter(([check]) => !skip.includes(check)).map(async ([check, run]) => {
            try {
                return { check, ok: true, detail: await run() };
            } catch (error) {
                const e = error as Error;
                return { check, ok: false, detail: e.name === "NotFound" || e.name === "ResourceNotFoundException" ? `missing (${e.message || e.name})` : e.message || e.name };
            }
        }),
    );
    return [...results, ...skipped.filter((r) => !skip.includes(r.check))];
}

/** One line per check: its state, name and detail (oneLine: a detail quotes what servers answered). */
export function formatHealth(results: readonly CheckResult[]): string {
    const width = Math.max(...results.map((r) => r.check.length));
    return results.map((r) => `${r.skipped ? "skip" : r.ok ? "ok  " : "FAIL"}  ${r.check.padEnd(width)}  ${oneLine(r.detail)}`).join("\n");
}

/**
 * GetSecretValue through `client`. A secret with no version (created empty) answers
 * ResourceNotFoundException "can't find the specified secret value for staging label: AWSCURRENT"
 * (ansible/ansible#69710); that, or an empty string, is an EmptySecretError. A secret that does not
 * exist answers ResourceNotFoundException "can't find the specified secret", passed on as it is.
 */
export function secretReader(client: SecretsManagerClient): SecretReader {
    return async (secretArn) => {
        let value: string | undefined;
        try {
            value = (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
        } catch (error) {
            const e = error as Error;
            if (e.name === "ResourceNotFoundException" && /secret value/i.test(e.message)) throw new EmptySecretError(e.message);
            throw error;
        }
        if (value === undefined || value === "") throw new EmptySecretError(`secret ${secretArn} holds no value`);
        return value;
    };
}

/** Clients for the stack's region; endpoints follow AWS_ENDPOINT_URL_* when set (local environment). */
export function clientsFor(region: string, limits: Partial<CallLimits> = {}): HealthClients {
    return {
        dynamodb: dynamoDbClient({ region, limits }),
        s3: s3Client({ region, limits }),
        alarmSubscriptions: listSubscriptions(snsClient({ region, limits })),
        backendService: describeService(ecsClient({ region, limits })),
        secrets: secretReader(secretsManagerClient({ region, limits })),
    };
}

export const HEALTH_COMMAND = outputsCommand(
    "npm run health",
    "Checks every component the stack outputs name (tables, buckets, Redis, the CDN signing key, the alarm subscriptions, the API and its backend, the backend's rollout), one line each; exits non-zero naming what failed.",
    {
        skip: { type: "string", multiple: true, value: "<check>", description: "leave out this check, by the name it prints (e.g. redis)" },
        timeout: {
            ...OUTPUTS_OPTIONS.timeout,
            description: `time per attempt of each AWS call (default ${DEFAULT_LIMITS.requestTimeoutMs / 1000}) and for Redis and the API to answer (default ${TIMEOUT_MS / 1000}), 0.01 to 600`,
        },
    },
);

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
    const line = readCommandLine(HEALTH_COMMAND, argv);
    if (line === undefined) return;
    const args = line.values as CommonArgs & { skip?: string[] };
    const notice = quietNodeVersionNotice();
    if (notice !== undefined) console.error(notice);
    const outputs = outputsFromCommandLine(args, HEALTH_COMMAND);
    const skip = args.skip ?? [];
    const limits = limitsFromCommandLine(args);
    const clients = clientsFor(requireOutput(outputs, "region"), limits);
    // Without credentials every check would fail alike: one line instead.
    await requireCredentials(clients.dynamodb);
    // --local: the running npm start has no Secrets Manager; its secrets are the backend's variables (.env.local).
    const secrets = args.local ? secretsFromEnvironment(outputs, process.env) : clients.secrets;
    const results = await checkHealth(outputs, { ...clients, secrets }, { skip, timeoutMs: limits.requestTimeoutMs, local: args.local === true, stack: args.stack });
    if (skip.length > 0) console.log(`Skipped: ${[...new Set(skip)].join(", ")}`);
    console.log(formatHealth(results));
    const failed = results.filter((r) => !r.ok);
    const ran = results.filter((r) => !r.skipped);
    if (failed.length > 0) throw new Error(`${failed.length} of ${ran.length} checks failed: ${failed.map((r) => r.check).join(", ")}`);
    console.log(`All ${ran.length} checks passed`);
}

if (require.main === module) runMain("health check", main);

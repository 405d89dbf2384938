/**
 * AWS SDK clients for the commands that talk to AWS or to its local stand-ins (seed, health check,
 * local environment): every call has a bounded time and a bounded number of attempts, and a failure
 * names the endpoint and the action, e.g.
 * `DynamoDB DescribeTable slack-clone-users-development at http://127.0.0.1:4567: no answer in 10000 ms (3 attempts)`.
 *
 * Timeouts are the SDK's own (NodeHttpHandler `connectionTimeout`, `requestTimeout` with
 * `throwOnRequestTimeout`, which @smithy/node-http-handler >= 4.4 needs to fail rather than warn)
 * and retries its standard strategy (`maxAttempts`): AWS SDK for JavaScript v3 developer guide,
 * https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html
 * and supplemental-docs/CLIENTS.md (requestHandler shorthand, v3.521.0+).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ECSClient } from "@aws-sdk/client-ecs";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";

export interface CallLimits {
    /** Time to open a connection, per attempt, in ms. @default 3000 */
    readonly connectionTimeoutMs: number;
    /** Time for a whole request, per attempt, in ms. @default 10000 */
    readonly requestTimeoutMs: number;
    /** Attempts per call, the first included (SDK standard retry: exponential backoff with jitter). @default 3 */
    readonly maxAttempts: number;
}

/** The first Node major that AWS SDK releases after the first week of January 2027 support. */
export const SDK_NODE_MAJOR = 22;

/**
 * On Node < 22 the SDK prints a 9-line notice (NodeVersionSupportWarning) into every command's
 * output. This turns it off (the SDK's AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED) and returns
 * one line for the command to print instead; undefined on Node >= 22 or when the variable is set.
 */
export function quietNodeVersionNotice(): string | undefined {
    const major = Number(process.versions.node.split(".")[0]);
    if (major >= SDK_NODE_MAJOR || process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED !== undefined) return undefined;
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
    return `Note: Node ${process.versions.node} works, but is past its end of life; use Node 22 or 24 (AWS SDK releases after January 2027 need Node >= ${SDK_NODE_MAJOR}).`;
}

export const DEFAULT_LIMITS: CallLimits = { connectionTimeoutMs: 3000, requestTimeoutMs: 10000, maxAttempts: 3 };

export interface ClientOptions {
    readonly region: string;
    /** A local stand-in; else the SDK's own resolution (AWS_ENDPOINT_URL_<SERVICE>, then the region's). */
    readonly endpoint?: string;
    readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
    readonly limits?: Partial<CallLimits>;
}

type Client = DynamoDBClient | ECSClient | S3Client | SecretsManagerClient | SNSClient;

/** What the input names: the table, bucket (and key), secret, topic or ECS cluster and services the call is about. */
function target(input: Record<string, unknown>): string {
    const services = Array.isArray(input.services) ? input.services : [];
    const parts = [input.TableName, input.Bucket, input.Key, input.SecretId, input.TopicArn, input.cluster, ...services].filter((p): p is string => typeof p === "string");
    if (parts.length === 0 && typeof input.RequestItems === "object" && input.RequestItems !== null) parts.push(...Object.keys(input.RequestItems));
    return parts.length > 0 ? ` ${parts.join("/")}` : "";
}

/** Where the call's request went, recorded for its error message. */
const ENDPOINT = Symbol("endpoint");

/**
 * One line for a call that found no credentials (the SDK's CredentialsProviderError, "Could not load
 * credentials from any providers", names no profile, variable or fix); undefined for other errors.
 */
export function credentialsProblem(error: Error, env: NodeJS.ProcessEnv = process.env): string | undefined {
    if (error.name !== "CredentialsProviderError") return undefined;
    const profile = env.AWS_PROFILE;
    return profile
        ? `no AWS credentials: AWS_PROFILE=${profile} gives none (no such profile in ~/.aws/config or ~/.aws/credentials, or its SSO session expired: aws sso login --profile ${profile})`
        : "no AWS credentials: set AWS_PROFILE to a profile in ~/.aws/config (aws configure; aws sso login for SSO), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
}

/**
 * Resolves the client's credentials once, before any call: without them a command says so in one
 * line, instead of every call failing with the same error. Throws credentialsProblem's line.
 */
export async function requireCredentials(client: Client): Promise<void> {
    try {
        await (client.config.credentials as () => Promise<unknown>)();
    } catch (error) {
        throw new Error(credentialsProblem(error as Error) ?? (error as Error).message);
    }
}

/**
 * Rewrites a failed call's error message to start with the service, action, target and endpoint.
 * The error keeps its name (ResourceNotFoundException, NoSuchKey, ...) so callers still tell kinds apart.
 * It wraps the whole call (initialize step), credentials resolution (serialize step) included; the
 * endpoint is read where the request is built (build step).
 */
function nameCallsInErrors(client: Client, service: string, limits: CallLimits): void {
    type Args = { input: unknown; request?: unknown };
    type Handler = (args: Args) => Promise<unknown>;
    type Context = { commandName?: string; [ENDPOINT]?: string };
    const stack = client.middlewareStack as unknown as { add(middleware: unknown, options: object): void };
    stack.add(
        (next: Handler, context: Context) => async (args: Args) => {
            const request = args.request as { protocol?: string; hostname?: string; port?: number } | undefined;
            if (request?.hostname !== undefined) context[ENDPOINT] = ` at ${request.protocol ?? "https:"}//${request.hostname}${request.port ? `:${request.port}` : ""}`;
            return next(args);
        },
        { step: "build", name: "recordEndpoint", priority: "low" },
    );
    stack.add(
        (next: Handler, context: Context) => async (args: Args) => {
            try {
                return await next(args);
            } catch (error) {
                const e = error as Error & { $metadata?: { attempts?: number } };
                const attempts = e.$metadata?.attempts ?? limits.maxAttempts;
                const what = `${service} ${(context.commandName ?? "call").replace(/Command$/, "")}${target(args.input as Record<string, unknown>)}${context[ENDPOINT] ?? ""}`;
                const credentials = credentialsProblem(e);
                if (credentials !== undefined) {
                    e.message = `${what}: ${credentials}`;
                    throw e;
                }
                const reason =
                    e.name === "TimeoutError" || /timed? ?out/i.test(e.message)
                        ? `no answer in ${/connect/i.test(e.message) ? `${limits.connectionTimeoutMs} ms (connecting)` : `${limits.requestTimeoutMs} ms`}`
                        : e.message || e.name;
                e.message = `${what}: ${reason}${attempts > 1 ? ` (${attempts} attempts)` : ""}`;
                throw e;
            }
        },
        { step: "initialize", name: "nameCallsInErrors", priority: "high" },
    );
}

function config(options: ClientOptions) {
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    return {
        limits,
        config: {
            region: options.region,
            ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
            ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
            maxAttempts: limits.maxAttempts,
            requestHandler: { connectionTimeout: limits.connectionTimeoutMs, requestTimeout: limits.requestTimeoutMs, throwOnRequestTimeout: true },
        },
    };
}

/** A client made by `make` from the options' bounded config, its errors naming the call (nameCallsInErrors). */
function boundedClient<C extends Client>(service: string, options: ClientOptions, make: (bounded: ReturnType<typeof config>["config"]) => C): C {
    const { limits, config: c } = config(options);
    const client = make(c);
    nameCallsInErrors(client, service, limits);
    return client;
}

export function dynamoDbClient(options: ClientOptions): DynamoDBClient {
    return boundedClient("DynamoDB", options, (c) => new DynamoDBClient(c));
}

/** `forcePathStyle` as local S3 stand-ins need it (S3_FORCE_PATH_STYLE=true in .env.local). */
export function s3Client(options: ClientOptions & { readonly forcePathStyle?: boolean }): S3Client {
    return boundedClient("S3", options, (c) => new S3Client({ ...c, forcePathStyle: options.forcePathStyle ?? process.env.S3_FORCE_PATH_STYLE === "true" }));
}

/** Secrets Manager: the health check reads the Redis AUTH token with GetSecretValue. */
export function secretsManagerClient(options: ClientOptions): SecretsManagerClient {
    return boundedClient("Secrets Manager", options, (c) => new SecretsManagerClient(c));
}

/** SNS: the health check lists the alarm topic's subscriptions with ListSubscriptionsByTopic. */
export function snsClient(options: ClientOptions): SNSClient {
    return boundedClient("SNS", options, (c) => new SNSClient(c));
}

/** ECS: the health check reads the backend service's deployments with DescribeServices. */
export function ecsClient(options: ClientOptions): ECSClient {
    return boundedClient("ECS", options, (c) => new ECSClient(c));
}

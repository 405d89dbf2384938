/**
 * The environment variables a backend (port 8000) reads, from a stack's outputs: one definition for
 * the deployed container (the ECS task definition, built in index.ts from the same outputs) and the
 * local environment (.env.local). Resource names reach the backend only here.
 *
 * Secrets never travel as plain variables or inside a URL: `backendSecrets` names, per variable,
 * the Secrets Manager secret a deployed backend gets it from (an ECS task's `secrets`); the local
 * environment sets those variables itself.
 */
import { OutputName } from "../components/outputs";
import { TABLES, tableEnvVar, tableOutputName } from "../components/tables";
import type { SecretReader } from "./health";
import { ENV_FILE, shown } from "../local/state";
import { StackOutputs } from "./stack-outputs";

/** The port the backend listens on (its container port; PORT for a local backend). */
export const BACKEND_PORT = 8000;
/** The backend's health endpoint: the target group's health check, the API's `/health`, the local wait. */
export const HEALTH_PATH = "/health";

/**
 * What `GET /health` through the API answers while no backend service runs (the load balancer's
 * fixed response, components/backend.ts); a backend's own `/health` never says
 * `backend: "not deployed"`, so the health check can tell the two apart.
 */
export const API_ONLY_HEALTH = { status: "ok", backend: "not deployed" } as const;

/** Plain variables every stack and the local environment give: name -> the stack output holding its value. */
export const BACKEND_VARIABLES: ReadonlyArray<readonly [envVar: string, output: OutputName]> = [
    ["ENVIRONMENT", "environment"],
    ["AWS_REGION", "region"],
    ...TABLES.map((spec) => [tableEnvVar(spec), tableOutputName(spec)] as const),
    ["FILES_BUCKET", "filesBucketName"],
    ["THUMBNAILS_BUCKET", "thumbnailsBucketName"],
    ["FILES_BASE_URL", "filesBaseUrl"],
    // `rediss://host:port` deployed, `redis://127.0.0.1:port` locally: never with credentials.
    ["REDIS_URL", "redisUrl"],
    ["REDIS_HOST", "redisPrimaryEndpoint"],
    ["REDIS_PORT", "redisPort"],
    // `true` where Redis requires TLS (every deployed stack), `false` on the local redis-server.
    ["REDIS_TLS", "redisTls"],
];

/** Plain variables given only where their output exists. */
const OPTIONAL: ReadonlyArray<readonly [envVar: string, output: OutputName]> = [
    // The Key-Pair-Id of the CDN's signed URLs and cookies (where files are private).
    ["CDN_KEY_PAIR_ID", "cdnKeyPairId"],
];

/** Secret variables, each with the stack output naming the Secrets Manager secret it comes from. */
export const SECRET_VARIABLES: ReadonlyArray<[envVar: string, secretArnOutput: OutputName]> = [
    ["REDIS_AUTH_TOKEN", "redisAuthTokenSecretArn"],
    ["CDN_SIGNING_KEY", "cdnSigningKeySecretArn"],
];

/**
 * The plain variables from outputs of any value type (resolved values for the local environment,
 * `pulumi.Output`s in the program). Throws naming every required output that is missing.
 */
export function backendVariables<T>(outputs: { readonly [K in OutputName]?: T }): Record<string, T> {
    const missing = BACKEND_VARIABLES.filter(([, output]) => outputs[output] === undefined).map(([envVar, output]) => `${output} (for ${envVar})`);
    if (missing.length > 0) throw new Error(`The backend's environment needs the stack outputs ${missing.join(", ")}`);
    return Object.fromEntries(
        [...BACKEND_VARIABLES, ...OPTIONAL.filter(([, output]) => outputs[output] !== undefined)].map(([envVar, output]) => [envVar, outputs[output] as T]),
    );
}

/** The plain variables as strings, from resolved stack outputs (the local environment, the tests). */
export function backendEnvironment(outputs: StackOutputs): Record<string, string> {
    return Object.fromEntries(Object.entries(backendVariables(outputs)).map(([envVar, value]) => [envVar, String(value)]));
}

/** The backend's secret variables, each mapped to the ARN of the secret that holds its value. */
export function backendSecrets<T>(outputs: { readonly [K in OutputName]?: T }): Record<string, T> {
    return Object.fromEntries(SECRET_VARIABLES.filter(([, output]) => outputs[output] !== undefined).map(([envVar, output]) => [envVar, outputs[output] as T]));
}

/**
 * Reads a stack's secret by ARN from the variables a backend was given (`SECRET_VARIABLES`): how the
 * local environment, which has no Secrets Manager, serves its secrets to the health check.
 */
export function secretsFromEnvironment(outputs: StackOutputs, env: Readonly<Record<string, string | undefined>>): SecretReader {
    return async (secretArn) => {
        const found = SECRET_VARIABLES.find(([, output]) => outputs[output] === secretArn);
        if (found === undefined) throw new Error(`secret ${secretArn}: no variable of the local environment holds it`);
        const value = env[found[0]];
        if (value === undefined) {
            throw new Error(`secret ${secretArn}: the local environment gives it as ${found[0]}, which ${shown(ENV_FILE)} does not set; restart npm start (Ctrl-C, then npm start) to write the file again`);
        }
        return value;
    };
}

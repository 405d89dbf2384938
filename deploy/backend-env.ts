/**
 * The environment variables a backend (port 8000) reads, from a stack's outputs: the same names
 * for a deployed stack and for the local environment. Resource names reach the backend only here.
 *
 * Secrets never travel as plain variables or inside a URL: `backendSecrets` names, per variable,
 * the Secrets Manager secret a deployed backend gets it from (an ECS task's `secrets`); the local
 * environment sets those variables itself.
 */
import { OutputName } from "../components/outputs";
import { TABLES, tableEnvVar, tableOutputName } from "../components/tables";
import type { SecretReader } from "./health";
import { StackOutputs, requireOutput } from "./stack-outputs";

const OPTIONAL: ReadonlyArray<[envVar: string, output: OutputName]> = [
    ["FILES_BUCKET", "filesBucketName"],
    ["THUMBNAILS_BUCKET", "thumbnailsBucketName"],
    ["API_URL", "apiUrl"],
    ["FILES_BASE_URL", "filesBaseUrl"],
    // `rediss://host:port` deployed, `redis://127.0.0.1:port` locally: never with credentials.
    ["REDIS_URL", "redisUrl"],
    // The Key-Pair-Id of the CDN's signed URLs and cookies (where files are private).
    ["CDN_KEY_PAIR_ID", "cdnKeyPairId"],
];

/** Secret variables, each with the stack output naming the Secrets Manager secret it comes from. */
export const SECRET_VARIABLES: ReadonlyArray<[envVar: string, secretArnOutput: OutputName]> = [
    ["REDIS_AUTH_TOKEN", "redisAuthTokenSecretArn"],
    ["CDN_SIGNING_KEY", "cdnSigningKeySecretArn"],
];

export function backendEnvironment(outputs: StackOutputs): Record<string, string> {
    const env: Record<string, string> = {
        ENVIRONMENT: requireOutput(outputs, "environment"),
        AWS_REGION: requireOutput(outputs, "region"),
    };
    for (const spec of TABLES) env[tableEnvVar(spec)] = requireOutput(outputs, tableOutputName(spec));
    for (const [envVar, output] of OPTIONAL) {
        const value = outputs[output];
        if (typeof value === "string") env[envVar] = value;
    }
    return env;
}

/** The backend's secret variables, each mapped to the ARN of the secret that holds its value. */
export function backendSecrets(outputs: StackOutputs): Record<string, string> {
    const secrets: Record<string, string> = {};
    for (const [envVar, output] of SECRET_VARIABLES) {
        const arn = outputs[output];
        if (typeof arn === "string") secrets[envVar] = arn;
    }
    return secrets;
}

/**
 * Reads a stack's secret by ARN from the variables a backend was given (`SECRET_VARIABLES`): how the
 * local environment, which has no Secrets Manager, serves its secrets to the health check.
 */
export function secretsFromEnvironment(outputs: StackOutputs, env: Readonly<Record<string, string | undefined>>): SecretReader {
    return async (secretArn) => {
        const found = SECRET_VARIABLES.find(([, output]) => outputs[output] === secretArn);
        const value = found === undefined ? undefined : env[found[0]];
        if (value === undefined) throw new Error(`secret ${secretArn}: no variable of the local environment holds it`);
        return value;
    };
}

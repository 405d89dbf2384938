/**
 * The environment variables a backend (port 8000) reads, from a stack's outputs: the same names
 * for a deployed stack and for the local environment. Resource names reach the backend only here.
 */
import { OutputName } from "../components/outputs";
import { TABLES, tableEnvVar, tableOutputName } from "../components/tables";
import { StackOutputs, requireOutput } from "./stack-outputs";

const OPTIONAL: ReadonlyArray<[envVar: string, output: OutputName]> = [
    ["FILES_BUCKET", "filesBucketName"],
    ["THUMBNAILS_BUCKET", "thumbnailsBucketName"],
    ["API_URL", "apiUrl"],
    ["FILES_BASE_URL", "filesBaseUrl"],
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
    if (typeof outputs.redisPrimaryEndpoint === "string") env.REDIS_URL = redisUrl(outputs);
    return env;
}

/** `rediss://` with the AUTH token where the stack has one (transit encryption), else `redis://`. */
export function redisUrl(outputs: StackOutputs): string {
    const host = requireOutput(outputs, "redisPrimaryEndpoint");
    const port = requireOutput(outputs, "redisPort", "number");
    const token = outputs.redisAuthToken;
    return typeof token === "string" && token !== ""
        ? `rediss://:${encodeURIComponent(token)}@${host}:${port}`
        : `redis://${host}:${port}`;
}

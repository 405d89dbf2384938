/**
 * "Nothing logs forever": every log group the program declares keeps logs `days` days, and every
 * resource that makes AWS create a log group on its own (which would keep logs forever) has that
 * group declared in the program instead.
 */
import { RecordedResource } from "../../harness/mock-engine";

const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";

/** The log groups AWS would create for a resource, by name. */
function implicitLogGroups(r: RecordedResource): string[] {
    if (r.type === "aws:lambda/function:Function") {
        return [r.inputs.loggingConfig?.logGroup ?? `/aws/lambda/${r.inputs.name}`];
    }
    // Execution logs of a REST API stage with a logging level.
    if (r.type === "aws:apigateway/methodSettings:MethodSettings" && ["INFO", "ERROR"].includes(r.inputs.settings?.loggingLevel)) {
        return [`API-Gateway-Execution-Logs_${r.inputs.restApi}/${r.inputs.stageName}`];
    }
    return [];
}

/** Problems, one line each; empty when every log is kept exactly `days` days. */
export function unboundedLogs(resources: readonly RecordedResource[], days: number): string[] {
    const groups = resources.filter((r) => r.type === LOG_GROUP);
    const declared = new Set(groups.map((g) => g.inputs.name));
    return [
        ...groups.filter((g) => g.inputs.retentionInDays !== days).map((g) => `log group ${g.inputs.name} keeps logs ${g.inputs.retentionInDays ?? "forever"}, not ${days} days`),
        ...resources.flatMap((r) =>
            implicitLogGroups(r)
                .filter((name) => !declared.has(name))
                .map((name) => `${r.type} ${r.name} logs to ${name}, which the program does not declare (AWS would keep it forever)`),
        ),
    ];
}

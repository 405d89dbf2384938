/**
 * What the product is watched by: one definition of each CloudWatch metric, and the dashboard
 * panels and alarm rules built from those same definitions, so a graph and the alarm on it can
 * never disagree on namespace, dimensions, statistic or period.
 *
 * Pure data: no resources. The Observability component turns panels into the dashboard body and
 * rules into alarms.
 */
import * as pulumi from "@pulumi/pulumi";
import { TABLES } from "./tables";

/** One CloudWatch metric, as both a dashboard line and an alarm input read it. */
export interface MetricDefinition {
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Readonly<Record<string, pulumi.Input<string>>>;
    /** CloudWatch statistic: Sum, Average, Maximum, p99, ... */
    readonly stat: string;
    /** Seconds. */
    readonly period: number;
    readonly label: pulumi.Input<string>;
}

/** A dashboard graph: metrics on the left axis, and optionally others on the right. */
export interface Panel {
    readonly title: string;
    readonly left: pulumi.Input<readonly MetricDefinition[]>;
    readonly right?: readonly MetricDefinition[];
}

/** An alarm: a metric math expression over named metrics, compared with a threshold. */
export interface AlarmRule {
    readonly description: string;
    /** The metrics the expression reads, keyed by their id in the expression. */
    readonly metrics: Readonly<Record<string, MetricDefinition>>;
    readonly expression: string;
    /** The alarm fires when the expression is greater than this. */
    readonly threshold: number;
    readonly evaluationPeriods: number;
    readonly datapointsToAlarm: number;
    readonly treatMissingData: "missing" | "ignore" | "breaching" | "notBreaching";
}

/** Panels and alarm rules of one monitored part, built from its metric definitions. */
export interface Monitor {
    readonly panels: readonly Panel[];
    /** Keyed by the `{what}` of the alarm's name `slack-clone-{what}-{environment}`, unique in the program. */
    readonly alarms: Readonly<Record<string, pulumi.Input<AlarmRule>>>;
}

/** Metrics of request-driven parts are read in five-minute periods. */
const PERIOD = 300;
/** S3 publishes storage metrics once a day. */
const DAILY = 86400;

function metric(
    namespace: string,
    metricName: string,
    dimensions: MetricDefinition["dimensions"],
    stat: string,
    label: pulumi.Input<string>,
    period = PERIOD,
): MetricDefinition {
    return { namespace, metricName, dimensions, stat, period, label };
}

/** `errors` as a percentage of `total` over each period; 0 when there was no traffic. */
function errorRate(description: string, errors: MetricDefinition, total: MetricDefinition): AlarmRule {
    return {
        description,
        metrics: { errors, total },
        expression: "IF(total > 0, 100 * errors / total, 0)",
        threshold: 1,
        // Two of the last three five-minute periods above 1%: one bad deploy minute does not page.
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        // No traffic is no error.
        treatMissingData: "notBreaching",
    };
}

/** REST API (API Gateway publishes per API name and stage). */
export function apiMonitor(api: { readonly name: pulumi.Input<string>; readonly stage: pulumi.Input<string> }): Monitor {
    const dims = { ApiName: api.name, Stage: api.stage };
    const requests = metric("AWS/ApiGateway", "Count", dims, "Sum", "requests");
    const errors4xx = metric("AWS/ApiGateway", "4XXError", dims, "Sum", "4xx");
    const errors5xx = metric("AWS/ApiGateway", "5XXError", dims, "Sum", "5xx");
    return {
        panels: [
            { title: "API requests and errors", left: [requests], right: [errors4xx, errors5xx] },
            {
                title: "API latency (ms)",
                left: [
                    metric("AWS/ApiGateway", "Latency", dims, "Average", "average"),
                    metric("AWS/ApiGateway", "Latency", dims, "p99", "p99"),
                ],
            },
        ],
        alarms: { "api-5xx-rate": errorRate("API 5xx responses above 1% of requests", errors5xx, requests) },
    };
}

/** Blocked requests in five minutes above which the web ACL alarm fires: more than stray scanners. */
export const WEB_ACL_BLOCKED_THRESHOLD = 100;

/**
 * The API's AWS WAF web ACL: allowed and blocked requests (AWS/WAFV2, dimensions WebACL, Region and
 * Rule, `ALL` for the web ACL as a whole; AWS WAF developer guide, "AWS WAF metrics and dimensions"),
 * and blocked requests per rule.
 */
export function webAclMonitor(acl: { readonly name: pulumi.Input<string>; readonly region: string; readonly rules: readonly string[] }): Monitor {
    const dims = (rule: string) => ({ WebACL: acl.name, Region: acl.region, Rule: rule });
    const blocked = metric("AWS/WAFV2", "BlockedRequests", dims("ALL"), "Sum", "blocked");
    return {
        panels: [
            { title: "API web ACL: allowed and blocked requests", left: [metric("AWS/WAFV2", "AllowedRequests", dims("ALL"), "Sum", "allowed")], right: [blocked] },
            { title: "API web ACL: blocked requests per rule", left: acl.rules.map((rule) => metric("AWS/WAFV2", "BlockedRequests", dims(rule), "Sum", rule)) },
        ],
        alarms: {
            "api-waf-blocked": {
                description: `API web ACL blocked more than ${WEB_ACL_BLOCKED_THRESHOLD} requests in 5 minutes`,
                metrics: { blocked },
                // WAF publishes a blocked count only when it blocks.
                expression: "FILL(blocked, 0)",
                threshold: WEB_ACL_BLOCKED_THRESHOLD,
                evaluationPeriods: 1,
                datapointsToAlarm: 1,
                treatMissingData: "notBreaching",
            },
        },
    };
}

/** Fires on the first period whose `expression` is above 0: for counts that should always be 0. A missing datapoint is none. */
function anyAtAll(description: string, metrics: AlarmRule["metrics"], expression: string): AlarmRule {
    return { description, metrics, expression, threshold: 0, evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: "notBreaching" };
}

/**
 * Any throttle event in five minutes: an on-demand table or index that throttles at all is
 * hot-partitioned or at its account limit. DynamoDB publishes throttle events only when there are some.
 */
function throttleAlarm(description: string, reads: MetricDefinition, writes: MetricDefinition): AlarmRule {
    return anyAtAll(description, { reads, writes }, "FILL(reads, 0) + FILL(writes, 0)");
}

/**
 * One DynamoDB table: consumed capacity and throttling, of the table and of each of its global
 * secondary indexes. DynamoDB publishes an index's throttle events with the dimensions TableName
 * and GlobalSecondaryIndexName, apart from the table's (DynamoDB developer guide, "DynamoDB metrics
 * and dimensions": https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html).
 * An index keyed on a few values (presence's OnlineUsersIndex on `status`) is a hot partition by design.
 */
export function tableMonitor(shortName: string, tableName: pulumi.Input<string>, indexNames: readonly string[] = []): Monitor {
    const dims = { TableName: tableName };
    const reads = metric("AWS/DynamoDB", "ReadThrottleEvents", dims, "Sum", "read throttles");
    const writes = metric("AWS/DynamoDB", "WriteThrottleEvents", dims, "Sum", "write throttles");
    const indexes = indexNames.map((index) => {
        const indexDims = { TableName: tableName, GlobalSecondaryIndexName: index };
        return {
            index,
            reads: metric("AWS/DynamoDB", "ReadThrottleEvents", indexDims, "Sum", `${index} read throttles`),
            writes: metric("AWS/DynamoDB", "WriteThrottleEvents", indexDims, "Sum", `${index} write throttles`),
        };
    });
    return {
        panels: [
            {
                title: `DynamoDB ${shortName}: consumed capacity and throttles`,
                left: [
                    metric("AWS/DynamoDB", "ConsumedReadCapacityUnits", dims, "Sum", "read units"),
                    metric("AWS/DynamoDB", "ConsumedWriteCapacityUnits", dims, "Sum", "write units"),
                ],
                right: [reads, writes, ...indexes.flatMap((i) => [i.reads, i.writes])],
            },
        ],
        alarms: {
            [`${shortName}-throttles`]: throttleAlarm(`DynamoDB table ${shortName} throttled reads or writes`, reads, writes),
            ...Object.fromEntries(
                indexes.map((i) => [`${shortName}-${i.index}-throttles`, throttleAlarm(`DynamoDB index ${i.index} of table ${shortName} throttled reads or writes`, i.reads, i.writes)]),
            ),
        },
    };
}

/**
 * The thumbnail Lambda function, and the queue its failed invocations go to once retries are spent
 * (its on-failure destination): any message there is an upload left without a thumbnail.
 */
export function functionMonitor(fn: { readonly name: pulumi.Input<string>; readonly failureQueueName: pulumi.Input<string> }): Monitor {
    const dims = { FunctionName: fn.name };
    const invocations = metric("AWS/Lambda", "Invocations", dims, "Sum", "invocations");
    const errors = metric("AWS/Lambda", "Errors", dims, "Sum", "errors");
    const failures = metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: fn.failureQueueName }, "Maximum", "failed events waiting");
    return {
        panels: [
            { title: "Thumbnail function invocations and errors", left: [invocations], right: [errors] },
            { title: "Thumbnail failures (on-failure queue)", left: [failures] },
            {
                title: "Thumbnail function duration (ms)",
                left: [metric("AWS/Lambda", "Duration", dims, "Average", "average"), metric("AWS/Lambda", "Duration", dims, "Maximum", "maximum")],
            },
        ],
        alarms: {
            "thumbnail-error-rate": errorRate("Thumbnail function errors above 1% of invocations", errors, invocations),
            "thumbnail-failures": anyAtAll("Uploads whose thumbnail failed after every retry wait in the on-failure queue", { failures }, "FILL(failures, 0)"),
        },
    };
}

/** The files and thumbnails buckets: storage used (S3 daily storage metrics, no alarms). */
export function bucketsMonitor(buckets: { readonly files: pulumi.Input<string>; readonly thumbnails: pulumi.Input<string> }): Monitor {
    const size = (bucket: pulumi.Input<string>, label: string) =>
        metric("AWS/S3", "BucketSizeBytes", { BucketName: bucket, StorageType: "StandardStorage" }, "Average", label, DAILY);
    const objects = (bucket: pulumi.Input<string>, label: string) =>
        metric("AWS/S3", "NumberOfObjects", { BucketName: bucket, StorageType: "AllStorageTypes" }, "Average", label, DAILY);
    return {
        panels: [
            { title: "S3 bucket size (bytes)", left: [size(buckets.files, "files"), size(buckets.thumbnails, "thumbnails")] },
            { title: "S3 objects", left: [objects(buckets.files, "files"), objects(buckets.thumbnails, "thumbnails")] },
        ],
        alarms: {},
    };
}

/**
 * The Redis replication group. ElastiCache publishes node metrics per member cluster
 * (`CacheClusterId` = `{replication group}-001`, `-002`, ...), not per replication group, so each
 * panel plots every member and the memory alarm watches the fullest one (metric math MAX).
 */
export function cacheMonitor(cache: { readonly memberClusters: pulumi.Input<readonly string[]> }): Monitor {
    const perMember = (metricName: string, stat: string) =>
        pulumi.output(cache.memberClusters).apply((members) => members.map((id) => metric("AWS/ElastiCache", metricName, { CacheClusterId: id }, stat, id)));
    const memory = perMember("DatabaseMemoryUsagePercentage", "Maximum");
    return {
        panels: [
            { title: "Redis memory used (%)", left: memory },
            { title: "Redis CPU (%)", left: perMember("CPUUtilization", "Average") },
            { title: "Redis connections", left: perMember("CurrConnections", "Maximum") },
        ],
        alarms: {
            "redis-memory": memory.apply((members) => ({
                description: "Redis memory above 80% on a node",
                metrics: Object.fromEntries(members.map((m, i) => [`m${i}`, m])),
                expression: `MAX([${members.map((_, i) => `m${i}`).join(", ")}])`,
                threshold: 80,
                // Fifteen minutes in a row: memory grows slowly and a spike is not a trend.
                evaluationPeriods: 3,
                datapointsToAlarm: 3,
                // A node that stops reporting shows as INSUFFICIENT_DATA rather than OK.
                treatMissingData: "missing" as const,
            })),
        },
    };
}

/** The backend service: its load balancer and target group (ARN suffixes), cluster and service names. */
export interface BackendMonitored {
    readonly loadBalancer: pulumi.Input<string>;
    readonly targetGroup: pulumi.Input<string>;
    readonly cluster: pulumi.Input<string>;
    readonly service: pulumi.Input<string>;
    /** The most tasks the service may run (`backendMaxCount`): CPU is alarming only there. */
    readonly maxTasks: number;
}

/** Minutes of unhealthy targets before the alarm fires (a deploy's task replacement takes less). */
export const UNHEALTHY_MINUTES = 5;
/** Average CPU (%) of the service that is alarming once it cannot scale further. */
export const CPU_AT_MAX_PERCENT = 80;

/**
 * The backend: load balancer traffic, 5xx and response time, target health, service CPU and
 * memory. Alarms: 5xx above 1% of requests, an unhealthy target for UNHEALTHY_MINUTES, and CPU
 * high while running the most tasks allowed (Container Insights' RunningTaskCount).
 */
export function backendMonitor(backend: BackendMonitored): Monitor {
    const lb = { LoadBalancer: backend.loadBalancer };
    const lbTarget = { LoadBalancer: backend.loadBalancer, TargetGroup: backend.targetGroup };
    const svc = { ClusterName: backend.cluster, ServiceName: backend.service };
    const requests = metric("AWS/ApplicationELB", "RequestCount", lb, "Sum", "requests");
    const target5xx = metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", lb, "Sum", "backend 5xx");
    const elb5xx = metric("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", lb, "Sum", "load balancer 5xx");
    const unhealthy = metric("AWS/ApplicationELB", "UnHealthyHostCount", lbTarget, "Maximum", "unhealthy", 60);
    const cpu = metric("AWS/ECS", "CPUUtilization", svc, "Average", "CPU %");
    const tasks = metric("ECS/ContainerInsights", "RunningTaskCount", svc, "Maximum", "running tasks");
    return {
        panels: [
            { title: "Backend requests and 5xx", left: [requests], right: [target5xx, elb5xx] },
            {
                title: "Backend response time (s)",
                left: [
                    metric("AWS/ApplicationELB", "TargetResponseTime", lb, "Average", "average"),
                    metric("AWS/ApplicationELB", "TargetResponseTime", lb, "p99", "p99"),
                ],
            },
            { title: "Backend targets", left: [metric("AWS/ApplicationELB", "HealthyHostCount", lbTarget, "Minimum", "healthy", 60), unhealthy] },
            { title: "Backend CPU and memory (%)", left: [cpu, metric("AWS/ECS", "MemoryUtilization", svc, "Average", "memory %")], right: [tasks] },
        ],
        alarms: {
            "backend-5xx-rate": {
                ...errorRate("Backend 5xx responses (load balancer and tasks) above 1% of requests", target5xx, requests),
                metrics: { target: target5xx, elb: elb5xx, total: requests },
                // The ALB publishes 5xx counts only when there are some.
                expression: "IF(total > 0, 100 * (FILL(target, 0) + FILL(elb, 0)) / total, 0)",
            },
            "backend-unhealthy-hosts": {
                description: `A backend target unhealthy for ${UNHEALTHY_MINUTES} minutes`,
                metrics: { unhealthy },
                expression: "unhealthy",
                threshold: 0,
                evaluationPeriods: UNHEALTHY_MINUTES,
                datapointsToAlarm: UNHEALTHY_MINUTES,
                treatMissingData: "notBreaching",
            },
            "backend-cpu-at-max": {
                description: `Backend CPU above ${CPU_AT_MAX_PERCENT}% while running its maximum of ${backend.maxTasks} tasks`,
                metrics: { cpu, tasks },
                expression: `IF(tasks >= ${backend.maxTasks}, cpu, 0)`,
                threshold: CPU_AT_MAX_PERCENT,
                evaluationPeriods: 3,
                datapointsToAlarm: 3,
                treatMissingData: "missing",
            },
        },
    };
}

/** The parts of the product to watch; each optional part adds its panels and alarms when given. */
export interface Monitored {
    /** Physical table names, keyed by the table's short name (`users`, `workspace-memberships`, ...). */
    readonly tables: Readonly<Record<string, pulumi.Input<string>>>;
    /** The REST API: its name and stage. */
    readonly api?: Parameters<typeof apiMonitor>[0];
    /** The API's web ACL: its name (metric name), region and rule names. */
    readonly webAcl?: Parameters<typeof webAclMonitor>[0];
    /** The thumbnail Lambda function. */
    readonly thumbnailFunction?: Parameters<typeof functionMonitor>[0];
    /** Names of the files and thumbnails buckets. */
    readonly buckets?: Parameters<typeof bucketsMonitor>[0];
    /** The Redis replication group's member cluster ids (`memberClusters` output). */
    readonly cache?: Parameters<typeof cacheMonitor>[0];
    /** The backend service, once it runs. */
    readonly backend?: BackendMonitored;
}

/** Monitors of every part given, in dashboard order. */
export function monitorsOf(parts: Monitored): Monitor[] {
    return [
        ...(parts.api ? [apiMonitor(parts.api)] : []),
        ...(parts.webAcl ? [webAclMonitor(parts.webAcl)] : []),
        ...Object.entries(parts.tables).map(([shortName, tableName]) =>
            tableMonitor(shortName, tableName, (TABLES.find((t) => t.name === shortName)?.indexes ?? []).map((i) => i.name)),
        ),
        ...(parts.thumbnailFunction ? [functionMonitor(parts.thumbnailFunction)] : []),
        ...(parts.buckets ? [bucketsMonitor(parts.buckets)] : []),
        ...(parts.cache ? [cacheMonitor(parts.cache)] : []),
        ...(parts.backend ? [backendMonitor(parts.backend)] : []),
    ];
}

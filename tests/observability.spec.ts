import { expect } from "chai";
import { validateConfig } from "../components/config";
import { Observability } from "../components/observability";
import { TABLES } from "../components/tables";
import { Evaluation, RecordedResource, byName, evaluate, ofType } from "../harness/mock-engine";
import { STACKS, deployedEvaluation, rawConfig, serially, stackEvaluation } from "./helpers/stacks";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const DASHBOARD = "aws:cloudwatch/dashboard:Dashboard";
const TOPIC = "aws:sns/topic:Topic";
const SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";

interface Line {
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Record<string, string>;
    readonly stat: string;
    readonly period: number;
    readonly yAxis?: string;
}

/** The dashboard's widgets, each with its metric lines decoded from CloudWatch's array form. */
function widgets(evaluation: Evaluation): { title: string; region: string; lines: Line[] }[] {
    const body = JSON.parse(ofType(evaluation, DASHBOARD)[0].inputs.dashboardBody);
    return body.widgets.map((w: any) => ({
        title: w.properties.title,
        region: w.properties.region,
        lines: w.properties.metrics.map((m: unknown[]) => {
            const [namespace, metricName, ...rest] = m as [string, string, ...unknown[]];
            const options = rest.pop() as { stat: string; period: number; yAxis?: string };
            const pairs = rest as string[];
            const dimensions = Object.fromEntries(pairs.flatMap((_, i) => (i % 2 === 0 ? [[pairs[i], pairs[i + 1]]] : [])));
            return { namespace, metricName, dimensions, stat: options.stat, period: options.period, yAxis: options.yAxis };
        }),
    }));
}

/** The metrics an alarm reads, and its expression. */
function alarmParts(alarm: RecordedResource): { metrics: Record<string, Line>; expression: string } {
    const queries: any[] = alarm.inputs.metricQueries;
    const returned = queries.filter((q) => q.returnData);
    expect(returned, `${alarm.name} returns exactly one series`).to.have.length(1);
    const metrics = Object.fromEntries(queries.filter((q) => q.metric).map((q) => [q.id, { ...q.metric }]));
    return { metrics, expression: returned[0].expression };
}

const key = (l: Line) => JSON.stringify([l.namespace, l.metricName, Object.entries(l.dimensions).sort(), l.stat, l.period]);

/** Alarms and dashboard read the same definitions: every metric an alarm reads is on the dashboard, identically. */
function expectAlarmsOnDashboard(evaluation: Evaluation): void {
    const plotted = new Set(widgets(evaluation).flatMap((w) => w.lines.map(key)));
    for (const alarm of ofType(evaluation, ALARM)) {
        for (const [id, m] of Object.entries(alarmParts(alarm).metrics)) {
            expect(plotted.has(key(m as Line)), `${alarm.name} metric ${id} is plotted on the dashboard`).to.equal(true);
        }
    }
}

/** Redis member clusters per stack (redisNodeCount). */
const MEMBERS: Record<string, number> = { development: 1, staging: 1, production: 2 };

for (const stack of STACKS) {
    describe(`Observability in ${stack}`, () => {
        let evaluation: Evaluation;
        const alarmsOn = stack !== "development";
        // The web ACL guards the API on staging and production (webAcl).
        const webAcl = stack !== "development";
        const members = Array.from({ length: MEMBERS[stack] }, (_, i) => `slack-clone-redis-${stack}-00${i + 1}`);

        before(async () => {
            evaluation = await stackEvaluation(stack);
        });

        it("has the dashboard slack-clone-{environment} and the topic slack-clone-alarms-{environment}, both exported", () => {
            const dashboard = ofType(evaluation, DASHBOARD);
            expect(dashboard.map((d) => d.inputs.dashboardName)).to.deep.equal([`slack-clone-${stack}`]);
            expect(ofType(evaluation, TOPIC).map((t) => t.inputs.name)).to.deep.equal([`slack-clone-alarms-${stack}`]);
            expect(evaluation.outputs.dashboardName).to.equal(`slack-clone-${stack}`);
            expect(evaluation.outputs.alarmTopicArn).to.equal(`arn:aws:sns:us-east-1:123456789012:slack-clone-alarms-${stack}`);
        });

        it("plots the API, every table, the thumbnail function, both buckets and every Redis member cluster, in the stack's region", () => {
            const all = widgets(evaluation);
            expect(all.map((w) => w.title)).to.deep.equal([
                "API requests and errors",
                "API latency (ms)",
                ...(webAcl ? ["API web ACL: allowed and blocked requests", "API web ACL: blocked requests per rule"] : []),
                ...TABLES.map((t) => `DynamoDB ${t.name}: consumed capacity and throttles`),
                "Thumbnail function invocations and errors",
                "Thumbnail failures (on-failure queue)",
                "Thumbnail function duration (ms)",
                "S3 bucket size (bytes)",
                "S3 objects",
                "Redis memory used (%)",
                "Redis CPU (%)",
                "Redis connections",
            ]);
            for (const w of all) expect(w.region, w.title).to.equal("us-east-1");
            for (const l of all[0].lines) expect(l.dimensions).to.deep.equal({ ApiName: `slack-clone-api-${stack}`, Stage: stack });
            for (const w of all.slice(-3)) expect(w.lines.map((l) => l.dimensions.CacheClusterId), w.title).to.deep.equal(members);
        });

        it("plots consumed capacity and throttles of every table and of each of its indexes", () => {
            const tables = widgets(evaluation).filter((w) => w.title.startsWith("DynamoDB "));
            for (const [i, spec] of TABLES.entries()) {
                const w = tables[i];
                const table = `slack-clone-${spec.name}-${stack}`;
                expect(w.lines.map((l) => [l.metricName, l.stat, l.period, l.yAxis ?? "left", l.dimensions])).to.deep.equal([
                    ["ConsumedReadCapacityUnits", "Sum", 300, "left", { TableName: table }],
                    ["ConsumedWriteCapacityUnits", "Sum", 300, "left", { TableName: table }],
                    ["ReadThrottleEvents", "Sum", 300, "right", { TableName: table }],
                    ["WriteThrottleEvents", "Sum", 300, "right", { TableName: table }],
                    ...spec.indexes.flatMap((index) =>
                        ["ReadThrottleEvents", "WriteThrottleEvents"].map((m) => [m, "Sum", 300, "right", { TableName: table, GlobalSecondaryIndexName: index.name }]),
                    ),
                ]);
                for (const l of w.lines) expect(l.namespace).to.equal("AWS/DynamoDB");
            }
        });

        it(alarmsOn ? "alarms on the API, every table and index, the thumbnail function and its failures, and Redis, notifying the topic on ALARM and OK" : "has no alarms", () => {
            const alarms = ofType(evaluation, ALARM);
            if (!alarmsOn) {
                expect(alarms).to.deep.equal([]);
                return;
            }
            expect(alarms.map((a) => a.inputs.name)).to.deep.equal([
                `slack-clone-api-5xx-rate-${stack}`,
                ...(webAcl ? [`slack-clone-api-waf-blocked-${stack}`] : []),
                ...TABLES.flatMap((t) => [`slack-clone-${t.name}-throttles-${stack}`, ...t.indexes.map((i) => `slack-clone-${t.name}-${i.name}-throttles-${stack}`)]),
                `slack-clone-thumbnail-error-rate-${stack}`,
                `slack-clone-thumbnail-failures-${stack}`,
                `slack-clone-redis-memory-${stack}`,
            ]);
            const topicArn = evaluation.outputs.alarmTopicArn;
            for (const alarm of alarms) {
                expect(alarm.inputs.alarmActions, alarm.name).to.deep.equal([topicArn]);
                expect(alarm.inputs.okActions, alarm.name).to.deep.equal([topicArn]);
            }
            expectAlarmsOnDashboard(evaluation);
        });

        if (webAcl) {
            it("plots the web ACL's allowed and blocked requests, per rule too (AWS/WAFV2: WebACL, Region, Rule)", () => {
                const [total, perRule] = widgets(evaluation).filter((w) => w.title.startsWith("API web ACL"));
                const dims = (rule: string) => ({ WebACL: `slack-clone-api-${stack}`, Region: "us-east-1", Rule: rule });
                expect(total.lines.map((l) => [l.namespace, l.metricName, l.dimensions, l.stat, l.yAxis ?? "left"])).to.deep.equal([
                    ["AWS/WAFV2", "AllowedRequests", dims("ALL"), "Sum", "left"],
                    ["AWS/WAFV2", "BlockedRequests", dims("ALL"), "Sum", "right"],
                ]);
                expect(perRule.lines.map((l) => l.dimensions.Rule)).to.deep.equal(["rate-limit-per-ip", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"]);
                // The rule names plotted are the rules' metric names in the web ACL.
                const acl = ofType(evaluation, "aws:wafv2/webAcl:WebAcl")[0];
                expect(perRule.lines.map((l) => l.dimensions.Rule)).to.deep.equal(acl.inputs.rules.map((r: { visibilityConfig: { metricName: string } }) => r.visibilityConfig.metricName));
                expect(total.lines[0].dimensions.WebACL).to.equal(acl.inputs.visibilityConfig.metricName);
            });
        }

        if (alarmsOn && webAcl) {
            it("alarms when the web ACL blocks more than 100 requests in five minutes", () => {
                const alarm = byName(evaluation, ALARM, "observability-api-waf-blocked");
                const { metrics, expression } = alarmParts(alarm);
                expect(expression).to.equal("FILL(blocked, 0)");
                expect(metrics.blocked).to.deep.equal({
                    namespace: "AWS/WAFV2",
                    metricName: "BlockedRequests",
                    dimensions: { WebACL: `slack-clone-api-${stack}`, Region: "us-east-1", Rule: "ALL" },
                    stat: "Sum",
                    period: 300,
                });
                expect(alarm.inputs).to.include({ comparisonOperator: "GreaterThanThreshold", threshold: 100, evaluationPeriods: 1, treatMissingData: "notBreaching" });
            });
        }

        if (alarmsOn) {
            it("alarms on any throttle event of each table in five minutes", () => {
                for (const spec of TABLES) {
                    const alarm = byName(evaluation, ALARM, `observability-${spec.name}-throttles`);
                    const { metrics, expression } = alarmParts(alarm);
                    const table = `slack-clone-${spec.name}-${stack}`;
                    expect(expression).to.equal("FILL(reads, 0) + FILL(writes, 0)");
                    expect(metrics).to.deep.equal({
                        reads: { namespace: "AWS/DynamoDB", metricName: "ReadThrottleEvents", dimensions: { TableName: table }, stat: "Sum", period: 300 },
                        writes: { namespace: "AWS/DynamoDB", metricName: "WriteThrottleEvents", dimensions: { TableName: table }, stat: "Sum", period: 300 },
                    });
                    expect(alarm.inputs).to.include({
                        comparisonOperator: "GreaterThanThreshold",
                        threshold: 0,
                        evaluationPeriods: 1,
                        datapointsToAlarm: 1,
                        treatMissingData: "notBreaching",
                    });
                }
            });

            it("alarms on any throttle event of each global secondary index (GlobalSecondaryIndexName dimension), e.g. presence's OnlineUsersIndex", () => {
                const indexes = TABLES.flatMap((t) => t.indexes.map((i) => ({ table: t.name, index: i.name })));
                expect(indexes).to.deep.include({ table: "presence", index: "OnlineUsersIndex" });
                for (const { table, index } of indexes) {
                    const alarm = byName(evaluation, ALARM, `observability-${table}-${index}-throttles`);
                    const dimensions = { TableName: `slack-clone-${table}-${stack}`, GlobalSecondaryIndexName: index };
                    expect(alarmParts(alarm)).to.deep.equal({
                        expression: "FILL(reads, 0) + FILL(writes, 0)",
                        metrics: {
                            reads: { namespace: "AWS/DynamoDB", metricName: "ReadThrottleEvents", dimensions, stat: "Sum", period: 300 },
                            writes: { namespace: "AWS/DynamoDB", metricName: "WriteThrottleEvents", dimensions, stat: "Sum", period: 300 },
                        },
                    });
                    expect(alarm.inputs).to.include({ threshold: 0, evaluationPeriods: 1, treatMissingData: "notBreaching" });
                }
            });

            it("alarms as soon as the thumbnail on-failure queue holds a message", () => {
                const alarm = byName(evaluation, ALARM, "observability-thumbnail-failures");
                expect(alarmParts(alarm)).to.deep.equal({
                    expression: "FILL(failures, 0)",
                    metrics: {
                        failures: {
                            namespace: "AWS/SQS",
                            metricName: "ApproximateNumberOfMessagesVisible",
                            dimensions: { QueueName: `slack-clone-thumbnail-failures-${stack}` },
                            stat: "Maximum",
                            period: 300,
                        },
                    },
                });
                expect(alarm.inputs).to.include({ threshold: 0, comparisonOperator: "GreaterThanThreshold" });
            });

            it(`alarms on the fullest of the ${members.length} Redis member cluster(s) above 80%`, () => {
                const { metrics, expression } = alarmParts(byName(evaluation, ALARM, "observability-redis-memory"));
                expect(expression).to.equal(`MAX([${members.map((_, i) => `m${i}`).join(", ")}])`);
                expect(Object.values(metrics).map((m) => m.dimensions.CacheClusterId)).to.deep.equal(members);
            });
        }

        it(alarmsOn ? "subscribes the stack's alarmEmail to the alarm topic" : "subscribes nobody (no alarms, no alarmEmail)", () => {
            const email = evaluation.config["slack-clone:alarmEmail"];
            expect(email === "").to.equal(!alarmsOn);
            const endpoints = ofType(evaluation, SUBSCRIPTION).map((s) => [s.inputs.protocol, s.inputs.endpoint]);
            expect(endpoints).to.deep.equal(alarmsOn ? [["email", email]] : []);
        });
    });
}

describe("Observability of every part (component alone, optional parts given)", () => {
    let evaluation: Evaluation;
    const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:slack-clone-alarms-staging";

    before(async () => {
        evaluation = await serially(() =>
            evaluate("staging", { "aws:region": "us-east-1" }, () => {
                const o = new Observability("observability", {
                    environment: "staging",
                    alarms: true,
                    alarmEmail: "ops@example.com",
                    tables: { users: "slack-clone-users-staging", messages: "slack-clone-messages-staging" },
                    api: { name: "slack-clone-api-staging", stage: "staging" },
                    thumbnailFunction: { name: "slack-clone-thumbnail-staging", failureQueueName: "slack-clone-thumbnail-failures-staging" },
                    buckets: { files: "files-bucket", thumbnails: "thumbnails-bucket" },
                    cache: { memberClusters: ["slack-clone-redis-staging-001", "slack-clone-redis-staging-002"] },
                });
                return { alarmTopicArn: o.alarmTopicArn };
            }),
        );
    });

    const alarm = (what: string) => byName(evaluation, ALARM, `observability-${what}`);

    it("creates one alarm per rule, each notifying the topic", () => {
        const alarms = ofType(evaluation, ALARM);
        expect(alarms.map((a) => a.inputs.name)).to.deep.equal([
            "slack-clone-api-5xx-rate-staging",
            "slack-clone-users-throttles-staging",
            "slack-clone-users-EmailIndex-throttles-staging",
            "slack-clone-messages-throttles-staging",
            "slack-clone-messages-UserMessagesIndex-throttles-staging",
            "slack-clone-messages-ThreadIndex-throttles-staging",
            "slack-clone-thumbnail-error-rate-staging",
            "slack-clone-thumbnail-failures-staging",
            "slack-clone-redis-memory-staging",
        ]);
        for (const a of alarms) {
            expect(a.inputs.alarmActions, a.name).to.deep.equal([TOPIC_ARN]);
            expect(a.inputs.okActions, a.name).to.deep.equal([TOPIC_ARN]);
            expect(a.inputs.comparisonOperator, a.name).to.equal("GreaterThanThreshold");
        }
    });

    const errorRates = [
        { what: "api-5xx-rate", namespace: "AWS/ApiGateway", errors: "5XXError", total: "Count", dims: { ApiName: "slack-clone-api-staging", Stage: "staging" } },
        { what: "thumbnail-error-rate", namespace: "AWS/Lambda", errors: "Errors", total: "Invocations", dims: { FunctionName: "slack-clone-thumbnail-staging" } },
    ];
    for (const { what, namespace, errors, total, dims } of errorRates) {
        it(`${what}: ${errors} / ${total} * 100 above 1% in 2 of 3 five-minute periods`, () => {
            const a = alarm(what);
            expect(alarmParts(a)).to.deep.equal({
                expression: "IF(total > 0, 100 * errors / total, 0)",
                metrics: {
                    errors: { namespace, metricName: errors, dimensions: dims, stat: "Sum", period: 300 },
                    total: { namespace, metricName: total, dimensions: dims, stat: "Sum", period: 300 },
                },
            });
            expect(a.inputs).to.include({ threshold: 1, evaluationPeriods: 3, datapointsToAlarm: 2, treatMissingData: "notBreaching" });
        });
    }

    it("alarms when any Redis member cluster's DatabaseMemoryUsagePercentage is above 80%", () => {
        const a = alarm("redis-memory");
        const member = (id: string) => ({
            namespace: "AWS/ElastiCache",
            metricName: "DatabaseMemoryUsagePercentage",
            dimensions: { CacheClusterId: id },
            stat: "Maximum",
            period: 300,
        });
        expect(alarmParts(a)).to.deep.equal({
            expression: "MAX([m0, m1])",
            metrics: { m0: member("slack-clone-redis-staging-001"), m1: member("slack-clone-redis-staging-002") },
        });
        expect(a.inputs).to.include({ threshold: 80, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: "missing" });
    });

    it("plots every alarm's metrics on the dashboard, with the same statistic and period", () => {
        expectAlarmsOnDashboard(evaluation);
    });

    it("has a widget per part: API, tables, function, buckets, Redis", () => {
        const all = widgets(evaluation);
        const summary = all.map((w) => [w.title, w.lines.map((l) => `${l.metricName}:${l.stat}:${l.period}:${Object.values(l.dimensions).join("/")}`)]);
        expect(summary).to.deep.equal([
            [
                "API requests and errors",
                [
                    "Count:Sum:300:slack-clone-api-staging/staging",
                    "4XXError:Sum:300:slack-clone-api-staging/staging",
                    "5XXError:Sum:300:slack-clone-api-staging/staging",
                ],
            ],
            ["API latency (ms)", ["Latency:Average:300:slack-clone-api-staging/staging", "Latency:p99:300:slack-clone-api-staging/staging"]],
            [
                "DynamoDB users: consumed capacity and throttles",
                [
                    "ConsumedReadCapacityUnits:Sum:300:slack-clone-users-staging",
                    "ConsumedWriteCapacityUnits:Sum:300:slack-clone-users-staging",
                    "ReadThrottleEvents:Sum:300:slack-clone-users-staging",
                    "WriteThrottleEvents:Sum:300:slack-clone-users-staging",
                    "ReadThrottleEvents:Sum:300:slack-clone-users-staging/EmailIndex",
                    "WriteThrottleEvents:Sum:300:slack-clone-users-staging/EmailIndex",
                ],
            ],
            [
                "DynamoDB messages: consumed capacity and throttles",
                [
                    "ConsumedReadCapacityUnits:Sum:300:slack-clone-messages-staging",
                    "ConsumedWriteCapacityUnits:Sum:300:slack-clone-messages-staging",
                    "ReadThrottleEvents:Sum:300:slack-clone-messages-staging",
                    "WriteThrottleEvents:Sum:300:slack-clone-messages-staging",
                    "ReadThrottleEvents:Sum:300:slack-clone-messages-staging/UserMessagesIndex",
                    "WriteThrottleEvents:Sum:300:slack-clone-messages-staging/UserMessagesIndex",
                    "ReadThrottleEvents:Sum:300:slack-clone-messages-staging/ThreadIndex",
                    "WriteThrottleEvents:Sum:300:slack-clone-messages-staging/ThreadIndex",
                ],
            ],
            [
                "Thumbnail function invocations and errors",
                ["Invocations:Sum:300:slack-clone-thumbnail-staging", "Errors:Sum:300:slack-clone-thumbnail-staging"],
            ],
            ["Thumbnail failures (on-failure queue)", ["ApproximateNumberOfMessagesVisible:Maximum:300:slack-clone-thumbnail-failures-staging"]],
            [
                "Thumbnail function duration (ms)",
                ["Duration:Average:300:slack-clone-thumbnail-staging", "Duration:Maximum:300:slack-clone-thumbnail-staging"],
            ],
            ["S3 bucket size (bytes)", ["BucketSizeBytes:Average:86400:files-bucket/StandardStorage", "BucketSizeBytes:Average:86400:thumbnails-bucket/StandardStorage"]],
            ["S3 objects", ["NumberOfObjects:Average:86400:files-bucket/AllStorageTypes", "NumberOfObjects:Average:86400:thumbnails-bucket/AllStorageTypes"]],
            [
                "Redis memory used (%)",
                ["DatabaseMemoryUsagePercentage:Maximum:300:slack-clone-redis-staging-001", "DatabaseMemoryUsagePercentage:Maximum:300:slack-clone-redis-staging-002"],
            ],
            ["Redis CPU (%)", ["CPUUtilization:Average:300:slack-clone-redis-staging-001", "CPUUtilization:Average:300:slack-clone-redis-staging-002"]],
            ["Redis connections", ["CurrConnections:Maximum:300:slack-clone-redis-staging-001", "CurrConnections:Maximum:300:slack-clone-redis-staging-002"]],
        ]);
    });

    it("lays widgets out two per row without overlap", () => {
        const body = JSON.parse(ofType(evaluation, DASHBOARD)[0].inputs.dashboardBody);
        const cells = body.widgets.map((w: any) => `${w.x},${w.y}`);
        expect(new Set(cells).size).to.equal(cells.length);
        for (const w of body.widgets) expect(w.x + w.width).to.be.at.most(24);
    });

    it("subscribes alarmEmail to the topic", () => {
        const subscriptions = ofType(evaluation, SUBSCRIPTION);
        expect(subscriptions.map((s) => s.inputs)).to.deep.equal([{ topic: TOPIC_ARN, protocol: "email", endpoint: "ops@example.com" }]);
    });
});

describe("Observability of the backend (stacks with backendImage)", () => {
    for (const stack of STACKS) {
        it(`${stack}: plots the backend's load balancer, targets, CPU and memory${stack === "development" ? "" : ", and alarms on 5xx, unhealthy targets and CPU at the most tasks"}`, async () => {
            const evaluation = await deployedEvaluation(stack);
            const lb = `app/slack-clone-alb-${stack}/50dc6c495c0c9188`;
            const tg = `targetgroup/slack-clone-tg-${stack}/73e2d6bc24d8a067`;
            const svc = `slack-clone-${stack}/slack-clone-backend-${stack}`;
            const summary = widgets(evaluation)
                .filter((w) => w.title.startsWith("Backend"))
                .map((w) => [w.title, w.lines.map((l) => `${l.namespace} ${l.metricName}:${l.stat}:${l.period}:${Object.values(l.dimensions).join("/")}`)]);
            expect(summary).to.deep.equal([
                [
                    "Backend requests and 5xx",
                    [`AWS/ApplicationELB RequestCount:Sum:300:${lb}`, `AWS/ApplicationELB HTTPCode_Target_5XX_Count:Sum:300:${lb}`, `AWS/ApplicationELB HTTPCode_ELB_5XX_Count:Sum:300:${lb}`],
                ],
                ["Backend response time (s)", [`AWS/ApplicationELB TargetResponseTime:Average:300:${lb}`, `AWS/ApplicationELB TargetResponseTime:p99:300:${lb}`]],
                ["Backend targets", [`AWS/ApplicationELB HealthyHostCount:Minimum:60:${lb}/${tg}`, `AWS/ApplicationELB UnHealthyHostCount:Maximum:60:${lb}/${tg}`]],
                [
                    "Backend CPU and memory (%)",
                    [`AWS/ECS CPUUtilization:Average:300:${svc}`, `AWS/ECS MemoryUtilization:Average:300:${svc}`, `ECS/ContainerInsights RunningTaskCount:Maximum:300:${svc}`],
                ],
            ]);
            const alarms = ofType(evaluation, ALARM).filter((a) => a.name.startsWith("observability-backend-"));
            if (stack === "development") {
                expect(alarms).to.deep.equal([]);
                return;
            }
            expect(alarms.map((a) => a.inputs.name)).to.deep.equal([
                `slack-clone-backend-5xx-rate-${stack}`,
                `slack-clone-backend-unhealthy-hosts-${stack}`,
                `slack-clone-backend-cpu-at-max-${stack}`,
            ]);
            const [rate, unhealthy, cpu] = alarms;
            expect(alarmParts(rate).expression).to.equal("IF(total > 0, 100 * (FILL(target, 0) + FILL(elb, 0)) / total, 0)");
            expect(rate.inputs).to.include({ threshold: 1, evaluationPeriods: 3, datapointsToAlarm: 2 });
            expect(alarmParts(unhealthy).expression).to.equal("unhealthy");
            expect(unhealthy.inputs).to.include({ threshold: 0, evaluationPeriods: 5, datapointsToAlarm: 5 });
            const maxTasks = validateConfig(rawConfig(stack)).backend.maxCount;
            expect(alarmParts(cpu).expression).to.equal(`IF(tasks >= ${maxTasks}, cpu, 0)`);
            expect(cpu.inputs).to.include({ threshold: 80 });
            expectAlarmsOnDashboard(evaluation);
        });
    }
});

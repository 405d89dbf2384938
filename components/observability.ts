import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { AlarmRule, MetricDefinition, Monitor, Monitored, Panel, monitorsOf } from "./metrics";
import { PROJECT, physicalName } from "./naming";

export interface ObservabilityArgs extends Monitored {
    /** Environment name, the last part of every name. */
    readonly environment: string;
    /** Create the alarms. The dashboard and the alarm topic exist either way. */
    readonly alarms: boolean;
    /** E-mail address subscribed to the alarm topic. */
    readonly alarmEmail?: string;
}

/**
 * The dashboard `slack-clone-{environment}`, the alarm topic `slack-clone-alarms-{environment}` and,
 * where enabled, one alarm per rule of components/metrics.ts, each notifying the topic on ALARM and OK.
 */
export class Observability extends pulumi.ComponentResource {
    public readonly alarmTopicArn: pulumi.Output<string>;
    public readonly dashboardName: pulumi.Output<string>;

    constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slack-clone:observability:Observability", name, {}, opts);

        const monitors = monitorsOf(args);
        const topic = this.createAlarmTopic(name, args);
        if (args.alarmEmail !== undefined) this.subscribeEmail(name, topic, args.alarmEmail);
        const dashboard = this.createDashboard(name, args.environment, monitors.flatMap((m) => m.panels));
        if (args.alarms) this.createAlarms(name, args.environment, monitors, topic);

        this.alarmTopicArn = topic.arn;
        this.dashboardName = dashboard.dashboardName;
        this.registerOutputs({ alarmTopicArn: this.alarmTopicArn, dashboardName: this.dashboardName });
    }

    private createAlarmTopic(name: string, args: ObservabilityArgs): aws.sns.Topic {
        return new aws.sns.Topic(`${name}-alarms`, { name: physicalName("alarms", args.environment) }, { parent: this });
    }

    /** The address receives every alarm once its owner confirms the subscription. */
    private subscribeEmail(name: string, topic: aws.sns.Topic, email: string): aws.sns.TopicSubscription {
        return new aws.sns.TopicSubscription(`${name}-alarm-email`, { topic: topic.arn, protocol: "email", endpoint: email }, { parent: this });
    }

    private createDashboard(name: string, environment: string, panels: readonly Panel[]): aws.cloudwatch.Dashboard {
        const region = aws.getRegionOutput({}, { parent: this }).region;
        return new aws.cloudwatch.Dashboard(
            `${name}-dashboard`,
            {
                dashboardName: `${PROJECT}-${environment}`,
                dashboardBody: pulumi.all([pulumi.output(panels), region]).apply(([resolved, r]) => JSON.stringify(dashboardBody(resolved, r))),
            },
            { parent: this },
        );
    }

    private createAlarms(name: string, environment: string, monitors: readonly Monitor[], topic: aws.sns.Topic): void {
        for (const [what, input] of monitors.flatMap((m) => Object.entries(m.alarms))) {
            const rule = pulumi.output(input);
            new aws.cloudwatch.MetricAlarm(
                `${name}-${what}`,
                {
                    name: physicalName(what, environment),
                    alarmDescription: rule.description,
                    metricQueries: rule.apply(alarmQueries),
                    comparisonOperator: "GreaterThanThreshold",
                    threshold: rule.threshold,
                    evaluationPeriods: rule.evaluationPeriods,
                    datapointsToAlarm: rule.datapointsToAlarm,
                    treatMissingData: rule.treatMissingData,
                    alarmActions: [topic.arn],
                    okActions: [topic.arn],
                },
                { parent: this },
            );
        }
    }
}

/** A metric as CloudWatch's dashboard JSON writes it: namespace, name, dimension pairs, options. */
function metricLine(m: pulumi.Unwrap<MetricDefinition>, axis: "left" | "right"): unknown[] {
    const options = { stat: m.stat, period: m.period, label: m.label, ...(axis === "right" ? { yAxis: "right" } : {}) };
    return [m.namespace, m.metricName, ...Object.entries(m.dimensions).flat(), options];
}

/** The dashboard body: one time-series widget per panel, two per row. */
function dashboardBody(panels: readonly pulumi.Unwrap<Panel>[], region: string): { widgets: object[] } {
    return {
        widgets: panels.map((panel, i) => ({
            type: "metric",
            x: (i % 2) * 12,
            y: Math.floor(i / 2) * 6,
            width: 12,
            height: 6,
            properties: {
                title: panel.title,
                region,
                view: "timeSeries",
                stacked: false,
                metrics: [...panel.left.map((m) => metricLine(m, "left")), ...(panel.right ?? []).map((m) => metricLine(m, "right"))],
            },
        })),
    };
}

/** An alarm's metric queries: each metric by its id (not returned), then the expression it alarms on. */
function alarmQueries(rule: pulumi.Unwrap<AlarmRule>): aws.types.input.cloudwatch.MetricAlarmMetricQuery[] {
    return [
        ...Object.entries(rule.metrics).map(([id, m]) => ({
            id,
            returnData: false,
            metric: { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, stat: m.stat, period: m.period },
        })),
        { id: "alarm", expression: rule.expression, label: rule.description, returnData: true },
    ];
}

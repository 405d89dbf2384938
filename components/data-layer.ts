import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { BILLING_MODE, TABLES, TableSpec, keyAttributes, keySchema, tableName } from "./tables";

export interface DataLayerArgs {
    /** Environment name, the last part of every table name. */
    readonly environment: string;
    /** Point-in-time recovery (35 days of continuous backups) on every table. */
    readonly pointInTimeRecovery: boolean;
    /**
     * Protects every table from deletion: DynamoDB deletion protection, and the Pulumi options
     * `protect` (no deploy may replace or delete it) and `retainOnDelete` (a destroy leaves it).
     */
    readonly protectData: boolean;
}

/** The 12 DynamoDB tables of the product, one per entry of `TABLES`. */
export class DataLayer extends pulumi.ComponentResource {
    /** Each table resource, keyed by the spec's short name (`users`, `workspace-memberships`, ...). */
    public readonly tables: Readonly<Record<string, aws.dynamodb.Table>>;
    public readonly tableNames: Readonly<Record<string, pulumi.Output<string>>>;
    public readonly tableArns: Readonly<Record<string, pulumi.Output<string>>>;
    /** Stream of the messages table (NEW_AND_OLD_IMAGES), for real-time fan-out. */
    public readonly messagesStreamArn: pulumi.Output<string>;

    constructor(name: string, args: DataLayerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slack-clone:data:DataLayer", name, {}, opts);

        this.tables = Object.fromEntries(TABLES.map((spec) => [spec.name, this.createTable(name, spec, args)]));
        this.tableNames = mapValues(this.tables, (t) => t.name);
        this.tableArns = mapValues(this.tables, (t) => t.arn);
        this.messagesStreamArn = this.tables["messages"].streamArn;

        this.registerOutputs({
            tableNames: this.tableNames,
            tableArns: this.tableArns,
            messagesStreamArn: this.messagesStreamArn,
        });
    }

    private createTable(name: string, spec: TableSpec, args: DataLayerArgs): aws.dynamodb.Table {
        return new aws.dynamodb.Table(
            `${name}-${spec.name}`,
            {
                name: tableName(spec, args.environment),
                billingMode: BILLING_MODE,
                hashKey: spec.partitionKey.name,
                rangeKey: spec.sortKey.name,
                attributes: keyAttributes(spec),
                globalSecondaryIndexes: spec.indexes.map((index) => ({
                    name: index.name,
                    keySchemas: keySchema(index).map((k) => ({ attributeName: k.AttributeName, keyType: k.KeyType })),
                    projectionType: index.projection,
                })),
                streamEnabled: spec.stream !== undefined,
                streamViewType: spec.stream,
                ttl: spec.ttlAttribute === undefined ? undefined : { attributeName: spec.ttlAttribute, enabled: true },
                // enabled = the AWS managed key (aws/dynamodb); disabled would be the AWS owned key.
                serverSideEncryption: { enabled: true },
                pointInTimeRecovery: { enabled: args.pointInTimeRecovery },
                deletionProtectionEnabled: args.protectData,
            },
            { parent: this, protect: args.protectData, retainOnDelete: args.protectData },
        );
    }
}

function mapValues<T, U>(record: Readonly<Record<string, T>>, f: (value: T) => U): Record<string, U> {
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}

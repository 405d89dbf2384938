import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import { RedisEngine, redisParameterGroupFamily } from "./config";
import { physicalName } from "./naming";

export const REDIS_PORT = 6379;

/** ElastiCache AUTH tokens: 16 to 128 printable characters; the only specials allowed are these. */
export const AUTH_TOKEN_SPECIALS = "!&#$^<>-";

/**
 * Daily snapshots (when kept) at 03:00-04:00 UTC, then AWS's weekly maintenance (patches, and minor
 * version upgrades) at Sunday 04:30-05:30 UTC: both after the night's low traffic, apart from each
 * other and before the tables' 05:00 backups finish. Pinned, so AWS never picks other times and a
 * preview never shows them drift. ElastiCache needs windows of at least 60 minutes that do not
 * overlap (ElastiCache API reference, CreateReplicationGroup: SnapshotWindow, PreferredMaintenanceWindow).
 */
export const SNAPSHOT_WINDOW = "03:00-04:00";
export const MAINTENANCE_WINDOW = "sun:04:30-sun:05:30";

export interface CacheArgs {
    /** Environment name, the last part of every name. */
    readonly environment: string;
    readonly vpcId: pulumi.Input<string>;
    /** Private subnets, in at least two availability zones, for the cache nodes. */
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** The only security group admitted to Redis (6379/tcp). */
    readonly backendSecurityGroupId: pulumi.Input<string>;
    /** ElastiCache node type, such as cache.t3.micro. */
    readonly nodeType: string;
    /** Nodes: a primary plus replicas. At least 2 with `multiAz`. */
    readonly nodeCount: number;
    /** `redis` (Redis OSS) or `valkey`. */
    readonly engine: RedisEngine;
    /** An engine version ElastiCache offers for `engine` (major.minor); it picks the parameter group family. */
    readonly engineVersion: string;
    /** A replica in another availability zone, promoted automatically if the primary fails. */
    readonly multiAz: boolean;
    /** Days of daily snapshots kept; 0 turns snapshots off. */
    readonly snapshotRetentionDays: number;
    /** `protect`: no deploy may replace or delete the replication group (a new endpoint, an empty cache). */
    readonly protectData: boolean;
}

/**
 * Redis for the backend: a replication group (ElastiCache offers Redis TLS only on replication
 * groups) in the private subnets, encrypted in transit and at rest, with an AUTH token, reachable
 * only from the backend security group.
 */
export class Cache extends pulumi.ComponentResource {
    /** The replication group: its id and `memberClusters` name the CloudWatch metric dimensions. */
    public readonly replicationGroup: aws.elasticache.ReplicationGroup;
    public readonly securityGroup: aws.ec2.SecurityGroup;
    /** Primary endpoint (TLS): `rediss://` clients connect here with the AUTH token. */
    public readonly primaryEndpoint: pulumi.Output<string>;
    public readonly port: pulumi.Output<number | undefined>;
    /** `rediss://{primary endpoint}:{port}`: TLS, and no credentials (the AUTH token is in `authTokenSecretArn`). */
    public readonly url: pulumi.Output<string>;
    /**
     * ARN of the Secrets Manager secret holding the AUTH token (the secret string is the token). The
     * backend gets the token from it (an ECS secret), the health check with GetSecretValue; the
     * token itself is no output of the stack.
     */
    public readonly authTokenSecretArn: pulumi.Output<string>;

    constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slack-clone:cache:Cache", name, {}, opts);

        this.securityGroup = this.createSecurityGroup(name, args);
        const authToken = this.createAuthToken(name);
        this.authTokenSecretArn = this.storeAuthToken(name, args, authToken);
        this.replicationGroup = this.createReplicationGroup(name, args, this.createSubnetGroup(name, args), this.securityGroup, authToken);
        this.primaryEndpoint = this.replicationGroup.primaryEndpointAddress;
        this.port = this.replicationGroup.port;
        this.url = pulumi.interpolate`rediss://${this.primaryEndpoint}:${REDIS_PORT}`;

        this.registerOutputs({
            replicationGroupId: this.replicationGroup.replicationGroupId,
            primaryEndpoint: this.primaryEndpoint,
            port: this.port,
            url: this.url,
            authTokenSecretArn: this.authTokenSecretArn,
        });
    }

    /**
     * 6379/tcp from the backend security group only, and no outbound rule at all: the provider
     * removes the allow-all egress rule AWS adds to a new group, so Redis can open no connection.
     */
    private createSecurityGroup(name: string, args: CacheArgs): aws.ec2.SecurityGroup {
        const group = new aws.ec2.SecurityGroup(
            `${name}-redis`,
            {
                vpcId: args.vpcId,
                // A prefix, not a name: a change that replaces the group can create the new one first.
                namePrefix: `${physicalName("redis", args.environment)}-`,
                description: "Slack clone Redis",
            },
            { parent: this },
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-redis-from-backend`,
            {
                securityGroupId: group.id,
                description: "Redis from the backend",
                ipProtocol: "tcp",
                fromPort: REDIS_PORT,
                toPort: REDIS_PORT,
                referencedSecurityGroupId: args.backendSecurityGroupId,
            },
            { parent: this },
        );
        return group;
    }

    private createAuthToken(name: string): pulumi.Output<string> {
        const token = new random.RandomPassword(
            `${name}-auth-token`,
            { length: 64, special: true, overrideSpecial: AUTH_TOKEN_SPECIALS },
            { parent: this },
        );
        // The provider declares `result` a secret output; marking it here keeps it secret wherever
        // it flows, whatever the engine (the mock engine does not apply provider-declared secrets).
        return pulumi.secret(token.result);
    }

    /**
     * The token in a Secrets Manager secret of its own, the one place consumers read it from. It stays
     * in the stack's state too, encrypted as a Pulumi secret (README, "Secrets": the provider's
     * write-only `authTokenWo` does not keep it out of Pulumi state, pulumi/pulumi-terraform-bridge#3201).
     */
    private storeAuthToken(name: string, args: CacheArgs, token: pulumi.Output<string>): pulumi.Output<string> {
        const secret = new aws.secretsmanager.Secret(
            `${name}-auth-token-secret`,
            {
                name: physicalName("redis-auth-token", args.environment),
                description: `AUTH token of Redis ${physicalName("redis", args.environment)}`,
                // Where data is protected, the secret is too (backend tasks read it as they start), and a
                // deletion keeps AWS's recovery window. Elsewhere it is deleted at once with the stack: a
                // new stack generates a new token and needs the name back (a secret pending deletion keeps
                // its name for its recovery window, 30 days by default; Secrets Manager API reference,
                // DeleteSecret: the provider sends ForceDeleteWithoutRecovery for 0).
                recoveryWindowInDays: args.protectData ? undefined : 0,
            },
            { parent: this, protect: args.protectData },
        );
        new aws.secretsmanager.SecretVersion(`${name}-auth-token-version`, { secretId: secret.id, secretString: token }, { parent: this });
        return secret.arn;
    }

    private createSubnetGroup(name: string, args: CacheArgs): aws.elasticache.SubnetGroup {
        return new aws.elasticache.SubnetGroup(
            `${name}-subnets`,
            { name: physicalName("redis", args.environment), description: "Slack clone Redis: private subnets", subnetIds: args.subnetIds },
            { parent: this },
        );
    }

    private createReplicationGroup(
        name: string,
        args: CacheArgs,
        subnetGroup: aws.elasticache.SubnetGroup,
        securityGroup: aws.ec2.SecurityGroup,
        authToken: pulumi.Output<string>,
    ): aws.elasticache.ReplicationGroup {
        return new aws.elasticache.ReplicationGroup(
            `${name}-redis`,
            {
                replicationGroupId: physicalName("redis", args.environment),
                description: `Slack clone Redis (${args.environment})`,
                engine: args.engine,
                engineVersion: args.engineVersion,
                // The engine's default group for that version (default.redis7, default.valkey8, ...): an
                // engine or major version change moves to the matching group in the same modification.
                parameterGroupName: `default.${redisParameterGroupFamily(args.engine, args.engineVersion)}`,
                nodeType: args.nodeType,
                // Version and node type changes are applied by the `pulumi up` that makes them, not at the
                // next maintenance window: the stack's state then matches AWS when the deploy ends (the
                // deploy's drift check, `pulumi preview --refresh --expect-no-changes`, passes) and an upgrade happens
                // when someone is watching it. README, "Redis upgrades".
                applyImmediately: true,
                maintenanceWindow: MAINTENANCE_WINDOW,
                snapshotWindow: SNAPSHOT_WINDOW,
                numCacheClusters: args.nodeCount,
                port: REDIS_PORT,
                subnetGroupName: subnetGroup.name,
                securityGroupIds: [securityGroup.id],
                multiAzEnabled: args.multiAz,
                automaticFailoverEnabled: args.multiAz,
                // Enabled at creation, TLS is required (transitEncryptionMode "required") from the start.
                transitEncryptionEnabled: true,
                atRestEncryptionEnabled: true,
                authToken,
                snapshotRetentionLimit: args.snapshotRetentionDays,
            },
            { parent: this, protect: args.protectData },
        );
    }
}

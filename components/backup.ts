import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { physicalName } from "./naming";
import { createServiceRole } from "./service-role";

export interface BackupArgs {
    /** Environment name, the last part of every name. */
    readonly environment: string;
    /** ARNs of the same tables: what the plan selects. */
    readonly tableArns: Readonly<Record<string, pulumi.Input<string>>>;
    /** Days AWS Backup keeps each daily backup (and each copy). */
    readonly retentionDays: number;
    /**
     * A second region: every daily backup is copied to a vault there, and an hourly backup is too,
     * so the tables can be rebuilt there with at most about an hour of writes lost.
     */
    readonly copyTo?: {
        readonly region: string;
        /** The names the tables are restored under in that region (the rebuild's), which the restore role may create. */
        readonly restoredTableNames: readonly string[];
    };
    /** The vaults hold recovery points: `protect` and `retainOnDelete` them. */
    readonly protectData: boolean;
}

/** Daily backups, 05:00 UTC, after the night's low traffic. */
const DAILY_SCHEDULE = "cron(0 5 ? * * *)";
/** Hourly backups for the copy to the second region (the recovery point objective there). */
const HOURLY_SCHEDULE = "cron(0 * ? * * *)";
/** Hourly backups only need to outlive the next one; the daily ones are the history. */
const HOURLY_RETENTION_DAYS = 1;

/**
 * AWS Backup for the tables: a vault `slack-clone-backups-{environment}`, a plan with a daily rule
 * (and, with a copy region, an hourly rule), both copied to a vault of the same name in the copy
 * region; a backup role that may back up exactly these tables, and a restore role that may
 * restore exactly these tables and their rebuild names (created ahead: IAM changes need IAM's
 * control plane, which runs in us-east-1).
 */
export class Backup extends pulumi.ComponentResource {
    public readonly vaultName: pulumi.Output<string>;
    /** The role restore jobs use. */
    public readonly restoreRoleArn: pulumi.Output<string>;

    constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slack-clone:backup:Backup", name, {}, opts);

        const vault = this.createVault(`${name}-vault`, args);
        const copyVault = args.copyTo === undefined ? undefined : this.createCopyVault(name, args, args.copyTo.region);
        const backupRole = this.createBackupRole(name, args, copyVault);
        const plan = this.createPlan(name, args, vault, copyVault);
        new aws.backup.Selection(
            `${name}-tables`,
            { name: physicalName("tables", args.environment), planId: plan.id, iamRoleArn: backupRole.arn, resources: Object.values(args.tableArns) },
            { parent: this },
        );
        const restoreRole = this.createRestoreRole(name, args);

        this.vaultName = vault.name;
        this.restoreRoleArn = restoreRole.arn;
        this.registerOutputs({ vaultName: this.vaultName, restoreRoleArn: this.restoreRoleArn });
    }

    private createVault(logicalName: string, args: BackupArgs, provider?: aws.Provider): aws.backup.Vault {
        return new aws.backup.Vault(
            logicalName,
            { name: physicalName("backups", args.environment) },
            { parent: this, provider, protect: args.protectData, retainOnDelete: args.protectData },
        );
    }

    private createCopyVault(name: string, args: BackupArgs, copyRegion: string): aws.backup.Vault {
        const provider = new aws.Provider(`${name}-copy-region`, { region: copyRegion as aws.Region }, { parent: this });
        return this.createVault(`${name}-copy-vault`, args, provider);
    }

    private createPlan(name: string, args: BackupArgs, vault: aws.backup.Vault, copyVault?: aws.backup.Vault): aws.backup.Plan {
        const rule = (ruleName: string, schedule: string, days: number) => ({
            ruleName,
            targetVaultName: vault.name,
            schedule,
            startWindow: 60,
            completionWindow: 180,
            lifecycle: { deleteAfter: days },
            copyActions: copyVault === undefined ? undefined : [{ destinationVaultArn: copyVault.arn, lifecycle: { deleteAfter: days } }],
        });
        return new aws.backup.Plan(
            `${name}-plan`,
            {
                name: physicalName("tables", args.environment),
                rules: [
                    rule("daily", DAILY_SCHEDULE, args.retentionDays),
                    ...(copyVault === undefined ? [] : [rule("hourly", HOURLY_SCHEDULE, HOURLY_RETENTION_DAYS)]),
                ],
            },
            { parent: this },
        );
    }

    private createBackupRole(name: string, args: BackupArgs, copyVault?: aws.backup.Vault): aws.iam.Role {
        const tables = Object.values(args.tableArns);
        const statements: aws.iam.PolicyStatement[] = [
            {
                Sid: "BackUpTheTables",
                Effect: "Allow",
                Action: ["dynamodb:CreateBackup", "dynamodb:DescribeTable", "dynamodb:ListTagsOfResource", "dynamodb:StartAwsBackupJob"],
                Resource: tables,
            },
            {
                Sid: "ManageTheirBackups",
                Effect: "Allow",
                Action: ["dynamodb:DeleteBackup", "dynamodb:DescribeBackup"],
                Resource: tables.map((arn) => pulumi.interpolate`${arn}/backup/*`),
            },
            ...(copyVault === undefined
                ? []
                : [{ Sid: "CopyToTheSecondRegion", Effect: "Allow" as const, Action: ["backup:CopyIntoBackupVault", "backup:DescribeBackupVault"], Resource: [copyVault.arn] }]),
        ];
        return this.serviceRole(`${name}-role`, physicalName("backup", args.environment), statements);
    }

    /** Restores over the tables' own names here, or into the rebuild's names in the copy region. */
    private createRestoreRole(name: string, args: BackupArgs): aws.iam.Role {
        const tableArns = Object.values(args.tableArns);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const restored = (args.copyTo?.restoredTableNames ?? []).map(
            (table) => pulumi.interpolate`arn:${partition}:dynamodb:${args.copyTo?.region}:${account}:table/${table}`,
        );
        const statements: aws.iam.PolicyStatement[] = [
            {
                Sid: "RestoreTheTables",
                Effect: "Allow",
                // A restore creates the table and writes its items.
                Action: [
                    "dynamodb:BatchWriteItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:DescribeTable",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:Query",
                    "dynamodb:RestoreTableFromAwsBackup",
                    "dynamodb:Scan",
                    "dynamodb:UpdateItem",
                ],
                Resource: [...tableArns, ...restored],
            },
            {
                Sid: "FromTheirOwnBackups",
                Effect: "Allow",
                Action: ["dynamodb:RestoreTableFromBackup"],
                Resource: tableArns.map((arn) => pulumi.interpolate`${arn}/backup/*`),
            },
        ];
        return this.serviceRole(`${name}-restore-role`, physicalName("restore", args.environment), statements);
    }

    /** A role AWS Backup assumes, with one inline policy. */
    private serviceRole(logicalName: string, roleName: string, statements: aws.iam.PolicyStatement[]): aws.iam.Role {
        return createServiceRole(
            { names: { role: logicalName, policy: `${logicalName}-policy` }, name: roleName, service: "backup.amazonaws.com", statements },
            { parent: this },
        ).role;
    }
}

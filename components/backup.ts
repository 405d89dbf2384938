import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { physicalName } from "./naming";
import { createServiceRole } from "./service-role";
import { AwsProviderSettings, regionalProvider } from "./providers";

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
    /** The vaults hold recovery points: `protect` and `retainOnDelete` them; without it, `forceDestroy` (destroy deletes their recovery points). */
    readonly protectData: boolean;
    /** The stack's AWS provider settings, which the copy region's provider inherits. */
    readonly providerSettings: AwsProviderSettings;
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
 * region, where AWS Backup then manages DynamoDB fully in both regions (region settings); a backup
 * role that may back up exactly these tables, and a restore role that may restore them over their
 * own names, to `{table}-restored` and to the rebuild's names in the copy region (created ahead: IAM
 * changes need IAM's control plane, which runs in us-east-1).
 */
export class Backup extends pulumi.ComponentResource {
    public readonly vaultName: pulumi.Output<string>;
    /** The role restore jobs use. */
    public readonly restoreRoleArn: pulumi.Output<string>;

    constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slack-clone:backup:Backup", name, {}, opts);

        const vault = this.createVault(`${name}-vault`, args);
        const copy = args.copyTo === undefined ? undefined : this.createCopyVault(name, args, args.copyTo.region);
        const copyVault = copy?.vault;
        const backupRole = this.createBackupRole(name, args, copyVault);
        const plan = this.createPlan(name, args, vault, copyVault);
        new aws.backup.Selection(
            `${name}-tables`,
            { name: physicalName("tables", args.environment), planId: plan.id, iamRoleArn: backupRole.arn, resources: Object.values(args.tableArns) },
            { parent: this },
        );
        const restoreRole = this.createRestoreRole(name, args);
        if (copy !== undefined) this.manageRegionSettings(name, copy.provider);

        this.vaultName = vault.name;
        this.restoreRoleArn = restoreRole.arn;
        this.registerOutputs({ vaultName: this.vaultName, restoreRoleArn: this.restoreRoleArn });
    }

    private createVault(logicalName: string, args: BackupArgs, provider?: aws.Provider): aws.backup.Vault {
        return new aws.backup.Vault(
            logicalName,
            // forceDestroy is recorded by the deploy that sets it and lets `pulumi destroy` delete the
            // vault's recovery points; where data is protected, the vault stays instead.
            { name: physicalName("backups", args.environment), forceDestroy: !args.protectData },
            { parent: this, provider, protect: args.protectData, retainOnDelete: args.protectData },
        );
    }

    /**
     * AWS Backup's full management of DynamoDB (its advanced DynamoDB backup features), which copies to
     * another region need, in the stack's region and the copy region: AWS Backup > Settings, as
     * `aws.backup.RegionSettings` (AWS Backup developer guide, "Advanced DynamoDB backup":
     * https://docs.aws.amazon.com/aws-backup/latest/devguide/advanced-ddb-backup.html). A region-wide
     * setting of the account: destroying the stack leaves it on (`retainOnDelete`). AWS answers both maps
     * with every service the region offers (a list that differs by region and grows), so no program can
     * state them whole: the stack turns DynamoDB on when it creates the setting and does not diff the
     * maps afterwards, or every deploy's `--expect-no-changes` check would fail. The opt-in map matters
     * to tag-based selections only (UpdateRegionSettings: a resource assigned by ARN is backed up whatever
     * it says); the runbook ("Before you need it") says how to check the management setting.
     */
    private manageRegionSettings(name: string, copyProvider: aws.Provider): void {
        const settings = { resourceTypeOptInPreference: { DynamoDB: true }, resourceTypeManagementPreference: { DynamoDB: true } };
        const options = { parent: this, retainOnDelete: true, ignoreChanges: ["resourceTypeOptInPreference", "resourceTypeManagementPreference"] };
        new aws.backup.RegionSettings(`${name}-region-settings`, settings, options);
        new aws.backup.RegionSettings(`${name}-copy-region-settings`, settings, { ...options, provider: copyProvider });
    }

    private createCopyVault(name: string, args: BackupArgs, copyRegion: string): { vault: aws.backup.Vault; provider: aws.Provider } {
        const provider = regionalProvider(`${name}-copy-region`, copyRegion, args.providerSettings, { parent: this });
        return { vault: this.createVault(`${name}-copy-vault`, args, provider), provider };
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

    /**
     * What AWSBackupServiceRolePolicyForBackup grants for DynamoDB (its statements DynamoDBPermissions,
     * DynamoDBBackupResourcePermissions and DynamodbBackupPermissions: AWS Backup's advanced DynamoDB
     * backups, which cross-region copies need), BackupVaultPermissions for the copy, and its KMS
     * statements, each scoped to these tables, vaults and the account's keys in the regions used.
     * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForBackup.html
     */
    private createBackupRole(name: string, args: BackupArgs, copyVault?: aws.backup.Vault): aws.iam.Role {
        const tables = Object.values(args.tableArns);
        const statements: aws.iam.PolicyStatement[] = [
            { Sid: "DynamoDBPermissions", Effect: "Allow", Action: ["dynamodb:CreateBackup", "dynamodb:DescribeTable"], Resource: tables },
            {
                Sid: "DynamoDBBackupResourcePermissions",
                Effect: "Allow",
                Action: ["dynamodb:DeleteBackup", "dynamodb:DescribeBackup"],
                Resource: tables.map((arn) => pulumi.interpolate`${arn}/backup/*`),
            },
            { Sid: "DynamodbBackupPermissions", Effect: "Allow", Action: ["dynamodb:ListTagsOfResource", "dynamodb:StartAwsBackupJob"], Resource: tables },
            ...(copyVault === undefined
                ? []
                : [{ Sid: "BackupVaultPermissions", Effect: "Allow" as const, Action: ["backup:CopyIntoBackupVault", "backup:DescribeBackupVault"], Resource: [copyVault.arn] }]),
            ...this.kmsStatements(args),
        ];
        return this.serviceRole(`${name}-role`, physicalName("backup", args.environment), statements);
    }

    /**
     * What AWSBackupServiceRolePolicyForRestores grants for DynamoDB (DynamoDBPermissions: write the
     * restored table; DynamoDBBackupResourcePermissions: read a DynamoDB backup; DynamoDBRestorePermissions:
     * restore an advanced backup) and its KMS statements, on the names the runbook restores to: each
     * table's own name and `{table}-restored` here, and the rebuild's names in the copy region.
     * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForRestores.html
     */
    private createRestoreRole(name: string, args: BackupArgs): aws.iam.Role {
        const tableArns = Object.values(args.tableArns);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const restoredHere = tableArns.map((arn) => pulumi.interpolate`${arn}-restored`);
        const rebuilt = (args.copyTo?.restoredTableNames ?? []).map(
            (table) => pulumi.interpolate`arn:${partition}:dynamodb:${args.copyTo?.region}:${account}:table/${table}`,
        );
        const targets = [...tableArns, ...restoredHere, ...rebuilt];
        const statements: aws.iam.PolicyStatement[] = [
            {
                Sid: "DynamoDBPermissions",
                Effect: "Allow",
                Action: [
                    "dynamodb:BatchWriteItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:DescribeTable",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:Query",
                    "dynamodb:Scan",
                    "dynamodb:UpdateItem",
                ],
                Resource: targets,
            },
            {
                Sid: "DynamoDBBackupResourcePermissions",
                Effect: "Allow",
                Action: ["dynamodb:RestoreTableFromBackup"],
                Resource: tableArns.map((arn) => pulumi.interpolate`${arn}/backup/*`),
            },
            { Sid: "DynamoDBRestorePermissions", Effect: "Allow", Action: ["dynamodb:RestoreTableFromAwsBackup"], Resource: targets },
            ...this.kmsStatements(args),
        ];
        return this.serviceRole(`${name}-restore-role`, physicalName("restore", args.environment), statements);
    }

    /**
     * The managed policies' KMS statements (KMSPermissions, KMSCreateGrantPermissions): describe the
     * keys of encrypted tables and recovery points, and grant them to AWS services only; on this
     * account's keys in the stack's region and the copy region.
     */
    private kmsStatements(args: BackupArgs): aws.iam.PolicyStatement[] {
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const identity = aws.getRegionOutput({}, { parent: this });
        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const keys = [identity.region, ...(args.copyTo === undefined ? [] : [args.copyTo.region])].map(
            (region) => pulumi.interpolate`arn:${partition}:kms:${region}:${account}:key/*`,
        );
        return [
            { Sid: "KMSPermissions", Effect: "Allow", Action: ["kms:DescribeKey"], Resource: keys },
            {
                Sid: "KMSCreateGrantPermissions",
                Effect: "Allow",
                Action: ["kms:CreateGrant"],
                Resource: keys,
                Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
            },
        ];
    }

    /** A role AWS Backup assumes, with one inline policy. */
    private serviceRole(logicalName: string, roleName: string, statements: aws.iam.PolicyStatement[]): aws.iam.Role {
        return createServiceRole(
            { names: { role: logicalName, policy: `${logicalName}-policy` }, name: roleName, service: "backup.amazonaws.com", statements },
            { parent: this },
        ).role;
    }
}

/**
 * The product's infrastructure: components composed from the stack's config, and one flat set
 * of stack outputs. Every name a backend, the seed or the health check needs is an output here
 * (see README.md, "Stack outputs").
 */
import { Audit } from "./components/audit";
import { Backup } from "./components/backup";
import { loadConfig } from "./components/config";
import { DataLayer } from "./components/data-layer";
import { Observability } from "./components/observability";
import { TABLES, tableName, tableOutputName } from "./components/tables";

const config = loadConfig();

const data = new DataLayer("data", {
    environment: config.environment,
    pointInTimeRecovery: config.pointInTimeRecovery,
    protectData: config.protectData,
});

const observability = new Observability("observability", {
    environment: config.environment,
    alarms: config.alarms,
    alarmEmail: config.alarmEmail,
    tables: data.tableNames,
});

const backup = config.backups
    ? new Backup("backup", {
          environment: config.environment,
          tableArns: data.tableArns,
          retentionDays: config.backupRetentionDays,
          // The rebuild in the second region is the environment `{environment}-dr` (docs/disaster-recovery.md).
          copyTo:
              config.multiRegion && config.secondaryRegion !== undefined
                  ? { region: config.secondaryRegion, restoredTableNames: TABLES.map((spec) => tableName(spec, `${config.environment}-dr`)) }
                  : undefined,
          protectData: config.protectData,
      })
    : undefined;

const audit = config.auditTrail
    ? new Audit("audit", { environment: config.environment, logRetentionDays: config.logRetentionDays, protectData: config.protectData })
    : undefined;

export = {
    /** development, staging or production. */
    environment: config.environment,
    /** AWS region of the stack. */
    region: config.region,
    /** One `<table>TableName` output per table, e.g. `usersTableName`, `workspaceMembershipsTableName`. */
    ...Object.fromEntries(TABLES.map((spec) => [tableOutputName(spec), data.tableNames[spec.name]])),
    /** ARN of the messages table's stream (NEW_AND_OLD_IMAGES). */
    messagesStreamArn: data.messagesStreamArn,
    /** SNS topic every alarm notifies. */
    alarmTopicArn: observability.alarmTopicArn,
    /** CloudWatch dashboard of the stack. */
    dashboardName: observability.dashboardName,
    /** AWS Backup vault of the tables' backups (where backups are on). */
    ...(backup ? { backupVaultName: backup.vaultName, backupRestoreRoleArn: backup.restoreRoleArn } : {}),
    /** CloudTrail trail and its log bucket (where the audit trail is on). */
    ...(audit ? { trailName: audit.trailName, auditBucketName: audit.bucketName } : {}),
};

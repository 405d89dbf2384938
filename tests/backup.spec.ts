import { expect } from "chai";
import { TABLES } from "../components/tables";
import { Evaluation, byName, ofType } from "../harness/mock-engine";
import { STACKS, stackEvaluation } from "./helpers/stacks";

const VAULT = "aws:backup/vault:Vault";
const PLAN = "aws:backup/plan:Plan";
const SELECTION = "aws:backup/selection:Selection";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

const tableArn = (region: string, name: string) => `arn:aws:dynamodb:${region}:123456789012:table/${name}`;
const backupChildren = (evaluation: Evaluation, type: string) => ofType(evaluation, type).filter((r) => r.options.parent === "slack-clone:backup:Backup::backup");
const policyOf = (evaluation: Evaluation, name: string) => byName(evaluation, ROLE_POLICY, name).inputs.policy;

for (const stack of STACKS) {
    describe(`Backup in ${stack}`, () => {
        let evaluation: Evaluation;
        const on = stack !== "development";
        const copies = stack === "production";
        const tables = TABLES.map((t) => tableArn("us-east-1", `slack-clone-${t.name}-${stack}`));

        before(async () => {
            evaluation = await stackEvaluation(stack);
        });

        if (!on) {
            it("has no backup resources and no backup outputs", () => {
                for (const type of [VAULT, PLAN, SELECTION, "slack-clone:backup:Backup"]) expect(ofType(evaluation, type), type).to.deep.equal([]);
                expect(backupChildren(evaluation, ROLE)).to.deep.equal([]);
                expect(evaluation.outputs).not.to.have.any.keys("backupVaultName", "backupRestoreRoleArn");
            });
            return;
        }

        it(`keeps the vault slack-clone-backups-${stack}${copies ? ", protected," : ""} in the stack's region`, () => {
            const vault = byName(evaluation, VAULT, "backup-vault");
            expect(vault.inputs.name).to.equal(`slack-clone-backups-${stack}`);
            expect(vault.options.provider).to.equal(undefined);
            expect(vault.options.protect === true).to.equal(copies);
            expect(vault.options.retainOnDelete === true).to.equal(copies);
            expect(evaluation.outputs.backupVaultName).to.equal(`slack-clone-backups-${stack}`);
        });

        it(copies ? "copies to a vault of the same name in us-west-2, through its own provider" : "has no copy vault", () => {
            const providers = backupChildren(evaluation, "pulumi:providers:aws");
            if (!copies) {
                expect(ofType(evaluation, VAULT)).to.have.length(1);
                expect(providers).to.deep.equal([]);
                return;
            }
            expect(providers.map((p) => [p.name, p.inputs.region])).to.deep.equal([["backup-copy-region", "us-west-2"]]);
            const copy = byName(evaluation, VAULT, "backup-copy-vault");
            expect(copy.inputs.name).to.equal("slack-clone-backups-production");
            expect(copy.options.provider).to.equal("pulumi:providers:aws::backup-copy-region");
            expect([copy.options.protect, copy.options.retainOnDelete]).to.deep.equal([true, true]);
        });

        it(`backs up daily at 05:00 UTC, kept 35 days${copies ? ", and hourly for a day, each copied to the second region" : ""}`, () => {
            const plan = byName(evaluation, PLAN, "backup-plan");
            expect(plan.inputs.name).to.equal(`slack-clone-tables-${stack}`);
            const copyTo = (days: number) =>
                copies ? [{ destinationVaultArn: "arn:aws:backup:us-west-2:123456789012:backup-vault:slack-clone-backups-production", lifecycle: { deleteAfter: days } }] : undefined;
            const rule = (ruleName: string, schedule: string, days: number) => ({
                ruleName,
                targetVaultName: `slack-clone-backups-${stack}`,
                schedule,
                startWindow: 60,
                completionWindow: 180,
                lifecycle: { deleteAfter: days },
                ...(copies ? { copyActions: copyTo(days) } : {}),
            });
            expect(plan.inputs.rules).to.deep.equal([
                rule("daily", "cron(0 5 ? * * *)", 35),
                ...(copies ? [rule("hourly", "cron(0 * ? * * *)", 1)] : []),
            ]);
        });

        it("selects exactly the 12 tables by ARN, with the backup role", () => {
            const selection = byName(evaluation, SELECTION, "backup-tables");
            expect(selection.inputs.resources).to.deep.equal(tables);
            expect(selection.inputs.iamRoleArn).to.equal(`arn:aws:iam::123456789012:role/slack-clone-backup-${stack}`);
            expect(selection.inputs.planId).to.equal(`${PLAN}::backup-plan`);
        });

        it("lets AWS Backup, and only it, assume the two roles", () => {
            for (const name of ["backup-role", "backup-restore-role"]) {
                expect(byName(evaluation, ROLE, name).inputs.assumeRolePolicy).to.deep.equal({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: "sts:AssumeRole" }],
                });
            }
            expect(backupChildren(evaluation, ROLE).map((r) => r.inputs.name)).to.deep.equal([`slack-clone-backup-${stack}`, `slack-clone-restore-${stack}`]);
            expect(backupChildren(evaluation, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"), "no managed policies").to.deep.equal([]);
        });

        const kms = (regions: string[]) => {
            const keys = regions.map((r) => `arn:aws:kms:${r}:123456789012:key/*`);
            return [
                { Sid: "KMSPermissions", Effect: "Allow", Action: ["kms:DescribeKey"], Resource: keys },
                { Sid: "KMSCreateGrantPermissions", Effect: "Allow", Action: ["kms:CreateGrant"], Resource: keys, Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } } },
            ];
        };
        const regions = copies ? ["us-east-1", "us-west-2"] : ["us-east-1"];

        // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForBackup.html
        it("grants the backup role AWSBackupServiceRolePolicyForBackup's DynamoDB, advanced-backup" + (copies ? ", vault" : "") + " and KMS statements, on these tables", () => {
            expect(policyOf(evaluation, "backup-role-policy")).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    { Sid: "DynamoDBPermissions", Effect: "Allow", Action: ["dynamodb:CreateBackup", "dynamodb:DescribeTable"], Resource: tables },
                    { Sid: "DynamoDBBackupResourcePermissions", Effect: "Allow", Action: ["dynamodb:DeleteBackup", "dynamodb:DescribeBackup"], Resource: tables.map((t) => `${t}/backup/*`) },
                    { Sid: "DynamodbBackupPermissions", Effect: "Allow", Action: ["dynamodb:ListTagsOfResource", "dynamodb:StartAwsBackupJob"], Resource: tables },
                    ...(copies
                        ? [
                              {
                                  Sid: "BackupVaultPermissions",
                                  Effect: "Allow",
                                  Action: ["backup:CopyIntoBackupVault", "backup:DescribeBackupVault"],
                                  Resource: ["arn:aws:backup:us-west-2:123456789012:backup-vault:slack-clone-backups-production"],
                              },
                          ]
                        : []),
                    ...kms(regions),
                ],
            });
            expect(byName(evaluation, ROLE_POLICY, "backup-role-policy").inputs.role).to.equal(`${ROLE}::backup-role`);
        });

        // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForRestores.html
        it("grants the restore role AWSBackupServiceRolePolicyForRestores' DynamoDB and KMS statements, on each table, its -restored name" + (copies ? " and the rebuild's tables in us-west-2" : ""), () => {
            const restored = TABLES.map((t) => tableArn("us-east-1", `slack-clone-${t.name}-${stack}-restored`));
            const rebuilt = copies ? TABLES.map((t) => tableArn("us-west-2", `slack-clone-${t.name}-production-dr`)) : [];
            const targets = [...tables, ...restored, ...rebuilt];
            expect(policyOf(evaluation, "backup-restore-role-policy").Statement).to.deep.equal([
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
                { Sid: "DynamoDBBackupResourcePermissions", Effect: "Allow", Action: ["dynamodb:RestoreTableFromBackup"], Resource: tables.map((t) => `${t}/backup/*`) },
                { Sid: "DynamoDBRestorePermissions", Effect: "Allow", Action: ["dynamodb:RestoreTableFromAwsBackup"], Resource: targets },
                ...kms(regions),
            ]);
            expect(evaluation.outputs.backupRestoreRoleArn).to.equal(`arn:aws:iam::123456789012:role/slack-clone-restore-${stack}`);
        });

        // https://docs.aws.amazon.com/aws-backup/latest/devguide/advanced-ddb-backup.html
        it(copies ? "turns on AWS Backup's full management of DynamoDB in both regions when created, kept on destroy" : "leaves the region settings alone (no copies)", () => {
            const settings = ofType(evaluation, "aws:backup/regionSettings:RegionSettings");
            if (!copies) {
                expect(settings).to.deep.equal([]);
                return;
            }
            expect(settings.map((r) => [r.name, r.options.provider])).to.deep.equal([
                ["backup-region-settings", undefined],
                ["backup-copy-region-settings", "pulumi:providers:aws::backup-copy-region"],
            ]);
            for (const r of settings) {
                expect(r.inputs).to.deep.equal({ resourceTypeOptInPreference: { DynamoDB: true }, resourceTypeManagementPreference: { DynamoDB: true } });
                expect(r.options).to.include({ retainOnDelete: true });
                // AWS answers with every service of the region: diffing the maps would fail every drift check.
                expect(r.options.ignoreChanges).to.deep.equal(["resourceTypeOptInPreference", "resourceTypeManagementPreference"]);
            }
        });

        it(copies ? "keeps its vaults on destroy (protected)" : "lets destroy delete the vault and its recovery points (forceDestroy)", () => {
            for (const vault of ofType(evaluation, VAULT)) expect(vault.inputs.forceDestroy, vault.name).to.equal(!copies);
        });
    });
}

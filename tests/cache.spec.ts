import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { AUTH_TOKEN_SPECIALS, Cache, MAINTENANCE_WINDOW, SNAPSHOT_WINDOW } from "../components/cache";
import { validateConfig } from "../components/config";
import { ENVIRONMENTS } from "../components/naming";
import { NAME_RULES, physicalName } from "../components/naming";
import { Evaluation, RecordedResource, byName, evaluate, mockId, ofType } from "../harness/mock-engine";
import { EGRESS, GROUP, INGRESS, rulesOf } from "./helpers/security-groups";
import { STACKS, rawConfig, serially, stackEvaluation } from "./helpers/stacks";

const REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const CACHE = "slack-clone:cache:Cache::cache";

/** What each stack's config asks of Redis. */
const EXPECTED: Record<string, { nodeType: string; nodes: number; multiAz: boolean; snapshotDays: number; subnets: number }> = {
    development: { nodeType: "cache.t3.micro", nodes: 1, multiAz: false, snapshotDays: 0, subnets: 2 },
    staging: { nodeType: "cache.t3.micro", nodes: 1, multiAz: false, snapshotDays: 1, subnets: 2 },
    production: { nodeType: "cache.r7g.large", nodes: 2, multiAz: true, snapshotDays: 7, subnets: 3 },
};

describe("Redis engine upgrade", () => {
    it("runs valkey with its version's default parameter group (valkey8) when asked to", async () => {
        const evaluation = await serially(() =>
            evaluate("staging", { "aws:region": "us-east-1" }, () => {
                new Cache("cache", {
                    environment: "staging",
                    vpcId: "vpc-1",
                    subnetIds: ["subnet-1", "subnet-2"],
                    backendSecurityGroupId: "sg-1",
                    nodeType: "cache.t3.micro",
                    nodeCount: 1,
                    engine: "valkey",
                    engineVersion: "8.1",
                    multiAz: false,
                    snapshotRetentionDays: 0,
                    protectData: false,
                });
                return {};
            }),
        );
        expect(byName(evaluation, REPLICATION_GROUP, "cache-redis").inputs).to.include({ engine: "valkey", engineVersion: "8.1", parameterGroupName: "default.valkey8" });
    });

    it("keeps the two windows apart, each at least the 60 minutes ElastiCache requires", () => {
        const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
        const [snapStart, snapEnd] = SNAPSHOT_WINDOW.split("-").map(minutes);
        const [maintStart, maintEnd] = MAINTENANCE_WINDOW.split("-").map((w) => minutes(w.slice(4)));
        expect(snapEnd - snapStart).to.be.at.least(60);
        expect(maintEnd - maintStart).to.be.at.least(60);
        expect(maintStart >= snapEnd || maintEnd <= snapStart).to.equal(true);
    });
});

describe("Redis names", () => {
    it("fit ElastiCache's 40-character limit for the longest environment name, member clusters included", () => {
        const longest = [...ENVIRONMENTS].sort((a, b) => b.length - a.length)[0];
        const id = physicalName("redis", longest);
        expect(id).to.equal("slack-clone-redis-production-dr");
        expect(id.length).to.be.at.most(NAME_RULES["aws:elasticache/replicationGroup:ReplicationGroup"].inputs.replicationGroupId);
        // ElastiCache names the member clusters `<group id>-001` ...; a cluster id allows 50 characters.
        expect(`${id}-006`.length).to.be.at.most(50);
    });
});

for (const stack of STACKS) {
    describe(`Cache in ${stack}`, () => {
        let evaluation: Evaluation;
        let group: RecordedResource;
        const expected = EXPECTED[stack];

        before(async () => {
            evaluation = await stackEvaluation(stack);
            group = byName(evaluation, REPLICATION_GROUP, "cache-redis");
        });

        it(`is one replication group slack-clone-redis-${stack}: ${expected.nodes} x ${expected.nodeType}, Redis 7.1 on 6379`, () => {
            expect(ofType(evaluation, REPLICATION_GROUP)).to.have.length(1);
            expect(ofType(evaluation, "aws:elasticache/cluster:Cluster")).to.be.empty;
            expect(group.inputs).to.include({
                replicationGroupId: `slack-clone-redis-${stack}`,
                engine: "redis",
                engineVersion: "7.1",
                nodeType: expected.nodeType,
                numCacheClusters: expected.nodes,
                port: 6379,
                snapshotRetentionLimit: expected.snapshotDays,
            });
            expect(group.options.parent).to.equal(CACHE);
        });

        it("pins the parameter group of its engine version, the snapshot and maintenance windows, and applies changes during the deploy", () => {
            expect(group.inputs).to.include({
                parameterGroupName: "default.redis7",
                snapshotWindow: "03:00-04:00",
                maintenanceWindow: "sun:04:30-sun:05:30",
                applyImmediately: true,
            });
        });

        it("encrypts in transit (TLS) and at rest", () => {
            expect(group.inputs.transitEncryptionEnabled).to.equal(true);
            expect(group.inputs.atRestEncryptionEnabled).to.equal(true);
        });

        it(expected.multiAz ? "is multi-AZ with automatic failover" : "is single-AZ, without failover", () => {
            expect(group.inputs.multiAzEnabled).to.equal(expected.multiAz);
            expect(group.inputs.automaticFailoverEnabled).to.equal(expected.multiAz);
            // ElastiCache refuses failover without a replica.
            if (expected.multiAz) expect(group.inputs.numCacheClusters).to.be.at.least(2);
        });

        it(stack === "production" ? "is protected from replacement and deletion" : "is not protected", () => {
            expect(group.options.protect).to.equal(stack === "production");
        });

        it("runs in a subnet group of the private subnets, behind its own security group", () => {
            const subnetGroup = byName(evaluation, "aws:elasticache/subnetGroup:SubnetGroup", "cache-subnets");
            expect(subnetGroup.inputs.name).to.equal(`slack-clone-redis-${stack}`);
            expect(subnetGroup.inputs.subnetIds).to.deep.equal(evaluation.outputs.privateSubnetIds).and.to.have.length(expected.subnets);
            expect(group.inputs.subnetGroupName).to.equal(subnetGroup.inputs.name);
            expect(group.inputs.securityGroupIds).to.deep.equal([mockId(byName(evaluation, GROUP, "cache-redis"))]);
        });

        it("admits 6379/tcp from the backend security group only, and has no outbound rule", () => {
            const redis = byName(evaluation, GROUP, "cache-redis");
            const backend = byName(evaluation, GROUP, "network-backend");
            expect(redis.inputs.vpcId).to.equal(evaluation.outputs.vpcId);
            expect(rulesOf(evaluation, INGRESS, redis)).to.deep.equal([
                { ipProtocol: "tcp", fromPort: 6379, toPort: 6379, referencedSecurityGroupId: mockId(backend) },
            ]);
            expect(rulesOf(evaluation, EGRESS, redis)).to.be.empty;
            expect(redis.inputs.egress).to.equal(undefined);
        });

        it("requires an AUTH token ElastiCache accepts, generated, and sent to the engine as a secret", () => {
            const password = byName(evaluation, PASSWORD, "cache-auth-token");
            expect(password.options.parent).to.equal(CACHE);
            expect(password.inputs.length).to.be.within(16, 128);
            expect(password.inputs.special).to.equal(true);
            expect([...password.inputs.overrideSpecial].every((ch) => AUTH_TOKEN_SPECIALS.includes(ch))).to.equal(true);
            expect(AUTH_TOKEN_SPECIALS).to.equal("!&#$^<>-");
            // The engine received the token wrapped as a secret: state stores it encrypted.
            const token = group.inputs.authToken;
            expect(token[pulumi.runtime.specialSigKey]).to.equal(pulumi.runtime.specialSecretSig);
            expect(token.value).to.match(/^[A-Za-z0-9!&#$^<>-]{16,128}$/);
        });

        it("keeps the token in a Secrets Manager secret slack-clone-redis-auth-token-{environment}, sent as a Pulumi secret", () => {
            const secret = byName(evaluation, "aws:secretsmanager/secret:Secret", "cache-auth-token-secret");
            expect(secret.inputs.name).to.equal(`slack-clone-redis-auth-token-${stack}`);
            // Where data is protected (production), so is the secret backend tasks read as they start, with AWS's recovery
            // window; elsewhere a re-created stack gets the name back at once.
            const { protectData } = validateConfig(rawConfig(stack));
            expect(secret.inputs.recoveryWindowInDays).to.equal(protectData ? undefined : 0);
            expect(Boolean(secret.options.protect)).to.equal(protectData);
            expect(secret.options.parent).to.equal(CACHE);
            const version = byName(evaluation, "aws:secretsmanager/secretVersion:SecretVersion", "cache-auth-token-version");
            expect(version.inputs.secretId).to.equal(`aws:secretsmanager/secret:Secret::cache-auth-token-secret`);
            expect(version.inputs.secretString[pulumi.runtime.specialSigKey]).to.equal(pulumi.runtime.specialSecretSig);
            expect(version.inputs.secretString.value).to.equal(group.inputs.authToken.value);
            // authTokenWo would still reach the state's inputs (pulumi/pulumi-terraform-bridge#3201): not used.
            expect(group.inputs).to.not.have.property("authTokenWo");
        });

        it("exports the endpoint, port, a rediss:// URL without credentials and the secret's ARN; no output carries the token", async () => {
            const endpoint = `master.slack-clone-redis-${stack}.abc123.${evaluation.config["aws:region"]}.cache.amazonaws.com`;
            expect(evaluation.outputs.redisPrimaryEndpoint).to.equal(endpoint);
            expect(evaluation.outputs.redisPort).to.equal(6379);
            expect(evaluation.outputs.redisUrl).to.equal(`rediss://${endpoint}:6379`);
            expect(evaluation.outputs.redisAuthTokenSecretArn).to.equal(
                `arn:aws:secretsmanager:${evaluation.config["aws:region"]}:123456789012:secret:slack-clone-redis-auth-token-${stack}-AbCdEf`,
            );
            expect(evaluation.outputs).to.not.have.property("redisAuthToken");
            const token = group.inputs.authToken.value as string;
            expect(JSON.stringify(evaluation.outputs)).to.not.include(token);
            for (const [name, value] of Object.entries(evaluation.exports)) expect(await pulumi.isSecret(pulumi.output(value)), name).to.equal(false);
        });
    });
}

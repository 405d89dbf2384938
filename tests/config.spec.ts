import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { generateKeyPairSync } from "crypto";
import { AWS_PROVIDER_KEYS, AWS_STATIC_CREDENTIAL_KEYS, CONFIG_KEYS, RawConfig, isCloudFrontPublicKey, isOwnRepositoryImage, publicKeyFingerprint, redisParameterGroupFamily, validateConfig } from "../components/config";
import { nameProblem } from "../components/naming";
import { readProject, readStackConfig } from "../harness/stack-files";
import { STACKS, rawConfig } from "./helpers/stacks";

function expectInvalid(raw: RawConfig, ...fragments: string[]): void {
    expect(() => validateConfig(raw)).to.throw(Error).that.satisfies((e: Error) => {
        for (const fragment of fragments) expect(e.message).to.include(fragment);
        return true;
    });
}

describe("stack config", () => {
    it("has exactly the three environments, each valid", () => {
        expect(STACKS).to.deep.equal(["development", "production", "staging"]);
        for (const stack of STACKS) expect(validateConfig(rawConfig(stack)).environment).to.equal(stack);
    });

    it("Pulumi.yaml declares every key the program reads, with type and description", () => {
        const declared = readProject().config;
        expect(Object.keys(declared).sort()).to.deep.equal([...CONFIG_KEYS].sort());
        for (const [key, declaration] of Object.entries(declared)) {
            expect(["string", "boolean", "integer", "array"], key).to.include(declaration.type);
            expect(declaration.description, key).to.be.a("string").that.is.not.empty;
        }
        // Only the values every stack must choose have no default.
        const required = Object.entries(declared).filter(([, d]) => d.default === undefined).map(([k]) => k);
        expect(required.sort()).to.deep.equal(["environment", "frontendUrl"]);
    });

    it("reads every key of the list, and documents each on its StackConfig field with Pulumi.yaml's default", () => {
        const read = new Set<string>();
        const raw = rawConfig("production");
        validateConfig(new Proxy(raw, { get: (target, key: string) => (read.add(key), target[key]) }));
        expect([...read].sort()).to.deep.equal(
            [...CONFIG_KEYS, "aws:region", ...[...AWS_PROVIDER_KEYS, ...AWS_STATIC_CREDENTIAL_KEYS].map((k) => `aws:${k}`)].sort(),
        );

        const source = fs.readFileSync(path.join(__dirname, "..", "components", "config.ts"), "utf8");
        const body = source.slice(source.indexOf("export interface StackConfig {"), source.indexOf("\n}\n", source.indexOf("export interface StackConfig {")));
        const docs = [...body.matchAll(/\/\*\*([\s\S]*?)\*\//g)].map((m) => m[1].replace(/\s*\n\s*\*\s?/g, " "));
        const declared = readProject().config;
        for (const key of CONFIG_KEYS) {
            const doc = docs.find((d) => new RegExp(`Keys? (\`\\w+\` and )?\`${key}\``).test(d));
            expect(doc, `StackConfig documents ${key}`).to.be.a("string");
            const documented = /@default (.+?)\s*$/.exec(doc!)?.[1];
            if (documented === undefined) continue; // a field made of two keys says its defaults in words
            const fromYaml = declared[key].default;
            expect(documented, `${key} @default`).to.equal(fromYaml === "" ? "undefined" : JSON.stringify(fromYaml));
        }
    });

    it("is frozen, so no component can change it", () => {
        const config = validateConfig(rawConfig("production"));
        expect(Object.isFrozen(config)).to.equal(true);
    });

    it("sets capabilities per stack: PITR in staging and production, protection in production only", () => {
        const [dev, staging, prod] = ["development", "staging", "production"].map((s) => validateConfig(rawConfig(s)));
        expect([dev.pointInTimeRecovery, staging.pointInTimeRecovery, prod.pointInTimeRecovery]).to.deep.equal([false, true, true]);
        expect([dev.protectData, staging.protectData, prod.protectData]).to.deep.equal([false, false, true]);
        expect([dev.multiAz, staging.multiAz, prod.multiAz]).to.deep.equal([false, false, true]);
        expect([dev.alarms, staging.alarms, prod.alarms]).to.deep.equal([false, true, true]);
        expect([dev.backups, staging.backups, prod.backups]).to.deep.equal([false, true, true]);
        expect(prod.dataTrace, "production must not log request bodies").to.equal(false);
        expect(staging.dataTrace, "staging must not log request bodies either").to.equal(false);
        expect([dev.privateFiles, staging.privateFiles, prod.privateFiles]).to.deep.equal([false, true, true]);
        expect([dev.webAcl, staging.webAcl, prod.webAcl]).to.deep.equal([false, true, true]);
        expect([dev.objectLockRetentionDays, staging.objectLockRetentionDays, prod.objectLockRetentionDays]).to.deep.equal([0, 0, 30]);
        expect(prod.mfaDelete, "MFA delete is an option, off in the committed production stack").to.equal(false);
        expect([dev, staging, prod].map((c) => c.apiThrottling)).to.deep.equal([
            { rateLimit: 20, burstLimit: 40 },
            { rateLimit: 100, burstLimit: 200 },
            { rateLimit: 1000, burstLimit: 2000 },
        ]);
    });

    it("keeps the web ACL on the API outside development: staging and production cannot drop it by config", () => {
        for (const stack of ["staging", "production"]) expectInvalid({ ...rawConfig(stack), webAcl: "false" }, "webAcl", "true outside development");
        expect(validateConfig({ ...rawConfig("development"), webAcl: "false" }).webAcl).to.equal(false);
    });

    it("keeps files private outside development, with a public key CloudFront accepts", () => {
        expectInvalid({ ...rawConfig("staging"), privateFiles: "false" }, "privateFiles", "true outside development");
        expectInvalid({ ...rawConfig("production"), cdnPublicKey: "" }, "cdnPublicKey", "the public key of the CDN's key group");
        expectInvalid({ ...rawConfig("production"), cdnPublicKey: "ssh-rsa AAAA" }, "cdnPublicKey", "RSA 2048 or ECDSA P-256");
        expect(validateConfig({ ...rawConfig("development"), privateFiles: "true", cdnPublicKey: rawConfig("staging").cdnPublicKey }).cdnPublicKey).to.include(
            "BEGIN PUBLIC KEY",
        );
        // `pulumi config set cdnPublicKey -- "$(cat public_key.pem)"` drops the final newline; the provider needs it.
        const pem = rawConfig("staging").cdnPublicKey!;
        expect(validateConfig({ ...rawConfig("staging"), cdnPublicKey: pem.trimEnd() }).cdnPublicKey).to.equal(pem).and.match(/-----END PUBLIC KEY-----\n$/);
        // Development opts out: a key there is not used.
        expect(validateConfig(rawConfig("development")).cdnPublicKey).to.equal(undefined);
    });

    it("accepts RSA 2048 and ECDSA P-256 public keys only (CloudFront API reference, PublicKey)", () => {
        const pem = (type: "rsa" | "ec", options: object) =>
            generateKeyPairSync(type as "rsa", { ...options, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } } as never).publicKey as unknown as string;
        expect(isCloudFrontPublicKey(pem("rsa", { modulusLength: 2048 }))).to.equal(true);
        expect(isCloudFrontPublicKey(pem("ec", { namedCurve: "prime256v1" }))).to.equal(true);
        expect(isCloudFrontPublicKey(pem("rsa", { modulusLength: 1024 }))).to.equal(false);
        expect(isCloudFrontPublicKey(pem("ec", { namedCurve: "secp384r1" }))).to.equal(false);
        expect(isCloudFrontPublicKey("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n")).to.equal(false);
    });

    it("bounds API throttling by the account's quota, the web ACL's rate by WAF's minimum, Object Lock days", () => {
        const staging = rawConfig("staging");
        expectInvalid({ ...staging, apiThrottlingRateLimit: "10001" }, "apiThrottlingRateLimit", "from 1 to 10000");
        expectInvalid({ ...staging, apiThrottlingBurstLimit: "5001" }, "apiThrottlingBurstLimit", "from 1 to 5000");
        expectInvalid({ ...staging, webAclRateLimit: "9" }, "webAclRateLimit", "from 10 to");
        expectInvalid({ ...staging, objectLockRetentionDays: "-1" }, "objectLockRetentionDays");
        expect(validateConfig({ ...staging, objectLockRetentionDays: "7" }).objectLockRetentionDays).to.equal(7);
    });

    it("rejects an unknown environment name", () => {
        expectInvalid({ ...rawConfig("staging"), environment: "prod" }, "environment", '"prod"', "development, staging, production");
    });

    it("rejects a frontendUrl that is not an absolute https origin", () => {
        const staging = rawConfig("staging");
        expectInvalid({ ...staging, frontendUrl: "chat.example.com" }, "frontendUrl", '"chat.example.com"', "https");
        expectInvalid({ ...staging, frontendUrl: "https://chat.example.com/app" }, "frontendUrl", "no path");
        expectInvalid({ ...staging, frontendUrl: "ftp://chat.example.com" }, "frontendUrl", '"ftp://chat.example.com"');
    });

    it("allows http://localhost only in development", () => {
        expect(validateConfig({ ...rawConfig("development"), frontendUrl: "http://localhost:5173" }).frontendUrl).to.equal(
            "http://localhost:5173",
        );
        expectInvalid({ ...rawConfig("staging"), frontendUrl: "http://localhost:3000" }, "frontendUrl", "http://localhost:3000", "only in development");
        expectInvalid({ ...rawConfig("development"), frontendUrl: "http://chat.example.com" }, "frontendUrl");
    });

    it("rejects an invalid vpcCidr", () => {
        const dev = rawConfig("development");
        for (const bad of ["10.0.0.0", "10.0.0.0/8", "10.0.0.0/29", "300.0.0.0/16", "10.0.1.0/16", "ten/16"]) {
            expectInvalid({ ...dev, vpcCidr: bad }, "vpcCidr", JSON.stringify(bad), "/16 to /25");
        }
        expect(validateConfig({ ...dev, vpcCidr: "172.16.0.0/20", availabilityZoneCidrMask: "21" }).vpcCidr).to.equal("172.16.0.0/20");
    });

    it("states the vpcCidr range that can hold two zone ranges of at most /26, and every prefix of it can", () => {
        const dev = rawConfig("development");
        // /26, /27 and /28 are VPCs AWS creates, but no two zone ranges of /26 (awsx's smallest) fit in them.
        for (const prefix of [26, 27, 28]) {
            expectInvalid({ ...dev, vpcCidr: `10.0.0.0/${prefix}` }, `vpcCidr: got "10.0.0.0/${prefix}"`, "/16 to /25", "at least 2 zone ranges of /26");
        }
        for (let prefix = 16; prefix <= 25; prefix++) {
            expect(validateConfig({ ...dev, vpcCidr: `10.0.0.0/${prefix}`, availabilityZoneCidrMask: String(prefix + 1) }).vpcCidr).to.equal(`10.0.0.0/${prefix}`);
        }
        const row = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8").split("\n").find((line) => line.startsWith("| `vpcCidr` |"));
        expect(row, "README's vpcCidr row").to.include("/16 to /25").and.not.include("/16 to /28");
    });

    it("refuses an availability zone count whose zone ranges do not fit the VPC, unless the VPC exists already", () => {
        const [dev, prod] = [rawConfig("development"), rawConfig("production")];
        // Two zones have /17 each in a /16: a third does not fit without re-carving the first two.
        expectInvalid({ ...dev, availabilityZones: "3" }, "availabilityZones: got 3", "at most 2", "10.0.0.0/16 holds 2 zone ranges of /17");
        expect(validateConfig({ ...prod, availabilityZones: "4" }).availabilityZones).to.equal(4);
        expectInvalid({ ...prod, availabilityZones: "5" }, "at most 4");
        expectInvalid({ ...prod, availabilityZoneCidrMask: "27" }, "availabilityZoneCidrMask", "an integer from 16 to 26");
        expectInvalid({ ...dev, vpcCidr: "10.0.0.0/24" }, "availabilityZoneCidrMask: got 17", "/25 to /26 (2 zone ranges inside vpcCidr 10.0.0.0/24)");
        expectInvalid({ ...prod, vpcCidr: "10.0.0.0/25" }, "availabilityZones: got 3", "at most 2: 10.0.0.0/25 holds 2 zone ranges of /26");
        expect(validateConfig({ ...prod, vpcCidr: "10.0.0.0/24", availabilityZoneCidrMask: "26" }).vpcCidr).to.equal("10.0.0.0/24");
        const existing = validateConfig({
            ...prod,
            vpcCidr: "10.0.0.0/25",
            existingVpcId: "vpc-0123456789abcdef0",
            existingPrivateSubnetIds: '["subnet-0123456789abcdef0","subnet-0123456789abcdef1"]',
        });
        expect(existing.existingVpc?.vpcId).to.equal("vpc-0123456789abcdef0");
    });

    it("refuses alarms that notify nobody: alarms needs alarmEmail, and every stack with alarms has one", () => {
        expectInvalid({ ...rawConfig("staging"), alarmEmail: "" }, "alarmEmail", "an address to notify when alarms is true");
        expect(validateConfig({ ...rawConfig("development"), alarmEmail: "" }).alarms).to.equal(false);
        for (const stack of STACKS) {
            const config = validateConfig(rawConfig(stack));
            if (config.alarms) expect(config.alarmEmail, stack).to.be.a("string");
        }
    });

    // https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/supported-engine-versions.html
    it("accepts only engine versions ElastiCache offers for redisEngine (Redis OSS ends at 7.1; later is Valkey)", () => {
        const prod = rawConfig("production");
        expectInvalid({ ...prod, redisEngineVersion: "7.2" }, "redisEngineVersion", '"7.2"', "redis: 6.2, 7.0, 7.1", "later versions are redisEngine valkey");
        expectInvalid({ ...prod, redisEngine: "valkey", redisEngineVersion: "7.1" }, "redisEngineVersion", "valkey: 7.2, 8.0, 8.1, 8.2, 9.0, 9.1");
        expectInvalid({ ...prod, redisEngine: "memcached" }, "redisEngine", "one of redis, valkey");
        expect(validateConfig({ ...prod, redisEngine: "valkey", redisEngineVersion: "8.2" })).to.include({ redisEngine: "valkey", redisEngineVersion: "8.2" });
        expect(redisParameterGroupFamily("redis", "7.1")).to.equal("redis7");
        expect(redisParameterGroupFamily("redis", "6.2")).to.equal("redis6.x");
        expect(redisParameterGroupFamily("valkey", "7.2")).to.equal("valkey7");
        expect(redisParameterGroupFamily("valkey", "8.1")).to.equal("valkey8");
    });

    // https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html ("ElastiCache version 9.0/9.1 for Valkey"),
    // https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Engine.html ("Valkey 9.1 and Valkey 9.0 parameter changes")
    it("accepts Valkey 9.0 and 9.1, which ElastiCache offers, with the valkey9 parameter group family", () => {
        const prod = rawConfig("production");
        for (const version of ["9.0", "9.1"]) {
            expect(validateConfig({ ...prod, redisEngine: "valkey", redisEngineVersion: version }), version).to.include({ redisEngineVersion: version });
            expect(redisParameterGroupFamily("valkey", version)).to.equal("valkey9");
        }
    });

    it("requires default tags project, environment, stack and managed-by in aws:defaultTags, with this stack's values", () => {
        for (const stack of STACKS) {
            const tags = (validateConfig(rawConfig(stack), stack).awsProvider.defaultTags as { tags: object }).tags;
            expect(tags, stack).to.deep.equal({ project: "slack-clone", environment: stack, stack, "managed-by": "pulumi" });
        }
        const staging = rawConfig("staging");
        expectInvalid({ ...staging, "aws:defaultTags": "" }, "aws:defaultTags: missing; expected tags project: slack-clone, environment: staging", "stack, managed-by");
        const { "aws:defaultTags": _, ...untagged } = staging;
        expectInvalid(untagged, "aws:defaultTags: missing; expected tags");
        const tags = (over: object) => JSON.stringify({ tags: { project: "slack-clone", environment: "staging", stack: "staging", "managed-by": "pulumi", ...over } });
        expectInvalid({ ...staging, "aws:defaultTags": tags({ environment: "production" }) }, "aws:defaultTags", "wrong or missing: environment");
        expect(() => validateConfig({ ...staging, "aws:defaultTags": tags({ stack: "qa" }) }, "staging")).to.throw(/wrong or missing: stack/);
        expectInvalid({ ...staging, "aws:allowedAccountIds": "123456789012" }, "aws:allowedAccountIds", "a list");
        expectInvalid({ ...staging, "aws:useFipsEndpoint": "yes" }, "aws:useFipsEndpoint", "true or false");
        expectInvalid({ ...staging, "aws:maxRetries": "many" }, "aws:maxRetries", "a whole number, 0 or more");
        expectInvalid({ ...staging, "aws:endpoints": "https://sts.example" }, "aws:endpoints", "a list");
        // Another region's provider would call this region's endpoints.
        const endpoints = JSON.stringify([{ sts: "https://sts.internal.example" }]);
        expectInvalid({ ...rawConfig("production"), "aws:endpoints": endpoints }, "aws:endpoints: not with multiRegion (its provider in secondaryRegion would call us-east-1's endpoints)");
        expectInvalid({ ...staging, customDomain: "chat.example.com", customDomainZoneId: "Z0123456789ABCDEFGHIJ", "aws:endpoints": endpoints }, "aws:endpoints: not with customDomain");
        expect(validateConfig({ ...staging, "aws:endpoints": endpoints }).awsProvider.endpoints, "a one-region stack").to.deep.equal([{ sts: "https://sts.internal.example" }]);
        const awsProvider = validateConfig({ ...staging, "aws:useFipsEndpoint": "true", "aws:maxRetries": "30", "aws:stsRegion": "us-east-2" }).awsProvider;
        expect(awsProvider).to.deep.include({ useFipsEndpoint: true, maxRetries: 30, stsRegion: "us-east-2" });
    });

    it("refuses static credentials in aws:* config, which explicit providers would not use (pulumi/pulumi-aws#3259), never echoing them", () => {
        const staging = rawConfig("staging");
        for (const key of ["aws:accessKey", "aws:secretKey", "aws:token"]) {
            expect(() => validateConfig({ ...staging, [key]: "AKIAEXAMPLESECRET" }), key)
                .to.throw(`${key}: set; expected unset`)
                .that.satisfies((e: Error) => !e.message.includes("AKIAEXAMPLESECRET"));
        }
        expect(() => validateConfig({ ...staging, "aws:accessKey": "" })).not.to.throw();
    });

    it("rejects a capability of the wrong type", () => {
        expectInvalid({ ...rawConfig("production"), protectData: "yes" }, "protectData", '"yes"', "a boolean (true or false)");
        expectInvalid({ ...rawConfig("production"), pointInTimeRecovery: "1" }, "pointInTimeRecovery", '"1"');
        expectInvalid({ ...rawConfig("production"), redisNodeCount: "two" }, "redisNodeCount", '"two"', "an integer");
    });

    it("rejects values AWS would refuse", () => {
        const prod = rawConfig("production");
        expectInvalid({ ...prod, logRetentionDays: "42" }, "logRetentionDays: got 42;", "one of 1, 3, 5");
        expectInvalid({ ...prod, "aws:region": "Europe" }, "aws:region", '"Europe"', "us-east-1");
        expectInvalid({ ...prod, natGateways: "Many" }, "natGateways", "Single, OnePerAz");
        expectInvalid({ ...prod, cdnPriceClass: "cheap" }, "cdnPriceClass");
        expectInvalid({ ...prod, redisNodeCount: "1" }, "redisNodeCount", "at least 2 when multiAz");
        expectInvalid({ ...prod, natGateways: "Single" }, 'natGateways: got "Single"; expected OnePerAz when multiAz is true');
        expectInvalid({ ...prod, secondaryRegion: "us-east-1" }, "secondaryRegion", "other than aws:region");
        expectInvalid({ ...prod, secondaryRegion: "" }, "secondaryRegion", "when multiRegion is true");
        expectInvalid({ ...prod, alarmEmail: "ops" }, "alarmEmail", '"ops"');
    });

    describe("backendImage: only an image in the stack's own repository (the execution role pulls from nowhere else)", () => {
        const account = "123456789012";
        const own = (stack: string, environment = stack) => `${account}.dkr.ecr.us-east-1.amazonaws.com/slack-clone-backend-${environment}`;
        /** Production rebuilt in us-west-2 (docs/disaster-recovery.md), tagged as its environment. */
        const dr: RawConfig = {
            ...rawConfig("production"),
            environment: "production-dr",
            "aws:region": "us-west-2",
            secondaryRegion: "us-east-1",
            "aws:defaultTags": JSON.stringify({ tags: { project: "slack-clone", environment: "production-dr", stack: "production-dr", "managed-by": "pulumi" } }),
        };

        it("accepts the stack's repository by tag or digest, in every stack and environment", () => {
            for (const stack of STACKS) {
                for (const image of [`${own(stack)}:1.4.2`, `${own(stack)}@sha256:${"a".repeat(64)}`]) {
                    expect(validateConfig({ ...rawConfig(stack), backendImage: image }).backend.image, image).to.equal(image);
                }
                expect(validateConfig(rawConfig(stack)).backend.image, "unset until the first application deploy").to.equal(undefined);
            }
            const drImage = `${account}.dkr.ecr.us-west-2.amazonaws.com/slack-clone-backend-production-dr:1.4.2`;
            expect(validateConfig({ ...dr, backendImage: drImage }).backend.image).to.equal(drImage);
            const china = `${account}.dkr.ecr.cn-north-1.amazonaws.com.cn/slack-clone-backend-development:1.4.2`;
            expect(isOwnRepositoryImage(china, "development", "cn-north-1"), "China's ECR domain").to.equal(true);
        });

        it("refuses an image elsewhere, naming the value, the repository it must be in, and the fix", () => {
            const staging = rawConfig("staging");
            for (const image of [
                "ghcr.io/example/backend:main-3f2a1c", // another registry
                `${own("staging", "development")}:1.4.2`, // another stack's repository
                `${own("staging").replace("us-east-1", "us-west-2")}:1.4.2`, // another region
                `${own("staging").replace(account, "1234")}:1.4.2`, // not an account id
                own("staging"), // neither tag nor digest
                `${own("staging")}:-1`, // not a tag
                `${own("staging")}@sha256:${"a".repeat(63)}`, // not a digest
                "1.4.2", // a bare tag: the application deploy's input, not a config value
                "not an image",
            ]) {
                expectInvalid(
                    { ...staging, backendImage: image },
                    `backendImage: got ${JSON.stringify(image)}`,
                    "<12-digit account>.dkr.ecr.us-east-1.amazonaws.com/slack-clone-backend-staging, by tag (:1.4.2) or digest",
                    "the application deploy copies an image there",
                );
            }
        });

        it("names the environment's repository in its own region (production-dr rebuilds production elsewhere)", () => {
            expectInvalid({ ...dr, backendImage: `${own("production")}:1.4.2` }, "<12-digit account>.dkr.ecr.us-west-2.amazonaws.com/slack-clone-backend-production-dr,");
        });
    });

    it("allows only the task sizes Fargate runs (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html)", () => {
        const dev = rawConfig("development");
        // A number is shown unquoted, as YAML wrote it (`backendCpu: 300`); anything else is quoted.
        expectInvalid({ ...dev, backendCpu: "300" }, "backendCpu: got 300; expected one of 256, 512, 1024, 2048, 4096, 8192, 16384");
        expectInvalid({ ...dev, backendCpu: "0300" }, 'backendCpu: got "0300"; expected');
        expectInvalid({ ...dev, backendCpu: "256", backendMemory: "4096" }, "backendMemory", "4096", "with backendCpu 256: 512, 1024, 2048");
        expectInvalid({ ...dev, backendCpu: "2048", backendMemory: "4500" }, "backendMemory", "4096 to 16384 in steps of 1024");
        expect(validateConfig({ ...dev, backendCpu: "1024", backendMemory: "3072" }).backend).to.include({ cpu: 1024, memory: 3072 });
        expect(validateConfig({ ...dev, backendCpu: "16384", backendMemory: "122880" }).backend).to.include({ cpu: 16384, memory: 122880 });
    });

    it("keeps the task counts ordered, 2 tasks in two zones with multiAz, and room to scale with autoscaling", () => {
        const dev = rawConfig("development");
        const prod = rawConfig("production");
        expectInvalid({ ...dev, backendDesiredCount: "3" }, "backendDesiredCount", "from backendMinCount (1) to backendMaxCount (1)");
        expectInvalid({ ...prod, backendMinCount: "1", backendDesiredCount: "1" }, "backendMinCount", "at least 2 when multiAz");
        expectInvalid({ ...prod, backendMaxCount: "2" }, "backendMaxCount", "more than backendMinCount (2) when backendAutoscaling");
        expect(validateConfig(prod).backend).to.include({ desiredCount: 2, minCount: 2, maxCount: 6, autoscaling: true });
    });

    it("sets the backend per stack: autoscaled from 2 tasks in production, 1 task elsewhere; the health check lenient in development only", () => {
        const [dev, staging, prod] = ["development", "staging", "production"].map((s) => validateConfig(rawConfig(s)).backend);
        expect([dev.desiredCount, staging.desiredCount, prod.desiredCount]).to.deep.equal([1, 1, 2]);
        expect([dev.autoscaling, staging.autoscaling, prod.autoscaling]).to.deep.equal([false, false, true]);
        expect([dev.required, staging.required, prod.required]).to.deep.equal([false, true, true]);
        for (const backend of [dev, staging, prod]) expect(backend.readOnlyRootFilesystem).to.equal(true);
    });

    it("requires an existing VPC and its subnets together", () => {
        const dev = rawConfig("development");
        expectInvalid({ ...dev, existingVpcId: "vpc-0123456789abcdef0" }, "existingPrivateSubnetIds", "at least two");
        expectInvalid({ ...dev, existingPrivateSubnetIds: '["subnet-0123456789abcdef0"]' }, "existingVpcId");
        expectInvalid({ ...dev, existingVpcId: "vpc-1", existingPrivateSubnetIds: "[]" }, "existingVpcId", '"vpc-1"');
        const ok = validateConfig({
            ...dev,
            existingVpcId: "vpc-0123456789abcdef0",
            existingPrivateSubnetIds: '["subnet-0123456789abcdef0","subnet-0123456789abcdef1"]',
        });
        expect(ok.existingVpc?.privateSubnetIds).to.have.length(2);
    });

    it("rejects names over AWS length limits", () => {
        const long = `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(60)}.example.com`;
        expectInvalid({ ...rawConfig("production"), customDomain: long, customDomainZoneId: "Z0123456789ABC" }, "customDomain", "253");
        expectInvalid({ ...rawConfig("production"), customDomain: `${"a".repeat(64)}.example.com`, customDomainZoneId: "Z0123456789ABC" }, "customDomain");
        expect(nameProblem("aws:elasticache/replicationGroup:ReplicationGroup", "replicationGroupId", "slack-clone-redis-a-much-longer-environment")).to.match(
            /replicationGroupId "slack-clone-redis-a-much-longer-environment" is 43 characters; AWS allows at most 40 \(https:/,
        );
    });

    it("requires the hosted zone with a custom domain", () => {
        expectInvalid({ ...rawConfig("production"), customDomain: "files.chat.example.com" }, "customDomainZoneId", "files.chat.example.com");
    });

    it("lists every problem in one error", () => {
        expectInvalid({ ...rawConfig("staging"), environment: "qa", multiAz: "maybe", vpcCidr: "x" }, "environment", "multiAz", "vpcCidr");
    });

    it("reports a missing key instead of defaulting it", () => {
        const { frontendUrl: _, ...raw } = rawConfig("staging");
        expectInvalid(raw, "frontendUrl: missing");
    });
});

describe("stack config: wrong but once accepted", () => {
    /** The validation error's problem lines. */
    function problems(raw: RawConfig): string[] {
        try {
            validateConfig(raw);
        } catch (error) {
            return (error as Error).message.split("\n").slice(1).map((line) => line.replace(/^  - /, ""));
        }
        return [];
    }

    it("checks regions against the regions @pulumi/aws knows, suggesting the closest", () => {
        expect(problems({ ...rawConfig("staging"), "aws:region": "us-eats-1" })).to.deep.equal([
            'aws:region: got "us-eats-1"; expected an AWS region @pulumi/aws knows, such as us-east-1; did you mean "us-east-1"?',
        ]);
        expect(problems({ ...rawConfig("production"), secondaryRegion: "eu-wst-1" })).to.deep.equal([
            'secondaryRegion: got "eu-wst-1"; expected an AWS region @pulumi/aws knows, other than aws:region (us-east-1); did you mean "eu-west-1"?',
        ]);
        expect(problems({ ...rawConfig("production"), "aws:region": "eu-central-2", secondaryRegion: "eusc-de-east-1" })).to.deep.equal([]);
    });

    it("refuses a key that means nothing without another, naming the key it needs", () => {
        expect(problems({ ...rawConfig("staging"), customDomainZoneId: "Z0123456789ABC" })).to.deep.equal([
            'customDomainZoneId: "Z0123456789ABC" has no effect without customDomain (the domain this zone validates); set that too, or remove customDomainZoneId',
        ]);
        expect(problems({ ...rawConfig("staging"), secondaryRegion: "us-west-2" })).to.deep.equal([
            'secondaryRegion: "us-west-2" has no effect without multiRegion: true (replication and backup copies to it); set that too, or remove secondaryRegion',
        ]);
        expect(problems({ ...rawConfig("development"), alarmEmail: "ops@example.com" })).to.deep.equal([
            'alarmEmail: "ops@example.com" has no effect without alarms: true (nothing else notifies the alarm topic); set that too, or remove alarmEmail',
        ]);
    });

    it("says a version read as a number should be quoted", () => {
        expect(problems({ ...rawConfig("staging"), redisEngineVersion: "7" })).to.deep.equal([
            'redisEngineVersion: got "7"; expected a version ElastiCache offers for redisEngine redis: 6.2, 7.0, 7.1 (Redis OSS ends at 7.1; later versions are redisEngine valkey) (an unquoted 7.0 in YAML is read as the number 7: quote it, "7.0")',
        ]);
    });

    it("keeps production's data protected and free of demo data, in production-dr (its rebuild) too: config cannot say otherwise", () => {
        const prod = rawConfig("production");
        const tags = JSON.stringify({ tags: { project: "slack-clone", environment: "production-dr", stack: "production-dr", "managed-by": "pulumi" } });
        // The rebuild's config as docs/disaster-recovery.md makes it: production's, one region, no second.
        const dr: RawConfig = { ...prod, environment: "production-dr", "aws:region": "us-west-2", multiRegion: "false", secondaryRegion: "", "aws:defaultTags": tags };
        for (const [environment, raw] of [["production", prod], ["production-dr", dr]] as const) {
            expect(validateConfig(raw).protectData, environment).to.equal(true);
            expect(problems({ ...raw, protectData: "false" }), environment).to.deep.equal([
                `protectData: got false; expected true in production and production-dr: their tables, buckets and Redis are never replaced or deleted by a deploy or destroy`,
            ]);
            expect(problems({ ...raw, demoData: "true" }), environment).to.deep.equal([
                `demoData: got true; expected false in production and production-dr: demo users, channels and messages do not belong among the product's real users`,
            ]);
        }
        expect(validateConfig({ ...rawConfig("staging"), protectData: "false", demoData: "true" })).to.include({ protectData: false, demoData: true });
    });

    it("refuses a CDN public key without privateFiles, naming the key it needs", () => {
        const pem = rawConfig("staging").cdnPublicKey!;
        expect(problems({ ...rawConfig("development"), cdnPublicKey: pem })).to.deep.equal([
            `cdnPublicKey: a PEM public key (${publicKeyFingerprint(pem)}) has no effect without privateFiles: true (signed URLs are what the key verifies); set that too, or remove cdnPublicKey`,
        ]);
        // Staging's refused privateFiles: false is the one problem, not also its key.
        expect(problems({ ...rawConfig("staging"), privateFiles: "false" })).to.have.length(1);
    });

    it("says a frontendUrl with upper case is refused for its case, suggesting the lower-case origin", () => {
        expect(problems({ ...rawConfig("staging"), frontendUrl: "https://Staging.chat.example.com" })).to.deep.equal([
            'frontendUrl: got "https://Staging.chat.example.com"; expected lower case, as a browser sends its Origin (the CORS rules compare it exactly): "https://staging.chat.example.com"',
        ]);
        expect(problems({ ...rawConfig("development"), frontendUrl: "HTTP://LOCALHOST:3000" })[0]).to.include('"http://localhost:3000"');
    });

    it("suggests quoting a version read as a number only where the quoted version is valid, else names the valid ones", () => {
        for (const [engine, version] of [["valkey", "7"], ["redis", "9"]]) {
            const [line, ...more] = problems({ ...rawConfig("staging"), redisEngine: engine, redisEngineVersion: version });
            expect(more, `${engine} ${version}`).to.deep.equal([]);
            expect(line, `${engine} ${version}`).to.include(`expected a version ElastiCache offers for redisEngine ${engine}:`).and.not.include("quote");
        }
        expect(problems({ ...rawConfig("staging"), redisEngine: "valkey", redisEngineVersion: "8" })[0]).to.include('quote it, "8.0"');
    });

    it("requires distinct existing subnet ids", () => {
        const dev = rawConfig("development");
        const twice = '["subnet-0123456789abcdef0","subnet-0123456789abcdef0"]';
        expect(problems({ ...dev, existingVpcId: "vpc-0123456789abcdef0", existingPrivateSubnetIds: twice })).to.deep.equal([
            `existingPrivateSubnetIds: got ${JSON.stringify(twice)}; expected distinct subnet ids such as subnet-0123456789abcdef0; "subnet-0123456789abcdef0" appears more than once`,
        ]);
    });

    it("reports one problem on one line: a missing key, a bad environment", () => {
        const { frontendUrl: _, ...noFrontend } = rawConfig("development");
        expect(problems(noFrontend)).to.deep.equal(["frontendUrl: missing; set it in Pulumi.<stack>.yaml or give it a default in Pulumi.yaml"]);
        const { "aws:region": __, ...noRegion } = rawConfig("production");
        expect(problems(noRegion)).to.deep.equal(["aws:region: missing; set it in Pulumi.<stack>.yaml"]);
        expect(problems({ ...rawConfig("development"), environment: "dev" })).to.deep.equal([
            'environment: got "dev"; expected one of development, staging, production, production-dr',
        ]);
        expect(problems({ ...rawConfig("development"), environment: "a-very-long-environment-name" })).to.have.length(1);
    });

    it("reports one problem on one line: a bad availabilityZones or subnet id is not also checked against the VPC", () => {
        expect(problems({ ...rawConfig("development"), availabilityZones: "7" })).to.deep.equal([
            "availabilityZones: got 7; expected an integer from 2 to 6",
        ]);
        expect(problems({ ...rawConfig("development"), availabilityZones: "2.5" })).to.have.length(1);
        const mixed = '["subnet-0123456789abcdef0","SUBNET-0123456789abcdef1"]';
        expect(problems({ ...rawConfig("development"), existingVpcId: "vpc-0123456789abcdef0", existingPrivateSubnetIds: mixed })).to.deep.equal([
            `existingPrivateSubnetIds: got ${JSON.stringify(mixed)}; expected a list of subnet ids such as subnet-0123456789abcdef0`,
        ]);
    });
});

describe("stack files", () => {
    it("reject a key the project does not declare, naming it", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-"));
        fs.copyFileSync("Pulumi.yaml", path.join(dir, "Pulumi.yaml"));
        fs.writeFileSync(path.join(dir, "Pulumi.qa.yaml"), "config:\n  slack-clone:multiAZ: true\n");
        expect(() => readStackConfig("qa", dir)).to.throw(/"slack-clone:multiAZ" is not a key of this project/);
        expect(() => readStackConfig("nope", dir)).to.throw(/Unknown stack "nope".*Stacks: qa/);
    });
});

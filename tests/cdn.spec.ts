import { expect } from "chai";
import * as aws from "@pulumi/aws";
import { Cdn } from "../components/cdn";
import { validateConfig } from "../components/config";
import { Evaluation, MOCK_ACCOUNT_ID, byName, evaluate, ofType } from "../harness/mock-engine";
import { readStackConfig } from "../harness/stack-files";
import { STACKS, rawConfig, serially } from "./helpers/stacks";

const T = {
    bucket: "aws:s3/bucket:Bucket",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    oac: "aws:cloudfront/originAccessControl:OriginAccessControl",
    distribution: "aws:cloudfront/distribution:Distribution",
    provider: "pulumi:providers:aws",
    certificate: "aws:acm/certificate:Certificate",
    validation: "aws:acm/certificateValidation:CertificateValidation",
    record: "aws:route53/record:Record",
    publicKey: "aws:cloudfront/publicKey:PublicKey",
    keyGroup: "aws:cloudfront/keyGroup:KeyGroup",
    secret: "aws:secretsmanager/secret:Secret",
    secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
};

/** Files are private (signed URLs or cookies) on staging and production; development opts out. */
const PRIVATE_FILES: Record<string, boolean> = { development: false, staging: true, production: true };
const CDN = "slack-clone:cdn:Cdn::cdn";
const CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const CUSTOM_DOMAIN = {
    "slack-clone:customDomain": "files.chat.example.com",
    "slack-clone:customDomainZoneId": "Z0123456789ABCDEFGHIJ",
    "slack-clone:cdnPriceClass": "PriceClass_All",
};

/** A files bucket and the Cdn over it, for a stack's config with overrides (`namespace:key`). */
function evaluateCdn(stack: string, overrides: Record<string, string>): Promise<Evaluation> {
    const config = validateConfig(rawConfig(stack, overrides));
    return serially(() =>
        evaluate(
            stack,
            { ...readStackConfig(stack), ...overrides },
            () => {
                const bucket = new aws.s3.Bucket("files", { bucket: `slack-clone-files-${config.environment}-${MOCK_ACCOUNT_ID}` });
                const cdn = new Cdn("cdn", {
                    environment: config.environment,
                    bucket: { name: bucket.bucket, arn: bucket.arn, regionalDomainName: bucket.bucketRegionalDomainName },
                    priceClass: config.cdnPriceClass,
                    customDomain: config.customDomain,
                    providerSettings: config.awsProvider,
                    publicKey: config.privateFiles ? config.cdnPublicKey : undefined,
                    signingKeyReplicaRegion: config.multiRegion ? config.secondaryRegion : undefined,
                    protectData: config.protectData,
                });
                return {
                    // Only where signing is on: an undefined stack output is a warning in the test report.
                    ...(cdn.keyPairId ? { keyPairId: cdn.keyPairId, publicKeyPem: cdn.publicKeyPem, signingKeySecretArn: cdn.signingKeySecretArn } : {}),
                    distributionId: cdn.distributionId,
                    distributionArn: cdn.distributionArn,
                    domainName: cdn.domainName,
                    filesBaseUrl: cdn.filesBaseUrl,
                    filesReadStatement: cdn.filesReadStatement,
                };
            },
            {
                outputs: {
                    [T.bucket]: (_, inputs, c) => ({
                        arn: `arn:aws:s3:::${inputs.bucket}`,
                        bucketRegionalDomainName: `${inputs.bucket}.s3.${c.region}.amazonaws.com`,
                    }),
                },
            },
        ),
    );
}

for (const stack of STACKS) {
    for (const customDomain of [false, true]) {
        describe(`Cdn in ${stack}, ${customDomain ? "with" : "without"} a custom domain`, () => {
            let evaluation: Evaluation;
            const bucketName = `slack-clone-files-${stack}-${MOCK_ACCOUNT_ID}`;
            const distributionArn = `arn:aws:cloudfront::${MOCK_ACCOUNT_ID}:distribution/cdn-distribution`;
            const distribution = () => byName(evaluation, T.distribution, "cdn-distribution");

            before(async () => {
                evaluation = await evaluateCdn(stack, customDomain ? CUSTOM_DOMAIN : {});
            });

            it("reads the bucket through an Origin Access Control that always signs with sigv4", () => {
                const oac = byName(evaluation, T.oac, "cdn-oac");
                expect(oac.inputs).to.include({
                    name: `slack-clone-files-${stack}`,
                    originAccessControlOriginType: "s3",
                    signingBehavior: "always",
                    signingProtocol: "sigv4",
                });
                expect(distribution().inputs.origins).to.deep.equal([
                    { originId: "files", domainName: `${bucketName}.s3.us-east-1.amazonaws.com`, originAccessControlId: `${T.oac}::cdn-oac` },
                ]);
            });

            it("serves GET and HEAD over https only, compressed, with the managed CachingOptimized policy", () => {
                expect(distribution().inputs).to.include({ enabled: true, priceClass: customDomain ? "PriceClass_All" : "PriceClass_100" });
                expect(distribution().inputs.defaultCacheBehavior).to.deep.equal({
                    targetOriginId: "files",
                    viewerProtocolPolicy: "redirect-to-https",
                    allowedMethods: ["GET", "HEAD"],
                    cachedMethods: ["GET", "HEAD"],
                    cachePolicyId: CACHING_OPTIMIZED,
                    compress: true,
                    ...(PRIVATE_FILES[stack] ? { trustedKeyGroups: [`${T.keyGroup}::cdn-key-group`] } : {}),
                });
            });

            it(
                PRIVATE_FILES[stack]
                    ? "serves files only with signed URLs or cookies: a key group of the config's public key, and an empty secret for the private key"
                    : "serves files without signatures (development opts out): no key group, no signing-key secret",
                () => {
                    const [keys, groups, secrets] = [T.publicKey, T.keyGroup, T.secret].map((t) => ofType(evaluation, t));
                    if (!PRIVATE_FILES[stack]) {
                        expect([...keys, ...groups, ...secrets]).to.deep.equal([]);
                        expect(evaluation.outputs.keyPairId).to.equal(undefined);
                        return;
                    }
                    const publicKeyPem = readStackConfig(stack)["slack-clone:cdnPublicKey"];
                    expect(publicKeyPem).to.match(/^-----BEGIN PUBLIC KEY-----\n/);
                    expect(keys.map((k) => k.inputs)).to.deep.equal([
                        { namePrefix: `slack-clone-files-${stack}-`, comment: "Verifies signed URLs and cookies of the files", encodedKey: publicKeyPem },
                    ]);
                    expect(groups.map((g) => g.inputs.items)).to.deep.equal([[`${T.publicKey}::cdn-public-key`]]);
                    // The private key never passes through the program: the secret has no version.
                    expect(secrets.map((x) => x.inputs.name)).to.deep.equal([`slack-clone-cdn-signing-key-${stack}`]);
                    // Production (multiRegion) keeps a replica of the private key in its second region.
                    expect(secrets[0].inputs.replicas).to.deep.equal(stack === "production" ? [{ region: "us-west-2" }] : undefined);
                    // Unprotected (staging), the secret goes at once with the stack: a secret scheduled for deletion
                    // keeps its name for its recovery window (30 days by default), and a re-created stack could not
                    // create it (Secrets Manager API reference, CreateSecret/DeleteSecret).
                    expect(secrets[0].inputs.recoveryWindowInDays, "recovery window").to.equal(stack === "production" ? undefined : 0);
                    expect(ofType(evaluation, T.secretVersion)).to.deep.equal([]);
                    expect(evaluation.outputs.keyPairId).to.equal(`${T.publicKey}::cdn-public-key`);
                    expect(evaluation.outputs.publicKeyPem, "the key as CloudFront holds it, for the health check").to.equal(publicKeyPem);
                    expect(evaluation.outputs.signingKeySecretArn).to.equal(`arn:aws:secretsmanager:us-east-1:${MOCK_ACCOUNT_ID}:secret:slack-clone-cdn-signing-key-${stack}-AbCdEf`);
                },
            );

            it("gives the bucket owner a statement letting only this distribution read objects, and no bucket policy", () => {
                expect(evaluation.outputs.filesReadStatement).to.deep.equal({
                    Sid: "AllowCloudFrontRead",
                    Effect: "Allow",
                    Principal: { Service: "cloudfront.amazonaws.com" },
                    Action: "s3:GetObject",
                    Resource: `arn:aws:s3:::${bucketName}/*`,
                    Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
                });
                expect(ofType(evaluation, T.bucketPolicy)).to.be.empty;
            });

            it("keeps every child inside the Cdn and exports id, ARN, domain name and files base URL", () => {
                for (const r of evaluation.resources.filter((r) => r.type !== T.bucket && r.name !== "cdn")) {
                    expect(r.options.parent, r.name).to.equal(CDN);
                }
                expect(evaluation.outputs).to.include({
                    distributionId: `${T.distribution}::cdn-distribution`,
                    distributionArn,
                    domainName: "cdn-distribution.cloudfront.net",
                    filesBaseUrl: customDomain ? "https://files.chat.example.com" : "https://cdn-distribution.cloudfront.net",
                });
            });

            if (!customDomain) {
                it("uses the default CloudFront certificate and creates no certificate or DNS record", () => {
                    expect(distribution().inputs.viewerCertificate).to.deep.equal({ cloudfrontDefaultCertificate: true });
                    expect(distribution().inputs.aliases).to.equal(undefined);
                    for (const type of [T.provider, T.certificate, T.validation, T.record]) expect(ofType(evaluation, type), type).to.be.empty;
                });
                return;
            }

            it("requests the certificate in us-east-1 through its own provider, validated by DNS in the zone", () => {
                const provider = byName(evaluation, T.provider, "cdn-us-east-1");
                expect(provider.inputs.region).to.equal("us-east-1");
                const certificate = byName(evaluation, T.certificate, "cdn-certificate");
                expect(certificate.inputs).to.include({ domainName: "files.chat.example.com", validationMethod: "DNS" });
                expect(certificate.options.provider).to.equal(`${T.provider}::cdn-us-east-1`);
                const record = byName(evaluation, T.record, "cdn-certificate-validation-record");
                expect(record.inputs).to.deep.include({
                    zoneId: "Z0123456789ABCDEFGHIJ",
                    name: "_cdn-certificate.files.chat.example.com.",
                    type: "CNAME",
                    records: ["_cdn-certificate.acm-validations.aws."],
                });
                const validation = byName(evaluation, T.validation, "cdn-certificate-validation");
                expect(validation.inputs).to.deep.equal({
                    certificateArn: `arn:aws:acm:us-east-1:${MOCK_ACCOUNT_ID}:certificate/cdn-certificate`,
                    validationRecordFqdns: ["_cdn-certificate.files.chat.example.com"],
                });
                expect(validation.options.provider).to.equal(`${T.provider}::cdn-us-east-1`);
            });

            it("serves the domain with the validated certificate, SNI and TLS 1.2 (2021) at least", () => {
                expect(distribution().inputs.aliases).to.deep.equal(["files.chat.example.com"]);
                expect(distribution().inputs.viewerCertificate).to.deep.equal({
                    acmCertificateArn: `arn:aws:acm:us-east-1:${MOCK_ACCOUNT_ID}:certificate/cdn-certificate`,
                    sslSupportMethod: "sni-only",
                    minimumProtocolVersion: "TLSv1.2_2021",
                });
            });

            it("points the domain at the distribution with A and AAAA aliases", () => {
                for (const type of ["A", "AAAA"]) {
                    expect(byName(evaluation, T.record, `cdn-alias-${type.toLowerCase()}`).inputs).to.deep.equal({
                        zoneId: "Z0123456789ABCDEFGHIJ",
                        name: "files.chat.example.com",
                        type,
                        aliases: [{ name: "cdn-distribution.cloudfront.net", zoneId: "Z2FDTNDATAQYW2", evaluateTargetHealth: false }],
                    });
                }
            });
        });
    }
}

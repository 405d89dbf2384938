import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { PRICE_CLASSES } from "./config";
import { physicalName } from "./naming";
import { AwsProviderSettings, regionalProvider } from "./providers";

/** CloudFront reads certificates from this region only. */
export const CLOUDFRONT_CERTIFICATE_REGION = "us-east-1";
/** AWS managed cache policy: long TTLs, no cookies, headers or query strings in the cache key, gzip and brotli. */
export const CACHE_POLICY_NAME = "Managed-CachingOptimized";
/** Minimum viewer TLS when the distribution serves its own certificate. */
export const MINIMUM_PROTOCOL_VERSION = "TLSv1.2_2021";

const ORIGIN_ID = "files";

/** The bucket the distribution serves (the files bucket). */
export interface CdnBucket {
    readonly name: pulumi.Input<string>;
    readonly arn: pulumi.Input<string>;
    /** `bucketRegionalDomainName`, e.g. `{bucket}.s3.{region}.amazonaws.com`. */
    readonly regionalDomainName: pulumi.Input<string>;
}

export interface CdnArgs {
    /** Environment name, the last part of every name. */
    readonly environment: string;
    readonly bucket: CdnBucket;
    /** CloudFront price class: which edge locations serve the files. */
    readonly priceClass: (typeof PRICE_CLASSES)[number];
    /**
     * A domain of the product for the files (e.g. `files.chat.example.com`) and the Route 53 zone that
     * holds it: a DNS-validated certificate, the distribution's alias and the zone's alias records.
     * Without it, the distribution's own `*.cloudfront.net` name and certificate.
     */
    readonly customDomain?: { readonly name: string; readonly zoneId: string };
    /** The stack's AWS provider settings, which the certificate's us-east-1 provider inherits. */
    readonly providerSettings: AwsProviderSettings;
    /**
     * PEM public key (RSA 2048 or ECDSA P-256) of the key group the distribution trusts: every request
     * then needs a CloudFront signed URL or signed cookie made with its private key. The private key
     * never enters the program: the operator stores it in the empty secret this component creates
     * (`signingKeySecretArn`). Without it, the files are served to anyone with their URL.
     */
    readonly publicKey?: string;
    /**
     * A second region the signing-key secret is replicated to (Secrets Manager replica secrets), so
     * the private key survives the loss of the stack's region (docs/disaster-recovery.md).
     */
    readonly signingKeyReplicaRegion?: string;
    /**
     * The signing-key secret holds what the operator put there: `protect` it, and keep Secrets
     * Manager's default 30-day recovery window. Without it, the secret is deleted at once with the
     * stack, so a re-created stack can take its name back (a secret scheduled for deletion keeps its
     * name for its recovery window: CreateSecret fails meanwhile).
     */
    readonly protectData: boolean;
}

/**
 * CloudFront in front of the files bucket, reading it through an Origin Access Control. The bucket
 * stays private: its owner adds `filesReadStatement` to the bucket's policy (this component creates
 * no bucket policy, so the bucket keeps exactly one).
 */
export class Cdn extends pulumi.ComponentResource {
    public readonly distribution: aws.cloudfront.Distribution;
    public readonly distributionId: pulumi.Output<string>;
    public readonly distributionArn: pulumi.Output<string>;
    /** The distribution's `*.cloudfront.net` name. */
    public readonly domainName: pulumi.Output<string>;
    /** Public base URL of the files: `https://{custom domain or distribution domain}`. */
    public readonly filesBaseUrl: pulumi.Output<string>;
    /** Bucket policy statement: only this distribution may read objects. */
    public readonly filesReadStatement: pulumi.Output<aws.iam.PolicyStatement>;
    /** The key group the distribution trusts (with `publicKey`). */
    public readonly keyGroup?: aws.cloudfront.KeyGroup;
    /** Id of the public key: the `Key-Pair-Id` of every signed URL or cookie (with `publicKey`). */
    public readonly keyPairId?: pulumi.Output<string>;
    /** The public key as CloudFront holds it (PEM, `encodedKey`), which the health check matches the secret's private key against (with `publicKey`). */
    public readonly publicKeyPem?: pulumi.Output<string>;
    /** ARN of the Secrets Manager secret, created empty, that holds the signing private key (with `publicKey`). */
    public readonly signingKeySecretArn?: pulumi.Output<string>;

    constructor(name: string, args: CdnArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slack-clone:cdn:Cdn", name, {}, opts);

        const oac = this.createOriginAccessControl(name, args);
        const certificateArn = args.customDomain ? this.createCertificate(name, args.customDomain, args.providerSettings) : undefined;
        if (args.publicKey !== undefined) {
            const signing = this.createSigning(name, args.environment, args.publicKey, args.signingKeyReplicaRegion, args.protectData);
            this.keyGroup = signing.keyGroup;
            this.keyPairId = signing.publicKey.id;
            this.publicKeyPem = signing.publicKey.encodedKey;
            this.signingKeySecretArn = signing.secret.arn;
        }
        this.distribution = this.createDistribution(name, args, oac, certificateArn, this.keyGroup);
        if (args.customDomain) this.createAliasRecords(name, args.customDomain);

        this.distributionId = this.distribution.id;
        this.distributionArn = this.distribution.arn;
        this.domainName = this.distribution.domainName;
        this.filesBaseUrl = args.customDomain
            ? pulumi.output(`https://${args.customDomain.name}`)
            : pulumi.interpolate`https://${this.distribution.domainName}`;
        this.filesReadStatement = pulumi.all([args.bucket.arn, this.distribution.arn]).apply(([bucketArn, distributionArn]) => ({
            Sid: "AllowCloudFrontRead",
            Effect: "Allow" as const,
            Principal: { Service: "cloudfront.amazonaws.com" },
            Action: "s3:GetObject",
            Resource: `${bucketArn}/*`,
            Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
        }));

        this.registerOutputs({
            distributionId: this.distributionId,
            distributionArn: this.distributionArn,
            domainName: this.domainName,
            filesBaseUrl: this.filesBaseUrl,
            keyPairId: this.keyPairId,
            publicKeyPem: this.publicKeyPem,
            signingKeySecretArn: this.signingKeySecretArn,
        });
    }

    /**
     * The public key, a key group of it, and the empty secret the operator puts the private key in
     * (README, "Security"). No secret version is declared: the private key never passes through the
     * program or its state.
     */
    private createSigning(name: string, environment: string, publicKey: string, replicaRegion: string | undefined, protectData: boolean) {
        const keyName = physicalName("files", environment);
        // A prefix, not a name: CloudFront cannot change a key's encodedKey, so a new key replaces the
        // old one, created first (and the provider's docs warn against a fixed name on a key a key
        // group references). encodedKey ends with a newline, or every deploy would replace it.
        const key = new aws.cloudfront.PublicKey(
            `${name}-public-key`,
            { namePrefix: `${keyName}-`, comment: "Verifies signed URLs and cookies of the files", encodedKey: publicKey },
            { parent: this },
        );
        const keyGroup = new aws.cloudfront.KeyGroup(
            `${name}-key-group`,
            { name: keyName, comment: "Signers of the files' URLs and cookies", items: [key.id] },
            { parent: this },
        );
        const secret = new aws.secretsmanager.Secret(
            `${name}-signing-key`,
            {
                name: physicalName("cdn-signing-key", environment),
                description: `Private key (PEM) of CloudFront public key ${keyName}: the backend signs file URLs and cookies with it. Put by the operator, never by the program.`,
                // The same secret (value included) in the second region (Secrets Manager user guide,
                // "Replicate secrets across Regions").
                replicas: replicaRegion ? [{ region: replicaRegion }] : undefined,
                // Secrets Manager API reference, DeleteSecret: RecoveryWindowInDays 7-30 (default 30), or
                // ForceDeleteWithoutRecovery, which the provider sends for 0.
                recoveryWindowInDays: protectData ? undefined : 0,
            },
            { parent: this, protect: protectData },
        );
        return { publicKey: key, keyGroup, secret };
    }

    private createOriginAccessControl(name: string, args: CdnArgs): aws.cloudfront.OriginAccessControl {
        return new aws.cloudfront.OriginAccessControl(
            `${name}-oac`,
            {
                name: physicalName("files", args.environment),
                description: "CloudFront signs every request to the files bucket",
                originAccessControlOriginType: "s3",
                signingBehavior: "always",
                signingProtocol: "sigv4",
            },
            { parent: this },
        );
    }

    /** An ACM certificate in us-east-1 (its own provider), validated by a record in the domain's zone. */
    private createCertificate(name: string, domain: NonNullable<CdnArgs["customDomain"]>, providerSettings: AwsProviderSettings): pulumi.Output<string> {
        const usEast1 = regionalProvider(`${name}-${CLOUDFRONT_CERTIFICATE_REGION}`, CLOUDFRONT_CERTIFICATE_REGION, providerSettings, { parent: this });
        const certificate = new aws.acm.Certificate(
            `${name}-certificate`,
            { domainName: domain.name, validationMethod: "DNS" },
            { parent: this, provider: usEast1 },
        );
        // One domain name, so exactly one validation record.
        const option = certificate.domainValidationOptions[0];
        const record = new aws.route53.Record(
            `${name}-certificate-validation-record`,
            {
                zoneId: domain.zoneId,
                name: option.resourceRecordName,
                type: option.resourceRecordType,
                records: [option.resourceRecordValue],
                ttl: 300,
                allowOverwrite: true,
            },
            { parent: this },
        );
        return new aws.acm.CertificateValidation(
            `${name}-certificate-validation`,
            { certificateArn: certificate.arn, validationRecordFqdns: [record.fqdn] },
            { parent: this, provider: usEast1 },
        ).certificateArn;
    }

    private createDistribution(
        name: string,
        args: CdnArgs,
        oac: aws.cloudfront.OriginAccessControl,
        certificateArn: pulumi.Output<string> | undefined,
        keyGroup: aws.cloudfront.KeyGroup | undefined,
    ): aws.cloudfront.Distribution {
        const cachePolicyId = aws.cloudfront.getCachePolicyOutput({ name: CACHE_POLICY_NAME }, { parent: this }).apply((p) => p.id!);
        return new aws.cloudfront.Distribution(
            `${name}-distribution`,
            {
                enabled: true,
                comment: pulumi.interpolate`Files of ${args.bucket.name}`,
                isIpv6Enabled: true,
                httpVersion: "http2and3",
                priceClass: args.priceClass,
                aliases: args.customDomain ? [args.customDomain.name] : undefined,
                origins: [{ originId: ORIGIN_ID, domainName: args.bucket.regionalDomainName, originAccessControlId: oac.id }],
                defaultCacheBehavior: {
                    targetOriginId: ORIGIN_ID,
                    viewerProtocolPolicy: "redirect-to-https",
                    allowedMethods: ["GET", "HEAD"],
                    cachedMethods: ["GET", "HEAD"],
                    cachePolicyId,
                    compress: true,
                    // With a key group, CloudFront answers 403 to any request without a valid signature.
                    trustedKeyGroups: keyGroup ? [keyGroup.id] : undefined,
                },
                restrictions: { geoRestriction: { restrictionType: "none" } },
                // The default *.cloudfront.net certificate takes no minimum protocol of ours: CloudFront fixes
                // its security policy at TLSv1 (README, "Security").
                viewerCertificate: certificateArn
                    ? { acmCertificateArn: certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: MINIMUM_PROTOCOL_VERSION }
                    : { cloudfrontDefaultCertificate: true },
            },
            { parent: this },
        );
    }

    /** `A` and `AAAA` aliases of the custom domain to the distribution. */
    private createAliasRecords(name: string, domain: NonNullable<CdnArgs["customDomain"]>): void {
        for (const type of ["A", "AAAA"]) {
            new aws.route53.Record(
                `${name}-alias-${type.toLowerCase()}`,
                {
                    zoneId: domain.zoneId,
                    name: domain.name,
                    type,
                    aliases: [{ name: this.distribution.domainName, zoneId: this.distribution.hostedZoneId, evaluateTargetHealth: false }],
                },
                { parent: this },
            );
        }
    }
}

import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { AwsProviderKey } from "./config";

/** The stack's `aws:*` settings an explicit provider must carry too (StackConfig.awsProvider). */
export type AwsProviderSettings = Readonly<Partial<Record<AwsProviderKey, unknown>>>;

/**
 * An AWS provider for another region that deploys exactly as the stack's own provider does: every
 * `aws:*` setting of the stack (AWS_PROVIDER_KEYS: profile, assumed roles, allowed and forbidden
 * account ids, default and ignored tags, endpoints, STS region, FIPS, proxy, retries...), plus `region`. A provider built from a region alone would read none of them (pulumi/pulumi-aws#3259,
 * by design): it could write into another account than the rest of the stack, untagged.
 */
export function regionalProvider(name: string, region: string, settings: AwsProviderSettings, opts: pulumi.CustomResourceOptions): aws.Provider {
    return new aws.Provider(name, { ...(settings as aws.ProviderArgs), region: region as aws.Region }, opts);
}

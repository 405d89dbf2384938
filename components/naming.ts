/**
 * Physical names of the product's resources and the AWS limits they must respect.
 * Every name is `slack-clone-{what}-{environment}[-{suffix}]`; `assertNameFits` is called wherever
 * a name is made, and the config validation calls it for the longest names a stack will create.
 */
export const PROJECT = "slack-clone";

/** AWS name length limits (characters) for the resources this program names. */
export const NAME_LIMITS = {
    dynamodbTable: 255,
    s3Bucket: 63,
    elasticacheReplicationGroup: 40,
    lambdaFunction: 64,
    iamRole: 64,
    /** A `namePrefix`: the provider appends 26 characters. */
    iamRoleNamePrefix: 38,
    apiGatewayRestApi: 1024,
    snsTopic: 256,
} as const;

export type NamedKind = keyof typeof NAME_LIMITS;

/** `slack-clone-{what}-{environment}`, plus optional suffixes such as an account id. */
export function physicalName(what: string, environment: string, ...suffixes: string[]): string {
    return [PROJECT, what, environment, ...suffixes].join("-");
}

/** Throws when `name` is longer than AWS allows for `kind`, naming both and the limit. */
export function assertNameFits(kind: NamedKind, name: string): string {
    const limit = NAME_LIMITS[kind];
    if (name.length > limit) {
        throw new Error(
            `${kind} name "${name}" is ${name.length} characters; AWS allows at most ${limit}. ` +
                "Use a shorter environment name or value.",
        );
    }
    return name;
}

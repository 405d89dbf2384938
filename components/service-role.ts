import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface ServiceRoleArgs {
    /** Logical names of the role and of its inline policy. */
    readonly names: { readonly role: string; readonly policy: string };
    /** Physical role name (at most 64 characters). Give this or `namePrefix`. */
    readonly name?: string;
    /** A prefix the provider completes with a unique suffix, for a role that outlives its stack. */
    readonly namePrefix?: string;
    readonly description?: string;
    /** The AWS service that alone may assume the role, e.g. `lambda.amazonaws.com`. */
    readonly service: string;
    /** Conditions on that service's `sts:AssumeRole` (e.g. `aws:SourceArn`, against the confused deputy). */
    readonly assumeCondition?: Record<string, Record<string, pulumi.Input<string>>>;
    /** The inline policy: exact actions on exact resources. */
    readonly statements: pulumi.Input<aws.iam.PolicyStatement>[];
}

/** A role and its inline policy. */
export interface ServiceRole {
    readonly role: aws.iam.Role;
    readonly policy: aws.iam.RolePolicy;
}

/**
 * The one way the program makes an IAM role: assumable by one service only, with one inline
 * least-privilege policy and no managed policies. Depend on `policy` (not only on `role`) where the
 * role must hold its permissions before it is used.
 */
export function createServiceRole(args: ServiceRoleArgs, opts: pulumi.CustomResourceOptions): ServiceRole {
    const role = new aws.iam.Role(
        args.names.role,
        {
            name: args.name,
            namePrefix: args.namePrefix,
            description: args.description,
            assumeRolePolicy: {
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: args.service }, Action: "sts:AssumeRole", Condition: args.assumeCondition }],
            },
        },
        opts,
    );
    const policy = new aws.iam.RolePolicy(
        args.names.policy,
        { role: role.id, policy: { Version: "2012-10-17", Statement: args.statements } },
        opts,
    );
    return { role, policy };
}

/**
 * The stack transformation that holds every resource to the name rules of naming.ts. Apart from
 * naming.ts so that the commands which only need names (seed, health check, npm start) do not
 * load the Pulumi SDK.
 */
import * as pulumi from "@pulumi/pulumi";
import { NAME_INPUTS, NAME_RULES, nameProblem } from "./naming";

function check(type: string, name: string, input: string, value: string): string {
    const problem = nameProblem(type, input, value);
    if (problem !== undefined) throw new Error(`Resource "${name}": ${problem}`);
    return value;
}

/**
 * Checks the physical names of every resource registered after it: registered for the whole stack
 * (`pulumi.runtime.registerStackTransformation`), it sees every resource, whichever component makes
 * it. A name known now is checked now (the resource's constructor throws); a name that is an output
 * (e.g. it holds the account id) is checked when it resolves, failing the resource's registration.
 * Throws when a resource sets `name` or `namePrefix` and its type has no rule in `NAME_RULES`.
 */
export const checkPhysicalNames: pulumi.ResourceTransformation = ({ type, name, props, opts }) => {
    const rule = NAME_RULES[type];
    if (rule === undefined) {
        const named = NAME_INPUTS.filter((input) => props[input] !== undefined);
        if (named.length > 0) throw new Error(`Resource "${name}": ${nameProblem(type, named[0], "")}`);
        return undefined;
    }
    const checked: Record<string, unknown> = {};
    for (const input of Object.keys(rule.inputs)) {
        const value: unknown = props[input];
        if (typeof value === "string") check(type, name, input, value);
        else if (pulumi.Output.isInstance(value)) checked[input] = value.apply((v) => (typeof v === "string" ? check(type, name, input, v) : v));
    }
    return Object.keys(checked).length === 0 ? undefined : { props: { ...props, ...checked }, opts };
};

/**
 * The product's policy pack: `pulumi preview --policy-pack policy` (see README.md, "Policy pack").
 * The CLI gives a policy pack the stack's config as it gives it to the program (PULUMI_CONFIG,
 * `namespace:key` -> string; pulumi/pulumi#3612, still set for Node.js packs by the CLI's plugin
 * proxy: pulumi/pulumi#21684; tested end to end in pulumi/pulumi#20570); the rules that depend on
 * the stack read it from there.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies, stackSettings } from "./rules";

const stackConfig = JSON.parse(process.env.PULUMI_CONFIG ?? "{}") as Record<string, string>;

new PolicyPack("slack-clone", {
    description: "Security rules of the Slack clone infrastructure: encryption, public access, TLS, least privilege, retention, protection",
    enforcementLevel: "mandatory",
    policies: policies(stackSettings(stackConfig)),
});

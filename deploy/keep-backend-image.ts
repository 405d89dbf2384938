/**
 * Keeps the backend image a stack runs across a deploy or preview that does not change it:
 * `npm run keep-backend-image -- <stack>`, which the deploy and preview workflows run before every
 * `pulumi up` and `pulumi preview`.
 *
 * `backendImage` is not committed (an application deploy sets it), so `pulumi up` without it would
 * delete the backend service, and `pulumi preview` would show it deleted. This sets the stack's
 * `backendImage` config to its `backendImage` output, when it has one. Reading the outputs must
 * succeed: an error (network, login, a stack not created yet, outputs that do not read as this
 * program's) fails here, naming the stack, instead of passing for "no image" and letting the deploy
 * remove the service.
 */
import { isOwnRepositoryImage } from "../components/config";
import { CommandSpec, readCommandLine, runMain } from "./command-line";
import { PULUMI_INSTALL, readStackOutputs, requireOutput, requireOutputs, runPulumi } from "./stack-outputs";

export const KEEP_BACKEND_IMAGE_COMMAND: CommandSpec = {
    name: "npm run keep-backend-image",
    synopsis: "<stack>",
    summary:
        "Sets the stack's backendImage config to the image it runs (its backendImage output), so that pulumi up keeps the backend " +
        "service; fails, setting nothing, when the outputs cannot be read.",
    options: {},
    positionals: true,
};

/**
 * Sets `backendImage` on `stack` to its `backendImage` output and returns what it did, in a line.
 * Throws, having set nothing, when the outputs cannot be read or are not this program's, when the
 * output names an image outside the stack's own repository, or when `pulumi config set` fails.
 */
export function keepBackendImage(stack: string): string {
    // readStackOutputs checks the stack name first: an empty one would be the CLI's selected stack, one starting with - an option.
    const outputs = readStackOutputs({ stack, withoutCli: `this command sets the stack's config with the CLI too: install it (${PULUMI_INSTALL}), or run it where it is installed (the deploy and preview workflows)` });
    // A stack not deployed yet has no outputs; any other stack of this program has these two.
    if (Object.keys(outputs).length === 0) return `stack ${stack} has no outputs (not deployed yet): nothing to keep`;
    const [environment, region] = requireOutputs(outputs, ["environment", "region"]);
    if (outputs.backendImage === undefined) return `stack ${stack} runs no backend yet (no backendImage output): nothing to keep`;
    const image = requireOutput(outputs, "backendImage");
    if (!isOwnRepositoryImage(image, environment, region)) {
        throw new Error(`stack ${stack}'s backendImage output is ${JSON.stringify(image)}, no image of its own repository (${environment}, ${region}): not deploying it`);
    }
    runPulumi(["config", "set", "backendImage", image, "--stack", stack]);
    return `stack ${stack} keeps backendImage ${image}`;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
    const line = readCommandLine(KEEP_BACKEND_IMAGE_COMMAND, argv);
    if (line === undefined) return;
    if (line.positionals.length !== 1) throw new Error(`Name one stack: ${KEEP_BACKEND_IMAGE_COMMAND.name} -- <stack>; got ${line.positionals.length} arguments`);
    console.log(keepBackendImage(line.positionals[0]));
}

if (require.main === module) runMain("keep-backend-image", main);

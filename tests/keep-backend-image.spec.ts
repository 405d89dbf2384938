import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../deploy/keep-backend-image";
import { listStacks } from "../harness/stack-files";
import { captureLog } from "./helpers/console";
import { withEnvironment } from "./helpers/environment";

/**
 * npm run keep-backend-image against a stand-in `pulumi` on PATH that records its arguments and
 * answers `stack output --json` with OUTPUTS (or fails as the CLI does, with FAIL as its message),
 * and `config set` with SET_FAIL's message when set.
 */
describe("keeping the backend image a stack runs (deploy/keep-backend-image.ts)", () => {
    let bin: string;
    before(() => {
        bin = fs.mkdtempSync(path.join(os.tmpdir(), "keep-backend-image-"));
        fs.writeFileSync(
            path.join(bin, "pulumi"),
            [
                "#!/usr/bin/env bash",
                'echo "pulumi $*" >> "$CALLS"',
                '[ -z "$SIGNAL" ] || kill -"$SIGNAL" $$',
                '[ -z "$SILENT_EXIT" ] || exit "$SILENT_EXIT"',
                'if [ "$2" = output ]; then [ -z "$FAIL" ] || { echo "error: $FAIL" >&2; exit 255; }; printf "%s\\n" "$OUTPUTS"; fi',
                'if [ "$1" = config ]; then [ -z "$SET_FAIL" ] || { echo "error: $SET_FAIL" >&2; exit 255; }; fi',
            ].join("\n"),
            { mode: 0o755 },
        );
    });
    after(() => fs.rmSync(bin, { recursive: true, force: true }));

    async function keep(outputs: unknown, env: { FAIL?: string; SET_FAIL?: string; SIGNAL?: string; SILENT_EXIT?: string } = {}, argv = ["staging"]) {
        const calls = path.join(bin, `calls-${Math.random().toString(36).slice(2)}`);
        fs.writeFileSync(calls, "");
        const stand = (vars: NodeJS.ProcessEnv) =>
            Object.assign(vars, { PATH: `${bin}:${vars.PATH}`, CALLS: calls, OUTPUTS: typeof outputs === "string" ? outputs : JSON.stringify(outputs), FAIL: env.FAIL ?? "", SET_FAIL: env.SET_FAIL ?? "", SIGNAL: env.SIGNAL ?? "", SILENT_EXIT: env.SILENT_EXIT ?? "" });
        const { printed, error } = await withEnvironment(stand, () => captureLog(() => main(argv)));
        return { printed, error: error?.message, calls: fs.readFileSync(calls, "utf8").trim().split("\n").filter(Boolean) };
    }
    const IMAGE = "210987654321.dkr.ecr.eu-central-1.amazonaws.com/slack-clone-backend-staging:1.4.2";
    const DEPLOYED = { environment: "staging", region: "eu-central-1", apiUrl: "https://a1.execute-api.eu-central-1.amazonaws.com/staging" };
    const READ = "pulumi stack output --json --stack staging";

    it("sets backendImage to the image the stack runs, by tag or digest", async () => {
        for (const image of [IMAGE, `${IMAGE.split(":")[0]}@sha256:${"a".repeat(64)}`]) {
            const run = await keep({ ...DEPLOYED, backendImage: image });
            expect(run, image).to.deep.equal({ printed: `stack staging keeps backendImage ${image}`, error: undefined, calls: [READ, `pulumi config set backendImage ${image} --stack staging`] });
        }
    });

    it("without the Pulumi CLI, says it needs it (it sets config with it), not to pass the outputs as a file as the seed can", async () => {
        const { error } = await withEnvironment((env) => (env.PATH = "/nonexistent"), () => captureLog(() => main(["staging"])));
        expect(error?.message).to.equal(
            "Cannot run the Pulumi CLI (it is not installed here) for pulumi stack output --json --stack staging: this command sets the stack's config with the CLI too: " +
                "install it (https://www.pulumi.com/docs/iac/download-install/), or run it where it is installed (the deploy and preview workflows)",
        );
    });

    it("sets nothing for a stack that runs no backend yet, or is not deployed yet, and says so", async () => {
        expect(await keep(DEPLOYED)).to.deep.equal({ printed: "stack staging runs no backend yet (no backendImage output): nothing to keep", error: undefined, calls: [READ] });
        expect(await keep({})).to.deep.equal({ printed: "stack staging has no outputs (not deployed yet): nothing to keep", error: undefined, calls: [READ] });
    });

    it("fails, setting nothing, on outputs that are not this program's (no environment and region): they are not taken for 'no backend'", async () => {
        for (const outputs of [{ foo: "bar" }, { environment: "staging" }]) {
            const run = await keep(outputs);
            expect(run.error, JSON.stringify(outputs)).to.match(/^Stack outputs missing: (environment, )?region$/);
            expect(run.calls).to.deep.equal([READ]);
        }
    });

    it("fails, setting nothing, when the outputs cannot be read: an error is never taken for 'no image' (the deploy would delete the service)", async () => {
        const run = await keep("", { FAIL: "getting stack outputs: failed to load checkpoint: blob (code=Unknown): dial tcp: i/o timeout" });
        expect(run).to.deep.equal({
            printed: "",
            error: "pulumi stack output --json --stack staging failed (exit code 255): error: getting stack outputs: failed to load checkpoint: blob (code=Unknown): dial tcp: i/o timeout",
            calls: [READ],
        });
        expect((await keep("{}", { SILENT_EXIT: "1" })).error, "an exit without a message").to.equal("pulumi stack output --json --stack staging failed (exit code 1): no message");
        expect((await keep("{}", { SIGNAL: "TERM" })).error, "killed").to.equal("pulumi stack output --json --stack staging was killed by SIGTERM");
    });

    it("fails, setting nothing, on outputs that are not a JSON object of this program's outputs, or an image outside the stack's repository", async () => {
        const cases: [unknown, RegExp][] = [
            ["not json", /^Stack outputs from pulumi stack output --stack staging are not JSON: /],
            ["[]", /^Stack outputs from pulumi stack output --stack staging must be a JSON object of output names to values$/],
            ['"hello"', /must be a JSON object/],
            ["null", /must be a JSON object/],
            [{ ...DEPLOYED, backendImage: 5 }, /Stack output "backendImage" is 5 \(a number\); expected a string$/],
            [{ ...DEPLOYED, backendImage: "" }, /^Stack output "backendImage" is missing/],
            [{ ...DEPLOYED, backendImage: "--help" }, /^stack staging's backendImage output is "--help", no image of its own repository \(staging, eu-central-1\): not deploying it$/],
            [{ ...DEPLOYED, backendImage: IMAGE.replace("staging", "production") }, /no image of its own repository/],
            [{ backendImage: IMAGE }, /^Stack outputs missing: environment, region$/],
        ];
        for (const [outputs, message] of cases) {
            const run = await keep(outputs);
            expect(run.error, JSON.stringify(outputs)).to.match(message);
            expect(run.calls, JSON.stringify(outputs)).to.deep.equal([READ]);
        }
    });

    it("fails naming the stack when pulumi config set fails, and refuses a command line without exactly one stack", async () => {
        const run = await keep({ ...DEPLOYED, backendImage: IMAGE }, { SET_FAIL: "no stack named 'staging' found" });
        expect(run.error).to.equal(`pulumi config set backendImage ${IMAGE} --stack staging failed (exit code 255): error: no stack named 'staging' found`);
        for (const argv of [[], ["staging", "production"]]) {
            expect((await keep({}, {}, argv)).error).to.equal(`Name one stack: npm run keep-backend-image -- <stack>; got ${argv.length} arguments`);
        }
        // An empty name is the CLI's selected stack, one starting with - an option: neither reaches it.
        for (const stack of ["", "--stack", "a b", "acme/-x"]) {
            const refused = await keep({}, {}, ["--", stack]);
            expect(refused, stack).to.deep.equal({
                printed: "",
                error: `${JSON.stringify(stack)} is not a stack: <stack>, <org>/<stack> or <org>/<project>/<stack>, a stack name being 1 to 100 letters, digits, hyphens, underscores or periods, not starting with a hyphen. Stacks: ${listStacks().join(", ")}`,
                calls: [],
            });
        }
        expect((await keep({}, {}, ["acme/other/staging"])).error, "another project").to.equal('"acme/other/staging" names project "other"; this is project "slack-clone": use acme/slack-clone/staging or staging');
    });
});

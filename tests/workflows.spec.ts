import { expect } from "chai";
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
// action-validator's engine (the @action-validator/cli command wraps the same package).
import { validateWorkflow } from "@action-validator/core";
import { validateConfig } from "../components/config";
import { PROJECT_ROOT, projectStacks, rawConfig, readStackConfig } from "../harness/stack-files";

interface Step {
    readonly id?: string;
    readonly env?: Readonly<Record<string, string>>;
    readonly name?: string;
    readonly if?: string;
    readonly uses?: string;
    readonly run?: string;
    readonly with?: Readonly<Record<string, unknown>>;
}

interface Job {
    readonly needs?: string | readonly string[];
    readonly if?: string;
    readonly uses?: string;
    readonly with?: Readonly<Record<string, string>>;
    readonly secrets?: string;
    readonly environment?: string;
    readonly concurrency?: { readonly group: string; readonly "cancel-in-progress": boolean };
    readonly permissions?: Readonly<Record<string, string>>;
    readonly strategy?: { readonly matrix: { readonly include: readonly Record<string, string>[] } };
    readonly steps?: readonly Step[];
}

interface Workflow {
    readonly permissions?: Readonly<Record<string, string>>;
    readonly concurrency?: { readonly group: string; readonly "cancel-in-progress": boolean };
    readonly jobs: Readonly<Record<string, Job>>;
}

const WORKFLOW_DIR = path.join(PROJECT_ROOT, ".github", "workflows");
const FILES = fs.readdirSync(WORKFLOW_DIR).filter((file) => /\.ya?ml$/.test(file)).sort();
const SOURCES = new Map(FILES.map((file) => [file, fs.readFileSync(path.join(WORKFLOW_DIR, file), "utf8")]));
const workflow = (file: string): Workflow => parse(SOURCES.get(file)!) as Workflow;

/** The order of promotion; every project stack (`projectStacks`) must have its place in it. */
const DEPLOY_ORDER = ["development", "staging", "production"];
/** The step before every preview and deploy of a stack that keeps its backend image (not committed). */
const KEEP_BACKEND_IMAGE = 'npm run keep-backend-image -- "$STACK"';
const CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials";

const usesAction = (step: Step, action: string) => step.uses?.startsWith(`${action}@`) === true;
const commands = (job: Job) => (job.steps ?? []).flatMap((step) => (step.run === undefined ? [] : [step.run]));
const indexOfStep = (steps: readonly Step[], match: (step: Step) => boolean) => {
    const index = steps.findIndex(match);
    expect(index, "step not found").to.be.at.least(0);
    return index;
};
/** What GitHub makes of `${{ inputs.<name> }}` in a called workflow. */
const withInputs = (text: string, inputs: Readonly<Record<string, string>>) =>
    text.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_, name: string) => inputs[name]);

describe("GitHub Actions workflows", () => {
    it("has the preview, deploy and per-stack deploy workflows", () => {
        expect(FILES).to.deep.equal(["deploy-stack.yml", "deploy.yml", "preview.yml"]);
    });

    for (const file of FILES) {
        it(`${file} passes action-validator (the GitHub workflow schema)`, () => {
            expect(validateWorkflow(SOURCES.get(file)!).errors).to.deep.equal([]);
        });
    }

    it("pins every action to a full commit SHA, with its release in a comment, the same one everywhere", () => {
        const pins = new Map<string, Set<string>>();
        for (const [file, source] of SOURCES) {
            for (const [, ref] of source.matchAll(/^\s*(?:-\s+)?uses:\s*(.+)$/gm)) {
                if (ref.startsWith("./.github/workflows/")) continue;
                expect(ref, `${file}: ${ref}`).to.match(/^[\w-]+\/[\w-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
                const [action] = ref.split("@");
                pins.set(action, (pins.get(action) ?? new Set()).add(ref));
            }
        }
        expect([...pins.keys()].sort()).to.deep.equal([
            "actions/checkout",
            "actions/setup-node",
            "aws-actions/configure-aws-credentials",
            "pulumi/actions",
        ]);
        for (const [action, refs] of pins) expect([...refs], action).to.have.length(1);
    });

    it("references no long-lived AWS keys: credentials come from OIDC roles only", () => {
        for (const [file, source] of SOURCES) {
            expect(source, file).not.to.match(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|aws-access-key-id|aws-secret-access-key/i);
        }
        const credentialSteps = FILES.flatMap((file) =>
            Object.values(workflow(file).jobs).flatMap((job) => (job.steps ?? []).filter((step) => usesAction(step, CREDENTIALS_ACTION))),
        );
        expect(credentialSteps).to.have.length(2);
        for (const step of credentialSteps) expect(Object.keys(step.with ?? {})).to.include("role-to-assume");
    });

    it("lets every job that assumes an AWS role request an OIDC token (id-token: write)", () => {
        const deploy = workflow("deploy.yml");
        for (const file of FILES) {
            const flow = workflow(file);
            for (const [name, job] of Object.entries(flow.jobs)) {
                if (!(job.steps ?? []).some((step) => usesAction(step, CREDENTIALS_ACTION))) continue;
                expect((job.permissions ?? flow.permissions)?.["id-token"], `${file} ${name}`).to.equal("write");
            }
        }
        // A called workflow gets at most the permissions of the job that calls it.
        for (const stack of DEPLOY_ORDER) {
            expect((deploy.jobs[stack].permissions ?? deploy.permissions)?.["id-token"], stack).to.equal("write");
        }
    });
});

describe("pull-request previews (preview.yml)", () => {
    const flow = workflow("preview.yml");
    const preview = flow.jobs.preview;
    const steps = preview.steps ?? [];

    it("runs npm ci and npm test before any preview", () => {
        expect(commands(flow.jobs.test)).to.deep.equal(["npm ci", "npm test"]);
        expect(preview.needs).to.equal("test");
    });

    it("previews every project stack (not a developer's own stack file), each in its region with its own account's preview role", () => {
        const entries = preview.strategy!.matrix.include;
        expect(entries.map((entry) => entry.stack).sort()).to.deep.equal(projectStacks());
        for (const entry of entries) {
            expect(entry.region, entry.stack).to.equal(readStackConfig(entry.stack)["aws:region"]);
            expect(entry.role, entry.stack).to.equal(`\${{ vars.AWS_PREVIEW_ROLE_ARN_${entry.stack.toUpperCase()} }}`);
        }
    });

    it("previews with the backend image the stack runs (not committed), so the service is not shown deleted", () => {
        const keep = indexOfStep(steps, (s) => s.run === KEEP_BACKEND_IMAGE);
        const install = indexOfStep(steps, (s) => usesAction(s, "pulumi/actions") && s.with === undefined);
        const previewIndex = indexOfStep(steps, (s) => usesAction(s, "pulumi/actions") && s.with?.command === "preview");
        expect([install, keep]).to.deep.equal([previewIndex - 2, previewIndex - 1]);
    });

    it("posts `pulumi preview --diff` of the matrix stack on the pull request", () => {
        const step = steps.find((s) => usesAction(s, "pulumi/actions") && s.with?.command === "preview")!;
        expect(step.with).to.include({ command: "preview", "stack-name": "${{ matrix.stack }}", diff: true, "comment-on-pr": true, policyPacks: "policy" });
        expect(preview.permissions).to.deep.equal({ contents: "read", "id-token": "write", "pull-requests": "write" });
    });

    it("runs the data guard on `pulumi preview --json` after the preview, even a failed one, and fails with it", () => {
        const previewIndex = indexOfStep(steps, (s) => usesAction(s, "pulumi/actions") && s.with?.command === "preview");
        const guardIndex = indexOfStep(steps, (s) => s.run?.includes("deploy/check-preview.ts") === true);
        expect(guardIndex).to.be.greaterThan(previewIndex);
        const guard = steps[guardIndex];
        expect(guard.if).to.equal(`\${{ !cancelled() && steps.${steps[previewIndex].id}.outcome != 'skipped' }}`);
        expect(guard.run).to.include('pulumi preview --json --stack "$STACK" > "$RUNNER_TEMP/preview.json" || status=$?');
        expect(guard.run).to.include('npx tsx deploy/check-preview.ts "$RUNNER_TEMP/preview.json"');
        expect(guard.run!.trim().split("\n").pop()).to.equal('exit "$status"');
    });

    it("cancels a pull request's previous run when new commits arrive", () => {
        expect(flow.concurrency).to.deep.equal({ group: "preview-${{ github.event.pull_request.number }}", "cancel-in-progress": true });
    });
});

describe("deploys on main (deploy.yml, deploy-stack.yml)", () => {
    const flow = workflow("deploy.yml");
    const deployJob = workflow("deploy-stack.yml").jobs.deploy;
    const steps = deployJob.steps ?? [];
    const callers = Object.entries(flow.jobs).filter(([, job]) => job.uses === "./.github/workflows/deploy-stack.yml");

    it("has one deploy per project stack, named after the stack, with the stack's region and the secrets", () => {
        expect([...DEPLOY_ORDER].sort()).to.deep.equal(projectStacks());
        expect(callers.map(([name]) => name)).to.deep.equal(DEPLOY_ORDER);
        for (const [name, job] of callers) {
            expect(job.with).to.deep.equal({ stack: name, region: readStackConfig(name)["aws:region"], "backend-image": "${{ inputs.backend-image }}" });
            expect(job.secrets, name).to.equal("inherit");
        }
    });

    it("deploys development after the tests, then staging, then production", () => {
        expect(callers.map(([, job]) => job.needs)).to.deep.equal(["test", "development", "staging"]);
        expect(commands(flow.jobs.test)).to.deep.equal(["npm ci", "npm test"]);
    });

    it("runs each deploy in the GitHub environment of its stack: production's is `production`", () => {
        const environments = DEPLOY_ORDER.map((stack) => withInputs(deployJob.environment!, { stack }));
        expect(environments).to.deep.equal(DEPLOY_ORDER);
        const credentials = steps.find((step) => usesAction(step, CREDENTIALS_ACTION))!;
        expect(credentials.with?.["role-to-assume"]).to.equal("${{ vars.AWS_ROLE_ARN }}");
    });

    it("never overlaps two deploys of one stack and never cancels one that runs", () => {
        const groups = DEPLOY_ORDER.map((stack) => withInputs(deployJob.concurrency!.group, { stack }));
        expect(groups).to.deep.equal(["deploy-development", "deploy-staging", "deploy-production"]);
        expect(deployJob.concurrency!["cancel-in-progress"]).to.equal(false);
    });

    it("keeps the running backend image, runs pulumi up, a preview that fails on any change left, reads the outputs (no secrets), seeds, deploys the application (given an image), reads the outputs again, checks health", () => {
        const find = (match: (s: Step) => boolean) => steps.map((s, i) => (match(s) ? i : -1)).filter((i) => i >= 0);
        const ups = find((s) => usesAction(s, "pulumi/actions") && s.with?.command === "up");
        const install = indexOfStep(steps, (s) => usesAction(s, "pulumi/actions") && s.with === undefined);
        const keep = indexOfStep(steps, (s) => s.run === KEEP_BACKEND_IMAGE);
        const drift = indexOfStep(steps, (s) => usesAction(s, "pulumi/actions") && s.with?.command === "preview");
        const outputs = find((s) => s.run === 'pulumi stack output --json --stack "$STACK" > "$RUNNER_TEMP/outputs.json"');
        const seed = indexOfStep(steps, (s) => s.run?.startsWith("npm run seed -- ") === true);
        const image = indexOfStep(steps, (s) => s.run?.includes('pulumi config set backendImage "$image"') === true);
        const health = indexOfStep(steps, (s) => s.run?.startsWith("npm run health -- ") === true);
        expect(ups).to.have.length(2);
        const [up, appUp] = ups;
        expect([install, keep, up, drift, outputs[0], seed, image, appUp, outputs[1], health]).to.deep.equal(Array.from({ length: 10 }, (_, i) => install + i));
        // The same stack and backend as the update; `expect-no-changes` is `pulumi preview --expect-no-changes`.
        expect(steps[drift].with).to.include({ "stack-name": steps[up].with?.["stack-name"], "cloud-url": steps[up].with?.["cloud-url"], "expect-no-changes": true });
        // Drift is a difference between AWS and the state: only a refresh reads AWS (pulumi/pulumi#12740:
        // `pulumi preview --refresh` previews against what is in the cloud provider, without writing the state).
        expect(steps[drift].with, "preview --refresh").to.include({ refresh: true });
        expect(steps[drift].if, "never skipped").to.equal(undefined);
        for (const i of ups) expect(steps[i].with, steps[i].name).to.include({ "stack-name": "${{ inputs.stack }}", policyPacks: "policy" });
        // The Redis AUTH token is read from Secrets Manager by the health check, never printed from the stack.
        for (const step of steps) expect(JSON.stringify(step), step.name ?? step.run).to.not.include("--show-secrets");
        // The application deploy runs only with an image; the image reaches the shell as data, never as script text.
        for (const i of [image, appUp]) expect(steps[i].if, steps[i].name).to.equal("${{ inputs.backend-image != '' }}");
        expect(steps[image].env).to.deep.equal({ BACKEND_IMAGE: "${{ inputs.backend-image }}", BACKEND_IMAGE_SOURCE: "${{ vars.BACKEND_IMAGE_SOURCE }}" });
        expect(steps[image].run).to.not.include("${{");
        for (const step of [steps[seed], steps[health]]) expect(step.run).to.include('--outputs "$RUNNER_TEMP/outputs.json"');
    });

    it("promotes the image before deploying it: copied into the stack's own repository (which the first pulumi up creates), then set as backendImage", () => {
        const image = steps.find((s) => s.run?.includes('pulumi config set backendImage "$image"') === true)!;
        const lines = image.run!.trim().split("\n");
        expect(lines).to.deep.equal([
            'repository="$(pulumi stack output backendRepositoryUrl --stack "$STACK")"',
            'image="$(bash deploy/promote-image.sh "$BACKEND_IMAGE" "$repository")"',
            'pulumi config set backendImage "$image" --stack "$STACK"',
        ]);
        expect(fs.existsSync(path.join(PROJECT_ROOT, "deploy", "promote-image.sh"))).to.equal(true);
    });

    it("behaves as the README's first rollout says: a push without an image copies nothing and stops at staging's health check; a manual run with one creates each stack, then copies into it", () => {
        const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
        const section = readme.slice(readme.indexOf("### Application deploy"), readme.indexOf("\n## ", readme.indexOf("### Application deploy")));
        const rollout = section.slice(section.indexOf("**First rollout.**"));
        expect(rollout, "README, Application deploy: First rollout").to.include("stops at staging's health check").and.include("production is not created");
        expect(rollout).to.match(/Run the Deploy workflow by hand with `backend-image: 1\.0\.0`/);
        // The names the procedure uses are the workflow's own: its input and the variable its promotion reads.
        const dispatch = (parse(SOURCES.get("deploy.yml")!) as { on: { workflow_dispatch: { inputs: Record<string, unknown> } } }).on.workflow_dispatch;
        expect(Object.keys(dispatch.inputs)).to.deep.equal(["backend-image"]);
        const promotion = steps.find((s) => s.run?.includes("deploy/promote-image.sh") === true)!;
        expect(rollout).to.include("`BACKEND_IMAGE_SOURCE`");
        expect(promotion.env?.BACKEND_IMAGE_SOURCE).to.equal("${{ vars.BACKEND_IMAGE_SOURCE }}");
        // A push has no inputs: no promotion, no application deploy; the health check always runs and
        // is never allowed to fail, and production needs staging: the run stops there.
        expect(promotion.if).to.equal("${{ inputs.backend-image != '' }}");
        const health = steps.find((s) => s.run?.startsWith("npm run health -- ") === true)!;
        expect([health.if, (health as { "continue-on-error"?: unknown })["continue-on-error"]]).to.deep.equal([undefined, undefined]);
        expect(flow.jobs.production.needs).to.equal("staging");
        // "a note on development, a failure on staging and production"
        expect(DEPLOY_ORDER.map((stack) => validateConfig(rawConfig(stack)).backend.required)).to.deep.equal([false, true, true]);
        // Each stack's own pulumi up (which creates its repository) comes before the copy into it.
        const up = steps.findIndex((s) => usesAction(s, "pulumi/actions") && s.with?.command === "up");
        expect(steps.indexOf(promotion)).to.be.greaterThan(up);
    });

    it("takes the backend image as an input of a manual deploy, passed to every stack", () => {
        const dispatch = (parse(SOURCES.get("deploy.yml")!) as { on: { workflow_dispatch: { inputs: Record<string, { type: string; required: boolean }> } } }).on.workflow_dispatch;
        expect(dispatch.inputs["backend-image"]).to.include({ type: "string", required: false });
    });
});

/**
 * deploy/promote-image.sh run by bash against stand-ins for the runner's `aws`, `docker` and `skopeo`
 * (each records its arguments; the registry's answers come from the environment, given as the real
 * tools give them), one process a case.
 */
describe("the application deploy's promotion (deploy/promote-image.sh)", () => {
    const SCRIPT = path.join(PROJECT_ROOT, "deploy", "promote-image.sh");
    const REPOSITORY = "210987654321.dkr.ecr.eu-central-1.amazonaws.com/slack-clone-backend-staging";
    const REGISTRY = "210987654321.dkr.ecr.eu-central-1.amazonaws.com";
    const SOURCE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/slack-clone-backend-build";
    // Ends with a newline: the digest is of the bytes the registry serves, all of them.
    const MANIFEST = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}\n';
    const DIGEST = `sha256:${createHash("sha256").update(MANIFEST).digest("hex")}`;
    const LOOKUP = `aws ecr describe-images --region eu-central-1 --repository-name slack-clone-backend-staging --image-ids imageTag=1.4.2 --query imageDetails[0].imageDigest --output text`;
    let bin: string;

    before(() => {
        bin = fs.mkdtempSync(path.join(os.tmpdir(), "promote-image-"));
        const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >> "$CALLS"\n${body}\n`, { mode: 0o755 });
        // The AWS CLI's own messages and exit codes (253: configuration or credentials; 254: the service
        // answered an error: https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-returncodes.html).
        // DescribeImages by tag answers a tag the repository lacks with ImageNotFoundException
        // (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html; the message as
        // hashicorp/terraform-provider-aws#35268 quotes it); PRESENT is the digest the tag holds.
        stub(
            "aws",
            [
                'case "$2" in',
                'get-login-password) [ -z "$NO_CREDENTIALS" ] || { printf "\\nUnable to locate credentials. You can configure credentials by running \\"aws configure\\".\\n" >&2; exit 253; }; echo token ;;',
                'describe-images)',
                '  [ -z "$DENIED" ] || { printf "\\nAn error occurred (AccessDeniedException) when calling the DescribeImages operation: User: arn:aws:sts::210987654321:assumed-role/deploy/ci is not authorized to perform: ecr:DescribeImages\\n" >&2; exit 254; }',
                '  [ -n "$PRESENT" ] || { printf "\\nAn error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {imageDigest:\'null\', imageTag:\'%s\'} does not exist within the repository with name \'%s\' in the registry with id \'210987654321\'\\n" "${6#imageTag=}" "$4" >&2; exit 254; }',
                '  echo "$PRESENT" ;;',
                "*) exit 252 ;;",
                "esac",
            ].join("\n"),
        );
        // docker login with an empty --password-stdin is docker's own interactive-login error.
        stub("docker", '[ "$(cat)" = token ] || { echo "Error: Cannot perform an interactive login from a non TTY device" >&2; exit 1; }');
        stub(
            "skopeo",
            'case "$1" in inspect) [ -n "$UNREADABLE" ] && { echo "manifest unknown" >&2; exit 1; }; printf "%s" "$MANIFEST" ;; copy) [ -z "$DENIED_PUSH" ] || { echo "denied: not authorized to perform: ecr:InitiateLayerUpload" >&2; exit 1; } ;; *) exit 2 ;; esac',
        );
    });
    after(() => fs.rmSync(bin, { recursive: true, force: true }));

    function promote(image: string, env: Record<string, string> = {}, repository = REPOSITORY) {
        const calls = path.join(bin, `calls-${Math.random().toString(36).slice(2)}`);
        fs.writeFileSync(calls, "");
        const result = spawnSync("bash", [SCRIPT, image, repository], {
            encoding: "utf8",
            env: { PATH: `${bin}:${process.env.PATH}`, CALLS: calls, MANIFEST, UNREADABLE: "", NO_CREDENTIALS: "", DENIED: "", DENIED_PUSH: "", PRESENT: "", BACKEND_IMAGE_SOURCE: SOURCE, ...env },
        });
        return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls: fs.readFileSync(calls, "utf8").trim().split("\n").filter(Boolean) };
    }
    /** The last line of stderr, which a failure's own "promote-image:" line must be. */
    const lastLine = (stderr: string) => stderr.trimEnd().split("\n").at(-1)!;

    it("copies a bare tag from BACKEND_IMAGE_SOURCE into the stack's repository by digest, every platform, and prints what to deploy; asks ECR for that one tag (ListImages under --output text answers one line per 100-image page: cli-usage-filter.html, aws/aws-cli#4847)", () => {
        const run = promote("1.4.2");
        expect(run.stderr).to.include(`${SOURCE}:1.4.2 is ${DIGEST}`);
        // A missing tag is ImageNotFoundException, the ordinary first copy: not an error, and not shown.
        expect(run.stderr).to.not.include("ImageNotFoundException");
        expect([run.status, run.stdout]).to.deep.equal([0, `${REPOSITORY}:1.4.2\n`]);
        // One login per registry, each with a token of its own region.
        expect(run.calls.slice(0, 4)).to.deep.equal([
            "aws ecr get-login-password --region eu-central-1",
            `docker login --username AWS --password-stdin ${REGISTRY}`,
            "aws ecr get-login-password --region us-east-1",
            "docker login --username AWS --password-stdin 111111111111.dkr.ecr.us-east-1.amazonaws.com",
        ]);
        expect(run.calls.slice(4)).to.deep.equal([`skopeo inspect --raw docker://${SOURCE}:1.4.2`, LOOKUP, `skopeo copy --all --preserve-digests docker://${SOURCE}@${DIGEST} docker://${REPOSITORY}:1.4.2`]);
    });

    it("copies a full reference from another registry under its tag, logging in to ECR only", () => {
        const run = promote("ghcr.io:443/example/backend:main-3f2a1c", { BACKEND_IMAGE_SOURCE: "" });
        expect([run.status, run.stdout]).to.deep.equal([0, `${REPOSITORY}:main-3f2a1c\n`]);
        expect(run.calls.filter((c) => c.startsWith("docker login"))).to.have.length(1);
        expect(run.calls.at(-1)).to.equal(`skopeo copy --all --preserve-digests docker://ghcr.io:443/example/backend@${DIGEST} docker://${REPOSITORY}:main-3f2a1c`);
    });

    it("is idempotent: a tag that already holds the image is left alone (a re-run, or development's own repository as the source)", () => {
        const run = promote("1.4.2", { PRESENT: DIGEST });
        expect([run.status, run.stdout]).to.deep.equal([0, `${REPOSITORY}:1.4.2\n`]);
        expect(run.stderr).to.include(`${REPOSITORY}:1.4.2 already holds ${DIGEST}; nothing to copy`);
        expect(run.calls.filter((c) => c.startsWith("skopeo copy"))).to.deep.equal([]);
    });

    it("fails, copying nothing, when the tag holds another image (tags are immutable), naming both digests and the fix; the comparison is exact", () => {
        const other = `sha256:${"b".repeat(64)}`;
        for (const present of [other, DIGEST.toUpperCase(), `${DIGEST} `]) {
            const run = promote("1.4.2", { PRESENT: present });
            expect([run.status, run.stdout], present).to.deep.equal([1, ""]);
            expect(lastLine(run.stderr)).to.equal(
                `promote-image: ${REPOSITORY}:1.4.2 already holds ${present}, not ${SOURCE}:1.4.2 (${DIGEST}): tags are immutable in slack-clone-backend-staging; push the new build under a new tag and deploy that`,
            );
            expect(run.calls.filter((c) => c.startsWith("skopeo copy"))).to.deep.equal([]);
        }
    });

    it("fails before any registry call on input it cannot deploy, each input's own problem first, saying what is expected", () => {
        const cases: [string, Record<string, string>, string, string][] = [
            ["1.4.2", { BACKEND_IMAGE_SOURCE: "" }, REPOSITORY, "BACKEND_IMAGE_SOURCE (the repository the backend's CI pushes to) is not set"],
            [`${SOURCE}@${DIGEST}`, {}, REPOSITORY, `"${SOURCE}@${DIGEST}" names a digest: give <registry>/<repository>:<tag>`],
            [`${SOURCE}:1.4.2@${DIGEST}`, {}, REPOSITORY, "names a digest"],
            [SOURCE, {}, REPOSITORY, `"${SOURCE}" has no tag: give <registry>/<repository>:<tag>`],
            ["ghcr.io/acme/backend", {}, REPOSITORY, '"ghcr.io/acme/backend" has no tag'],
            ["-1", {}, REPOSITORY, '"-1" is not an image tag'],
            // Without BACKEND_IMAGE_SOURCE, a bad tag or repository URL is still reported as itself.
            [".bad", { BACKEND_IMAGE_SOURCE: "" }, REPOSITORY, '".bad" is not an image tag'],
            ["1.4.2", { BACKEND_IMAGE_SOURCE: "" }, "slack-clone-backend-staging", '"slack-clone-backend-staging" is not an ECR repository URL'],
            ["1.4.2", {}, "", "is not an ECR repository URL"],
            ["1.4.2", {}, "ghcr.io/example/backend", "is not an ECR repository URL"],
            // The repository part too: a tag, a digest, a trailing slash or upper case would make a broken image reference.
            ["1.4.2", {}, `${REPOSITORY}:latest`, `in "${REPOSITORY}:latest" is not an ECR repository name`],
            ["1.4.2", {}, `${REPOSITORY}@${DIGEST}`, "is not an ECR repository name"],
            ["1.4.2", {}, `${REPOSITORY}/`, "is not an ECR repository name"],
            ["1.4.2", {}, REPOSITORY.replace(/[^/]+$/, "UPPER"), '"UPPER" in'],
            // A source with a tag or digest of its own would become <source>:latest:1.4.2.
            ["1.4.2", { BACKEND_IMAGE_SOURCE: "ghcr.io/acme/backend:latest" }, REPOSITORY, 'BACKEND_IMAGE_SOURCE "ghcr.io/acme/backend:latest" carries a tag or digest'],
            ["1.4.2", { BACKEND_IMAGE_SOURCE: `${SOURCE}@${DIGEST}` }, REPOSITORY, "carries a tag or digest"],
        ];
        for (const [image, env, repository, message] of cases) {
            const run = promote(image, env, repository);
            expect([run.status, run.stdout, run.calls], image).to.deep.equal([1, "", []]);
            expect(run.stderr, image).to.include(message);
            expect(run.stderr.trimEnd().split("\n"), image).to.have.length(1);
        }
        // A registry's port is not a tag, in the source as in a full reference.
        expect(promote("1.4.2", { BACKEND_IMAGE_SOURCE: "registry.example.com:5000/backend" }).calls.at(-1)).to.equal(
            `skopeo copy --all --preserve-digests docker://registry.example.com:5000/backend@${DIGEST} docker://${REPOSITORY}:1.4.2`,
        );
    });

    it("fails without credentials at the first login, the CLI's message then one line naming the step, the registry and the fix (no docker password error)", () => {
        const run = promote("1.4.2", { NO_CREDENTIALS: "1" });
        expect([run.status, run.stdout]).to.deep.equal([1, ""]);
        expect(run.stderr).to.include("Unable to locate credentials").and.not.include("non TTY");
        expect(lastLine(run.stderr)).to.match(new RegExp(`^promote-image: logging in to ${REGISTRY.replace(/\./g, "\\.")} failed: check this job's AWS credentials .*ecr:GetAuthorizationToken$`));
        expect(run.calls).to.deep.equal(["aws ecr get-login-password --region eu-central-1"]);
    });

    it("fails, copying nothing, when the source cannot be read, naming it, its registry and the fix", () => {
        const run = promote("1.4.2", { UNREADABLE: "1" });
        expect([run.status, run.stdout]).to.deep.equal([1, ""]);
        expect(run.stderr).to.include("manifest unknown");
        expect(lastLine(run.stderr)).to.include(`promote-image: cannot read ${SOURCE}:1.4.2 from 111111111111.dkr.ecr.us-east-1.amazonaws.com`).and.include("credentials");
        expect(run.calls.filter((c) => c.startsWith("skopeo copy") || c.startsWith("aws ecr describe-images"))).to.deep.equal([]);
    });

    it("fails, copying nothing, when the tag cannot be looked up (not a missing tag: a denied call), the CLI's message then the permission it needs", () => {
        const run = promote("1.4.2", { DENIED: "1" });
        expect([run.status, run.stdout]).to.deep.equal([1, ""]);
        expect(run.stderr).to.include("(AccessDeniedException)");
        expect(lastLine(run.stderr)).to.match(/^promote-image: looking up tag 1\.4\.2 in slack-clone-backend-staging \(210987654321\.dkr\.ecr\.eu-central-1\.amazonaws\.com\) failed: .*ecr:DescribeImages/);
        expect(run.calls.filter((c) => c.startsWith("skopeo copy"))).to.deep.equal([]);
    });

    it("fails when the copy is refused, the tool's message then one line naming the target and the push permissions", () => {
        const run = promote("1.4.2", { DENIED_PUSH: "1" });
        expect([run.status, run.stdout]).to.deep.equal([1, ""]);
        expect(run.stderr).to.include("denied: not authorized");
        expect(lastLine(run.stderr)).to.match(new RegExp(`^promote-image: copying ${SOURCE}:1\\.4\\.2 to ${REPOSITORY}:1\\.4\\.2 failed: .*ecr:PutImage$`));
    });
});

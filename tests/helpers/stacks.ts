/**
 * Evaluations of the real program for each stack, shared by every spec file: each stack is
 * evaluated once per test run, one after another (the SDK's runtime state is global).
 */
import { backendRepository } from "../../components/config";
import { CallHandler, EvaluateOptions, Evaluation, MOCK_ACCOUNT_ID, OutputFaker, STANDARD_CALLS, STANDARD_OUTPUTS, evaluateStack } from "../../harness/mock-engine";
import { projectStacks, readStackConfig } from "../../harness/stack-files";

export { rawConfig } from "../../harness/stack-files";

/** The project's stacks (harness/stack-files.ts `projectStacks`): a developer's own stack file is not tested. */
export const STACKS = projectStacks();

const cache = new Map<string, Promise<Evaluation>>();
let queue: Promise<unknown> = Promise.resolve();

/** Evaluations run strictly one at a time. */
export function serially<T>(work: () => Promise<T>): Promise<T> {
    const result = queue.then(work);
    queue = result.catch(() => undefined);
    return result;
}

/** The stack's evaluation with its committed config (memoized). */
export function stackEvaluation(stack: string): Promise<Evaluation> {
    let evaluation = cache.get(stack);
    if (evaluation === undefined) {
        evaluation = serially(() => evaluateStack(stack));
        cache.set(stack, evaluation);
    }
    return evaluation;
}

/**
 * `backendImage` as an application deploy leaves it: a tag in the repository of the stack's
 * environment (`slack-clone-backend-{environment}`), in its region and the mock engine's account.
 */
export function backendImage(stack: string, environment = stack): string {
    return `${backendRepository(environment, readStackConfig(stack)["aws:region"], MOCK_ACCOUNT_ID)}:1.0.0`;
}
const deployedCache = new Map<string, Promise<Evaluation>>();

/** The stack's evaluation with a backend image deployed (`backendImage` = backendImage(stack); memoized). */
export function deployedEvaluation(stack: string): Promise<Evaluation> {
    let evaluation = deployedCache.get(stack);
    if (evaluation === undefined) {
        evaluation = serially(() => evaluateStack(stack, { config: { "slack-clone:backendImage": backendImage(stack) } }));
        deployedCache.set(stack, evaluation);
    }
    return evaluation;
}

/** A fresh evaluation with config or mock overrides (not memoized). */
export function evaluateWith(stack: string, options: EvaluateOptions): Promise<Evaluation> {
    return serially(() => evaluateStack(stack, options));
}

/** The account and regions of `productionElsewhere`: none of them is written anywhere in the program. */
export const ELSEWHERE = {
    account: "210987654321",
    region: "eu-central-1",
    secondaryRegion: "eu-west-1",
    /** The stack's `aws:*` provider settings, which every explicit provider must carry too. */
    providerSettings: {
        "aws:profile": "chat-production",
        "aws:allowedAccountIds": JSON.stringify(["210987654321"]),
        "aws:assumeRoles": JSON.stringify([{ roleArn: "arn:aws:iam::210987654321:role/deploy", sessionName: "deploy" }]),
        "aws:ignoreTags": JSON.stringify({ keyPrefixes: ["kubernetes.io/"] }),
        // How the deploy reaches AWS: the same identity service, retries and proxy in every region.
        "aws:stsRegion": "eu-central-1",
        "aws:retryMode": "adaptive",
        "aws:maxRetries": "30",
        "aws:httpsProxy": "http://proxy.internal:3128",
    },
} as const;

let elsewhere: Promise<Evaluation> | undefined;

/**
 * Production deployed in another account and region than the mock engine's, with a custom domain
 * (so the CDN's us-east-1 provider exists) and the stack's AWS provider settings set (memoized):
 * one evaluation for the policy pack's region and account rules and the explicit providers' tests.
 */
export function productionElsewhere(): Promise<Evaluation> {
    const { account } = ELSEWHERE;
    const calls: Record<string, CallHandler> = {
        ...STANDARD_CALLS,
        "aws:index/getCallerIdentity:getCallerIdentity": (inputs, context) =>
            STANDARD_CALLS["aws:index/getCallerIdentity:getCallerIdentity"](inputs, { ...context, accountId: account }),
    };
    const outputs = Object.fromEntries(
        Object.entries(STANDARD_OUTPUTS).map(([type, fake]): [string, OutputFaker] => [type, (name, inputs, context) => fake(name, inputs, { ...context, accountId: account })]),
    );
    elsewhere ??= evaluateWith("production", {
        calls,
        outputs,
        config: {
            "aws:region": ELSEWHERE.region,
            "slack-clone:secondaryRegion": ELSEWHERE.secondaryRegion,
            "slack-clone:customDomain": "files.chat.example.com",
            "slack-clone:customDomainZoneId": "Z0123456789ABCDEFGHIJ",
            ...ELSEWHERE.providerSettings,
        },
    });
    return elsewhere;
}

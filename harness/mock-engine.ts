/**
 * Evaluates the program for a stack under the Pulumi SDK's mock engine, with no CLI and no AWS
 * account, and records every resource it declares: type, name, resolved inputs, and the options
 * the program passed (protect, retainOnDelete, parent, dependsOn, provider).
 *
 * Data-source calls are answered only when declared (`calls`); any other call fails the
 * evaluation loudly, naming the call. Used by the tests, the offline plan and the benchmark.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT_ROOT, readProject, readStackConfig, stackName } from "./stack-files";

// waitForRPCs is how the language host drains pending registrations before it exits.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };

/** The account id the mock engine answers with. */
export const MOCK_ACCOUNT_ID = "123456789012";

/** The CIDR of any existing VPC the program looks up (the default VPC's range, unlike `vpcCidr`'s default). */
export const MOCK_EXISTING_VPC_CIDR = "172.31.0.0/16";

export interface RecordedOptions {
    readonly protect?: boolean;
    readonly retainOnDelete?: boolean;
    readonly ignoreChanges?: readonly string[];
    readonly deleteBeforeReplace?: boolean;
    /** `type::name` of the parent resource; undefined for children of the stack. */
    readonly parent?: string;
    /** `type::name` of each explicit dependency. */
    readonly dependsOn: readonly string[];
    /** `type::name` of an explicit provider. */
    readonly provider?: string;
    /** How long the engine waits on the provider's create, update and delete (`"15m"`). */
    readonly customTimeouts?: pulumi.CustomTimeouts;
}

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    /** Inputs as the engine received them, fully resolved. */
    readonly inputs: Record<string, any>;
    /** Options exactly as the program passed them, before inheritance from the parent. */
    readonly options: RecordedOptions;
}

/** Context a call handler or output faker may use. */
export interface MockContext {
    readonly config: Readonly<Record<string, string>>;
    readonly region: string;
    readonly accountId: string;
}

export type CallHandler = (inputs: Record<string, any>, context: MockContext) => Record<string, any>;
/** Computed outputs of a resource type (the provider would return them). */
export type OutputFaker = (name: string, inputs: Record<string, any>, context: MockContext) => Record<string, any>;

/** The data-source calls the program makes, answered as a real account would. */
export const STANDARD_CALLS: Readonly<Record<string, CallHandler>> = {
    "aws:index/getCallerIdentity:getCallerIdentity": (_, c) => ({
        accountId: c.accountId,
        arn: `arn:aws:iam::${c.accountId}:user/mock`,
        userId: "AIDAMOCK",
        id: c.accountId,
    }),
    "aws:index/getRegion:getRegion": (inputs, c) => ({ name: inputs.region ?? c.region, region: inputs.region ?? c.region, id: c.region }),
    "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" }),
    // The AWS managed cache policies have the same ids in every account.
    "aws:cloudfront/getCachePolicy:getCachePolicy": (inputs) => {
        const managed: Record<string, string> = { "Managed-CachingOptimized": "658327ea-f89d-4fab-a63d-7e88639e58f6" };
        if (managed[inputs.name] === undefined) throw new Error(`No cache policy named ${inputs.name}`);
        return { id: managed[inputs.name], name: inputs.name };
    },
    "aws:ec2/getVpc:getVpc": (inputs) => ({ id: inputs.id, cidrBlock: MOCK_EXISTING_VPC_CIDR, state: "available" }),
};

/**
 * awsx.ec2.Vpc is a remote component: the engine sees it alone, none of its children. Its outputs,
 * as awsx builds them: per zone a private and a public subnet, each with its own route table and
 * association; NAT gateways per strategy. The resource-valued outputs (`routeTables`,
 * `routeTableAssociations`, ...) are resource references in a real deployment, plain objects here.
 */
function fakeAwsxVpc(name: string, inputs: Record<string, any>): Record<string, any> {
    const zones = Array.from({ length: inputs.numberOfAvailabilityZones ?? 3 }, (_, i) => i + 1);
    const subnets = zones.flatMap((zone) => ["private", "public"].map((type) => ({ type, zone, id: `subnet-${name}-${type}-${zone}` })));
    const routeTableId = (subnet: { type: string; zone: number }) => `rtb-${name}-${subnet.type}-${subnet.zone}`;
    const strategy = inputs.natGateways?.strategy ?? "OnePerAz";
    const natZones = strategy === "None" ? [] : strategy === "Single" ? [1] : zones;
    const vpcId = `vpc-${name}`;
    return {
        vpcId,
        vpc: { id: vpcId, cidrBlock: inputs.cidrBlock },
        subnets: subnets.map((s) => ({ id: s.id })),
        privateSubnetIds: subnets.filter((s) => s.type === "private").map((s) => s.id),
        publicSubnetIds: subnets.filter((s) => s.type === "public").map((s) => s.id),
        isolatedSubnetIds: [],
        routeTables: subnets.map((s) => ({ id: routeTableId(s) })),
        routeTableAssociations: subnets.map((s) => ({ id: `rtbassoc-${s.id}`, subnetId: s.id, routeTableId: routeTableId(s) })),
        natGateways: natZones.map((zone) => ({ id: `nat-${name}-${zone}` })),
        eips: natZones.map((zone) => ({ id: `eipalloc-${name}-${zone}` })),
        vpcEndpoints: [],
    };
}

/** A RandomPassword's result: `length` characters from the classes its inputs allow. */
function fakePassword(inputs: Record<string, any>): string {
    const alphabet = ["ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "0123456789", inputs.special === false ? "" : (inputs.overrideSpecial ?? "!@#$%&*()-_=+[]{}<>:?")].join("");
    return Array.from({ length: inputs.length }, (_, i) => alphabet[(i * 7) % alphabet.length]).join("");
}

/**
 * Outputs computed by AWS that the program reads, per resource type. `context.region` is the
 * region of the resource's explicit provider when it has one, else the stack's.
 */
export const STANDARD_OUTPUTS: Readonly<Record<string, OutputFaker>> = {
    "aws:lambda/function:Function": (_, inputs, c) => ({ arn: `arn:aws:lambda:${c.region}:${c.accountId}:function:${inputs.name}` }),
    "aws:s3/bucket:Bucket": (_, inputs, c) => ({
        arn: `arn:aws:s3:::${inputs.bucket}`,
        bucketRegionalDomainName: `${inputs.bucket}.s3.${c.region}.amazonaws.com`,
    }),
    "aws:dynamodb/table:Table": (_, inputs, c) => {
        const arn = `arn:aws:dynamodb:${c.region}:${c.accountId}:table/${inputs.name}`;
        return { arn, ...(inputs.streamEnabled ? { streamArn: `${arn}/stream/2026-01-01T00:00:00.000` } : {}) };
    },
    "aws:apigateway/restApi:RestApi": (name, _, c) => ({
        rootResourceId: `${name}-root`,
        arn: `arn:aws:apigateway:${c.region}::/restapis/${name}`,
        executionArn: `arn:aws:execute-api:${c.region}:${c.accountId}:${name}`,
    }),
    "aws:apigateway/stage:Stage": (_, inputs, c) => ({
        arn: `arn:aws:apigateway:${c.region}::/restapis/${inputs.restApi}/stages/${inputs.stageName}`,
        invokeUrl: `https://${inputs.restApi}.execute-api.${c.region}.amazonaws.com/${inputs.stageName}`,
        executionArn: `arn:aws:execute-api:${c.region}:${c.accountId}:${inputs.restApi}/${inputs.stageName}`,
    }),
    "aws:cloudwatch/logGroup:LogGroup": (_, inputs, c) => ({ arn: `arn:aws:logs:${c.region}:${c.accountId}:log-group:${inputs.name}` }),
    "aws:iam/role:Role": (name, inputs, c) => {
        const roleName = inputs.name ?? `${inputs.namePrefix ?? ""}${name}`;
        return { name: roleName, arn: `arn:aws:iam::${c.accountId}:role/${roleName}` };
    },
    "aws:cloudfront/distribution:Distribution": (name, _, c) => ({
        arn: `arn:aws:cloudfront::${c.accountId}:distribution/${name}`,
        domainName: `${name}.cloudfront.net`,
        hostedZoneId: "Z2FDTNDATAQYW2",
    }),
    "aws:acm/certificate:Certificate": (name, inputs, c) => ({
        arn: `arn:aws:acm:${c.region}:${c.accountId}:certificate/${name}`,
        domainValidationOptions: [
            {
                domainName: inputs.domainName,
                resourceRecordName: `_${name}.${inputs.domainName}.`,
                resourceRecordType: "CNAME",
                resourceRecordValue: `_${name}.acm-validations.aws.`,
            },
        ],
    }),
    "aws:route53/record:Record": (_, inputs) => ({ fqdn: String(inputs.name).replace(/\.$/, "") }),
    "awsx:ec2:Vpc": (name, inputs) => fakeAwsxVpc(name, inputs),
    "random:index/randomPassword:RandomPassword": (_, inputs) => ({ result: fakePassword(inputs) }),
    "aws:elasticache/replicationGroup:ReplicationGroup": (_, inputs, c) => {
        const id = inputs.replicationGroupId;
        const host = (role: string) => `${role}.${id}.abc123.${c.region}.cache.amazonaws.com`;
        return {
            arn: `arn:aws:elasticache:${c.region}:${c.accountId}:replicationgroup:${id}`,
            primaryEndpointAddress: host("master"),
            readerEndpointAddress: host("replica"),
            memberClusters: Array.from({ length: inputs.numCacheClusters ?? 1 }, (_, i) => `${id}-${String(i + 1).padStart(3, "0")}`),
        };
    },
    "aws:backup/vault:Vault": (_, inputs, c) => ({ arn: `arn:aws:backup:${c.region}:${c.accountId}:backup-vault:${inputs.name}` }),
    "aws:backup/plan:Plan": (_, inputs, c) => ({ arn: `arn:aws:backup:${c.region}:${c.accountId}:backup-plan:${inputs.name}` }),
    "aws:sns/topic:Topic": (_, inputs, c) => ({ arn: `arn:aws:sns:${c.region}:${c.accountId}:${inputs.name}` }),
    "aws:sqs/queue:Queue": (_, inputs, c) => ({
        arn: `arn:aws:sqs:${c.region}:${c.accountId}:${inputs.name}`,
        url: `https://sqs.${c.region}.amazonaws.com/${c.accountId}/${inputs.name}`,
    }),
    "aws:cloudtrail/trail:Trail": (_, inputs, c) => ({ arn: `arn:aws:cloudtrail:${c.region}:${c.accountId}:trail/${inputs.name}` }),
    // Secrets Manager appends a 6-character suffix to the secret's name in its ARN.
    "aws:secretsmanager/secret:Secret": (_, inputs, c) => ({ arn: `arn:aws:secretsmanager:${c.region}:${c.accountId}:secret:${inputs.name}-AbCdEf` }),
    "aws:wafv2/webAcl:WebAcl": (name, inputs, c) => ({
        arn: `arn:aws:wafv2:${c.region}:${c.accountId}:regional/webacl/${inputs.name}/${name}-id`,
    }),
    "aws:ecr/repository:Repository": (_, inputs, c) => ({
        arn: `arn:aws:ecr:${c.region}:${c.accountId}:repository/${inputs.name}`,
        repositoryUrl: `${c.accountId}.dkr.ecr.${c.region}.amazonaws.com/${inputs.name}`,
    }),
    "aws:ecs/cluster:Cluster": (_, inputs, c) => ({ arn: `arn:aws:ecs:${c.region}:${c.accountId}:cluster/${inputs.name}` }),
    "aws:ecs/taskDefinition:TaskDefinition": (_, inputs, c) => ({ arn: `arn:aws:ecs:${c.region}:${c.accountId}:task-definition/${inputs.family}:1` }),
    "aws:lb/loadBalancer:LoadBalancer": (_, inputs, c) => {
        const arnSuffix = `app/${inputs.name}/50dc6c495c0c9188`;
        return {
            arn: `arn:aws:elasticloadbalancing:${c.region}:${c.accountId}:loadbalancer/${arnSuffix}`,
            arnSuffix,
            dnsName: `internal-${inputs.name}-1234567890.${c.region}.elb.amazonaws.com`,
        };
    },
    "aws:lb/targetGroup:TargetGroup": (_, inputs, c) => {
        const arnSuffix = `targetgroup/${inputs.name}/73e2d6bc24d8a067`;
        return { arn: `arn:aws:elasticloadbalancing:${c.region}:${c.accountId}:${arnSuffix}`, arnSuffix };
    },
    "aws:lb/listener:Listener": (name, _, c) => ({ arn: `arn:aws:elasticloadbalancing:${c.region}:${c.accountId}:listener/app/${name}` }),
};

export interface EvaluateOptions {
    /** Data-source calls to answer; any other call fails. Default: STANDARD_CALLS. */
    readonly calls?: Readonly<Record<string, CallHandler>>;
    /** Computed outputs per resource type, over STANDARD_OUTPUTS. */
    readonly outputs?: Readonly<Record<string, OutputFaker>>;
    /** Config values (`namespace:key`) over the stack file's, e.g. to turn a feature on. */
    readonly config?: Readonly<Record<string, string>>;
    /** The stack name the program runs as (`pulumi.getStack()`), for a stack configured from another's file. Default: the file's. */
    readonly stackName?: string;
}

export interface Evaluation {
    readonly stack: string;
    readonly config: Readonly<Record<string, string>>;
    readonly resources: readonly RecordedResource[];
    /** Stack outputs, resolved to plain values. */
    readonly outputs: Record<string, any>;
    /** The program's exports before resolution (Outputs keep their secretness). */
    readonly exports: Record<string, any>;
}

/** After a failed evaluation, its handler stays until the next evaluation starts, swallowing the echoes. */
let failedHandler: ((reason: unknown) => void) | undefined;
function ignoreEchoes(handler: (reason: unknown) => void): void {
    failedHandler = handler;
}

/**
 * Runs `program` inside a root Stack resource, as the language host does, for `stack` with the
 * given config, and records every resource. `program` returns the stack's outputs.
 */
export async function evaluate(
    stack: string,
    config: Readonly<Record<string, string>>,
    program: () => Record<string, any> | Promise<Record<string, any>>,
    options: Omit<EvaluateOptions, "config"> = {},
): Promise<Evaluation> {
    const project = readProject().name;
    const context: MockContext = { config, region: config["aws:region"] ?? "us-east-1", accountId: MOCK_ACCOUNT_ID };
    const calls = options.calls ?? STANDARD_CALLS;
    const fakers = { ...STANDARD_OUTPUTS, ...options.outputs };

    const declared = new Map<string, { type: string; name: string; options: RecordedOptions }>();
    const inputs = new Map<string, Record<string, any>>();
    // Custom or component, as registered: the transformation runs too early to ask the resource itself.
    const custom = new Map<string, boolean>();
    const keys = new WeakMap<pulumi.Resource, string>();
    const failures: Error[] = [];

    /** The region of an explicit provider (a reference ends with its `type::name` mock id), else the stack's. */
    const regionOf = (provider: string | undefined): string => {
        const match = [...inputs].find(([id]) => id.startsWith("pulumi:providers:") && provider?.endsWith(`::${id}`) === true);
        return typeof match?.[1].region === "string" ? match[1].region : context.region;
    };

    pulumi.runtime.setAllConfig({ ...config });
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                inputs.set(mockId(args), args.inputs);
                custom.set(mockId(args), args.custom === true);
                const faker = fakers[args.type];
                const computed = faker ? faker(args.name, args.inputs, { ...context, region: regionOf(args.provider) }) : {};
                // Components have no id; a remote component's (awsx) outputs come from its faker.
                if (!args.custom) return { id: undefined, state: computed };
                return { id: mockId(args), state: { ...args.inputs, ...computed } };
            },
            call: (args) => {
                const handler = calls[args.token];
                if (handler === undefined) {
                    const error = new Error(
                        `Unexpected data-source call ${args.token}(${JSON.stringify(args.inputs)}): declare it in the evaluation's calls`,
                    );
                    failures.push(error);
                    throw error;
                }
                return handler(args.inputs, context);
            },
        },
        project,
        stack,
        false,
    );

    const record: pulumi.ResourceTransformation = ({ resource, type, name, opts }) => {
        const id = mockId({ type, name });
        keys.set(resource, id);
        const ref = (r: unknown) => (pulumi.Resource.isInstance(r) ? keys.get(r) : undefined);
        const dependsOn = Array.isArray(opts.dependsOn) ? opts.dependsOn : opts.dependsOn ? [opts.dependsOn] : [];
        declared.set(id, {
            type,
            name,
            options: {
                protect: opts.protect,
                retainOnDelete: opts.retainOnDelete,
                ignoreChanges: opts.ignoreChanges,
                deleteBeforeReplace: (opts as pulumi.CustomResourceOptions).deleteBeforeReplace,
                parent: ref(opts.parent),
                dependsOn: dependsOn.map(ref).filter((d): d is string => d !== undefined),
                provider: ref((opts as pulumi.CustomResourceOptions).provider),
                customTimeouts: opts.customTimeouts,
            },
        });
        return undefined;
    };

    // A resource whose inputs reject (an `apply` that throws, a name check on an output) fails its
    // registration with nothing awaiting it: the language host would exit on the unhandled rejection;
    // here it fails this evaluation. Once an evaluation has failed, the SDK's dependent promises
    // echo that rejection with the cause stripped, later: those are ignored.
    let rejected: (error: Error) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => (rejected = reject));
    failed.catch(() => undefined);
    const onRejection = (reason: unknown) => {
        if (failures.length > 0) return;
        const error = reason instanceof Error ? reason : new Error(String(reason));
        failures.push(error);
        // What waits on the failed resource would wait forever: stop waiting.
        rejected(error);
    };
    if (failedHandler !== undefined) process.off("unhandledRejection", failedHandler);
    failedHandler = undefined;
    process.on("unhandledRejection", onRejection);

    let exported: Record<string, any> = {};
    let outputs: Record<string, any> | undefined;
    // The SDK records a stack trace on every promise it makes, for its leak report; with source maps
    // (tsx) that is most of an evaluation's time. Errors keep their messages; MOCK_ENGINE_STACK_TRACES=1
    // keeps the traces too, for debugging the program.
    const stackTraceLimit = Error.stackTraceLimit;
    if (process.env.MOCK_ENGINE_STACK_TRACES !== "1") Error.stackTraceLimit = 0;
    try {
        const run = pulumi.runtime.runInPulumiStack(async () => {
            pulumi.runtime.registerStackTransformation(record);
            try {
                exported = await program();
            } catch (error) {
                // Reported below; the Stack itself completes, so no promise is left rejected.
                failures.push(error as Error);
            }
            return exported;
        });
        outputs = await Promise.race([run, failed]);
        await Promise.race([waitForRPCs(), failed]);
        // Rejections are reported after the microtasks that made them: let them arrive.
        await new Promise((resolve) => setImmediate(resolve));
    } catch (error) {
        failures.push(error as Error);
    } finally {
        Error.stackTraceLimit = stackTraceLimit;
    }
    if (failures.length > 0) {
        ignoreEchoes(onRejection);
        throw failures[0];
    }
    process.off("unhandledRejection", onRejection);

    const resources = [...declared.entries()].map(([id, d]) => ({ ...d, custom: custom.get(id) ?? false, inputs: inputs.get(id) ?? {} }));
    return { stack, config, resources, outputs: (outputs ?? {}) as Record<string, any>, exports: exported };
}

const PROGRAM = path.join(PROJECT_ROOT, "index.ts");

/** Evaluates index.ts for a stack (`stack`, `org/stack` or `org/project/stack`), with its config read from the stack files as the CLI would. */
export async function evaluateStack(reference: string, options: EvaluateOptions = {}): Promise<Evaluation> {
    const config = { ...readStackConfig(reference), ...options.config };
    return evaluate(
        options.stackName ?? stackName(reference),
        config,
        () => {
            // index.ts runs top-level code: load it afresh for every stack.
            delete require.cache[require.resolve(PROGRAM)];
            return require(PROGRAM);
        },
        options,
    );
}

/**
 * `evaluate(stack)` (default: evaluateStack), its failure prefixed with the stack it is about,
 * `Stack <stack>: <message>`, for the commands that evaluate several stacks in turn.
 */
export function evaluateNamed(stack: string, evaluate: (stack: string) => Promise<Evaluation> = (s) => evaluateStack(s)): Promise<Evaluation> {
    return evaluate(stack).catch((error: Error) => {
        throw new Error(`Stack ${stack}: ${error.message}`);
    });
}

/** Query helpers over an evaluation's recorded resources. */
export function ofType(evaluation: Evaluation, type: string): RecordedResource[] {
    return evaluation.resources.filter((r) => r.type === type);
}

/** The id the mock engine gives a resource (`type::name`), as other resources' inputs carry it. */
export function mockId(resource: Pick<RecordedResource, "type" | "name">): string {
    return `${resource.type}::${resource.name}`;
}

/** The input holding a resource's own physical name, where it is not `name`. */
const PHYSICAL_NAME_INPUT: Readonly<Record<string, string>> = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:elasticache/replicationGroup:ReplicationGroup": "replicationGroupId",
    "aws:cloudwatch/dashboard:Dashboard": "dashboardName",
};

/** The input that holds a resource's own physical name: `name`, or `bucket` for a bucket, ... */
export function physicalNameInput(resource: Pick<RecordedResource, "type">): string {
    return PHYSICAL_NAME_INPUT[resource.type] ?? "name";
}

/** A resource's own physical name, when the program sets one. */
export function physicalNameOf(resource: Pick<RecordedResource, "type" | "inputs">): string | undefined {
    const value: unknown = resource.inputs[physicalNameInput(resource)];
    return typeof value === "string" ? value : undefined;
}

export function byName(evaluation: Evaluation, type: string, name: string): RecordedResource {
    const found = evaluation.resources.find((r) => r.type === type && r.name === name);
    if (found === undefined) {
        const names = ofType(evaluation, type).map((r) => r.name);
        throw new Error(`No ${type} named "${name}" in stack ${evaluation.stack}; there are: ${names.join(", ") || "none"}`);
    }
    return found;
}

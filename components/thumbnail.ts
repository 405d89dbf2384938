import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { buildSync } from "esbuild";
import { THUMBNAILS_PREFIX, UPLOADS_PREFIX, UPLOAD_SUFFIX } from "../functions/thumbnail/keys";
import { physicalName } from "./naming";
import { ServiceRole, createServiceRole } from "./service-role";

export interface ThumbnailFunctionArgs {
    /** Environment name, the last part of the function's name. */
    readonly environment: string;
    /** Uploads under `uploads/` of this bucket trigger the function. Its notification configuration is created here. */
    readonly filesBucket: aws.s3.Bucket;
    /** Thumbnails are written under `thumbnails/` of this bucket, so they can never trigger the function. */
    readonly thumbnailsBucket: aws.s3.Bucket;
    /** The account that owns the files bucket (the invoke permission is scoped to it). */
    readonly accountId: pulumi.Input<string>;
    /** Thumbnails fit inside a square of this many pixels. */
    readonly maxDimension: number;
    /** Retention of the function's log group, in days. */
    readonly logRetentionDays: number;
}

const THUMBNAIL_RUNTIME = "nodejs24.x";
const THUMBNAIL_MEMORY_MB = 512;
const THUMBNAIL_TIMEOUT_SECONDS = 30;
/** Asynchronous invocations that fail are retried this many times, then sent to the on-failure queue. */
const THUMBNAIL_RETRY_ATTEMPTS = 2;
/** The on-failure queue keeps a failed event this long: the SQS maximum, 14 days (SQS developer guide, "Amazon SQS quotas"). */
export const FAILURE_RETENTION_SECONDS = 1209600;

/**
 * The thumbnail Lambda (functions/thumbnail), its role, log group and S3 trigger: ObjectCreated on
 * `uploads/*.jpg` of the files bucket, through a notification that depends on an invoke permission
 * scoped to that bucket and account.
 */
export class ThumbnailFunction extends pulumi.ComponentResource {
    public readonly lambda: aws.lambda.Function;
    /**
     * Where an upload's event goes when its thumbnail failed after every retry (the function's
     * on-failure destination): `slack-clone-thumbnail-failures-{environment}`, encrypted, 14 days.
     */
    public readonly failureQueue: aws.sqs.Queue;

    constructor(name: string, args: ThumbnailFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slack-clone:storage:ThumbnailFunction", name, {}, opts);
        const functionName = physicalName("thumbnail", args.environment);

        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            { name: `/aws/lambda/${functionName}`, retentionInDays: args.logRetentionDays },
            { parent: this },
        );
        this.failureQueue = new aws.sqs.Queue(
            `${name}-failures`,
            {
                name: physicalName("thumbnail-failures", args.environment),
                sqsManagedSseEnabled: true,
                messageRetentionSeconds: FAILURE_RETENTION_SECONDS,
            },
            { parent: this },
        );
        const role = this.createRole(name, functionName, args, logGroup, this.failureQueue);
        this.lambda = new aws.lambda.Function(
            name,
            {
                name: functionName,
                role: role.role.arn,
                runtime: THUMBNAIL_RUNTIME,
                architectures: ["x86_64"],
                handler: "index.handler",
                code: thumbnailCode(),
                memorySize: THUMBNAIL_MEMORY_MB,
                timeout: THUMBNAIL_TIMEOUT_SECONDS,
                environment: {
                    variables: { THUMBNAILS_BUCKET: args.thumbnailsBucket.bucket, THUMBNAIL_MAX_DIMENSION: String(args.maxDimension) },
                },
                loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
            },
            { parent: this, dependsOn: [role.policy] },
        );
        new aws.lambda.FunctionEventInvokeConfig(
            `${name}-async`,
            {
                functionName: this.lambda.name,
                maximumRetryAttempts: THUMBNAIL_RETRY_ATTEMPTS,
                // The event (bucket and key) of an upload whose thumbnail failed is kept, not dropped.
                destinationConfig: { onFailure: { destination: this.failureQueue.arn } },
            },
            // Lambda checks the destination permission when the configuration is saved.
            { parent: this, dependsOn: [role.policy] },
        );
        this.createTrigger(name, args);
        this.registerOutputs({ functionName: this.lambda.name, failureQueueName: this.failureQueue.name });
    }

    /** Its own role: read uploads, write thumbnails, write to its log group, send failed events to its queue. Nothing else. */
    private createRole(name: string, functionName: string, args: ThumbnailFunctionArgs, logGroup: aws.cloudwatch.LogGroup, failureQueue: aws.sqs.Queue): ServiceRole {
        return createServiceRole(
            {
                names: { role: `${name}-role`, policy: `${name}-policy` },
                name: functionName,
                service: "lambda.amazonaws.com",
                statements: [
                    {
                        Sid: "ReadUploads",
                        Effect: "Allow",
                        Action: "s3:GetObject",
                        Resource: pulumi.interpolate`${args.filesBucket.arn}/${UPLOADS_PREFIX}*`,
                    },
                    {
                        Sid: "WriteThumbnails",
                        Effect: "Allow",
                        Action: "s3:PutObject",
                        Resource: pulumi.interpolate`${args.thumbnailsBucket.arn}/${THUMBNAILS_PREFIX}*`,
                    },
                    {
                        // Lambda sends an on-failure destination's message with the function's role.
                        Sid: "SendFailedEvents",
                        Effect: "Allow",
                        Action: "sqs:SendMessage",
                        Resource: failureQueue.arn,
                    },
                    {
                        Sid: "WriteLogs",
                        Effect: "Allow",
                        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                        Resource: pulumi.interpolate`${logGroup.arn}:*`,
                    },
                ],
            },
            { parent: this },
        );
    }

    private createTrigger(name: string, args: ThumbnailFunctionArgs): void {
        const permission = new aws.lambda.Permission(
            `${name}-invoke`,
            {
                function: this.lambda.name,
                action: "lambda:InvokeFunction",
                principal: "s3.amazonaws.com",
                sourceArn: args.filesBucket.arn,
                sourceAccount: args.accountId,
            },
            { parent: this },
        );
        new aws.s3.BucketNotification(
            `${name}-trigger`,
            {
                bucket: args.filesBucket.bucket,
                lambdaFunctions: [
                    {
                        lambdaFunctionArn: this.lambda.arn,
                        events: ["s3:ObjectCreated:*"],
                        filterPrefix: UPLOADS_PREFIX,
                        filterSuffix: UPLOAD_SUFFIX,
                    },
                ],
            },
            { parent: this, dependsOn: [permission] },
        );
    }
}

const HANDLER = path.join(__dirname, "..", "functions", "thumbnail", "handler.ts");
/** sharp's native packages for Lambda's x86_64 architecture (glibc). */
const LINUX_X64_PACKAGES = ["@img/sharp-linux-x64", "@img/sharp-libvips-linux-x64"];

let code: pulumi.asset.AssetArchive | undefined;

/**
 * The function's code, built once per process: the handler bundled with the AWS SDK into
 * `index.js` (sharp left out), and sharp with its dependencies and its linux-x64 native packages
 * (`sharp-*.node`, libvips) under `node_modules/`, file by file.
 */
export function thumbnailCode(): pulumi.asset.AssetArchive {
    code ??= new pulumi.asset.AssetArchive({
        "index.js": new pulumi.asset.StringAsset(bundleHandler()),
        ...Object.fromEntries(
            runtimePackageFiles().map(({ archivePath, file }) => [archivePath, new pulumi.asset.FileAsset(file)]),
        ),
    });
    return code;
}

function bundleHandler(): string {
    const result = buildSync({
        entryPoints: [HANDLER],
        bundle: true,
        platform: "node",
        target: "node22",
        format: "cjs",
        external: ["sharp"],
        write: false,
        logLevel: "silent",
    });
    return result.outputFiles[0].text;
}

/** Every file of sharp, of its dependencies (recursively) and of its linux-x64 packages, at its node_modules path. */
function runtimePackageFiles(): { archivePath: string; file: string }[] {
    const root = path.join(__dirname, "..");
    const packages = new Set<string>();
    const visit = (name: string, from: string) => {
        const dir = findPackage(name, from);
        if (packages.has(dir)) return;
        packages.add(dir);
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
        for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, dir);
    };
    visit("sharp", root);
    const sharp = findPackage("sharp", root);
    for (const name of LINUX_X64_PACKAGES) visit(name, sharp);

    return [...packages].flatMap((dir) =>
        listFiles(dir).map((file) => ({ archivePath: path.relative(root, file).split(path.sep).join("/"), file })),
    );
}

/** The directory of package `name` as Node would resolve it from `from`. */
function findPackage(name: string, from: string): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        const candidate = path.join(dir, "node_modules", name);
        if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
        if (path.dirname(dir) === dir) {
            throw new Error(
                `The thumbnail function needs the package ${name}, which is not installed. sharp installs the native ` +
                    "packages of the machine it is installed on; on other machines run: npm install --os=linux --cpu=x64 sharp",
            );
        }
    }
}

/** Files under `dir`, sorted, leaving out nested node_modules (those are packages of their own). */
function listFiles(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .sort((a, b) => a.name.localeCompare(b.name))
        .flatMap((entry) => {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) return entry.name === "node_modules" ? [] : listFiles(full);
            return entry.isFile() ? [full] : [];
        });
}

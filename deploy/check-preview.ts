/**
 * The pull-request guard on data: reads the JSON document of `pulumi preview --json` and fails,
 * naming each resource, when a step would delete or replace a protected resource, a DynamoDB
 * table or an S3 bucket.
 *
 *   tsx deploy/check-preview.ts <preview.json> [--allow-data-replacement]
 *
 * `--allow-data-replacement` lets unprotected tables and buckets go (a deliberate removal); a
 * protected resource always fails, even one this change unprotects.
 */
import * as fs from "fs";
import { parseArgs } from "util";
import { runMain } from "./command-line";
import type { OpType } from "@pulumi/pulumi/automation";

/** The fields of a step's old or new resource state that the guard reads. */
interface StepState {
    readonly type?: string;
    readonly protect?: boolean;
}

/** One step of the preview (the CLI's `previewStep`). */
export interface PreviewStep {
    readonly op: OpType;
    readonly urn: string;
    readonly oldState?: StepState;
    readonly newState?: StepState;
}

/** The document `pulumi preview --json` prints; `steps` is omitted when there are none. */
export interface PreviewDigest {
    readonly steps?: readonly PreviewStep[];
}

/** A resource the preview would destroy, with the steps that would do it. */
export interface DataLoss {
    readonly urn: string;
    readonly type: string;
    readonly ops: readonly OpType[];
    readonly protected: boolean;
}

/** Ops that delete the cloud resource, or replace it with a new one (the three parts of a replacement). */
const DESTRUCTIVE_OPS: ReadonlySet<OpType> = new Set<OpType>([
    "delete",
    "replace",
    "create-replacement",
    "delete-replaced",
    "import-replacement",
]);

/** Resource types that hold the product's data, guarded whether or not they are protected. */
const DATA_TYPES: ReadonlySet<string> = new Set(["aws:dynamodb/table:Table", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"]);

/** The resource type of a URN (`urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>`). */
function typeOfUrn(urn: string): string {
    return urn.split("::")[2]?.split("$").pop() ?? "";
}

/**
 * Every protected resource, table or bucket that the preview would delete or replace, one entry per
 * URN; with `allowDataReplacement`, only the protected ones.
 */
export function findDataLoss(digest: PreviewDigest, options: { readonly allowDataReplacement?: boolean } = {}): DataLoss[] {
    const found = new Map<string, DataLoss>();
    for (const step of digest.steps ?? []) {
        if (!DESTRUCTIVE_OPS.has(step.op)) continue;
        const type = step.oldState?.type ?? step.newState?.type ?? typeOfUrn(step.urn);
        const isProtected = step.oldState?.protect === true || step.newState?.protect === true;
        if (!isProtected && !DATA_TYPES.has(type)) continue;
        const seen = found.get(step.urn);
        found.set(step.urn, {
            urn: step.urn,
            type,
            ops: [...(seen?.ops ?? []), step.op],
            protected: isProtected || (seen?.protected ?? false),
        });
    }
    return [...found.values()].filter((loss) => loss.protected || options.allowDataReplacement !== true);
}

/** The preview document in `file`; throws naming the file when it is not `pulumi preview --json` output. */
function readDigest(file: string): PreviewDigest {
    let digest: unknown;
    try {
        digest = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (error) {
        throw new Error(`${file}: ${(error as Error).message} (expected the output of pulumi preview --json)`);
    }
    if (typeof digest !== "object" || digest === null || Array.isArray(digest)) {
        throw new Error(`${file}: not the output of pulumi preview --json (a JSON object with "steps")`);
    }
    return digest as PreviewDigest;
}

function describeLoss(loss: DataLoss): string {
    const name = loss.urn.split("::").pop();
    return `${name} (${loss.type}): ${loss.ops.join(", ")}${loss.protected ? " [protected]" : ""}\n    ${loss.urn}`;
}

/** Reads `pulumi preview --json` output from the file `argv` names; sets exit code 1 when data would be lost. Throws on a bad command line or a file that is not that JSON document. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
    const { positionals, values } = parseArgs({
        args: [...argv],
        allowPositionals: true,
        options: { "allow-data-replacement": { type: "boolean", default: false } },
    });
    if (positionals.length !== 1) {
        throw new Error("Usage: tsx deploy/check-preview.ts <preview.json> [--allow-data-replacement]");
    }
    const digest = readDigest(positionals[0]);
    const blocking = findDataLoss(digest, { allowDataReplacement: values["allow-data-replacement"] });
    if (blocking.length === 0) {
        console.log(`check-preview: no protected resource, table or bucket would be deleted or replaced (${digest.steps?.length ?? 0} steps read).`);
        return;
    }
    console.error(
        [
            `check-preview: this change would delete or replace ${blocking.length} protected resource(s), table(s) or bucket(s):`,
            ...blocking.map((loss) => `  - ${describeLoss(loss)}`),
            "A protected resource first loses its protection in a deploy of its own (README.md, Continuous delivery).",
            "An unprotected table or bucket may go on purpose: label the pull request allow-data-replacement.",
        ].join("\n"),
    );
    process.exitCode = 1;
}

if (require.main === module) runMain("check-preview", main);

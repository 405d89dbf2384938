/**
 * The thumbnail Lambda. For each S3 ObjectCreated record (an upload under `uploads/` of the files
 * bucket), it writes a JPEG that fits inside a square box, keeping the aspect ratio, turned upright
 * by its EXIF orientation and stripped of metadata, to `thumbnails/<same path>` of the thumbnails
 * bucket.
 *
 * Bad input (an empty object, a non-image, a corrupt JPEG, a decompression bomb over the pixel cap,
 * an object over the size cap, a key outside `uploads/`, a record whose key is not valid
 * percent-encoding or that has no key) is logged with the key and the reason and
 * skipped: it never fails the invocation, so it is never retried. Any other failure (S3 denied or
 * unavailable) is logged too, and fails the invocation once every record has been tried, so
 * Lambda's bounded asynchronous retries can redo it; writing a thumbnail again is harmless. An
 * event with no `Records` list is not an S3 notification: it is logged and rejected with an error
 * saying so.
 *
 * `handler` is the Lambda entry point (config from the environment, default S3 client);
 * `createHandler` builds the same handler around any S3 client, e.g. one for a local S3.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { S3Event, S3EventRecord } from "aws-lambda";
import sharp from "sharp";
import { UPLOADS_PREFIX, decodeEventKey, thumbnailKey } from "./keys";

/** Default edge of the box a thumbnail fits in, in pixels. */
export const DEFAULT_MAX_DIMENSION = 256;
/** Images with more pixels are refused before decoding (48 MP phone photos pass). */
export const DEFAULT_MAX_INPUT_PIXELS = 50_000_000;
/** Objects larger than this are refused before download (the function has 512 MB). */
export const DEFAULT_MAX_INPUT_BYTES = 50 * 1024 * 1024;
export const THUMBNAIL_CONTENT_TYPE = "image/jpeg";
const JPEG_QUALITY = 80;

export interface LogEntry {
    readonly level: "info" | "warn" | "error";
    readonly message: string;
    /** The object key, decoded. */
    readonly key: string;
    readonly reason?: string;
    readonly thumbnailKey?: string;
}

export interface ThumbnailOptions {
    /** Any S3 client: the Lambda's default one, or one pointed at a local S3. */
    readonly s3: Pick<S3Client, "send">;
    /** Bucket the thumbnails are written to. */
    readonly thumbnailsBucket: string;
    /** Thumbnails fit inside a square of this many pixels. @default 256 */
    readonly maxDimension?: number;
    /** @default 50_000_000 */
    readonly maxInputPixels?: number;
    /** @default 50 MiB */
    readonly maxInputBytes?: number;
    /** Receives one entry per record. @default one JSON line on the console */
    readonly log?: (entry: LogEntry) => void;
}

export interface ThumbnailResult {
    /** Thumbnail keys written. */
    readonly written: string[];
    /** Records skipped as bad input, with the reason. */
    readonly skipped: { readonly key: string; readonly reason: string }[];
}

/** Input that no retry can fix. */
class BadInput extends Error {}

const consoleLog = (entry: LogEntry) => (entry.level === "info" ? console.log : console.warn)(JSON.stringify(entry));

export function createHandler(options: ThumbnailOptions): (event: S3Event) => Promise<ThumbnailResult> {
    const { s3, thumbnailsBucket, log = consoleLog } = options;
    const maxDimension = options.maxDimension ?? DEFAULT_MAX_DIMENSION;
    const maxInputPixels = options.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
    const maxInputBytes = options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
    if (!thumbnailsBucket) throw new Error("thumbnailsBucket is required");
    if (!Number.isInteger(maxDimension) || maxDimension < 1) {
        throw new Error(`maxDimension must be a positive integer; got ${maxDimension}`);
    }

    async function read(bucket: string, key: string): Promise<Uint8Array> {
        let object;
        try {
            object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        } catch (error) {
            if ((error as Error).name === "NoSuchKey") throw new BadInput("the object no longer exists");
            throw error;
        }
        if ((object.ContentLength ?? 0) > maxInputBytes) {
            (object.Body as { destroy?: () => void } | undefined)?.destroy?.(); // free the connection unread
            throw new BadInput(`the object is ${object.ContentLength} bytes, over the ${maxInputBytes}-byte cap`);
        }
        const body = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
        if (body.length === 0) throw new BadInput("the object is empty");
        return body;
    }

    async function resize(input: Uint8Array): Promise<Buffer> {
        try {
            return await sharp(input, { limitInputPixels: maxInputPixels, autoOrient: true })
                .resize({ width: maxDimension, height: maxDimension, fit: "inside", withoutEnlargement: true })
                .jpeg({ quality: JPEG_QUALITY })
                .toBuffer();
        } catch (error) {
            throw new BadInput(`not a readable image: ${(error as Error).message}`);
        }
    }

    async function thumbnail(bucket: string, key: string): Promise<string> {
        if (!key.startsWith(UPLOADS_PREFIX)) throw new BadInput(`the key is not under ${UPLOADS_PREFIX}`);
        const output = await resize(await read(bucket, key));
        const target = thumbnailKey(key);
        await s3.send(
            new PutObjectCommand({ Bucket: thumbnailsBucket, Key: target, Body: output, ContentType: THUMBNAIL_CONTENT_TYPE }),
        );
        return target;
    }

    return async (event) => {
        const records: unknown = (event as Partial<S3Event> | null | undefined)?.Records;
        if (!Array.isArray(records)) {
            const reason = `the event has no Records list (got ${describeEvent(event)}); it is not an S3 event notification`;
            log({ level: "error", message: "rejected: malformed event", key: "", reason });
            throw new Error(`Malformed event: ${reason}`);
        }
        const result: ThumbnailResult = { written: [], skipped: [] };
        const failed: string[] = [];
        for (const [index, record] of (records as Partial<S3EventRecord>[]).entries()) {
            const rawKey: unknown = record?.s3?.object?.key;
            const bucket: unknown = record?.s3?.bucket?.name;
            let key: string;
            try {
                if (typeof rawKey !== "string" || typeof bucket !== "string") throw new BadInput(`record ${index} has no s3.bucket.name and s3.object.key`);
                key = decodeRecordKey(rawKey);
            } catch (error) {
                // One record that no retry can fix must not cost the others their thumbnails.
                const reason = (error as Error).message;
                const named = typeof rawKey === "string" ? rawKey : `Records[${index}]`;
                result.skipped.push({ key: named, reason });
                log({ level: "warn", message: "skipped: bad record", key: named, reason });
                continue;
            }
            try {
                const target = await thumbnail(bucket, key);
                result.written.push(target);
                log({ level: "info", message: "thumbnail written", key, thumbnailKey: target });
            } catch (error) {
                const reason = (error as Error).message;
                if (error instanceof BadInput) {
                    result.skipped.push({ key, reason });
                    log({ level: "warn", message: "skipped: bad input", key, reason });
                } else {
                    failed.push(`${key}: ${reason}`);
                    log({ level: "error", message: "failed", key, reason });
                }
            }
        }
        if (failed.length > 0) {
            throw new Error(`${failed.length} of ${records.length} thumbnails failed: ${failed.join("; ")}`);
        }
        return result;
    };
}

/** S3 sends keys percent-encoded; a hand-made or replayed event may carry one that is not. */
function decodeRecordKey(eventKey: string): string {
    try {
        return decodeEventKey(eventKey);
    } catch {
        throw new BadInput(`the key "${eventKey}" is not valid percent-encoding, as S3 would send it`);
    }
}

function describeEvent(event: unknown): string {
    if (event === null || typeof event !== "object") return JSON.stringify(event) ?? String(event);
    const keys = Object.keys(event);
    return keys.length === 0 ? "an empty object" : `an object with ${keys.slice(0, 5).join(", ")}`;
}

let lambdaHandler: ((event: S3Event) => Promise<ThumbnailResult>) | undefined;

/** The Lambda entry point: THUMBNAILS_BUCKET and THUMBNAIL_MAX_DIMENSION from the environment. */
export async function handler(event: S3Event): Promise<ThumbnailResult> {
    lambdaHandler ??= createHandler({
        s3: new S3Client({}),
        thumbnailsBucket: requiredEnv("THUMBNAILS_BUCKET"),
        maxDimension: Number(process.env.THUMBNAIL_MAX_DIMENSION ?? DEFAULT_MAX_DIMENSION),
    });
    return lambdaHandler(event);
}

function requiredEnv(name: string): string {
    const value = process.env[name];
    if (!value) throw new Error(`The environment variable ${name} is not set`);
    return value;
}

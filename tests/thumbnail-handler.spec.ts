import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { S3Event, S3EventRecord } from "aws-lambda";
import S3rver from "s3rver";
import sharp from "sharp";
import { LogEntry, createHandler, handler } from "../functions/thumbnail/handler";
import { decodeEventKey, encodeEventKey, thumbnailKey } from "../functions/thumbnail/keys";

const FILES = "files";
const THUMBNAILS = "thumbnails";

/** An S3 event as S3 sends it: keys URL-encoded. */
function s3Event(...keys: string[]): S3Event {
    const record = (key: string) => ({ eventName: "ObjectCreated:Put", s3: { bucket: { name: FILES }, object: { key: encodeEventKey(key) } } });
    return { Records: keys.map((key) => record(key) as unknown as S3EventRecord) };
}

function solid(width: number, height: number): Promise<Buffer> {
    return sharp({ create: { width, height, channels: 3, background: "#3070b0" } }).jpeg().toBuffer();
}

/** 400x200, left half red, right half blue, EXIF orientation 6 (shown turned 90° clockwise) and a camera make. */
function rotatedWithExif(): Promise<Buffer> {
    return sharp({ create: { width: 400, height: 200, channels: 3, background: "#ff0000" } })
        .composite([{ input: { create: { width: 200, height: 200, channels: 3, background: "#0000ff" } }, left: 200, top: 0 }])
        .jpeg()
        .withExif({ IFD0: { Make: "TestCam" } })
        .withMetadata({ orientation: 6 })
        .toBuffer();
}

/** A valid small JPEG whose header claims 30000x30000 pixels (900 MP): a decompression bomb. */
async function decompressionBomb(): Promise<Buffer> {
    const bomb = Buffer.from(await solid(64, 64));
    const sof = bomb.findIndex((byte, i) => byte === 0xff && bomb[i + 1] === 0xc0);
    bomb.writeUInt16BE(30000, sof + 5);
    bomb.writeUInt16BE(30000, sof + 7);
    return bomb;
}

describe("thumbnail keys", () => {
    it("map uploads/<path> to thumbnails/<path> and refuse other keys", () => {
        expect(thumbnailKey("uploads/w1/cat.jpg")).to.equal("thumbnails/w1/cat.jpg");
        expect(() => thumbnailKey("avatars/cat.jpg")).to.throw('"avatars/cat.jpg" is not under uploads/');
    });

    it("decode event keys as S3 encodes them (spaces as +, a literal + as %2B)", () => {
        expect(decodeEventKey("uploads/my+photo+%281%29%2Bdraft.jpg")).to.equal("uploads/my photo (1)+draft.jpg");
        expect(encodeEventKey("uploads/my photo (1)+draft.jpg")).to.equal("uploads/my+photo+(1)%2Bdraft.jpg");
        expect(decodeEventKey(encodeEventKey("uploads/ä ü/x%y.jpg"))).to.equal("uploads/ä ü/x%y.jpg");
    });
});

describe("thumbnail handler, with sharp and a local S3 (s3rver)", () => {
    let server: S3rver;
    let directory: string;
    let s3: S3Client;
    const savedEnv = { ...process.env };

    const put = (key: string, body: Buffer | string) =>
        s3.send(new PutObjectCommand({ Bucket: FILES, Key: key, Body: body, ContentLength: Buffer.byteLength(body) }));
    async function get(key: string): Promise<{ body: Buffer; contentType?: string }> {
        const object = await s3.send(new GetObjectCommand({ Bucket: THUMBNAILS, Key: key }));
        return { body: Buffer.from(await object.Body!.transformToByteArray()), contentType: object.ContentType };
    }
    async function thumbnailKeys(prefix: string): Promise<string[]> {
        const listing = await s3.send(new ListObjectsV2Command({ Bucket: THUMBNAILS, Prefix: prefix }));
        return (listing.Contents ?? []).map((o) => o.Key!).sort();
    }
    const logs: LogEntry[] = [];
    const thumbnailer = (options: { maxInputBytes?: number } = {}) =>
        createHandler({ s3, thumbnailsBucket: THUMBNAILS, maxDimension: 256, log: (entry) => logs.push(entry), ...options });

    before(async () => {
        directory = fs.mkdtempSync(path.join(os.tmpdir(), "s3rver-"));
        server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory, configureBuckets: [{ name: FILES }, { name: THUMBNAILS }] });
        const { port } = await server.run();
        // What a Lambda's environment provides, pointed at the local S3 (an IP endpoint means path-style).
        Object.assign(process.env, {
            AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
            AWS_REGION: "us-east-1",
            AWS_ACCESS_KEY_ID: "S3RVER",
            AWS_SECRET_ACCESS_KEY: "S3RVER",
            AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED",
            AWS_RESPONSE_CHECKSUM_VALIDATION: "WHEN_REQUIRED",
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        });
        s3 = new S3Client({});
    });

    after(async () => {
        process.env = savedEnv;
        await server.close();
        fs.rmSync(directory, { recursive: true, force: true });
    });

    beforeEach(() => {
        logs.length = 0;
    });

    describe("the Lambda entry point", () => {
        it("refuses to run without THUMBNAILS_BUCKET", async () => {
            delete process.env.THUMBNAILS_BUCKET;
            const error = await handler(s3Event("uploads/x.jpg")).catch((e: Error) => e);
            expect((error as Error).message).to.equal("The environment variable THUMBNAILS_BUCKET is not set");
        });

        it("reads the bucket and the box from its environment: a 1200x800 JPEG becomes 200x133 at thumbnails/<same path>", async () => {
            Object.assign(process.env, { THUMBNAILS_BUCKET: THUMBNAILS, THUMBNAIL_MAX_DIMENSION: "200" });
            await put("uploads/entry/landscape.jpg", await solid(1200, 800));
            const lines: string[] = [];
            const consoleLog = console.log;
            console.log = (line: string) => lines.push(line);

            const result = await handler(s3Event("uploads/entry/landscape.jpg")).finally(() => (console.log = consoleLog));

            expect(result).to.deep.equal({ written: ["thumbnails/entry/landscape.jpg"], skipped: [] });
            expect(lines.map((line) => JSON.parse(line))).to.deep.equal([
                { level: "info", message: "thumbnail written", key: "uploads/entry/landscape.jpg", thumbnailKey: "thumbnails/entry/landscape.jpg" },
            ]);
            const thumbnail = await get("thumbnails/entry/landscape.jpg");
            expect(thumbnail.contentType).to.equal("image/jpeg");
            const metadata = await sharp(thumbnail.body).metadata();
            expect([metadata.format, metadata.width, metadata.height]).to.deep.equal(["jpeg", 200, 133]);
        });
    });

    it("turns an EXIF-rotated photo upright, fits it in 256 px and strips its metadata", async () => {
        const photo = await rotatedWithExif();
        const source = await sharp(photo).metadata();
        expect([source.width, source.height, source.orientation]).to.deep.equal([400, 200, 6]);
        expect(source.exif?.toString("latin1")).to.include("TestCam");
        await put("uploads/exif/phone.jpg", photo);

        await thumbnailer()(s3Event("uploads/exif/phone.jpg"));

        const { body } = await get("thumbnails/exif/phone.jpg");
        const metadata = await sharp(body).metadata();
        expect([metadata.width, metadata.height]).to.deep.equal([128, 256]);
        expect(metadata.orientation, "orientation").to.equal(undefined);
        expect(metadata.exif, "EXIF").to.equal(undefined);
        // Upright: the stored image's left (red) half is now on top, its right (blue) half below.
        const pixel = async (top: number) => [...(await sharp(body).extract({ left: 64, top, width: 1, height: 1 }).raw().toBuffer())];
        const [top, bottom] = [await pixel(20), await pixel(236)];
        expect(top[0], `top ${top}`).to.be.above(200);
        expect(top[2], `top ${top}`).to.be.below(60);
        expect(bottom[2], `bottom ${bottom}`).to.be.above(200);
        expect(bottom[0], `bottom ${bottom}`).to.be.below(60);
    });

    it("never enlarges a small image", async () => {
        await put("uploads/small/icon.jpg", await solid(100, 50));
        await thumbnailer()(s3Event("uploads/small/icon.jpg"));
        const metadata = await sharp((await get("thumbnails/small/icon.jpg")).body).metadata();
        expect([metadata.width, metadata.height]).to.deep.equal([100, 50]);
    });

    it("decodes URL-encoded keys with spaces, brackets and a literal +", async () => {
        const key = "uploads/team 1/my photo (1)+draft.jpg";
        await put(key, await solid(300, 300));
        const result = await thumbnailer()(s3Event(key));
        expect(result.written).to.deep.equal(["thumbnails/team 1/my photo (1)+draft.jpg"]);
        expect(await thumbnailKeys("thumbnails/team 1/")).to.deep.equal(["thumbnails/team 1/my photo (1)+draft.jpg"]);
    });

    it("logs and skips each bad input with its key and reason, and still thumbnails the good one", async () => {
        const good = await solid(640, 480);
        await put("uploads/bad/corrupt.jpg", good.subarray(0, Math.floor(good.length / 2)));
        await put("uploads/bad/not-an-image.jpg", "this is a text file named .jpg");
        await put("uploads/bad/bomb.jpg", await decompressionBomb());
        await put("uploads/bad/empty.jpg", "");
        await put("uploads/bad/good.jpg", good);
        await put("avatars/elsewhere.jpg", good);
        const keys = [
            "uploads/bad/corrupt.jpg",
            "uploads/bad/not-an-image.jpg",
            "uploads/bad/bomb.jpg",
            "uploads/bad/empty.jpg",
            "uploads/bad/deleted-since.jpg",
            "avatars/elsewhere.jpg",
            "uploads/bad/good.jpg",
        ];

        const result = await thumbnailer()(s3Event(...keys));

        expect(result.written).to.deep.equal(["thumbnails/bad/good.jpg"]);
        expect(result.skipped.map((s) => [s.key, s.reason])).to.deep.equal([
            ["uploads/bad/corrupt.jpg", "not a readable image: VipsJpeg: premature end of JPEG image"],
            ["uploads/bad/not-an-image.jpg", "not a readable image: Input buffer contains unsupported image format"],
            ["uploads/bad/bomb.jpg", "not a readable image: Input image exceeds pixel limit"],
            ["uploads/bad/empty.jpg", "the object is empty"],
            ["uploads/bad/deleted-since.jpg", "the object no longer exists"],
            ["avatars/elsewhere.jpg", "the key is not under uploads/"],
        ]);
        expect(logs.map((l) => [l.level, l.key, l.reason])).to.deep.equal([
            ...result.skipped.map((s) => ["warn", s.key, s.reason]),
            ["info", "uploads/bad/good.jpg", undefined],
        ]);
        expect(await thumbnailKeys("thumbnails/bad/")).to.deep.equal(["thumbnails/bad/good.jpg"]);
    });

    it("skips a record whose key is not valid percent-encoding, or that has no key, and still thumbnails the next one", async () => {
        await put("uploads/replayed/good.jpg", await solid(300, 300));
        const event = s3Event("uploads/replayed/good.jpg");
        const raw = (key: string) => ({ eventName: "ObjectCreated:Put", s3: { bucket: { name: FILES }, object: { key } } }) as unknown as S3EventRecord;
        const records = [raw("uploads/100%.jpg"), { eventName: "ObjectCreated:Put" } as unknown as S3EventRecord, raw("uploads/%E0%A4%A.jpg"), ...event.Records];

        const result = await thumbnailer()({ Records: records });

        expect(result.written).to.deep.equal(["thumbnails/replayed/good.jpg"]);
        expect(result.skipped).to.deep.equal([
            { key: "uploads/100%.jpg", reason: 'the key "uploads/100%.jpg" is not valid percent-encoding, as S3 would send it' },
            { key: "Records[1]", reason: "record 1 has no s3.bucket.name and s3.object.key" },
            { key: "uploads/%E0%A4%A.jpg", reason: 'the key "uploads/%E0%A4%A.jpg" is not valid percent-encoding, as S3 would send it' },
        ]);
        expect(logs.map((l) => [l.level, l.message, l.key])).to.deep.equal([
            ["warn", "skipped: bad record", "uploads/100%.jpg"],
            ["warn", "skipped: bad record", "Records[1]"],
            ["warn", "skipped: bad record", "uploads/%E0%A4%A.jpg"],
            ["info", "thumbnail written", "uploads/replayed/good.jpg"],
        ]);
    });

    it("logs and rejects an event that is not an S3 notification (no Records list), saying so", async () => {
        for (const [event, described] of [
            [{}, "an empty object"],
            [{ detail: {}, source: "aws.s3" }, "an object with detail, source"],
            [{ Records: "uploads/x.jpg" }, "an object with Records"],
            [null, "null"],
        ] as const) {
            logs.length = 0;
            const error = await thumbnailer()(event as unknown as S3Event).catch((e: Error) => e);
            expect((error as Error).message).to.equal(`Malformed event: the event has no Records list (got ${described}); it is not an S3 event notification`);
            expect(logs.map((l) => [l.level, l.message])).to.deep.equal([["error", "rejected: malformed event"]]);
        }
    });

    it("skips an object over the size cap before downloading it", async () => {
        await put("uploads/big/photo.jpg", await solid(300, 300));
        const result = await thumbnailer({ maxInputBytes: 100 })(s3Event("uploads/big/photo.jpg"));
        expect(result.skipped).to.have.length(1);
        expect(result.skipped[0].reason).to.match(/^the object is \d{3,} bytes, over the 100-byte cap$/);
    });

    it("fails the invocation after trying every record when S3 refuses a write, so Lambda can retry it", async () => {
        await put("uploads/denied/a.jpg", await solid(300, 300));
        await put("uploads/denied/b.jpg", await solid(300, 300));
        const denied = Object.assign(new Error("Access Denied"), { name: "AccessDenied" });
        const flaky = {
            send: (command: unknown) =>
                command instanceof PutObjectCommand && command.input.Key === "thumbnails/denied/a.jpg"
                    ? Promise.reject(denied)
                    : s3.send(command as GetObjectCommand),
        } as Pick<S3Client, "send">;
        const run = createHandler({ s3: flaky, thumbnailsBucket: THUMBNAILS, log: (entry) => logs.push(entry) });

        const error = await run(s3Event("uploads/denied/a.jpg", "uploads/denied/b.jpg")).catch((e: Error) => e);

        expect((error as Error).message).to.equal("1 of 2 thumbnails failed: uploads/denied/a.jpg: Access Denied");
        expect(await thumbnailKeys("thumbnails/denied/")).to.deep.equal(["thumbnails/denied/b.jpg"]);
        expect(logs.map((l) => [l.level, l.key])).to.deep.equal([
            ["error", "uploads/denied/a.jpg"],
            ["info", "uploads/denied/b.jpg"],
        ]);
    });

    it("refuses a box that is not a positive integer", () => {
        expect(() => createHandler({ s3, thumbnailsBucket: THUMBNAILS, maxDimension: 0 })).to.throw("maxDimension must be a positive integer; got 0");
    });
});

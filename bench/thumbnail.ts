/**
 * `npm run bench:thumbnail` (also part of `npm run bench`): the thumbnail function's work on a
 * 12 MP photo, against a pure-JavaScript baseline measured in the same run, and the size of the
 * function's code archive.
 *
 * The input is a 4000x3000 JPEG (noise, slightly blurred, EXIF orientation 6), made once.
 *   sharp   the real handler (createHandler) with an in-memory S3 client: read, orient, fit in
 *           256 px, encode, write
 *   jimp    the baseline: decode, orient, fit in 256 px, encode at the same quality, in pure JS
 * Each runs in a fresh process (peak memory matters: the function has 512 MB), one warm-up, then
 * `--runs` timed runs; medians. Reproduce: npm run bench:thumbnail   (-- --runs 5 for more samples)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandSpec, readCommandLine, runMain } from "../deploy/command-line";
import { RUNS_OPTION, childMain, median, runChild, runsOption } from "./child";

const MAX_DIMENSION = 256;
const QUALITY = 80;

type Library = "sharp" | "jimp";

interface Sample {
    readonly ms: number;
    readonly rssMb: number;
    readonly width: number;
    readonly height: number;
}

/** One library's thumbnail of `input`: width and height of the result. */
async function thumbnailer(library: Library): Promise<(input: Buffer) => Promise<{ width: number; height: number }>> {
    if (library === "jimp") {
        const { Jimp } = await import("jimp");
        return async (input) => {
            const image = await Jimp.read(input);
            image.scaleToFit({ w: MAX_DIMENSION, h: MAX_DIMENSION });
            const output = await image.getBuffer("image/jpeg", { quality: QUALITY });
            const result = await Jimp.read(output);
            return { width: result.width, height: result.height };
        };
    }
    const { default: sharp } = await import("sharp");
    const { createHandler } = await import("../functions/thumbnail/handler");
    return async (input) => {
        let output: Uint8Array | undefined;
        const s3 = {
            send: async (command: { input: { Body?: Uint8Array } }) => {
                if (command.input.Body !== undefined) output = command.input.Body;
                return { ContentLength: input.length, Body: { transformToByteArray: async () => input } };
            },
        };
        const handler = createHandler({ s3: s3 as never, thumbnailsBucket: "thumbnails", maxDimension: MAX_DIMENSION, log: () => undefined });
        await handler({ Records: [{ s3: { bucket: { name: "files" }, object: { key: "uploads/photo.jpg" } } }] } as never);
        const { width = 0, height = 0 } = await sharp(output).metadata();
        return { width, height };
    };
}

/** The child's work: one warm-up, then `runs` timed thumbnails of the file `inputPath`. */
async function child(library: Library, inputPath: string, runs: number): Promise<Sample> {
    const run = await thumbnailer(library);
    const input = fs.readFileSync(inputPath);
    await run(input);
    const times: number[] = [];
    let size = { width: 0, height: 0 };
    for (let i = 0; i < runs; i++) {
        const started = process.hrtime.bigint();
        size = await run(input);
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    return { ms: median(times), rssMb: process.resourceUsage().maxRSS / 1024, ...size };
}

function measure(library: Library, inputPath: string, runs: number): Sample {
    process.stderr.write(`  ${library}: ${runs} runs...\n`);
    return runChild<Sample>(__filename, [library, inputPath, String(runs)], { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" });
}
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** A 4000x3000 photo-sized JPEG with EXIF orientation 6. */
async function twelveMegapixelJpeg(file: string): Promise<void> {
    const { default: sharp } = await import("sharp");
    const noise = { type: "gaussian" as const, mean: 128, sigma: 40 };
    const raw = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: "#808080", noise } }).blur(1.2).png().toBuffer();
    fs.writeFileSync(file, await sharp(raw).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toBuffer());
}

async function archiveSizes(): Promise<string> {
    const { thumbnailCode } = await import("../components/thumbnail");
    const { zipAssetArchive } = await import("../harness/archive");
    const started = process.hrtime.bigint();
    const archive = thumbnailCode();
    const buildMs = Number(process.hrtime.bigint() - started) / 1e6;
    const assets = await archive.assets;
    const bundle = Buffer.byteLength(await (assets["index.js"] as { text: Promise<string> }).text);
    const zipped = (await zipAssetArchive(archive, "DEFLATE")).length;
    const unzipped = (await zipAssetArchive(archive, "STORE")).length;
    return (
        `Code archive: ${mb(zipped)} zipped (Lambda's limit for a direct upload: 50 MB), ${mb(unzipped)} unzipped ` +
        `(limit 250 MB), of which index.js ${mb(bundle)}; ${Object.keys(assets).length} files; built in ${buildMs.toFixed(0)} ms once per process`
    );
}

/** Measures and prints the thumbnail figures and the code archive's size. Throws when a library or the archive's build fails. */
export async function benchThumbnail(runs: number): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-thumbnail-"));
    try {
        const input = path.join(dir, "photo.jpg");
        await twelveMegapixelJpeg(input);
        console.log(`Thumbnail of a 12 MP JPEG (4000x3000, ${mb(fs.statSync(input).size)}, EXIF-rotated) to ${MAX_DIMENSION} px, ${runs} runs each (median)`);
        const jimp = measure("jimp", input, runs);
        const sharp = measure("sharp", input, runs);
        const row = (label: string, s: Sample) =>
            `${label.padEnd(34)} ${s.ms.toFixed(0).padStart(6)} ms  x${(s.ms / jimp.ms).toFixed(3).padStart(6)}   ` +
            `${s.rssMb.toFixed(0).padStart(4)} MB peak RSS   ${s.width}x${s.height}`;
        console.log("");
        console.log(`${"case".padEnd(34)} ${"time".padStart(9)}  vs jimp    memory        output`);
        console.log(row("baseline: jimp (pure JavaScript)", jimp));
        console.log(row("sharp, through the handler", sharp));
        console.log(`\nsharp is x${(jimp.ms / sharp.ms).toFixed(1)} faster than jimp and peaks at x${(sharp.rssMb / jimp.rssMb).toFixed(2)} its memory.`);
        console.log(await archiveSizes());
        console.log("Reproduce: npm run bench:thumbnail");
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export const BENCH_THUMBNAIL_COMMAND: CommandSpec = {
    name: "npm run bench:thumbnail",
    synopsis: "[--runs <n>]",
    summary:
        "The thumbnail part of `npm run bench` alone: the real handler (sharp) on a 12 MP EXIF-rotated JPEG against a pure-JavaScript baseline (jimp) " +
        "measured in the same run, as ratios of time and peak memory, and the size of the function's code archive against Lambda's limits.",
    options: { runs: RUNS_OPTION },
};

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
    const line = readCommandLine(BENCH_THUMBNAIL_COMMAND, argv);
    if (line === undefined) return;
    await benchThumbnail(runsOption(line.values.runs));
}

if (require.main === module) {
    if (process.argv[2] === "--child") childMain(() => child(process.argv[3] as Library, process.argv[4], Number(process.argv[5])));
    else runMain("bench:thumbnail", main);
}

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { expect } from "chai";
import JSZip from "jszip";
import sharp from "sharp";
import { thumbnailCode } from "../components/thumbnail";
import { zipAssetArchive } from "../harness/archive";

const { sharp: SHARP_VERSION, vips: VIPS_VERSION } = sharp.versions;
const EM_X86_64 = 0x3e;

/** ELF machine of a shared object: 0x3e for x86-64 (Lambda's x86_64 architecture). */
function elfMachine(binary: Buffer): number {
    expect(binary.subarray(0, 4).toString("latin1")).to.equal("\x7fELF");
    return binary.readUInt16LE(18);
}

/** Run inside the unzipped archive, with nothing from the project reachable. */
const RUN_FROM_ARCHIVE = `
const dir = process.cwd();
const { createHandler, handler } = require(dir + "/index.js");
const sharp = require(dir + "/node_modules/sharp");
(async () => {
    const input = await sharp({ create: { width: 800, height: 600, channels: 3, background: "#208040" } }).jpeg().toBuffer();
    const written = {};
    const s3 = {
        send: async (command) => {
            if ("Body" in command.input) return void (written[command.input.Key] = command.input.Body);
            return { ContentLength: input.length, Body: { transformToByteArray: async () => input } };
        },
    };
    const run = createHandler({ s3, thumbnailsBucket: "thumbnails", log: () => {} });
    const result = await run({ Records: [{ s3: { bucket: { name: "files" }, object: { key: "uploads/a+b.jpg" } } }] });
    const { width, height, format } = await sharp(written["thumbnails/a b.jpg"]).metadata();
    const outside = Object.keys(require.cache).filter((file) => !file.startsWith(dir + "/"));
    const native = Object.keys(require.cache).filter((file) => file.endsWith(".node")).map((file) => file.slice(dir.length + 1));
    console.log(JSON.stringify({ handler: typeof handler, result, width, height, format, outside, native }));
})();
`;

describe("thumbnail function code archive", () => {
    let zip: JSZip;
    const names = () => Object.keys(zip.files).filter((name) => !zip.files[name].dir);

    before(async () => {
        zip = await JSZip.loadAsync(await zipAssetArchive(thumbnailCode(), "STORE"));
    });

    it("is built once per process, for every stack", () => {
        expect(thumbnailCode()).to.equal(thumbnailCode());
    });

    it("holds sharp, its dependencies and its linux-x64 packages, and no other platform's", () => {
        const packages = new Set(names().filter((n) => n.endsWith("/package.json")).map((n) => path.posix.dirname(n)));
        expect([...packages].sort()).to.deep.equal([
            "node_modules/@img/colour",
            "node_modules/@img/sharp-libvips-linux-x64",
            "node_modules/@img/sharp-linux-x64",
            "node_modules/detect-libc",
            "node_modules/sharp",
            "node_modules/sharp/node_modules/semver",
        ]);
    });

    it("holds sharp's native binary and libvips, both built for x86-64", async () => {
        const binary = `node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64-${SHARP_VERSION}.node`;
        const libvips = `node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.${VIPS_VERSION}`;
        for (const file of [binary, libvips]) {
            expect(zip.file(file), file).to.not.equal(null);
            expect(elfMachine(await zip.file(file)!.async("nodebuffer")), file).to.equal(EM_X86_64);
        }
    });

    it("runs on its own: unzipped outside the project, index.js (the handler, bundled with the AWS SDK) makes a thumbnail with the archive's sharp", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "thumbnail-code-"));
        try {
            for (const name of names()) {
                const target = path.join(dir, name);
                fs.mkdirSync(path.dirname(target), { recursive: true });
                fs.writeFileSync(target, await zip.file(name)!.async("nodebuffer"));
            }
            const run = spawnSync(process.execPath, ["-e", RUN_FROM_ARCHIVE], {
                cwd: dir,
                encoding: "utf8",
                env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
            });
            expect(run.status, run.stderr).to.equal(0);
            expect(JSON.parse(run.stdout)).to.deep.equal({
                handler: "function",
                result: { written: ["thumbnails/a b.jpg"], skipped: [] },
                width: 256,
                height: 192,
                format: "jpeg",
                outside: [],
                native: [`node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64-${SHARP_VERSION}.node`],
            });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

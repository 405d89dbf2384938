import { expect } from "chai";
import { createPrivateKey, createPublicKey } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isCloudFrontPublicKey, publicKeyFingerprint, validateConfig } from "../components/config";
import { createCdnKey, defaultPrivateKeyFile, main as cdnKey } from "../dev/cdn-key";
import { PROJECT_ROOT, projectStacks, rawConfig, readStackConfig } from "../harness/stack-files";
import { runToEnd, tsx } from "./helpers/process";

const NOW = new Date("2026-11-29T12:00:00Z");

/** A copy of the project's Pulumi.yaml and its stacks' files (not a developer's own) in a folder of its own. */
function project(): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "cdn-key-"));
    for (const file of ["Pulumi.yaml", ...projectStacks().map((stack) => `Pulumi.${stack}.yaml`)]) fs.copyFileSync(path.join(PROJECT_ROOT, file), path.join(root, file));
    return root;
}

/** The file's lines without the key's block and the comment lines right above it. */
function withoutKey(text: string): string[] {
    const lines = text.split("\n");
    const at = lines.findIndex((l) => l.startsWith("  slack-clone:cdnPublicKey:"));
    let start = at;
    while (lines[start - 1]?.startsWith("  #")) start--;
    let end = at + 1;
    while (lines[end]?.startsWith("    ")) end++;
    return [...lines.slice(0, start), ...lines.slice(end)];
}

function errorOf(work: () => unknown): Error {
    try {
        work();
    } catch (error) {
        return error as Error;
    }
    throw new Error("expected an error");
}

describe("npm run cdn-key: the CDN's signing key pair", () => {
    let root: string;
    beforeEach(() => (root = project()));
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("writes an RSA 2048 private key (mode 600) and its public half into the stack file, replacing the placeholder and nothing else", () => {
        const before = fs.readFileSync(path.join(root, "Pulumi.staging.yaml"), "utf8");
        expect(before, "the committed placeholder says so").to.match(/# PLACEHOLDER, to replace before the first deploy[\s\S]*npm run cdn-key -- staging/);
        const key = createCdnKey("staging", { root, now: NOW });

        expect(key.privateKeyFile).to.equal(defaultPrivateKeyFile("staging", root));
        expect(fs.statSync(key.privateKeyFile).mode & 0o777).to.equal(0o600);
        const privateKey = createPrivateKey(fs.readFileSync(key.privateKeyFile));
        expect(privateKey.asymmetricKeyDetails?.modulusLength).to.equal(2048);

        const pem = readStackConfig("staging", root)["slack-clone:cdnPublicKey"];
        expect(pem).to.equal(key.publicKey);
        expect(createPublicKey(privateKey).export({ type: "spki", format: "pem" })).to.equal(pem);
        expect(isCloudFrontPublicKey(pem)).to.equal(true);
        expect(validateConfig(rawConfig("staging", {}, root)).cdnPublicKey, "the stack's config validates with it").to.equal(pem);
        expect(publicKeyFingerprint(pem)).to.equal(key.fingerprint).and.match(/^SHA256:[A-Za-z0-9+/]{43}$/);

        const after = fs.readFileSync(key.stackFile, "utf8");
        expect(withoutKey(after), "every other line, comments included, as it was").to.deep.equal(withoutKey(before));
        expect(after).to.include(
            `  # Made by npm run cdn-key on 2026-11-29, public key ${key.fingerprint}.\n` +
                `  # Its private key belongs only in the stack's signing-key secret (README, "Private files").\n` +
                `  slack-clone:cdnPublicKey: |\n    -----BEGIN PUBLIC KEY-----\n`,
        );
        expect(after, "the placeholder key's comment is gone").to.not.include("nobody holds this key's private key");
    });

    it("prints the aws CLI command storing the key in the secret the stack output names, then deleting the file, then the deploy", () => {
        // A stack reference as the CLI takes it: Pulumi.production.yaml, and the reference in the commands.
        fs.mkdirSync(path.join(root, "keys"));
        const { nextSteps, stackFile } = createCdnKey("acme/production", { root, out: path.join(root, "keys", "prod key.pem"), now: NOW });
        expect(path.basename(stackFile)).to.equal("Pulumi.production.yaml");
        expect(fs.existsSync(path.join(root, "keys", "prod key.pem"))).to.equal(true);
        const steps = nextSteps.split("\n");
        const at = (text: string) => steps.findIndex((line) => line.includes(text));
        expect(nextSteps).to.include(
            `aws secretsmanager put-secret-value --region us-east-1 \\\n         --secret-id "$(pulumi stack output cdnSigningKeySecretArn --stack acme/production)" \\\n         --secret-string 'file://keys/prod key.pem'`,
        );
        expect(at("shred -u 'keys/prod key.pem'")).to.be.greaterThan(at("put-secret-value"));
        expect(at("pulumi up --stack acme/production")).to.be.greaterThan(at("shred -u"));
        expect(at("npm run health -- --stack acme/production --skip redis")).to.be.greaterThan(at("pulumi up"));
    });

    it("adds the key after privateFiles where the stack file has none, keeping another comment above it", () => {
        const file = path.join(root, "Pulumi.staging.yaml");
        const text = fs.readFileSync(file, "utf8");
        const start = text.indexOf("  # PLACEHOLDER");
        const end = text.indexOf("  slack-clone:accessLogging");
        fs.writeFileSync(file, `${text.slice(0, start)}  slack-clone:privateFiles: true\n${text.slice(end)}`);
        const key = createCdnKey("staging", { root, now: NOW });
        expect(fs.readFileSync(file, "utf8")).to.include(`  slack-clone:privateFiles: true\n  # Made by npm run cdn-key on 2026-11-29, public key ${key.fingerprint}.\n`);
        expect(readStackConfig("staging", root)["slack-clone:cdnPublicKey"]).to.equal(key.publicKey);

        fs.rmSync(key.privateKeyFile);
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/  # Made by[^\n]*\n  # Its[^\n]*\n/, "  # Rotated every 90 days.\n"));
        const second = createCdnKey("staging", { root, now: NOW });
        expect(fs.readFileSync(file, "utf8")).to.include(`  # Rotated every 90 days.\n  # Made by npm run cdn-key on 2026-11-29, public key ${second.fingerprint}.\n`);
    });

    it("refuses an unknown stack and a stack whose files are public, naming the value and the fix, writing nothing", () => {
        const files = () => fs.readdirSync(root).sort().map((f) => [f, fs.readFileSync(path.join(root, f), "utf8")]);
        const before = files();
        expect(errorOf(() => createCdnKey("prod", { root })).message).to.equal('Unknown stack "prod": no Pulumi.prod.yaml. Stacks: development, production, staging');
        expect(errorOf(() => createCdnKey("development", { root })).message).to.equal(
            "Pulumi.development.yaml sets slack-clone:privateFiles to false: its CDN serves files without signed URLs and trusts no key. " +
                "To make its files private, set slack-clone:privateFiles: true there and run this again.",
        );
        expect(files()).to.deep.equal(before);
    });

    it("says a privateFiles that is no boolean is not one, with the config validation's own words, writing nothing", () => {
        const typo = project();
        const file = path.join(typo, "Pulumi.development.yaml");
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("slack-clone:privateFiles: false", "slack-clone:privateFiles: flase"));
        const before = fs.readFileSync(file, "utf8");
        expect(errorOf(() => createCdnKey("development", { root: typo })).message).to.equal(
            'Pulumi.development.yaml: privateFiles: got "flase"; expected a boolean (true or false)',
        );
        expect(fs.readFileSync(file, "utf8")).to.equal(before);
        expect(fs.existsSync(defaultPrivateKeyFile("development", typo))).to.equal(false);
    });

    it("never overwrites a private key file, and says when it holds the private half of the stack's key", () => {
        const stackFile = path.join(root, "Pulumi.staging.yaml");
        const other = defaultPrivateKeyFile("staging", root);
        fs.writeFileSync(other, "a key in use\n");
        const stackBefore = fs.readFileSync(stackFile, "utf8");
        expect(errorOf(() => createCdnKey("staging", { root })).message).to.equal(
            "cdn-signing-key-staging.pem exists; it is not overwritten (it may hold a private key in use). Move or delete it, or give another file: npm run cdn-key -- staging --out <file>",
        );
        expect(fs.readFileSync(other, "utf8")).to.equal("a key in use\n");
        expect(fs.readFileSync(stackFile, "utf8")).to.equal(stackBefore);

        // A run whose steps were not followed: its key file holds the private half of the stack's key.
        fs.rmSync(other);
        const key = createCdnKey("staging", { root });
        const message = errorOf(() => createCdnKey("staging", { root })).message;
        expect(message).to.equal(
            `cdn-signing-key-staging.pem exists and holds the private key of the stack's cdnPublicKey (${key.fingerprint}), from an earlier run: ` +
                `put it in the stack's secret and delete it instead of making another key: aws secretsmanager put-secret-value --region us-east-1 ` +
                `--secret-id "$(pulumi stack output cdnSigningKeySecretArn --stack staging)" --secret-string file://cdn-signing-key-staging.pem && shred -u cdn-signing-key-staging.pem`,
        );
        expect(readStackConfig("staging", root)["slack-clone:cdnPublicKey"]).to.equal(key.publicKey);
    });

    it("refuses a directory as --out, saying to give a file in it (it said the directory exists and may hold a key in use), writing nothing", () => {
        const stackFile = path.join(root, "Pulumi.staging.yaml");
        const before = fs.readFileSync(stackFile, "utf8");
        const directory = fs.mkdtempSync(path.join(os.tmpdir(), "cdn-key-out-"));
        try {
            expect(errorOf(() => createCdnKey("acme/staging", { root, out: directory })).message).to.equal(
                `${directory} is a directory: give --out a file in it for the private key: npm run cdn-key -- acme/staging --out ${path.join(directory, "cdn-signing-key-staging.pem")}`,
            );
            expect(errorOf(() => createCdnKey("staging", { root, out: root })).message).to.equal(
                ". is a directory: give --out a file in it for the private key: npm run cdn-key -- staging --out cdn-signing-key-staging.pem",
            );
            expect(fs.readdirSync(directory)).to.deep.equal([]);
            expect(fs.readFileSync(stackFile, "utf8")).to.equal(before);
        } finally {
            fs.rmSync(directory, { recursive: true, force: true });
        }
    });

    it("keeps a CRLF stack file's line endings: every line, the new key's included, ends in CRLF (it wrote LF, leaving the file mixed)", () => {
        const stackFile = path.join(root, "Pulumi.staging.yaml");
        const lf = fs.readFileSync(stackFile, "utf8");
        fs.writeFileSync(stackFile, lf.replace(/\n/g, "\r\n"));
        const key = createCdnKey("staging", { root, now: NOW });
        const after = fs.readFileSync(stackFile, "utf8");
        expect(after.split("\r\n").filter((line) => line.includes("\n")), "no line ends in LF alone").to.deep.equal([]);
        expect(withoutKey(after.replace(/\r\n/g, "\n")), "every other line as it was").to.deep.equal(withoutKey(lf));
        expect(readStackConfig("staging", root)["slack-clone:cdnPublicKey"]).to.equal(key.publicKey);
    });

    it("refuses an empty --out before anything else", async () => {
        const error = await cdnKey(["staging", "--out", ""]).then(() => undefined, (e: Error) => e);
        expect(error?.message).to.equal("Option '--out' needs <file>; got an empty one (`npm run cdn-key -- --help` lists the options)");
    });

    it("refuses --out in a directory that does not exist, naming it, and creates nothing", () => {
        const stackFile = path.join(root, "Pulumi.staging.yaml");
        const before = fs.readFileSync(stackFile, "utf8");
        expect(errorOf(() => createCdnKey("staging", { root, out: path.join(root, "no", "such", "k.pem") })).message).to.equal(
            "no/such does not exist; it is not created (a mistyped --out would make it): create it first (mkdir -m 700 no/such) or give --out a file in an existing directory",
        );
        expect(fs.existsSync(path.join(root, "no"))).to.equal(false);
        expect(fs.readFileSync(stackFile, "utf8")).to.equal(before);
    });

    it("fails when another run writes the stack file meanwhile, keeping that run's key and removing its own private key", () => {
        const other = path.join(root, "other.pem");
        let otherKey: ReturnType<typeof createCdnKey> | undefined;
        // The module object itself: an ES namespace's properties cannot be replaced.
        const nodeFs = require("fs") as typeof fs;
        const fsync = nodeFs.fsyncSync;
        // The other run starts and ends while this one writes its private key (its first fsync).
        nodeFs.fsyncSync = (fd: number) => {
            nodeFs.fsyncSync = fsync;
            otherKey = createCdnKey("staging", { root, out: other });
            fsync(fd);
        };
        let error: Error;
        try {
            error = errorOf(() => createCdnKey("staging", { root }));
        } finally {
            nodeFs.fsyncSync = fsync;
        }
        expect(otherKey, "the other run ran").to.not.equal(undefined);
        expect(error.message).to.equal(
            "Pulumi.staging.yaml changed while this ran (another npm run cdn-key, an editor, a checkout?): it is left as the other writer left it, " +
                "and the new private key cdn-signing-key-staging.pem was removed. Check the stack file's cdnPublicKey, then run this again if the stack still needs a new key.",
        );
        expect(readStackConfig("staging", root)["slack-clone:cdnPublicKey"]).to.equal(otherKey!.publicKey);
        expect(fs.existsSync(defaultPrivateKeyFile("staging", root))).to.equal(false);
        expect(fs.existsSync(other)).to.equal(true);
        expect(fs.readdirSync(root).filter((f) => f.endsWith(".tmp"))).to.deep.equal([]);
    });

    it("leaves nothing half-written when the stack file cannot be written: the stack file as it was, the new private key removed", () => {
        const stackFile = path.join(root, "Pulumi.staging.yaml");
        const before = fs.readFileSync(stackFile, "utf8");
        fs.mkdirSync(`${stackFile}.${process.pid}.tmp`); // where the new stack file would be written
        const error = errorOf(() => createCdnKey("staging", { root }));
        expect(error.message).to.match(/^cannot write Pulumi\.staging\.yaml \(EEXIST: .*\): it is unchanged, and the new private key was removed$/);
        expect(fs.readFileSync(stackFile, "utf8")).to.equal(before);
        expect(fs.existsSync(defaultPrivateKeyFile("staging", root))).to.equal(false);
        expect(fs.statSync(`${stackFile}.${process.pid}.tmp`).isDirectory(), "not someone else's file either").to.equal(true);
    });

    it("keeps the private key files out of git", () => {
        const ignored = fs.readFileSync(path.join(PROJECT_ROOT, ".gitignore"), "utf8").split("\n");
        expect(ignored).to.include("cdn-signing-key-*.pem");
    });
});

describe("npm run cdn-key (as a process)", function () {
    this.timeout(20000);

    it("refuses bad input in one line without a stack trace (its --help: tests/command-line.spec.ts)", async () => {
        const refused = await runToEnd(...tsx("dev/cdn-key.ts", "development"));
        expect(refused.status).to.equal(1);
        expect(refused.stderr.trim()).to.match(/^cdn-key failed: Pulumi\.development\.yaml sets slack-clone:privateFiles to false: [^\n]+$/);
    });
});

/**
 * The CDN's signing key pair: `npm run cdn-key -- <stack> [--out <file>]`.
 *
 * Makes an RSA 2048 key pair (Node's crypto), writes the private key to a file of its own (mode 600,
 * never over an existing file; by default `cdn-signing-key-<stack>.pem`, which .gitignore keeps out
 * of git), then the public key into Pulumi.<stack>.yaml as `slack-clone:cdnPublicKey` (the rest of
 * the file, comments included, as it was), and prints what to do next: put the private key in the
 * stack's signing-key secret, delete the file, deploy.
 *
 * RSA 2048, not ECDSA P-256: CloudFront verifies both (CloudFront API reference, "PublicKey",
 * https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_PublicKey.html), but the signer the
 * README names for the backend, @aws-sdk/cloudfront-signer, signs with `createSign("RSA-SHA1")` only
 * (aws/aws-sdk-js-v3, packages/cloudfront-signer/src/sign.ts), which yields no signature CloudFront
 * accepts from an ECDSA key.
 *
 * Order: the private key file first, then the stack file (written to a temporary file and renamed
 * over it). A failure before the rename leaves the stack file as it was and removes the new private
 * key, so nothing is half-written; the reverse order could replace a public key in use with one
 * whose private key was never written. Just before the rename the stack file is read again: if
 * another run (or anyone) changed it since this one read it, this run fails and removes its private
 * key rather than replace the other writer's key with its own.
 */
import { createPrivateKey, generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Pair, Scalar, YAMLMap, isMap, isScalar, parseDocument } from "yaml";
import { RawConfig, configProblems, publicKeyFingerprint } from "../components/config";
import type { OutputName } from "../components/outputs";
import { PROJECT_ROOT, listStacks, rawConfig, readProject, stackName } from "../harness/stack-files";
import { CommandSpec, readCommandLine, runMain } from "../deploy/command-line";

/** The config key (without the project's namespace) that holds the public key. */
const CONFIG_KEY = "cdnPublicKey";
const COMMAND = "npm run cdn-key";
/** The stack output naming the secret the private key goes in. */
const SECRET_OUTPUT: OutputName = "cdnSigningKeySecretArn";
/** A comment above the key that mentions this command (its own, or the placeholder's) is replaced, not kept. */
const COMMENT_MARK = "cdn-key";

export interface CdnKeyOptions {
    /** Where the private key goes. @default `<root>/cdn-signing-key-<stack>.pem` */
    readonly out?: string;
    /** The project's folder. @default PROJECT_ROOT */
    readonly root?: string;
    /** The date the stack file's comment gives the key. @default now */
    readonly now?: Date;
}

export interface CdnKey {
    /** The private key file written (absolute path). */
    readonly privateKeyFile: string;
    /** The stack file written (absolute path). */
    readonly stackFile: string;
    /** The new public key, PEM, as written to the stack file. */
    readonly publicKey: string;
    /** `SHA256:...` of the new public key (publicKeyFingerprint). */
    readonly fingerprint: string;
    /** What the operator does next, as printed. */
    readonly nextSteps: string;
}

/** The default private key file of a stack; `.gitignore` ignores it. */
export function defaultPrivateKeyFile(stack: string, root = PROJECT_ROOT): string {
    return path.join(root, `cdn-signing-key-${stack}.pem`);
}

/**
 * Makes the key pair and writes both halves (see the module's comment for the order) for a stack
 * reference as the CLI takes it (`staging`, `org/staging`: the file is Pulumi.staging.yaml, the
 * printed commands name the reference as given). Throws, before
 * writing anything, on a bad or unknown stack (harness/stack-files' checks), a stack whose
 * `privateFiles` is false, and an existing private key file (saying whether it holds the private key
 * of the stack's current public key).
 */
export function createCdnKey(reference: string, options: CdnKeyOptions = {}): CdnKey {
    const root = options.root ?? PROJECT_ROOT;
    const project = readProject(root).name;
    const config = rawConfig(reference, {}, root); // the stack-name, file and key checks of the offline tools
    const stack = stackName(reference, root);
    const stackFile = path.join(root, `Pulumi.${stack}.yaml`);
    const stackFileName = path.basename(stackFile);
    // A value that is no boolean gets the config validation's own line, not "serves files without signed URLs".
    const notBoolean = ["true", "false"].includes(config.privateFiles) ? undefined : configProblems(config as RawConfig).find((line) => line.startsWith("privateFiles: "));
    if (notBoolean !== undefined) throw new Error(`${stackFileName}: ${notBoolean}`);
    if (config.privateFiles !== "true") {
        throw new Error(
            `${stackFileName} sets ${project}:privateFiles to ${config.privateFiles}: its CDN serves files without signed URLs and trusts no key. ` +
                `To make its files private, set ${project}:privateFiles: true there and run this again.`,
        );
    }
    const original = fs.readFileSync(stackFile, "utf8");
    const privateKeyFile = path.resolve(options.out ?? defaultPrivateKeyFile(stack, root));
    refuseMissingDirectory(privateKeyFile, root);
    refuseExisting(privateKeyFile, config[CONFIG_KEY], reference, config["aws:region"], root, path.basename(defaultPrivateKeyFile(stack)));

    const { publicKey, privateKey } = generateKeyPairSync("rsa", {
        modulusLength: 2048,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    const fingerprint = publicKeyFingerprint(publicKey);
    const text = withPublicKey(original, `${project}:${CONFIG_KEY}`, publicKey, fingerprint, options.now ?? new Date(), stackFileName);

    writePrivateKey(privateKeyFile, privateKey);
    try {
        replaceFile(stackFile, text, original);
    } catch (error) {
        fs.rmSync(privateKeyFile, { force: true });
        if (error instanceof ChangedMeanwhile) {
            throw new Error(
                `${stackFileName} changed while this ran (another ${COMMAND}, an editor, a checkout?): it is left as the other writer left it, ` +
                    `and the new private key ${display(privateKeyFile, root)} was removed. Check the stack file's cdnPublicKey, then run this again if the stack still needs a new key.`,
            );
        }
        throw new Error(`cannot write ${stackFileName} (${(error as Error).message}): it is unchanged, and the new private key was removed`);
    }
    return { privateKeyFile, stackFile, publicKey, fingerprint, nextSteps: nextSteps(reference, config["aws:region"], display(privateKeyFile, root), stackFileName) };
}

/** Refuses a private key file whose directory does not exist (it is not created: a typo in --out would make one). */
function refuseMissingDirectory(file: string, root: string): void {
    const directory = path.dirname(file);
    if (fs.existsSync(directory) && fs.statSync(directory).isDirectory()) return;
    const shown = display(directory, root);
    throw new Error(
        fs.existsSync(directory)
            ? `${shown} is not a directory: give --out a file in an existing directory`
            : `${shown} does not exist; it is not created (a mistyped --out would make it): create it first (mkdir -m 700 ${quoted(shown)}) or give --out a file in an existing directory`,
    );
}

/** Refuses an existing private key file, saying what it holds, or a directory, suggesting `fileName` in it. */
function refuseExisting(file: string, currentPublicKey: string | undefined, stack: string, region: string, root: string, fileName: string): void {
    if (!fs.existsSync(file)) return;
    const shown = display(file, root);
    if (fs.statSync(file).isDirectory()) {
        const directory = shown === "" ? "." : shown; // the project's folder itself
        throw new Error(`${directory} is a directory: give --out a file in it for the private key: ${COMMAND} -- ${stack} --out ${quoted(path.join(directory, fileName))}`);
    }
    let fingerprint: string | undefined;
    try {
        fingerprint = publicKeyFingerprint(createPrivateKey(fs.readFileSync(file)));
    } catch {
        fingerprint = undefined;
    }
    if (fingerprint !== undefined && currentPublicKey !== undefined && fingerprint === safeFingerprint(currentPublicKey)) {
        throw new Error(
            `${shown} exists and holds the private key of the stack's cdnPublicKey (${fingerprint}), from an earlier run: ` +
                `put it in the stack's secret and delete it instead of making another key: ${storeCommand(stack, region, shown)} && shred -u ${quoted(shown)}`,
        );
    }
    throw new Error(`${shown} exists; it is not overwritten (it may hold a private key in use). Move or delete it, or give another file: ${COMMAND} -- ${stack} --out <file>`);
}

function safeFingerprint(pem: string): string | undefined {
    try {
        return publicKeyFingerprint(pem);
    } catch {
        return undefined;
    }
}

/**
 * The stack file's text with `key` set to the PEM as a literal block; every other line stays as it
 * was, and every line ends as the file's first line does (CRLF or LF). A comment above the key that names this command is replaced by one naming the new key's
 * fingerprint; any other comment is kept, with that line added.
 */
function withPublicKey(original: string, key: string, pem: string, fingerprint: string, now: Date, fileName: string): string {
    // The yaml library writes LF only, and keeps the CR of a CRLF file in its comments: the text is
    // read with LF endings and written back with the file's own (those of its first line).
    const crlf = /^[^\n]*\r\n/.test(original);
    const text = crlf ? original.replace(/\r\n/g, "\n") : original;
    const document = parseDocument(text);
    if (document.errors.length > 0) throw new Error(`${fileName}: ${document.errors[0].message}`);
    const config = document.get("config", true);
    if (!isMap(config)) throw new Error(`${fileName}: no \`config:\` map to write ${key} into`);
    const value = new Scalar(pem);
    value.type = Scalar.BLOCK_LITERAL;
    const line = [
        ` Made by ${COMMAND} on ${now.toISOString().slice(0, 10)}, public key ${fingerprint}.`,
        ` Its private key belongs only in the stack's signing-key secret (README, "Private files").`,
    ].join("\n");
    const items = (config as YAMLMap).items as Pair[];
    const existing = items.find((pair) => isScalar(pair.key) && pair.key.value === key);
    if (existing !== undefined) {
        const keyNode = existing.key as Scalar;
        const before = keyNode.commentBefore;
        keyNode.commentBefore = before === undefined || before === null || before.includes(COMMENT_MARK) ? line : `${before}\n${line}`;
        existing.value = value;
    } else {
        const keyNode = new Scalar(key);
        keyNode.commentBefore = line;
        const pair = new Pair(keyNode, value);
        const after = items.findIndex((p) => isScalar(p.key) && p.key.value === key.replace(CONFIG_KEY, "privateFiles"));
        items.splice(after === -1 ? items.length : after + 1, 0, pair);
    }
    const written = document.toString();
    const result = crlf ? written.replace(/\n/g, "\r\n") : written;
    const reread = parseDocument(result).toJS() as { config?: Record<string, unknown> };
    if (reread.config?.[key] !== pem) throw new Error(`${fileName}: the public key did not read back as written`); // a yaml library bug, not input
    return result;
}

/** The private key, created with mode 600 (never over an existing file: `wx`), synced to disk; removed again if writing fails. */
function writePrivateKey(file: string, pem: string): void {
    let fd: number;
    try {
        fd = fs.openSync(file, "wx", 0o600);
    } catch (error) {
        const e = error as NodeJS.ErrnoException;
        throw new Error(e.code === "EEXIST" ? `${file} exists; it is not overwritten. Move or delete it, or give another file (--out <file>)` : `cannot create ${file}: ${e.message}`);
    }
    try {
        fs.fchmodSync(fd, 0o600); // whatever the umask
        fs.writeSync(fd, pem);
        fs.fsyncSync(fd);
    } catch (error) {
        fs.closeSync(fd);
        fs.rmSync(file, { force: true });
        throw new Error(`cannot write ${file} (${(error as Error).message}): removed it; nothing else changed`);
    }
    fs.closeSync(fd);
}

/** The file no longer holds what it held when it was read. */
class ChangedMeanwhile extends Error {}

/**
 * Writes a file by renaming a complete copy over it, so it is either the old file or the new one;
 * keeps its mode. Throws ChangedMeanwhile, leaving the file alone, when it no longer holds `original`.
 */
function replaceFile(file: string, text: string, original: string): void {
    const temporary = `${file}.${process.pid}.tmp`;
    const fd = fs.openSync(temporary, "wx", fs.statSync(file).mode & 0o777); // never someone else's file
    try {
        fs.writeSync(fd, text);
        fs.fsyncSync(fd);
        fs.closeSync(fd);
        if (fs.readFileSync(file, "utf8") !== original) throw new ChangedMeanwhile();
        fs.renameSync(temporary, file);
    } catch (error) {
        try {
            fs.closeSync(fd);
        } catch {
            // closed already
        }
        fs.rmSync(temporary, { force: true });
        throw error;
    }
}

/** A path relative to the project when inside it, as the operator would type it there. */
function display(file: string, root: string): string {
    const relative = path.relative(root, file);
    return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

/** A path as a shell word. */
function quoted(file: string): string {
    return /^[\w./:-]+$/.test(file) ? file : `'${file.replace(/'/g, `'\\''`)}'`;
}

/** The aws CLI command that stores the private key file in the stack's signing-key secret (its ARN: the stack output). */
function storeCommand(stack: string, region: string, file: string, separator = " "): string {
    return [
        `aws secretsmanager put-secret-value --region ${region}`,
        `--secret-id "$(pulumi stack output ${SECRET_OUTPUT} --stack ${stack})"`,
        `--secret-string ${quoted(`file://${file}`)}`,
    ].join(separator);
}

function nextSteps(stack: string, region: string, privateKeyFile: string, stackFileName: string): string {
    return [
        `Next, with the stack's AWS credentials and the Pulumi CLI:`,
        `  1. Put the private key in the stack's signing-key secret (stack output ${SECRET_OUTPUT}):`,
        `       ${storeCommand(stack, region, privateKeyFile, " \\\n         ")}`,
        `     (A stack never deployed has no secret yet: deploy first (step 3), then do steps 1 and 2.)`,
        `  2. Delete the file: shred -u ${quoted(privateKeyFile)}`,
        `  3. Deploy the public key: commit ${stackFileName}, then pulumi up --stack ${stack} (or merge: the deploy workflow runs it).`,
        `     The key's new id (cdnKeyPairId) starts new backend tasks, which read the new private key. URLs and cookies`,
        `     signed with the previous key stop working at this deploy (README, "Private files").`,
        `  4. Check that the secret holds the deployed key's private half: npm run health -- --stack ${stack} --skip redis (Redis answers only inside the VPC)`,
    ].join("\n");
}

export const CDN_KEY_COMMAND: CommandSpec = {
    name: COMMAND,
    synopsis: "<stack> [--out <file>]",
    summary:
        "Makes the CDN's signing key pair (RSA 2048) for a stack whose privateFiles is true (<stack>, <org>/<stack> or " +
        "<org>/<project>/<stack>): the private key goes to <file>, the public key into Pulumi.<stack>.yaml as cdnPublicKey. " +
        "Then it prints how to put the private key in the stack's signing-key secret and deploy the public key.",
    options: {
        out: {
            type: "string",
            value: "<file>",
            description: "where the private key goes, in an existing directory (default cdn-signing-key-<stack>.pem, mode 600, ignored by git, never overwritten)",
        },
    },
    positionals: true,
};

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
    const line = readCommandLine(CDN_KEY_COMMAND, argv);
    if (line === undefined) return;
    const stacks = line.positionals;
    if (stacks.length !== 1) throw new Error(`Name one stack${stacks.length > 1 ? `, not ${stacks.join(" ")}` : ""} (${listStacks().join(", ")}): ${COMMAND} -- <stack>`);
    const key = createCdnKey(stacks[0], { out: line.values.out as string | undefined });
    const root = PROJECT_ROOT;
    console.log(`Wrote the private key to ${display(key.privateKeyFile, root)} (mode 600): RSA 2048, public key ${key.fingerprint}`);
    console.log(`Wrote the public key to ${display(key.stackFile, root)} (slack-clone:${CONFIG_KEY})`);
    console.log("");
    console.log(key.nextSteps);
}

if (require.main === module) runMain("cdn-key", main);

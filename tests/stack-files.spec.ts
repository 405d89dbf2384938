import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkStackFile, listStacks, projectStacks, readProject, readStackConfig, readStackFile } from "../harness/stack-files";

/** What a valid development-like stack `qa` needs, key by key: added to a test's `config:` unless it sets that key. */
const VALID = {
    "aws:region": "us-east-1",
    "aws:defaultTags": "{tags: {project: slack-clone, environment: development, stack: qa, managed-by: pulumi}}",
    "slack-clone:environment": "development",
    "slack-clone:frontendUrl": "http://localhost:3000",
    "slack-clone:privateFiles": "false",
};

/**
 * A project directory with the real Pulumi.yaml (or `projectFile`) and a stack `qa` whose file is
 * `body`; a body that starts with a `config:` block gets the VALID keys it does not set, so that only
 * the problems a test makes are reported.
 */
function project(body: string, projectFile = fs.readFileSync("Pulumi.yaml", "utf8")): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), projectFile);
    const valid = Object.entries(VALID).filter(([key]) => !body.includes(`${key}:`)).map(([key, value]) => `  ${key}: ${value}\n`).join("");
    fs.writeFileSync(path.join(dir, "Pulumi.qa.yaml"), /^config:\n  [^- ]/.test(body) ? body.replace("config:\n", `config:\n${valid}`) : body);
    return dir;
}

const errorOf = (body: string) => {
    try {
        readStackConfig("qa", project(body));
    } catch (error) {
        return (error as Error).message;
    }
    return "";
};

describe("stack files (harness/stack-files.ts)", () => {
    it("refuse a key in a namespace that is neither the project's nor a provider's, suggesting the closest key", () => {
        expect(errorOf("config:\n  aws:region: us-east-1\n  slack-clon:multiAz: true\n")).to.equal(
            'Pulumi.qa.yaml:\n  - "slack-clon:multiAz" is in namespace "slack-clon", which is neither this project\'s ("slack-clone") ' +
                'nor a provider\'s the program uses (aws, pulumi); did you mean "slack-clone:multiAz"?',
        );
        expect(errorOf("config:\n  aws:regoin: us-east-1\n")).to.equal('Pulumi.qa.yaml:\n  - "aws:regoin" is not a key of the aws namespace; did you mean "aws:region"?');
        expect(readStackConfig("qa", project("config:\n  aws:region: us-east-1\n  aws:profile: ops\n  pulumi:disable-default-providers: []\n"))["aws:profile"]).to.equal("ops");
    });

    it("show a string key written as an unquoted number as written, and say to quote it", () => {
        expect(errorOf("config:\n  slack-clone:redisEngineVersion: 7.0\n")).to.equal(
            'Pulumi.qa.yaml:\n  - "slack-clone:redisEngineVersion": 7.0 was read as the number 7, but the key is a string; quote it: "7.0"',
        );
        expect(errorOf("config:\n  slack-clone:redisEngineVersion: 6.20\n")).to.include('6.20 was read as the number 6.2, but the key is a string, and "6.20" is not valid either: expected');
        expect(readStackConfig("qa", project('config:\n  slack-clone:redisEngineVersion: "7.0"\n'))["slack-clone:redisEngineVersion"]).to.equal("7.0");
    });

    it("prefix a YAML syntax error with the file", () => {
        const message = errorOf("config:\n  aws:region: us-east-1\n   slack-clone:multiAz: true\n  slack-clone:backups: [true\n");
        expect(message).to.match(/^Pulumi\.qa\.yaml: .+ at line \d+, column \d+:/);
        expect(message).to.include("^");
    });

    it("explain a secret (secure:) that only the CLI can decrypt: offline, its default stands in, with a note", () => {
        const secret = "config:\n  slack-clone:alarmEmail:\n    secure: AAABAHk8c2VjcmV0\n";
        const file = readStackFile("qa", project(secret));
        expect(file.config["slack-clone:alarmEmail"]).to.equal("");
        expect(file.notes).to.deep.equal([
            'Pulumi.qa.yaml: "slack-clone:alarmEmail" is a secret (secure: ...), which only the Pulumi CLI can decrypt; this offline evaluation uses its default ("") instead',
        ]);
        expect(errorOf("config:\n  slack-clone:frontendUrl:\n    secure: AAABAHk8c2VjcmV0\n")).to.equal(
            'Pulumi.qa.yaml:\n  - "slack-clone:frontendUrl" is a secret (secure: ...), which only the Pulumi CLI can decrypt, and has no default to stand in for it offline',
        );
        expect(errorOf("config:\n  aws:region:\n    secure: AAABAHk8c2VjcmV0\n"), "not 'missing' later").to.equal(
            'Pulumi.qa.yaml:\n  - "aws:region" is a secret (secure: ...), which only the Pulumi CLI can decrypt, and has no default to stand in for it offline',
        );
    });

    it("refuse a static AWS credential stored as a secret, as the config validation refuses it in the clear", () => {
        for (const key of ["accessKey", "secretKey", "token"]) {
            const message = errorOf(`config:\n  aws:region: us-east-1\n  aws:${key}:\n    secure: AAABAHk8c2VjcmV0\n`);
            expect(message, key).to.match(new RegExp(`^Pulumi\\.qa\\.yaml:\\n  - aws:${key}: set \\(secure: \\.\\.\\.\\); expected unset: `));
            expect(message, key).to.include(`aws:profile or aws:assumeRoles, then: pulumi config rm aws:${key}`).and.not.include("AAAB");
        }
        expect(readStackFile("qa", project("config:\n  aws:profile:\n    secure: AAABAHk8c2VjcmV0\n")).notes, "other aws: secrets: a note").to.have.length(1);
    });

    it("name the valid values when a number quoted would still be invalid, instead of saying to quote it", () => {
        const message = errorOf("config:\n  slack-clone:redisEngineVersion: 7\n");
        expect(message).to.include('"slack-clone:redisEngineVersion": 7 was read as the number 7, but the key is a string, and "7" is not valid either: expected a version ElastiCache offers for redisEngine redis: 6.2, 7.0, 7.1');
        expect(message).not.to.include('quote it: "7"');
        expect(errorOf("config:\n  slack-clone:redisEngine: valkey\n  slack-clone:redisEngineVersion: 8.1\n")).to.include('quote it: "8.1"');
    });

    it("say that config must be a map", () => {
        expect(errorOf("config: hello\n")).to.equal('Pulumi.qa.yaml: `config` must be a map of key: value (such as `slack-clone:multiAz: true`); got string "hello"');
        expect(errorOf("config:\n  - slack-clone:multiAz\n")).to.equal("Pulumi.qa.yaml: `config` must be a map of key: value (such as `slack-clone:multiAz: true`); got a list");
        expect(errorOf("- config\n")).to.equal("Pulumi.qa.yaml: must be a map with a `config:` map of key: value; got a list");
    });

    it("refuse a top-level key other than the CLI's, suggesting the closest (a misspelt config: is not silently empty)", () => {
        expect(errorOf("confg:\n  aws:region: us-east-1\n")).to.equal(
            'Pulumi.qa.yaml: "confg" is not a key of a stack settings file (config, environment, secretsprovider, encryptedkey, encryptionsalt); did you mean "config"?',
        );
        expect(readStackConfig("qa", project("secretsprovider: passphrase\nencryptionsalt: v1:abc\nconfig:\n  aws:region: us-east-1\n"))["aws:region"]).to.equal("us-east-1");
    });

    it("say that a key without a value has none, not that it was read as an object", () => {
        expect(errorOf("config:\n  slack-clone:alarmEmail:\n")).to.equal(
            'Pulumi.qa.yaml:\n  - "slack-clone:alarmEmail" has no value; give it one (quote "" for an empty string) or remove the key',
        );
        expect(errorOf("config:\n  slack-clone:multiAz: null\n")).to.include('"slack-clone:multiAz" has no value');
    });

    it("list unknown keys and bad values in one error, not the values only once the keys are fixed", () => {
        expect(errorOf("config:\n  slack-clone:frontendUrl2: x\n  slack-clone:logRetentionDays: 31\n  slack-clone:availabilityZones: 0\n")).to.equal(
            "Pulumi.qa.yaml:\n" +
                '  - "slack-clone:frontendUrl2" is not a key of this project; did you mean "slack-clone:frontendUrl"?\n' +
                '  - availabilityZones: got 0; expected an integer from 2 to 6\n' +
                '  - logRetentionDays: got 31; expected one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653',
        );
        // A value the file's problems name already is not reported again as missing.
        expect(errorOf("config:\n  slack-clone:frontendUrl:\n    secure: AAABAHk8c2VjcmV0\n")).to.not.include("frontendUrl: missing");
        // checkStackFile (what the preview runs first) reports bad values alone too; readStackFile leaves them to the evaluation.
        const dir = project("config:\n  slack-clone:logRetentionDays: 31\n");
        expect(readStackFile("qa", dir).config["slack-clone:logRetentionDays"]).to.equal("31");
        expect(() => checkStackFile("qa", dir)).to.throw(/^Pulumi\.qa\.yaml:\n  - logRetentionDays: got 31; expected one of 1, 3, .*3653$/);
        expect(checkStackFile("qa", project("config:\n  slack-clone:logRetentionDays: 30\n")).config["slack-clone:logRetentionDays"]).to.equal("30");
    });

    it("read a file holding just `config:` (YAML null) as an empty one", () => {
        expect(readStackFile("qa", project("config:\n"))).to.deep.equal(readStackFile("qa", project("")));
        expect(readStackFile("qa", project("# nothing yet\nconfig:\n")).config["slack-clone:multiAz"]).to.equal("false");
    });

    it("refuse in Pulumi.yaml a type the CLI does not know, an attribute its schema lacks, and a default not of its type, naming Pulumi.yaml", () => {
        const real = fs.readFileSync("Pulumi.yaml", "utf8");
        const declaration = (key: string) => new RegExp(`(\n  ${key}:\n(?:    .*\n)*)`);
        const edited = real
            .replace(declaration("multiAz"), (d) => d.replace("type: boolean", "type: boolen"))
            .replace(declaration("privateFiles"), (d) => d.replace("default: true", "default: nope"))
            .replace(declaration("existingPrivateSubnetIds"), (d) => d.replace("    default: []", "    defualt: []"));
        expect(() => readProject(project("", edited))).to.throw(
            "Pulumi.yaml:\n" +
                '  - config key multiAz: type "boolen" is not a config type (string, integer, boolean, array); did you mean "boolean"?\n' +
                '  - config key privateFiles: default "nope" is not of its type, boolean\n' +
                '  - config key existingPrivateSubnetIds: "defualt" is not an attribute of a config declaration (type, items, description, secret, default); did you mean "default"?',
        );
        expect(() => readProject(project("", real.replace(/(\n  existingPrivateSubnetIds:\n    type: array\n)    items:\n      type: string\n/, "$1")))).to.throw(
            "config key existingPrivateSubnetIds: type array needs `items:`",
        );
        // A default of the right type that the validation refuses is named as Pulumi.yaml's, not the stack file's.
        const retention = real.replace(declaration("logRetentionDays"), (d) => d.replace("default: 30", "default: 31"));
        expect(() => checkStackFile("qa", project("config:\n  slack-clone:multiAz: false\n", retention))).to.throw(
            `logRetentionDays: got 31; expected one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (the value is Pulumi.yaml's default; Pulumi.qa.yaml does not set logRetentionDays)`,
        );
        expect(readProject().config.multiAz.type, "the real Pulumi.yaml passes").to.equal("boolean");
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "no-project-"));
        expect(() => readProject(empty)).to.throw(`No Pulumi.yaml in ${empty}: the project's file is missing (git checkout -- Pulumi.yaml restores it)`);
        fs.rmSync(empty, { recursive: true });
    });

    it("refuse what is not a stack before looking for its file", () => {
        for (const name of ["", "../qa", "qa staging", "acme//qa", "/qa", "a/b/c/qa", "-qa", "acme/-qa"]) {
            expect(() => readStackConfig(name, project("config: {}\n"))).to.throw(
                `${JSON.stringify(name)} is not a stack: <stack>, <org>/<stack> or <org>/<project>/<stack>, a stack name being 1 to 100 letters, digits, hyphens, underscores or periods, not starting with a hyphen. Stacks: qa`,
            );
        }
    });

    it("take a stack as the CLI does: org/stack and org/project/stack read Pulumi.<stack>.yaml, another project is refused", () => {
        const dir = project("config:\n  slack-clone:alarmEmail: a@b.co\n");
        for (const reference of ["qa", "acme/qa", "acme/slack-clone/qa"]) {
            expect(readStackConfig(reference, dir)["slack-clone:alarmEmail"], reference).to.equal("a@b.co");
        }
        expect(() => readStackConfig("acme/other/qa", dir)).to.throw('"acme/other/qa" names project "other"; this is project "slack-clone": use acme/slack-clone/qa or qa');
    });

    it("name a directory or a symbolic link to nothing in place of a stack file or Pulumi.yaml, and the fix (EISDIR, or an unknown stack that the list of stacks named)", () => {
        const dir = project("config: {}\n");
        try {
            const qa = path.join(dir, "Pulumi.qa.yaml");
            fs.rmSync(qa);
            fs.mkdirSync(qa);
            expect(() => readStackConfig("qa", dir)).to.throw(
                "Pulumi.qa.yaml is a directory, not a file: move the directory away (mv Pulumi.qa.yaml Pulumi.qa.yaml.moved), then restore the file (git checkout -- Pulumi.qa.yaml) or write it anew",
            );
            expect(listStacks(dir), "still listed: the command that reads it names the problem").to.deep.equal(["qa"]);
            fs.rmdirSync(qa);
            fs.symlinkSync("/nonexistent", qa);
            expect(() => checkStackFile("acme/qa", dir)).to.throw(
                "Pulumi.qa.yaml is a symbolic link to /nonexistent, which does not exist: point it at the file (ln -sfn <file> Pulumi.qa.yaml) or remove the link (rm Pulumi.qa.yaml)",
            );
            fs.rmSync(qa);
            expect(() => readStackConfig("qa", dir), "no file, no link: an unknown stack").to.throw('Unknown stack "qa": no Pulumi.qa.yaml. Stacks: ');
            const projectFile = path.join(dir, "Pulumi.yaml");
            fs.rmSync(projectFile);
            fs.mkdirSync(projectFile);
            expect(() => readProject(dir)).to.throw("Pulumi.yaml is a directory, not a file: move the directory away (mv Pulumi.yaml Pulumi.yaml.moved), then restore the file (git checkout -- Pulumi.yaml) or write it anew");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("tell the project's stacks (named after an environment) from a developer's own and the disaster-recovery rebuild's, which stay readable and listed for users", () => {
        const dir = project("config: {}\n");
        try {
            for (const stack of ["development", "staging", "production", "production-dr", "b0", "alice", "development-alice", "Production"]) {
                fs.copyFileSync("Pulumi.development.yaml", path.join(dir, `Pulumi.${stack}.yaml`));
            }
            expect(projectStacks(dir)).to.deep.equal(["development", "production", "staging"]);
            expect(listStacks(dir)).to.deep.equal(["Production", "alice", "b0", "development", "development-alice", "production", "production-dr", "qa", "staging"]);
            expect(readStackConfig("b0", dir)["slack-clone:environment"]).to.equal("development");
            expect(() => readStackConfig("bo", dir)).to.throw('Unknown stack "bo": no Pulumi.bo.yaml. Stacks: Production, alice, b0, development');
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

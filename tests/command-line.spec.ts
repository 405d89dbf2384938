import { expect } from "chai";
import { CommandSpec, readCommandLine, usage } from "../deploy/command-line";
import { HEALTH_COMMAND, main as health } from "../deploy/health";
import { SEED_COMMAND, main as seed } from "../deploy/seed/seed";
import { DIAGRAM_COMMAND, main as diagram } from "../dev/diagram";
import { PREVIEW_COMMAND, main as preview } from "../dev/preview";
import { SCHEMA_SNAPSHOT_COMMAND, main as schemaSnapshot } from "../dev/schema-snapshot";
import { START_COMMAND, main as start } from "../local/start";

/** Every command of the README, with the main its script runs. */
const COMMANDS: ReadonlyArray<[CommandSpec, (argv: readonly string[]) => Promise<void>]> = [
    [START_COMMAND, start],
    [SEED_COMMAND, seed],
    [HEALTH_COMMAND, health],
    [PREVIEW_COMMAND, preview],
    [DIAGRAM_COMMAND, diagram],
    [SCHEMA_SNAPSHOT_COMMAND, schemaSnapshot],
];

/** What `work` prints with console.log. */
async function printed(work: () => Promise<void>): Promise<string> {
    const lines: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => lines.push(args.join(" "));
    try {
        await work();
    } finally {
        console.log = log;
    }
    return lines.join("\n");
}

describe("command lines (deploy/command-line.ts)", () => {
    for (const [command, main] of COMMANDS) {
        it(`${command.name} -- --help prints the usage and ends without error, before any work; an unknown option points at --help`, async () => {
            expect(await printed(() => main(["--help"]))).to.equal(usage(command));
            let error: Error | undefined;
            await main(["--no-such-option"]).catch((e: Error) => (error = e));
            expect(error?.message).to.equal(`Unknown option '--no-such-option' (\`${command.name} -- --help\` lists the options)`);
        });
    }

    it("the usage lists every option the parser accepts, with its value's placeholder; the parser accepts every option the usage lists", () => {
        for (const [command] of COMMANDS) {
            const text = usage(command);
            expect(text.split("\n")[0]).to.equal(`Usage: ${command.name}${command.synopsis ? ` -- ${command.synopsis}` : ""}`);
            for (const [name, option] of Object.entries(command.options)) {
                const flag = `--${name}${option.type === "string" ? ` ${option.value}` : ""}`;
                const line = text.split("\n").find((l) => l.startsWith(`  ${flag} `));
                expect(line?.endsWith(` ${option.description}${option.multiple ? " (may be repeated)" : ""}`), `${command.name}: ${flag}`).to.equal(true);
                const argv = option.type === "string" ? [`--${name}`, "1"] : [`--${name}`];
                expect(readCommandLine(command, argv)?.values[name], `${command.name} ${argv.join(" ")}`).to.deep.equal(option.multiple ? ["1"] : option.type === "string" ? "1" : true);
            }
        }
    });

    it("suggests the option a typo away, and names a missing value or an argument the command does not take", () => {
        expect(() => readCommandLine(SEED_COMMAND, ["--dry_run"])).to.throw(`Unknown option '--dry_run'; did you mean "--dry-run"? (\`npm run seed -- --help\` lists the options)`);
        expect(() => readCommandLine(START_COMMAND, ["--backend"])).to.throw(`Option '--backend <value>' argument missing (\`npm start -- --help\` lists the options)`);
        expect(() => readCommandLine(SCHEMA_SNAPSHOT_COMMAND, ["production"])).to.throw(/^Unexpected argument 'production'.* \(`npm run schema:snapshot -- --help` lists the options\)$/);
    });
});

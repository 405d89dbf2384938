/**
 * Mocha setup (.mocharc.json), run before any spec is loaded:
 * - the AWS SDK's multi-line Node-version notice stays out of the test report;
 * - the local environment's files (.env.local, .local/) go to a folder of this run's own
 *   (LOCAL_ROOT_VARIABLE, which the commands the tests spawn inherit), so the tests run beside the
 *   developer's own `npm start` in the same checkout and never touch its lock or files.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { quietNodeVersionNotice } from "../../deploy/aws-clients";

quietNodeVersionNotice();

// Set before local/state.ts is first loaded (it reads the variable once), hence by its literal name;
// the check below fails the run if the module's variable is renamed. The folder is made by the
// first start that needs it (as .local is): a run whose root hooks never run (no test matched
// --grep) leaves nothing behind.
const root = path.join(os.tmpdir(), `slack-clone-local-${randomBytes(8).toString("hex")}`);
process.env.SLACK_CLONE_LOCAL_ROOT = root;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const state = require("../../local/state") as typeof import("../../local/state");
if (state.LOCAL_ROOT !== root) throw new Error(`tests/helpers/setup.ts: local/state.ts did not take its folder from SLACK_CLONE_LOCAL_ROOT (its variable is ${state.LOCAL_ROOT_VARIABLE})`);

/** Mocha's root hooks: the folder goes once every spec has run. */
export const mochaHooks = {
    afterAll(): void {
        fs.rmSync(root, { recursive: true, force: true });
    },
};

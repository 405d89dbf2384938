import { expect } from "chai";
import { backendEnvironment, backendSecrets, secretsFromEnvironment } from "../deploy/backend-env";
import { ENV_FILE, shown } from "../local/state";
import { STACKS, stackEvaluation } from "./helpers/stacks";

describe("backend environment (deploy/backend-env.ts)", () => {
    it("gives a deployed backend Redis over TLS with no credentials in any variable, the AUTH token as a secret by ARN", async () => {
        for (const stack of STACKS) {
            const { outputs } = await stackEvaluation(stack);
            const env = backendEnvironment(outputs);
            expect(env.REDIS_URL, stack).to.equal(`rediss://master.slack-clone-redis-${stack}.abc123.us-east-1.cache.amazonaws.com:6379`);
            expect(Object.values(env).some((v) => v.includes("@")), `${stack}: no URL with credentials`).to.equal(false);
            expect(backendSecrets(outputs).REDIS_AUTH_TOKEN, stack).to.equal(outputs.redisAuthTokenSecretArn).and.match(/^arn:aws:secretsmanager:/);
        }
    });

    it("gives the CDN's key pair id as a variable and its signing key as a secret, where files are private", async () => {
        const { outputs } = await stackEvaluation("production");
        expect(backendEnvironment(outputs).CDN_KEY_PAIR_ID).to.equal(outputs.cdnKeyPairId).and.not.equal(undefined);
        expect(backendSecrets(outputs).CDN_SIGNING_KEY).to.equal(outputs.cdnSigningKeySecretArn).and.match(/^arn:aws:secretsmanager:/);
        const development = (await stackEvaluation("development")).outputs;
        expect(backendEnvironment(development)).to.not.have.property("CDN_KEY_PAIR_ID");
        expect(Object.keys(backendSecrets(development))).to.deep.equal(["REDIS_AUTH_TOKEN"]);
    });

    it("reads a secret by ARN from the variable the backend gets, naming an ARN no variable holds", async () => {
        const outputs = { redisAuthTokenSecretArn: "arn:aws:secretsmanager:us-east-1:000000000000:secret:token" };
        const read = secretsFromEnvironment(outputs, { REDIS_AUTH_TOKEN: "pw" });
        expect(await read(outputs.redisAuthTokenSecretArn)).to.equal("pw");
        let error: Error | undefined;
        await read("arn:aws:secretsmanager:us-east-1:000000000000:secret:other").catch((e: Error) => (error = e));
        expect(error?.message).to.equal("secret arn:aws:secretsmanager:us-east-1:000000000000:secret:other: no variable of the local environment holds it");
        // .env.local without the variable (edited by hand): named, with the file and the fix.
        const unset = await secretsFromEnvironment(outputs, {})(outputs.redisAuthTokenSecretArn).then(() => undefined, (e: Error) => e.message);
        expect(unset).to.equal(
            `secret ${outputs.redisAuthTokenSecretArn}: the local environment gives it as REDIS_AUTH_TOKEN, which ${shown(ENV_FILE)} does not set; restart npm start (Ctrl-C, then npm start) to write the file again`,
        );
    });

    it("names every missing output with the variable it is for", () => {
        expect(() => backendEnvironment({ environment: "staging", region: "us-east-1" })).to.throw(/usersTableName \(for USERS_TABLE\).*redisTls \(for REDIS_TLS\)/);
    });
});

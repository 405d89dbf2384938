import { expect } from "chai";
import { backendEnvironment, redisUrl } from "../deploy/backend-env";

describe("backend environment (deploy/backend-env.ts)", () => {
    it("uses TLS and the AUTH token for Redis when the stack has one", () => {
        expect(redisUrl({ redisPrimaryEndpoint: "r.example", redisPort: 6379, redisAuthToken: "a&b" })).to.equal("rediss://:a%26b@r.example:6379");
        expect(redisUrl({ redisPrimaryEndpoint: "127.0.0.1", redisPort: 6380 })).to.equal("redis://127.0.0.1:6380");
    });

    it("takes the Redis port from the stack outputs only", () => {
        expect(() => redisUrl({ redisPrimaryEndpoint: "r.example" })).to.throw(/Stack output "redisPort" is missing/);
    });

    it("names the missing output", () => {
        expect(() => backendEnvironment({ environment: "staging", region: "us-east-1" })).to.throw(/Stack output "usersTableName" is missing/);
    });
});

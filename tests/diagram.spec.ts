import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { README_STACK, architectureGraph, diagramDocument, diagramFile, linkedStacks, main, readmeWithDiagram } from "../dev/diagram";
import { byName } from "../harness/mock-engine";
import { PROJECT_ROOT } from "../harness/stack-files";
import { captureLog } from "./helpers/console";
import { stackEvaluation } from "./helpers/stacks";

/** The stacks whose diagram the README links: those a no-argument `npm run diagram` draws. */
const STACKS = linkedStacks(fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8"));

describe("architecture diagrams", () => {
    it("the mock engine tells custom resources from components", async () => {
        const evaluation = await stackEvaluation("production");
        expect(byName(evaluation, "aws:dynamodb/table:Table", "data-users").custom).to.equal(true);
        expect(byName(evaluation, "pulumi:providers:aws", "storage-secondary").custom).to.equal(true);
        expect(byName(evaluation, "slack-clone:data:DataLayer", "data").custom).to.equal(false);
        // awsx's Vpc is a remote component: the engine registers it, not as a custom resource.
        expect(byName(evaluation, "awsx:ec2:Vpc", "network-vpc").custom).to.equal(false);
    });

    it("README.md links the diagrams of the committed stacks", () => {
        expect(STACKS).to.have.members(["development", "staging", "production"]);
    });

    for (const stack of STACKS) {
        it(`docs/architecture-${stack}.md is what the program draws now`, async () => {
            const committed = fs.readFileSync(diagramFile(stack), "utf8");
            expect(committed).to.equal(diagramDocument(await stackEvaluation(stack)), `docs/architecture-${stack}.md is out of date: run npm run diagram -- ${stack}`);
        });
    }

    it(`README.md shows the ${README_STACK} diagram as the program draws it now`, async () => {
        const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
        expect(readme).to.equal(readmeWithDiagram(readme, await stackEvaluation(README_STACK)), `README.md's diagram is out of date: run npm run diagram -- ${README_STACK}`);
    });

    it("production: the references that matter are arrows, labelled with the inputs that make them", async () => {
        const { edges } = architectureGraph(await stackEvaluation("production"));
        const edge = (from: string, to: string) => {
            const found = edges.get(`${from}\t${to}`);
            return found === undefined ? undefined : `${[...found.labels].sort().join(", ")}${found.dependsOnly ? " (dependsOn)" : ""}`;
        };
        expect(edge("Bucket_storage_files", "Function_storage_thumbnail"), "upload notification").to.equal("lambdaFunctions");
        expect(edge("Function_storage_thumbnail", "Bucket_storage_files"), "invoke permission").to.equal("sourceArn");
        expect(edge("Distribution_cdn_distribution", "Bucket_storage_files"), "CDN origin").to.equal("origins");
        expect(edge("SecurityGroup_cache_redis", "SecurityGroup_network_backend"), "Redis admits the backend").to.equal("referencedSecurityGroupId");
        expect(edge("ReplicationGroup_cache_redis", "SubnetGroup_cache_subnets")).to.equal("subnetGroupName");
        expect(edge("Selection_backup_tables", "Table_data"), "backups of the tables").to.equal("resources");
        expect(edge("MetricAlarm_observability", "Topic_observability_alarms")).to.equal("alarmActions, okActions");
        expect(edge("Plan_backup_plan", "Vault_backup_copy_vault"), "copies to the second region").to.equal("rules");
        expect(edge("Bucket_storage_files", "Bucket_storage_files_replica"), "replication").to.equal("rules");
        expect(edge("RestApi_api_rest_api", "Account_api_account")).to.equal("dependsOn (dependsOn)");
        // A resource's own name is no reference: Redis and its subnet group share a name.
        expect(edge("SubnetGroup_cache_subnets", "ReplicationGroup_cache_redis")).to.equal(undefined);
    });

    it("production: configuration is drawn inside what it configures, and the 12 tables are one node", async () => {
        const { nodes, components } = architectureGraph(await stackEvaluation("production"));
        expect(nodes.get("Bucket_storage_files")).to.equal(
            "s3 Bucket<br/>slack-clone-files-production-{accountId}<br/>+ Cors, Lifecycle, Logging, Notification<br/>ObjectLock, Policy, PublicAccessBlock, Replication<br/>ServerSideEncryption, Versioning",
        );
        expect(nodes.get("Bucket_storage_files_replica")).to.match(/^s3 Bucket · us-west-2<br\/>/);
        expect(nodes.get("Table_data")).to.equal("dynamodb Table ×12<br/>slack-clone-*-production");
        expect([...components.get("DataLayer_data")!.nodes]).to.deep.equal(["Table_data"]);
        expect(components.get("ThumbnailFunction_storage_thumbnail")!.parent).to.equal("Storage_storage");
        expect([...nodes.keys()].filter((id) => /Policy|Permission|Method|IngressRule/.test(id))).to.deep.equal([]);
    });
});

describe("npm run diagram", () => {
    let root: string;
    const docs = () => fs.readdirSync(path.join(root, "docs")).sort();
    const draw = async (...argv: string[]): Promise<Error | undefined> => (await captureLog(() => main(argv, { root, evaluate: stackEvaluation }))).error;
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "diagram-"));
        for (const file of fs.readdirSync(PROJECT_ROOT).filter((f) => /^(Pulumi\..*yaml|README\.md)$/.test(f))) fs.copyFileSync(path.join(PROJECT_ROOT, file), path.join(root, file));
        fs.mkdirSync(path.join(root, "docs"));
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("takes a stack reference as the CLI does: acme/staging draws docs/architecture-staging.md", async () => {
        expect(await draw("acme/staging")).to.equal(undefined);
        expect(docs()).to.deep.equal(["architecture-staging.md"]);
        expect(fs.readFileSync(diagramFile("staging", root), "utf8")).to.equal(diagramDocument(await stackEvaluation("staging")));
    });

    it("reads every stack before writing anything: a broken stack file named after a good one leaves docs/ as it was", async () => {
        fs.writeFileSync(path.join(root, "Pulumi.broken.yaml"), "config:\n  slack-clone:environment: [broken\n");
        const error = await draw("staging", "broken");
        expect(error?.message).to.match(/^Pulumi\.broken\.yaml: /);
        expect(docs()).to.deep.equal([]);
    });

    it("says README.md is missing and how to restore it (a bare ENOENT before), writing nothing", async () => {
        fs.rmSync(path.join(root, "README.md"));
        const error = await draw("staging");
        expect(error?.message).to.equal(`No README.md in ${root}: the project's file is missing (git checkout -- README.md restores it)`);
        expect(docs()).to.deep.equal([]);
    });

    it("with no stack named draws the stacks README.md links, not a personal stack file, and README's production diagram", async () => {
        fs.copyFileSync(path.join(root, "Pulumi.development.yaml"), path.join(root, "Pulumi.alice.yaml"));
        expect(await draw()).to.equal(undefined);
        expect(docs()).to.deep.equal(["architecture-development.md", "architecture-production.md", "architecture-staging.md"]);
        expect(fs.readFileSync(path.join(root, "README.md"), "utf8")).to.equal(fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8"));
    });
});

/**
 * The product's infrastructure: components composed from the stack's config, and one flat set
 * of stack outputs. Every name a backend, the seed or the health check needs is an output here
 * (see README.md, "Stack outputs").
 */
import { loadConfig } from "./components/config";
import { DataLayer } from "./components/data-layer";
import { Storage } from "./components/storage";
import { TABLES, tableOutputName } from "./components/tables";

const config = loadConfig();

const data = new DataLayer("data", {
    environment: config.environment,
    pointInTimeRecovery: config.pointInTimeRecovery,
    protectData: config.protectData,
});

const storage = new Storage("storage", {
    environment: config.environment,
    frontendUrl: config.frontendUrl,
    accessLogging: config.accessLogging,
    protectData: config.protectData,
    multiRegion: config.multiRegion,
    secondaryRegion: config.secondaryRegion,
    mfaDelete: config.mfaDelete,
    logRetentionDays: config.logRetentionDays,
    thumbnailMaxDimension: config.thumbnailMaxDimension,
});
// The files bucket's one policy; the CDN's origin access statement joins it here.
storage.attachFilesBucketPolicy([]);

export = {
    /** development, staging or production. */
    environment: config.environment,
    /** AWS region of the stack. */
    region: config.region,
    /** One `<table>TableName` output per table, e.g. `usersTableName`, `workspaceMembershipsTableName`. */
    ...Object.fromEntries(TABLES.map((spec) => [tableOutputName(spec), data.tableNames[spec.name]])),
    /** ARN of the messages table's stream (NEW_AND_OLD_IMAGES). */
    messagesStreamArn: data.messagesStreamArn,
    /** Uploaded files (uploads/ triggers the thumbnail function). */
    filesBucketName: storage.filesBucketName,
    filesBucketArn: storage.filesBucketArn,
    /** Thumbnails, under thumbnails/<path of the upload>. */
    thumbnailsBucketName: storage.thumbnailsBucketName,
    thumbnailsBucketArn: storage.thumbnailsBucketArn,
    thumbnailFunctionName: storage.thumbnailFunctionName,
    /** The files bucket's replica in the secondary region (multiRegion only). */
    ...(storage.filesReplicaBucket ? { filesReplicaBucketName: storage.filesReplicaBucket.bucket } : {}),
};

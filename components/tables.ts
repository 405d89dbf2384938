/**
 * The 12 DynamoDB tables of the product, as data.
 *
 * This list is the single source of truth: the DataLayer component, the seed, the local
 * environment and the tests all import it. Changing a table's key schema replaces the
 * table in AWS; `tests/schema-guard.spec.ts` catches that against `tests/schema-snapshot.json`.
 */
import { physicalName } from "./naming";

/** DynamoDB scalar attribute types usable in keys. */
export type AttributeType = "S" | "N" | "B";

export interface KeyAttribute {
    readonly name: string;
    readonly type: AttributeType;
}

export interface IndexSpec {
    /** Index name, as the backend queries it. */
    readonly name: string;
    readonly partitionKey: KeyAttribute;
    readonly sortKey?: KeyAttribute;
    /** Every index projects all attributes. */
    readonly projection: "ALL";
}

export interface TableSpec<Name extends string = string> {
    /** Short name, the spec's `{table-name}`: part of the physical name and of the output/env names. */
    readonly name: Name;
    readonly partitionKey: KeyAttribute;
    readonly sortKey: KeyAttribute;
    readonly indexes: readonly IndexSpec[];
    /** DynamoDB Streams view type, when the table has a stream. */
    readonly stream?: "NEW_AND_OLD_IMAGES";
    /** Attribute holding the epoch-seconds expiry, when the table has TTL. */
    readonly ttlAttribute?: string;
}

const str = (name: string): KeyAttribute => ({ name, type: "S" });
const PK = str("PK");
const SK = str("SK");

function table<Name extends string>(
    name: Name,
    indexes: ReadonlyArray<[indexName: string, partitionKey: string, sortKey?: string]>,
    extra: Pick<TableSpec, "stream" | "ttlAttribute"> = {},
): TableSpec<Name> {
    return {
        name,
        partitionKey: PK,
        sortKey: SK,
        indexes: indexes.map(([indexName, pk, sk]) => ({
            name: indexName,
            partitionKey: str(pk),
            ...(sk === undefined ? {} : { sortKey: str(sk) }),
            projection: "ALL" as const,
        })),
        ...extra,
    };
}

/** Billing mode of every table (on-demand). */
export const BILLING_MODE = "PAY_PER_REQUEST" as const;

export const TABLES = [
    table("users", [["EmailIndex", "email"]]),
    table("workspaces", [["OwnerIndex", "owner_id", "PK"]]),
    table("workspace-memberships", [["UserWorkspacesIndex", "user_id", "workspace_id"]]),
    table("channels", [["ChannelIdIndex", "channel_id"]]),
    table("channel-memberships", [["UserChannelsIndex", "user_id", "channel_id"]]),
    table(
        "messages",
        [
            ["UserMessagesIndex", "user_id", "SK"],
            ["ThreadIndex", "parent_message_id", "SK"],
        ],
        { stream: "NEW_AND_OLD_IMAGES" },
    ),
    table("conversations", [["WorkspaceConversationsIndex", "workspace_id", "conversation_id"]]),
    table("conversation-participants", [["UserConversationsIndex", "user_id", "conversation_id"]]),
    table("notifications", [["UnreadIndex", "user_id_unread", "SK"]], { ttlAttribute: "expires_at" }),
    table("files", [["UserFilesIndex", "user_id", "timestamp"]]),
    table("presence", [["OnlineUsersIndex", "status", "user_id"]], { ttlAttribute: "expires_at" }),
    table("reactions", []),
] as const satisfies readonly TableSpec[];

/** The tables' short names, `users` ... `reactions`. */
export type TableShortName = (typeof TABLES)[number]["name"];

/** `slack-clone-{table}-{environment}`. */
export function tableName(spec: TableSpec, environment: string): string {
    return physicalName(spec.name, environment);
}

/**
 * The attribute definitions DynamoDB requires: exactly the key attributes of the table and
 * of its indexes, each once (TTL and other attributes must not be declared).
 */
export function keyAttributes(spec: TableSpec): KeyAttribute[] {
    const all = [spec.partitionKey, spec.sortKey, ...spec.indexes.flatMap((i) => [i.partitionKey, i.sortKey])];
    const byName = new Map<string, KeyAttribute>();
    for (const attribute of all) {
        if (attribute === undefined) continue;
        const seen = byName.get(attribute.name);
        if (seen !== undefined && seen.type !== attribute.type) {
            throw new Error(
                `table "${spec.name}": attribute "${attribute.name}" is declared as ${seen.type} and ${attribute.type}; ` +
                    "a key attribute has one type across the table and its indexes",
            );
        }
        byName.set(attribute.name, attribute);
    }
    return [...byName.values()];
}

/** The key schema of a table or an index, in the DynamoDB API's form: the partition key, then the sort key. */
export function keySchema(keys: { readonly partitionKey: KeyAttribute; readonly sortKey?: KeyAttribute }): { AttributeName: string; KeyType: "HASH" | "RANGE" }[] {
    return [
        { AttributeName: keys.partitionKey.name, KeyType: "HASH" },
        ...(keys.sortKey === undefined ? [] : [{ AttributeName: keys.sortKey.name, KeyType: "RANGE" as const }]),
    ];
}

/** `workspace-memberships` -> `workspaceMemberships`, as a type. */
type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/** The stack outputs holding the tables' physical names: `usersTableName` ... `reactionsTableName`. */
export type TableOutputName = `${CamelCase<TableShortName>}TableName`;

const camel = (name: string) => name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/** Stack output holding a table's physical name, e.g. `workspaceMembershipsTableName`. */
export function tableOutputName(spec: TableSpec): TableOutputName {
    return `${camel(spec.name)}TableName` as TableOutputName;
}

/** One value per table, keyed by the table's stack output name (`usersTableName`: value(users spec), ...). */
export function tableOutputs<T>(value: (spec: TableSpec) => T): Record<TableOutputName, T> {
    return Object.fromEntries(TABLES.map((spec) => [tableOutputName(spec), value(spec)])) as Record<TableOutputName, T>;
}

/** Environment variable the backend reads a table's name from, e.g. `WORKSPACE_MEMBERSHIPS_TABLE`. */
export function tableEnvVar(spec: TableSpec): string {
    return `${spec.name.replace(/-/g, "_").toUpperCase()}_TABLE`;
}

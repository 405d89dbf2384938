import { expect } from "chai";
import { TABLES, keyAttributes, tableEnvVar, tableOutputName } from "../components/tables";

describe("table specs", () => {
    it("are the spec's 12 tables with their 12 indexes", () => {
        expect(TABLES.map((t) => t.name)).to.deep.equal([
            "users",
            "workspaces",
            "workspace-memberships",
            "channels",
            "channel-memberships",
            "messages",
            "conversations",
            "conversation-participants",
            "notifications",
            "files",
            "presence",
            "reactions",
        ]);
        const indexes = TABLES.flatMap((t) => t.indexes.map((i) => `${t.name}.${i.name}(${i.partitionKey.name},${i.sortKey?.name ?? "-"})`));
        expect(indexes).to.deep.equal([
            "users.EmailIndex(email,-)",
            "workspaces.OwnerIndex(owner_id,PK)",
            "workspace-memberships.UserWorkspacesIndex(user_id,workspace_id)",
            "channels.ChannelIdIndex(channel_id,-)",
            "channel-memberships.UserChannelsIndex(user_id,channel_id)",
            "messages.UserMessagesIndex(user_id,SK)",
            "messages.ThreadIndex(parent_message_id,SK)",
            "conversations.WorkspaceConversationsIndex(workspace_id,conversation_id)",
            "conversation-participants.UserConversationsIndex(user_id,conversation_id)",
            "notifications.UnreadIndex(user_id_unread,SK)",
            "files.UserFilesIndex(user_id,timestamp)",
            "presence.OnlineUsersIndex(status,user_id)",
        ]);
    });

    it("derive output and environment variable names from the short name", () => {
        const memberships = TABLES.find((t) => t.name === "workspace-memberships")!;
        expect(tableOutputName(memberships)).to.equal("workspaceMembershipsTableName");
        expect(tableEnvVar(memberships)).to.equal("WORKSPACE_MEMBERSHIPS_TABLE");
    });

    it("refuse a key attribute declared with two types", () => {
        const bad = { ...TABLES[0], indexes: [{ name: "X", partitionKey: { name: "PK", type: "N" as const }, projection: "ALL" as const }] };
        expect(() => keyAttributes(bad)).to.throw(/attribute "PK" is declared as S and N/);
    });
});

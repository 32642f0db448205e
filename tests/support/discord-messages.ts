// Creating and editing messages for the local Discord test server (channel messages, interaction responses
// and follow-ups share this): attachments from uploaded files, mentions, flags, and MESSAGE_* dispatches.
import { type JsonObject, permissionFlag, snowflake } from "./discord-fixtures.js";
import { type DiscordGateway, INTENTS } from "./discord-gateway.js";
import type { RecordedRequest } from "./discord-http.js";
import type { InteractionState } from "./discord-interactions.js";
import {
  CH,
  type DiscordStore,
  isThreadType,
  MESSAGE_FLAG_LOADING,
  nowIso,
  type RecordedFile,
  type StoredChannel,
  type StoredMessage,
} from "./discord-store.js";
import {
  computeMentions,
  isRecord,
  MESSAGE_FLAG_COMPONENTS_V2,
  MESSAGE_FLAG_EPHEMERAL,
  type MentionReport,
} from "./discord-validation.js";

const FLAG_SUPPRESS_EMBEDS = 1 << 2;
const FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12;
const FLAG_VOICE_MESSAGE = 1 << 13;
/** Flags a bot may set when creating a message (others are dropped, as Discord does). */
const SETTABLE_FLAGS =
  FLAG_SUPPRESS_EMBEDS | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_VOICE_MESSAGE | MESSAGE_FLAG_COMPONENTS_V2;

export const MESSAGE_TYPE = { default: 0, reply: 19, chatInputCommand: 20 } as const;

export interface MessageCore {
  store: DiscordStore;
  gateway: DiscordGateway;
}

function messageIntent(channel: StoredChannel): number {
  return channel.guildId ? INTENTS.guildMessages : INTENTS.directMessages;
}

export function dispatchMessage(
  core: MessageCore,
  event: "MESSAGE_CREATE" | "MESSAGE_UPDATE",
  message: StoredMessage,
): void {
  if (message.ephemeral) return;
  const channel = core.store.channels.get(message.channelId);
  if (!channel) return;
  core.gateway.dispatch(event, core.store.messageDispatchPayload(message), messageIntent(channel));
}

export function dispatchMessageDelete(core: MessageCore, message: StoredMessage): void {
  if (message.ephemeral) return;
  const channel = core.store.channels.get(message.channelId);
  if (!channel) return;
  const data: JsonObject = { id: message.id, channel_id: message.channelId };
  if (message.guildId) data.guild_id = message.guildId;
  core.gateway.dispatch("MESSAGE_DELETE", data, messageIntent(channel));
}

/** Who a body would notify if posted in `channel` (conservative for webhooks/interaction responses). */
export function mentionsFor(
  store: DiscordStore,
  channel: StoredChannel,
  body: unknown,
  opts: { ephemeral: boolean; webhook: boolean },
): MentionReport {
  const guild = channel.guildId ? store.guilds.get(channel.guildId) : undefined;
  let replyTargetAuthorId: string | undefined;
  if (
    isRecord(body) &&
    isRecord(body.message_reference) &&
    typeof body.message_reference.message_id === "string"
  ) {
    replyTargetAuthorId = store.messages.get(body.message_reference.message_id)?.authorId;
  }
  const canMentionEveryone =
    opts.webhook || !guild || (store.botPermissionsIn(channel.id) & permissionFlag("mentionEveryone")) !== 0n;
  return computeMentions(body, {
    ephemeral: opts.ephemeral,
    selfId: store.botId,
    replyTargetAuthorId,
    canMentionEveryone,
    isRoleMentionable: (roleId) => guild?.roles.find((r) => r.id === roleId)?.mentionable ?? true,
  });
}

function fileIndex(field: string): number | undefined {
  const m = /^files\[(\d+)\]$/.exec(field) ?? /^file(\d*)$/.exec(field);
  if (!m) return undefined;
  return m[1] === undefined || m[1] === "" ? 0 : Number(m[1]);
}

/** Attachment objects for newly uploaded files, using the `attachments` entries of the body for names. */
function newAttachments(
  store: DiscordStore,
  channelId: string,
  body: JsonObject,
  files: RecordedFile[],
  into: Map<string, RecordedFile>,
  ephemeral: boolean,
): JsonObject[] {
  const described = Array.isArray(body.attachments) ? body.attachments.filter(isRecord) : [];
  return files.map((file, i) => {
    const index = fileIndex(file.field) ?? i;
    const entry = described.find((a) => String(a.id) === String(index));
    const filename = typeof entry?.filename === "string" ? entry.filename : file.name;
    const id = snowflake();
    into.set(id, file);
    const url = `${store.baseUrl}/attachments/${channelId}/${id}/${encodeURIComponent(filename)}`;
    const attachment: JsonObject = {
      id,
      filename,
      size: file.size,
      url,
      proxy_url: url,
      content_type: file.contentType,
    };
    if (typeof entry?.description === "string") attachment.description = entry.description;
    if (ephemeral) attachment.ephemeral = true;
    return attachment;
  });
}

function normaliseEmbeds(embeds: unknown): JsonObject[] {
  if (!Array.isArray(embeds)) return [];
  return embeds.filter(isRecord).map((e) => ({ type: "rich", ...structuredClone(e) }));
}

function mentionFields(store: DiscordStore, report: MentionReport): JsonObject {
  return {
    mention_everyone: report.everyone,
    mentions: report.users.flatMap((id) => {
      const user = store.users.get(id);
      return user ? [user] : [];
    }),
    mention_roles: report.roles,
  };
}

export interface CreateMessageInput {
  channel: StoredChannel;
  body: JsonObject;
  files: RecordedFile[];
  record: RecordedRequest;
  type?: number;
  /** Interaction response or follow-up: sets webhook_id/application_id/interaction_metadata. */
  interaction?: InteractionState;
  /** The "thinking…" message of a deferred response. */
  loading?: boolean;
  /** Force the message id (thread starter messages share the thread's id). */
  id?: string;
  /** Drop embeds (no EMBED_LINKS), as Discord does silently. */
  dropEmbeds?: boolean;
}

export function createMessage(core: MessageCore, input: CreateMessageInput): StoredMessage {
  const { store } = core;
  const { channel, body, interaction } = input;
  const requestedFlags = typeof body.flags === "number" ? body.flags : 0;
  const ephemeral = interaction !== undefined && (requestedFlags & MESSAGE_FLAG_EPHEMERAL) !== 0;
  let flags = requestedFlags & SETTABLE_FLAGS;
  if (ephemeral) flags |= MESSAGE_FLAG_EPHEMERAL;
  if (input.loading) flags |= MESSAGE_FLAG_LOADING;
  const id = input.id ?? snowflake();
  const files = new Map<string, RecordedFile>();
  const report = input.loading
    ? mentionsFor(store, channel, {}, { ephemeral, webhook: true })
    : mentionsFor(store, channel, body, { ephemeral, webhook: interaction !== undefined });
  const reference = isRecord(body.message_reference) ? body.message_reference : undefined;
  const referenced =
    reference && typeof reference.message_id === "string"
      ? store.messages.get(reference.message_id)
      : undefined;
  const data: JsonObject = {
    id,
    channel_id: channel.id,
    author: store.app.bot,
    content: typeof body.content === "string" ? body.content : "",
    timestamp: nowIso(),
    edited_timestamp: null,
    tts: body.tts === true,
    ...mentionFields(store, report),
    attachments: newAttachments(store, channel.id, body, input.files, files, ephemeral),
    embeds: input.dropEmbeds ? [] : normaliseEmbeds(body.embeds),
    pinned: false,
    type: input.type ?? (referenced ? MESSAGE_TYPE.reply : MESSAGE_TYPE.default),
    flags,
    components: Array.isArray(body.components) ? structuredClone(body.components) : [],
  };
  if (body.nonce !== undefined) data.nonce = body.nonce;
  if (isRecord(body.poll)) data.poll = structuredClone(body.poll);
  if (referenced) {
    data.message_reference = {
      type: 0,
      message_id: referenced.id,
      channel_id: referenced.channelId,
      ...(referenced.guildId ? { guild_id: referenced.guildId } : {}),
    };
    data.referenced_message = store.messagePayload(referenced);
  }
  if (isThreadType(channel.type))
    data.position = typeof channel.data.total_message_sent === "number" ? channel.data.total_message_sent : 0;
  if (interaction) {
    data.webhook_id = store.app.id;
    data.application_id = store.app.id;
    const metadata: JsonObject = {
      id: interaction.id,
      type: interaction.payload.type,
      user: interaction.user,
      authorizing_integration_owners: interaction.payload.authorizing_integration_owners,
    };
    if (interaction.commandName) {
      metadata.name = interaction.commandName;
      metadata.command_type = 1;
    }
    if (interaction.sourceMessageId) metadata.interacted_message_id = interaction.sourceMessageId;
    data.interaction_metadata = metadata;
  }
  const message: StoredMessage = {
    id,
    channelId: channel.id,
    guildId: channel.guildId,
    authorId: store.botId,
    createdAt: Date.now(),
    ephemeral,
    deleted: false,
    nonce: typeof body.nonce === "string" || typeof body.nonce === "number" ? body.nonce : undefined,
    interactionId: interaction?.id,
    allowedMentions: input.loading ? undefined : body.allowed_mentions,
    wouldPing: report.wouldPing,
    data,
    files,
  };
  input.record.wouldPing = input.record.wouldPing || report.wouldPing;
  input.record.mentions = report;
  store.addMessage(message);
  return message;
}

export interface EditMessageInput {
  message: StoredMessage;
  body: JsonObject;
  files: RecordedFile[];
  record: RecordedRequest;
  /** Editing a deferred response for the first time (it stops "thinking"; counts as its creation). */
  completingDeferred?: boolean;
  webhook: boolean;
}

export function editMessage(core: MessageCore, input: EditMessageInput): StoredMessage {
  const { store } = core;
  const { message, body } = input;
  const channel = store.channels.get(message.channelId);
  const data = message.data;
  if (typeof body.content === "string" || body.content === null) data.content = body.content ?? "";
  if ("embeds" in body) data.embeds = normaliseEmbeds(body.embeds);
  if ("components" in body)
    data.components = Array.isArray(body.components) ? structuredClone(body.components) : [];
  if (typeof body.flags === "number") {
    const keep = (typeof data.flags === "number" ? data.flags : 0) & MESSAGE_FLAG_EPHEMERAL;
    data.flags = (body.flags & SETTABLE_FLAGS) | keep;
  }
  if (input.completingDeferred && typeof data.flags === "number") data.flags &= ~MESSAGE_FLAG_LOADING;
  // Attachments: an `attachments` array lists the existing ones to keep (by id) and describes new uploads.
  const existing = Array.isArray(data.attachments) ? data.attachments.filter(isRecord) : [];
  let kept = existing;
  if (Array.isArray(body.attachments)) {
    const keepIds = new Set(body.attachments.filter(isRecord).map((a) => String(a.id)));
    kept = existing.filter((a) => keepIds.has(String(a.id)));
    for (const id of [...message.files.keys()]) if (!keepIds.has(id)) message.files.delete(id);
  }
  data.attachments = [
    ...kept,
    ...newAttachments(store, message.channelId, body, input.files, message.files, message.ephemeral),
  ];
  if (channel && ("content" in body || "allowed_mentions" in body)) {
    const report = mentionsFor(
      store,
      channel,
      { ...body, content: data.content },
      {
        ephemeral: message.ephemeral,
        webhook: input.webhook,
      },
    );
    Object.assign(data, mentionFields(store, report));
    message.wouldPing = report.wouldPing;
    message.allowedMentions = body.allowed_mentions;
    input.record.wouldPing = report.wouldPing;
    input.record.mentions = report;
  }
  data.edited_timestamp = input.completingDeferred ? null : nowIso();
  return message;
}

/** Whether a channel accepts messages at all (text-based). */
export function isMessageable(channel: StoredChannel): boolean {
  return channel.type !== CH.category && channel.type !== CH.forum && channel.type !== CH.media;
}

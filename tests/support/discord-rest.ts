// REST routes of the local Discord test server (below /api/v10): gateway discovery, the application,
// application commands, guilds, members, channels, messages, threads, thread members, users and DMs.
// Interaction callbacks and interaction webhooks live in discord-rest-interactions.ts.
import {
  BOT_PERMISSIONS,
  type JsonObject,
  type PermissionKey,
  permissionFlag,
  snowflake,
} from "./discord-fixtures.js";
import { INTENTS } from "./discord-gateway.js";
import { DiscordHttpError, ERR, type RestContext, type RestResult, type Router } from "./discord-http.js";
import type { InteractionRegistry } from "./discord-interactions.js";
import {
  createMessage,
  dispatchMessage,
  dispatchMessageDelete,
  editMessage,
  isMessageable,
  type MessageCore,
} from "./discord-messages.js";
import {
  CH,
  isThreadType,
  MESSAGE_FLAG_HAS_THREAD,
  type StoredChannel,
  type StoredCommand,
  type StoredGuild,
} from "./discord-store.js";
import {
  isEmptyMessage,
  isRecord,
  mergeIssues,
  type ValidationIssue,
  validateChannelPatch,
  validateCommandBulk,
  validateCommandCreate,
  validateCommandPatch,
  validateCreateDm,
  validateMessageCreate,
  validateMessageEdit,
  validateThreadFromMessage,
  validateThreadWithoutMessage,
} from "./discord-validation.js";

export interface ResolvedServerOptions {
  token: string;
  ackDeadlineMs: number;
  webhookTokenTtlMs: number;
  nonceWindowMs: number;
  privilegedIntents: number;
}

export interface RestCore extends MessageCore {
  interactions: InteractionRegistry;
  options: ResolvedServerOptions;
  gatewayUrl(): string;
  /** Number of IDENTIFYs so far (session_start_limit.remaining). */
  identifies(): number;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers shared by the route modules
// ---------------------------------------------------------------------------------------------------------

export function ok(body: unknown, status = 200): RestResult {
  return { status, body };
}

export const NO_CONTENT: RestResult = { status: 204 };

/** Records the issues on the request and throws Discord's 400 "Invalid Form Body". */
export function rejectIfInvalid(ctx: RestContext, issues: ValidationIssue[]): void {
  if (issues.length === 0) return;
  ctx.record.valid = false;
  ctx.record.errors = issues;
  throw ERR.invalidForm(issues);
}

export function bodyObject(ctx: RestContext): JsonObject {
  if (isRecord(ctx.body)) return ctx.body;
  if (ctx.body === undefined) return {};
  const issue: ValidationIssue = {
    path: [],
    code: "MODEL_TYPE_CONVERT",
    message: "Only dictionaries may be used in a ModelType",
    source: "spec",
  };
  rejectIfInvalid(ctx, [issue]);
  return {};
}

function param(ctx: RestContext, name: string): string {
  return ctx.params[name] ?? "";
}

function has(perms: bigint, key: PermissionKey): boolean {
  return (perms & permissionFlag(key)) !== 0n;
}

/** The channel, if the bot can see it (10003 unknown, 50001 without VIEW_CHANNEL). */
export function visibleChannel(core: RestCore, id: string): StoredChannel {
  const channel = core.store.channels.get(id);
  if (!channel) throw ERR.unknownChannel();
  if (channel.guildId && !has(core.store.botPermissionsIn(channel.id), "viewChannel"))
    throw ERR.missingAccess();
  return channel;
}

function requirePermission(core: RestCore, channel: StoredChannel, key: PermissionKey): void {
  if (channel.guildId === null) return;
  if (!has(core.store.botPermissionsIn(channel.id), key)) throw ERR.missingPermissions();
}

function botGuild(core: RestCore, id: string): StoredGuild {
  const guild = core.store.guilds.get(id);
  if (!guild) throw ERR.unknownGuild();
  return guild;
}

function dispatchChannelEvent(
  core: RestCore,
  channel: StoredChannel,
  kind: "CREATE" | "UPDATE" | "DELETE",
): void {
  if (channel.guildId === null) return;
  if (isThreadType(channel.type)) {
    const data =
      kind === "DELETE"
        ? { id: channel.id, guild_id: channel.guildId, parent_id: channel.data.parent_id, type: channel.type }
        : { ...core.store.channelPayload(channel), ...(kind === "CREATE" ? { newly_created: true } : {}) };
    core.gateway.dispatch(`THREAD_${kind}`, data, INTENTS.guilds);
    return;
  }
  core.gateway.dispatch(`CHANNEL_${kind}`, core.store.channelPayload(channel), INTENTS.guilds);
}

export function deleteChannelAndDispatch(core: RestCore, id: string): StoredChannel | undefined {
  const threads = [...core.store.channels.values()].filter(
    (c) => isThreadType(c.type) && c.data.parent_id === id,
  );
  const channel = core.store.deleteChannel(id);
  if (!channel) return undefined;
  for (const thread of threads) dispatchChannelEvent(core, thread, "DELETE");
  dispatchChannelEvent(core, channel, "DELETE");
  return channel;
}

export function applicationPayload(core: RestCore): JsonObject {
  const { app } = core.store;
  const installParams = { scopes: ["bot", "applications.commands"], permissions: BOT_PERMISSIONS.toString() };
  return {
    id: app.id,
    name: app.name,
    icon: null,
    description: "",
    summary: "",
    type: null,
    hook: true,
    bot_public: true,
    bot_require_code_grant: false,
    verify_key: "0".repeat(64),
    flags: app.flags,
    owner: app.owner,
    team: null,
    redirect_uris: [],
    interactions_endpoint_url: null,
    role_connections_verification_url: null,
    event_webhooks_url: null,
    event_webhooks_status: 1,
    tags: [],
    install_params: installParams,
    integration_types_config: { "0": { oauth2_install_params: installParams } },
    approximate_guild_count: core.store.guilds.size,
    approximate_user_install_count: 0,
    bot: app.bot,
    is_monetized: false,
    is_verified: false,
    is_discoverable: false,
    explicit_content_filter: 0,
    integration_public: true,
    integration_require_code_grant: false,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Application commands
// ---------------------------------------------------------------------------------------------------------

function normaliseOptions(options: unknown): unknown {
  if (!Array.isArray(options)) return options;
  return options.filter(isRecord).map((option) => {
    const out: JsonObject = { ...option };
    const type = option.type;
    if (type === 1 || type === 2) {
      out.name_localizations = option.name_localizations ?? null;
      out.description_localizations = option.description_localizations ?? null;
      if (Array.isArray(option.options)) out.options = normaliseOptions(option.options);
    } else {
      out.required = option.required === true;
    }
    return out;
  });
}

/** What Discord stores/returns for a command body: its defaults spelled out. */
function commandData(core: RestCore, body: JsonObject, id: string, guildId: string | null): JsonObject {
  const perms = body.default_member_permissions;
  const data: JsonObject = {
    id,
    application_id: core.store.app.id,
    version: snowflake(),
    default_member_permissions: perms === undefined || perms === null ? null : String(perms),
    type: typeof body.type === "number" ? body.type : 1,
    name: body.name,
    name_localizations: body.name_localizations ?? null,
    description: typeof body.description === "string" ? body.description : "",
    description_localizations: body.description_localizations ?? null,
    nsfw: body.nsfw === true,
    integration_types: Array.isArray(body.integration_types) ? body.integration_types : [0],
    contexts: Array.isArray(body.contexts) ? body.contexts : null,
  };
  if (guildId) data.guild_id = guildId;
  else data.dm_permission = body.dm_permission !== false;
  if (Array.isArray(body.options) && body.options.length > 0) data.options = normaliseOptions(body.options);
  if (body.handler !== undefined) data.handler = body.handler;
  return data;
}

function sameCommand(a: JsonObject, b: JsonObject): boolean {
  const strip = ({ id: _i, version: _v, ...rest }: JsonObject): JsonObject => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

/** Upserts by (type, name): keeps the id, and the version when nothing changed. */
function upsert(
  core: RestCore,
  list: StoredCommand[],
  body: JsonObject,
  guildId: string | null,
): StoredCommand {
  const type = typeof body.type === "number" ? body.type : 1;
  const existing = list.find((c) => c.data.name === body.name && c.data.type === type);
  const data = commandData(core, body, existing?.id ?? snowflake(), guildId);
  if (existing && sameCommand(existing.data, data)) return existing;
  return { id: existing?.id ?? String(data.id), guildId, data };
}

function commandScope(core: RestCore, ctx: RestContext): string | null {
  if (param(ctx, "application_id") !== core.store.app.id) throw ERR.missingAccess();
  const guildId = ctx.params.guild_id;
  if (guildId === undefined) return null;
  if (!core.store.guilds.has(guildId)) throw ERR.missingAccess();
  return guildId;
}

function registerCommandRoutes(router: Router, core: RestCore): void {
  const { store } = core;
  for (const base of [
    "/applications/:application_id/commands",
    "/applications/:application_id/guilds/:guild_id/commands",
  ]) {
    router.add("GET", base, (ctx) => ok(store.commands(commandScope(core, ctx)).map((c) => c.data)));
    router.add("PUT", base, (ctx) => {
      const scope = commandScope(core, ctx);
      rejectIfInvalid(ctx, validateCommandBulk(ctx.body));
      const bodies = Array.isArray(ctx.body) ? ctx.body.filter(isRecord) : [];
      const current = store.commands(scope);
      const next = bodies.map((body) => upsert(core, current, body, scope));
      store.setCommands(scope, next);
      return ok(next.map((c) => c.data));
    });
    router.add("POST", base, (ctx) => {
      const scope = commandScope(core, ctx);
      const body = bodyObject(ctx);
      rejectIfInvalid(ctx, validateCommandCreate(body));
      const current = store.commands(scope);
      const command = upsert(core, current, body, scope);
      const index = current.findIndex((c) => c.id === command.id);
      const next = index >= 0 ? current.map((c, i) => (i === index ? command : c)) : [...current, command];
      if (
        next.filter((c) => c.data.type === command.data.type).length > (command.data.type === 1 ? 100 : 5)
      ) {
        throw new DiscordHttpError(400, 30032, "Maximum number of application commands reached");
      }
      store.setCommands(scope, next);
      return ok(command.data, index >= 0 ? 200 : 201);
    });
    router.add("GET", `${base}/:command_id`, (ctx) => {
      const command = store.commands(commandScope(core, ctx)).find((c) => c.id === param(ctx, "command_id"));
      if (!command) throw ERR.unknownCommand();
      return ok(command.data);
    });
    router.add("PATCH", `${base}/:command_id`, (ctx) => {
      const scope = commandScope(core, ctx);
      const body = bodyObject(ctx);
      rejectIfInvalid(ctx, validateCommandPatch(body));
      const current = store.commands(scope);
      const command = current.find((c) => c.id === param(ctx, "command_id"));
      if (!command) throw ERR.unknownCommand();
      const { id: _id, application_id: _app, version: _version, guild_id: _guild, ...old } = command.data;
      const merged = commandData(core, { ...old, ...body }, command.id, scope);
      const updated = sameCommand(command.data, merged) ? command : { ...command, data: merged };
      store.setCommands(
        scope,
        current.map((c) => (c.id === command.id ? updated : c)),
      );
      return ok(updated.data);
    });
    router.add("DELETE", `${base}/:command_id`, (ctx) => {
      const scope = commandScope(core, ctx);
      const current = store.commands(scope);
      if (!current.some((c) => c.id === param(ctx, "command_id"))) throw ERR.unknownCommand();
      store.setCommands(
        scope,
        current.filter((c) => c.id !== param(ctx, "command_id")),
      );
      return NO_CONTENT;
    });
  }
  router.add("GET", "/applications/:application_id/guilds/:guild_id/commands/permissions", (ctx) => {
    commandScope(core, ctx);
    return ok([]);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Channels, messages, threads
// ---------------------------------------------------------------------------------------------------------

function limitParam(ctx: RestContext, fallback: number, max: number): number {
  const raw = ctx.query.get("limit");
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    rejectIfInvalid(ctx, [
      {
        path: ["limit"],
        code: "NUMBER_TYPE_MAX",
        message: `int value should be less than or equal to ${max}.`,
        source: "limit",
      },
    ]);
  }
  return n;
}

/** Posting in a thread: locked+archived refuses, archived unarchives (as Discord does for a bot that can send). */
function prepareThreadForPost(core: RestCore, channel: StoredChannel): void {
  if (!isThreadType(channel.type)) return;
  const meta = channel.data.thread_metadata;
  if (!isRecord(meta) || meta.archived !== true) return;
  if (meta.locked === true) throw ERR.archivedThread();
  meta.archived = false;
  meta.archive_timestamp = new Date().toISOString();
  dispatchChannelEvent(core, channel, "UPDATE");
}

function registerChannelRoutes(router: Router, core: RestCore): void {
  const { store } = core;

  router.add("GET", "/channels/:channel_id", (ctx) =>
    ok(store.channelPayload(visibleChannel(core, param(ctx, "channel_id")))),
  );

  router.add("PATCH", "/channels/:channel_id", (ctx) => {
    const channel = visibleChannel(core, param(ctx, "channel_id"));
    const body = bodyObject(ctx);
    rejectIfInvalid(ctx, validateChannelPatch(body, channel.type));
    if (isThreadType(channel.type)) {
      const ownsIt = channel.data.owner_id === store.botId;
      const moderates = has(store.botPermissionsIn(channel.id), "manageThreads");
      if (!(ownsIt || moderates) || (body.locked !== undefined && !moderates)) throw ERR.missingPermissions();
      const meta = isRecord(channel.data.thread_metadata) ? channel.data.thread_metadata : {};
      for (const key of ["archived", "locked", "auto_archive_duration", "invitable"] as const) {
        if (body[key] !== undefined) meta[key] = body[key];
      }
      if (body.archived !== undefined) meta.archive_timestamp = new Date().toISOString();
      channel.data.thread_metadata = meta;
      for (const key of ["name", "rate_limit_per_user", "applied_tags", "flags"] as const) {
        if (body[key] !== undefined) channel.data[key] = body[key];
      }
    } else if (channel.guildId) {
      requirePermission(core, channel, "manageChannels");
      for (const [key, value] of Object.entries(body)) if (value !== undefined) channel.data[key] = value;
    }
    dispatchChannelEvent(core, channel, "UPDATE");
    return ok(store.channelPayload(channel));
  });

  router.add("DELETE", "/channels/:channel_id", (ctx) => {
    const channel = visibleChannel(core, param(ctx, "channel_id"));
    if (channel.guildId)
      requirePermission(core, channel, isThreadType(channel.type) ? "manageThreads" : "manageChannels");
    const payload = store.channelPayload(channel);
    deleteChannelAndDispatch(core, channel.id);
    return ok(payload);
  });

  router.add("GET", "/channels/:channel_id/messages", (ctx) => {
    const channel = visibleChannel(core, param(ctx, "channel_id"));
    const limit = limitParam(ctx, 50, 100);
    if (channel.guildId && !has(store.botPermissionsIn(channel.id), "readMessageHistory")) return ok([]);
    let list = store.messagesIn(channel.id);
    const before = ctx.query.get("before");
    const after = ctx.query.get("after");
    const around = ctx.query.get("around");
    if (before) list = list.filter((m) => BigInt(m.id) < BigInt(before));
    if (after) list = list.filter((m) => BigInt(m.id) > BigInt(after)).slice(0, limit);
    if (around) {
      const index = list.findIndex((m) => BigInt(m.id) >= BigInt(around));
      const start = Math.max(0, (index < 0 ? list.length : index) - Math.floor(limit / 2));
      list = list.slice(start, start + limit);
    }
    return ok(
      list
        .slice(-limit)
        .reverse()
        .map((m) => store.messagePayload(m)),
    );
  });

  router.add("POST", "/channels/:channel_id/messages", (ctx) => {
    const channel = visibleChannel(core, param(ctx, "channel_id"));
    if (!isMessageable(channel))
      throw new DiscordHttpError(400, 50008, "Cannot send messages in a non-text channel");
    if (channel.recipientId && store.closedDms.has(channel.recipientId)) throw ERR.cannotDm();
    requirePermission(core, channel, isThreadType(channel.type) ? "sendMessagesInThreads" : "sendMessages");
    const body = bodyObject(ctx);
    rejectIfInvalid(ctx, validateMessageCreate(body));
    if (ctx.files.length > 0) requirePermission(core, channel, "attachFiles");
    if (isEmptyMessage(body, ctx.files.length)) throw ERR.emptyMessage();
    const reference = isRecord(body.message_reference) ? body.message_reference : undefined;
    if (reference && typeof reference.message_id === "string") {
      // As Discord does: a reply needs Read Message History, whether or not the message still exists.
      if (channel.guildId && !has(store.botPermissionsIn(channel.id), "readMessageHistory"))
        throw ERR.cannotReplyWithoutHistory();
      const target = store.messages.get(reference.message_id);
      if ((!target || target.deleted) && reference.fail_if_not_exists !== false) {
        rejectIfInvalid(ctx, [
          {
            path: ["message_reference"],
            code: "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
            message: "Unknown message",
            source: "limit",
          },
        ]);
      }
    }
    const nonce = body.nonce;
    if (body.enforce_nonce === true && (typeof nonce === "string" || typeof nonce === "number")) {
      const since = Date.now() - core.options.nonceWindowMs;
      const earlier = store
        .messagesIn(channel.id)
        .find(
          (m) =>
            m.authorId === store.botId &&
            m.nonce !== undefined &&
            String(m.nonce) === String(nonce) &&
            m.createdAt >= since,
        );
      if (earlier) return ok(store.messagePayload(earlier));
    }
    prepareThreadForPost(core, channel);
    const dropEmbeds = channel.guildId !== null && !has(store.botPermissionsIn(channel.id), "embedLinks");
    const message = createMessage(core, { channel, body, files: ctx.files, record: ctx.record, dropEmbeds });
    dispatchMessage(core, "MESSAGE_CREATE", message);
    core.interactions.notify();
    return ok(store.messagePayload(message));
  });

  const ownMessage = (ctx: RestContext): { channel: StoredChannel; messageId: string } => {
    const channel = visibleChannel(core, param(ctx, "channel_id"));
    return { channel, messageId: param(ctx, "message_id") };
  };

  router.add("GET", "/channels/:channel_id/messages/:message_id", (ctx) => {
    const { channel, messageId } = ownMessage(ctx);
    const message = store.messages.get(messageId);
    if (!message || message.deleted || message.ephemeral || message.channelId !== channel.id)
      throw ERR.unknownMessage();
    return ok(store.messagePayload(message));
  });

  router.add("PATCH", "/channels/:channel_id/messages/:message_id", (ctx) => {
    const { channel, messageId } = ownMessage(ctx);
    const message = store.messages.get(messageId);
    if (!message || message.deleted || message.ephemeral || message.channelId !== channel.id)
      throw ERR.unknownMessage();
    const body = bodyObject(ctx);
    rejectIfInvalid(ctx, validateMessageEdit(body));
    const onlyFlags = Object.keys(body).every((k) => k === "flags");
    if (
      message.authorId !== store.botId &&
      !(onlyFlags && has(store.botPermissionsIn(channel.id), "manageMessages"))
    ) {
      throw ERR.cannotEditOthers();
    }
    editMessage(core, { message, body, files: ctx.files, record: ctx.record, webhook: false });
    dispatchMessage(core, "MESSAGE_UPDATE", message);
    core.interactions.notify();
    return ok(store.messagePayload(message));
  });

  router.add("DELETE", "/channels/:channel_id/messages/:message_id", (ctx) => {
    const { channel, messageId } = ownMessage(ctx);
    const message = store.messages.get(messageId);
    if (!message || message.deleted || message.ephemeral || message.channelId !== channel.id)
      throw ERR.unknownMessage();
    if (message.authorId !== store.botId) requirePermission(core, channel, "manageMessages");
    message.deleted = true;
    dispatchMessageDelete(core, message);
    core.interactions.notify();
    return NO_CONTENT;
  });

  const reaction = (ctx: RestContext): RestResult => {
    const { channel, messageId } = ownMessage(ctx);
    const message = store.messages.get(messageId);
    if (!message || message.deleted || message.channelId !== channel.id) throw ERR.unknownMessage();
    if (ctx.method === "PUT") requirePermission(core, channel, "addReactions");
    return NO_CONTENT;
  };
  router.add("PUT", "/channels/:channel_id/messages/:message_id/reactions/:emoji/:user", reaction);
  router.add("DELETE", "/channels/:channel_id/messages/:message_id/reactions/:emoji/:user", reaction);
  router.add("POST", "/channels/:channel_id/typing", (ctx) => {
    visibleChannel(core, param(ctx, "channel_id"));
    return NO_CONTENT;
  });

  router.add("POST", "/channels/:channel_id/messages/:message_id/threads", (ctx) => {
    const channel = visibleChannel(core, param(ctx, "channel_id"));
    if (channel.type !== CH.text && channel.type !== CH.announcement) {
      throw new DiscordHttpError(400, 50024, "Cannot execute action on this channel type");
    }
    const message = store.messages.get(param(ctx, "message_id"));
    if (!message || message.deleted || message.ephemeral || message.channelId !== channel.id)
      throw ERR.unknownMessage();
    requirePermission(core, channel, "createPublicThreads");
    const body = bodyObject(ctx);
    rejectIfInvalid(ctx, validateThreadFromMessage(body));
    if (store.channels.has(message.id)) throw ERR.threadAlreadyCreated();
    const thread = store.createThread(channel, {
      id: message.id,
      name: String(body.name),
      type: channel.type === CH.announcement ? CH.announcementThread : CH.publicThread,
      autoArchiveDuration:
        typeof body.auto_archive_duration === "number" ? body.auto_archive_duration : undefined,
      rateLimitPerUser: typeof body.rate_limit_per_user === "number" ? body.rate_limit_per_user : undefined,
    });
    const flags = typeof message.data.flags === "number" ? message.data.flags : 0;
    message.data.flags = flags | MESSAGE_FLAG_HAS_THREAD;
    dispatchChannelEvent(core, thread, "CREATE");
    return ok(store.channelPayload(thread), 201);
  });

  router.add("POST", "/channels/:channel_id/threads", (ctx) => {
    const channel = visibleChannel(core, param(ctx, "channel_id"));
    const forum = channel.type === CH.forum || channel.type === CH.media;
    if (!forum && channel.type !== CH.text && channel.type !== CH.announcement) {
      throw new DiscordHttpError(400, 50024, "Cannot execute action on this channel type");
    }
    const body = bodyObject(ctx);
    const issues = validateThreadWithoutMessage(body, forum);
    if (forum && !isRecord(body.message)) {
      issues.push({
        path: ["message"],
        code: "BASE_TYPE_REQUIRED",
        message: "This field is required",
        source: "limit",
      });
    }
    rejectIfInvalid(ctx, mergeIssues(issues));
    let type: number;
    if (forum) {
      type = CH.publicThread;
      requirePermission(core, channel, "sendMessages");
    } else {
      type = typeof body.type === "number" ? body.type : CH.privateThread;
      if (channel.type === CH.announcement && type === CH.privateThread) {
        throw new DiscordHttpError(400, 50024, "Cannot execute action on this channel type");
      }
      if (channel.type === CH.announcement) type = CH.announcementThread;
      requirePermission(
        core,
        channel,
        type === CH.privateThread ? "createPrivateThreads" : "createPublicThreads",
      );
    }
    const thread = store.createThread(channel, {
      name: String(body.name),
      type,
      autoArchiveDuration:
        typeof body.auto_archive_duration === "number" ? body.auto_archive_duration : undefined,
      invitable: typeof body.invitable === "boolean" ? body.invitable : undefined,
      rateLimitPerUser: typeof body.rate_limit_per_user === "number" ? body.rate_limit_per_user : undefined,
    });
    dispatchChannelEvent(core, thread, "CREATE");
    const payload = store.channelPayload(thread);
    if (forum && isRecord(body.message)) {
      if (isEmptyMessage(body.message, ctx.files.length)) {
        store.deleteChannel(thread.id);
        throw ERR.emptyMessage();
      }
      const starter = createMessage(core, {
        channel: thread,
        body: body.message,
        files: ctx.files,
        record: ctx.record,
        id: thread.id,
      });
      dispatchMessage(core, "MESSAGE_CREATE", starter);
      payload.message = store.messagePayload(starter);
    }
    return ok(payload, 201);
  });

  const thread = (ctx: RestContext): StoredChannel => {
    const channel = visibleChannel(core, param(ctx, "channel_id"));
    if (!isThreadType(channel.type))
      throw new DiscordHttpError(400, 50024, "Cannot execute action on this channel type");
    return channel;
  };
  const targetUser = (ctx: RestContext): string => {
    const id = param(ctx, "user_id");
    return id === "@me" ? store.botId : id;
  };

  router.add("GET", "/channels/:channel_id/thread-members", (ctx) => {
    const channel = thread(ctx);
    return ok([...channel.threadMembers.keys()].flatMap((id) => store.threadMember(channel, id) ?? []));
  });
  router.add("GET", "/channels/:channel_id/thread-members/:user_id", (ctx) => {
    const member = store.threadMember(thread(ctx), targetUser(ctx));
    if (!member) throw ERR.unknownMember();
    return ok(member);
  });
  router.add("PUT", "/channels/:channel_id/thread-members/:user_id", (ctx) => {
    const channel = thread(ctx);
    const meta = channel.data.thread_metadata;
    if (isRecord(meta) && meta.archived === true) throw ERR.archivedThread();
    const userId = targetUser(ctx);
    const guild = channel.guildId ? store.guilds.get(channel.guildId) : undefined;
    if (!guild?.members.has(userId)) throw ERR.unknownMember();
    if (userId !== store.botId) requirePermission(core, channel, "sendMessagesInThreads");
    if (!channel.threadMembers.has(userId)) {
      store.addThreadMember(channel, userId);
      core.gateway.dispatch(
        "THREAD_MEMBERS_UPDATE",
        {
          id: channel.id,
          guild_id: channel.guildId,
          member_count: channel.data.member_count,
          added_members: [store.threadMember(channel, userId)],
        },
        userId === store.botId ? INTENTS.guilds : INTENTS.guildMembers,
      );
    }
    return NO_CONTENT;
  });
  router.add("DELETE", "/channels/:channel_id/thread-members/:user_id", (ctx) => {
    const channel = thread(ctx);
    const userId = targetUser(ctx);
    if (userId !== store.botId && channel.data.owner_id !== store.botId)
      requirePermission(core, channel, "manageThreads");
    if (!channel.threadMembers.has(userId)) throw ERR.unknownMember();
    store.removeThreadMember(channel, userId);
    core.gateway.dispatch(
      "THREAD_MEMBERS_UPDATE",
      {
        id: channel.id,
        guild_id: channel.guildId,
        member_count: channel.data.member_count,
        removed_member_ids: [userId],
      },
      userId === store.botId ? INTENTS.guilds : INTENTS.guildMembers,
    );
    return NO_CONTENT;
  });

  for (const kind of ["public", "private"] as const) {
    router.add("GET", `/channels/:channel_id/threads/archived/${kind}`, (ctx) => {
      const channel = visibleChannel(core, param(ctx, "channel_id"));
      const wanted: number[] =
        kind === "private" ? [CH.privateThread] : [CH.publicThread, CH.announcementThread];
      const threads = [...store.channels.values()].filter((c) => {
        const meta = c.data.thread_metadata;
        return (
          c.data.parent_id === channel.id &&
          wanted.includes(c.type) &&
          isRecord(meta) &&
          meta.archived === true
        );
      });
      return ok({ threads: threads.map((t) => store.channelPayload(t)), members: [], has_more: false });
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Guilds, users, gateway, application
// ---------------------------------------------------------------------------------------------------------

function registerGuildRoutes(router: Router, core: RestCore): void {
  const { store } = core;
  router.add("GET", "/guilds/:guild_id", (ctx) =>
    ok(store.guildPayload(botGuild(core, param(ctx, "guild_id")), ctx.query.get("with_counts") === "true")),
  );
  router.add("GET", "/guilds/:guild_id/channels", (ctx) =>
    ok(store.guildChannels(botGuild(core, param(ctx, "guild_id")).id).map((c) => store.channelPayload(c))),
  );
  router.add("GET", "/guilds/:guild_id/roles", (ctx) => ok(botGuild(core, param(ctx, "guild_id")).roles));
  router.add("GET", "/guilds/:guild_id/members/:user_id", (ctx) => {
    const guild = botGuild(core, param(ctx, "guild_id"));
    const userId = param(ctx, "user_id") === "@me" ? store.botId : param(ctx, "user_id");
    const member = guild.members.get(userId);
    if (!member)
      throw store.users.has(userId) || /^\d+$/.test(userId) ? ERR.unknownMember() : ERR.unknownUser();
    return ok(member);
  });
  router.add("GET", "/guilds/:guild_id/members", (ctx) => {
    const guild = botGuild(core, param(ctx, "guild_id"));
    if ((core.options.privilegedIntents & INTENTS.guildMembers) === 0) throw ERR.missingAccess();
    const limit = limitParam(ctx, 1, 1000);
    const after = ctx.query.get("after") ?? "0";
    const members = [...guild.members.values()]
      .filter((m) => BigInt(m.user.id) > BigInt(after))
      .sort((a, b) => (BigInt(a.user.id) < BigInt(b.user.id) ? -1 : 1));
    return ok(members.slice(0, limit));
  });
  router.add("GET", "/guilds/:guild_id/threads/active", (ctx) => {
    const guild = botGuild(core, param(ctx, "guild_id"));
    const threads = store.activeThreads(guild.id);
    return ok({
      threads: threads.map((t) => store.channelPayload(t)),
      members: threads.flatMap((t) => store.threadMember(t, store.botId) ?? []),
    });
  });
}

function registerUserRoutes(router: Router, core: RestCore): void {
  const { store } = core;
  router.add("GET", "/users/@me", () => ok(store.app.bot));
  router.add("GET", "/users/:user_id", (ctx) => {
    const user = store.users.get(param(ctx, "user_id"));
    if (!user) throw ERR.unknownUser();
    return ok(user);
  });
  router.add("POST", "/users/@me/channels", (ctx) => {
    const body = bodyObject(ctx);
    rejectIfInvalid(ctx, validateCreateDm(body));
    const user = store.users.get(String(body.recipient_id));
    if (!user) throw ERR.unknownUser();
    if (user.bot) throw ERR.cannotDm();
    return ok(store.channelPayload(store.openDm(user)));
  });
  router.add("GET", "/users/@me/guilds", () =>
    ok(
      [...store.guilds.values()].map((g) => ({
        id: g.id,
        name: g.name,
        icon: null,
        banner: null,
        owner: false,
        permissions: store.basePermissions(g, store.botId).toString(),
        features: [],
      })),
    ),
  );
}

function registerMetaRoutes(router: Router, core: RestCore): void {
  router.add("GET", "/gateway", () => ok({ url: core.gatewayUrl() }), { auth: false });
  router.add("GET", "/gateway/bot", () =>
    ok({
      url: core.gatewayUrl(),
      shards: 1,
      session_start_limit: {
        total: 1000,
        remaining: Math.max(0, 1000 - core.identifies()),
        reset_after: 14_400_000,
        max_concurrency: 1,
      },
    }),
  );
  router.add("GET", "/applications/@me", () => ok(applicationPayload(core)));
  router.add("GET", "/oauth2/applications/@me", () => ok(applicationPayload(core)));
}

export function registerRestRoutes(router: Router, core: RestCore): void {
  registerMetaRoutes(router, core);
  registerCommandRoutes(router, core);
  registerGuildRoutes(router, core);
  registerChannelRoutes(router, core);
  registerUserRoutes(router, core);
}

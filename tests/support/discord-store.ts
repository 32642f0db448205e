// In-memory state of the local Discord test server: the application, guilds, members, channels, threads,
// messages and application commands, plus builders for the JSON objects Discord would return for them.
import type { APIGuildMember, APIRole, APIUser } from "discord.js";
import {
  ALL_PERMISSIONS,
  BOT_PERMISSIONS,
  type ChannelSpec,
  defaultBotUser,
  EVERYONE_PERMISSIONS,
  type GuildSpec,
  type JsonObject,
  makeMember,
  makeRole,
  makeUser,
  type PermissionKey,
  permissionFlag,
  snowflake,
  snowflakeTimestamp,
  toApiUser,
} from "./discord-fixtures.js";
import { isRecord } from "./discord-validation.js";

// Channel types (discord-api-types ChannelType) used by the server.
export const CH = {
  text: 0,
  dm: 1,
  voice: 2,
  category: 4,
  announcement: 5,
  announcementThread: 10,
  publicThread: 11,
  privateThread: 12,
  forum: 15,
  media: 16,
} as const;

export const ADMINISTRATOR = permissionFlag("administrator");
export const MESSAGE_FLAG_HAS_THREAD = 1 << 5;
export const MESSAGE_FLAG_LOADING = 1 << 7;

export function isThreadType(type: number): boolean {
  return type === CH.announcementThread || type === CH.publicThread || type === CH.privateThread;
}

export function isTextBasedType(type: number): boolean {
  return (
    type === CH.text || type === CH.dm || type === CH.announcement || type === CH.voice || isThreadType(type)
  );
}

/** A file uploaded with a request (multipart `files[n]`). */
export interface RecordedFile {
  /** Form field name, e.g. `files[0]`. */
  field: string;
  name: string;
  contentType: string;
  size: number;
  data: Buffer;
  /** `data` decoded as UTF-8 (handy for text/Markdown/JSON attachments). */
  text: string;
}

export interface StoredGuild {
  id: string;
  name: string;
  ownerId: string;
  description: string | null;
  preferredLocale: string;
  roles: APIRole[];
  members: Map<string, APIGuildMember>;
  memberCountOverride: number | undefined;
  joinedAt: string;
  systemChannelId: string | null;
}

export interface StoredChannel {
  id: string;
  type: number;
  guildId: string | null;
  /** The API object (what GET /channels/{id} returns). */
  data: JsonObject;
  /** Thread members (threads only). */
  threadMembers: Map<string, string>;
  /** DM recipient (DMs only). */
  recipientId: string | null;
  /** Permissions denied to the bot here on top of Discord's usual computation (used for threads). */
  extraDeny: bigint;
}

export interface StoredMessage {
  id: string;
  channelId: string;
  guildId: string | null;
  authorId: string;
  createdAt: number;
  ephemeral: boolean;
  deleted: boolean;
  nonce: string | number | undefined;
  /** Interaction this message answers, if any. */
  interactionId: string | undefined;
  /** `allowed_mentions` of the request that last set the content. */
  allowedMentions: unknown;
  /** Whether the request that last set the content would notify anyone. */
  wouldPing: boolean;
  /** The API object. */
  data: JsonObject;
  /** Uploaded contents of the message's attachments, by attachment id. */
  files: Map<string, RecordedFile>;
}

export interface StoredCommand {
  id: string;
  guildId: string | null;
  data: JsonObject;
}

export interface ApplicationInfo {
  id: string;
  name: string;
  flags: number;
  bot: APIUser;
  owner: APIUser;
}

function readString(obj: JsonObject, key: string): string | undefined {
  const value = obj[key];
  return typeof value === "string" ? value : undefined;
}

function readNumber(obj: JsonObject, key: string): number | undefined {
  const value = obj[key];
  return typeof value === "number" ? value : undefined;
}

function iso(ms: number = Date.now()): string {
  return new Date(ms).toISOString();
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Mutable in-memory model of everything the fake Discord knows. */
export class DiscordStore {
  readonly app: ApplicationInfo;
  readonly users = new Map<string, APIUser>();
  readonly guilds = new Map<string, StoredGuild>();
  readonly channels = new Map<string, StoredChannel>();
  readonly messages = new Map<string, StoredMessage>();
  readonly channelMessages = new Map<string, StoredMessage[]>();
  /** "global" or a guild id → commands. */
  readonly commandScopes = new Map<string, StoredCommand[]>();
  readonly dmChannels = new Map<string, string>();
  readonly closedDms = new Set<string>();
  /** Public base URL of the server (for attachment URLs). */
  baseUrl = "http://127.0.0.1";

  constructor(app: { id?: string; name?: string; flags?: number; owner?: APIUser; bot?: APIUser } = {}) {
    const bot = app.bot ?? defaultBotUser(app.id);
    const owner = app.owner ?? makeUser({ username: "app-owner", globalName: "App Owner" });
    this.app = { id: app.id ?? bot.id, name: app.name ?? bot.username, flags: app.flags ?? 0, bot, owner };
    this.rememberUser(bot);
    this.rememberUser(owner);
  }

  get botId(): string {
    return this.app.bot.id;
  }

  rememberUser(user: APIUser): APIUser {
    const existing = this.users.get(user.id);
    if (existing) return existing;
    this.users.set(user.id, user);
    return user;
  }

  // -------------------------------------------------------------------------------------------------------
  // Guilds, roles, members
  // -------------------------------------------------------------------------------------------------------

  addGuild(spec: GuildSpec): StoredGuild {
    const id = spec.id ?? snowflake();
    if (this.guilds.has(id)) throw new Error(`guild ${id} already exists`);
    const owner = this.rememberUser(toApiUser(spec.owner ?? { username: "owner", globalName: "Owner" }));
    const roles: APIRole[] = [
      makeRole(
        { id, name: "@everyone", permissions: spec.everyonePermissions ?? EVERYONE_PERMISSIONS, position: 0 },
        0,
      ),
      makeRole(
        {
          name: this.app.bot.username,
          permissions: spec.botPermissions ?? BOT_PERMISSIONS,
          botId: this.botId,
        },
        1,
      ),
    ];
    (spec.roles ?? []).forEach((role, i) => {
      roles.push(makeRole(role, i + 2));
    });
    const botRole = roles[1];
    const guild: StoredGuild = {
      id,
      name: spec.name ?? "Test Server",
      ownerId: owner.id,
      description: spec.description ?? null,
      preferredLocale: spec.preferredLocale ?? "en-US",
      roles,
      members: new Map(),
      memberCountOverride: spec.memberCount,
      joinedAt: iso(),
      systemChannelId: null,
    };
    this.guilds.set(id, guild);
    guild.members.set(owner.id, makeMember(owner, { joinedAt: iso(snowflakeTimestamp(id)) }));
    guild.members.set(
      this.botId,
      makeMember(this.app.bot, { roles: botRole ? [botRole.id] : [], joinedAt: guild.joinedAt }),
    );
    for (const member of spec.members ?? []) {
      const user = this.rememberUser(toApiUser(member.user));
      guild.members.set(
        user.id,
        makeMember(user, { roles: member.roles ?? [], nick: member.nick ?? null, joinedAt: member.joinedAt }),
      );
    }
    const channelSpecs: ChannelSpec[] = spec.channels ?? [
      { name: "Text Channels", type: CH.category, position: 0 },
      { name: "general", position: 0 },
      { name: "prodevprojectnexus", position: 1 },
    ];
    let categoryId: string | null = null;
    for (const channelSpec of channelSpecs) {
      const parentId =
        channelSpec.parentId !== undefined
          ? channelSpec.parentId
          : channelSpec.type === CH.category
            ? null
            : categoryId;
      const channel = this.addGuildChannel(id, { ...channelSpec, parentId });
      if (channel.type === CH.category && spec.channels === undefined) categoryId = channel.id;
      if (guild.systemChannelId === null && channel.type === CH.text) guild.systemChannelId = channel.id;
    }
    return guild;
  }

  guild(id: string): StoredGuild | undefined {
    return this.guilds.get(id);
  }

  botRoleId(guild: StoredGuild): string | undefined {
    return guild.roles.find((role) => role.tags?.bot_id === this.botId)?.id;
  }

  addMember(guildId: string, user: APIUser, roles: string[] = []): APIGuildMember {
    const guild = this.requireGuild(guildId);
    const known = this.rememberUser(user);
    const member = makeMember(known, { roles });
    guild.members.set(known.id, member);
    return member;
  }

  removeMember(guildId: string, userId: string): boolean {
    return this.requireGuild(guildId).members.delete(userId);
  }

  requireGuild(id: string): StoredGuild {
    const guild = this.guilds.get(id);
    if (!guild) throw new Error(`unknown guild ${id}`);
    return guild;
  }

  memberCount(guild: StoredGuild): number {
    return guild.memberCountOverride ?? guild.members.size;
  }

  /** Base permissions of a member in the guild (roles only). */
  basePermissions(guild: StoredGuild, userId: string): bigint {
    if (userId === guild.ownerId) return ALL_PERMISSIONS;
    const member = guild.members.get(userId);
    if (!member) return 0n;
    let perms = 0n;
    for (const role of guild.roles) {
      if (role.id === guild.id || member.roles.includes(role.id)) perms |= BigInt(role.permissions);
    }
    return (perms & ADMINISTRATOR) !== 0n ? ALL_PERMISSIONS : perms;
  }

  /** Permissions of a member in a channel: base permissions, then the channel's overwrites (threads use their parent's). */
  permissionsIn(channelId: string, userId: string): bigint {
    const channel = this.channels.get(channelId);
    if (!channel) return 0n;
    if (channel.guildId === null) return ALL_PERMISSIONS;
    const guild = this.guilds.get(channel.guildId);
    if (!guild) return 0n;
    const base = this.basePermissions(guild, userId);
    if (base === ALL_PERMISSIONS) return ALL_PERMISSIONS & ~channel.extraDeny;
    const parentId = readString(channel.data, "parent_id");
    const source =
      isThreadType(channel.type) && parentId ? (this.channels.get(parentId) ?? channel) : channel;
    const overwrites = Array.isArray(source.data.permission_overwrites)
      ? source.data.permission_overwrites
      : [];
    const member = guild.members.get(userId);
    let perms = base;
    const apply = (allow: bigint, deny: bigint): void => {
      perms = (perms & ~deny) | allow;
    };
    const find = (id: string): JsonObject | undefined =>
      overwrites.find((o): o is JsonObject => isRecord(o) && o.id === id);
    const bits = (o: JsonObject | undefined, key: "allow" | "deny"): bigint => {
      const value = o?.[key];
      return typeof value === "string" ? BigInt(value) : 0n;
    };
    const everyone = find(guild.id);
    apply(bits(everyone, "allow"), bits(everyone, "deny"));
    let roleAllow = 0n;
    let roleDeny = 0n;
    for (const roleId of member?.roles ?? []) {
      const o = find(roleId);
      roleAllow |= bits(o, "allow");
      roleDeny |= bits(o, "deny");
    }
    apply(roleAllow, roleDeny);
    const own = find(userId);
    apply(bits(own, "allow"), bits(own, "deny"));
    if (source !== channel) perms &= ~source.extraDeny;
    return perms & ~channel.extraDeny;
  }

  botPermissionsIn(channelId: string): bigint {
    return this.permissionsIn(channelId, this.botId);
  }

  /**
   * Denies permissions to the bot in a channel. For guild channels this is a member permission overwrite that
   * discord.js sees too (returned channel object); for threads (which have no overwrites) it is kept aside.
   */
  denyBotPermissions(channelId: string, keys: PermissionKey[]): StoredChannel {
    const channel = this.requireChannel(channelId);
    const bits = keys.reduce((acc, key) => acc | permissionFlag(key), 0n);
    if (isThreadType(channel.type) || channel.guildId === null) {
      channel.extraDeny |= bits;
      return channel;
    }
    const overwrites = Array.isArray(channel.data.permission_overwrites)
      ? channel.data.permission_overwrites
      : [];
    const existing = overwrites.find((o): o is JsonObject => isRecord(o) && o.id === this.botId);
    if (existing) {
      const deny = typeof existing.deny === "string" ? BigInt(existing.deny) : 0n;
      existing.deny = (deny | bits).toString();
    } else {
      overwrites.push({ id: this.botId, type: 1, allow: "0", deny: bits.toString() });
    }
    channel.data.permission_overwrites = overwrites;
    return channel;
  }

  /** Removes every denial made with {@link denyBotPermissions}. */
  restoreBotPermissions(channelId: string): StoredChannel {
    const channel = this.requireChannel(channelId);
    channel.extraDeny = 0n;
    if (Array.isArray(channel.data.permission_overwrites)) {
      channel.data.permission_overwrites = channel.data.permission_overwrites.filter(
        (o) => !(isRecord(o) && o.id === this.botId),
      );
    }
    return channel;
  }

  /** Allows permissions to a member in a guild channel, as an admin's member overwrite would. */
  allowMemberPermissions(channelId: string, userId: string, keys: PermissionKey[]): StoredChannel {
    const channel = this.requireChannel(channelId);
    if (isThreadType(channel.type) || channel.guildId === null) {
      throw new Error(`allowMemberPermissions: ${channelId} has no permission overwrites`);
    }
    const bits = keys.reduce((acc, key) => acc | permissionFlag(key), 0n);
    const overwrites = Array.isArray(channel.data.permission_overwrites)
      ? channel.data.permission_overwrites
      : [];
    const existing = overwrites.find((o): o is JsonObject => isRecord(o) && o.id === userId);
    if (existing) {
      const allow = typeof existing.allow === "string" ? BigInt(existing.allow) : 0n;
      existing.allow = (allow | bits).toString();
    } else {
      overwrites.push({ id: userId, type: 1, allow: bits.toString(), deny: "0" });
    }
    channel.data.permission_overwrites = overwrites;
    return channel;
  }

  // -------------------------------------------------------------------------------------------------------
  // Channels and threads
  // -------------------------------------------------------------------------------------------------------

  addGuildChannel(guildId: string, spec: ChannelSpec): StoredChannel {
    const guild = this.requireGuild(guildId);
    const id = spec.id ?? snowflake();
    const type = spec.type ?? CH.text;
    const data: JsonObject = {
      id,
      type,
      guild_id: guild.id,
      name: spec.name,
      position: spec.position ?? 0,
      permission_overwrites: [],
      parent_id: spec.parentId ?? null,
      nsfw: spec.nsfw ?? false,
      flags: 0,
    };
    if (type !== CH.category && type !== CH.voice) {
      data.topic = spec.topic ?? null;
      data.rate_limit_per_user = spec.rateLimitPerUser ?? 0;
      data.last_message_id = null;
      data.default_auto_archive_duration = spec.defaultAutoArchiveDuration ?? 4320;
    }
    if (type === CH.voice) {
      Object.assign(data, {
        bitrate: 64000,
        user_limit: 0,
        rtc_region: null,
        last_message_id: null,
        rate_limit_per_user: 0,
      });
    }
    if (type === CH.forum) {
      Object.assign(data, {
        available_tags: [],
        default_reaction_emoji: null,
        default_thread_rate_limit_per_user: 0,
        default_sort_order: null,
        default_forum_layout: 0,
      });
    }
    const channel: StoredChannel = {
      id,
      type,
      guildId: guild.id,
      data,
      threadMembers: new Map(),
      recipientId: null,
      extraDeny: 0n,
    };
    this.channels.set(id, channel);
    return channel;
  }

  requireChannel(id: string): StoredChannel {
    const channel = this.channels.get(id);
    if (!channel) throw new Error(`unknown channel ${id}`);
    return channel;
  }

  guildChannels(guildId: string): StoredChannel[] {
    return [...this.channels.values()].filter((c) => c.guildId === guildId && !isThreadType(c.type));
  }

  activeThreads(guildId: string): StoredChannel[] {
    return [...this.channels.values()].filter((c) => {
      if (c.guildId !== guildId || !isThreadType(c.type)) return false;
      const meta = c.data.thread_metadata;
      return !(isRecord(meta) && meta.archived === true);
    });
  }

  createThread(
    parent: StoredChannel,
    opts: {
      id?: string;
      name: string;
      type: number;
      autoArchiveDuration?: number;
      invitable?: boolean;
      rateLimitPerUser?: number;
    },
  ): StoredChannel {
    const id = opts.id ?? snowflake();
    const now = iso();
    const metadata: JsonObject = {
      archived: false,
      auto_archive_duration:
        opts.autoArchiveDuration ?? readNumber(parent.data, "default_auto_archive_duration") ?? 4320,
      archive_timestamp: now,
      locked: false,
      create_timestamp: now,
    };
    if (opts.type === CH.privateThread) metadata.invitable = opts.invitable ?? true;
    const data: JsonObject = {
      id,
      type: opts.type,
      guild_id: parent.guildId,
      parent_id: parent.id,
      owner_id: this.botId,
      name: opts.name,
      last_message_id: null,
      rate_limit_per_user: opts.rateLimitPerUser ?? 0,
      message_count: 0,
      member_count: 1,
      total_message_sent: 0,
      thread_metadata: metadata,
      flags: 0,
    };
    if (parent.type === CH.forum || parent.type === CH.media) data.applied_tags = [];
    const channel: StoredChannel = {
      id,
      type: opts.type,
      guildId: parent.guildId,
      data,
      threadMembers: new Map([[this.botId, now]]),
      recipientId: null,
      extraDeny: 0n,
    };
    this.channels.set(id, channel);
    return channel;
  }

  /** The thread member object of a user (what `member` in a thread object / thread-members routes hold). */
  threadMember(channel: StoredChannel, userId: string): JsonObject | undefined {
    const joined = channel.threadMembers.get(userId);
    if (joined === undefined) return undefined;
    return { id: channel.id, user_id: userId, join_timestamp: joined, flags: 0 };
  }

  addThreadMember(channel: StoredChannel, userId: string): void {
    if (!channel.threadMembers.has(userId)) channel.threadMembers.set(userId, iso());
    channel.data.member_count = Math.min(channel.threadMembers.size, 50);
  }

  removeThreadMember(channel: StoredChannel, userId: string): void {
    channel.threadMembers.delete(userId);
    channel.data.member_count = Math.min(channel.threadMembers.size, 50);
  }

  openDm(user: APIUser): StoredChannel {
    const known = this.rememberUser(user);
    const existingId = this.dmChannels.get(known.id);
    const existing = existingId ? this.channels.get(existingId) : undefined;
    if (existing) return existing;
    const id = snowflake();
    const channel: StoredChannel = {
      id,
      type: CH.dm,
      guildId: null,
      data: { id, type: CH.dm, last_message_id: null, flags: 0, recipients: [known] },
      threadMembers: new Map(),
      recipientId: known.id,
      extraDeny: 0n,
    };
    this.channels.set(id, channel);
    this.dmChannels.set(known.id, id);
    return channel;
  }

  deleteChannel(id: string): StoredChannel | undefined {
    const channel = this.channels.get(id);
    if (!channel) return undefined;
    this.channels.delete(id);
    for (const child of [...this.channels.values()]) {
      if (isThreadType(child.type) && child.data.parent_id === id) this.channels.delete(child.id);
    }
    if (channel.recipientId) this.dmChannels.delete(channel.recipientId);
    return channel;
  }

  /** The channel as GET /channels/{id} returns it (threads include the bot's thread member when it is one). */
  channelPayload(channel: StoredChannel): JsonObject {
    const out = clone(channel.data);
    if (isThreadType(channel.type)) {
      const member = this.threadMember(channel, this.botId);
      if (member) out.member = member;
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------------------
  // Guild payloads
  // -------------------------------------------------------------------------------------------------------

  guildPayload(guild: StoredGuild, withCounts = false): JsonObject {
    const out: JsonObject = {
      id: guild.id,
      name: guild.name,
      icon: null,
      icon_hash: null,
      splash: null,
      discovery_splash: null,
      owner_id: guild.ownerId,
      afk_channel_id: null,
      afk_timeout: 300,
      widget_enabled: false,
      widget_channel_id: null,
      verification_level: 1,
      default_message_notifications: 1,
      explicit_content_filter: 2,
      roles: clone(guild.roles),
      emojis: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: guild.systemChannelId,
      system_channel_flags: 0,
      rules_channel_id: null,
      max_presences: null,
      max_members: 500000,
      vanity_url_code: null,
      description: guild.description,
      banner: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: guild.preferredLocale,
      public_updates_channel_id: null,
      max_video_channel_users: 25,
      max_stage_video_channel_users: 50,
      nsfw_level: 0,
      stickers: [],
      premium_progress_bar_enabled: false,
      safety_alerts_channel_id: null,
      incidents_data: null,
    };
    if (withCounts) {
      out.approximate_member_count = this.memberCount(guild);
      out.approximate_presence_count = 0;
    }
    return out;
  }

  /** The GUILD_CREATE dispatch payload: the guild plus members, channels, active threads and the rest. */
  guildCreatePayload(guild: StoredGuild): JsonObject {
    const channels = this.guildChannels(guild.id).map((c) => {
      const { guild_id: _omit, ...rest } = clone(c.data);
      return rest;
    });
    const threads = this.activeThreads(guild.id).map((c) => this.channelPayload(c));
    return {
      ...this.guildPayload(guild),
      joined_at: guild.joinedAt,
      large: false,
      unavailable: false,
      member_count: this.memberCount(guild),
      voice_states: [],
      members: [...guild.members.values()].map((m) => clone(m)),
      channels,
      threads,
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      lazy: true,
      application_command_counts: {},
      embedded_activities: [],
      hub_type: null,
      latest_onboarding_question_id: null,
      home_header: null,
      version: Date.now(),
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // Messages
  // -------------------------------------------------------------------------------------------------------

  addMessage(message: StoredMessage): StoredMessage {
    this.messages.set(message.id, message);
    const list = this.channelMessages.get(message.channelId) ?? [];
    list.push(message);
    this.channelMessages.set(message.channelId, list);
    const channel = this.channels.get(message.channelId);
    if (channel && !message.ephemeral) {
      channel.data.last_message_id = message.id;
      if (isThreadType(channel.type)) {
        channel.data.message_count = (readNumber(channel.data, "message_count") ?? 0) + 1;
        channel.data.total_message_sent = (readNumber(channel.data, "total_message_sent") ?? 0) + 1;
      }
    }
    return message;
  }

  /** Removes messages from the store altogether (not a deletion Discord would show: records kept by tests). */
  forgetMessages(ids: ReadonlySet<string>): void {
    const channels = new Set<string>();
    for (const id of ids) {
      const message = this.messages.get(id);
      if (message === undefined) continue;
      this.messages.delete(id);
      channels.add(message.channelId);
    }
    for (const channelId of channels) {
      const list = this.channelMessages.get(channelId);
      if (list !== undefined)
        this.channelMessages.set(
          channelId,
          list.filter((m) => !ids.has(m.id)),
        );
    }
  }

  messagesIn(channelId: string, includeEphemeral = false): StoredMessage[] {
    return (this.channelMessages.get(channelId) ?? []).filter(
      (m) => !m.deleted && (includeEphemeral || !m.ephemeral),
    );
  }

  /** The message as the API returns it (REST: no guild_id/member). */
  messagePayload(message: StoredMessage): JsonObject {
    const out = clone(message.data);
    const threadId = readString(out, "id");
    const thread = threadId ? this.channels.get(threadId) : undefined;
    if (thread && isThreadType(thread.type) && thread.data.parent_id === message.channelId) {
      out.thread = this.channelPayload(thread);
    }
    return out;
  }

  /** MESSAGE_CREATE/UPDATE payload: the message plus guild_id and the author's member. */
  messageDispatchPayload(message: StoredMessage): JsonObject {
    const out = this.messagePayload(message);
    if (message.guildId) {
      out.guild_id = message.guildId;
      const member = this.guilds.get(message.guildId)?.members.get(message.authorId);
      if (member) {
        const { user: _omit, ...rest } = clone(member);
        out.member = rest;
      }
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------------------
  // Application commands
  // -------------------------------------------------------------------------------------------------------

  commands(guildId: string | null): StoredCommand[] {
    return this.commandScopes.get(guildId ?? "global") ?? [];
  }

  setCommands(guildId: string | null, commands: StoredCommand[]): void {
    this.commandScopes.set(guildId ?? "global", commands);
  }

  /** Finds the command a user would invoke in a guild: guild commands first, then global ones. */
  findCommand(name: string, guildId: string | null, type = 1): StoredCommand | undefined {
    const match = (c: StoredCommand): boolean => c.data.name === name && (c.data.type ?? 1) === type;
    return (guildId ? this.commands(guildId).find(match) : undefined) ?? this.commands(null).find(match);
  }
}

export function nowIso(): string {
  return iso();
}

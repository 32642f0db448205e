// Fixture builders for the local Discord test server: snowflakes, users, members, roles, channels and
// guild specs. Everything here is plain data shaped like Discord's API objects (discord-api-types v10).
import {
  type APIGuildMember,
  type APIRole,
  type APIUser,
  ChannelType,
  type GuildMemberFlags,
  PermissionFlagsBits,
  type RoleFlags,
  type UserFlags,
} from "discord.js";

const NO_USER_FLAGS = 0 as UserFlags;
const NO_MEMBER_FLAGS = 0 as GuildMemberFlags;
const NO_ROLE_FLAGS = 0 as RoleFlags;

export type JsonObject = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------
// Snowflakes
// ---------------------------------------------------------------------------------------------------------

export const DISCORD_EPOCH_MS = 1_420_070_400_000;
const EPOCH = BigInt(DISCORD_EPOCH_MS);
const WORKER_BITS = 1n << 17n;
let lastTimestamp = 0n;
let increment = 0n;

/** A fresh, strictly increasing snowflake-like id (numeric string) for "now". */
export function snowflake(atMs: number = Date.now()): string {
  let ts = BigInt(Math.floor(atMs)) - EPOCH;
  if (ts < lastTimestamp) ts = lastTimestamp;
  if (ts === lastTimestamp) {
    increment += 1n;
    if (increment > 0xfffn) {
      ts += 1n;
      increment = 0n;
    }
  } else {
    increment = 0n;
  }
  lastTimestamp = ts;
  return ((ts << 22n) | WORKER_BITS | increment).toString();
}

/** A deterministic snowflake for fixtures: the given instant plus a small sequence number. */
export function fixedSnowflake(iso: string, seq = 0): string {
  const ts = BigInt(Date.parse(iso)) - EPOCH;
  return ((ts << 22n) | BigInt(seq & 0xfff)).toString();
}

/** Milliseconds since the Unix epoch encoded in a snowflake. */
export function snowflakeTimestamp(id: string): number {
  return Number((BigInt(id) >> 22n) + EPOCH);
}

// ---------------------------------------------------------------------------------------------------------
// Permissions
// ---------------------------------------------------------------------------------------------------------

const P = PermissionFlagsBits;

export type PermissionName = keyof typeof PermissionFlagsBits;
/** camelCase permission names, e.g. `createPrivateThreads`, `sendMessages`. */
export type PermissionKey = Uncapitalize<PermissionName>;

export function permissionFlag(key: PermissionKey): bigint {
  const name = `${key.charAt(0).toUpperCase()}${key.slice(1)}`;
  const entry = Object.entries(PermissionFlagsBits).find(([candidate]) => candidate === name);
  if (!entry) throw new Error(`unknown permission ${key}`);
  return entry[1];
}

export const ALL_PERMISSIONS: bigint = Object.values(PermissionFlagsBits).reduce((acc, bit) => acc | bit, 0n);

/** What a brand-new server grants @everyone (roughly Discord's defaults; no ManageGuild etc.). */
export const EVERYONE_PERMISSIONS: bigint =
  P.ViewChannel |
  P.CreateInstantInvite |
  P.ChangeNickname |
  P.SendMessages |
  P.SendMessagesInThreads |
  P.CreatePublicThreads |
  P.CreatePrivateThreads |
  P.EmbedLinks |
  P.AttachFiles |
  P.AddReactions |
  P.UseExternalEmojis |
  P.UseExternalStickers |
  P.ReadMessageHistory |
  P.UseApplicationCommands |
  P.Connect |
  P.Speak |
  P.Stream |
  P.UseVAD |
  P.UseEmbeddedActivities |
  P.RequestToSpeak |
  P.SendVoiceMessages |
  P.SendPolls |
  P.UseExternalApps;

/** A normal member: only what @everyone has. Notably lacks ManageGuild. */
export const MEMBER_PERMISSIONS: bigint = EVERYONE_PERMISSIONS;

export const MODERATOR_PERMISSIONS: bigint =
  EVERYONE_PERMISSIONS |
  P.ManageGuild |
  P.ManageMessages |
  P.ManageThreads |
  P.ManageChannels |
  P.KickMembers |
  P.ModerateMembers |
  P.MentionEveryone;

/**
 * The bot's managed role: exactly what README's invite link asks for (377957239808), so a test cannot
 * lean on a permission a real install lacks (Manage Threads, Manage Messages, Mention Everyone).
 */
export const BOT_PERMISSIONS: bigint =
  P.ViewChannel |
  P.SendMessages |
  P.SendMessagesInThreads |
  P.CreatePublicThreads |
  P.CreatePrivateThreads |
  P.EmbedLinks |
  P.AttachFiles |
  P.ReadMessageHistory;

export function permissionsString(bits: bigint): string {
  return bits.toString();
}

// ---------------------------------------------------------------------------------------------------------
// Users, members, roles
// ---------------------------------------------------------------------------------------------------------

export interface UserSpec {
  id?: string;
  username: string;
  globalName?: string | null;
  bot?: boolean;
  avatar?: string | null;
}

export function makeUser(spec: UserSpec): APIUser {
  const user: APIUser = {
    id: spec.id ?? snowflake(),
    username: spec.username,
    discriminator: spec.bot ? "4521" : "0",
    global_name: spec.bot ? null : (spec.globalName ?? spec.username),
    avatar: spec.avatar ?? null,
    public_flags: NO_USER_FLAGS,
    flags: NO_USER_FLAGS,
    banner: null,
    accent_color: null,
    avatar_decoration_data: null,
    collectibles: null,
    primary_guild: null,
  };
  if (spec.bot) user.bot = true;
  return user;
}

export interface MemberSpec {
  user: APIUser | UserSpec;
  roles?: string[];
  nick?: string | null;
  joinedAt?: string;
}

function isApiUser(user: APIUser | UserSpec): user is APIUser {
  return "discriminator" in user && typeof user.id === "string";
}

export function toApiUser(user: APIUser | UserSpec): APIUser {
  return isApiUser(user) ? user : makeUser(user);
}

export function makeMember(
  user: APIUser,
  opts: { roles?: string[]; nick?: string | null; joinedAt?: string } = {},
): APIGuildMember {
  return {
    user,
    nick: opts.nick ?? null,
    avatar: null,
    banner: null,
    roles: opts.roles ?? [],
    joined_at: opts.joinedAt ?? new Date().toISOString(),
    premium_since: null,
    deaf: false,
    mute: false,
    flags: NO_MEMBER_FLAGS,
    pending: false,
    communication_disabled_until: null,
  };
}

export interface RoleSpec {
  id?: string;
  name: string;
  permissions?: bigint | string;
  mentionable?: boolean;
  color?: number;
  hoist?: boolean;
  position?: number;
  /** Marks the role as the bot's managed integration role. */
  botId?: string;
}

export function makeRole(spec: RoleSpec, position: number): APIRole {
  const permissions =
    typeof spec.permissions === "bigint" ? spec.permissions.toString() : (spec.permissions ?? "0");
  const color = spec.color ?? 0;
  const role: APIRole = {
    id: spec.id ?? snowflake(),
    name: spec.name,
    color,
    colors: { primary_color: color, secondary_color: null, tertiary_color: null },
    hoist: spec.hoist ?? false,
    icon: null,
    unicode_emoji: null,
    position: spec.position ?? position,
    permissions,
    managed: spec.botId !== undefined,
    mentionable: spec.mentionable ?? false,
    flags: NO_ROLE_FLAGS,
  };
  if (spec.botId !== undefined) role.tags = { bot_id: spec.botId };
  return role;
}

// ---------------------------------------------------------------------------------------------------------
// Channels and guilds
// ---------------------------------------------------------------------------------------------------------

export type GuildChannelKind =
  | ChannelType.GuildText
  | ChannelType.GuildVoice
  | ChannelType.GuildCategory
  | ChannelType.GuildAnnouncement
  | ChannelType.GuildForum;

export interface ChannelSpec {
  id?: string;
  name: string;
  /** Defaults to a text channel (0). */
  type?: GuildChannelKind;
  topic?: string | null;
  parentId?: string | null;
  position?: number;
  nsfw?: boolean;
  rateLimitPerUser?: number;
  defaultAutoArchiveDuration?: 60 | 1440 | 4320 | 10080;
}

export interface GuildSpec {
  id?: string;
  name?: string;
  /** Guild owner. Defaults to a generated human user. */
  owner?: APIUser | UserSpec;
  /** Channels. Defaults to a category with `general` and `prodevprojectnexus` text channels. */
  channels?: ChannelSpec[];
  /** Extra roles; @everyone (id = guild id) and the bot's managed role are always added. */
  roles?: RoleSpec[];
  /** Extra members besides the bot and the owner. */
  members?: MemberSpec[];
  /** Permissions of @everyone. Defaults to EVERYONE_PERMISSIONS. */
  everyonePermissions?: bigint;
  /** Permissions of the bot's managed role. Defaults to BOT_PERMISSIONS. */
  botPermissions?: bigint;
  /** `member_count` to report; defaults to the number of members the server knows. */
  memberCount?: number;
  preferredLocale?: string;
  description?: string | null;
}

/** Deterministic ids of the default fixture, so tests can refer to them directly. */
export const FIXTURE_IDS = {
  applicationId: fixedSnowflake("2024-03-01T10:00:00Z", 1),
  guildId: fixedSnowflake("2024-02-01T10:00:00Z", 1),
  categoryId: fixedSnowflake("2024-02-01T10:00:01Z", 1),
  generalChannelId: fixedSnowflake("2024-02-01T10:00:02Z", 1),
  nexusChannelId: fixedSnowflake("2024-02-01T10:00:03Z", 1),
  botRoleId: fixedSnowflake("2024-03-01T10:00:05Z", 1),
  moderatorRoleId: fixedSnowflake("2024-02-01T10:00:06Z", 1),
  learnerRoleId: fixedSnowflake("2024-02-01T10:00:07Z", 1),
  ownerId: fixedSnowflake("2019-05-04T10:00:00Z", 1),
  memberId: fixedSnowflake("2020-02-02T10:00:00Z", 1),
  moderatorId: fixedSnowflake("2021-06-06T10:00:00Z", 1),
} as const;

export const NEXUS_CHANNEL_NAME = "prodevprojectnexus";

export function defaultBotUser(applicationId: string = FIXTURE_IDS.applicationId): APIUser {
  return makeUser({ id: applicationId, username: "Nexus", bot: true });
}

export function defaultOwner(): APIUser {
  return makeUser({ id: FIXTURE_IDS.ownerId, username: "ada", globalName: "Ada" });
}

export function defaultMember(): APIUser {
  return makeUser({ id: FIXTURE_IDS.memberId, username: "grace", globalName: "Grace" });
}

export function defaultModerator(): APIUser {
  return makeUser({ id: FIXTURE_IDS.moderatorId, username: "linus", globalName: "Linus" });
}

/** The default guild: ProDev Backend with #general and #prodevprojectnexus. */
export function defaultGuildSpec(): GuildSpec {
  return {
    id: FIXTURE_IDS.guildId,
    name: "ProDev Backend",
    owner: defaultOwner(),
    channels: [
      { id: FIXTURE_IDS.categoryId, name: "Text Channels", type: ChannelType.GuildCategory, position: 0 },
      { id: FIXTURE_IDS.generalChannelId, name: "general", parentId: FIXTURE_IDS.categoryId, position: 0 },
      {
        id: FIXTURE_IDS.nexusChannelId,
        name: NEXUS_CHANNEL_NAME,
        topic: "ProDev Backend #ProDevProjectNexus collaboration",
        parentId: FIXTURE_IDS.categoryId,
        position: 1,
      },
    ],
    roles: [
      {
        id: FIXTURE_IDS.moderatorRoleId,
        name: "Moderators",
        permissions: MODERATOR_PERMISSIONS,
        hoist: true,
        mentionable: false,
      },
      { id: FIXTURE_IDS.learnerRoleId, name: "Learners", permissions: 0n, mentionable: true },
    ],
    members: [
      { user: defaultMember(), roles: [FIXTURE_IDS.learnerRoleId] },
      { user: defaultModerator(), roles: [FIXTURE_IDS.moderatorRoleId] },
    ],
    preferredLocale: "en-US",
  };
}

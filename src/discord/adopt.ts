import {
  ChannelType,
  type Guild,
  type GuildBasedChannel,
  type GuildTextBasedChannel,
  PermissionFlagsBits,
  type PermissionsBitField,
  SnowflakeUtil,
} from "discord.js";
import {
  adoptChannel,
  claimWelcome,
  getGuildConfig,
  getWelcome,
  markWelcomed,
  moveWelcome,
  releaseChannel,
  releaseWelcome,
  type Welcome,
} from "../guild/config.js";
import { Embed } from "./embed.js";
import { isRefusal } from "./errors.js";
import { postNonce } from "./nonce.js";
import type { BotContext } from "./types.js";

export const WELCOME_TITLE = "Nexus is here";

export function welcomeEmbed(): Embed {
  return new Embed()
    .setTitle(WELCOME_TITLE)
    .setColor(0x5865f2)
    .setDescription(
      [
        "I help this channel learn together:",
        "• **/learn** — keep a learning journal, streaks, and export a Project Nexus portfolio",
        "• **/ask** — ask a question in a thread; **/answer** and **/accept** earn helpers reputation",
        "• **/pair** — pair backend learners with frontend learners to build together",
        "• **/challenge** — a daily backend challenge, with hints, submissions and streaks",
        "",
        "Admins: **/nexus setup** picks the channel, time zone and daily post time. **/nexus help** for more.",
      ].join("\n"),
    );
}

/**
 * On start, on joining a guild, when a guild comes back from an outage, and when a channel gets the Nexus
 * name (created or renamed: onChannelNamed): if no channel is configured, adopt the one named NEXUS_CHANNEL and
 * post the welcome there once (the welcome flag is claimed in the store first, so never twice).
 */
export async function adoptAndWelcome(ctx: BotContext, guild: Guild): Promise<void> {
  // Deleted while the bot could not see it (kicked, an outage, down): a guild just received whole holds
  // every channel it has, so a configured one missing from it is gone, and is released like a deletion.
  let configured: string | null = (await getGuildConfig(ctx.store, ctx.clock, guild.id)).channelId;
  if (guild.available && configured !== null && !guild.channels.cache.has(configured)) {
    if (await releaseChannel(ctx.store, ctx.clock, guild.id, configured)) {
      ctx.logger.warn({ guild: guild.id, channel: configured }, "the Nexus channel is gone");
      configured = null;
    }
  }
  // Adoption only fills an empty setting (adoptChannel checks again under the lock): a configured guild,
  // most of them at every start, costs no write.
  const candidates = guild.channels.cache.map((channel) => ({
    id: channel.id,
    name: channel.name,
    isText: channel.type === ChannelType.GuildText,
  }));
  const adopted =
    configured === null
      ? await adoptChannel(ctx.store, ctx.clock, guild.id, candidates, ctx.config.nexusChannel)
      : null;
  // Not adopted: the one configured (re-read, in case a /nexus setup ran meanwhile).
  const channelId = adopted ?? (await getGuildConfig(ctx.store, ctx.clock, guild.id)).channelId;
  if (adopted !== null) ctx.logger.info({ guild: guild.id, channel: adopted }, "adopted the Nexus channel");
  if (channelId === null) return;
  await welcomeOnce(ctx, guild, channelId);
}

/** Guilds whose welcome this bot is posting or looking for right now. */
const welcoming = new WeakMap<BotContext, Set<string>>();

/**
 * Posts the guild's welcome in `channelId` unless it was posted already: true when posted now. A post
 * Discord did not confirm (a 5xx, a timeout, or a process that died meanwhile) stays claimed but not
 * posted, and is looked for by the next call before it is made (with the same enforced nonce: a repeat
 * within Discord's window is answered with the first post), so it is posted once, never twice.
 */
export async function welcomeOnce(ctx: BotContext, guild: Guild, channelId: string): Promise<boolean> {
  const channel = guild.channels.cache.get(channelId);
  if (channel === undefined || !channel.isTextBased()) return false;
  let busy = welcoming.get(ctx);
  if (busy === undefined) {
    busy = new Set();
    welcoming.set(ctx, busy);
  }
  // Another call of this bot (start, an event, /nexus setup, the retry job) is at it.
  if (busy.has(guild.id)) return false;
  busy.add(guild.id);
  try {
    return await welcome(ctx, guild, channel as GuildTextBasedChannel);
  } finally {
    busy.delete(guild.id);
  }
}

async function welcome(ctx: BotContext, guild: Guild, channel: GuildTextBasedChannel): Promise<boolean> {
  if (!(await claimWelcome(ctx.store, ctx.clock, guild.id, channel.id))) {
    const claim = await getWelcome(ctx.store, guild.id);
    if (claim === undefined || claim.posted) return false;
    const found = await findWelcome(ctx, guild, claim);
    // Discord not answering: it may be there, out of the nonce's window. Looked for again on the next try.
    if (found === "failing") return false;
    if (found) {
      await markWelcomed(ctx.store, guild.id, claim.channelId);
      return false;
    }
    await moveWelcome(ctx.store, ctx.clock, guild.id, channel.id);
  }
  try {
    await channel.send({
      embeds: [welcomeEmbed()],
      nonce: postNonce(guild.id, `welcome|${channel.id}`),
      enforceNonce: true,
      allowedMentions: { parse: [] },
    });
  } catch (error) {
    ctx.logger.warn({ err: error, guild: guild.id, channel: channel.id }, "could not post the welcome");
    // Refused (no permission, channel gone): it was never posted, so the next adoption, setup or retry posts
    // it. Any other failure may have posted it after all: it stays claimed, looked for before a retry.
    if (isRefusal(error)) await releaseWelcome(ctx.store, guild.id);
    return false;
  }
  await markWelcomed(ctx.store, guild.id, channel.id);
  return true;
}

/** How far before a claim its post is looked for (the bot's clock and Discord's differ a little). */
const FIND_SLACK_MS = 60_000;

/**
 * Whether the bot's welcome is in the channel it was claimed for, "failing" when Discord did not answer.
 * A channel gone or that cannot be read (without Read Message History Discord lists no messages) counts as
 * "not there": a welcome twice in that rare case is better than none.
 */
async function findWelcome(ctx: BotContext, guild: Guild, claim: Welcome): Promise<boolean | "failing"> {
  const channel = guild.channels.cache.get(claim.channelId);
  if (channel === undefined || !channel.isTextBased()) return false;
  const permissions = botPermissionsIn(channel);
  if (permissions !== null && !permissions.has(PermissionFlagsBits.ReadMessageHistory)) return false;
  try {
    const after = SnowflakeUtil.generate({ timestamp: Math.max(0, claim.at - FIND_SLACK_MS) }).toString();
    const messages = await channel.messages.fetch({ after, limit: 100, cache: false });
    return messages.some(
      (message) =>
        message.author.id === ctx.client.user?.id &&
        message.embeds.some((embed) => embed.title === WELCOME_TITLE),
    );
  } catch (error) {
    return isRefusal(error) ? false : "failing";
  }
}

/**
 * The retry job's step for one guild (events/welcomeJobs.ts): a welcome Discord did not confirm, or one
 * refused for a permission the bot has since been given, is posted in the Nexus channel now.
 */
export async function retryWelcome(ctx: BotContext, guild: Guild): Promise<boolean> {
  // Almost every guild's welcome is posted: its config is read only when it is not.
  if ((await getWelcome(ctx.store, guild.id))?.posted) return false;
  const config = await getGuildConfig(ctx.store, ctx.clock, guild.id);
  if (config.channelId === null) return false;
  const channel = guild.channels.cache.get(config.channelId);
  // Still refused: not tried (a refusal every few minutes), until the permission is given.
  if (channel === undefined || (channelAccess(channel)?.missing.length ?? 0) > 0) return false;
  return welcomeOnce(ctx, guild, config.channelId);
}

/** A channel created, or renamed, after the bot joined: adopted if it has the Nexus name and none is set. */
export async function onChannelNamed(ctx: BotContext, channel: GuildBasedChannel): Promise<void> {
  if (channel.type !== ChannelType.GuildText || channel.name !== ctx.config.nexusChannel) return;
  await adoptAndWelcome(ctx, channel.guild);
}

/**
 * A channel was deleted: when it was the Nexus channel, it is unset (src/guild/config.ts releaseChannel)
 * and another channel with the Nexus name, if there is one, adopted in its place.
 */
export async function onChannelDeleted(ctx: BotContext, channel: GuildBasedChannel): Promise<void> {
  if (!(await releaseChannel(ctx.store, ctx.clock, channel.guild.id, channel.id))) return;
  ctx.logger.warn({ guild: channel.guild.id, channel: channel.id }, "the Nexus channel was deleted");
  await adoptAndWelcome(ctx, channel.guild);
}

/** What the bot needs in the Nexus channel to post there at all. */
const NEEDED = [
  [PermissionFlagsBits.ViewChannel, "View Channel"],
  [PermissionFlagsBits.SendMessages, "Send Messages"],
  [PermissionFlagsBits.EmbedLinks, "Embed Links"],
] as const;

/** What the bot uses there, and what goes without it. */
const WANTED = [
  [PermissionFlagsBits.CreatePublicThreads, "Create Public Threads", "questions get no thread of their own"],
  [PermissionFlagsBits.SendMessagesInThreads, "Send Messages in Threads", "nothing can be posted in threads"],
  [
    PermissionFlagsBits.CreatePrivateThreads,
    "Create Private Threads",
    "pairs are introduced in public threads",
  ],
  [
    PermissionFlagsBits.ReadMessageHistory,
    "Read Message History",
    "posts interrupted by a restart cannot be found again",
  ],
] as const;

export type ChannelAccess = {
  /** Permissions without which nothing is posted there. */
  missing: string[];
  /** Permissions it can do without, each with what goes without it. */
  limited: Array<{ permission: string; effect: string }>;
};

/** The bot's permissions in a guild channel, as far as its cache knows them (null: it cannot tell). */
export function botPermissionsIn(channel: GuildBasedChannel): Readonly<PermissionsBitField> | null {
  const me = channel.guild.members.me;
  return me === null ? null : channel.permissionsFor(me);
}

/** What the bot's permissions in a guild channel allow there (null: it cannot tell). */
export function channelAccess(channel: GuildBasedChannel): ChannelAccess | null {
  const permissions = botPermissionsIn(channel);
  if (permissions === null) return null;
  return {
    missing: NEEDED.filter(([flag]) => !permissions.has(flag)).map(([, name]) => name),
    limited: WANTED.filter(([flag]) => !permissions.has(flag)).map(([, permission, effect]) => ({
      permission,
      effect,
    })),
  };
}

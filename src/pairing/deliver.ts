/**
 * Discord side of a match: the pair's private thread (or public thread, or DMs), the 48 h follow-up, the
 * round's announcement, the announcement of expired requests. The match is always in the store before
 * any of this runs; these functions only read it, talk to Discord, and record the outcome through the
 * domain.
 */
import {
  ChannelType,
  DiscordAPIError,
  type Guild,
  type MessageCreateOptions,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  type TextChannel,
  ThreadAutoArchiveDuration,
  type ThreadChannel,
} from "discord.js";
import { botPermissionsIn } from "../discord/adopt.js";
import { isTransientError } from "../discord/errors.js";
import { postNonce } from "../discord/nonce.js";
import type { BotContext } from "../discord/types.js";
import { getGuildConfig } from "../guild/config.js";
import type { Logger } from "../log.js";
import { RETRY_TRIES_MAX } from "../retry.js";
import {
  expiryAnnouncements,
  followUpMessage,
  introMessage,
  leftoverAnnouncements,
  threadName,
} from "./format.js";
import {
  claimDelivery,
  type DeliveryOutcome,
  dissolvePair,
  type MembershipCheck,
  recordDelivery,
  takeExpiredUnannounced,
} from "./pairing.js";
import { miniProject, suggestProject } from "./projects.js";
import type { Pair } from "./schema.js";

/** Discord's answer when the bot may not do something (here: create a private thread, add members). */
export function isPermissionError(error: unknown): boolean {
  return (
    error instanceof DiscordAPIError &&
    (error.status === 403 ||
      error.code === RESTJSONErrorCodes.MissingPermissions ||
      error.code === RESTJSONErrorCodes.MissingAccess ||
      error.code === RESTJSONErrorCodes.CannotExecuteActionOnThisChannelType)
  );
}

/** Unknown Member / Unknown User: the person is not in the guild (any more). */
export function isGoneError(error: unknown): boolean {
  return (
    error instanceof DiscordAPIError &&
    (error.code === RESTJSONErrorCodes.UnknownMember || error.code === RESTJSONErrorCodes.UnknownUser)
  );
}

/**
 * The bot has only the Guilds intent (no member events), so membership is checked by asking: a member
 * fetch that answers Unknown Member means they left. Any other failure counts as "still here" — nobody is
 * dropped from the queue because of a network hiccup.
 */
export function membershipCheck(guild: Guild): MembershipCheck {
  return async (userId) => {
    try {
      await guild.members.fetch({ user: userId, cache: false });
      return true;
    } catch (error) {
      if (isGoneError(error)) return false;
      return true;
    }
  };
}

class Departed extends Error {
  constructor(readonly userId: string) {
    super(`member ${userId} left the guild`);
  }
}

export type DeliveryReport = {
  pair: Pair;
  outcome: DeliveryOutcome;
  /** Set when a member had left: the pair was undone, and the partner's new pair (if any) delivered. */
  departed?: string;
  rematch?: DeliveryReport | null;
};

async function resolveChannel(
  ctx: BotContext,
  guild: Guild,
  fallbackChannelId: string | null | undefined,
): Promise<TextChannel | null> {
  const config = await getGuildConfig(ctx.store, ctx.clock, guild.id);
  for (const id of [config.channelId, fallbackChannelId]) {
    if (!id) continue;
    const channel = guild.channels.cache.get(id) ?? (await guild.channels.fetch(id).catch(() => null));
    if (channel?.type === ChannelType.GuildText) return channel;
  }
  return null;
}

/** What the bot needs in the channel to open each kind of pair thread, add both members and post in it. */
const THREAD_NEEDS = {
  [ChannelType.PrivateThread]: [
    PermissionFlagsBits.ViewChannel,
    PermissionFlagsBits.CreatePrivateThreads,
    PermissionFlagsBits.SendMessagesInThreads,
  ],
  [ChannelType.PublicThread]: [
    PermissionFlagsBits.ViewChannel,
    PermissionFlagsBits.CreatePublicThreads,
    PermissionFlagsBits.SendMessagesInThreads,
  ],
} as const;

/** Opens the pair's thread, adds both members and posts the introduction; returns the thread's id. */
async function openThread(
  channel: TextChannel,
  pair: Pair,
  type: ChannelType.PrivateThread | ChannelType.PublicThread,
  message: MessageCreateOptions,
): Promise<string> {
  const thread =
    type === ChannelType.PrivateThread
      ? await channel.threads.create({
          name: threadName(pair),
          type: ChannelType.PrivateThread,
          invitable: false,
          autoArchiveDuration: ThreadAutoArchiveDuration.OneWeek,
          reason: `Nexus pair #${pair.id}`,
        })
      : await channel.threads.create({
          name: threadName(pair),
          type: ChannelType.PublicThread,
          autoArchiveDuration: ThreadAutoArchiveDuration.OneWeek,
          reason: `Nexus pair #${pair.id}`,
        });
  return fillThread(thread, pair, message);
}

/** Adds both members to the pair's thread and posts the introduction, unless `message` is null. */
async function fillThread(
  thread: ThreadChannel,
  pair: Pair,
  message: MessageCreateOptions | null,
): Promise<string> {
  try {
    for (const user of [pair.backend.user, pair.frontend.user]) {
      try {
        await thread.members.add(user);
      } catch (error) {
        if (isGoneError(error)) throw new Departed(user);
        throw error;
      }
    }
    if (message !== null) {
      const nonce = postNonce(thread.guildId, `intro|${pair.id}|${thread.id}`);
      await thread.send({ ...message, nonce, enforceNonce: true });
    }
    return thread.id;
  } catch (error) {
    // A thread Discord only failed to answer for is kept: the retry finds it and completes it. Otherwise,
    // best effort only: deleting a thread needs Manage Threads, which the invite does not ask for; the
    // usual causes (a member gone, no Send Messages in Threads) are checked before the thread is made.
    if (error instanceof Departed || !isTransientError(error)) await thread.delete().catch(() => undefined);
    throw error;
  }
}

/**
 * The pair's thread, when an abandoned introduction got as far as opening it: the bot's active thread
 * with the pair's name (unique: it holds the pair's id), in any channel (the first try may have used the
 * command's). Null when there is none, or when the threads cannot be listed (a new one is opened then).
 */
async function findPairThread(guild: Guild, pair: Pair, log: Logger): Promise<ThreadChannel | null> {
  try {
    const { threads } = await guild.channels.fetchActiveThreads();
    const name = threadName(pair);
    return threads.find((thread) => thread.ownerId === guild.client.user.id && thread.name === name) ?? null;
  } catch (error) {
    log.warn({ err: error }, "could not look for the pair's thread");
    return null;
  }
}

/**
 * Whether the pair's introduction is in the thread: a message of the bot's with the introduction's text or
 * embed.
 * Not any message of the bot's: Discord posts "added … to the thread" system messages in its name when it
 * adds the members. When that cannot be told (an error, or no Read Message History, which lists no
 * messages) it is posted again: twice in the pair's thread is better than never.
 */
async function introducedIn(thread: ThreadChannel, pair: Pair): Promise<boolean> {
  const title = `Pair #${pair.id}:`;
  // Its text too: without Embed Links Discord drops the embed and keeps the text.
  const text = `you are pair #${pair.id}!`;
  try {
    const messages = await thread.messages.fetch({ after: thread.id, limit: 100, cache: false });
    return messages.some(
      (message) =>
        message.author.id === thread.client.user.id &&
        (message.content.includes(text) ||
          message.embeds.some((embed) => embed.title?.startsWith(title) === true)),
    );
  } catch {
    return false;
  }
}

/**
 * Whether the bot's DMs with `user` hold a message with exactly `content` (an introduction's text, which
 * names both members and the pair). For a retry of a try that may have sent it without recording it
 * (the process died): the nonce stops a second copy only within Discord's window of a few minutes, and an
 * abandoned try is retried after ten. When that cannot be told, false: sent again.
 */
async function sentByDm(ctx: BotContext, user: string, content: string): Promise<boolean> {
  try {
    const dm = await ctx.client.users.createDM(user);
    const messages = await dm.messages.fetch({ limit: 50, cache: false });
    return messages.some(
      (message) => message.author.id === ctx.client.user?.id && message.content === content,
    );
  } catch {
    return false;
  }
}

/**
 * DMs `message` to each of `users`; `sent`: those it reached; `transient`: some DM failed because Discord
 * did not answer. Each DM carries an enforced nonce (`what` and the user), so a retry of one Discord made
 * but did not confirm is not a second copy.
 */
async function sendDirect(
  ctx: BotContext,
  guildId: string,
  users: readonly string[],
  message: MessageCreateOptions,
  what: string,
): Promise<{ sent: string[]; transient: boolean }> {
  const sent: string[] = [];
  let transient = false;
  for (const user of users) {
    try {
      await ctx.client.users.send(user, {
        ...message,
        nonce: postNonce(guildId, `${what}|${user}`),
        enforceNonce: true,
      });
      sent.push(user);
    } catch (error) {
      if (isTransientError(error)) transient = true;
      ctx.logger.warn({ err: error, user }, "could not DM a pairing member");
    }
  }
  return { sent, transient };
}

/**
 * Introduces a stored pair (given as the record just made, already claimed, or as an id to claim first):
 * a private thread in the Nexus channel (the command's channel when none is
 * set) with both members; a public thread when private threads are not allowed; direct messages when no
 * thread can be made (and for the rest of a pair one member already has by DM). A member found to have left
 * undoes the pair and re-queues (and re-matches) the other.
 * When nothing could be sent because Discord did not answer, the pair is left "pending" for the pairing
 * job to try again (see recordDelivery). Returns null when someone else is already delivering this pair.
 */
export async function deliverPair(
  ctx: BotContext,
  guildId: string,
  pairOrId: Pair | number,
  options: { fallbackChannelId?: string | null; depth?: number } = {},
): Promise<DeliveryReport | null> {
  const claimed =
    typeof pairOrId === "number"
      ? await claimDelivery(ctx.store, ctx.clock, guildId, pairOrId)
      : { pair: pairOrId, abandoned: false };
  if (claimed === undefined) return null;
  const { pair, abandoned } = claimed;
  const pairId = pair.id;
  const log = ctx.logger.child({ guild: guildId, pair: pairId });
  const guild =
    ctx.client.guilds.cache.get(guildId) ?? (await ctx.client.guilds.fetch(guildId).catch(() => null));
  const project =
    miniProject(pair.projectId) ?? suggestProject(pair.id, [pair.backend.topic, pair.frontend.topic]);
  const message = introMessage(pair, project);
  const users = [pair.backend.user, pair.frontend.user];

  const departedFrom = async (userId: string): Promise<DeliveryReport> => {
    log.info({ user: userId }, "a paired member left the guild; undoing the pair");
    const result = await dissolvePair(
      ctx.store,
      ctx.clock,
      guildId,
      pairId,
      userId,
      guild ? membershipCheck(guild) : undefined,
    );
    const depth = options.depth ?? 0;
    const rematch =
      result.rematch !== null && depth < 3
        ? await deliverPair(ctx, guildId, result.rematch, { ...options, depth: depth + 1 })
        : null;
    return { pair, outcome: { state: "failed", channelId: null, threadId: null }, departed: userId, rematch };
  };

  let outcome: DeliveryOutcome | null = null;
  // A thread that failed only because Discord did not answer: this try stops there, and the next one looks
  // for that thread (Discord may have made it) before opening one.
  let threadTransient = false;
  // A member an earlier try reached by DM already has the introduction: the rest goes by DM too, even once
  // a thread could be opened, or that member would be introduced twice (by DM and in the thread).
  const dmBefore = pair.delivery.dmSent ?? [];
  if (guild) {
    // Checked now, even for a pair /pair request checked at match time (a member seen minutes ago is not
    // asked again there): a thread opened for someone who has since left could not be deleted.
    const isMember = membershipCheck(guild);
    for (const user of users) if (!(await isMember(user))) return departedFrom(user);
    // Only a retry looks (a first delivery opened nothing yet): the process that died may have opened the
    // thread, and maybe added the members and posted the introduction, without recording it.
    const found = abandoned && dmBefore.length === 0 ? await findPairThread(guild, pair, log) : null;
    if (found !== null) {
      try {
        await fillThread(found, pair, (await introducedIn(found, pair)) ? null : message);
        outcome = {
          state: found.type === ChannelType.PrivateThread ? "private" : "public",
          channelId: found.parentId,
          threadId: found.id,
        };
      } catch (error) {
        if (error instanceof Departed) return departedFrom(error.userId);
        log.warn({ err: error }, "could not complete the pair's thread; falling back");
        if (isTransientError(error)) threadTransient = true;
      }
    }
    const channel =
      outcome === null && !threadTransient && dmBefore.length === 0
        ? await resolveChannel(ctx, guild, options.fallbackChannelId)
        : null;
    if (channel) {
      // When the cache cannot tell (null), each kind is tried and Discord's refusal decides, as before.
      const permissions = botPermissionsIn(channel);
      for (const type of [ChannelType.PrivateThread, ChannelType.PublicThread] as const) {
        if (permissions !== null && !permissions.has(THREAD_NEEDS[type])) {
          log.info({ type }, "thread not allowed; falling back");
          continue;
        }
        try {
          const threadId = await openThread(channel, pair, type, message);
          outcome = {
            state: type === ChannelType.PrivateThread ? "private" : "public",
            channelId: channel.id,
            threadId,
          };
          break;
        } catch (error) {
          if (error instanceof Departed) return departedFrom(error.userId);
          if (isPermissionError(error))
            log.info({ code: codeOf(error), type }, "thread not allowed; falling back");
          else log.warn({ err: error, type }, "could not open the pair's thread");
          // Discord not answering is no reason to try a public thread or DMs: it may have made this thread
          // (then the retry finds it), and a public one would show the pair's notes to the whole channel.
          if (isTransientError(error)) {
            threadTransient = true;
            break;
          }
        }
      }
    }
  }
  if (outcome === null && threadTransient) {
    outcome = { state: "pending", channelId: null, threadId: null };
  } else if (outcome === null) {
    // A member an earlier try reached by DM is not sent it again, nor one an abandoned try reached
    // without recording it.
    const reached: string[] = [];
    for (const user of users) {
      if (dmBefore.includes(user) || !abandoned) continue;
      if (await sentByDm(ctx, user, String(message.content))) reached.push(user);
    }
    const rest = users.filter((user) => !dmBefore.includes(user) && !reached.includes(user));
    const { sent, transient } = await sendDirect(ctx, guildId, rest, message, `intro-dm|${pairId}`);
    const dmSent = [...dmBefore, ...reached, ...sent];
    // One member's DM unanswered while the other's went: tried again for that member only (a refused DM,
    // closed to the server's members, would be refused again).
    const state = transient ? "pending" : dmSent.length > 0 ? "dm" : "failed";
    outcome = { state, channelId: null, threadId: null, ...(dmSent.length > 0 ? { dmSent } : {}) };
  }
  const saved = await recordDelivery(ctx.store, ctx.clock, guildId, pairId, outcome);
  // The last try Discord did not answer is recorded as given up on.
  if (outcome.state === "pending" && saved?.delivery.state === "failed")
    outcome = { ...outcome, state: "failed" };
  log.info(
    { delivery: outcome.state },
    outcome.state === "pending" ? "pair not introduced yet" : "pair introduced",
  );
  return { pair: saved ?? pair, outcome };
}

function codeOf(error: unknown): number | string | undefined {
  return error instanceof DiscordAPIError ? error.code : undefined;
}

/**
 * Posts the "did you meet?" follow-up in the pair's thread, or by DM when there is no usable thread (not
 * when the thread's post failed only because Discord did not answer: "pending", posted there again).
 * "pending": not everyone has it because Discord did not answer (`dmSent`: who has it by DM already); the
 * caller hands it back to be retried. The thread post carries a fixed nonce, so a retry that follows a
 * post Discord made but did not confirm is not posted twice (within Discord's nonce window of a few
 * minutes).
 */
export async function postFollowUp(
  ctx: BotContext,
  guildId: string,
  pair: Pair,
): Promise<{ state: "thread" | "dm" | "pending" | "failed"; dmSent: string[] }> {
  const message = followUpMessage(pair, guildId);
  const threadId = pair.delivery.threadId;
  let threadTransient = false;
  if (threadId) {
    try {
      const channel = await ctx.client.channels.fetch(threadId);
      if (channel?.isThread()) {
        if (channel.archived) await channel.setArchived(false).catch(() => undefined);
        await channel.send({
          ...message,
          nonce: postNonce(guildId, `follow-up|${pair.id}`),
          enforceNonce: true,
        });
        return { state: "thread", dmSent: [] };
      }
    } catch (error) {
      threadTransient = isTransientError(error);
      ctx.logger.warn(
        { err: error, guild: guildId, pair: pair.id },
        "could not post the follow-up in the thread",
      );
    }
  }
  const before = pair.followUpDmSent ?? [];
  // Discord not answering is no reason to DM it instead: it may have made the post (then both members
  // would have it twice), and the retry's post, with the same nonce, is not a second copy. On the last try
  // (none comes after it, src/retry.ts) a DM is better than no follow-up at all.
  const lastTry = pair.followUpAttempts + 1 >= RETRY_TRIES_MAX;
  if (threadTransient && !lastTry) return { state: "pending", dmSent: before };
  const rest = [pair.backend.user, pair.frontend.user].filter((user) => !before.includes(user));
  const { sent, transient } = await sendDirect(ctx, guildId, rest, message, `follow-up-dm|${pair.id}`);
  const dmSent = [...before, ...sent];
  if (transient) return { state: "pending", dmSent };
  return { state: dmSent.length > 0 ? "dm" : "failed", dmSent };
}

/** Tells the round's leftovers, in the Nexus channel, that they stay queued (mentions capped; the rest are told lazily). */
export function announceLeftovers(
  ctx: BotContext,
  guild: Guild,
  leftovers: readonly string[],
  pairs: number,
  fallbackChannelId: string | null,
): Promise<number> {
  return announce(
    ctx,
    guild,
    leftoverAnnouncements(leftovers, pairs),
    fallbackChannelId,
    "the round's leftovers",
  );
}

/**
 * Tells the members whose request expired since the last pass, in the Nexus channel (mentions capped; each
 * still gets the notice on their next /pair). Returns the messages posted.
 */
export async function announceExpired(ctx: BotContext, guild: Guild): Promise<number> {
  const { users, expiryDays } = await takeExpiredUnannounced(ctx.store, ctx.clock, guild.id);
  return announce(ctx, guild, expiryAnnouncements(users, expiryDays), null, "expired requests");
}

async function announce(
  ctx: BotContext,
  guild: Guild,
  messages: readonly MessageCreateOptions[],
  fallbackChannelId: string | null,
  what: string,
): Promise<number> {
  if (messages.length === 0) return 0;
  const channel = await resolveChannel(ctx, guild, fallbackChannelId);
  if (channel === null) return 0;
  let posted = 0;
  for (const message of messages) {
    try {
      await channel.send(message);
      posted++;
    } catch (error) {
      ctx.logger.warn({ err: error, guild: guild.id }, `could not announce ${what}`);
      break;
    }
  }
  return posted;
}

/** Runs `fn` over `items` with at most `limit` at a time (REST calls are rate-limited anyway). */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

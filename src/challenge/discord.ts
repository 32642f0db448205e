import {
  type Client,
  DiscordAPIError,
  type Message,
  RESTJSONErrorCodes,
  type SendableChannels,
  SnowflakeUtil,
  ThreadAutoArchiveDuration,
} from "discord.js";
import { isRefusal } from "../discord/errors.js";
import type { BotContext } from "../discord/types.js";
import type { Logger } from "../log.js";
import {
  type ChallengeDeps,
  type ChallengeSender,
  createRunner,
  type Runner,
  SendRefusedError,
} from "./post.js";

/** How far before a claim `find` starts looking (clock skew between the bot and Discord). */
const FIND_SLACK_MS = 60_000;

/** The scheduler's sender over a discord.js client: the only challenge code that talks to Discord. */
export function discordSender(client: Client, logger?: Logger): ChallengeSender {
  async function channelOf(channelId: string): Promise<SendableChannels> {
    const channel = client.channels.cache.get(channelId) ?? (await client.channels.fetch(channelId));
    if (channel === null || !channel.isSendable()) {
      throw new SendRefusedError(`channel ${channelId} is not a channel Nexus can send to`);
    }
    return channel;
  }

  /** Opens the discussion thread on a post, or finds the one a previous attempt opened (same id as the message). */
  async function ensureThread(message: Message, name: string): Promise<string | null> {
    if (message.hasThread) return message.thread?.id ?? message.id;
    try {
      const thread = await message.startThread({
        name,
        autoArchiveDuration: ThreadAutoArchiveDuration.OneDay,
      });
      return thread.id;
    } catch (error) {
      if (
        error instanceof DiscordAPIError &&
        error.code === RESTJSONErrorCodes.ThreadAlreadyCreatedForMessage
      ) {
        return message.id;
      }
      logger?.warn({ err: error, message: message.id }, "could not open the challenge thread");
      return null;
    }
  }

  return {
    async send(_guildId, channelId, payload, nonce) {
      let message: Message;
      try {
        const channel = await channelOf(channelId);
        message = await channel.send({
          embeds: payload.embeds,
          nonce,
          enforceNonce: true,
          allowedMentions: { parse: [] },
        });
      } catch (error) {
        // A 4xx is Discord's answer that it created nothing; a timeout or a 5xx may hide a created message.
        if (isRefusal(error)) {
          throw new SendRefusedError(error.message, { cause: error });
        }
        throw error;
      }
      const threadId = payload.thread ? await ensureThread(message, payload.thread.name) : null;
      return { messageId: message.id, threadId };
    },

    async find(_guildId, channelId, query) {
      const channel = await channelOf(channelId);
      if (!("messages" in channel)) return null;
      const after = SnowflakeUtil.generate({
        timestamp: Math.max(0, query.since - FIND_SLACK_MS),
      }).toString();
      const messages = await channel.messages.fetch({ after, limit: 100, cache: false });
      const found = messages.find(
        (message) =>
          message.author.id === client.user?.id &&
          (message.nonce === query.nonce ||
            message.embeds.some((embed) => embed.footer?.text === query.marker)),
      );
      if (found === undefined) return null;
      const threadId = query.payload.thread ? await ensureThread(found, query.payload.thread.name) : null;
      return { messageId: found.id, threadId };
    },
  };
}

const runners = new WeakMap<BotContext, Runner>();

/** The scheduler run of this bot instance (created at first use, i.e. when the bot is ready). */
export function runnerFor(ctx: BotContext): Runner {
  let runner = runners.get(ctx);
  if (runner === undefined) {
    runner = createRunner(ctx.clock);
    runners.set(ctx, runner);
  }
  return runner;
}

export function challengeDeps(ctx: BotContext): ChallengeDeps {
  return { runner: runnerFor(ctx), sender: discordSender(ctx.client, ctx.logger), logger: ctx.logger };
}

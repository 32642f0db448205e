import type { SentMessage } from "../../src/challenge/post.js";
import { type ChallengeSender, type FindQuery, NONCE_WINDOW_MS } from "../../src/challenge/post.js";
import type { ChallengePayload } from "../../src/challenge/render.js";
import type { Clock } from "../../src/clock.js";

export type StoredMessage = {
  id: string;
  guildId: string;
  channelId: string;
  payload: ChallengePayload;
  nonce: string;
  at: number;
  threadId: string | null;
};

/** How the next `send` fails, to simulate a crash: before Discord got the request, or after it created the message. */
export type Failure = "before" | "after";

/**
 * An in-memory stand-in for Discord with the behaviour the scheduler relies on: a repeated nonce within
 * the window returns the first message instead of posting again, a post with `thread` gets a thread whose
 * id is the message id, and `find` looks for the bot's message by embed footer. For tests and benchmarks.
 */
export class MemorySender implements ChallengeSender {
  readonly messages: StoredMessage[] = [];
  /** Every call of `send`, including deduplicated and failed ones. */
  calls = 0;
  findCalls = 0;
  private nextId = 1_000_000_000_000_000n;
  private failures: Failure[] = [];
  /** Channels that reject every send (a deleted channel, missing permissions). */
  readonly brokenChannels = new Set<string>();
  /** How many of the next posts fail to get their thread (the message is still created). */
  threadFailures = 0;

  constructor(private readonly clock: Clock) {}

  failNext(...failures: Failure[]): void {
    this.failures.push(...failures);
  }

  async send(
    guildId: string,
    channelId: string,
    payload: ChallengePayload,
    nonce: string,
  ): Promise<SentMessage> {
    this.calls += 1;
    if (this.brokenChannels.has(channelId)) throw new Error(`Missing Access to ${channelId}`);
    const failure = this.failures.shift();
    if (failure === "before") throw new Error("connection reset before the request reached Discord");
    const now = this.clock.now();
    const duplicate = this.messages.find(
      (message) =>
        message.channelId === channelId && message.nonce === nonce && now - message.at <= NONCE_WINDOW_MS,
    );
    const message =
      duplicate ??
      (() => {
        this.nextId += 1n;
        const id = String(this.nextId);
        const created: StoredMessage = {
          id,
          guildId,
          channelId,
          payload,
          nonce,
          at: now,
          threadId: payload.thread && this.threadFailures <= 0 ? id : null,
        };
        if (payload.thread && this.threadFailures > 0) this.threadFailures -= 1;
        this.messages.push(created);
        return created;
      })();
    if (failure === "after") throw new Error("connection reset after Discord created the message");
    return { messageId: message.id, threadId: message.threadId };
  }

  async find(_guildId: string, channelId: string, query: FindQuery): Promise<SentMessage | null> {
    this.findCalls += 1;
    const found = this.messages.find(
      (message) =>
        message.channelId === channelId &&
        message.at >= query.since - 60_000 &&
        (message.nonce === query.nonce ||
          message.payload.embeds.some((embed) => embed.footer?.text === query.marker)),
    );
    if (found === undefined) return null;
    // Like the Discord sender: a found post without its thread gets one now.
    if (found.threadId === null && query.payload.thread !== undefined) {
      if (this.threadFailures > 0) this.threadFailures -= 1;
      else found.threadId = found.id;
    }
    return { messageId: found.id, threadId: found.threadId };
  }

  /** Messages in one channel (a thread is a channel whose id is its post's id). */
  in(channelId: string): StoredMessage[] {
    return this.messages.filter((message) => message.channelId === channelId);
  }

  /** Challenge posts (messages that opened a thread) of a guild. */
  posts(guildId: string): StoredMessage[] {
    return this.messages.filter(
      (message) => message.guildId === guildId && message.payload.thread !== undefined,
    );
  }
}

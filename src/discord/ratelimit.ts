import { DefaultRestOptions, type RESTOptions } from "@discordjs/rest";

/**
 * At most `limit` requests in any `windowMs`, FIFO. discord.js's own global limiter counts in fixed
 * one-second windows, which lets up to twice the limit through across a window boundary (e.g. 50 at the
 * end of one second and 50 at the start of the next); this one slides, so Discord's "50 requests per
 * second" holds for every second.
 */
export class SlidingWindowLimiter {
  private readonly sent: number[] = [];
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly limit = 50,
    readonly windowMs = 1000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  acquire(): Promise<void> {
    const turn = this.tail.then(() => this.waitForRoom());
    this.tail = turn;
    return turn;
  }

  private async waitForRoom(): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.sent.length > 0 && (this.sent[0] ?? 0) <= now - this.windowMs) this.sent.shift();
      if (this.sent.length < this.limit) {
        this.sent.push(now);
        return;
      }
      const wait = (this.sent[0] ?? now) + this.windowMs - now;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, wait)));
    }
  }
}

/** Discord's global limit: requests per second per bot token, however many processes share it. */
export const GLOBAL_REQUESTS_PER_SECOND = 50;

/**
 * The sliding window of this process's limiter: at most `limit` requests per `windowMs`. One process
 * gets 50 per 1.1 s (the 100 ms margin absorbs the jitter between releasing a request and its arrival).
 * Run as several processes (src/config.ts shards), each running `ids.length` of `count` shards gets that
 * share of the 50, so together they stay within it: fewer per window, or, below one a second, a longer
 * window.
 */
export function globalWindow(shards: { ids: readonly number[]; count: number } | undefined): {
  limit: number;
  windowMs: number;
} {
  const perSecond =
    shards === undefined
      ? GLOBAL_REQUESTS_PER_SECOND
      : (GLOBAL_REQUESTS_PER_SECOND * shards.ids.length) / shards.count;
  const limit = Math.max(1, Math.floor(perSecond));
  return { limit, windowMs: Math.ceil((1100 * limit) / perSecond) };
}

/** Interaction callbacks are exempt from the global limit (Discord's documentation). */
export function isInteractionCallback(url: string): boolean {
  return /\/interactions\/\d+\/[^/]+\/callback(?:\?|$)/.test(url);
}

/** The REST transport with the sliding global limit in front of every request but interaction callbacks. */
export function limitedMakeRequest(
  limiter: SlidingWindowLimiter,
  inner: RESTOptions["makeRequest"] = DefaultRestOptions.makeRequest,
): RESTOptions["makeRequest"] {
  return async (url, init) => {
    if (!isInteractionCallback(url)) await limiter.acquire();
    return inner(url, init);
  };
}

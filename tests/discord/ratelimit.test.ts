import { describe, expect, it } from "vitest";
import {
  globalWindow,
  isInteractionCallback,
  limitedMakeRequest,
  SlidingWindowLimiter,
} from "../../src/discord/ratelimit.js";

describe("sliding-window REST limiter", () => {
  it("GIVEN 20 requests against 5 per 100 ms THEN no 100 ms window ever holds more than 5", async () => {
    const limiter = new SlidingWindowLimiter(5, 100);
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        await limiter.acquire();
        times.push(performance.now());
      }),
    );
    times.sort((a, b) => a - b);
    for (const [i, start] of times.entries()) {
      // Timers may fire up to 1 ms early relative to performance.now(); allow that much.
      expect(
        times.filter((t) => t >= start && t < start + 99).length,
        `window starting at #${i}`,
      ).toBeLessThanOrEqual(5);
    }
    expect(times).toHaveLength(20);
  });

  it("GIVEN an interaction callback THEN it bypasses the limiter; anything else waits its turn", async () => {
    expect(
      isInteractionCallback("http://x/api/v10/interactions/123/tok-en_1/callback?with_response=true"),
    ).toBe(true);
    expect(isInteractionCallback("http://x/api/v10/webhooks/1/tok/messages/@original")).toBe(false);
    const limiter = new SlidingWindowLimiter(1, 200);
    const calls: string[] = [];
    const request = limitedMakeRequest(limiter, async (url) => {
      calls.push(url);
      return new Response(null, { status: 204 });
    });
    await request("http://x/api/v10/channels/1/messages", {});
    const blocked = request("http://x/api/v10/channels/1/messages", {});
    await request("http://x/api/v10/interactions/9/t/callback", {});
    expect(calls).toEqual([
      "http://x/api/v10/channels/1/messages",
      "http://x/api/v10/interactions/9/t/callback",
    ]);
    void blocked;
  });
});

describe("the global limit's share of a process", () => {
  const perSecond = ({ limit, windowMs }: { limit: number; windowMs: number }) => (limit * 1000) / windowMs;

  it("GIVEN one process THEN it gets 50 per 1.1 s; GIVEN shards THEN the processes' shares add up to at most 50 a second", () => {
    expect(globalWindow(undefined)).toEqual({ limit: 50, windowMs: 1100 });
    expect(globalWindow({ ids: [0], count: 1 })).toEqual({ limit: 50, windowMs: 1100 });
    expect(globalWindow({ ids: [1], count: 2 })).toEqual({ limit: 25, windowMs: 1100 });
    for (const count of [2, 3, 7, 16, 64, 100, 500]) {
      // One process per shard, and processes of four shards each.
      for (const size of [1, 4]) {
        const processes = Array.from({ length: Math.ceil(count / size) }, (_, p) =>
          Array.from({ length: Math.min(size, count - p * size) }, (_, i) => p * size + i),
        );
        const windows = processes.map((ids) => globalWindow({ ids, count }));
        expect(windows.reduce((sum, window) => sum + perSecond(window), 0)).toBeLessThanOrEqual(50);
        for (const window of windows) expect(window.limit).toBeGreaterThanOrEqual(1);
      }
    }
  });
});

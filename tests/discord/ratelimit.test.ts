import { describe, expect, it } from "vitest";
import {
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

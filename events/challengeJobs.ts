import { Events } from "discord.js";
import { challengeDeps } from "../src/challenge/discord.js";
import { runDuePosts } from "../src/challenge/post.js";
import { defineEvent } from "../src/discord/types.js";

/** Every 30 s (and at once on start): post due challenges, recover interrupted posts, release hints, reveal answers. */
export const CHALLENGE_TICK_MS = 30_000;

export default defineEvent({
  name: Events.ClientReady,
  once: true,
  execute(ctx, client) {
    const deps = challengeDeps(ctx);
    ctx.jobs.every(
      "challenge",
      CHALLENGE_TICK_MS,
      async (signal) => {
        const events = await runDuePosts(ctx.store, ctx.clock, deps, [...client.guilds.cache.keys()], {
          signal,
        });
        for (const event of events) {
          if (event.kind === "failed") ctx.logger.warn({ ...event }, "challenge step failed");
          else ctx.logger.info({ ...event }, "challenge step done");
        }
      },
      { runNow: true },
    );
  },
});

import { Events } from "discord.js";
import { retryWelcome } from "../src/discord/adopt.js";
import { defineEvent } from "../src/discord/types.js";

export const WELCOME_JOB = "welcome";
export const WELCOME_EVERY_MS = 10 * 60_000;

/**
 * Every 10 minutes: a welcome Discord did not confirm (an outage) is looked for, then posted; one refused
 * because the bot could not post in the Nexus channel is posted once it can (src/discord/adopt.ts).
 */
export default defineEvent({
  name: Events.ClientReady,
  once: true,
  execute(ctx, client) {
    ctx.jobs.every(
      WELCOME_JOB,
      WELCOME_EVERY_MS,
      async (signal) => {
        for (const guild of client.guilds.cache.values()) {
          if (signal.aborted) return;
          try {
            if (await retryWelcome(ctx, guild)) ctx.logger.info({ guild: guild.id }, "posted the welcome");
          } catch (error) {
            ctx.logger.error({ err: error, guild: guild.id }, "welcome retry failed");
          }
        }
      },
      { runNow: false },
    );
  },
});

import { Events } from "discord.js";
import { defineEvent } from "../src/discord/types.js";
import { nudgeGuild, settleAbandoned } from "../src/questions/discord.js";

export const NUDGE_JOB = "questions:nudge";
export const NUDGE_EVERY_MS = 15 * 60 * 1000;
export const OUTBOX_JOB = "questions:outbox";
export const OUTBOX_EVERY_MS = 60 * 1000;

/**
 * Every 15 minutes: one nudge in the thread of each question unanswered for 48 h. Every minute: questions
 * and answers stored but never posted because the process died in between (the outbox, src/questions/).
 */
export default defineEvent({
  name: Events.ClientReady,
  once: true,
  execute(ctx, client) {
    ctx.jobs.every(NUDGE_JOB, NUDGE_EVERY_MS, async (signal) => {
      for (const guildId of client.guilds.cache.keys()) {
        if (signal.aborted) return;
        try {
          const sent = await nudgeGuild(ctx, guildId);
          if (sent > 0) ctx.logger.info({ guild: guildId, sent }, "nudged unanswered questions");
        } catch (error) {
          ctx.logger.error({ err: error, guild: guildId }, "nudge pass failed");
        }
      }
    });
    ctx.jobs.every(OUTBOX_JOB, OUTBOX_EVERY_MS, async (signal) => {
      for (const guildId of client.guilds.cache.keys()) {
        if (signal.aborted) return;
        try {
          const shown = await settleAbandoned(ctx, guildId);
          if (shown > 0)
            ctx.logger.info({ guild: guildId, shown }, "settled questions and answers left unposted");
        } catch (error) {
          ctx.logger.error({ err: error, guild: guildId }, "Q&A outbox pass failed");
        }
      }
    });
  },
});

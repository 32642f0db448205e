import { Events } from "discord.js";
import type { BotContext } from "../src/discord/types.js";
import { defineEvent } from "../src/discord/types.js";
import { announceExpired, deliverPair, membershipCheck, postFollowUp } from "../src/pairing/deliver.js";
import {
  claimDueFollowUps,
  expireRequests,
  pendingDeliveries,
  releaseFollowUp,
  resumePaused,
} from "../src/pairing/pairing.js";

export const PAIRING_JOB = "pairing";
export const PAIRING_EVERY_MS = 60_000;
/** A pair not introduced this long after the match is (re)introduced by the job. */
export const REDELIVER_AFTER_MS = 2 * 60_000;

/**
 * One pass over a guild: expiry, pauses that ended (and waiting former partners the recency window lets
 * pair now), 48 h follow-ups, introductions that never happened, and the channel post naming whoever's
 * request expired since the last pass (here or in a command).
 */
export async function pairingPass(ctx: BotContext, guildId: string): Promise<void> {
  const { store, clock } = ctx;
  const guild = ctx.client.guilds.cache.get(guildId);
  const expired = await expireRequests(store, clock, guildId);
  const resumed = await resumePaused(store, clock, guildId, guild ? membershipCheck(guild) : undefined);
  for (const pair of resumed) await deliverPair(ctx, guildId, pair);
  const due = await claimDueFollowUps(store, clock, guildId);
  for (const pair of due) {
    const posted = await postFollowUp(ctx, guildId, pair);
    if (posted.state !== "pending") continue;
    if (!(await releaseFollowUp(store, clock, guildId, pair.id, posted.dmSent))) {
      ctx.logger.warn({ guild: guildId, pair: pair.id }, "follow-up given up after Discord did not answer");
    }
  }
  const retry = await pendingDeliveries(store, clock, guildId, REDELIVER_AFTER_MS);
  for (const pairId of retry) await deliverPair(ctx, guildId, pairId);
  // Last: a post that cannot be made never holds up the pairs' own messages.
  const announced = guild === undefined ? 0 : await announceExpired(ctx, guild);
  if (expired + resumed.length + due.length + retry.length + announced > 0) {
    ctx.logger.info(
      {
        guild: guildId,
        expired,
        resumed: resumed.length,
        followUps: due.length,
        redelivered: retry.length,
        expiryPosts: announced,
      },
      "pairing pass",
    );
  }
}

/** Every minute: request expiry (announced), pauses that ended, the 48 h "did you meet?" follow-ups, stuck introductions. */
export default defineEvent({
  name: Events.ClientReady,
  once: true,
  execute(ctx, client) {
    ctx.jobs.every(PAIRING_JOB, PAIRING_EVERY_MS, async (signal) => {
      for (const guildId of client.guilds.cache.keys()) {
        if (signal.aborted) return;
        try {
          await pairingPass(ctx, guildId);
        } catch (error) {
          ctx.logger.error({ err: error, guild: guildId }, "pairing pass failed");
        }
      }
    });
  },
});

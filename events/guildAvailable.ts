import { Events } from "discord.js";
import { adoptAndWelcome } from "../src/discord/adopt.js";
import { defineEvent } from "../src/discord/types.js";

/**
 * A guild back from an outage after start (at start, the ready handler covers every guild): adopt its
 * Nexus channel if none is set, and welcome once.
 */
export default defineEvent({
  name: Events.GuildAvailable,
  afterReady: true,
  async execute(ctx, guild) {
    await adoptAndWelcome(ctx, guild);
  },
});

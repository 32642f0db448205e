import { Events } from "discord.js";
import { adoptAndWelcome } from "../src/discord/adopt.js";
import { defineEvent } from "../src/discord/types.js";

/** Joining a new guild (after start): adopt its Nexus channel and welcome once. */
export default defineEvent({
  name: Events.GuildCreate,
  afterReady: true,
  async execute(ctx, guild) {
    ctx.logger.info({ guild: guild.id }, "joined a guild");
    await adoptAndWelcome(ctx, guild);
  },
});

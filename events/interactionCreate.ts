import { Events } from "discord.js";
import { handleInteraction, replyRestarting } from "../src/discord/interactions.js";
import { defineEvent } from "../src/discord/types.js";

export default defineEvent({
  name: Events.InteractionCreate,
  async execute(ctx, interaction) {
    if (!ctx.inflight.accepting) {
      await replyRestarting(interaction);
      return;
    }
    await ctx.inflight.track(handleInteraction(interaction, ctx, ctx.commands));
  },
});

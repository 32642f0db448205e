import { Events, MessageFlags } from "discord.js";
import { handleInteraction } from "../src/discord/interactions.js";
import { defineEvent } from "../src/discord/types.js";

export default defineEvent({
  name: Events.InteractionCreate,
  async execute(ctx, interaction) {
    if (!ctx.inflight.accepting) {
      // Commands and buttons alike (a pair's "did you meet?"); autocomplete cannot be told, and is left.
      if (interaction.isRepliable()) {
        await interaction
          .reply({
            content: "Nexus is restarting; try again in a few seconds.",
            flags: MessageFlags.Ephemeral,
          })
          .catch(() => undefined);
      }
      return;
    }
    await ctx.inflight.track(handleInteraction(interaction, ctx, ctx.commands));
  },
});

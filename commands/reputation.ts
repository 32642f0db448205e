import { InteractionContextType, MessageFlags, SlashCommandBuilder } from "discord.js";
import { requireGuild } from "../src/discord/interactions.js";
import type { Command } from "../src/discord/types.js";
import { reputationEmbed } from "../src/questions/embeds.js";
import { memberReputation } from "../src/questions/reputation.js";

const data = new SlashCommandBuilder()
  .setName("reputation")
  .setDescription("Reputation points from accepted answers")
  .setContexts(InteractionContextType.Guild)
  .addUserOption((option) => option.setName("member").setDescription("Whose reputation (default: yours)"));

export default {
  data,
  async execute(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const member = interaction.options.getUser("member") ?? interaction.user;
    const rep = await memberReputation(ctx.store, guildId, member.id);
    await interaction.reply({ embeds: [reputationEmbed(member.id, rep)], flags: MessageFlags.Ephemeral });
  },
} satisfies Command;

import {
  type AutocompleteInteraction,
  InteractionContextType,
  MessageFlags,
  SlashCommandBuilder,
} from "discord.js";
import { rankChoices } from "../src/discord/autocomplete.js";
import { requireGuild } from "../src/discord/interactions.js";
import type { Command } from "../src/discord/types.js";
import { askAndPost } from "../src/questions/discord.js";
import { DETAILS_MAX, TITLE_MAX, TITLE_MIN } from "../src/questions/schema.js";
import { TOPICS } from "../src/topics.js";

const data = new SlashCommandBuilder()
  .setName("ask")
  .setDescription("Ask the community a question: it gets its own thread in the Nexus channel")
  .setContexts(InteractionContextType.Guild)
  .addStringOption((option) =>
    option
      .setName("title")
      .setDescription(`Your question in one line (${TITLE_MIN}–${TITLE_MAX} characters)`)
      .setRequired(true)
      .setMinLength(TITLE_MIN)
      .setMaxLength(TITLE_MAX),
  )
  .addStringOption((option) =>
    option
      .setName("details")
      .setDescription("What you tried, error messages, code (up to 2,000 characters)")
      .setMaxLength(DETAILS_MAX),
  )
  .addStringOption((option) =>
    option
      .setName("topic")
      .setDescription("The program topic it is about")
      .setAutocomplete(true)
      .setMaxLength(100),
  );

export default {
  data,
  async execute(interaction, ctx) {
    const guildId = requireGuild(interaction);
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const { question, link, notes } = await askAndPost(ctx, guildId, {
      authorId: interaction.user.id,
      title: interaction.options.getString("title", true),
      details: interaction.options.getString("details"),
      topic: interaction.options.getString("topic"),
    });
    const where = link ? `: ${link}` : "";
    await interaction.editReply({
      content: [
        `Your question is **Q${question.number}**${where}`,
        `People answer it with \`/answer question:${question.number}\`; accept the one that helps with \`/accept\`.`,
        ...notes,
      ].join("\n"),
    });
  },
  async autocomplete(interaction: AutocompleteInteraction) {
    const focused = interaction.options.getFocused(true);
    await interaction.respond(focused.name === "topic" ? rankChoices(TOPICS, String(focused.value)) : []);
  },
} satisfies Command;

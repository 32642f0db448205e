import {
  type ChatInputCommandInteraction,
  InteractionContextType,
  MessageFlags,
  SlashCommandBuilder,
  type SlashCommandSubcommandBuilder,
} from "discord.js";
import { UserError } from "../src/discord/errors.js";
import { requireGuild } from "../src/discord/interactions.js";
import { topicAutocomplete } from "../src/discord/subcommands.js";
import { sanitize, truncate } from "../src/discord/text.js";
import type { BotContext, Command } from "../src/discord/types.js";
import { type ListQuery, listQuestions } from "../src/questions/catalog.js";
import { listEmbed } from "../src/questions/embeds.js";
import { parseTopic } from "../src/topics.js";

const withPage = (sub: SlashCommandSubcommandBuilder) =>
  sub.addIntegerOption((option) =>
    option
      .setName("page")
      .setDescription("Page number (10 questions a page)")
      .setMinValue(1)
      .setMaxValue(10_000),
  );

const data = new SlashCommandBuilder()
  .setName("questions")
  .setDescription("Browse the community's questions")
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((sub) =>
    withPage(
      sub
        .setName("open")
        .setDescription("Open questions, newest first")
        .addStringOption((option) =>
          option.setName("topic").setDescription("Only this topic").setAutocomplete(true).setMaxLength(100),
        ),
    ),
  )
  .addSubcommand((sub) =>
    withPage(
      sub
        .setName("search")
        .setDescription("Search all questions, best match first")
        .addStringOption((option) =>
          option.setName("query").setDescription("Words to look for").setRequired(true).setMaxLength(200),
        ),
    ),
  )
  .addSubcommand((sub) => withPage(sub.setName("mine").setDescription("The questions you asked")));

type Handler = (
  interaction: ChatInputCommandInteraction,
  ctx: BotContext,
) => { query: ListQuery; heading: string; empty: string };

const handlers: Record<string, Handler> = {
  open(interaction) {
    const typed = interaction.options.getString("topic");
    const topic = typed ? parseTopic(typed) : null;
    return {
      query: { kind: "open", topic },
      heading: topic ? `Open questions · ${topic}` : "Open questions",
      empty: topic
        ? `No open questions about ${topic}. Ask one with /ask!`
        : "No open questions. Ask one with /ask!",
    };
  },
  search(interaction) {
    const text = interaction.options.getString("query", true);
    return {
      query: { kind: "search", query: text },
      heading: `Questions matching “${truncate(sanitize(text, { oneLine: true }), 100)}”`,
      empty: "No question matches. Try other words, or ask it with /ask.",
    };
  },
  mine(interaction) {
    return {
      query: { kind: "mine", userId: interaction.user.id },
      heading: "Your questions",
      empty: "You have not asked anything yet. Ask with /ask!",
    };
  },
};

export default {
  data,
  async execute(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const handler = handlers[interaction.options.getSubcommand()];
    if (handler === undefined) throw new UserError("Unknown subcommand.");
    const { query, heading, empty } = handler(interaction, ctx);
    const page = await listQuestions(ctx.store, guildId, query, interaction.options.getInteger("page") ?? 1);
    await interaction.reply({
      embeds: [listEmbed(guildId, heading, page, empty)],
      flags: MessageFlags.Ephemeral,
    });
  },
  autocomplete: topicAutocomplete,
} satisfies Command;

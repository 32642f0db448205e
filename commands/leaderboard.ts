import {
  type ChatInputCommandInteraction,
  InteractionContextType,
  SlashCommandBuilder,
  type SlashCommandSubcommandBuilder,
} from "discord.js";
import { challengeLeaderboard, formatChallengeLeaderboard } from "../src/challenge/leaderboard.js";
import { UserError } from "../src/discord/errors.js";
import { requireGuild } from "../src/discord/interactions.js";
import type { BotContext, Command } from "../src/discord/types.js";
import { leaderboardEmbed } from "../src/questions/embeds.js";
import { Period, reputationBoard } from "../src/questions/reputation.js";

/**
 * `/leaderboard <board> period:<week|month|all>`. One subcommand per board, each a builder plus a
 * handler in the tables below: the daily challenge adds `challenges` the same way.
 */

const withPeriod = (sub: SlashCommandSubcommandBuilder) =>
  sub.addStringOption((option) =>
    option
      .setName("period")
      .setDescription("Which period")
      .setRequired(true)
      .addChoices(
        { name: "this week (last 7 days)", value: "week" },
        { name: "this month (last 30 days)", value: "month" },
        { name: "all time", value: "all" },
      ),
  );

type Handler = (interaction: ChatInputCommandInteraction, ctx: BotContext) => Promise<unknown>;

type Board = {
  describe: (sub: SlashCommandSubcommandBuilder) => SlashCommandSubcommandBuilder;
  run: Handler;
};

function parsePeriod(interaction: ChatInputCommandInteraction): Period {
  const parsed = Period.safeParse(interaction.options.getString("period", true));
  if (!parsed.success) throw new UserError("`period` is one of `week`, `month` or `all`.");
  return parsed.data;
}

const boards: Record<string, Board> = {
  reputation: {
    describe: (sub) =>
      withPeriod(sub.setName("reputation").setDescription("Most reputation from accepted answers")),
    async run(interaction, ctx) {
      const guildId = requireGuild(interaction);
      const board = await reputationBoard(ctx.store, ctx.clock, guildId, parsePeriod(interaction), {
        limit: 10,
        userId: interaction.user.id,
      });
      await interaction.reply({ embeds: [leaderboardEmbed(board)] });
    },
  },
  challenges: {
    describe: (sub) =>
      withPeriod(sub.setName("challenges").setDescription("Most points from daily challenge submissions")),
    async run(interaction, ctx) {
      const guildId = requireGuild(interaction);
      const period = parsePeriod(interaction);
      const rows = await challengeLeaderboard(ctx.store, ctx.clock, guildId, period);
      await interaction.reply({ embeds: [formatChallengeLeaderboard(rows, period)] });
    },
  },
};

const data = new SlashCommandBuilder()
  .setName("leaderboard")
  .setDescription("Weekly, monthly and all-time boards: reputation and challenge points")
  .setContexts(InteractionContextType.Guild);
for (const board of Object.values(boards)) data.addSubcommand((sub) => board.describe(sub));

export default {
  data,
  async execute(interaction, ctx) {
    const board = boards[interaction.options.getSubcommand()];
    if (board === undefined) throw new UserError("Unknown leaderboard.");
    await board.run(interaction, ctx);
  },
} satisfies Command;

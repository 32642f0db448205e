import {
  type ChatInputCommandInteraction,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from "discord.js";
import { replyThen, requireGuild } from "../src/discord/interactions.js";
import type { Command } from "../src/discord/types.js";
import { answerChoices } from "../src/questions/choices.js";
import { showAccepted } from "../src/questions/discord.js";
import { acceptAnswer, creditKept } from "../src/questions/questions.js";
import { answerId, messageLink } from "../src/questions/schema.js";

const data = new SlashCommandBuilder()
  .setName("accept")
  .setDescription("Accept the answer that solved your question (the asker, or Manage Threads)")
  .setContexts(InteractionContextType.Guild)
  .addStringOption((option) =>
    option
      .setName("answer")
      .setDescription("Answer id: question-answer, e.g. 12-3 is answer 3 to Q12")
      .setRequired(true)
      .setMaxLength(24)
      .setAutocomplete(true),
  );

/**
 * Manage Threads in `channelId` (the question's channel), its overwrites included. Not `memberPermissions`:
 * those hold where /accept was typed, and a moderator of one channel is none of the Nexus channel.
 */
function managesThreadsIn(interaction: ChatInputCommandInteraction, channelId: string | null): boolean {
  if (channelId === null || !interaction.inCachedGuild()) return false;
  const channel = interaction.guild.channels.cache.get(channelId);
  return channel?.permissionsFor(interaction.member).has(PermissionFlagsBits.ManageThreads) ?? false;
}

export default {
  data,
  async execute(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const result = await acceptAnswer(ctx.store, ctx.clock, guildId, {
      answerId: interaction.options.getString("answer", true),
      by: interaction.user.id,
      canManageThreads: (channelId) => managesThreadsIn(interaction, channelId),
    });
    const { question, answer } = result;
    const id = answerId(question.number, answer.number);
    const link = messageLink(guildId, answer.channelId, answer.messageId);
    const shown = link ? `[${id}](${link})` : `**${id}**`;
    let content: string;
    if (!result.changed) {
      content = `Answer ${shown} was already the accepted answer of Q${question.number}; I am refreshing the question's solved mark.`;
    } else {
      const { previous } = result;
      // Points moved only if the replaced answer had earned some (an asker's own answer earns none).
      const hadPoints = previous !== null && previous.authorId !== question.authorId;
      const kept = creditKept(result);
      // A moderator accepting for the asker did not answer their own question: the asker did.
      const credit = kept
        ? `<@${result.creditedTo}> keeps the 10 reputation of their earlier answer.`
        : result.creditedTo
          ? `<@${result.creditedTo}> earns 10 reputation.`
          : question.authorId === interaction.user.id
            ? "No reputation for answering your own question."
            : `No reputation: <@${question.authorId}> answered their own question.`;
      const moved =
        previous === null
          ? ""
          : ` It replaces answer ${answerId(question.number, previous.number)}` +
            (!hadPoints || kept
              ? "."
              : result.creditedTo
                ? ", and the points moved with it."
                : ", whose points are taken back.");
      content = `Answer ${shown} is accepted: Q${question.number} is solved. ${credit}${moved}`;
    }
    // The state is stored: acknowledge now, then update the question's message and thread.
    const notes = await replyThen(interaction, { content, flags: MessageFlags.Ephemeral }, () =>
      showAccepted(ctx, guildId, result),
    );
    if (notes.length > 0) {
      await interaction.followUp({ content: notes.join("\n"), flags: MessageFlags.Ephemeral });
    }
  },
  async autocomplete(interaction, ctx) {
    const focused = interaction.options.getFocused(true);
    if (focused.name !== "answer" || interaction.guildId === null) {
      await interaction.respond([]);
      return;
    }
    const choices = await answerChoices(
      ctx.store,
      interaction.guildId,
      interaction.user.id,
      String(focused.value),
    );
    await interaction.respond(choices.map((choice) => ({ name: choice.label, value: choice.value })));
  },
} satisfies Command;

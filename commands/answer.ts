import { InteractionContextType, MessageFlags, SlashCommandBuilder } from "discord.js";
import { replyThen, requireGuild } from "../src/discord/interactions.js";
import type { Command } from "../src/discord/types.js";
import { openQuestionChoices } from "../src/questions/choices.js";
import { deliverAnswer } from "../src/questions/discord.js";
import { addAnswer, awaitsItsPost } from "../src/questions/questions.js";
import { ANSWER_MAX, answerId, messageLink } from "../src/questions/schema.js";

const data = new SlashCommandBuilder()
  .setName("answer")
  .setDescription("Answer an open question: your answer is posted, numbered, in its thread")
  .setContexts(InteractionContextType.Guild)
  .addIntegerOption((option) =>
    option
      .setName("question")
      .setDescription("The question number (Q12 → 12): type words or a number to search open questions")
      .setRequired(true)
      .setMinValue(1)
      .setAutocomplete(true),
  )
  .addStringOption((option) =>
    option
      .setName("text")
      .setDescription("Your answer (up to 2,000 characters)")
      .setRequired(true)
      .setMaxLength(ANSWER_MAX),
  );

export default {
  data,
  async execute(interaction, ctx) {
    const guildId = requireGuild(interaction);
    // Stored first (durable), acknowledged at once with its id, then posted.
    const { question, answer } = await addAnswer(ctx.store, ctx.clock, guildId, {
      questionNumber: interaction.options.getInteger("question", true),
      authorId: interaction.user.id,
      text: interaction.options.getString("text", true),
    });
    const id = answerId(question.number, answer.number);
    const where =
      question.threadId !== null && !question.threadGone
        ? `in <#${question.threadId}>`
        : `in the channel under Q${question.number}`;
    const content = awaitsItsPost(question)
      ? `Your answer **${id}** to Q${question.number} is saved; I will post it once Q${question.number} itself is on Discord.`
      : `Your answer **${id}** to Q${question.number} is saved and posted ${where}.`;
    const delivery = await replyThen(interaction, { content, flags: MessageFlags.Ephemeral }, () =>
      deliverAnswer(ctx, guildId, question, answer),
    );
    const link = messageLink(guildId, delivery.channelId, delivery.messageId);
    if (delivery.placement === "channel" && where.startsWith("in <#")) {
      await interaction.followUp({
        content: `Your answer **${id}** went in the channel under Q${question.number} instead, because ${delivery.reason}${link ? `: ${link}` : "."}`,
        flags: MessageFlags.Ephemeral,
      });
    } else if (delivery.questionDeleted) {
      await interaction.followUp({
        content: `Your answer **${id}** is saved, but not posted: Q${question.number} was deleted, so it takes no answers.`,
        flags: MessageFlags.Ephemeral,
      });
    } else if (delivery.placement === "pending" && !awaitsItsPost(question)) {
      await interaction.followUp({
        content: `Discord did not take your answer **${id}** just now; I will post it in a few minutes (it is saved).`,
        flags: MessageFlags.Ephemeral,
      });
    } else if (delivery.placement === "failed") {
      await interaction.followUp({
        content: `Your answer **${id}** is saved, but I could not post it: ${delivery.reason}. The asker can still accept it with \`/accept answer:${id}\`.`,
        flags: MessageFlags.Ephemeral,
      });
    }
  },
  async autocomplete(interaction, ctx) {
    const focused = interaction.options.getFocused(true);
    if (focused.name !== "question" || interaction.guildId === null) {
      await interaction.respond([]);
      return;
    }
    const choices = await openQuestionChoices(ctx.store, interaction.guildId, String(focused.value));
    await interaction.respond(choices.map((choice) => ({ name: choice.label, value: choice.value })));
  },
} satisfies Command;

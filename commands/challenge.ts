import {
  type ChatInputCommandInteraction,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from "discord.js";
import { CHALLENGE_LIMITS, CHALLENGE_MIN_LENGTHS, DIFFICULTIES, TRACKS } from "../src/challenge/bank.js";
import { challengeDeps } from "../src/challenge/discord.js";
import {
  addCustomChallenge,
  MAX_ANSWER,
  memberStreak,
  submitAnswer,
  takeHint,
  todayView,
  updateChallengeSettings,
} from "../src/challenge/learners.js";
import { postToday, skipToday } from "../src/challenge/post.js";
import { memberViewEmbed } from "../src/challenge/render.js";
import { requireGuild, requirePermission } from "../src/discord/interactions.js";
import { bySubcommand, topicAutocomplete } from "../src/discord/subcommands.js";
import { inlineText } from "../src/discord/text.js";
import type { BotContext, Command } from "../src/discord/types.js";

// The learner subcommands are for everyone, so the command has no default member permission; the admin
// subcommands (add, post, skip, settings) check Manage Server at run time.
const data = new SlashCommandBuilder()
  .setName("challenge")
  .setDescription("The daily backend challenge: view, hints, submit, streaks")
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((sub) => sub.setName("today").setDescription("Show the current challenge (only to you)"))
  .addSubcommand((sub) =>
    sub
      .setName("hint")
      .setDescription("Show the hints released so far; early:true unlocks the next one now for fewer points")
      .addBooleanOption((option) =>
        option.setName("early").setDescription("Unlock the next hint now (costs a quarter of the points)"),
      ),
  )
  .addSubcommand((sub) =>
    sub
      .setName("submit")
      .setDescription("Submit (or replace) your answer; hidden from others until the reveal")
      .addStringOption((option) =>
        option
          .setName("answer")
          .setDescription("Your answer (up to 2,000 characters)")
          .setRequired(true)
          .setMaxLength(MAX_ANSWER),
      ),
  )
  .addSubcommand((sub) =>
    sub
      .setName("streak")
      .setDescription("Challenge streak and points of a member (default: you)")
      .addUserOption((option) => option.setName("member").setDescription("Whose streak")),
  )
  .addSubcommand((sub) =>
    sub.setName("post").setDescription("Post today's challenge now if it is not posted yet (Manage Server)"),
  )
  .addSubcommand((sub) =>
    sub.setName("skip").setDescription("Replace today's challenge with the next one (Manage Server)"),
  )
  .addSubcommand((sub) =>
    sub
      .setName("add")
      .setDescription("Queue a custom challenge ahead of the bank (Manage Server)")
      .addStringOption((option) =>
        option
          .setName("title")
          .setDescription("Short title")
          .setRequired(true)
          .setMinLength(CHALLENGE_MIN_LENGTHS.title)
          .setMaxLength(CHALLENGE_LIMITS.title),
      )
      .addStringOption((option) =>
        option
          .setName("topic")
          .setDescription("One of the program's topics")
          .setRequired(true)
          .setAutocomplete(true)
          .setMaxLength(100),
      )
      .addStringOption((option) =>
        option
          .setName("difficulty")
          .setDescription("easy, medium or hard")
          .setRequired(true)
          .addChoices(DIFFICULTIES.map((value) => ({ name: value, value }))),
      )
      .addStringOption((option) =>
        option
          .setName("track")
          .setDescription("backend, frontend or pair")
          .setRequired(true)
          .addChoices(TRACKS.map((value) => ({ name: value, value }))),
      )
      .addStringOption((option) =>
        option
          .setName("prompt")
          .setDescription("The challenge itself")
          .setRequired(true)
          .setMinLength(CHALLENGE_MIN_LENGTHS.prompt)
          .setMaxLength(CHALLENGE_LIMITS.prompt),
      )
      .addStringOption((option) =>
        option
          .setName("hint1")
          .setDescription("First hint (released in the thread after the hint delay)")
          .setRequired(true)
          .setMinLength(CHALLENGE_MIN_LENGTHS.hint)
          .setMaxLength(CHALLENGE_LIMITS.hint),
      )
      .addStringOption((option) =>
        option
          .setName("answer")
          .setDescription("Model answer, revealed when the next challenge is posted")
          .setRequired(true)
          .setMinLength(CHALLENGE_MIN_LENGTHS.answer)
          .setMaxLength(CHALLENGE_LIMITS.answer),
      )
      .addStringOption((option) =>
        option
          .setName("hint2")
          .setDescription("Second hint")
          .setMinLength(CHALLENGE_MIN_LENGTHS.hint)
          .setMaxLength(CHALLENGE_LIMITS.hint),
      )
      .addStringOption((option) =>
        option
          .setName("hint3")
          .setDescription("Third hint")
          .setMinLength(CHALLENGE_MIN_LENGTHS.hint)
          .setMaxLength(CHALLENGE_LIMITS.hint),
      ),
  )
  .addSubcommand((sub) =>
    sub
      .setName("settings")
      .setDescription("Challenge settings (Manage Server)")
      .addIntegerOption((option) =>
        option
          .setName("hint_delay_hours")
          .setDescription("Hours after the post when the first hint is released (default 6)")
          .setRequired(true)
          .setMinValue(0)
          .setMaxValue(23),
      ),
  );

type Handler = (interaction: ChatInputCommandInteraction, ctx: BotContext) => Promise<unknown>;

const ephemeral = MessageFlags.Ephemeral;

/**
 * A challenge title inside bold in a reply, its Markdown escaped: an odd `**` (`**kwargs`) would end the
 * bold early, and a lone backtick pair with the one around the id after it. Room for every escape.
 */
const shownTitle = (title: string) => inlineText(title, 2 * CHALLENGE_LIMITS.title);

function requireManager(interaction: ChatInputCommandInteraction): void {
  requirePermission(interaction, PermissionFlagsBits.ManageGuild, "Manage Server");
}

const handlers: Record<string, Handler> = {
  async today(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const view = await todayView(ctx.store, ctx.clock, guildId, interaction.user.id);
    if (view.day === null) {
      const when =
        view.nextPostAt === null
          ? "once an admin has run `/nexus setup`"
          : `<t:${Math.floor(view.nextPostAt / 1000)}:F>`;
      const retrying =
        "Discord has not taken it yet and Nexus retries on its own: try again in a few minutes.";
      const content = {
        post: `Today's challenge is being posted. ${retrying}`,
        replacement: `Today's challenge was replaced, and the new one is being posted. ${retrying}`,
      };
      return interaction.reply({
        content: view.pending
          ? content[view.pending]
          : `No challenge has been posted yet. The next one comes ${when}.`,
        flags: ephemeral,
      });
    }
    const threadId = view.day.post.threadId;
    return interaction.reply({
      embeds: [memberViewEmbed({ ...view, threadUrl: threadId ? `<#${threadId}>` : null })],
      flags: ephemeral,
    });
  },

  async hint(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const early = interaction.options.getBoolean("early") ?? false;
    const view = await takeHint(ctx.store, ctx.clock, guildId, interaction.user.id, early);
    const threadId = view.day.post.threadId;
    const note =
      view.unlocked !== null
        ? `Hint ${view.unlocked} unlocked early: a submission is now worth **${view.points}** points.`
        : view.hints.length === 0
          ? "No hint has been released yet. `/challenge hint early:true` shows the first one now, for fewer points."
          : undefined;
    return interaction.reply({
      ...(note ? { content: note } : {}),
      embeds: [memberViewEmbed({ ...view, threadUrl: threadId ? `<#${threadId}>` : null })],
      flags: ephemeral,
    });
  },

  async submit(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const result = await submitAnswer(
      ctx.store,
      ctx.clock,
      guildId,
      interaction.user.id,
      interaction.options.getString("answer", true),
    );
    const title = shownTitle(result.title);
    return interaction.reply({
      content:
        `${result.edited ? "Your answer was replaced" : "Your answer is in"} for **${title}** (${result.date}): ` +
        `**${result.points}** points. It stays hidden until the reveal; submit again to edit it until then.`,
      flags: ephemeral,
    });
  },

  async streak(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const member = interaction.options.getUser("member") ?? interaction.user;
    const streak = await memberStreak(ctx.store, guildId, member.id, ctx.clock);
    const who = member.id === interaction.user.id ? "You have" : `<@${member.id}> has`;
    return interaction.reply({
      content:
        `${who} a streak of **${streak.current}** challenge day${streak.current === 1 ? "" : "s"} ` +
        `(best ${streak.best}), **${streak.points}** points from ${streak.submissions} submission` +
        `${streak.submissions === 1 ? "" : "s"}.` +
        (streak.answeredCurrent ? " The current challenge is answered." : ""),
      flags: ephemeral,
    });
  },

  async post(interaction, ctx) {
    const guildId = requireGuild(interaction);
    requireManager(interaction);
    await interaction.deferReply({ flags: ephemeral });
    const outcome = await postToday(ctx.store, ctx.clock, challengeDeps(ctx), guildId);
    const where = outcome.day?.post.messageId ? ` in <#${outcome.day.post.channelId}>` : "";
    const messages = {
      posted: `Today's challenge is posted${where}.`,
      recovered: `Today's challenge is posted${where}.`,
      already: `Today's challenge was already posted${where}; nothing was posted twice.`,
      pending: "Today's challenge is being posted right now; nothing was posted twice.",
      failed:
        "Today's challenge is claimed but could not be sent yet (see the logs); Nexus retries on its own.",
    };
    return interaction.editReply({ content: messages[outcome.status] });
  },

  async skip(interaction, ctx) {
    const guildId = requireGuild(interaction);
    requireManager(interaction);
    await interaction.deferReply({ flags: ephemeral });
    const outcome = await skipToday(ctx.store, ctx.clock, challengeDeps(ctx), guildId, interaction.user.id);
    const title = shownTitle(outcome.day?.challenge.title ?? "");
    return interaction.editReply({
      content:
        outcome.status === "posted"
          ? `Replaced today's challenge with **${title}**.`
          : `Today's challenge is now **${title}**, but it could not be sent yet; Nexus retries on its own.`,
    });
  },

  async add(interaction, ctx) {
    const guildId = requireGuild(interaction);
    requireManager(interaction);
    const options = interaction.options;
    const added = await addCustomChallenge(ctx.store, ctx.clock, guildId, interaction.user.id, {
      title: options.getString("title", true),
      topic: options.getString("topic", true),
      difficulty: options.getString("difficulty", true),
      track: options.getString("track", true),
      prompt: options.getString("prompt", true),
      hints: [options.getString("hint1", true), options.getString("hint2"), options.getString("hint3")],
      answer: options.getString("answer", true),
    });
    return interaction.reply({
      content: `Queued **${shownTitle(added.title)}** as \`${added.id}\`, number ${added.position} in line ahead of the bank.`,
      flags: ephemeral,
    });
  },

  async settings(interaction, ctx) {
    const guildId = requireGuild(interaction);
    requireManager(interaction);
    const saved = await updateChallengeSettings(ctx.store, ctx.clock, guildId, interaction.user.id, {
      hintDelayHours: interaction.options.getInteger("hint_delay_hours", true),
    });
    return interaction.reply({
      content: `The first hint is now released ${saved.hintDelayHours} hour${saved.hintDelayHours === 1 ? "" : "s"} after each challenge is posted.`,
      flags: ephemeral,
    });
  },
};

export default {
  data,
  execute: bySubcommand(handlers),
  autocomplete: topicAutocomplete,
} satisfies Command;

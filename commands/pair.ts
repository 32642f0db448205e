import {
  type ChatInputCommandInteraction,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from "discord.js";
import { UserError } from "../src/discord/errors.js";
import { replyThen, requireGuild, requirePermission } from "../src/discord/interactions.js";
import { bySubcommand, topicAutocomplete } from "../src/discord/subcommands.js";
import type { BotContext, Command } from "../src/discord/types.js";
import { handlePairingButton } from "../src/pairing/buttons.js";
import {
  announceLeftovers,
  type DeliveryReport,
  deliverPair,
  forEachLimited,
  membershipCheck,
} from "../src/pairing/deliver.js";
import {
  countsText,
  historyEmbed,
  settingsText,
  statsEmbed,
  statusEmbed,
  when,
  withNotices,
} from "../src/pairing/format.js";
import {
  cancelPair,
  dismissPartnerLeft,
  pairHistory,
  pairStats,
  pairStatus,
  pausePairing,
  requestPair,
  runRound,
  stillWaiting,
  updatePairSettings,
  type WaitingCounts,
} from "../src/pairing/pairing.js";
import { EXPIRY_DAYS_MAX, NOTE_MAX, PAUSE_DAYS_MAX, RECENCY_DAYS_MAX } from "../src/pairing/schema.js";

const data = new SlashCommandBuilder()
  .setName("pair")
  .setDescription("Pair backend learners with frontend learners to build together")
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((sub) =>
    sub
      .setName("request")
      .setDescription("Join the queue: you are paired with a learner from the other track")
      .addStringOption((option) =>
        option
          .setName("role")
          .setDescription("Your track")
          .setRequired(true)
          .addChoices({ name: "backend", value: "backend" }, { name: "frontend", value: "frontend" }),
      )
      .addStringOption((option) =>
        option
          .setName("topic")
          .setDescription("A topic you would like to work on")
          .setAutocomplete(true)
          .setMaxLength(100),
      )
      .addStringOption((option) =>
        option
          .setName("note")
          .setDescription(`A note for your partner (at most ${NOTE_MAX} characters)`)
          .setMaxLength(NOTE_MAX),
      ),
  )
  .addSubcommand((sub) => sub.setName("status").setDescription("Your request, your last pair and the queue"))
  .addSubcommand((sub) => sub.setName("cancel").setDescription("Withdraw your open request"))
  .addSubcommand((sub) => sub.setName("history").setDescription("Your past pairs"))
  .addSubcommand((sub) =>
    sub
      .setName("pause")
      .setDescription("Keep your place in the queue but do not match you for a few days")
      .addIntegerOption((option) =>
        option
          .setName("days")
          .setDescription(`1–${PAUSE_DAYS_MAX} days`)
          .setRequired(true)
          .setMinValue(1)
          .setMaxValue(PAUSE_DAYS_MAX),
      ),
  )
  .addSubcommand((sub) =>
    sub.setName("round").setDescription("Match everyone waiting at once (Manage Server)"),
  )
  .addSubcommand((sub) =>
    sub.setName("stats").setDescription("Requests, matches and pairs that met (Manage Server)"),
  )
  .addSubcommand((sub) =>
    sub
      .setName("settings")
      .setDescription("Recency window and request expiry (Manage Server)")
      .addIntegerOption((option) =>
        option
          .setName("recency_days")
          .setDescription(`Never pair the same two people within this many days (1–${RECENCY_DAYS_MAX})`)
          .setMinValue(1)
          .setMaxValue(RECENCY_DAYS_MAX),
      )
      .addIntegerOption((option) =>
        option
          .setName("expiry_days")
          .setDescription(`Requests leave the queue after this many days (1–${EXPIRY_DAYS_MAX})`)
          .setMinValue(1)
          .setMaxValue(EXPIRY_DAYS_MAX),
      ),
  );

type Handler = (interaction: ChatInputCommandInteraction, ctx: BotContext) => Promise<unknown>;

const ephemeral = MessageFlags.Ephemeral;

function requireManager(interaction: ChatInputCommandInteraction): void {
  requirePermission(interaction, PermissionFlagsBits.ManageGuild, "Manage Server");
}

/** The pairs a delivery report says were undone because the partner had left (rematches included). */
function undonePairs(report: DeliveryReport | null): number[] {
  if (report === null || report.departed === undefined) return [];
  return [report.pair.id, ...undonePairs(report.rematch ?? null)];
}

/** What the requester is told once the introduction is done (or undone). */
function deliveryText(report: DeliveryReport | null, userId: string): string {
  if (report === null) return "Your introduction is on its way.";
  if (report.departed !== undefined) {
    const again = report.rematch
      ? `\nYou were paired again at once: pair #${report.rematch.pair.id}. ${deliveryText(report.rematch, userId)}`
      : "";
    return `Your partner turned out to have left the server, so that pair is undone and you are back in the queue with your place.${again}`;
  }
  const partner = report.pair.backend.user === userId ? report.pair.frontend.user : report.pair.backend.user;
  switch (report.outcome.state) {
    case "private":
    case "public":
      return `Your thread: <#${report.outcome.threadId}>`;
    case "dm": {
      // A DM Discord refused (closed to the server's members) is not sent again: say who has it.
      const sent = report.outcome.dmSent ?? [userId, partner];
      if (!sent.includes(partner))
        return `I could not open a thread here, so I sent you the introduction by direct message, but I could not DM <@${partner}>: say hello to them directly.`;
      if (!sent.includes(userId))
        return `I could not open a thread here, so I sent <@${partner}> the introduction by direct message, but I could not DM you (your direct messages may be closed to server members): say hello to them directly.`;
      return "I could not open a thread here, so I sent you both a direct message.";
    }
    case "pending": {
      // Only one of the two DMs went through: the other is sent again.
      const sent = report.outcome.dmSent ?? [];
      if (sent.includes(userId) && !sent.includes(partner))
        return `I sent you the introduction by direct message; Discord did not take <@${partner}>'s yet, so I will send it again in a few minutes.`;
      if (sent.includes(partner) && !sent.includes(userId))
        return `<@${partner}> has the introduction by direct message; Discord did not take yours yet, so I will send it again in a few minutes.`;
      return `Discord is not answering right now; I will introduce you two again in a few minutes. Meanwhile, say hello to <@${partner}> directly.`;
    }
    default: {
      return `I could not open a thread or send DMs; say hello to <@${partner}> directly.`;
    }
  }
}

const handlers: Record<string, Handler> = {
  async request(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const result = await requestPair(
      ctx.store,
      ctx.clock,
      guildId,
      {
        userId: interaction.user.id,
        role: interaction.options.getString("role", true),
        topic: interaction.options.getString("topic"),
        note: interaction.options.getString("note"),
      },
      interaction.guild ? membershipCheck(interaction.guild) : undefined,
    );
    const kept = [result.topic ? `on **${result.topic}**` : null, result.hasNote ? "with your note" : null]
      .filter((part): part is string => part !== null)
      .join(", ");
    const resumed = result.resumed
      ? `Welcome back: your pause is lifted and your request keeps its place${kept ? ` (${kept})` : ""}.\n`
      : "";
    if (result.kind === "waiting") {
      const other = result.role === "backend" ? "frontend" : "backend";
      const recent =
        result.recentlyPaired > 0
          ? `\n${result.recentlyPaired} ${other} learner${result.recentlyPaired === 1 ? " is" : "s are"} waiting whom you were paired with in the last ${result.recencyDays} days, so not again yet.`
          : "";
      await interaction.reply({
        content: withNotices(
          result.notices,
          `${resumed}You are in the queue as **${result.role}**. Now ${countsText(result.waiting)}. ` +
            `You will be paired as soon as a ${other} learner asks (your request expires ${when(result.expiresAt)}).${recent}`,
        ),
        flags: ephemeral,
      });
      return;
    }
    const other = result.role === "backend" ? "frontend" : "backend";
    const matched =
      `${resumed}You are paired! You are the **${result.role}** and <@${result.partner}> is the **${other}** ` +
      `(pair #${result.pair.id}).`;
    // The match is stored; answer now (fast), then open the thread (several REST calls) after the reply,
    // even when the reply came too late for Discord: the partner is waiting for that thread too.
    const report = await replyThen(
      interaction,
      {
        content: withNotices(result.notices, `${matched}\nOpening a private thread for you two…`),
        flags: ephemeral,
      },
      async (): Promise<DeliveryReport | null> => {
        try {
          return await deliverPair(ctx, guildId, result.pair, { fallbackChannelId: interaction.channelId });
        } catch (error) {
          ctx.logger.error(
            { err: error, guild: guildId, pair: result.pair.id },
            "pair introduction failed; the job retries",
          );
          return null;
        }
      },
    );
    const told = await interaction
      .editReply({
        content: withNotices(result.notices, `${matched}\n${deliveryText(report, interaction.user.id)}`),
      })
      .then(
        () => true,
        () => false,
      );
    // Told here that the pair was undone: the notice kept for their next /pair would say it again. A
    // failure leaves the notice (told twice), not an error for a request that worked.
    if (told) {
      await dismissPartnerLeft(ctx.store, ctx.clock, guildId, interaction.user.id, undonePairs(report)).catch(
        (error: unknown) =>
          ctx.logger.warn({ err: error, guild: guildId }, "could not dismiss a partner-left notice"),
      );
    }
  },

  async status(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const status = await pairStatus(ctx.store, ctx.clock, guildId, interaction.user.id);
    const notices = withNotices(status.notices, "");
    await interaction.reply({
      ...(notices.trim() ? { content: notices.trim() } : {}),
      embeds: [statusEmbed(status)],
      flags: ephemeral,
    });
  },

  async cancel(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const result = await cancelPair(ctx.store, ctx.clock, guildId, interaction.user.id);
    if (result.kind === "matched") {
      const { pair } = result;
      const partner = pair.backend.user === interaction.user.id ? pair.frontend.user : pair.backend.user;
      const where = pair.delivery.threadId ? ` in <#${pair.delivery.threadId}>` : "";
      throw new UserError(
        withNotices(
          result.notices,
          `You were already matched with <@${partner}> (pair #${pair.id}, ${when(pair.createdAt)}), and a match cannot be cancelled. ` +
            `Say hello${where}; if it does not work out, \`/pair request\` again.`,
        ),
      );
    }
    if (result.kind === "none") {
      throw new UserError(withNotices(result.notices, "You have no open request to cancel."));
    }
    await interaction.reply({
      content: withNotices(
        result.notices,
        `Your request as **${result.request.role}** is withdrawn. \`/pair request\` to join again.`,
      ),
      flags: ephemeral,
    });
  },

  async history(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const history = await pairHistory(ctx.store, ctx.clock, guildId, interaction.user.id);
    const notices = withNotices(history.notices, "").trim();
    await interaction.reply({
      ...(notices ? { content: notices } : {}),
      embeds: [historyEmbed(history, interaction.user.id)],
      flags: ephemeral,
    });
  },

  async pause(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const result = await pausePairing(
      ctx.store,
      ctx.clock,
      guildId,
      interaction.user.id,
      interaction.options.getInteger("days", true),
    );
    await interaction.reply({
      content: withNotices(
        result.notices,
        `Paused until ${when(result.until, "f")}: your request keeps its place and resumes by itself then. ` +
          "`/pair request` resumes it earlier.",
      ),
      flags: ephemeral,
    });
  },

  async round(interaction, ctx) {
    const guildId = requireGuild(interaction);
    requireManager(interaction);
    // A round reads the whole pool and the history of everyone waiting, then opens one thread per pair:
    // that can take longer than the 3 s an interaction may wait, so acknowledge first.
    await interaction.deferReply({ flags: ephemeral });
    const outcome = await runRound(ctx.store, ctx.clock, guildId);
    const leftBackend = outcome.leftover.filter((entry) => entry.role === "backend").length;
    const summaryOf = (queued: WaitingCounts) =>
      `Matched **${outcome.pairs.length}** pair${outcome.pairs.length === 1 ? "" : "s"}. ` +
      `Still queued: ${queued.backend} backend, ${queued.frontend} frontend` +
      `${queued.paused > 0 ? `; ${queued.paused} paused` : ""}` +
      `${outcome.expired > 0 ? `; ${outcome.expired} expired request${outcome.expired === 1 ? "" : "s"} removed` : ""}.`;
    const summary = summaryOf({
      backend: leftBackend,
      frontend: outcome.leftover.length - leftBackend,
      paused: outcome.paused,
    });
    await interaction.editReply({
      content: outcome.pairs.length > 0 ? `${summary}\nIntroducing the pairs…` : summary,
    });
    const tally = { threads: 0, dms: 0, partly: 0, retried: 0, failed: 0, undone: 0 };
    await forEachLimited(outcome.pairs, 4, async (pair) => {
      try {
        const report = await deliverPair(ctx, guildId, pair.id, { fallbackChannelId: interaction.channelId });
        if (report?.departed !== undefined) tally.undone++;
        else if (report?.outcome.state === "private" || report?.outcome.state === "public") tally.threads++;
        else if (report?.outcome.state === "dm") tally.dms++;
        else if (report?.outcome.state === "failed") tally.failed++;
        // Pending with one member's DM sent: that member has the introduction, only the other's is retried.
        else if ((report?.outcome.dmSent?.length ?? 0) > 0) tally.partly++;
        else if (report) tally.retried++;
      } catch (error) {
        tally.retried++;
        ctx.logger.error(
          { err: error, guild: guildId, pair: pair.id },
          "pair introduction failed; the job retries",
        );
      }
    });
    // The introductions may have changed the queue: a pair undone because a member had left puts the
    // other back, and they may be matched at once with a leftover. Announce and count what waits now.
    const now = await stillWaiting(
      ctx.store,
      ctx.clock,
      guildId,
      outcome.leftover.map((entry) => entry.user),
    );
    if (interaction.guild) {
      await announceLeftovers(ctx, interaction.guild, now.users, outcome.pairs.length, interaction.channelId);
    }
    if (outcome.pairs.length > 0) {
      const parts = [
        `${tally.threads} in threads`,
        tally.dms > 0 ? `${tally.dms} by DM` : null,
        tally.partly > 0
          ? `${tally.partly} by DM to one member so far (the other's DM is retried automatically)`
          : null,
        tally.retried > 0 ? `${tally.retried} not delivered yet (retried automatically)` : null,
        tally.failed > 0 ? `${tally.failed} not delivered (no thread or DM allowed)` : null,
        tally.undone > 0 ? `${tally.undone} undone because a member had left` : null,
      ].filter((part): part is string => part !== null);
      await interaction
        .editReply({ content: `${summaryOf(now.waiting)}\nIntroduced: ${parts.join(", ")}.` })
        .catch(() => undefined);
    }
  },

  async stats(interaction, ctx) {
    const guildId = requireGuild(interaction);
    requireManager(interaction);
    // A server with thousands of pairs takes a while to count (every pair is read): answered deferred.
    let deferred = false;
    const stats = await pairStats(ctx.store, ctx.clock, guildId, {
      beforeLongScan: async () => {
        await interaction.deferReply({ flags: ephemeral });
        deferred = true;
      },
    });
    if (deferred) await interaction.editReply({ embeds: [statsEmbed(stats)] });
    else await interaction.reply({ embeds: [statsEmbed(stats)], flags: ephemeral });
  },

  async settings(interaction, ctx) {
    const guildId = requireGuild(interaction);
    requireManager(interaction);
    const recencyDays = interaction.options.getInteger("recency_days");
    const expiryDays = interaction.options.getInteger("expiry_days");
    const settings = await updatePairSettings(ctx.store, ctx.clock, guildId, {
      recencyDays,
      expiryDays,
      by: interaction.user.id,
    });
    const changed = recencyDays !== null || expiryDays !== null;
    await interaction.reply({
      content: `${changed ? "Saved. " : ""}${settingsText(settings)}`,
      flags: ephemeral,
    });
  },
};

export default {
  data,
  execute: bySubcommand(handlers),
  autocomplete: topicAutocomplete,
  button: handlePairingButton,
} satisfies Command;

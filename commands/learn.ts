import {
  AttachmentBuilder,
  type ChatInputCommandInteraction,
  InteractionContextType,
  MessageFlags,
  SlashCommandBuilder,
} from "discord.js";
import { rankChoices } from "../src/discord/autocomplete.js";
import { requireGuild } from "../src/discord/interactions.js";
import { bySubcommand } from "../src/discord/subcommands.js";
import { inlineText, LIMITS, sanitize, truncate } from "../src/discord/text.js";
import type { BotContext, Command } from "../src/discord/types.js";
import { entryEmbed, listEmbed, searchEmbed, statsEmbed, streakEmbed } from "../src/journal/embeds.js";
import {
  deleteEntry,
  editEntry,
  listEntries,
  logEntry,
  memberStreak,
  recentMemberEntries,
} from "../src/journal/entries.js";
import { DEFAULT_FILE_BYTES, type ExportFile, exportJournal, splitExport } from "../src/journal/export.js";
import { ENTRY_KINDS, LINK_MAX, TEXT_MAX, TEXT_MIN } from "../src/journal/records.js";
import { searchForViewer } from "../src/journal/search.js";
import { weeklyStats } from "../src/journal/stats.js";
import { requirePairMember } from "../src/pairing/pairing.js";
import { TOPICS } from "../src/topics.js";

const QUERY_MAX = 200;

const data = new SlashCommandBuilder()
  .setName("learn")
  .setDescription("Your learning journal: log, browse, search, streaks and export")
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((sub) =>
    sub
      .setName("log")
      .setDescription("Log something you learned")
      .addStringOption((option) =>
        option
          .setName("topic")
          .setDescription("Program topic, e.g. Django")
          .setRequired(true)
          .setAutocomplete(true)
          .setMaxLength(100),
      )
      .addStringOption((option) =>
        option
          .setName("text")
          .setDescription(`What you learned (${TEXT_MIN}–${TEXT_MAX} characters)`)
          .setRequired(true)
          .setMinLength(TEXT_MIN)
          .setMaxLength(TEXT_MAX),
      )
      .addStringOption((option) =>
        option.setName("link").setDescription("An http(s) link to a resource").setMaxLength(LINK_MAX),
      )
      .addBooleanOption((option) =>
        option.setName("private").setDescription("Only you can see it (it still counts for your streak)"),
      )
      .addStringOption((option) =>
        option
          .setName("kind")
          .setDescription("What sort of entry (default: learning)")
          .addChoices(...ENTRY_KINDS.map((kind) => ({ name: kind, value: kind }))),
      )
      .addIntegerOption((option) =>
        option.setName("pair").setDescription("Tag it with your pairing (pair number)").setMinValue(1),
      ),
  )
  .addSubcommand((sub) =>
    sub
      .setName("list")
      .setDescription("Browse journal entries, newest first")
      .addUserOption((option) => option.setName("member").setDescription("Only this member's entries"))
      .addStringOption((option) =>
        option.setName("topic").setDescription("Only this topic").setAutocomplete(true).setMaxLength(100),
      )
      .addIntegerOption((option) => option.setName("page").setDescription("Page number").setMinValue(1)),
  )
  .addSubcommand((sub) =>
    sub
      .setName("search")
      .setDescription("Search the server's journal")
      .addStringOption((option) =>
        option.setName("query").setDescription("Words to look for").setRequired(true).setMaxLength(QUERY_MAX),
      )
      .addStringOption((option) =>
        option.setName("topic").setDescription("Only this topic").setAutocomplete(true).setMaxLength(100),
      ),
  )
  .addSubcommand((sub) =>
    sub
      .setName("edit")
      .setDescription("Change the text of one of your entries")
      .addIntegerOption((option) =>
        option
          .setName("id")
          .setDescription("Entry number, e.g. 12")
          .setRequired(true)
          .setMinValue(1)
          .setAutocomplete(true),
      )
      .addStringOption((option) =>
        option
          .setName("text")
          .setDescription(`The new text (${TEXT_MIN}–${TEXT_MAX} characters)`)
          .setRequired(true)
          .setMinLength(TEXT_MIN)
          .setMaxLength(TEXT_MAX),
      ),
  )
  .addSubcommand((sub) =>
    sub
      .setName("delete")
      .setDescription("Delete one of your entries")
      .addIntegerOption((option) =>
        option
          .setName("id")
          .setDescription("Entry number, e.g. 12")
          .setRequired(true)
          .setMinValue(1)
          .setAutocomplete(true),
      ),
  )
  .addSubcommand((sub) =>
    sub
      .setName("streak")
      .setDescription("Current and longest streak, freezes and the last 14 days")
      .addUserOption((option) => option.setName("member").setDescription("Whose streak (default: yours)")),
  )
  .addSubcommand((sub) =>
    sub
      .setName("export")
      .setDescription("Your journal as a file (Markdown portfolio or JSON)")
      .addStringOption((option) =>
        option
          .setName("format")
          .setDescription("markdown (default) or json")
          .addChoices({ name: "markdown", value: "markdown" }, { name: "json", value: "json" }),
      ),
  )
  .addSubcommand((sub) => sub.setName("stats").setDescription("This server's learning week"));

type Handler = (interaction: ChatInputCommandInteraction, ctx: BotContext) => Promise<unknown>;

const handlers: Record<string, Handler> = {
  async log(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const isPrivate = interaction.options.getBoolean("private") ?? false;
    const pairId = interaction.options.getInteger("pair");
    if (pairId !== null) await requirePairMember(ctx.store, guildId, pairId, interaction.user.id);
    const { entry, streak } = await logEntry(ctx.store, ctx.clock, guildId, {
      authorId: interaction.user.id,
      topic: interaction.options.getString("topic", true),
      text: interaction.options.getString("text", true),
      link: interaction.options.getString("link"),
      private: isPrivate,
      kind: interaction.options.getString("kind"),
      pairingId: pairId === null ? null : String(pairId),
    });
    const embed = entryEmbed(entry, {
      authorName: interaction.user.displayName,
      authorIcon: interaction.user.displayAvatarURL(),
      streak,
    });
    await interaction.reply({ embeds: [embed], ...(isPrivate ? { flags: MessageFlags.Ephemeral } : {}) });
  },

  async list(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const member = interaction.options.getUser("member");
    const page = await listEntries(ctx.store, ctx.clock, guildId, {
      viewerId: interaction.user.id,
      memberId: member?.id ?? null,
      topic: interaction.options.getString("topic"),
      page: interaction.options.getInteger("page"),
    });
    const title = [
      "Learning journal",
      member ? sanitize(member.displayName, { oneLine: true }) : null,
      page.topic,
    ]
      .filter(Boolean)
      .join(" · ");
    await interaction.reply({ embeds: [listEmbed(page, title)], flags: MessageFlags.Ephemeral });
  },

  async search(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const query = interaction.options.getString("query", true);
    const results = await searchForViewer(ctx.store, ctx.clock, guildId, {
      viewerId: interaction.user.id,
      query,
      topic: interaction.options.getString("topic"),
    });
    if (results.length === 0) {
      await interaction.reply({
        content: truncate(
          // Escaped (room for every escape): an odd `**` in the query would end the bold early.
          `No journal entries match **${inlineText(query, 2 * QUERY_MAX)}**. Try fewer or other words.`,
          LIMITS.content,
        ),
        flags: MessageFlags.Ephemeral,
      });
      return;
    }
    await interaction.reply({ embeds: [searchEmbed(results, query)], flags: MessageFlags.Ephemeral });
  },

  async edit(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const entry = await editEntry(ctx.store, ctx.clock, guildId, {
      userId: interaction.user.id,
      id: interaction.options.getInteger("id", true),
      text: interaction.options.getString("text", true),
    });
    await interaction.reply({
      content: `Entry #${entry.id} updated.`,
      embeds: [entryEmbed(entry, { authorName: interaction.user.displayName })],
      flags: MessageFlags.Ephemeral,
    });
  },

  async delete(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const entry = await deleteEntry(ctx.store, ctx.clock, guildId, {
      userId: interaction.user.id,
      id: interaction.options.getInteger("id", true),
    });
    await interaction.reply({
      content: `Entry #${entry.id} (${entry.topic}) deleted.`,
      flags: MessageFlags.Ephemeral,
    });
  },

  async streak(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const user = interaction.options.getUser("member") ?? interaction.user;
    const streak = await memberStreak(ctx.store, ctx.clock, guildId, user.id);
    await interaction.reply({ embeds: [streakEmbed(streak, user.displayName)] });
  },

  async export(interaction, ctx) {
    const guildId = requireGuild(interaction);
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const file = await exportJournal(ctx.store, ctx.clock, guildId, {
      userId: interaction.user.id,
      userName: interaction.user.username,
      displayName: interaction.user.displayName,
      format: interaction.options.getString("format"),
    });
    const [first, ...more] = splitExport(file, interaction.attachmentSizeLimit ?? DEFAULT_FILE_BYTES);
    const attach = (part: ExportFile) =>
      new AttachmentBuilder(Buffer.from(part.content, "utf8"), { name: part.filename });
    const count = `${file.entries} ${file.entries === 1 ? "entry" : "entries"}`;
    if (first === undefined) throw new Error("an export without a file");
    await interaction.editReply({
      content:
        more.length === 0
          ? `Your journal: ${count}.`
          : `Your journal: ${count}, in ${more.length + 1} files (Discord takes files up to a size limit); part 1 below.`,
      files: [attach(first)],
    });
    // One file a message: Discord's limit may count every file of a message together.
    for (const [i, part] of more.entries()) {
      await interaction.followUp({
        content: `Part ${i + 2} of ${more.length + 1}.`,
        files: [attach(part)],
        flags: MessageFlags.Ephemeral,
      });
    }
  },

  async stats(interaction, ctx) {
    const guildId = requireGuild(interaction);
    await interaction.reply({ embeds: [statsEmbed(await weeklyStats(ctx.store, ctx.clock, guildId))] });
  },
};

export default {
  data,
  execute: bySubcommand(handlers),
  async autocomplete(interaction, ctx) {
    const focused = interaction.options.getFocused(true);
    if (focused.name === "topic") {
      await interaction.respond(rankChoices(TOPICS, focused.value));
      return;
    }
    if (focused.name === "id" && interaction.guildId) {
      const typed = focused.value.trim().replace(/^#/, "").toLowerCase();
      const entries = await recentMemberEntries(ctx.store, interaction.guildId, interaction.user.id, 100);
      const choices = entries
        .filter(
          (entry) =>
            typed === "" || String(entry.id).startsWith(typed) || entry.text.toLowerCase().includes(typed),
        )
        .slice(0, LIMITS.choices)
        .map((entry) => ({
          name: truncate(
            `#${entry.id} · ${entry.topic} · ${entry.text.replace(/\s+/g, " ")}`,
            LIMITS.choiceName,
          ),
          value: entry.id,
        }));
      await interaction.respond(choices);
      return;
    }
    await interaction.respond([]);
  },
} satisfies Command;

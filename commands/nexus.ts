import {
  ChannelType,
  type ChatInputCommandInteraction,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from "discord.js";
import { channelAccess, welcomeOnce } from "../src/discord/adopt.js";
import { timeZoneChoices } from "../src/discord/autocomplete.js";
import { Embed } from "../src/discord/embed.js";
import { UserError } from "../src/discord/errors.js";
import { requireGuild, requirePermission } from "../src/discord/interactions.js";
import { bySubcommand } from "../src/discord/subcommands.js";
import { LIMITS, truncate } from "../src/discord/text.js";
import type { BotContext, Command } from "../src/discord/types.js";
import { getGuildConfig, setupGuild } from "../src/guild/config.js";
import { memberTimezone, setMemberTimezone } from "../src/guild/members.js";
import { refreshWaitingZones } from "../src/pairing/pairing.js";

const data = new SlashCommandBuilder()
  .setName("nexus")
  .setDescription("Nexus setup and help")
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((sub) =>
    sub
      .setName("setup")
      .setDescription("Choose the Nexus channel, time zone and daily post time (Manage Server)")
      .addChannelOption((option) =>
        option
          .setName("channel")
          .setDescription("The channel Nexus posts in")
          .addChannelTypes(ChannelType.GuildText)
          .setRequired(true),
      )
      .addStringOption((option) =>
        option
          .setName("timezone")
          .setDescription("IANA time zone, e.g. Africa/Lagos (default UTC)")
          .setAutocomplete(true)
          .setMaxLength(64),
      )
      .addStringOption((option) =>
        option
          .setName("post_time")
          .setDescription("Daily post time, HH:MM 24-hour (default 09:00)")
          .setMaxLength(5),
      ),
  )
  .addSubcommand((sub) => sub.setName("config").setDescription("Show this server's Nexus settings"))
  .addSubcommand((sub) => sub.setName("help").setDescription("What Nexus does and how to use it"))
  .addSubcommand((sub) =>
    sub
      .setName("timezone")
      .setDescription("Set your own time zone (used for your streaks and pairing)")
      .addStringOption((option) =>
        option
          .setName("name")
          .setDescription("IANA time zone, e.g. Europe/London")
          .setRequired(true)
          .setAutocomplete(true)
          .setMaxLength(64),
      ),
  );

type Handler = (interaction: ChatInputCommandInteraction, ctx: BotContext) => Promise<unknown>;

const handlers: Record<string, Handler> = {
  async setup(interaction, ctx) {
    const guildId = requireGuild(interaction);
    requirePermission(interaction, PermissionFlagsBits.ManageGuild, "Manage Server");
    const channel = interaction.options.getChannel("channel", true);
    if (channel.type !== ChannelType.GuildText) throw new UserError("Pick a text channel for Nexus.");
    const cached = interaction.guild?.channels.cache.get(channel.id);
    const access = cached === undefined ? null : channelAccess(cached);
    if (access !== null && access.missing.length > 0) {
      throw new UserError(
        `I cannot post in <#${channel.id}>: I am missing ${access.missing.map((name) => `**${name}**`).join(", ")} there. ` +
          "Give me those in the channel's permissions, then run `/nexus setup` again.",
      );
    }
    const timezone = interaction.options.getString("timezone");
    const config = await setupGuild(ctx.store, ctx.clock, guildId, {
      channelId: channel.id,
      timezone,
      postTime: interaction.options.getString("post_time"),
      by: interaction.user.id,
    });
    // Members waiting to be paired without a zone of their own go by the guild's; the same zone given
    // again changes no request and writes nothing.
    if (timezone) await refreshWaitingZones(ctx.store, ctx.clock, guildId);
    const limits = (access?.limited ?? []).map(
      ({ permission, effect }) => `- without **${permission}**, ${effect}`,
    );
    await interaction.reply({
      content: truncate(
        [
          `Nexus will use <#${config.channelId}>, posting daily at **${config.postTime}** (${config.timezone}).`,
          ...(limits.length > 0 ? ["", "I can work there, with limits:", ...limits] : []),
        ].join("\n"),
        LIMITS.content,
      ),
      flags: MessageFlags.Ephemeral,
    });
    if (interaction.guild && config.channelId) await welcomeOnce(ctx, interaction.guild, config.channelId);
  },

  async config(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const config = await getGuildConfig(ctx.store, ctx.clock, guildId);
    // Permissions taken away since setup (or a channel adopted by name) stop the daily posts silently, and
    // an admin sees no log: this is where they find out why.
    const cached = config.channelId ? interaction.guild?.channels.cache.get(config.channelId) : undefined;
    const access = cached === undefined ? null : channelAccess(cached);
    const problems = [
      ...(access !== null && access.missing.length > 0
        ? [
            `I cannot post there: I am missing ${access.missing.map((name) => `**${name}**`).join(", ")}. ` +
              "Give me those in the channel's permissions.",
          ]
        : []),
      ...(access?.limited ?? []).map(({ permission, effect }) => `- without **${permission}**, ${effect}`),
    ];
    const embed = new Embed().setTitle("Nexus settings").addFields(
      {
        name: "Channel",
        value: config.channelId
          ? `<#${config.channelId}>${config.channelSource === "adopted" ? " (adopted by name)" : ""}`
          : `not set: create #${ctx.config.nexusChannel} or run /nexus setup`,
      },
      { name: "Time zone", value: config.timezone, inline: true },
      { name: "Daily post time", value: config.postTime, inline: true },
    );
    if (problems.length > 0) {
      embed.addFields({ name: "Permissions", value: truncate(problems.join("\n"), LIMITS.embedFieldValue) });
    }
    await interaction.reply({ embeds: [embed], flags: MessageFlags.Ephemeral });
  },

  async help(interaction, ctx) {
    const lines: string[] = [];
    for (const command of [...ctx.commands.values()].sort((a, b) => a.data.name.localeCompare(b.data.name))) {
      const json = command.data.toJSON();
      const subs = (json.options ?? []).filter((option) => option.type === 1 || option.type === 2);
      if (subs.length === 0) lines.push(`**/${json.name}** — ${json.description}`);
      for (const sub of subs) lines.push(`**/${json.name} ${sub.name}** — ${sub.description}`);
    }
    const embed = new Embed()
      .setTitle("Nexus — learn, ask, pair, practise")
      .setDescription(
        truncate(
          [
            "Nexus serves this server's Nexus channel for the ProDev Backend community: a learning journal, " +
              "Q&A threads with reputation, backend↔frontend pairing, and a daily challenge.",
            "",
            ...lines,
          ].join("\n"),
          LIMITS.embedDescription,
        ),
      );
    await interaction.reply({ embeds: [embed], flags: MessageFlags.Ephemeral });
  },

  async timezone(interaction, ctx) {
    const guildId = requireGuild(interaction);
    const timezone = await setMemberTimezone(
      ctx.store,
      ctx.clock,
      guildId,
      interaction.user.id,
      interaction.options.getString("name", true),
    );
    // Before the reply: a match made once the member has read it uses the zone they set.
    await refreshWaitingZones(ctx.store, ctx.clock, guildId, [interaction.user.id]);
    await interaction.reply({
      content: `Your time zone is now **${timezone}**.`,
      flags: MessageFlags.Ephemeral,
    });
  },
};

export default {
  data,
  execute: bySubcommand(handlers),
  async autocomplete(interaction, ctx) {
    const focused = interaction.options.getFocused(true);
    if (focused.name === "timezone" || focused.name === "name") {
      let typed = focused.value;
      if (typed === "" && interaction.guildId) {
        typed = await memberTimezone(ctx.store, ctx.clock, interaction.guildId, interaction.user.id);
      }
      await interaction.respond(timeZoneChoices(typed));
      return;
    }
    await interaction.respond([]);
  },
} satisfies Command;

import { ChannelType, type Guild, type GuildTextBasedChannel } from "discord.js";
import { adoptChannel, claimWelcome, getGuildConfig } from "../guild/config.js";
import { Embed } from "./embed.js";
import type { BotContext } from "./types.js";

export const WELCOME_TITLE = "Nexus is here";

export function welcomeEmbed(): Embed {
  return new Embed()
    .setTitle(WELCOME_TITLE)
    .setColor(0x5865f2)
    .setDescription(
      [
        "I help this channel learn together:",
        "• **/learn** — keep a learning journal, streaks, and export a Project Nexus portfolio",
        "• **/ask** — ask a question in a thread; **/answer** and **/accept** earn helpers reputation",
        "• **/pair** — pair backend learners with frontend learners to build together",
        "• **/challenge** — a daily backend challenge, with hints, submissions and streaks",
        "",
        "Admins: **/nexus setup** picks the channel, time zone and daily post time. **/nexus help** for more.",
      ].join("\n"),
    );
}

/**
 * On start and on joining a guild: if no channel is configured, adopt the one named NEXUS_CHANNEL and
 * post the welcome there once (the welcome flag is claimed in the store first, so never twice).
 */
export async function adoptAndWelcome(ctx: BotContext, guild: Guild): Promise<void> {
  const candidates = guild.channels.cache.map((channel) => ({
    id: channel.id,
    name: channel.name,
    isText: channel.type === ChannelType.GuildText,
  }));
  const adopted = await adoptChannel(ctx.store, ctx.clock, guild.id, candidates, ctx.config.nexusChannel);
  const config = await getGuildConfig(ctx.store, ctx.clock, guild.id);
  const channelId = adopted ?? config.channelId;
  if (adopted !== null) ctx.logger.info({ guild: guild.id, channel: adopted }, "adopted the Nexus channel");
  if (channelId === null) return;
  await welcomeOnce(ctx, guild, channelId);
}

export async function welcomeOnce(ctx: BotContext, guild: Guild, channelId: string): Promise<boolean> {
  const channel = guild.channels.cache.get(channelId);
  if (channel === undefined || !channel.isTextBased()) return false;
  if (!(await claimWelcome(ctx.store, ctx.clock, guild.id, channelId))) return false;
  try {
    await (channel as GuildTextBasedChannel).send({ embeds: [welcomeEmbed()] });
    return true;
  } catch (error) {
    ctx.logger.warn({ err: error, guild: guild.id, channel: channelId }, "could not post the welcome");
    return false;
  }
}

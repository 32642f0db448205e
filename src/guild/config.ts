import { z } from "zod";
import type { Clock } from "../clock.js";
import { UserError } from "../discord/errors.js";
import { quoted } from "../discord/text.js";
import { guildKey } from "../store/keys.js";
import type { Store } from "../store/store.js";
import { canonicalTimeZone, POST_TIME_PATTERN } from "../time.js";

export const DEFAULT_TIMEZONE = "UTC";
export const DEFAULT_POST_TIME = "09:00";

export const GuildConfigSchema = z.object({
  channelId: z.string().regex(/^\d+$/).nullable(),
  timezone: z.string().refine((tz) => canonicalTimeZone(tz) !== undefined, "unknown IANA time zone"),
  postTime: z.string().regex(POST_TIME_PATTERN),
  /** How the channel was chosen: adopted by name, or set by an admin. */
  channelSource: z.enum(["adopted", "setup"]).nullable().default(null),
  updatedAt: z.number().int().nonnegative(),
  updatedBy: z.string().nullable().default(null),
});
export type GuildConfig = z.output<typeof GuildConfigSchema>;

export const WelcomeSchema = z.object({
  channelId: z.string(),
  at: z.number().int(),
  /**
   * False from the claim until Discord confirms the post: a send it did not answer (a 5xx, a timeout) or a
   * process that died meanwhile leaves it false, and the post is looked for, then made (src/discord/adopt.ts).
   * A record from before this field was only written when posting began: taken as posted, never twice.
   */
  posted: z.boolean().default(true),
});
export type Welcome = z.output<typeof WelcomeSchema>;

export const guildConfigKey = (guildId: string) => guildKey(guildId, "config");
export const welcomeKey = (guildId: string) => guildKey(guildId, "welcomed");

export function defaultGuildConfig(now: number): GuildConfig {
  return {
    channelId: null,
    timezone: DEFAULT_TIMEZONE,
    postTime: DEFAULT_POST_TIME,
    channelSource: null,
    updatedAt: now,
    updatedBy: null,
  };
}

export async function getGuildConfig(store: Store, clock: Clock, guildId: string): Promise<GuildConfig> {
  return (await store.get(guildConfigKey(guildId), GuildConfigSchema)) ?? defaultGuildConfig(clock.now());
}

/** Validates a time zone name, returning its canonical spelling or a UserError naming the form. */
export function parseTimeZone(input: string): string {
  const tz = canonicalTimeZone(input);
  if (tz === undefined) {
    throw new UserError(
      `${quoted(input, 128)} is not a time zone I know. Use an IANA name such as \`Africa/Lagos\`, \`Europe/London\`, \`America/New_York\` or \`UTC\`.`,
    );
  }
  return tz;
}

/** Validates a daily time, "HH:MM" on a 24-hour clock (a single-digit hour is accepted: 9:00 → 09:00). */
export function parsePostTime(input: string): string {
  const trimmed = input.trim();
  const padded = /^\d:\d\d$/.test(trimmed) ? `0${trimmed}` : trimmed;
  if (!POST_TIME_PATTERN.test(padded)) {
    throw new UserError(
      `${quoted(input, 64)} is not a time. Use HH:MM on a 24-hour clock, for example \`09:00\` or \`18:30\`.`,
    );
  }
  return padded;
}

export type SetupInput = {
  channelId: string;
  timezone?: string | null;
  postTime?: string | null;
  by: string;
};

/** `/nexus setup`: validates everything first, then stores the new config in one write. */
export async function setupGuild(
  store: Store,
  clock: Clock,
  guildId: string,
  input: SetupInput,
): Promise<GuildConfig> {
  const timezone = input.timezone ? parseTimeZone(input.timezone) : undefined;
  const postTime = input.postTime ? parsePostTime(input.postTime) : undefined;
  const now = clock.now();
  const saved = await store.update(guildConfigKey(guildId), GuildConfigSchema, (current) => ({
    ...(current ?? defaultGuildConfig(now)),
    channelId: input.channelId,
    channelSource: "setup" as const,
    ...(timezone ? { timezone } : {}),
    ...(postTime ? { postTime } : {}),
    updatedAt: now,
    updatedBy: input.by,
  }));
  if (saved === undefined) throw new Error("config update returned nothing");
  return saved;
}

export type ChannelCandidate = { id: string; name: string; isText: boolean };

/**
 * When a guild has no channel configured, adopts the text channel named `nexusName`. Returns the
 * adopted channel id, or null when nothing was adopted (already configured or no such channel).
 */
export async function adoptChannel(
  store: Store,
  clock: Clock,
  guildId: string,
  channels: readonly ChannelCandidate[],
  nexusName: string,
): Promise<string | null> {
  const match = channels.find((channel) => channel.isText && channel.name === nexusName);
  if (match === undefined) return null;
  let adopted: string | null = null;
  await store.update(guildConfigKey(guildId), GuildConfigSchema, (current) => {
    if (current?.channelId) return current;
    adopted = match.id;
    return {
      ...(current ?? defaultGuildConfig(clock.now())),
      channelId: match.id,
      channelSource: "adopted" as const,
      updatedAt: clock.now(),
    };
  });
  return adopted;
}

/**
 * The configured channel was deleted: unsets it, so /nexus config says so, nothing is posted into the void,
 * and a channel named NEXUS_CHANNEL (or /nexus setup) can take its place. True when it was the configured one.
 */
export async function releaseChannel(
  store: Store,
  clock: Clock,
  guildId: string,
  channelId: string,
): Promise<boolean> {
  // Most deleted channels are not the Nexus one: those are answered without a write.
  if ((await getGuildConfig(store, clock, guildId)).channelId !== channelId) return false;
  let released = false;
  await store.update(guildConfigKey(guildId), GuildConfigSchema, (current) => {
    if (current === undefined || current.channelId !== channelId) return current;
    released = true;
    return { ...current, channelId: null, channelSource: null, updatedAt: clock.now() };
  });
  return released;
}

/**
 * Claims the guild's one welcome message. True exactly once per guild, even across restarts and
 * processes: the flag is created atomically before the message is sent (and given back only when Discord
 * refused the message, `releaseWelcome`), not posted until `markWelcomed`.
 */
export async function claimWelcome(
  store: Store,
  clock: Clock,
  guildId: string,
  channelId: string,
): Promise<boolean> {
  return store.claim(welcomeKey(guildId), WelcomeSchema, { channelId, at: clock.now(), posted: false });
}

/** The guild's welcome claim, undefined when there is none (never claimed, or given back). */
export async function getWelcome(store: Store, guildId: string): Promise<Welcome | undefined> {
  return store.get(welcomeKey(guildId), WelcomeSchema);
}

/**
 * An unconfirmed welcome not found where it was claimed, about to be posted in `channelId` now: the claim
 * follows it, so that if this post is not confirmed either, it is looked for where and when it was made
 * (not in the old channel, or among the first messages since the old claim: posted a second time).
 */
export async function moveWelcome(
  store: Store,
  clock: Clock,
  guildId: string,
  channelId: string,
): Promise<void> {
  await store.update(welcomeKey(guildId), WelcomeSchema, (current) =>
    current === undefined || current.posted ? current : { ...current, channelId, at: clock.now() },
  );
}

/** Discord confirmed the welcome (or it was found in `channelId`): it is never posted again. */
export async function markWelcomed(store: Store, guildId: string, channelId: string): Promise<void> {
  await store.update(welcomeKey(guildId), WelcomeSchema, (current) =>
    current === undefined ? current : { ...current, channelId, posted: true },
  );
}

/** Gives the welcome back when Discord refused it (it was never posted), so a later adoption or setup posts it. */
export async function releaseWelcome(store: Store, guildId: string): Promise<void> {
  await store.delete(welcomeKey(guildId));
}

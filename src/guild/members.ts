import { z } from "zod";
import type { Clock } from "../clock.js";
import { guildKey } from "../store/keys.js";
import type { Store } from "../store/store.js";
import { getGuildConfig, parseTimeZone } from "./config.js";

export const MemberSettingsSchema = z.object({
  timezone: z.string().nullable().default(null),
  updatedAt: z.number().int().nonnegative(),
});
export type MemberSettings = z.output<typeof MemberSettingsSchema>;

export const memberSettingsKey = (guildId: string, userId: string) => guildKey(guildId, "member", userId);

/** `/nexus timezone`: a member's own zone, used for their streaks and for pairing. */
export async function setMemberTimezone(
  store: Store,
  clock: Clock,
  guildId: string,
  userId: string,
  input: string,
): Promise<string> {
  const timezone = parseTimeZone(input);
  await store.update(memberSettingsKey(guildId, userId), MemberSettingsSchema, (current) => ({
    ...current,
    timezone,
    updatedAt: clock.now(),
  }));
  return timezone;
}

/**
 * The member's zone if they set one, otherwise the guild's. Both records are read at once: one round trip
 * (and under load one shared read statement) instead of two in a row for the many members without a zone
 * of their own.
 */
export async function memberTimezone(
  store: Store,
  clock: Clock,
  guildId: string,
  userId: string,
): Promise<string> {
  const zone = (await memberTimezones(store, clock, guildId, [userId])).get(userId);
  if (zone === undefined) throw new Error("memberTimezones answers for every member asked about");
  return zone;
}

/**
 * `memberTimezone` for many members at once (a batch of commands): each one's own zone, else the guild's,
 * all read together (one batched read statement on SQLite).
 */
export async function memberTimezones(
  store: Store,
  clock: Clock,
  guildId: string,
  userIds: readonly string[],
): Promise<Map<string, string>> {
  const [settings, config] = await Promise.all([
    store.getMany(
      userIds.map((id) => memberSettingsKey(guildId, id)),
      MemberSettingsSchema,
    ),
    getGuildConfig(store, clock, guildId),
  ]);
  return new Map(userIds.map((id, i) => [id, settings[i]?.timezone || config.timezone]));
}

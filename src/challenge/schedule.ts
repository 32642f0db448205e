import type { GuildConfig } from "../guild/config.js";
import { addDays, localDate, zonedInstant } from "../time.js";

export type ScheduleConfig = Pick<GuildConfig, "channelId" | "timezone" | "postTime">;

/**
 * The instant of the guild's post on its local `date`. A time the date does not have (a DST gap) moves
 * forward by the gap, as luxon does (01:30 → 02:30 BST); when that lands on the next date (a gap that
 * runs to midnight: America/Nuuk skips 23:00–24:00 on 2024-03-30), the post comes in the date's last
 * minute instead, so that every date has a post time the 30 s tick can see, like a 23:59 post time.
 */
export function postInstant(date: string, config: Pick<ScheduleConfig, "timezone" | "postTime">): number {
  const instant = zonedInstant(date, config.postTime, config.timezone);
  if (localDate(instant, config.timezone) === date) return instant;
  // Bisection over whole minutes: `on` stays on the date, `after` past it. The step is at least a minute,
  // so the search ends even for an offset that is not whole minutes (historical local mean times).
  let on = zonedInstant(date, "00:00", config.timezone);
  let after = instant;
  while (after - on > 60_000) {
    const mid = on + Math.max(1, Math.floor((after - on) / 120_000)) * 60_000;
    if (localDate(mid, config.timezone) === date) on = mid;
    else after = mid;
  }
  return on;
}

/**
 * Whether the guild's challenge for its local date at `now` is due: the guild has a channel, the local
 * post time has passed, and that date has not been claimed yet. Only the current local date is ever
 * due, so a bot that was down for days posts once, today, and never floods the missed days.
 */
export function isDue(now: number, config: ScheduleConfig, lastPostedDate: string | null): boolean {
  if (config.channelId === null) return false;
  const date = localDate(now, config.timezone);
  if (lastPostedDate !== null && lastPostedDate >= date) return false;
  return now >= postInstant(date, config);
}

/** The next post instant strictly after `now` for a guild whose last claimed date is `lastPostedDate`. */
export function nextPostAt(now: number, config: ScheduleConfig, lastPostedDate: string | null): number {
  const today = localDate(now, config.timezone);
  const todays = postInstant(today, config);
  if (todays > now && (lastPostedDate === null || lastPostedDate < today)) return todays;
  return postInstant(addDays(today, 1), config);
}

/**
 * Until when a claimed post for `date` that Discord has not confirmed is still looked for or sent after its
 * date is over: the next date's post time. After it, the next challenge is due and that post is stale (say
 * the bot was down for days): it is left alone, like a missed day.
 */
export function staleAfter(date: string, config: Pick<ScheduleConfig, "timezone" | "postTime">): number {
  return postInstant(addDays(date, 1), config);
}

export type GuildSchedule = { guildId: string; config: ScheduleConfig };

/**
 * The guilds whose challenge is due at `now`, each with the local date to claim. `lastPosted` maps a
 * guild to its last claimed local date (absent or null: never).
 */
export function dueGuilds(
  now: number,
  configs: readonly GuildSchedule[],
  lastPosted: ReadonlyMap<string, string | null>,
): Array<{ guildId: string; date: string }> {
  const due: Array<{ guildId: string; date: string }> = [];
  for (const { guildId, config } of configs) {
    if (isDue(now, config, lastPosted.get(guildId) ?? null)) {
      due.push({ guildId, date: localDate(now, config.timezone) });
    }
  }
  return due;
}

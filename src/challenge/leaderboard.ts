import type { APIEmbed } from "discord.js";
import type { Clock } from "../clock.js";
import { LIMITS, paginate } from "../discord/text.js";
import { getGuildConfig } from "../guild/config.js";
import type { Store } from "../store/store.js";
import { addDays, localDate } from "../time.js";
import { challengeKeys, StateSchema, SubsSchema, TotalsSchema } from "./records.js";

export type ChallengePeriod = "week" | "month" | "all";
export type LeaderboardRow = { userId: string; points: number };

/** Days a period covers, counted in the guild's local dates and including today. */
export const PERIOD_DAYS = { week: 7, month: 30 } as const;

/** Highest points first; ties by user id so the order is stable. */
function sortRows(points: ReadonlyMap<string, number>): LeaderboardRow[] {
  return [...points]
    .filter(([, total]) => total > 0)
    .map(([userId, total]) => ({ userId, points: total }))
    .sort((a, b) => b.points - a.points || a.userId.localeCompare(b.userId));
}

/**
 * Challenge points per member: `week` and `month` are the last 7 and 30 local days of the guild
 * (today included; a submission counts on its challenge's date), `all` is every point ever earned.
 * Every member with points, sorted.
 */
export async function challengeLeaderboard(
  store: Store,
  clock: Clock,
  guildId: string,
  period: ChallengePeriod,
): Promise<LeaderboardRow[]> {
  if (period === "all") {
    const totals = await store.get(challengeKeys.totals(guildId), TotalsSchema);
    if (totals !== undefined) return sortRows(new Map(Object.entries(totals.points)));
    // No totals: no submission yet, or the record was lost or damaged. The sum the next submission
    // writes back (src/challenge/learners.ts), made here read-only so the board is right meanwhile.
    const state = await store.get(challengeKeys.state(guildId), StateSchema);
    return sortRows(await pointsOn(store, guildId, state?.postedDates ?? []));
  }
  const [config, state] = await Promise.all([
    getGuildConfig(store, clock, guildId),
    store.get(challengeKeys.state(guildId), StateSchema),
  ]);
  const today = localDate(clock.now(), config.timezone);
  // After the server's zone moved west, the current challenge can be dated after today's local date: the
  // window ends with it, so its points are not left out until the local date catches up.
  const current = state?.current ?? null;
  const end = current !== null && current > today ? current : today;
  const dates = Array.from({ length: PERIOD_DAYS[period] }, (_, i) => addDays(end, -i));
  return sortRows(await pointsOn(store, guildId, dates));
}

/** Points per member summed over the submissions of the challenge days `dates` (local dates). */
export async function pointsOn(
  store: Store,
  guildId: string,
  dates: readonly string[],
): Promise<Map<string, number>> {
  const days = await store.getMany(
    dates.map((date) => challengeKeys.subs(guildId, date)),
    SubsSchema,
  );
  const points = new Map<string, number>();
  for (const day of days) {
    for (const entry of day?.entries ?? []) points.set(entry.u, (points.get(entry.u) ?? 0) + entry.p);
  }
  return points;
}

const PERIOD_TITLES: Record<ChallengePeriod, string> = {
  week: "Challenge leaderboard: last 7 days",
  month: "Challenge leaderboard: last 30 days",
  all: "Challenge leaderboard: all time",
};

/** An embed of the top `limit` rows (mentions in embeds never ping). */
export function formatChallengeLeaderboard(
  rows: readonly LeaderboardRow[],
  period: ChallengePeriod,
  limit = 10,
): APIEmbed {
  const lines = rows
    .slice(0, limit)
    .map((row, i) => `**${i + 1}.** <@${row.userId}> — ${row.points} point${row.points === 1 ? "" : "s"}`);
  const description =
    lines.length === 0
      ? "No points yet. Answer the daily challenge with `/challenge submit` to get on the board."
      : (paginate(lines, LIMITS.embedDescription)[0] ?? "");
  return {
    title: PERIOD_TITLES[period],
    description,
    color: 0x5865f2,
    footer: { text: "Points by the server's local day · /challenge streak for your own" },
  };
}

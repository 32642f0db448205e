import type { Clock } from "../clock.js";
import type { Store } from "../store/store.js";
import type { Entry } from "./records.js";
import { guildEntries } from "./snapshot.js";

export const WEEK_MS = 7 * 86_400_000;
export const TOP_TOPICS = 5;

export type WeekCounts = { entries: number; learners: number };

export type WeeklyStats = WeekCounts & {
  from: number;
  to: number;
  topTopics: Array<{ topic: string; count: number }>;
  kinds: Record<Entry["kind"], number>;
  previous: WeekCounts;
};

/** Pure: the rolling week ending at `now` (and the week before it, for comparison). */
export function summarizeWeek(entries: Iterable<Entry>, now: number): WeeklyStats {
  const from = now - WEEK_MS;
  const before = from - WEEK_MS;
  const learners = new Set<string>();
  const previousLearners = new Set<string>();
  const topics = new Map<string, number>();
  const kinds: WeeklyStats["kinds"] = { learning: 0, challenge: 0, solution: 0, "best-practice": 0 };
  let count = 0;
  let previous = 0;
  for (const entry of entries) {
    if (entry.createdAt > now) continue;
    if (entry.createdAt > from) {
      count += 1;
      learners.add(entry.authorId);
      topics.set(entry.topic, (topics.get(entry.topic) ?? 0) + 1);
      kinds[entry.kind] += 1;
    } else if (entry.createdAt > before) {
      previous += 1;
      previousLearners.add(entry.authorId);
    }
  }
  const topTopics = [...topics]
    .map(([topic, n]) => ({ topic, count: n }))
    .sort((a, b) => b.count - a.count || a.topic.localeCompare(b.topic))
    .slice(0, TOP_TOPICS);
  return {
    from,
    to: now,
    entries: count,
    learners: learners.size,
    topTopics,
    kinds,
    previous: { entries: previous, learners: previousLearners.size },
  };
}

/**
 * `/learn stats`: the guild's last 7 days (a rolling window ending now): entries, active learners,
 * top topics. Private entries count (their text is never shown here).
 */
export async function weeklyStats(store: Store, clock: Clock, guildId: string): Promise<WeeklyStats> {
  return summarizeWeek(await guildEntries(store, guildId), clock.now());
}

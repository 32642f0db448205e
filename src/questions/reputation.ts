import { z } from "zod";
import type { Clock } from "../clock.js";
import type { Store } from "../store/store.js";
import {
  ACCEPT_POINTS,
  chunkOf,
  chunksUpTo,
  keys,
  type MemberRep,
  MemberRepSchema,
  MetaSchema,
  type RepEvent,
  RepLogChunkSchema,
} from "./schema.js";

/**
 * Reputation is an event log per guild (who, points, at, question), chunked by question number, plus a
 * per-member running total for a fast `/reputation`. An accepted answer appends one event; accepting
 * another answer marks that event revoked and appends a new one, so the credit moves and never doubles.
 * Every change here runs inside the caller's guild lock, together with the question's update.
 */

export const Period = z.enum(["week", "month", "all"]);
export type Period = z.output<typeof Period>;

const DAY_MS = 24 * 60 * 60 * 1000;
/** Rolling windows: the last 7 or 30 days, the same for everyone whatever their time zone. */
export const PERIOD_MS: Record<Exclude<Period, "all">, number> = { week: 7 * DAY_MS, month: 30 * DAY_MS };

export function periodStart(period: Period, now: number): number {
  return period === "all" ? 0 : now - PERIOD_MS[period];
}

async function adjustTotal(
  store: Store,
  clock: Clock,
  guildId: string,
  userId: string,
  points: number,
  accepted: number,
): Promise<void> {
  await store.update(keys.memberRep(guildId, userId), MemberRepSchema, (current) => ({
    points: (current?.points ?? 0) + points,
    accepted: Math.max(0, (current?.accepted ?? 0) + accepted),
    updatedAt: clock.now(),
  }));
}

/** Credits `userId` for the accepted answer `answerNumber` of question `questionNumber`. Inside the lock. */
export async function creditAnswer(
  store: Store,
  clock: Clock,
  guildId: string,
  credit: { questionNumber: number; answerNumber: number; userId: string },
): Promise<RepEvent> {
  const event: RepEvent = {
    userId: credit.userId,
    points: ACCEPT_POINTS,
    at: clock.now(),
    questionNumber: credit.questionNumber,
    answerNumber: credit.answerNumber,
    revokedAt: null,
  };
  await store.update(keys.repLog(guildId, chunkOf(credit.questionNumber)), RepLogChunkSchema, (current) => ({
    events: [...(current?.events ?? []), event],
  }));
  await adjustTotal(store, clock, guildId, event.userId, event.points, 1);
  return event;
}

/** Revokes the live credit of a question (if any), taking its points back. Inside the lock. */
export async function revokeCredit(
  store: Store,
  clock: Clock,
  guildId: string,
  questionNumber: number,
): Promise<RepEvent[]> {
  const revoked: RepEvent[] = [];
  const now = clock.now();
  await store.update(keys.repLog(guildId, chunkOf(questionNumber)), RepLogChunkSchema, (current) => {
    if (current === undefined) return undefined;
    return {
      events: current.events.map((event) => {
        if (event.questionNumber !== questionNumber || event.revokedAt !== null) return event;
        const next = { ...event, revokedAt: now };
        revoked.push(next);
        return next;
      }),
    };
  });
  for (const event of revoked) await adjustTotal(store, clock, guildId, event.userId, -event.points, -1);
  return revoked;
}

export type MemberReputation = { points: number; accepted: number };

/** `/reputation`: the member's running total (one read). */
export async function memberReputation(
  store: Store,
  guildId: string,
  userId: string,
): Promise<MemberReputation> {
  const record: MemberRep | undefined = await store.get(keys.memberRep(guildId, userId), MemberRepSchema);
  return { points: record?.points ?? 0, accepted: record?.accepted ?? 0 };
}

export async function readRepLog(store: Store, guildId: string): Promise<RepEvent[]> {
  const meta = await store.get(keys.meta(guildId), MetaSchema);
  const records = await store.getMany(
    chunksUpTo(meta?.lastNumber ?? 0).map((chunk) => keys.repLog(guildId, chunk)),
    RepLogChunkSchema,
  );
  return records.flatMap((record) => record?.events ?? []);
}

export type BoardRow = { userId: string; points: number; accepted: number };

/**
 * Sums live (not revoked) events at or after `since` per member, highest first; ties go to more
 * accepted answers, then to the member who reached the score first, then by id. Members at 0 are left out.
 */
export function tally(events: readonly RepEvent[], since: number): BoardRow[] {
  const rows = new Map<string, BoardRow & { last: number }>();
  for (const event of events) {
    if (event.revokedAt !== null || event.at < since) continue;
    const row = rows.get(event.userId) ?? { userId: event.userId, points: 0, accepted: 0, last: 0 };
    row.points += event.points;
    row.accepted += 1;
    row.last = Math.max(row.last, event.at);
    rows.set(event.userId, row);
  }
  return [...rows.values()]
    .filter((row) => row.points > 0)
    .sort(
      (a, b) =>
        b.points - a.points || b.accepted - a.accepted || a.last - b.last || a.userId.localeCompare(b.userId),
    )
    .map(({ userId, points, accepted }) => ({ userId, points, accepted }));
}

export type Board = { period: Period; since: number; rows: BoardRow[]; total: number };

/** `/leaderboard reputation`: the top `limit` members of the period, and where `userId` stands. */
export async function reputationBoard(
  store: Store,
  clock: Clock,
  guildId: string,
  period: Period,
  options: { limit?: number; userId?: string } = {},
): Promise<Board & { you: { rank: number; row: BoardRow } | null }> {
  const since = periodStart(period, clock.now());
  const all = tally(await readRepLog(store, guildId), since);
  const index = options.userId === undefined ? -1 : all.findIndex((row) => row.userId === options.userId);
  const row = all[index];
  const you = row === undefined ? null : { rank: index + 1, row };
  return { period, since, rows: all.slice(0, options.limit ?? 10), total: all.length, you };
}

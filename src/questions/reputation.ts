import { z } from "zod";
import type { Clock } from "../clock.js";
import type { Store } from "../store/store.js";
import { readIndex, readMeta } from "./catalog.js";
import {
  ACCEPT_POINTS,
  CHUNK_SIZE,
  chunkOf,
  chunksUpTo,
  keys,
  type MemberRep,
  MemberRepSchema,
  QuestionSchema,
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

/**
 * Moves a member's running total by one credit, after the log has recorded it (same section). A total
 * that is absent (the member's first credit) or damaged (moved aside by `update`) is summed from the
 * member's live events in the log instead, which already hold this change: a damaged total heals at the
 * member's next credit or revocation instead of restarting from 0.
 */
async function adjustTotal(
  store: Store,
  clock: Clock,
  guildId: string,
  userId: string,
  points: number,
  accepted: number,
): Promise<void> {
  await store.update(keys.memberRep(guildId, userId), MemberRepSchema, async (current) => {
    if (current === undefined) {
      const [row] = tally(
        (await readRepLog(store, guildId)).filter((event) => event.userId === userId),
        0,
      );
      return { points: row?.points ?? 0, accepted: row?.accepted ?? 0, updatedAt: clock.now() };
    }
    return {
      points: current.points + points,
      accepted: Math.max(0, current.accepted + accepted),
      updatedAt: clock.now(),
    };
  });
}

// ——— recovery ———
//
// Each question record keeps its accepted answer and who was credited for it, so the live events of a
// log chunk that is lost or damaged can be rebuilt from the records (revoked events are not: they no
// longer count). A chunk is legitimately absent until the first credited answer among its questions.

/** The live events of the questions `numbers`, rebuilt from their records. */
async function eventsOf(store: Store, guildId: string, numbers: readonly number[]): Promise<RepEvent[]> {
  const questions = await store.getMany(
    numbers.map((n) => keys.question(guildId, n)),
    QuestionSchema,
  );
  const events: RepEvent[] = [];
  for (const question of questions) {
    const accepted = question?.accepted;
    if (question === undefined || !accepted || accepted.creditedTo === null) continue;
    events.push({
      userId: accepted.creditedTo,
      points: ACCEPT_POINTS,
      at: accepted.at,
      questionNumber: question.number,
      answerNumber: accepted.answer,
      revokedAt: null,
    });
  }
  return events.sort((a, b) => a.at - b.at || a.questionNumber - b.questionNumber);
}

/** The events of a chunk that is absent or damaged, rebuilt from every question it covers. Inside the lock. */
async function rebuildLogChunk(store: Store, guildId: string, chunk: number): Promise<RepEvent[]> {
  const { lastNumber } = await readMeta(store, guildId);
  const first = Math.max(1, chunk * CHUNK_SIZE);
  const last = Math.min(lastNumber, (chunk + 1) * CHUNK_SIZE - 1);
  if (last < first) return [];
  return eventsOf(
    store,
    guildId,
    Array.from({ length: last - first + 1 }, (_, i) => first + i),
  );
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
  const chunk = chunkOf(credit.questionNumber);
  await store.update(keys.repLog(guildId, chunk), RepLogChunkSchema, async (current) => {
    // The question being credited holds its previous accept until saved: revokeCredit settled that one.
    const base =
      current?.events ??
      (await rebuildLogChunk(store, guildId, chunk)).filter(
        (e) => e.questionNumber !== credit.questionNumber,
      );
    return { events: [...base, event] };
  });
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
  const chunk = chunkOf(questionNumber);
  await store.update(keys.repLog(guildId, chunk), RepLogChunkSchema, async (current) => {
    const events = current?.events ?? (await rebuildLogChunk(store, guildId, chunk));
    if (events.length === 0) return current;
    return {
      events: events.map((event) => {
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

/**
 * `/reputation`: the member's running total (one read). A total that is absent (no credit yet, or lost)
 * or damaged is summed from the log instead, as the leaderboard does, so it never shows 0 for points the
 * member has; the next credit or revocation writes it back (adjustTotal).
 */
export async function memberReputation(
  store: Store,
  guildId: string,
  userId: string,
): Promise<MemberReputation> {
  const record: MemberRep | undefined = await store.get(keys.memberRep(guildId, userId), MemberRepSchema);
  if (record !== undefined) return { points: record.points, accepted: record.accepted };
  const [row] = tally(
    (await readRepLog(store, guildId)).filter((event) => event.userId === userId),
    0,
  );
  return { points: row?.points ?? 0, accepted: row?.accepted ?? 0 };
}

/**
 * Every event of the guild. A chunk that is absent although one of its questions was accepted (solved,
 * or solved then deleted) is lost or damaged: its live events are rebuilt from those question records.
 */
export async function readRepLog(store: Store, guildId: string): Promise<RepEvent[]> {
  const { lastNumber } = await readMeta(store, guildId);
  const chunks = chunksUpTo(lastNumber);
  const records = await store.getMany(
    chunks.map((chunk) => keys.repLog(guildId, chunk)),
    RepLogChunkSchema,
  );
  const missing = new Set(chunks.filter((_, i) => records[i] === undefined));
  let rebuilt: RepEvent[] = [];
  if (missing.size > 0) {
    const accepted = (await readIndex(store, guildId))
      .filter((entry) => entry.status !== "open" && missing.has(chunkOf(entry.n)))
      .map((entry) => entry.n);
    if (accepted.length > 0) rebuilt = await eventsOf(store, guildId, accepted);
  }
  return [...records.flatMap((record) => record?.events ?? []), ...rebuilt];
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

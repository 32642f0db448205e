import { z } from "zod";
import { type Clock, systemClock } from "../clock.js";
import { guildKey } from "../store/keys.js";
import { lastInSequence } from "../store/probe.js";
import { wholeNumberMap } from "../store/schemas.js";
import type { Store } from "../store/store.js";
import { addDays, localDate } from "../time.js";
import { ChallengeSchema } from "./bank.js";

/**
 * Record kinds of the daily challenge and their keys, all under `guild:{id}:challenge:…`:
 *
 * | key                                   | record            |
 * | ------------------------------------- | ----------------- |
 * | challenge:state                       | ChallengeState    |
 * | challenge:settings                    | ChallengeSettings |
 * | challenge:day:{date}                  | Day (the claim)   |
 * | challenge:skip:{date}:{version}       | SkipClaim         |
 * | challenge:out:{date}:hint:{version}   | Delivery          |
 * | challenge:out:{date}:reveal           | Delivery          |
 * | challenge:try:{date}:{what}:{n}       | Takeover          |
 * | challenge:custom:{n}                  | CustomChallenge   |
 * | challenge:entry:{date}:{userId}       | Entry             |
 * | challenge:subs:{date}                 | Submissions index |
 * | challenge:member:{userId}             | MemberStats       |
 * | challenge:totals                      | Totals            |
 */
export const challengeKeys = {
  state: (guildId: string) => guildKey(guildId, "challenge", "state"),
  settings: (guildId: string) => guildKey(guildId, "challenge", "settings"),
  day: (guildId: string, date: string) => guildKey(guildId, "challenge", "day", date),
  skip: (guildId: string, date: string, version: number) =>
    guildKey(guildId, "challenge", "skip", date, version),
  hint: (guildId: string, date: string, version: number) =>
    guildKey(guildId, "challenge", "out", date, "hint", version),
  reveal: (guildId: string, date: string) => guildKey(guildId, "challenge", "out", date, "reveal"),
  takeover: (guildId: string, date: string, what: string, n: number) =>
    guildKey(guildId, "challenge", "try", date, what, n),
  custom: (guildId: string, n: number) => guildKey(guildId, "challenge", "custom", n),
  entry: (guildId: string, date: string, userId: string) =>
    guildKey(guildId, "challenge", "entry", date, userId),
  subs: (guildId: string, date: string) => guildKey(guildId, "challenge", "subs", date),
  member: (guildId: string, userId: string) => guildKey(guildId, "challenge", "member", userId),
  totals: (guildId: string) => guildKey(guildId, "challenge", "totals"),
};

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const ms = z.number().int().nonnegative();
const snowflake = z.string().regex(/^\d{1,20}$/);

/**
 * One message Nexus must send exactly once. `claimed` is written (atomically) before the send, `posted`
 * with the message id after it; the nonce is deterministic so a resend after a crash is deduplicated by
 * Discord, and the marker (the embed footer) finds the message in the channel when the nonce window is over.
 */
export const DeliverySchema = z.object({
  state: z.enum(["claimed", "posted"]),
  nonce: z.string().min(1).max(25),
  marker: z.string().min(1).max(200),
  channelId: snowflake,
  /** When this message was first claimed: the start of Discord's nonce window. */
  claimedAt: ms,
  /** The scheduler (process run) currently responsible for the send. */
  owner: z.string().min(1).max(64),
  /** When the current owner started its attempt; an old attempt without a result is presumed dead. */
  attemptAt: ms,
  /** Number of takeovers (each one claimed atomically under challenge:try:…). */
  tries: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative().default(0),
  /**
   * Attempts begun in `channelId` (the claim and each takeover) and how many of them ended having created
   * nothing there (Discord refused the send, or no send was made). Equal: no message of this delivery can
   * be in `channelId`, so a post may follow a new channel setting without a search. Records from before
   * these fields read as one attempt of unknown outcome.
   */
  attempts: z.number().int().nonnegative().default(1),
  unsent: z.number().int().nonnegative().default(0),
  messageId: snowflake.nullable(),
  threadId: snowflake.nullable(),
  postedAt: ms.nullable(),
});
export type Delivery = z.output<typeof DeliverySchema>;

/** The day's claim: which challenge is current for the guild's local date, and its post's delivery. */
export const DaySchema = z.object({
  date,
  /** 0 for the scheduled post, +1 for each /challenge skip. */
  version: z.number().int().nonnegative(),
  challenge: ChallengeSchema,
  source: z.enum(["bank", "custom"]),
  /** The bank cycle the challenge was drawn in (no repeats within a cycle). */
  cycle: z.number().int().nonnegative(),
  post: DeliverySchema,
  /** When the first hint was released to everyone (marked before it is sent), null before. */
  hintReleasedAt: ms.nullable(),
  replaced: z
    .array(z.object({ challengeId: z.string(), messageId: snowflake.nullable() }))
    .max(50)
    .default([]),
});
export type Day = z.output<typeof DaySchema>;

export const StateSchema = z.object({
  /** Bank cycle number and the bank ids used in it. */
  cycle: z.number().int().nonnegative().default(0),
  used: z.array(z.string()).default([]),
  /** Custom challenge numbers waiting, first is next. */
  queue: z.array(z.number().int().positive()).default([]),
  customSeq: z.number().int().nonnegative().default(0),
  /** The latest claimed date (a cache; the day record is the truth). */
  lastDate: date.nullable().default(null),
  /** The challenge members work on now (latest posted day) and the one before it (to reveal). */
  current: date.nullable().default(null),
  previous: date.nullable().default(null),
  /** Dates that had a challenge posted, oldest first (the last 400): streaks count these days only. */
  postedDates: z.array(date).default([]),
});
export type ChallengeState = z.output<typeof StateSchema>;

export const DEFAULT_HINT_DELAY_HOURS = 6;

export const SettingsSchema = z.object({
  hintDelayHours: z.number().int().min(0).max(23).default(DEFAULT_HINT_DELAY_HOURS),
  updatedAt: ms,
  updatedBy: z.string().nullable().default(null),
});
export type ChallengeSettings = z.output<typeof SettingsSchema>;

export const SkipClaimSchema = z.object({ by: z.string(), at: ms });
export const TakeoverSchema = z.object({ owner: z.string(), at: ms });

export const CustomChallengeSchema = ChallengeSchema.extend({
  addedBy: z.string(),
  addedAt: ms,
});
export type CustomChallenge = z.output<typeof CustomChallengeSchema>;

/** One member's work on one day's challenge: hints taken early and the (hidden) submission. */
export const EntrySchema = z.object({
  /**
   * The day's version (its challenge) this entry is for: after a `/challenge skip` an entry of the
   * replaced challenge reads as no entry (learners.ts `entryFor`). Absent in older records: told by the
   * time of its answer (`entryFor`), as they were written for the replacement too.
   */
  version: z.number().int().nonnegative().optional(),
  /** Hints unlocked personally (counting from hint 1) and how many of them were taken early. */
  unlocked: z.number().int().min(0).max(3).default(0),
  earlyHints: z.number().int().min(0).max(3).default(0),
  answer: z.string().max(2000).nullable().default(null),
  submittedAt: ms.nullable().default(null),
  editedAt: ms.nullable().default(null),
  points: z.number().int().nonnegative().default(0),
});
export type Entry = z.output<typeof EntrySchema>;

/**
 * Compact per-day index of submissions to the day's current challenge (emptied by `/challenge skip`):
 * the reveal's count, the week/month leaderboards, and what a skip takes back. `b` is the member's best
 * streak before that day's submission (absent in older records).
 */
export const SubsSchema = z.object({
  entries: z
    .array(
      z.object({
        u: z.string(),
        p: z.number().int().nonnegative(),
        b: z.number().int().nonnegative().optional(),
      }),
    )
    .default([]),
});
export type Subs = z.output<typeof SubsSchema>;

export const MemberStatsSchema = z.object({
  /** Challenge dates the member submitted for, oldest first (the last 400). */
  dates: z.array(date).default([]),
  best: z.number().int().nonnegative().default(0),
  points: z.number().int().nonnegative().default(0),
  submissions: z.number().int().nonnegative().default(0),
  /**
   * Her streak as of her latest answered date, counted when she answered it: it carries streaks past the
   * dates kept. Absent in older records (streaks are then counted within the dates kept).
   */
  run: z.object({ date, n: z.number().int().positive() }).optional(),
});
export type MemberStats = z.output<typeof MemberStatsSchema>;

export const TotalsSchema = z.object({
  /** Member id → all-time points (read and written on every submission, under the guild lock). */
  points: wholeNumberMap({ min: 0, message: "expected member ids → whole points" }).default(() => ({})),
});

export const KEEP_DATES = 400;

/** The queue never holds more custom challenges than this (`/challenge add` refuses more). */
export const MAX_QUEUE = 100;

/**
 * The guild's state; when it is absent (no challenge yet) or damaged, rebuilt from the records it
 * caches (`recoverState`). `clock` dates the rebuild only; read paths without one use the system clock.
 */
export async function getState(
  store: Store,
  guildId: string,
  clock: Clock = systemClock,
): Promise<ChallengeState> {
  return (await store.get(challengeKeys.state(guildId), StateSchema)) ?? recoverState(store, clock, guildId);
}

/**
 * Saves a rebuilt state when the record is absent or damaged (`store.update` copies a damaged one aside
 * under `quarantine:…` first), so reads stop rebuilding it. The scheduler's tick calls this for every
 * configured guild. Returns the state.
 */
export async function repairState(store: Store, clock: Clock, guildId: string): Promise<ChallengeState> {
  const stored = await store.get(challengeKeys.state(guildId), StateSchema);
  if (stored !== undefined) return stored;
  const saved = await store.update(
    challengeKeys.state(guildId),
    StateSchema,
    async (current) => current ?? (await recoverState(store, clock, guildId)),
  );
  return saved ?? StateSchema.parse({});
}

/**
 * The state rebuilt from the records it caches, after it was lost or failed its schema. Read-only.
 * - `customSeq`: the highest custom challenge record (src/store/probe.ts; they are never deleted), so
 *   `/challenge add` never overwrites one.
 * - From the day records of the last KEEP_DATES dates (one `getMany`; from tomorrow in UTC, the guild's
 *   local date in the furthest-ahead zone): `postedDates` (streaks), `current` and `previous` (the latest
 *   two posted days: today's challenge, the reveal), `lastDate`, and the bank `cycle` with the ids used in
 *   it (no repeats; a cycle older than the window may repeat a challenge, which is harmless).
 * - `queue`: custom challenges are drawn first and in order, so one is still waiting iff it is newer than
 *   every custom challenge a day drew and was added at or after the latest bank draw (at a bank draw the
 *   queue was empty). The newest MAX_QUEUE at most.
 */
export async function recoverState(store: Store, clock: Clock, guildId: string): Promise<ChallengeState> {
  const newest = addDays(localDate(clock.now(), "UTC"), 1);
  const dates = Array.from({ length: KEEP_DATES + 1 }, (_, i) => addDays(newest, -KEEP_DATES + i));
  const [customSeq, found] = await Promise.all([
    lastInSequence(store, (n) => challengeKeys.custom(guildId, n)),
    store.getMany(
      dates.map((date) => challengeKeys.day(guildId, date)),
      DaySchema,
    ),
  ]);
  const days = found.filter((day) => day !== undefined).sort((a, b) => a.date.localeCompare(b.date));
  const posted = days.filter((day) => day.post.state === "posted").map((day) => day.date);
  const cycle = Math.max(0, ...days.map((day) => day.cycle));
  const used = new Set<string>();
  let lastCustom = 0;
  let lastBankDraw = -1;
  for (const day of days) {
    const drawn = [day.challenge.id, ...day.replaced.map((replaced) => replaced.challengeId)];
    for (const id of drawn) {
      const custom = /^custom-(\d+)$/.exec(id)?.[1];
      if (custom !== undefined) lastCustom = Math.max(lastCustom, Number(custom));
      else if (day.cycle === cycle) used.add(id);
    }
    if (day.source === "bank") lastBankDraw = Math.max(lastBankDraw, day.post.claimedAt);
  }
  const first = Math.max(lastCustom, customSeq - MAX_QUEUE) + 1;
  const candidates = Array.from({ length: Math.max(0, customSeq - first + 1) }, (_, i) => first + i);
  const customs = await store.getMany(
    candidates.map((n) => challengeKeys.custom(guildId, n)),
    CustomChallengeSchema,
  );
  return StateSchema.parse({
    cycle,
    used: [...used],
    queue: candidates.filter((_, i) => {
      const custom = customs[i];
      return custom !== undefined && custom.addedAt >= lastBankDraw;
    }),
    customSeq,
    lastDate: days.at(-1)?.date ?? null,
    current: posted.at(-1) ?? null,
    previous: posted.at(-2) ?? null,
    postedDates: posted.slice(-KEEP_DATES),
  });
}

export async function getSettings(store: Store, clock: Clock, guildId: string): Promise<ChallengeSettings> {
  return (
    (await store.get(challengeKeys.settings(guildId), SettingsSchema)) ??
    SettingsSchema.parse({ updatedAt: clock.now() })
  );
}

/** Appends a date to a sorted, bounded list of dates (idempotent). */
export function withDate(dates: readonly string[], value: string): string[] {
  if (dates.includes(value)) return [...dates];
  return [...dates, value].sort().slice(-KEEP_DATES);
}

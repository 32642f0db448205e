import { z } from "zod";
import { type Clock, systemClock } from "../clock.js";
import { UserError } from "../discord/errors.js";
import { getGuildConfig } from "../guild/config.js";
import type { Store } from "../store/store.js";
import { localDate } from "../time.js";
import { type Difficulty, parseCustomChallenge } from "./bank.js";
import { pointsOn } from "./leaderboard.js";
import {
  type ChallengeSettings,
  type ChallengeState,
  CustomChallengeSchema,
  challengeKeys,
  type Day,
  DaySchema,
  type Entry,
  EntrySchema,
  getState,
  MAX_QUEUE,
  type MemberStats,
  MemberStatsSchema,
  SettingsSchema,
  StateSchema,
  SubsSchema,
  TotalsSchema,
  withDate,
} from "./records.js";
import { nextPostAt, staleAfter } from "./schedule.js";

/**
 * Points: a submission is worth its difficulty's base (easy 10, medium 20, hard 30); each hint taken
 * early with `/challenge hint early:true` (before it is released to everyone) costs a quarter of that,
 * down to a floor of 1, also when taken after submitting. Points are set by the latest submission or edit
 * (and lowered by such a hint), and belong to the challenge's local date in the guild's time zone.
 */
export const BASE_POINTS: Record<Difficulty, number> = { easy: 10, medium: 20, hard: 30 };
export const EARLY_HINT_COST = 0.25;
export const MAX_ANSWER = 2000;
export { MAX_QUEUE };

export function challengePoints(difficulty: Difficulty, earlyHints: number): number {
  return Math.max(1, Math.round(BASE_POINTS[difficulty] * (1 - EARLY_HINT_COST * earlyHints)));
}

const AnswerSchema = z
  .string()
  .trim()
  .min(1, "Your answer is empty: write it in the `answer` option.")
  .max(MAX_ANSWER, `Your answer is too long: the limit is ${MAX_ANSWER.toLocaleString("en-US")} characters.`);

/** Hints released to everyone so far (the first one, once the job has released it). */
export function publicHints(day: Pick<Day, "hintReleasedAt">): number {
  return day.hintReleasedAt === null ? 0 : 1;
}

/**
 * Consecutive challenge days (newest first) the member answered; an unanswered current day does not break
 * it. `run` (MemberStats): her streak as of a day she answered, which carries it past the dates kept.
 */
export function streakOf(
  memberDates: readonly string[],
  postedDates: readonly string[],
  current: string | null,
  run?: MemberStats["run"],
): number {
  const done = new Set(memberDates);
  let streak = 0;
  for (let i = postedDates.length - 1; i >= 0; i -= 1) {
    const date = postedDates[i];
    if (date === undefined) break;
    if (done.has(date) && date === run?.date) return streak + run.n;
    if (done.has(date)) streak += 1;
    else if (date === current && streak === 0) continue;
    else break;
  }
  return streak;
}

/** The day members work on now: the latest posted challenge (until the next one reveals it). */
async function currentDay(store: Store, clock: Clock, guildId: string): Promise<Day | undefined> {
  const state = await getState(store, guildId, clock);
  if (state.current === null) return undefined;
  const day = await store.get(challengeKeys.day(guildId, state.current), DaySchema);
  return day?.post.state === "posted" ? day : undefined;
}

export type MemberView = {
  day: Day;
  /** The hints this member can see (released to everyone, plus any taken early). */
  hints: string[];
  hintsLeft: number;
  submitted: boolean;
  /** What a submission (or edit) is worth now. */
  points: number;
  earlyHints: number;
};

/**
 * A member's entry for `day`'s challenge: one kept from a challenge `/challenge skip` replaced is none. An
 * entry from before entries carried a version is the current challenge's when its answer was last written
 * after the current post was claimed: read as the replaced one's, its author's answer to the replacement
 * would be hers to submit (and be credited for) a second time.
 */
function entryFor(day: Day, entry: Entry | undefined): Entry | undefined {
  if (entry === undefined) return undefined;
  const answeredAt = entry.editedAt ?? entry.submittedAt;
  const version =
    entry.version ?? (answeredAt !== null && answeredAt >= day.post.claimedAt ? day.version : 0);
  return version === day.version ? entry : undefined;
}

function viewOf(day: Day, entry: Entry | undefined): MemberView {
  const visible = Math.min(day.challenge.hints.length, Math.max(publicHints(day), entry?.unlocked ?? 0));
  const earlyHints = entry?.earlyHints ?? 0;
  return {
    day,
    hints: day.challenge.hints.slice(0, visible),
    hintsLeft: day.challenge.hints.length - visible,
    submitted: entry?.submittedAt != null,
    points: challengePoints(day.challenge.difficulty, earlyHints),
    earlyHints,
  };
}

/**
 * No challenge is open: `pending` says one is on its way, Discord not having taken it yet (the scheduler
 * retries it): today's post, or the replacement of a `/challenge skip` (the replaced one is withdrawn).
 */
export type NoChallenge = {
  day: null;
  nextPostAt: number | null;
  pending: "post" | "replacement" | null;
};

/** `/challenge today`: the current challenge as this member sees it, or when the next one comes. */
export async function todayView(
  store: Store,
  clock: Clock,
  guildId: string,
  userId: string,
): Promise<MemberView | NoChallenge> {
  const day = await currentDay(store, clock, guildId);
  if (day === undefined) {
    const config = await getGuildConfig(store, clock, guildId);
    const state = await getState(store, guildId, clock);
    if (config.channelId === null) return { day: null, nextPostAt: null, pending: null };
    // The latest claimed day, unless it is out already; a past date's post is only looked for now, but a
    // replacement is retried until the next date's post time (post.ts `recoverPast`).
    const latest =
      state.lastDate === null
        ? undefined
        : await store.get(challengeKeys.day(guildId, state.lastDate), DaySchema);
    const pending =
      latest === undefined || latest.post.state === "posted"
        ? null
        : latest.version > 0
          ? clock.now() < staleAfter(latest.date, config)
            ? "replacement"
            : null
          : latest.date >= localDate(clock.now(), config.timezone)
            ? "post"
            : null;
    return { day: null, nextPostAt: nextPostAt(clock.now(), config, state.lastDate), pending };
  }
  const entry = await store.get(challengeKeys.entry(guildId, day.date, userId), EntrySchema);
  return viewOf(day, entryFor(day, entry));
}

/**
 * `/challenge hint`: the hints released so far, plus those this member took early. With `early`, the
 * next hint is unlocked for this member now, for fewer points (see `challengePoints`).
 */
export async function takeHint(
  store: Store,
  clock: Clock,
  guildId: string,
  userId: string,
  early: boolean,
): Promise<MemberView & { unlocked: number | null }> {
  return store.locked(guildId, async (store) => {
    const day = await currentDay(store, clock, guildId);
    if (day === undefined) throw new UserError("There is no challenge to give hints for yet.");
    const key = challengeKeys.entry(guildId, day.date, userId);
    const entry = entryFor(day, await store.get(key, EntrySchema));
    const view = viewOf(day, entry);
    if (!early) return { ...view, unlocked: null };
    if (view.hintsLeft === 0) {
      throw new UserError(
        `You can already see every hint (${day.challenge.hints.length}) for this challenge.`,
      );
    }
    const unlocked = view.hints.length + 1;
    let delta = 0;
    const saved = await store.update(key, EntrySchema, (stored) => {
      const current = EntrySchema.parse(entryFor(day, stored) ?? {});
      const earlyHints = Math.min(3, current.earlyHints + 1);
      // Taken after submitting, a hint costs what it costs before: the submission is worth less now.
      const points =
        current.submittedAt === null ? current.points : challengePoints(day.challenge.difficulty, earlyHints);
      delta = points - current.points;
      return { ...current, version: day.version, unlocked, earlyHints, points };
    });
    if (saved !== undefined && delta !== 0) {
      // The rest of what her points count in, updated as an edit of the submission updates it.
      const state = await getState(store, guildId, clock);
      await creditSubmission(store, guildId, state, day, userId, {
        points: saved.points,
        delta,
        edited: true,
        bestBefore: undefined,
      });
    }
    return { ...viewOf(day, saved), unlocked };
  });
}

export type SubmitResult = { date: string; title: string; edited: boolean; points: number };

/**
 * `/challenge submit`: one submission per member per challenge day, replaced by a later one until the
 * reveal (when the next challenge is posted). Kept hidden; only the count is revealed.
 */
export async function submitAnswer(
  store: Store,
  clock: Clock,
  guildId: string,
  userId: string,
  input: string,
): Promise<SubmitResult> {
  const parsed = AnswerSchema.safeParse(input);
  if (!parsed.success) throw new UserError(parsed.error.issues[0]?.message ?? "That answer is not valid.");
  const answer = parsed.data;
  return store.locked(guildId, async (store) => {
    const state = await getState(store, guildId, clock);
    const day = await currentDay(store, clock, guildId);
    if (day === undefined) throw new UserError("There is no open challenge to answer yet.");
    const now = clock.now();
    const entryKey = challengeKeys.entry(guildId, day.date, userId);
    const memberKey = challengeKeys.member(guildId, userId);
    const [stored, statsBefore] = await Promise.all([
      store.get(entryKey, EntrySchema),
      store.get(memberKey, MemberStatsSchema),
    ]);
    const before = entryFor(day, stored);
    const edited = before?.submittedAt != null;
    const points = challengePoints(day.challenge.difficulty, before?.earlyHints ?? 0);
    const delta = points - (edited ? (before?.points ?? 0) : 0);
    // Independent records, written together under the guild lock (one group commit on SQLite).
    await Promise.all([
      store.set(entryKey, EntrySchema, {
        ...EntrySchema.parse(before ?? {}),
        version: day.version,
        answer,
        submittedAt: before?.submittedAt ?? now,
        editedAt: edited ? now : null,
        points,
      }),
      creditSubmission(store, guildId, state, day, userId, {
        points,
        delta,
        edited,
        bestBefore: statsBefore?.best ?? 0,
      }),
    ]);
    return { date: day.date, title: day.challenge.title, edited, points };
  });
}

/**
 * What a member's submission to `day` is worth, everywhere but her entry: the day's index, her stats and
 * the all-time totals. `edited`: she had submitted already and her points changed by `delta`;
 * `bestBefore`: her best streak before a first submission (for a skip to restore). Call in the guild's
 * section.
 */
async function creditSubmission(
  store: Store,
  guildId: string,
  state: ChallengeState,
  day: Day,
  userId: string,
  change: { points: number; delta: number; edited: boolean; bestBefore: number | undefined },
): Promise<void> {
  const { points, delta, edited } = change;
  await Promise.all([
    store.update(challengeKeys.subs(guildId, day.date), SubsSchema, (current) => {
      const entries = current?.entries ?? [];
      // The best streak before the day's first submission, for a skip to restore (an edit keeps it).
      const b = edited ? entries.find((entry) => entry.u === userId)?.b : change.bestBefore;
      const others = entries.filter((entry) => entry.u !== userId);
      return {
        entries: [...others, b === undefined ? { u: userId, p: points } : { u: userId, p: points, b }],
      };
    }),
    store.update(challengeKeys.member(guildId, userId), MemberStatsSchema, (current) => {
      const stats = MemberStatsSchema.parse(current ?? {});
      const dates = withDate(stats.dates, day.date);
      const streak = streakOf(dates, state.postedDates, state.current, stats.run);
      return {
        dates,
        best: Math.max(stats.best, streak),
        points: Math.max(0, stats.points + delta),
        submissions: stats.submissions + (edited ? 0 : 1),
        // `day` is the latest posted day: the streak counted is the one ending on it.
        run: streak > 0 ? { date: day.date, n: streak } : undefined,
      };
    }),
  ]);
  await store.update(challengeKeys.totals(guildId), TotalsSchema, async (current) => {
    if (current === undefined) {
      // The guild's first submission, or a totals record lost or damaged: summed again from the
      // submissions of every posted day still listed (the last KEEP_DATES), this one included (its
      // day's record was written above, in this section).
      const dates = withDate(state.postedDates, day.date);
      return { points: Object.fromEntries(await pointsOn(store, guildId, dates)) };
    }
    // `current` is this update's own parse of the record: changed in place, not copied.
    current.points[userId] = Math.max(0, (current.points[userId] ?? 0) + delta);
    return current;
  });
}

/**
 * `/challenge skip` replaces `date`'s challenge: the submissions to the replaced one earn nothing. Takes
 * back their points (member stats, all-time totals), streak day, submission count and the best streak
 * they raised, and empties the day's index (the reveal and the week/month boards read it). Members'
 * entries stay, read as none for the new challenge (`entryFor`). Call under the guild lock, in the
 * section that writes the new challenge, so both land together.
 */
export async function forfeitSubmissions(store: Store, guildId: string, date: string): Promise<void> {
  const subs = await store.get(challengeKeys.subs(guildId, date), SubsSchema);
  if (subs === undefined || subs.entries.length === 0) return;
  await Promise.all(
    subs.entries.map((entry) =>
      store.update(challengeKeys.member(guildId, entry.u), MemberStatsSchema, (stats) => {
        if (stats === undefined) return stats;
        const dates = stats.dates.filter((day) => day !== date);
        // A streak that `date` extended ended on her answer before it (the latest left), one day shorter.
        const before = dates.at(-1);
        const run =
          stats.run?.date !== date
            ? stats.run
            : stats.run.n > 1 && before !== undefined
              ? { date: before, n: stats.run.n - 1 }
              : undefined;
        return {
          ...stats,
          dates,
          best: Math.min(stats.best, entry.b ?? stats.best),
          points: Math.max(0, stats.points - entry.p),
          submissions: Math.max(0, stats.submissions - 1),
          run,
        };
      }),
    ),
  );
  await store.update(challengeKeys.totals(guildId), TotalsSchema, (totals) => {
    // Lost or damaged: summed again later from the day indexes, this one emptied below.
    if (totals === undefined) return totals;
    for (const entry of subs.entries) {
      totals.points[entry.u] = Math.max(0, (totals.points[entry.u] ?? 0) - entry.p);
    }
    return totals;
  });
  await store.set(challengeKeys.subs(guildId, date), SubsSchema, { entries: [] });
}

export type StreakView = {
  current: number;
  best: number;
  points: number;
  submissions: number;
  answeredCurrent: boolean;
};

/**
 * `/challenge streak`: consecutive challenge days answered (by the guild's local dates), best, points.
 * `clock` only dates a rebuild of a lost state (see `recoverState`).
 */
export async function memberStreak(
  store: Store,
  guildId: string,
  userId: string,
  clock: Clock = systemClock,
): Promise<StreakView> {
  const state = await getState(store, guildId, clock);
  const stats =
    (await store.get(challengeKeys.member(guildId, userId), MemberStatsSchema)) ??
    MemberStatsSchema.parse({});
  const current = streakOf(stats.dates, state.postedDates, state.current, stats.run);
  return {
    current,
    best: Math.max(stats.best, current),
    points: stats.points,
    submissions: stats.submissions,
    answeredCurrent: state.current !== null && stats.dates.includes(state.current),
  };
}

/** `/challenge settings`: how long after the post the first hint is released (0–23 hours). */
export async function updateChallengeSettings(
  store: Store,
  clock: Clock,
  guildId: string,
  by: string,
  input: { hintDelayHours: number },
): Promise<ChallengeSettings> {
  const hours = input.hintDelayHours;
  if (!Number.isInteger(hours) || hours < 0 || hours > 23) {
    throw new UserError("`hint_delay_hours` must be a whole number of hours from 0 to 23.");
  }
  const saved = await store.update(challengeKeys.settings(guildId), SettingsSchema, () => ({
    hintDelayHours: hours,
    updatedAt: clock.now(),
    updatedBy: by,
  }));
  if (saved === undefined) throw new Error("settings update returned nothing");
  return saved;
}

export type CustomInput = Parameters<typeof parseCustomChallenge>[0];

/** `/challenge add`: validates a custom challenge with the bank's schema and queues it ahead of the bank. */
export async function addCustomChallenge(
  store: Store,
  clock: Clock,
  guildId: string,
  by: string,
  input: CustomInput,
): Promise<{ id: string; position: number; title: string }> {
  const fields = parseCustomChallenge(input);
  return store.locked(guildId, async (store) => {
    // A lost or damaged state is rebuilt from the records: customSeq from the custom challenges stored.
    const state = await getState(store, guildId, clock);
    if (state.queue.length >= MAX_QUEUE) {
      throw new UserError(
        `The queue already holds ${MAX_QUEUE} custom challenges; wait for some to be posted.`,
      );
    }
    const n = state.customSeq + 1;
    const id = `custom-${n}`;
    await store.set(challengeKeys.custom(guildId, n), CustomChallengeSchema, {
      ...fields,
      id,
      addedBy: by,
      addedAt: clock.now(),
    });
    await store.set(challengeKeys.state(guildId), StateSchema, {
      ...state,
      customSeq: n,
      queue: [...state.queue, n],
    });
    return { id, position: state.queue.length + 1, title: fields.title };
  });
}

import { createHash, randomBytes } from "node:crypto";
import type { Clock } from "../clock.js";
import { UserError } from "../discord/errors.js";
import { type GuildConfig, GuildConfigSchema, getGuildConfig, guildConfigKey } from "../guild/config.js";
import type { Logger } from "../log.js";
import type { Store } from "../store/store.js";
import { localDate } from "../time.js";
import { BANK, type Challenge } from "./bank.js";
import { forfeitSubmissions } from "./learners.js";
import {
  type ChallengeState,
  CustomChallengeSchema,
  challengeKeys,
  type Day,
  DaySchema,
  type Delivery,
  DeliverySchema,
  getSettings,
  getState,
  recoverState,
  repairState,
  SkipClaimSchema,
  StateSchema,
  SubsSchema,
  TakeoverSchema,
  withDate,
} from "./records.js";
import {
  type ChallengePayload,
  challengeNonce,
  hintPayload,
  markers,
  postPayload,
  revealPayload,
} from "./render.js";
import { dueGuilds, type GuildSchedule, staleAfter } from "./schedule.js";

/** What a sent message is known by: its id and, for a post, the id of the thread opened on it. */
export type SentMessage = { messageId: string; threadId: string | null };

/** What identifies a message that may already have been sent: its nonce and its embed footer (marker). */
export type FindQuery = { marker: string; nonce: string; since: number; payload: ChallengePayload };

/**
 * The only door to Discord the scheduler has, so all of it runs (and is tested) without a client.
 * `send` posts with `nonce` enforced (Discord returns the first message for a repeated nonce within a few
 * minutes) and opens `payload.thread` on the message when asked (idempotently); it throws a
 * `SendRefusedError` when Discord refused the message (so it certainly does not exist). `find` looks
 * among the channel's messages since `since` for the bot's message with that nonce or whose embed footer
 * is `marker` (opening the thread if the post has none yet).
 */
export interface ChallengeSender {
  send(guildId: string, channelId: string, payload: ChallengePayload, nonce: string): Promise<SentMessage>;
  find(guildId: string, channelId: string, query: FindQuery): Promise<SentMessage | null>;
}

/** Discord answered a send with a refusal (no access, unknown channel…): no message was created. */
export class SendRefusedError extends Error {
  override readonly name = "SendRefusedError";
}

/**
 * One run of the scheduler (one process start). Claims it makes carry its id; a claim left without a
 * post by a run that started before this one (a crash) is recovered by this one.
 */
export type Runner = { readonly id: string; readonly startedAt: number; readonly inFlight: Set<string> };

export function createRunner(clock: Clock, id = randomBytes(6).toString("hex")): Runner {
  return { id, startedAt: clock.now(), inFlight: new Set() };
}

export type ChallengeDeps = {
  runner: Runner;
  sender: ChallengeSender;
  logger?: Logger;
  /** The bank to draw from (the curated one by default; tests pass small ones). */
  bank?: readonly Challenge[];
};

/** Discord deduplicates a repeated nonce from the same author for a few minutes. */
export const NONCE_WINDOW_MS = 5 * 60_000;
/** An attempt by another live run that has neither posted nor failed after this long is presumed dead. */
export const STALE_ATTEMPT_MS = 2 * 60_000;
/** This run's own failed attempts are retried after 30 s, doubling up to 30 min. */
export function retryDelay(failures: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, failures - 1), 30 * 60_000);
}

/** `find`: only look for the message (a past day's post, see `recoverPast`), never send it. */
export type RecoveryAction = "wait" | "resend" | "search" | "find";

/**
 * What to do about a delivery that is claimed but not posted. Wait while someone alive may still be
 * sending it; otherwise resend with the same nonce while Discord would deduplicate it, and after that
 * first search the channel for the message (the send may have reached Discord before the crash).
 * `channelId` is where the delivery should go now: this run's back-off after failures in another channel
 * does not delay a try in the new one. `force` (an admin's `/challenge post`): nor does this run's
 * back-off at all, as nothing of this run is sending it (`recover` checks that first).
 */
export function recoveryAction(
  delivery: Delivery,
  runner: Runner,
  now: number,
  channelId = delivery.channelId,
  force = false,
): RecoveryAction {
  if (delivery.state === "posted") return "wait";
  if (delivery.owner === runner.id) {
    const backingOff = delivery.failures > 0 && now - delivery.attemptAt < retryDelay(delivery.failures);
    if (backingOff && channelId === delivery.channelId && !force) return "wait";
  } else if (delivery.attemptAt >= runner.startedAt && now - delivery.attemptAt < STALE_ATTEMPT_MS) {
    return "wait";
  }
  return now - delivery.claimedAt <= NONCE_WINDOW_MS ? "resend" : "search";
}

export type TickEvent = {
  guildId: string;
  date: string;
  kind: "posted" | "recovered" | "hint" | "reveal" | "failed";
  challengeId?: string;
  error?: string;
};

type Ctx = {
  store: Store;
  clock: Clock;
  deps: ChallengeDeps;
  events: TickEvent[];
  /** An admin asked for today's post now: this run's back-off after failed sends does not delay it. */
  force?: boolean;
};

/** A delivery's place in the store: a day's post (inside the day record) or a standalone record. */
type Slot = {
  what: string;
  read(): Promise<Delivery | undefined>;
  /** Returns the delivery as written (undefined when it is gone). */
  write(fn: (delivery: Delivery) => Delivery): Promise<Delivery | undefined>;
};

function postSlot(store: Store, guildId: string, date: string, version: number): Slot {
  const key = challengeKeys.day(guildId, date);
  return {
    what: `post.${version}`,
    read: async () => {
      const day = await store.get(key, DaySchema);
      return day?.version === version ? day.post : undefined;
    },
    write: async (fn) => {
      const day = await store.update(key, DaySchema, (day) =>
        day?.version === version ? { ...day, post: fn(day.post) } : day,
      );
      return day?.version === version ? day.post : undefined;
    },
  };
}

function recordSlot(store: Store, key: string, what: string): Slot {
  return {
    what,
    read: () => store.get(key, DeliverySchema),
    write: (fn) => store.update(key, DeliverySchema, (delivery) => (delivery ? fn(delivery) : delivery)),
  };
}

const flightKey = (guildId: string, date: string, what: string) => `${guildId}|${date}|${what}`;

function newDelivery(
  runner: Runner,
  now: number,
  input: { nonce: string; marker: string; channelId: string },
): Delivery {
  return {
    state: "claimed",
    ...input,
    claimedAt: now,
    owner: runner.id,
    attemptAt: now,
    tries: 0,
    failures: 0,
    attempts: 1,
    unsent: 0,
    messageId: null,
    threadId: null,
    postedAt: null,
  };
}

/**
 * Sends (or, in search mode, first looks for) one claimed message and marks it posted. `channelId` is
 * where it should go now: a post claimed for a channel the setting has since left moves to the new one,
 * unless it turns out to be out already in the old one (see `sentBeforeMove`).
 */
async function attempt(
  ctx: Ctx,
  guildId: string,
  slot: Slot,
  delivery: Delivery,
  payload: ChallengePayload,
  mode: RecoveryAction,
  channelId = delivery.channelId,
): Promise<SentMessage | null> {
  const { sender, runner, logger } = ctx.deps;
  const query = { marker: delivery.marker, nonce: delivery.nonce, since: delivery.claimedAt, payload };
  let sending = false;
  try {
    let sent: SentMessage | null = null;
    let target = delivery.channelId;
    if (channelId !== delivery.channelId) {
      sent = await sentBeforeMove(ctx, guildId, delivery, query);
      if (sent === null) {
        // The counts are per channel: nothing of this delivery has gone to the new one yet.
        const moved = await slot.write((current) =>
          current.state === "claimed" && current.owner === runner.id
            ? { ...current, channelId, attempts: 1, unsent: 0, failures: 0 }
            : current,
        );
        if (moved?.state !== "claimed" || moved.owner !== runner.id || moved.channelId !== channelId) {
          return null;
        }
        target = channelId;
      }
    } else if (mode === "search" || mode === "find") {
      sent = await sender.find(guildId, target, query);
    }
    if (sent === null) {
      // An attempt that created nothing (`unsent`), backed off like a failed send.
      if (mode === "find") throw new Error("the message was not found in the channel");
      sending = true;
      sent = await sender.send(guildId, target, payload, delivery.nonce);
    }
    const posted = sent;
    await slot.write((current) => ({
      ...current,
      state: "posted",
      messageId: posted.messageId,
      threadId: posted.threadId,
      postedAt: ctx.clock.now(),
    }));
    return posted;
  } catch (error) {
    logger?.warn({ err: error, guild: guildId, what: slot.what }, "challenge message not sent yet");
    // This attempt created nothing if it made no send or Discord refused it.
    const unsent = !sending || error instanceof SendRefusedError ? 1 : 0;
    await slot
      .write((current) =>
        current.owner === runner.id && current.state === "claimed"
          ? { ...current, failures: current.failures + 1, unsent: current.unsent + unsent }
          : current,
      )
      .catch(() => undefined);
    return null;
  }
}

/**
 * Before a claimed post moves to another channel: the post itself if an earlier attempt put it in the
 * old channel, else null. Throws when that cannot be ruled out: the old channel cannot be searched and
 * some earlier attempt there may have created the message (it did not end in a refusal).
 */
async function sentBeforeMove(
  ctx: Ctx,
  guildId: string,
  delivery: Delivery,
  query: FindQuery,
): Promise<SentMessage | null> {
  try {
    return await ctx.deps.sender.find(guildId, delivery.channelId, query);
  } catch (error) {
    // `attempts` counts this attempt too, which has sent nothing yet.
    if (delivery.unsent >= delivery.attempts - 1) return null;
    throw error;
  }
}

/**
 * Takes over a claimed-but-not-posted delivery: atomically claims the next `challenge:try:…` key (across
 * processes), so two runs recovering at once never both send.
 */
async function takeOver(ctx: Ctx, guildId: string, date: string, slot: Slot): Promise<Delivery | null> {
  const { store, clock } = ctx;
  const { runner } = ctx.deps;
  const current = await slot.read();
  if (current === undefined || current.state === "posted") return null;
  const now = clock.now();
  for (let n = current.tries + 1; n <= current.tries + 5; n += 1) {
    const key = challengeKeys.takeover(guildId, date, slot.what, n);
    if (await store.claim(key, TakeoverSchema, { owner: runner.id, at: now })) {
      await slot.write((delivery) =>
        delivery.state === "claimed"
          ? { ...delivery, owner: runner.id, attemptAt: now, tries: n, attempts: delivery.attempts + 1 }
          : delivery,
      );
      const taken = await slot.read();
      return taken?.state === "claimed" && taken.owner === runner.id ? taken : null;
    }
    const other = await store.get(key, TakeoverSchema);
    if (other !== undefined && now - other.at < STALE_ATTEMPT_MS) return null;
  }
  return null;
}

/**
 * Recovers a delivery if it is this run's to recover; returns the message when it was (re)posted.
 * `channelId`: where it should go now (a day's post follows the channel setting until it is out).
 * `force`: see `recoveryAction`. `lookOnly`: the message is looked for, never sent (see `recoverPast`).
 */
async function recover(
  ctx: Ctx,
  guildId: string,
  date: string,
  slot: Slot,
  delivery: Delivery,
  payload: () => Promise<ChallengePayload> | ChallengePayload,
  channelId = delivery.channelId,
  { force = false, lookOnly = false }: { force?: boolean; lookOnly?: boolean } = {},
): Promise<SentMessage | null> {
  const { runner } = ctx.deps;
  const flight = flightKey(guildId, date, slot.what);
  if (delivery.state === "posted" || runner.inFlight.has(flight)) return null;
  const next = recoveryAction(delivery, runner, ctx.clock.now(), channelId, force);
  if (next === "wait") return null;
  const action = lookOnly ? "find" : next;
  runner.inFlight.add(flight);
  try {
    const taken = await takeOver(ctx, guildId, date, slot);
    if (taken === null) return null;
    return await attempt(ctx, guildId, slot, taken, await payload(), action, channelId);
  } finally {
    runner.inFlight.delete(flight);
  }
}

function hashOrder(guildId: string, cycle: number, id: string): string {
  return createHash("sha256").update(`${guildId}|${cycle}|${id}`).digest("hex");
}

type Pick = { challenge: Challenge; source: Day["source"]; cycle: number };

/**
 * The next challenge for a guild: the first queued custom one, else an unused bank one (a new cycle when
 * all are used), never one in `avoid` (a new cycle starts with the whole bank, which holds the challenges
 * just posted). Undefined when only avoided ones are left.
 */
async function pickNext(
  store: Store,
  guildId: string,
  state: ChallengeState,
  bank: readonly Challenge[],
  avoid: ReadonlySet<string> = new Set(),
): Promise<Pick | undefined> {
  if (bank.length === 0) throw new Error("the challenge bank is empty");
  for (const n of state.queue) {
    const custom = await store.get(challengeKeys.custom(guildId, n), CustomChallengeSchema);
    if (custom !== undefined) {
      const { addedBy: _by, addedAt: _at, ...challenge } = custom;
      return { challenge, source: "custom", cycle: state.cycle };
    }
  }
  const used = new Set(state.used);
  let cycle = state.cycle;
  let candidates = bank.filter((challenge) => !used.has(challenge.id) && !avoid.has(challenge.id));
  if (candidates.length === 0) {
    cycle += 1;
    candidates = bank.filter((challenge) => !avoid.has(challenge.id));
  }
  let best: Challenge | undefined;
  let bestKey = "";
  for (const challenge of candidates) {
    const key = hashOrder(guildId, cycle, challenge.id);
    if (best === undefined || key < bestKey) {
      best = challenge;
      bestKey = key;
    }
  }
  return best === undefined ? undefined : { challenge: best, source: "bank", cycle };
}

/** Records that `day`'s challenge was drawn (idempotent): used in its cycle, or taken off the queue. */
export function applyClaim(state: ChallengeState, day: Day): ChallengeState {
  let next = { ...state };
  if (day.source === "bank") {
    if (day.cycle > next.cycle) next = { ...next, cycle: day.cycle, used: [day.challenge.id] };
    else if (day.cycle === next.cycle && !next.used.includes(day.challenge.id)) {
      next = { ...next, used: [...next.used, day.challenge.id] };
    }
  } else {
    const n = Number(day.challenge.id.replace(/^custom-/, ""));
    const at = next.queue.indexOf(n);
    if (at >= 0) next = { ...next, queue: next.queue.slice(at + 1) };
  }
  if (next.lastDate === null || next.lastDate < day.date) next = { ...next, lastDate: day.date };
  return next;
}

/** After a post: the day becomes current (the one before it is to be revealed), idempotently. */
async function afterPosted(ctx: Ctx, guildId: string, day: Day): Promise<void> {
  const state = await ctx.store.update(challengeKeys.state(guildId), StateSchema, async (current) => {
    let next = applyClaim(current ?? (await recoverState(ctx.store, ctx.clock, guildId)), day);
    if (next.current === null || next.current < day.date) {
      next = { ...next, previous: next.current, current: day.date };
    }
    return { ...next, postedDates: withDate(next.postedDates, day.date) };
  });
  if (state?.previous) await ensureReveal(ctx, guildId, state.previous, day.post.channelId);
}

export type PostOutcome = {
  status: "posted" | "recovered" | "already" | "pending" | "failed";
  day: Day | null;
};

/** Posts a guild's challenge for `date` unless that date is claimed already (then recovers it if needed). */
async function ensurePost(ctx: Ctx, guildId: string, date: string, channelId: string): Promise<PostOutcome> {
  const { store, clock } = ctx;
  const { runner } = ctx.deps;
  const key = challengeKeys.day(guildId, date);
  const existing = await store.get(key, DaySchema);
  if (existing !== undefined) return recoverPost(ctx, guildId, existing, channelId);
  // The outgoing challenge's first hint comes out no later than the next post, even when the delay has
  // not passed: the next post can come sooner (a spring-forward night, a late post, an earlier post time).
  const outgoing = (await getState(store, guildId, clock)).current;
  if (outgoing !== null && outgoing < date) await ensureHint(ctx, guildId, outgoing, true, channelId);
  const flight = flightKey(guildId, date, "post.0");
  // Set while this call holds the flight: the claim below is made at once, but the section's other writes
  // can still fail to commit after the callback returned, and then this call must let go of the flight
  // or no tick of this run would ever recover the claimed day.
  let flying = false;
  const outcome = await store
    .locked(guildId, async (store) => {
      const again = await store.get(key, DaySchema);
      if (again !== undefined) return { existing: again };
      const state = await getState(store, guildId, clock);
      const bank = ctx.deps.bank ?? BANK;
      // Not the latest day's challenge again (as a new cycle could), unless the bank holds nothing else.
      const latest =
        state.lastDate && (await store.get(challengeKeys.day(guildId, state.lastDate), DaySchema));
      const pick =
        (await pickNext(store, guildId, state, bank, new Set(latest ? [latest.challenge.id] : []))) ??
        (await pickNext(store, guildId, state, bank));
      if (pick === undefined) throw new Error("no challenge to pick");
      const day: Day = {
        date,
        version: 0,
        ...pick,
        post: newDelivery(runner, clock.now(), {
          nonce: challengeNonce(guildId, date, "post.0"),
          marker: markers.post(date, 0, pick.challenge.id),
          channelId,
        }),
        hintReleasedAt: null,
        replaced: [],
      };
      // In flight before the claim is visible, so a concurrent tick of this run does not recover it.
      runner.inFlight.add(flight);
      flying = true;
      if (!(await store.claim(key, DaySchema, day))) {
        runner.inFlight.delete(flight);
        flying = false;
        return { existing: await store.get(key, DaySchema) };
      }
      await store.set(challengeKeys.state(guildId), StateSchema, applyClaim(state, day));
      return { claimed: day };
    })
    .catch((error: unknown) => {
      if (flying) runner.inFlight.delete(flight);
      throw error;
    });
  if ("existing" in outcome) {
    return outcome.existing
      ? recoverPost(ctx, guildId, outcome.existing, channelId)
      : { status: "failed", day: null };
  }
  const day = outcome.claimed;
  try {
    const sent = await attempt(
      ctx,
      guildId,
      postSlot(store, guildId, date, 0),
      day.post,
      postPayload(day),
      "resend",
    );
    if (sent === null) {
      ctx.events.push({ guildId, date, kind: "failed", challengeId: day.challenge.id });
      return { status: "failed", day };
    }
  } finally {
    runner.inFlight.delete(flight);
  }
  ctx.events.push({ guildId, date, kind: "posted", challengeId: day.challenge.id });
  const posted = (await store.get(key, DaySchema)) ?? day;
  await afterPosted(ctx, guildId, posted);
  return { status: "posted", day: posted };
}

/**
 * A day that is claimed: finish it if it is ours to finish, in the guild's channel now (`channelId`);
 * bring the state up to date if it is posted. `lookOnly`: see `recoverPast`.
 */
async function recoverPost(
  ctx: Ctx,
  guildId: string,
  day: Day,
  channelId: string,
  lookOnly = false,
): Promise<PostOutcome> {
  const { store } = ctx;
  if (day.post.state === "posted") {
    const state = await getState(store, guildId, ctx.clock);
    if (state.current === null || state.current < day.date) await afterPosted(ctx, guildId, day);
    return { status: "already", day };
  }
  // A later date's challenge is current already (the zone moved west since): left unsent, like a claim
  // left from yesterday, or it would come after its successor, never be current, and break every streak.
  const { current } = await getState(store, guildId, ctx.clock);
  if (current !== null && current > day.date) return { status: "failed", day };
  const slot = postSlot(store, guildId, day.date, day.version);
  const payload = () => postPayload(day);
  const sent = await recover(ctx, guildId, day.date, slot, day.post, payload, channelId, {
    force: ctx.force,
    lookOnly,
  });
  if (sent === null) {
    const now = await store.get(challengeKeys.day(guildId, day.date), DaySchema);
    return { status: now?.post.state === "posted" ? "already" : "pending", day: now ?? day };
  }
  ctx.events.push({ guildId, date: day.date, kind: "recovered", challengeId: day.challenge.id });
  const posted = (await store.get(challengeKeys.day(guildId, day.date), DaySchema)) ?? day;
  await afterPosted(ctx, guildId, posted);
  return { status: "recovered", day: posted };
}

/**
 * The latest claimed day, once its local date is over with its post still unconfirmed, when no tick
 * recovers that date any more, until the next date's post time (`staleAfter`: a bot down for days would
 * otherwise bring a stale challenge back at its start):
 * - the scheduled post (version 0), say a send Discord did not answer (a 5xx) at 23:59, retried after
 *   midnight. The message may well be in the channel: it is looked for where it was sent and, found,
 *   adopted for its own date, which becomes current. It is never sent now: a challenge a day late would
 *   crowd out the next one (the day before stays current meanwhile).
 * - a `/challenge skip` replacement: the challenge it replaced is withdrawn (its submissions forfeited),
 *   so the day has nothing else to answer or reveal, and the admin was told Nexus retries it. It is
 *   retried as on its day, in the guild's channel now (`channelId`); its reveal comes with the next post.
 */
async function recoverPast(
  ctx: Ctx,
  guildId: string,
  day: Day,
  config: GuildConfig,
  channelId: string,
): Promise<void> {
  if (ctx.clock.now() >= staleAfter(day.date, config)) return;
  if (day.version === 0) await recoverPost(ctx, guildId, day, day.post.channelId, true);
  else await recoverPost(ctx, guildId, day, channelId);
}

/**
 * Where a claimed hint or reveal goes now: where it was claimed for (the post's thread), or `fallback`, the
 * guild's channel, once Discord refused every attempt there (the thread or its channel deleted, the thread
 * locked). Nothing of it was created then, and retrying there would leave it unseen for good.
 */
function targetOf(delivery: Delivery, fallback: string | null): string {
  const refused = delivery.failures > 0 && delivery.unsent >= delivery.attempts;
  return refused && fallback !== null ? fallback : delivery.channelId;
}

/** Reveals a past day's model answer and submission count in its thread, once. `fallback`: see `targetOf`. */
async function ensureReveal(ctx: Ctx, guildId: string, date: string, fallback: string | null): Promise<void> {
  const { store, clock } = ctx;
  const key = challengeKeys.reveal(guildId, date);
  const existing = await store.get(key, DeliverySchema);
  if (existing?.state === "posted") return;
  const day = await store.get(challengeKeys.day(guildId, date), DaySchema);
  if (day === undefined || day.post.state !== "posted") return;
  const payload = async () => {
    const subs = await store.get(challengeKeys.subs(guildId, date), SubsSchema);
    return revealPayload(day, subs?.entries.length ?? 0);
  };
  const slot = recordSlot(store, key, "reveal");
  let sent: SentMessage | null;
  if (existing !== undefined) {
    sent = await recover(ctx, guildId, date, slot, existing, payload, targetOf(existing, fallback));
  } else {
    const delivery = newDelivery(ctx.deps.runner, clock.now(), {
      nonce: challengeNonce(guildId, date, "reveal"),
      marker: markers.reveal(date),
      channelId: day.post.threadId ?? day.post.channelId,
    });
    sent = await claimAndSend(ctx, guildId, date, key, slot, delivery, payload);
  }
  if (sent !== null) ctx.events.push({ guildId, date, kind: "reveal", challengeId: day.challenge.id });
}

/**
 * Releases the current day's first hint into its thread once the delay has passed, once. `beforeNext`:
 * the next day's challenge is about to be posted, so the hint is due now whatever the delay. `fallback`:
 * see `targetOf`.
 */
async function ensureHint(
  ctx: Ctx,
  guildId: string,
  date: string,
  beforeNext: boolean,
  fallback: string | null,
): Promise<void> {
  const { store, clock } = ctx;
  const day = await store.get(challengeKeys.day(guildId, date), DaySchema);
  if (day === undefined || day.post.state !== "posted" || day.post.postedAt === null) return;
  if (day.challenge.hints.length === 0) return;
  const key = challengeKeys.hint(guildId, date, day.version);
  const slot = recordSlot(store, key, `hint.${day.version}`);
  const payload = () => hintPayload(day);
  // Marked released (for /challenge hint) as soon as the claim is won, before the send.
  const markReleased = async () => {
    if (day.hintReleasedAt !== null) return;
    await store.update(challengeKeys.day(guildId, date), DaySchema, (current) =>
      current?.version === day.version && current.hintReleasedAt === null
        ? { ...current, hintReleasedAt: clock.now() }
        : current,
    );
  };
  const existing = await store.get(key, DeliverySchema);
  let sent: SentMessage | null;
  if (existing !== undefined) {
    await markReleased();
    if (existing.state === "posted") return;
    // Before the next post, this run's back-off after failed sends does not hold the hint back: once the
    // next challenge is current, no tick tries it again.
    const target = targetOf(existing, fallback);
    sent = await recover(ctx, guildId, date, slot, existing, payload, target, { force: beforeNext });
  } else {
    const settings = await getSettings(store, clock, guildId);
    if (!beforeNext && clock.now() < day.post.postedAt + settings.hintDelayHours * 3_600_000) return;
    const delivery = newDelivery(ctx.deps.runner, clock.now(), {
      nonce: challengeNonce(guildId, date, `hint.${day.version}`),
      marker: markers.hint(date, day.version),
      channelId: day.post.threadId ?? day.post.channelId,
    });
    sent = await claimAndSend(ctx, guildId, date, key, slot, delivery, payload, markReleased);
  }
  if (sent !== null) ctx.events.push({ guildId, date, kind: "hint", challengeId: day.challenge.id });
}

async function claimAndSend(
  ctx: Ctx,
  guildId: string,
  date: string,
  key: string,
  slot: Slot,
  delivery: Delivery,
  payload: () => Promise<ChallengePayload> | ChallengePayload,
  onClaimed?: () => Promise<void>,
): Promise<SentMessage | null> {
  const { runner } = ctx.deps;
  const flight = flightKey(guildId, date, slot.what);
  if (runner.inFlight.has(flight)) return null;
  runner.inFlight.add(flight);
  try {
    if (!(await ctx.store.claim(key, DeliverySchema, delivery))) return null;
    await onClaimed?.();
    return await attempt(ctx, guildId, slot, delivery, await payload(), "resend");
  } finally {
    runner.inFlight.delete(flight);
  }
}

/** A post whose thread could not be opened is retried every 5 min during its first hour (idempotently, via find). */
export const THREAD_RETRY_MS = 5 * 60_000;
export const THREAD_RETRY_FOR_MS = 60 * 60_000;

async function ensurePostThread(ctx: Ctx, guildId: string, date: string): Promise<void> {
  const { store, clock } = ctx;
  const day = await store.get(challengeKeys.day(guildId, date), DaySchema);
  if (day === undefined) return;
  const { post } = day;
  if (post.state !== "posted" || post.threadId !== null || post.postedAt === null) return;
  const now = clock.now();
  if (now - post.postedAt > THREAD_RETRY_FOR_MS || now - post.attemptAt < THREAD_RETRY_MS) return;
  const slot = postSlot(store, guildId, date, day.version);
  await slot.write((delivery) => ({ ...delivery, attemptAt: now }));
  try {
    const found = await ctx.deps.sender.find(guildId, post.channelId, {
      marker: post.marker,
      nonce: post.nonce,
      since: post.claimedAt,
      payload: postPayload(day),
    });
    const threadId = found?.threadId ?? null;
    if (threadId !== null) {
      await slot.write((delivery) => (delivery.threadId === null ? { ...delivery, threadId } : delivery));
    }
  } catch (error) {
    ctx.deps.logger?.warn({ err: error, guild: guildId, date }, "could not open the challenge thread yet");
  }
}

/**
 * `dueDate`: the local date the guild was due for when the tick began, if it was. Not the date now: a
 * guild reached after midnight (workers wait on Discord) would otherwise skip its due date and get
 * tomorrow's challenge a day early.
 */
async function tickGuild(
  ctx: Ctx,
  guildId: string,
  config: GuildConfig,
  dueDate: string | undefined,
  today: Day | undefined,
  past: Day | undefined,
): Promise<void> {
  if (config.channelId !== null) {
    if (dueDate !== undefined) await ensurePost(ctx, guildId, dueDate, config.channelId);
    else if (today !== undefined) await recoverPost(ctx, guildId, today, config.channelId);
    else if (past !== undefined && past.post.state !== "posted") {
      await recoverPast(ctx, guildId, past, config, config.channelId);
    }
  }
  // Also saves a rebuilt state when it is absent or damaged, so reads stop rebuilding it.
  const state = await repairState(ctx.store, ctx.clock, guildId);
  if (state.previous) await ensureReveal(ctx, guildId, state.previous, config.channelId);
  if (state.current) {
    await ensurePostThread(ctx, guildId, state.current);
    await ensureHint(ctx, guildId, state.current, false, config.channelId);
  }
}

/**
 * The scheduler's tick, for the guilds the bot is in: posts every due challenge (claiming the guild's
 * local date first, so exactly once across restarts and concurrent schedulers), recovers claims a crash
 * left unposted, releases due hints and reveals yesterday's answers. Errors stay within their guild.
 */
export async function runDuePosts(
  store: Store,
  clock: Clock,
  deps: ChallengeDeps,
  guildIds: readonly string[],
  { concurrency = 4, signal }: { concurrency?: number; signal?: AbortSignal } = {},
): Promise<TickEvent[]> {
  const ctx: Ctx = { store, clock, deps, events: [] };
  const now = clock.now();
  const configs = await store.getMany(guildIds.map(guildConfigKey), GuildConfigSchema);
  const states = await store.getMany(guildIds.map(challengeKeys.state), StateSchema);
  const schedules: Array<GuildSchedule & { config: GuildConfig }> = [];
  guildIds.forEach((guildId, i) => {
    const config = configs[i];
    if (config !== undefined) schedules.push({ guildId, config });
  });
  const days = await store.getMany(
    schedules.map(({ guildId, config }) => challengeKeys.day(guildId, localDate(now, config.timezone))),
    DaySchema,
  );
  const todays = new Map(schedules.map(({ guildId }, i) => [guildId, days[i]]));
  const stateOf = new Map(guildIds.map((guildId, i) => [guildId, states[i]]));
  // Where today has no claim yet: the latest claimed day, when its date is over (see `recoverPast`).
  const pastOf = new Map<string, string>();
  for (const { guildId, config } of schedules) {
    const last = stateOf.get(guildId)?.lastDate;
    if (!todays.get(guildId) && last && last < localDate(now, config.timezone)) pastOf.set(guildId, last);
  }
  const pastDays = await store.getMany(
    [...pastOf].map(([guildId, date]) => challengeKeys.day(guildId, date)),
    DaySchema,
  );
  const pasts = new Map([...pastOf.keys()].map((guildId, i) => [guildId, pastDays[i]]));
  const lastPosted = new Map(
    schedules.map(({ guildId, config }) => [
      guildId,
      todays.get(guildId) ? localDate(now, config.timezone) : (stateOf.get(guildId)?.lastDate ?? null),
    ]),
  );
  const due = new Map(dueGuilds(now, schedules, lastPosted).map(({ guildId, date }) => [guildId, date]));
  let next = 0;
  const worker = async () => {
    // A stop between guilds: the guilds not reached yet are still due for the next process.
    while (next < schedules.length && signal?.aborted !== true) {
      const schedule = schedules[next];
      next += 1;
      if (schedule === undefined) continue;
      const { guildId, config } = schedule;
      try {
        await tickGuild(ctx, guildId, config, due.get(guildId), todays.get(guildId), pasts.get(guildId));
      } catch (error) {
        deps.logger?.error({ err: error, guild: guildId }, "challenge tick failed for a guild");
        ctx.events.push({
          guildId,
          date: localDate(now, config.timezone),
          kind: "failed",
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, schedules.length)) }, worker));
  return ctx.events;
}

async function requireChannel(
  store: Store,
  clock: Clock,
  guildId: string,
): Promise<GuildConfig & { channelId: string }> {
  const config = await getGuildConfig(store, clock, guildId);
  if (config.channelId === null) {
    throw new UserError("Nexus has no channel here yet: an admin runs `/nexus setup` first.");
  }
  return { ...config, channelId: config.channelId };
}

/**
 * `/challenge post`: posts today's challenge now unless today is claimed already (same claim path as the
 * schedule); a claimed post this run failed to send is tried again now, not after its back-off.
 */
export async function postToday(
  store: Store,
  clock: Clock,
  deps: ChallengeDeps,
  guildId: string,
): Promise<PostOutcome> {
  const config = await requireChannel(store, clock, guildId);
  const ctx: Ctx = { store, clock, deps, events: [], force: true };
  // Today's, or the latest claimed date when it is later: a zone moved west since then puts the local date
  // back a day, and a challenge posted for that day would never be current (the schedule waits as well).
  const today = localDate(clock.now(), config.timezone);
  const latest = (await getState(store, guildId, clock)).lastDate;
  return ensurePost(ctx, guildId, latest !== null && latest > today ? latest : today, config.channelId);
}

/** `/challenge skip`: replaces today's posted challenge with the next one (a new post and thread). */
export async function skipToday(
  store: Store,
  clock: Clock,
  deps: ChallengeDeps,
  guildId: string,
  by: string,
): Promise<PostOutcome & { replaced: Challenge }> {
  const config = await requireChannel(store, clock, guildId);
  const { runner } = deps;
  const ctx: Ctx = { store, clock, deps, events: [] };
  // Today's, or the current challenge when it is dated later: a zone moved west since it was posted puts
  // the local date back a day, and that day's challenge is revealed and scored (members work on the current).
  const today = localDate(clock.now(), config.timezone);
  const latest = (await getState(store, guildId, clock)).current;
  const date = latest !== null && latest > today ? latest : today;
  const key = challengeKeys.day(guildId, date);
  // The flight this call holds and the skip it claimed, also when the section's commit fails after its
  // callback returned.
  let held: string | undefined;
  let skipped: string | undefined;
  const { day, replaced, flight } = await store
    .locked(guildId, async (store) => {
      const current = await store.get(key, DaySchema);
      if (current === undefined) {
        throw new UserError("There is no challenge today yet: `/challenge post` posts one now.");
      }
      if (current.post.state !== "posted") {
        throw new UserError("Today's challenge is still being posted. Try again in a minute.");
      }
      const state = await getState(store, guildId, clock);
      const bank = deps.bank ?? BANK;
      // Never the challenge being replaced, and none replaced earlier today while others are left.
      const today = [current.challenge.id, ...current.replaced.map((earlier) => earlier.challengeId)];
      const pick =
        (await pickNext(store, guildId, state, bank, new Set(today))) ??
        (await pickNext(store, guildId, state, bank, new Set([current.challenge.id])));
      if (pick === undefined) {
        throw new UserError("There is no other challenge to post today: `/challenge add` queues one.");
      }
      const version = current.version + 1;
      // The claim (made at once) is what keeps two processes from both replacing this version; the guild
      // lock is only this process's. It is given back below if the section's writes do not land.
      const skip = challengeKeys.skip(guildId, date, version);
      if (!(await store.claim(skip, SkipClaimSchema, { by, at: clock.now() }))) {
        throw new UserError("Today's challenge was just replaced. Have a look at the channel.");
      }
      skipped = skip;
      await forfeitSubmissions(store, guildId, date);
      const next: Day = {
        ...current,
        ...pick,
        version,
        post: newDelivery(runner, clock.now(), {
          nonce: challengeNonce(guildId, date, `post.${version}`),
          marker: markers.post(date, version, pick.challenge.id),
          channelId: config.channelId,
        }),
        hintReleasedAt: null,
        replaced: [
          ...current.replaced,
          { challengeId: current.challenge.id, messageId: current.post.messageId },
        ].slice(-50),
      };
      const flight = flightKey(guildId, date, `post.${version}`);
      runner.inFlight.add(flight);
      held = flight;
      await store.set(key, DaySchema, next);
      await store.set(challengeKeys.state(guildId), StateSchema, applyClaim(state, next));
      return { day: next, replaced: current.challenge, flight };
    })
    .catch(async (error: unknown) => {
      if (held !== undefined) runner.inFlight.delete(held);
      // Nothing was replaced: without this, every later skip today would find the version claimed.
      if (skipped !== undefined) {
        await store.delete(skipped).catch((failed: unknown) => {
          deps.logger?.warn(
            { err: failed, guild: guildId, date },
            "could not give back a failed skip's claim",
          );
        });
      }
      throw error;
    });
  let sent: SentMessage | null;
  try {
    sent = await attempt(
      ctx,
      guildId,
      postSlot(store, guildId, date, day.version),
      day.post,
      postPayload(day),
      "resend",
    );
  } finally {
    runner.inFlight.delete(flight);
  }
  const stored = (await store.get(key, DaySchema)) ?? day;
  if (sent === null) return { status: "failed", day: stored, replaced };
  await afterPosted(ctx, guildId, stored);
  return { status: "posted", day: stored, replaced };
}

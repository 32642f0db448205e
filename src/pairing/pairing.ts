/**
 * Pairing's domain: plain functions over (store, clock, guildId, input). No Discord client here; the one
 * outside effect, "is this member still in the guild?", comes in as a callback.
 *
 * Every change runs inside the guild lock and goes through a small transaction (`Tx`) that reads each
 * record once and writes every changed record together at the end. Concurrent `/pair request`s (and
 * delivery records) for one guild are coalesced into one transaction (src/store/batcher.ts): 500 at once
 * end in 250 pairs, nobody twice, nothing lost, in a few commits (tests/pairing/pairing.test.ts,
 * e2e.test.ts).
 */
import { z } from "zod";
import type { Clock } from "../clock.js";
import { UserError } from "../discord/errors.js";
import { atMostChars, charLength } from "../discord/text.js";
import { memberTimezones } from "../guild/members.js";
import { RETRY_TRIES_MAX, retryDelay } from "../retry.js";
import { GuildBatcher, type Outcome } from "../store/batcher.js";
import { lastInSequence } from "../store/probe.js";
import { DAMAGED, type Store } from "../store/store.js";
import { parseTopic } from "../topics.js";
import { complementOf, matchRound, type PastPair, rankPartners } from "./match.js";
import { suggestProject } from "./projects.js";
import {
  EXPIRY_DAYS_MAX,
  FOLLOW_UP_MS,
  FOLLOW_UP_RETRIES_KEPT,
  NOTE_MAX,
  type Notice,
  PAUSE_DAYS_MAX,
  type Pair,
  type PairingState,
  PairingStateSchema,
  type PairMember,
  PairMemberSchema,
  type PairRole,
  PairSchema,
  type PairSettings,
  PairSettingsSchema,
  type PairSide,
  type PoolEntry,
  PoolEntrySchema,
  pairKey,
  pairMemberKey,
  pairSettingsKey,
  pairStateKey,
  RECENCY_DAYS_MAX,
  RoleSchema,
} from "./schema.js";

export const DAY_MS = 86_400_000;
/** A waiting member seen (request or membership check) more recently than this is not checked again. */
export const MEMBERSHIP_FRESH_MS = 10 * 60_000;
/**
 * Membership checks (a REST call each) run inside the guild's lock, so every command of the guild waits
 * on them, and a slow one (a 429's retry-after, a hung request) made them all miss Discord's 3 s. One gives
 * up after MEMBERSHIP_LOOKUP_MS and a transaction makes at most MEMBERSHIP_LOOKUPS_MAX (1.5 s in all);
 * a candidate not checked counts as present, as on any error: deliverPair checks both members again
 * before opening the thread, outside the lock, and undoes the pair if one has left.
 */
export const MEMBERSHIP_LOOKUP_MS = 750;
export const MEMBERSHIP_LOOKUPS_MAX = 2;
/** History kept beyond the longest recency window, for /pair history. */
const HISTORY_MIN_KEPT = 25;
const NOTICES_KEPT = 20;
/** Expired requests waiting to be announced in the channel, at most (as many as the announcements mention). */
export const EXPIRED_UNANNOUNCED_KEPT = 450;

/** Resolves false when the member has left the guild. Errors and slow answers count as "still here". */
export type MembershipCheck = (userId: string) => Promise<boolean>;

export type PairNotice =
  | { kind: "expired"; at: number; role: PairRole | null }
  | { kind: "partner-left"; at: number; pairId: number | null }
  | { kind: "left-over"; at: number };

export type WaitingCounts = { backend: number; frontend: number; paused: number };

// ─── records ────────────────────────────────────────────────────────────────────────────────────────────

export async function getPairSettings(store: Store, guildId: string): Promise<PairSettings> {
  return (await store.get(pairSettingsKey(guildId), PairSettingsSchema)) ?? PairSettingsSchema.parse({});
}

/** The state, read-only: when it is absent (a guild new to pairing) or damaged, a recovered one. */
async function getState(store: Store, guildId: string): Promise<PairingState> {
  return (await store.get(pairStateKey(guildId), PairingStateSchema)) ?? recoverState(store, guildId);
}

/**
 * The state under the guild lock. When it is absent or damaged, the recovered state is saved at once
 * through `store.update`, which first copies a damaged record aside under `quarantine:…`: recovery runs
 * once, and what it could not recover stays available to an operator.
 */
async function loadState(store: Store, guildId: string): Promise<PairingState> {
  const state = await store.get(pairStateKey(guildId), PairingStateSchema);
  if (state !== undefined) return state;
  const recovered = await recoverState(store, guildId);
  return (
    (await store.update(pairStateKey(guildId), PairingStateSchema, (current) => current ?? recovered)) ??
    recovered
  );
}

/**
 * A state rebuilt after the record was lost or failed its schema (for a guild new to pairing, the empty
 * state: one probe finds no pair).
 * - `nextPairId`: past the highest pair record (src/store/probe.ts; pairs are never deleted), so no pair
 *   is ever overwritten.
 * - The waiting pool lives only in this record (member records keep the note, not the role, topic or
 *   zone, and cannot be listed), so it is salvaged entry by entry from the damaged value when that is
 *   still an object; requests that cannot be read are lost: those members are no longer waiting, and
 *   `/pair request` puts them back (their stale note is overwritten then).
 * - The follow-up and delivery cursors restart at 1: both scans are idempotent (each pair records its
 *   own follow-up and delivery), so this costs one longer scan, never a second follow-up or thread.
 * - The /pair stats counters are kept if they are still valid on their own, else restart at 0.
 */
async function recoverState(store: Store, guildId: string): Promise<PairingState> {
  const [raw, lastPair] = await Promise.all([
    store.get(pairStateKey(guildId), z.unknown()),
    lastInSequence(store, (id) => pairKey(guildId, id)),
  ]);
  const salvaged = SalvagedStateSchema.safeParse(raw);
  const fields = salvaged.success ? salvaged.data : { nextPairId: 1, pool: [], stats: undefined };
  const pool = new Map<string, PoolEntry>();
  for (const item of fields.pool) {
    const entry = PoolEntrySchema.safeParse(item);
    if (entry.success && !pool.has(entry.data.user)) pool.set(entry.data.user, entry.data);
  }
  return PairingStateSchema.parse({
    nextPairId: Math.max(lastPair + 1, fields.nextPairId),
    pool: [...pool.values()],
    stats: fields.stats,
  });
}

/** Each field of a damaged state on its own: what fails is replaced, the rest is kept. */
const SalvagedStateSchema = z.object({
  nextPairId: PairingStateSchema.shape.nextPairId.catch(1),
  pool: z.array(z.unknown()).catch([]),
  stats: PairingStateSchema.shape.stats.optional().catch(undefined),
});

export async function getPair(store: Store, guildId: string, pairId: number): Promise<Pair | undefined> {
  return store.get(pairKey(guildId, pairId), PairSchema);
}

/** The pair `pairId` if `userId` is one of its two members, else a UserError (for tagging journal entries). */
export async function requirePairMember(
  store: Store,
  guildId: string,
  pairId: number,
  userId: string,
): Promise<Pair> {
  const pair = await getPair(store, guildId, pairId);
  if (pair === undefined || (pair.backend.user !== userId && pair.frontend.user !== userId)) {
    throw new UserError(`You were not in pair #${pairId}. \`/pair history\` lists your pairs.`);
  }
  return pair;
}

/** A member's record as read: absent (undefined), valid, or present but failing its schema. */
type MemberRead = PairMember | "damaged" | undefined;

/**
 * Member records in one round trip. A member new to pairing (undefined) is told from a damaged record,
 * failing its schema or undecodable: only the second must be rebuilt and copied aside before it is
 * overwritten.
 */
async function readMembers(store: Store, guildId: string, userIds: readonly string[]): Promise<MemberRead[]> {
  if (userIds.length === 0) return [];
  const stored = await store.getManyOrDamaged(
    userIds.map((id) => pairMemberKey(guildId, id)),
    PairMemberSchema,
  );
  return stored.map((value) => (value === DAMAGED ? "damaged" : value));
}

/**
 * Member records rebuilt after they failed their schema, from the pair records (never deleted; one read
 * of each): the pairs each member had, undone ones left out, as createPair would have recorded them. The
 * note of an open request and unread notices are lost.
 */
async function recoverMembers(
  store: Store,
  guildId: string,
  userIds: readonly string[],
  state: PairingState,
  now: number,
): Promise<Map<string, PairMember>> {
  const members = new Map(userIds.map((id) => [id, PairMemberSchema.parse({ updatedAt: now })]));
  await scanPairs(store, guildId, 1, state.nextPairId, (_, pair) => {
    if (pair === undefined || pair.dissolved !== null) return true;
    for (const [me, partner, role] of [
      [pair.backend, pair.frontend, "backend"],
      [pair.frontend, pair.backend, "frontend"],
    ] as const) {
      members
        .get(me.user)
        ?.history.push({ pairId: pair.id, partner: partner.user, role, at: pair.createdAt });
    }
    return true;
  });
  for (const member of members.values()) {
    member.pairs = member.history.length;
    pruneHistory(member, now);
  }
  return members;
}

/** Reads each record once, writes the changed ones together on commit. Use inside the guild lock only. */
class Tx {
  private readonly members = new Map<string, PairMember>();
  private readonly dirtyMembers = new Set<string>();
  /** Members whose stored record failed its schema: rebuilt here, copied aside before it is replaced. */
  private readonly damagedMembers = new Set<string>();
  private readonly pairs = new Map<number, Pair>();
  private stateDirty = false;
  /** Membership checks made so far (see MEMBERSHIP_LOOKUPS_MAX). */
  memberLookups = 0;

  private constructor(
    readonly store: Store,
    readonly guildId: string,
    readonly state: PairingState,
    readonly settings: PairSettings,
    readonly now: number,
  ) {}

  /** Reads the state, the settings and the records of `members` in one round of parallel reads. */
  static async open(
    store: Store,
    clock: Clock,
    guildId: string,
    members: readonly string[] = [],
  ): Promise<Tx> {
    const [state, settings, records] = await Promise.all([
      loadState(store, guildId),
      getPairSettings(store, guildId),
      readMembers(store, guildId, members),
    ]);
    const tx = new Tx(store, guildId, state, settings, clock.now());
    await tx.keep(members, records);
    return tx;
  }

  get recencyMs(): number {
    return this.settings.recencyDays * DAY_MS;
  }

  get expiryMs(): number {
    return this.settings.expiryDays * DAY_MS;
  }

  async member(userId: string): Promise<PairMember> {
    await this.prefetch([userId]);
    const member = this.members.get(userId);
    if (member === undefined) throw new Error("member not loaded");
    return member;
  }

  /** Loads the records of many members in one round trip. */
  async prefetch(userIds: readonly string[]): Promise<void> {
    const missing = [...new Set(userIds)].filter((id) => !this.members.has(id));
    if (missing.length === 0) return;
    await this.keep(missing, await readMembers(this.store, this.guildId, missing));
  }

  /**
   * Takes in the records read for `userIds`: an absent one starts empty; a damaged one is rebuilt from the
   * pair records at once and saved (so the recency window still keeps the member from a recent partner),
   * the damaged copy going aside under `quarantine:…` on commit.
   */
  private async keep(userIds: readonly string[], records: readonly MemberRead[]): Promise<void> {
    const damaged = userIds.filter((_, i) => records[i] === "damaged");
    const rebuilt =
      damaged.length > 0
        ? await recoverMembers(this.store, this.guildId, damaged, this.state, this.now)
        : null;
    userIds.forEach((id, i) => {
      const record = records[i];
      const member =
        record === "damaged" ? rebuilt?.get(id) : (record ?? PairMemberSchema.parse({ updatedAt: this.now }));
      if (member === undefined) throw new Error("a damaged member record was not rebuilt");
      this.members.set(id, member);
    });
    for (const id of damaged) {
      this.damagedMembers.add(id);
      this.dirtyMembers.add(id);
    }
  }

  touchMember(userId: string): void {
    const member = this.members.get(userId);
    if (member === undefined) throw new Error("touching a member that was not loaded");
    member.updatedAt = this.now;
    this.dirtyMembers.add(userId);
  }

  touchState(): void {
    this.stateDirty = true;
  }

  putPair(pair: Pair): void {
    this.pairs.set(pair.id, pair);
  }

  /** A pair record, as changed so far in this transaction. */
  async pair(pairId: number): Promise<Pair | undefined> {
    return this.pairs.get(pairId) ?? getPair(this.store, this.guildId, pairId);
  }

  entry(userId: string): PoolEntry | undefined {
    return this.state.pool.find((entry) => entry.user === userId);
  }

  removeFromPool(users: ReadonlySet<string>): void {
    if (users.size === 0) return;
    this.state.pool = this.state.pool.filter((entry) => !users.has(entry.user));
    this.stateDirty = true;
  }

  async commit(): Promise<void> {
    const writes: Promise<unknown>[] = [];
    if (this.stateDirty)
      writes.push(this.store.set(pairStateKey(this.guildId), PairingStateSchema, this.state));
    for (const id of this.dirtyMembers) {
      const member = this.members.get(id);
      if (member === undefined) continue;
      const key = pairMemberKey(this.guildId, id);
      writes.push(
        this.damagedMembers.has(id)
          ? this.store.update(key, PairMemberSchema, () => member) // copies the damaged record aside first
          : this.store.set(key, PairMemberSchema, member),
      );
    }
    for (const pair of this.pairs.values())
      writes.push(this.store.set(pairKey(this.guildId, pair.id), PairSchema, pair));
    await Promise.all(writes);
    this.stateDirty = false;
    this.dirtyMembers.clear();
    this.damagedMembers.clear();
    this.pairs.clear();
  }
}

/** Runs `fn` in a transaction under the guild lock; commits what it changed unless it throws. */
function transact<R>(
  store: Store,
  clock: Clock,
  guildId: string,
  fn: (tx: Tx) => Promise<R>,
  members: readonly string[] = [],
): Promise<R> {
  return store.locked(guildId, async (store) => {
    const tx = await Tx.open(store, clock, guildId, members);
    const result = await fn(tx);
    await tx.commit();
    return result;
  });
}

/**
 * A batch of calls (src/store/batcher.ts) as one transaction: `preload` reads what the batch needs
 * besides the transaction's records, in the same round as Tx.open's reads; `prepare` runs once before
 * the steps; each step runs in arrival order. A `UserError` fails only its own call (steps throw them
 * before changing anything); any other error aborts the batch, and nothing is written.
 */
function transactBatch<I, R, P = undefined>(
  step: (tx: Tx, item: I) => Promise<R>,
  options: {
    members?: (item: I) => string[];
    preload?: (store: Store, clock: Clock, guildId: string, items: I[]) => Promise<P>;
    prepare?: (tx: Tx, items: I[], preloaded: P | undefined) => Promise<unknown>;
  } = {},
): GuildBatcher<I, R> {
  const { members, preload, prepare } = options;
  return new GuildBatcher<I, R>(async (store, clock, guildId, items) => {
    const [tx, preloaded] = await Promise.all([
      Tx.open(store, clock, guildId, members ? items.flatMap(members) : []),
      preload?.(store, clock, guildId, items),
    ]);
    await prepare?.(tx, items, preloaded);
    const outcomes: Outcome<R>[] = [];
    for (const item of items) {
      try {
        outcomes.push({ ok: true, value: await step(tx, item) });
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        outcomes.push({ ok: false, error });
      }
    }
    await tx.commit();
    return outcomes;
  });
}

// ─── helpers over the transaction ─────────────────────────────────────────────────────────────────────

export function isPaused(entry: PoolEntry, now: number): boolean {
  return entry.pausedUntil !== undefined && entry.pausedUntil > now;
}

/**
 * Where a request's expiry starts: its creation, or the end of its pause (scheduled, or the pause that ended
 * earlier and left only `resumedAt`), whichever is later. A pause does not use up the request's time.
 */
export function expiryStart(entry: PoolEntry): number {
  return Math.max(entry.at, entry.pausedUntil ?? 0, entry.resumedAt ?? 0);
}

export function isExpired(entry: PoolEntry, now: number, expiryMs: number): boolean {
  return now - expiryStart(entry) >= expiryMs;
}

function pushNotice(member: PairMember, notice: Notice): void {
  member.notices.push(notice);
  if (member.notices.length > NOTICES_KEPT) member.notices.splice(0, member.notices.length - NOTICES_KEPT);
}

/**
 * Removes expired requests from the pool, leaves each member a notice and queues them for the channel
 * announcement (src/pairing/deliver.ts announceExpired, from the pairing job).
 */
async function expire(tx: Tx): Promise<PoolEntry[]> {
  const expired = tx.state.pool.filter((entry) => isExpired(entry, tx.now, tx.expiryMs));
  if (expired.length === 0) return [];
  await tx.prefetch(expired.map((entry) => entry.user));
  for (const entry of expired) {
    const member = await tx.member(entry.user);
    member.note = null;
    pushNotice(member, { kind: "expired", at: tx.now, role: entry.role });
    tx.touchMember(entry.user);
  }
  tx.removeFromPool(new Set(expired.map((entry) => entry.user)));
  tx.state.stats.expired += expired.length;
  const unannounced = new Set([...tx.state.expiredUnannounced, ...expired.map((entry) => entry.user)]);
  tx.state.expiredUnannounced = [...unannounced].slice(-EXPIRED_UNANNOUNCED_KEPT);
  return expired;
}

/**
 * The opening of every member-facing pairing command: drop expired requests, then the member's pending
 * notices (cleared as they are read), their record and their open request, if any.
 */
async function memberView(tx: Tx, userId: string) {
  await expire(tx);
  const notices = await takeNotices(tx, userId);
  return { notices, member: await tx.member(userId), entry: tx.entry(userId) };
}

/** What the member should be told now (expiry, a partner who left, a round that left them over); cleared. */
async function takeNotices(tx: Tx, userId: string): Promise<PairNotice[]> {
  const member = await tx.member(userId);
  const notices: PairNotice[] = member.notices.map((notice) =>
    notice.kind === "expired"
      ? { kind: "expired", at: notice.at, role: notice.role ?? null }
      : { kind: "partner-left", at: notice.at, pairId: notice.pairId ?? null },
  );
  if (member.notices.length > 0) {
    member.notices = [];
    tx.touchMember(userId);
  }
  const entry = tx.entry(userId);
  if (entry?.leftOverAt !== undefined) {
    notices.push({ kind: "left-over", at: entry.leftOverAt });
    delete entry.leftOverAt;
    tx.touchState();
  }
  return notices;
}

function counts(pool: readonly PoolEntry[], now: number): WaitingCounts {
  const result = { backend: 0, frontend: 0, paused: 0 };
  for (const entry of pool) {
    if (isPaused(entry, now)) result.paused++;
    else result[entry.role]++;
  }
  return result;
}

function pruneHistory(member: PairMember, now: number): void {
  const keepFrom = Math.max(0, member.history.length - HISTORY_MIN_KEPT);
  member.history = member.history.filter(
    (item, i) => i >= keepFrom || now - item.at < RECENCY_DAYS_MAX * DAY_MS,
  );
}

function side(entry: PoolEntry, note: string | null): PairSide {
  return { user: entry.user, topic: entry.topic, note, tz: entry.tz, requestedAt: entry.at };
}

/** Records a new pair: pair record, both members' histories, follow-up and delivery queues, counters. */
async function createPair(
  tx: Tx,
  x: PoolEntry,
  y: PoolEntry,
  via: Pair["via"],
  options: { removeFromPool?: boolean } = {},
): Promise<Pair> {
  const backend = x.role === "backend" ? x : y;
  const frontend = x.role === "backend" ? y : x;
  const [mb, mf] = [await tx.member(backend.user), await tx.member(frontend.user)];
  const id = tx.state.nextPairId;
  tx.state.nextPairId += 1;
  // Built whole (validated once, when written) rather than parsed here: a round makes thousands.
  const pair: Pair = {
    id,
    backend: side(backend, mb.note),
    frontend: side(frontend, mf.note),
    createdAt: tx.now,
    via,
    projectId: suggestProject(id, [backend.topic, frontend.topic]).id,
    // The caller of a request, resume or queue match introduces the pair right away, so it is created
    // already claimed ("delivering"); a round's pairs are claimed one by one as the round gets to them.
    delivery: {
      state: via === "round" ? "pending" : "delivering",
      at: tx.now,
      channelId: null,
      threadId: null,
      attempts: 0,
    },
    followUpSentAt: null,
    followUpAttempts: 0,
    answers: {},
    metAt: null,
    dissolved: null,
  };
  for (const [member, me, partner] of [
    [mb, backend, frontend],
    [mf, frontend, backend],
  ] as const) {
    member.note = null;
    member.pairs = (member.pairs ?? member.history.length) + 1;
    member.history.push({ pairId: id, partner: partner.user, role: me.role, at: tx.now });
    pruneHistory(member, tx.now);
    tx.touchMember(me.user);
  }
  if (options.removeFromPool !== false) tx.removeFromPool(new Set([backend.user, frontend.user]));
  tx.state.stats.matches += 1;
  tx.touchState();
  tx.putPair(pair);
  return pair;
}

/**
 * The instant match for `entry` (already in the pool or about to be): the best eligible complementary
 * learner, dropping any who turn out to have left the guild (checked only when not seen recently).
 */
async function tryMatch(
  tx: Tx,
  entry: PoolEntry,
  via: Pair["via"],
  isStillMember: MembershipCheck | undefined,
): Promise<Pair | null> {
  const me = await tx.member(entry.user);
  const history: PastPair[] = me.history.map((item) => ({ a: entry.user, b: item.partner, at: item.at }));
  const eligible = tx.state.pool.filter(
    (other) => other.role === complementOf(entry.role) && !isPaused(other, tx.now),
  );
  const ranked = rankPartners(entry, eligible, { history, now: tx.now, recencyMs: tx.recencyMs });
  for (const candidate of ranked) {
    if (isStillMember !== undefined && tx.now - (candidate.seenAt ?? candidate.at) > MEMBERSHIP_FRESH_MS) {
      const present = await stillMember(tx, isStillMember, candidate.user);
      if (!present) {
        await dropDeparted(tx, candidate.user);
        continue;
      }
      candidate.seenAt = tx.now;
      tx.touchState();
    }
    return createPair(tx, entry, candidate, via);
  }
  return null;
}

/** `isStillMember`, bounded (see MEMBERSHIP_LOOKUP_MS): true when not asked, slow or failing. */
async function stillMember(tx: Tx, isStillMember: MembershipCheck, userId: string): Promise<boolean> {
  if (tx.memberLookups >= MEMBERSHIP_LOOKUPS_MAX) return true;
  tx.memberLookups += 1;
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), MEMBERSHIP_LOOKUP_MS);
  });
  try {
    return await Promise.race([isStillMember(userId).catch(() => true), gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}

async function dropDeparted(tx: Tx, userId: string): Promise<void> {
  tx.removeFromPool(new Set([userId]));
  const member = await tx.member(userId);
  member.note = null;
  tx.touchMember(userId);
  tx.state.stats.departed += 1;
}

// ─── /pair request ────────────────────────────────────────────────────────────────────────────────────

export type RequestInput = {
  userId: string;
  role: string;
  topic?: string | null;
  note?: string | null;
};

export type RequestResult =
  | {
      kind: "matched";
      pair: Pair;
      role: PairRole;
      partner: string;
      /** The request was a paused one, resumed by this command. */
      resumed: boolean;
      /** The request's topic and whether it has a note (on a resume, those kept unless new ones came). */
      topic: string | null;
      hasNote: boolean;
      notices: PairNotice[];
    }
  | {
      kind: "waiting";
      role: PairRole;
      waiting: WaitingCounts;
      /** Complementary learners waiting whom the member was paired with inside the recency window. */
      recentlyPaired: number;
      recencyDays: number;
      /** When the request leaves the pool if nobody is matched. */
      expiresAt: number;
      resumed: boolean;
      topic: string | null;
      hasNote: boolean;
      notices: PairNotice[];
    };

export function parseRole(input: string): PairRole {
  const result = RoleSchema.safeParse(input.trim().toLowerCase());
  if (!result.success) throw new UserError("Pick a role: `backend` or `frontend`.");
  return result.data;
}

export function parseNote(input: string | null | undefined): string | null {
  const note = (input ?? "").trim();
  if (note === "") return null;
  if (!atMostChars(note, NOTE_MAX)) {
    throw new UserError(`A note can be at most ${NOTE_MAX} characters; yours has ${charLength(note)}.`);
  }
  return note;
}

/**
 * `/pair request`: joins the pool (one open request per member) and, if a complementary learner is
 * waiting, pairs with the best one at once. A member whose open request is paused resumes it this way.
 */
export async function requestPair(
  store: Store,
  clock: Clock,
  guildId: string,
  input: RequestInput,
  isStillMember?: MembershipCheck,
): Promise<RequestResult> {
  const request: ValidRequest = {
    userId: input.userId,
    role: parseRole(input.role),
    topic: input.topic ? parseTopic(input.topic) : null,
    note: parseNote(input.note),
    tz: "UTC",
    isStillMember,
  };
  return requests.submit(store, clock, guildId, request);
}

type ValidRequest = {
  userId: string;
  role: PairRole;
  topic: string | null;
  note: string | null;
  /** Filled in by the batch (one read for everybody in it). */
  tz: string;
  isStillMember: MembershipCheck | undefined;
};

const requests = transactBatch<ValidRequest, RequestResult, Map<string, string>>(
  (tx, request) => requestOne(tx, request),
  {
    members: (request) => [request.userId],
    preload: (store, clock, guildId, items) =>
      memberTimezones(
        store,
        clock,
        guildId,
        items.map((item) => item.userId),
      ),
    prepare: async (tx, items, zones) => {
      for (const item of items) item.tz = zones?.get(item.userId) ?? item.tz;
      await expire(tx);
    },
  },
);

/** One request inside the guild's transaction. Refusals are thrown before anything changes. */
async function requestOne(tx: Tx, request: ValidRequest): Promise<RequestResult> {
  const { userId, role, topic, note, tz } = request;
  const now = tx.now;
  const existing = tx.entry(userId);
  const resumed = existing !== undefined && isPaused(existing, now);
  if (existing !== undefined && !resumed) {
    throw new UserError(
      `You already have an open request (${existing.role}${existing.topic ? `, ${existing.topic}` : ""}) ` +
        `since <t:${Math.floor(existing.at / 1000)}:R>. Use \`/pair status\` to see it or \`/pair cancel\` to withdraw it.`,
    );
  }
  const notices = await takeNotices(tx, userId);
  const member = await tx.member(userId);
  // The pause reply tells members to resume with /pair request, whose topic and note are optional: left
  // out, the ones they gave before are kept.
  if (existing === undefined || note !== null) member.note = note;
  tx.touchMember(userId);
  let entry: PoolEntry;
  if (existing !== undefined) {
    // Resuming a paused request keeps its place (its wait) and takes the new role (and topic, if given).
    entry = existing;
    entry.role = role;
    if (topic !== null) entry.topic = topic;
    entry.tz = tz;
    entry.seenAt = now;
    entry.resumedAt = now;
    delete entry.pausedUntil;
  } else {
    entry = { user: userId, role, topic, tz, at: now, seenAt: now };
    tx.state.stats.requests += 1;
  }
  tx.touchState();
  const described = { topic: entry.topic, hasNote: member.note !== null };
  const pair = await tryMatch(tx, entry, "request", request.isStillMember);
  if (pair !== null) {
    const partner = role === "backend" ? pair.frontend.user : pair.backend.user;
    return { kind: "matched", pair, role, partner, resumed, ...described, notices };
  }
  if (existing === undefined) tx.state.pool.push(entry);
  const recent = new Set(
    member.history.filter((item) => now - item.at < tx.recencyMs).map((item) => item.partner),
  );
  const recentlyPaired = tx.state.pool.filter(
    (other) => other.role !== role && !isPaused(other, now) && recent.has(other.user),
  ).length;
  return {
    kind: "waiting",
    role,
    waiting: counts(tx.state.pool, now),
    recentlyPaired,
    recencyDays: tx.settings.recencyDays,
    expiresAt: expiryStart(entry) + tx.expiryMs,
    resumed,
    ...described,
    notices,
  };
}

// ─── zones changed while waiting (commands/nexus.ts) ──────────────────────────────────────────────────

/**
 * `/nexus timezone`, and `/nexus setup` with a zone: a request keeps the zone its member had when they
 * asked, and matching ranks partners by it and the introduction shows it, so a zone changed while waiting
 * would not count. This gives the requests of `users` (everyone waiting when left out) the member's zone
 * as it is now: their own, else the guild's. Pairs already made keep theirs. Returns how many changed;
 * writes nothing when none did.
 */
export async function refreshWaitingZones(
  store: Store,
  clock: Clock,
  guildId: string,
  users?: readonly string[],
): Promise<number> {
  const only = users === undefined ? undefined : new Set(users);
  const wanted = (entry: PoolEntry) => only === undefined || only.has(entry.user);
  // Most calls find nobody waiting: a plain read first, the lock and the transaction only when there is
  // (loadState would save an empty state for a guild new to pairing).
  const state = await store.get(pairStateKey(guildId), PairingStateSchema);
  if (state === undefined || !state.pool.some(wanted)) return 0;
  return transact(store, clock, guildId, async (tx) => {
    const waiting = tx.state.pool.filter(wanted);
    if (waiting.length === 0) return 0;
    const zones = await memberTimezones(
      tx.store,
      clock,
      guildId,
      waiting.map((entry) => entry.user),
    );
    let changed = 0;
    for (const entry of waiting) {
      const tz = zones.get(entry.user);
      if (tz === undefined || tz === entry.tz) continue;
      entry.tz = tz;
      changed++;
    }
    if (changed > 0) tx.touchState();
    return changed;
  });
}

// ─── /pair status, cancel, history, pause ─────────────────────────────────────────────────────────────

export type OpenRequest = {
  role: PairRole;
  topic: string | null;
  note: string | null;
  at: number;
  expiresAt: number;
  pausedUntil: number | null;
};

export type StatusResult = {
  open: OpenRequest | null;
  waiting: WaitingCounts;
  lastPair: Pair | null;
  notices: PairNotice[];
};

function openRequest(tx: Tx, entry: PoolEntry, member: PairMember): OpenRequest {
  const paused = entry.pausedUntil !== undefined && entry.pausedUntil > tx.now ? entry.pausedUntil : null;
  return {
    role: entry.role,
    topic: entry.topic,
    note: member.note,
    at: entry.at,
    expiresAt: expiryStart(entry) + tx.expiryMs,
    pausedUntil: paused,
  };
}

async function lastPairOf(store: Store, guildId: string, member: PairMember): Promise<Pair | null> {
  const last = member.history.at(-1);
  if (last === undefined) return null;
  return (await getPair(store, guildId, last.pairId)) ?? null;
}

export async function pairStatus(
  store: Store,
  clock: Clock,
  guildId: string,
  userId: string,
): Promise<StatusResult> {
  return transact(
    store,
    clock,
    guildId,
    async (tx) => {
      const { notices, member, entry } = await memberView(tx, userId);
      return {
        open: entry ? openRequest(tx, entry, member) : null,
        waiting: counts(tx.state.pool, tx.now),
        lastPair: await lastPairOf(store, guildId, member),
        notices,
      };
    },
    [userId],
  );
}

export type CancelResult =
  | { kind: "cancelled"; request: OpenRequest; notices: PairNotice[] }
  | { kind: "matched"; pair: Pair; notices: PairNotice[] }
  | { kind: "none"; notices: PairNotice[] };

/**
 * `/pair cancel`: withdraws the open request. With none open but a pair made inside the recency window,
 * answers "matched" (the glue refuses: a match cannot be cancelled).
 */
export async function cancelPair(
  store: Store,
  clock: Clock,
  guildId: string,
  userId: string,
): Promise<CancelResult> {
  return transact(
    store,
    clock,
    guildId,
    async (tx) => {
      const { notices, member, entry } = await memberView(tx, userId);
      if (entry !== undefined) {
        const request = openRequest(tx, entry, member);
        tx.removeFromPool(new Set([userId]));
        member.note = null;
        tx.touchMember(userId);
        tx.state.stats.cancelled += 1;
        return { kind: "cancelled", request, notices };
      }
      const last = member.history.at(-1);
      if (last !== undefined && tx.now - last.at < tx.recencyMs) {
        const pair = await getPair(store, guildId, last.pairId);
        if (pair !== undefined && pair.dissolved === null) return { kind: "matched", pair, notices };
      }
      return { kind: "none", notices };
    },
    [userId],
  );
}

export type HistoryResult = {
  items: Array<{ pair: Pair; role: PairRole; partner: string }>;
  total: number;
  notices: PairNotice[];
};

/** `/pair history`: the member's pairs, newest first (at most `limit`). */
export async function pairHistory(
  store: Store,
  clock: Clock,
  guildId: string,
  userId: string,
  limit = 20,
): Promise<HistoryResult> {
  const { member, notices } = await transact(
    store,
    clock,
    guildId,
    async (tx) => {
      const { member, notices } = await memberView(tx, userId);
      return { member, notices };
    },
    [userId],
  );
  const recent = member.history.slice(-limit).reverse();
  const pairs = await store.getMany(
    recent.map((item) => pairKey(guildId, item.pairId)),
    PairSchema,
  );
  const items: HistoryResult["items"] = [];
  recent.forEach((item, i) => {
    const pair = pairs[i];
    if (pair !== undefined) items.push({ pair, role: item.role, partner: item.partner });
  });
  return { items, total: member.pairs ?? member.history.length, notices };
}

export function parsePauseDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > PAUSE_DAYS_MAX) {
    throw new UserError(`Pause for a whole number of days from 1 to ${PAUSE_DAYS_MAX}.`);
  }
  return days;
}

export type PauseResult = { until: number; request: OpenRequest; notices: PairNotice[] };

/**
 * `/pair pause days:N`: the open request keeps its place but is not matched until N days from now; it
 * resumes by itself then (or earlier with `/pair request`). Without an open request there is nothing to
 * pause, which is refused.
 */
export async function pausePairing(
  store: Store,
  clock: Clock,
  guildId: string,
  userId: string,
  days: number,
): Promise<PauseResult> {
  const valid = parsePauseDays(days);
  return transact(
    store,
    clock,
    guildId,
    async (tx) => {
      await expire(tx);
      const entry = tx.entry(userId);
      if (entry === undefined) {
        throw new UserError(
          "You have no open request to pause. `/pair request` first; a pause keeps your place in the queue without matching you.",
        );
      }
      const notices = await takeNotices(tx, userId);
      entry.pausedUntil = tx.now + valid * DAY_MS;
      tx.touchState();
      const member = await tx.member(userId);
      return { until: entry.pausedUntil, request: openRequest(tx, entry, member), notices };
    },
    [userId],
  );
}

// ─── /pair round, stats, settings (admins) ─────────────────────────────────────────────────────────────

export type RoundOutcome = {
  pairs: Pair[];
  leftover: PoolEntry[];
  paused: number;
  expired: number;
};

/**
 * `/pair round`: matches everyone waiting (and not paused) at once: the largest number of pairs that
 * respect the recency window, then quality (see match.ts). The leftovers stay queued, marked so they are
 * told the next time they use /pair.
 */
export async function runRound(store: Store, clock: Clock, guildId: string): Promise<RoundOutcome> {
  return transact(store, clock, guildId, async (tx) => {
    const expired = await expire(tx);
    const eligible = tx.state.pool.filter((entry) => !isPaused(entry, tx.now));
    // Pair history is symmetric: the records of the smaller side hold every recent pair between sides.
    const backends = eligible.filter((entry) => entry.role === "backend");
    const frontends = eligible.filter((entry) => entry.role === "frontend");
    const smaller = backends.length <= frontends.length ? backends : frontends;
    await tx.prefetch(smaller.map((entry) => entry.user));
    const history: PastPair[] = [];
    for (const entry of smaller) {
      for (const item of (await tx.member(entry.user)).history) {
        if (tx.now - item.at < tx.recencyMs) history.push({ a: entry.user, b: item.partner, at: item.at });
      }
    }
    const result = matchRound(eligible, { history, now: tx.now, recencyMs: tx.recencyMs });
    await tx.prefetch(result.pairs.flatMap((p) => [p.backend.user, p.frontend.user]));
    const pairs: Pair[] = [];
    for (const match of result.pairs) {
      pairs.push(await createPair(tx, match.backend, match.frontend, "round", { removeFromPool: false }));
    }
    tx.removeFromPool(new Set(result.pairs.flatMap((p) => [p.backend.user, p.frontend.user])));
    for (const entry of result.leftover) entry.leftOverAt = tx.now;
    tx.state.stats.rounds += 1;
    tx.touchState();
    return {
      pairs,
      leftover: result.leftover,
      paused: tx.state.pool.length - result.leftover.length,
      expired: expired.length,
    };
  });
}

export type StatsResult = {
  stats: PairingState["stats"] & { met: number };
  waiting: WaitingCounts;
  settings: PairSettings;
  /** Pairs whose 48 h follow-up is still to come. */
  followUpsPending: number;
};

/**
 * Above this many pairs, /pair stats tells its caller before counting the met ones (every pair record is
 * read: about 20 ms per 1,000 on SQLite, more over a network), so the command can defer its reply.
 */
export const STATS_LONG_SCAN_PAIRS = 5_000;

/** `/pair stats`: requests, matches, pairs that met (one read of every pair record); read-only. */
export async function pairStats(
  store: Store,
  clock: Clock,
  guildId: string,
  options: { beforeLongScan?: () => Promise<unknown> } = {},
): Promise<StatsResult> {
  const [state, settings] = await Promise.all([getState(store, guildId), getPairSettings(store, guildId)]);
  const now = clock.now();
  const live = state.pool.filter((entry) => !isExpired(entry, now, settings.expiryDays * DAY_MS));
  if (state.nextPairId - 1 > STATS_LONG_SCAN_PAIRS) await options.beforeLongScan?.();
  // Counted from the pairs, never kept in the state: recordAnswer must not write the state (see there).
  let met = 0;
  await scanPairs(store, guildId, 1, state.nextPairId, (_, pair) => {
    if (pair !== undefined && pair.metAt !== null) met++;
    return true;
  });
  return {
    stats: { ...state.stats, met },
    waiting: counts(live, now),
    settings,
    // Floored: a state rebuilt after damage restarts the cursor at 1 and this counter at 0.
    followUpsPending:
      Math.max(0, state.nextPairId - state.followUpCursor - state.followUpsDissolved) +
      state.followUpRetries.length,
  };
}

/**
 * After a round's introductions (an undone pair re-queues a member, who may be matched at once with a
 * leftover): which of `users` are still waiting, and the queue's counts; read-only.
 */
export async function stillWaiting(
  store: Store,
  clock: Clock,
  guildId: string,
  users: readonly string[],
): Promise<{ users: string[]; waiting: WaitingCounts }> {
  const [state, settings] = await Promise.all([getState(store, guildId), getPairSettings(store, guildId)]);
  const now = clock.now();
  const live = state.pool.filter((entry) => !isExpired(entry, now, settings.expiryDays * DAY_MS));
  const waiting = new Set(live.map((entry) => entry.user));
  return { users: users.filter((user) => waiting.has(user)), waiting: counts(live, now) };
}

export type SettingsInput = { recencyDays?: number | null; expiryDays?: number | null; by: string };

/** `/pair settings`: changes the recency window and/or the request expiry; with neither, shows them. */
export async function updatePairSettings(
  store: Store,
  clock: Clock,
  guildId: string,
  input: SettingsInput,
): Promise<PairSettings> {
  const check = (value: number | null | undefined, max: number, what: string): number | undefined => {
    if (value === null || value === undefined) return undefined;
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new UserError(`${what} must be a whole number of days from 1 to ${max}.`);
    }
    return value;
  };
  const recencyDays = check(input.recencyDays, RECENCY_DAYS_MAX, "The recency window");
  const expiryDays = check(input.expiryDays, EXPIRY_DAYS_MAX, "The request expiry");
  if (recencyDays === undefined && expiryDays === undefined) return getPairSettings(store, guildId);
  const saved = await store.update(pairSettingsKey(guildId), PairSettingsSchema, (current) => ({
    ...(current ?? PairSettingsSchema.parse({})),
    ...(recencyDays !== undefined ? { recencyDays } : {}),
    ...(expiryDays !== undefined ? { expiryDays } : {}),
    updatedAt: clock.now(),
    updatedBy: input.by,
  }));
  if (saved === undefined) throw new Error("settings update returned nothing");
  return saved;
}

// ─── background work (events/pairingJobs.ts) ──────────────────────────────────────────────────────────

/** Drops expired requests (members are told the next time they use /pair); returns how many. */
export async function expireRequests(store: Store, clock: Clock, guildId: string): Promise<number> {
  return transact(store, clock, guildId, async (tx) => (await expire(tx)).length);
}

/**
 * Hands out, once, the members whose request expired since the last call (by any command or pass), with
 * the guild's expiry in days, for the channel announcement; not those already back in the queue. At most
 * once: a post that then fails is not retried (each member still gets the notice on their next /pair).
 */
export async function takeExpiredUnannounced(
  store: Store,
  clock: Clock,
  guildId: string,
): Promise<{ users: string[]; expiryDays: number }> {
  // Most passes find nothing: a plain read first, the lock and the transaction only when there is.
  const state = await store.get(pairStateKey(guildId), PairingStateSchema);
  if (state === undefined || state.expiredUnannounced.length === 0) return { users: [], expiryDays: 0 };
  return transact(store, clock, guildId, async (tx) => {
    const expired = tx.state.expiredUnannounced;
    if (expired.length > 0) {
      tx.state.expiredUnannounced = [];
      tx.touchState();
    }
    const users = expired.filter((user) => tx.entry(user) === undefined);
    return { users, expiryDays: tx.settings.expiryDays };
  });
}

/**
 * Requests whose pause has ended get their instant match now, and so do waiting requests that the recency
 * window kept apart once it no longer does (see matchWaiting); returns the new pairs to introduce.
 */
export async function resumePaused(
  store: Store,
  clock: Clock,
  guildId: string,
  isStillMember?: MembershipCheck,
): Promise<Pair[]> {
  return transact(store, clock, guildId, async (tx) => {
    await expire(tx);
    const resumed = tx.state.pool
      .filter((entry) => entry.pausedUntil !== undefined && entry.pausedUntil <= tx.now)
      .sort((a, b) => a.at - b.at);
    const pairs: Pair[] = [];
    for (const entry of resumed) {
      // From its scheduled end, not this pass: the expiry the member was promised while paused.
      entry.resumedAt = entry.pausedUntil;
      delete entry.pausedUntil;
      tx.touchState();
      if (tx.entry(entry.user) === undefined) continue; // already paired by an earlier one in this loop
      const pair = await tryMatch(tx, entry, "resume", isStillMember);
      if (pair !== null) pairs.push(pair);
    }
    pairs.push(...(await matchWaiting(tx, isStillMember)));
    return pairs;
  });
}

/**
 * Unpaused requests of both tracks wait side by side only when every such pair was paired inside the
 * recency window (any other pair would have been matched when the later one asked). When one of those
 * blocks has lapsed (time passed, or an admin shortened the window), each request, oldest first, gets its
 * instant match again. Runs every minute: it reads nothing while one track is empty, and otherwise only
 * the records of the smaller track, and writes nothing while every block holds.
 */
async function matchWaiting(tx: Tx, isStillMember: MembershipCheck | undefined): Promise<Pair[]> {
  const waiting = tx.state.pool.filter((entry) => !isPaused(entry, tx.now));
  const backends = waiting.filter((entry) => entry.role === "backend");
  const frontends = waiting.filter((entry) => entry.role === "frontend");
  if (backends.length === 0 || frontends.length === 0) return [];
  // Pair history is symmetric: the records of the smaller track hold every recent pair between tracks.
  const [smaller, larger] =
    backends.length <= frontends.length ? [backends, frontends] : [frontends, backends];
  await tx.prefetch(smaller.map((entry) => entry.user));
  const others = new Set(larger.map((entry) => entry.user));
  let unblocked = false;
  for (const entry of smaller) {
    const recent = new Set(
      (await tx.member(entry.user)).history
        .filter((item) => tx.now - item.at < tx.recencyMs && others.has(item.partner))
        .map((item) => item.partner),
    );
    if (recent.size < others.size) {
      unblocked = true;
      break;
    }
  }
  if (!unblocked) return [];
  await tx.prefetch(larger.map((entry) => entry.user));
  const pairs: Pair[] = [];
  for (const entry of waiting.sort((a, b) => a.at - b.at)) {
    if (tx.entry(entry.user) === undefined) continue; // paired (or dropped) earlier in this loop
    const pair = await tryMatch(tx, entry, "queue", isStillMember);
    if (pair !== null) pairs.push(pair);
  }
  return pairs;
}

/** Reads pair records from id `from` upwards, in chunks, until `visit` returns false or ids run out. */
async function scanPairs(
  store: Store,
  guildId: string,
  from: number,
  end: number,
  visit: (id: number, pair: Pair | undefined) => boolean,
): Promise<void> {
  const CHUNK = 100;
  for (let start = from; start < end; start += CHUNK) {
    const ids = Array.from({ length: Math.min(CHUNK, end - start) }, (_, i) => start + i);
    const pairs = await store.getMany(
      ids.map((id) => pairKey(guildId, id)),
      PairSchema,
    );
    for (let i = 0; i < ids.length; i++) {
      if (!visit(ids[i] ?? 0, pairs[i])) return;
    }
  }
}

/**
 * Claims the follow-ups due at `clock.now()` (48 h after each match, or a retry's time): each is handed
 * out once, then the caller posts it; a post Discord did not answer is handed back (releaseFollowUp).
 * Dissolved pairs are skipped.
 */
export async function claimDueFollowUps(store: Store, clock: Clock, guildId: string): Promise<Pair[]> {
  return transact(store, clock, guildId, async (tx) => {
    const claimed: Pair[] = [];
    const retries = tx.state.followUpRetries.filter((retry) => retry.at <= tx.now);
    if (retries.length > 0) {
      tx.state.followUpRetries = tx.state.followUpRetries.filter((retry) => retry.at > tx.now);
      tx.touchState();
      for (const { pairId } of retries) {
        const pair = await tx.pair(pairId);
        if (pair === undefined || pair.dissolved !== null || pair.followUpSentAt !== null) continue;
        pair.followUpSentAt = tx.now;
        tx.putPair(pair);
        claimed.push(pair);
      }
    }
    let cursor = tx.state.followUpCursor;
    let dissolvedPassed = 0;
    await scanPairs(store, guildId, cursor, tx.state.nextPairId, (id, pair) => {
      if (pair !== undefined && pair.createdAt + FOLLOW_UP_MS > tx.now) return false;
      if (pair !== undefined && pair.dissolved === null && pair.followUpSentAt === null) {
        pair.followUpSentAt = tx.now;
        tx.putPair(pair);
        claimed.push(pair);
      }
      if (pair !== undefined && pair.dissolved !== null) dissolvedPassed++;
      cursor = id + 1;
      return true;
    });
    if (cursor !== tx.state.followUpCursor) {
      tx.state.followUpCursor = cursor;
      tx.state.followUpsDissolved = Math.max(0, tx.state.followUpsDissolved - dissolvedPassed);
      tx.touchState();
    }
    return claimed;
  });
}

/**
 * Hands back a follow-up whose post Discord did not answer (an outage), to be claimed again later, the
 * wait doubling as for introductions (src/retry.ts). After RETRY_TRIES_MAX tries it stays
 * given up on (returns false). `dmSent`: members the try reached by DM, not sent it again.
 */
export async function releaseFollowUp(
  store: Store,
  clock: Clock,
  guildId: string,
  pairId: number,
  dmSent: readonly string[] = [],
): Promise<boolean> {
  return transact(store, clock, guildId, async (tx) => {
    const pair = await tx.pair(pairId);
    if (pair === undefined || pair.dissolved !== null) return false;
    pair.followUpAttempts += 1;
    if (dmSent.length > 0) pair.followUpDmSent = [...dmSent];
    tx.putPair(pair);
    if (pair.followUpAttempts >= RETRY_TRIES_MAX) return false;
    pair.followUpSentAt = null;
    const retries = tx.state.followUpRetries.filter((retry) => retry.pairId !== pairId);
    retries.push({ pairId, at: tx.now + retryDelay(pair.followUpAttempts) });
    tx.state.followUpRetries = retries.slice(-FOLLOW_UP_RETRIES_KEPT);
    tx.touchState();
    return true;
  });
}

export type Answer = "met" | "not_yet";

/**
 * A click on "We met" / "Not yet". Only the pair's two members may answer; the first "met" counts.
 * Writes the pair's record alone: the follow-up may come by DM, and Discord sends DM clicks to shard 0,
 * whose process may not be the one serving this guild (README: Storage). Its lock does not keep that
 * other process out, so rewriting the guild's pairing state from here could undo a match made meanwhile.
 * "Pairs that met" in /pair stats is counted from the pairs' `metAt` for the same reason.
 */
export async function recordAnswer(
  store: Store,
  clock: Clock,
  guildId: string,
  pairId: number,
  userId: string,
  answer: Answer,
): Promise<{ pair: Pair; firstMet: boolean }> {
  let firstMet = false;
  const pair = await store.update(pairKey(guildId, pairId), PairSchema, (pair) => {
    if (pair === undefined) throw new UserError(`Pair #${pairId} does not exist any more.`);
    if (userId !== pair.backend.user && userId !== pair.frontend.user) {
      throw new UserError(`Only the two members of pair #${pairId} can answer this.`);
    }
    firstMet = answer === "met" && pair.metAt === null;
    return {
      ...pair,
      answers: { ...pair.answers, [userId]: answer },
      metAt: firstMet ? clock.now() : pair.metAt,
    };
  });
  if (pair === undefined) throw new Error("answer update returned nothing");
  return { pair, firstMet };
}

/**
 * The member was told in their own reply that these pairs were undone (their partner had left): the
 * notices kept for their next /pair would tell them again, so they go.
 */
export async function dismissPartnerLeft(
  store: Store,
  clock: Clock,
  guildId: string,
  userId: string,
  pairIds: readonly number[],
): Promise<void> {
  if (pairIds.length === 0) return;
  // One record: no transaction over the pool and settings (`store.update` holds the guild's lock).
  await store.update(pairMemberKey(guildId, userId), PairMemberSchema, (member) => {
    if (member === undefined) return undefined;
    const kept = member.notices.filter(
      (notice) => notice.kind !== "partner-left" || !pairIds.includes(notice.pairId ?? -1),
    );
    return kept.length === member.notices.length
      ? member
      : { ...member, notices: kept, updatedAt: clock.now() };
  });
}

/** A delivery older than this in state "delivering" is assumed abandoned (the process died) and retried. */
export const DELIVERY_STALE_MS = 10 * 60_000;

/**
 * Claims a pair's introduction: the pair for exactly one caller while it is pending (or abandoned), so the
 * interaction and the retry job never both create a thread. `abandoned`: an earlier try was given up (the
 * process died) or failed while Discord was not answering; either may have got as far as opening the
 * pair's thread (Discord may have made it and failed only to answer).
 */
export async function claimDelivery(
  store: Store,
  clock: Clock,
  guildId: string,
  pairId: number,
): Promise<{ pair: Pair; abandoned: boolean } | undefined> {
  let claimed: { pair: Pair; abandoned: boolean } | undefined;
  await store.update(pairKey(guildId, pairId), PairSchema, (pair) => {
    if (pair === undefined || pair.dissolved !== null) return pair;
    const now = clock.now();
    const { state, at } = pair.delivery;
    if (state !== "pending" && !(state === "delivering" && now - at >= DELIVERY_STALE_MS)) return pair;
    const next: Pair = { ...pair, delivery: { ...pair.delivery, state: "delivering", at: now } };
    claimed = { pair: next, abandoned: state === "delivering" || pair.delivery.attempts > 0 };
    return next;
  });
  return claimed;
}

/**
 * How an introduction went. "pending": Discord did not answer (5xx, network), so the job tries again, or,
 * once the tries are spent, it is recorded as "failed"; "failed": Discord refused (no thread, no DM).
 */
export type DeliveryOutcome = {
  state: "private" | "public" | "dm" | "pending" | "failed";
  channelId: string | null;
  threadId: string | null;
  /** "pending" after only some of the DMs went out: who has the introduction already. */
  dmSent?: string[];
};

export async function recordDelivery(
  store: Store,
  clock: Clock,
  guildId: string,
  pairId: number,
  outcome: DeliveryOutcome,
): Promise<Pair | undefined> {
  return deliveries.submit(store, clock, guildId, { pairId, outcome });
}

const deliveries = transactBatch<{ pairId: number; outcome: DeliveryOutcome }, Pair | undefined>(
  async (tx, { pairId, outcome }) => {
    const pair = await tx.pair(pairId);
    if (pair === undefined) return undefined;
    if (outcome.state === "pending") {
      const attempts = pair.delivery.attempts + 1;
      // Who had it by DM stays known through tries that sent none (a thread Discord did not answer).
      const dmSent = outcome.dmSent ?? pair.delivery.dmSent;
      // Given up on: introduced after all when one of them had it by DM.
      const spent = (dmSent?.length ?? 0) > 0 ? "dm" : "failed";
      const state = attempts >= RETRY_TRIES_MAX ? spent : "pending";
      pair.delivery = { ...outcome, state, at: tx.now, attempts, ...(dmSent ? { dmSent } : {}) };
    } else {
      pair.delivery = { ...outcome, at: tx.now, attempts: pair.delivery.attempts };
    }
    tx.putPair(pair);
    return pair;
  },
);

/**
 * Pairs still waiting for their introduction `minAgeMs` after being made, or abandoned mid-way (the
 * process died), or whose last try Discord did not answer (once its back-off has passed): the job retries
 * them. Advances the delivery cursor past pairs that are settled.
 */
export async function pendingDeliveries(
  store: Store,
  clock: Clock,
  guildId: string,
  minAgeMs: number,
): Promise<number[]> {
  return transact(store, clock, guildId, async (tx) => {
    const due: number[] = [];
    let cursor = tx.state.deliveryCursor;
    let settledPrefix = true;
    await scanPairs(store, guildId, cursor, tx.state.nextPairId, (id, pair) => {
      const state = pair?.delivery.state;
      const settled =
        pair === undefined || pair.dissolved !== null || (state !== "pending" && state !== "delivering");
      if (settled) {
        if (settledPrefix) cursor = id + 1;
        return true;
      }
      settledPrefix = false;
      if (
        (state === "pending" &&
          tx.now - pair.createdAt >= minAgeMs &&
          (pair.delivery.attempts === 0 ||
            tx.now - pair.delivery.at >= retryDelay(pair.delivery.attempts))) ||
        (state === "delivering" && tx.now - pair.delivery.at >= DELIVERY_STALE_MS)
      ) {
        due.push(id);
      }
      return true;
    });
    if (cursor !== tx.state.deliveryCursor) {
      tx.state.deliveryCursor = cursor;
      tx.touchState();
    }
    return due;
  });
}

export type DissolveResult = { requeued: string | null; rematch: Pair | null };

/**
 * A member of a pair turned out to have left the guild before the introduction: the pair is undone, the
 * departed member dropped, and the partner goes back to the pool with their original place (and is told);
 * the partner's instant match is tried again at once.
 */
export async function dissolvePair(
  store: Store,
  clock: Clock,
  guildId: string,
  pairId: number,
  departed: string,
  isStillMember?: MembershipCheck,
): Promise<DissolveResult> {
  return transact(store, clock, guildId, async (tx) => {
    const pair = await getPair(store, guildId, pairId);
    if (pair === undefined || pair.dissolved !== null) return { requeued: null, rematch: null };
    if (departed !== pair.backend.user && departed !== pair.frontend.user) {
      throw new Error(`${departed} is not in pair ${pairId}`);
    }
    // As every other path into matching: a request that expired since the last pass is not a candidate.
    await expire(tx);
    pair.dissolved = { at: tx.now, departed };
    pair.delivery = { ...pair.delivery, state: "failed", at: tx.now };
    tx.putPair(pair);
    tx.state.stats.matches = Math.max(0, tx.state.stats.matches - 1);
    tx.state.stats.departed += 1;
    // Out of "Follow-ups to come" until the cursor passes it (a pair it passed already was not counted).
    if (pairId >= tx.state.followUpCursor) tx.state.followUpsDissolved += 1;
    tx.touchState();
    const stayingSide = departed === pair.backend.user ? pair.frontend : pair.backend;
    const stayingRole: PairRole = departed === pair.backend.user ? "frontend" : "backend";
    for (const user of [departed, stayingSide.user]) {
      const member = await tx.member(user);
      const kept = member.history.filter((item) => item.pairId !== pairId);
      if (kept.length < member.history.length) {
        member.pairs = Math.max(0, (member.pairs ?? member.history.length) - 1);
      }
      member.history = kept;
      tx.touchMember(user);
    }
    tx.removeFromPool(new Set([departed]));
    const staying = await tx.member(stayingSide.user);
    pushNotice(staying, { kind: "partner-left", at: tx.now, pairId });
    if (tx.entry(stayingSide.user) !== undefined) return { requeued: null, rematch: null }; // asked again meanwhile
    staying.note = stayingSide.note;
    // The zone as it is now (the member's own, or the server's), not as it was when the pair was made.
    const zones = await memberTimezones(tx.store, clock, guildId, [stayingSide.user]);
    const entry: PoolEntry = {
      user: stayingSide.user,
      role: stayingRole,
      topic: stayingSide.topic,
      tz: zones.get(stayingSide.user) ?? stayingSide.tz,
      at: stayingSide.requestedAt,
      seenAt: tx.now,
      // The request was fulfilled and is revived now: a full wait from here, not an expiry a minute after
      // "you are back in the queue" (it keeps its place: `at`).
      resumedAt: tx.now,
    };
    tx.state.pool.push(entry);
    const rematch = await tryMatch(tx, entry, "request", isStillMember);
    return { requeued: stayingSide.user, rematch };
  });
}

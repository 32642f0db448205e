import { z } from "zod";
import { guildKey } from "../store/keys.js";

/**
 * Key layout (all under the guild's prefix and lock):
 *   guild:{g}:pair:state            PairingState: the waiting pool, the pair-id counter, the follow-up and
 *                                    delivery cursors, the counters for /pair stats. One compact record,
 *                                    rewritten under the guild lock by every pool change.
 *   guild:{g}:pair:settings         PairSettings (admins): recency window, request expiry.
 *   guild:{g}:pair:member:{userId}  PairMember: the note of the open request, pause, pair history (for
 *                                    the recency window and /pair history), notices to tell the member.
 *   guild:{g}:pair:pair:{pairId}    Pair: both sides, the suggested project, delivery, follow-up, answers.
 */
export const pairStateKey = (guildId: string) => guildKey(guildId, "pair", "state");
export const pairSettingsKey = (guildId: string) => guildKey(guildId, "pair", "settings");
export const pairMemberKey = (guildId: string, userId: string) => guildKey(guildId, "pair", "member", userId);
export const pairKey = (guildId: string, pairId: number) => guildKey(guildId, "pair", "pair", pairId);

export const PAIR_ROLES = ["backend", "frontend"] as const;
export const RoleSchema = z.enum(PAIR_ROLES);

export const NOTE_MAX = 300;
export const DEFAULT_RECENCY_DAYS = 28;
export const DEFAULT_EXPIRY_DAYS = 7;
export const RECENCY_DAYS_MAX = 180;
export const EXPIRY_DAYS_MAX = 90;
export const PAUSE_DAYS_MAX = 60;
/** A follow-up is posted this long after the match. */
export const FOLLOW_UP_MS = 48 * 3_600_000;
/** Follow-ups waiting for Discord to answer again, at most (an outage in a large server). */
export const FOLLOW_UP_RETRIES_KEPT = 1_000;

const Snowflake = z.string().regex(/^\d{1,20}$/);
const Ms = z.number().int().nonnegative();
const Counter = z.number().int().nonnegative().default(0);

/** One waiting request in the pool: only what matching needs (the note lives in the member record). */
export const PoolEntrySchema = z.object({
  user: Snowflake,
  role: RoleSchema,
  topic: z.string().max(100).nullable(),
  /** The member's IANA time zone, kept current while they wait (offsets are taken at match time). */
  tz: z.string().min(1).max(64),
  /** When the request was made: its place in the queue (the wait), and where its expiry starts. */
  at: Ms,
  /** Not matchable before this instant (from /pair pause). */
  pausedUntil: Ms.optional(),
  /**
   * When its last pause ended (the scheduled end, or the moment the member lifted it with /pair request),
   * or when an undone pair put it back. The expiry counts from the latest of `at`, `pausedUntil` and this,
   * so neither eats into the wait it promised; `at` stays the queue order. Absent on requests never paused
   * or revived (and on older records).
   */
  resumedAt: Ms.optional(),
  /** Last time the member was known to be in the guild (their request, or a membership check). */
  seenAt: Ms.optional(),
  /** A round left this member over at this instant; they are told the next time they use /pair. */
  leftOverAt: Ms.optional(),
});
export type PoolEntry = z.output<typeof PoolEntrySchema>;

export const PairingStateSchema = z.object({
  nextPairId: z.number().int().min(1).default(1),
  pool: z.array(PoolEntrySchema).default([]),
  /**
   * Pair ids grow with time, so the follow-ups form a queue: every pair below this id has had its 48 h
   * follow-up handed out (or was dissolved). A cursor instead of a list keeps this record small.
   */
  followUpCursor: z.number().int().min(1).default(1),
  /**
   * Dissolved pairs at or above `followUpCursor`: they never get a follow-up, so "Follow-ups to come" in
   * /pair stats leaves them out without reading pair records. Raised by a dissolve, lowered as the cursor
   * passes them.
   */
  followUpsDissolved: z.number().int().nonnegative().default(0),
  /**
   * Follow-ups handed out but not posted because Discord did not answer, each with when to try again:
   * below the cursor, so kept apart (the oldest dropped first past FOLLOW_UP_RETRIES_KEPT).
   */
  followUpRetries: z
    .array(z.object({ pairId: z.number().int().min(1), at: Ms }))
    .max(FOLLOW_UP_RETRIES_KEPT)
    .default([]),
  /** Every pair below this id has been introduced (thread or DMs), given up on, or dissolved. */
  deliveryCursor: z.number().int().min(1).default(1),
  /**
   * Members whose request expired and who were not told in the channel yet, oldest first: the pairing job
   * posts them within a minute, whichever command or pass expired them. Kept short (the oldest dropped
   * first); the notice on each member's next /pair is the durable record.
   */
  expiredUnannounced: z.array(Snowflake).default([]),
  /**
   * The /pair stats counters. "Pairs that met" is not one of them: it is counted from the pairs' `metAt`
   * (an answer may be recorded by a process that does not serve the guild; pairing.ts recordAnswer). The
   * `met` that older records hold is dropped on read: their pairs carry the same count.
   */
  stats: z
    .object({
      requests: Counter,
      matches: Counter,
      expired: Counter,
      cancelled: Counter,
      departed: Counter,
      rounds: Counter,
    })
    .default({ requests: 0, matches: 0, expired: 0, cancelled: 0, departed: 0, rounds: 0 }),
});
export type PairingState = z.output<typeof PairingStateSchema>;

export const PairSettingsSchema = z.object({
  recencyDays: z.number().int().min(1).max(RECENCY_DAYS_MAX).default(DEFAULT_RECENCY_DAYS),
  expiryDays: z.number().int().min(1).max(EXPIRY_DAYS_MAX).default(DEFAULT_EXPIRY_DAYS),
  updatedAt: Ms.default(0),
  updatedBy: Snowflake.nullable().default(null),
});
export type PairSettings = z.output<typeof PairSettingsSchema>;

export const NoticeSchema = z.object({
  kind: z.enum(["expired", "partner-left"]),
  at: Ms,
  role: RoleSchema.optional(),
  pairId: z.number().int().min(1).optional(),
});
export type Notice = z.output<typeof NoticeSchema>;

export const HistoryItemSchema = z.object({
  pairId: z.number().int().min(1),
  partner: Snowflake,
  /** This member's role in that pair. */
  role: RoleSchema,
  at: Ms,
});
export type HistoryItem = z.output<typeof HistoryItemSchema>;

export const PairMemberSchema = z.object({
  /** The note of the open request (the pool entry is the authority on whether one is open). */
  note: z.string().max(NOTE_MAX).nullable().default(null),
  /** Newest last. Kept while inside the longest possible recency window, and at least the last 25. */
  history: z.array(HistoryItemSchema).default([]),
  /**
   * Pairs this member has had (undone ones not counted): `history` forgets old ones. Absent in records
   * written before it was kept, which count their history.
   */
  pairs: z.number().int().nonnegative().optional(),
  notices: z.array(NoticeSchema).max(20).default([]),
  updatedAt: Ms.default(0),
});
export type PairMember = z.output<typeof PairMemberSchema>;

export const PairSideSchema = z.object({
  user: Snowflake,
  topic: z.string().max(100).nullable(),
  note: z.string().max(NOTE_MAX).nullable(),
  tz: z.string().min(1).max(64),
  requestedAt: Ms,
});
export type PairSide = z.output<typeof PairSideSchema>;

export const DELIVERY_STATES = ["pending", "delivering", "private", "public", "dm", "failed"] as const;

export const PairSchema = z.object({
  id: z.number().int().min(1),
  backend: PairSideSchema,
  frontend: PairSideSchema,
  createdAt: Ms,
  /** How it was made: "queue" by the pairing job, between requests the recency window had kept apart. */
  via: z.enum(["request", "round", "resume", "queue"]),
  projectId: z.string().min(1).max(60),
  delivery: z
    .object({
      state: z.enum(DELIVERY_STATES),
      at: Ms,
      channelId: Snowflake.nullable().default(null),
      threadId: Snowflake.nullable().default(null),
      /**
       * Tries that failed only because Discord did not answer (5xx, network, timeouts): the pair is pending
       * again and the pairing job retries it, backing off, until RETRY_TRIES_MAX (src/retry.ts).
       */
      attempts: z.number().int().nonnegative().default(0),
      /**
       * Members already sent the introduction by DM while another's DM was not answered: a retry sends it
       * only to the others (Discord's nonce holds a few minutes, the back-off is longer).
       */
      dmSent: z.array(Snowflake).max(2).optional(),
    })
    .default({ state: "pending", at: 0, channelId: null, threadId: null, attempts: 0 }),
  followUpSentAt: Ms.nullable().default(null),
  /** Posts of the follow-up that Discord did not answer (it is retried: pairing.ts releaseFollowUp). */
  followUpAttempts: z.number().int().nonnegative().default(0),
  /** Members a follow-up try reached by DM while another's DM was not answered: not sent it again. */
  followUpDmSent: z.array(Snowflake).max(2).optional(),
  answers: z.record(z.string(), z.enum(["met", "not_yet"])).default({}),
  metAt: Ms.nullable().default(null),
  /** Set when a member turned out to have left the guild before the pair was introduced. */
  dissolved: z.object({ at: Ms, departed: Snowflake }).nullable().default(null),
});
export type Pair = z.output<typeof PairSchema>;
export type PairRole = z.output<typeof RoleSchema>;

import { z } from "zod";
import { guildKey } from "../store/keys.js";
import { wholeNumberMap } from "../store/schemas.js";

/**
 * The journal's records, one zod schema each. Layout (all under the guild's prefix and lock):
 * - `guild:{g}:learn:meta`            the counter: next entry id and a version bumped on every change
 *                                     (once for a batch of logs);
 * - `guild:{g}:learn:entry:{id}`      one entry (ids are dense per guild, so 1..nextId-1 enumerates them);
 * - `guild:{g}:learn:member:{userId}` a member's compact index: entries per local day (streaks) and ids.
 */

export const ENTRY_KINDS = ["learning", "challenge", "solution", "best-practice"] as const;
export const EntryKindSchema = z.enum(ENTRY_KINDS);
export type EntryKind = z.output<typeof EntryKindSchema>;

export const TEXT_MIN = 10;
export const TEXT_MAX = 1000;
export const LINK_MAX = 500;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const userId = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[^:]+$/);

export const EntrySchema = z.object({
  id: z.number().int().positive(),
  authorId: userId,
  topic: z.string().min(1).max(100),
  kind: EntryKindSchema.default("learning"),
  text: z.string().min(TEXT_MIN).max(TEXT_MAX),
  link: z.string().max(LINK_MAX).nullable().default(null),
  private: z.boolean().default(false),
  createdAt: z.number().int().nonnegative(),
  editedAt: z.number().int().nonnegative().nullable().default(null),
  /** The author's local date at creation, in their time zone then: streaks never recompute zones. */
  day: z.string().regex(DAY),
  /** Set when the pairing feature logs an entry for a pairing session. */
  pairingId: z.string().min(1).max(100).nullable().default(null),
});
export type Entry = z.output<typeof EntrySchema>;

export const JournalMetaSchema = z.object({
  nextId: z.number().int().positive(),
  /** Bumped by every log, edit and delete: lets readers tell whether a cached snapshot is current. */
  version: z.number().int().nonnegative(),
});
export type JournalMeta = z.output<typeof JournalMetaSchema>;

/** Positive whole numbers, strictly ascending (a member's entry ids), checked by a loop like the days. */
function isAscendingIds(value: unknown): value is number[] {
  if (!Array.isArray(value)) return false;
  let previous = 0;
  for (const id of value as unknown[]) {
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= previous) return false;
    previous = id;
  }
  return true;
}

export const MemberJournalSchema = z.object({
  /** Local day (YYYY-MM-DD) → number of entries logged that day. */
  days: wholeNumberMap({
    key: (key) => DAY.test(key),
    min: 1,
    message: "expected local days (YYYY-MM-DD) → entry counts",
  }),
  /** The member's entry ids, ascending. */
  ids: z.custom<number[]>(isAscendingIds, "expected entry ids in ascending order"),
});
export type MemberJournal = z.output<typeof MemberJournalSchema>;

export const journalMetaKey = (guildId: string) => guildKey(guildId, "learn", "meta");
export const entryKey = (guildId: string, id: number) => guildKey(guildId, "learn", "entry", id);
export const memberJournalKey = (guildId: string, userId: string) =>
  guildKey(guildId, "learn", "member", userId);

export const emptyMeta = (): JournalMeta => ({ nextId: 1, version: 0 });
export const emptyMemberJournal = (): MemberJournal => ({ days: {}, ids: [] });

import type { z } from "zod";
import type { Clock } from "../clock.js";
import { UserError } from "../discord/errors.js";
import { atMostChars, charLength } from "../discord/text.js";
import { memberTimezone, memberTimezones } from "../guild/members.js";
import { GuildBatcher, type Outcome } from "../store/batcher.js";
import type { Store } from "../store/store.js";
import { localDate } from "../time.js";
import { parseTopic, TOPICS } from "../topics.js";
import {
  ENTRY_KINDS,
  type Entry,
  type EntryKind,
  EntryKindSchema,
  EntrySchema,
  emptyMemberJournal,
  entryKey,
  type JournalMeta,
  JournalMetaSchema,
  journalMetaKey,
  LINK_MAX,
  type MemberJournal,
  MemberJournalSchema,
  memberJournalKey,
  TEXT_MAX,
  TEXT_MIN,
} from "./records.js";
import { applyChange, authorEntries, guildEntries, recoverMeta } from "./snapshot.js";
import { computeStreak, type StreakSummary } from "./streak.js";

// ── input rules ──────────────────────────────────────────────────────────────────────────────────────

/** Entry text: trimmed, 10–1,000 characters. */
export function parseEntryText(input: string): string {
  const text = input.trim();
  const length = charLength(text);
  if (length < TEXT_MIN || length > TEXT_MAX) {
    throw new UserError(
      `An entry needs ${TEXT_MIN}–${TEXT_MAX.toLocaleString("en-US")} characters of text; yours has ${length.toLocaleString("en-US")}.`,
    );
  }
  return text;
}

/** A link: an absolute http(s) URL of at most 500 characters; empty means none. */
export function parseLink(input: string | null | undefined): string | null {
  const trimmed = input?.trim() ?? "";
  if (trimmed === "") return null;
  let url: URL | undefined;
  try {
    url = new URL(trimmed);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw new UserError(
      "A link must be an http(s) URL, for example `https://docs.djangoproject.com/en/stable/`.",
    );
  }
  // The normalised form (spaces and the like percent-encoded) is what Discord accepts as an embed URL.
  const href = url.href;
  if (!atMostChars(trimmed, LINK_MAX)) {
    throw new UserError(`A link can be at most ${LINK_MAX} characters long.`);
  }
  if (href.length > LINK_MAX) {
    // Typed shorter: its non-ASCII characters and spaces took several characters each once encoded.
    throw new UserError(
      `This link is ${href.length} characters long once encoded for the web (each non-Latin character or ` +
        `space takes several), over the ${LINK_MAX} a link can have. A shorter form of it would do.`,
    );
  }
  return href;
}

export function parseKind(input: string | null | undefined): EntryKind {
  if (input === null || input === undefined || input.trim() === "") return "learning";
  const result = EntryKindSchema.safeParse(input.trim().toLowerCase());
  if (!result.success) throw new UserError(`The kind must be one of ${ENTRY_KINDS.join(", ")}.`);
  return result.data;
}

/** A topic from a caller that may not have gone through the autocomplete; undefined for none. */
export function parseTopicFilter(input: string | null | undefined): string | undefined {
  if (input === null || input === undefined || input.trim() === "") return undefined;
  return parseTopic(input);
}

/** Case-insensitive canonical topic, or undefined when it is not one of ours (never throws). */
export function canonicalTopic(input: string): string | undefined {
  const lower = input.trim().toLowerCase();
  return TOPICS.find((topic) => topic.toLowerCase() === lower);
}

// ── log ──────────────────────────────────────────────────────────────────────────────────────────────

export type LogEntryInput = {
  authorId: string;
  topic: string;
  text: string;
  link?: string | null;
  private?: boolean;
  kind?: string | null;
  /** The pairing feature tags the entries it logs for a session. */
  pairingId?: string | null;
};

/** The streak after the log, without the calendar (the log's answer shows the count only). */
export type LogResult = { entry: Entry; streak: Omit<StreakSummary, "calendar"> };

/** The journal's counter, recovered when absent. Call under the guild lock. */
async function readMeta(store: Store, guildId: string, now: number): Promise<JournalMeta> {
  return (await store.get(journalMetaKey(guildId), JournalMetaSchema)) ?? recoverMeta(store, guildId, now);
}

/**
 * A member's index, rebuilt from the guild's entries when absent (their first entry, or a record that was
 * lost or failed its schema), so a damaged index never resets a streak. Read-only: a change to the index
 * calls it under the guild lock; `/learn streak` only reads, so it calls it without.
 */
async function readMember(store: Store, guildId: string, userId: string): Promise<MemberJournal> {
  const member = await store.get(memberJournalKey(guildId, userId), MemberJournalSchema);
  return member ?? rebuildMember(store, guildId, userId);
}

/** The index rebuilt from the journal; `meta`: the counter, when the caller has just read it. */
async function rebuildMember(
  store: Store,
  guildId: string,
  userId: string,
  meta?: JournalMeta,
): Promise<MemberJournal> {
  const own = await authorEntries(store, guildId, userId, meta);
  if (own.length === 0) return emptyMemberJournal();
  const days: Record<string, number> = {};
  for (const entry of own) days[entry.day] = (days[entry.day] ?? 0) + 1;
  return { days, ids: own.map((entry) => entry.id).sort((a, b) => a - b) };
}

/** A log whose input is validated, waiting for its batch (`createdAt`: when it was asked for). */
type ValidLog = Omit<z.input<typeof EntrySchema>, "id" | "editedAt" | "day">;

/**
 * Saves an entry. Everything is validated first; then the log joins its guild's next batch
 * (src/store/batcher.ts), which runs under the guild lock: one round of reads for the whole batch (the
 * authors' zones and journal indexes, the guild's config and journal counter), the entries numbered in
 * arrival order, and every write (entries, indexes, counter) made in the guild's section, which writes
 * them together when it ends (one commit; nothing if the batch throws).
 * A lone log is a batch of one and runs at once.
 */
export async function logEntry(
  store: Store,
  clock: Clock,
  guildId: string,
  input: LogEntryInput,
): Promise<LogResult> {
  const log: ValidLog = {
    authorId: input.authorId,
    topic: parseTopic(input.topic),
    text: parseEntryText(input.text),
    link: parseLink(input.link),
    kind: parseKind(input.kind),
    private: input.private ?? false,
    pairingId: input.pairingId ?? null,
    createdAt: clock.now(),
  };
  return logs.submit(store, clock, guildId, log);
}

const logs = new GuildBatcher<ValidLog, LogResult>(async (store, clock, guildId, items) => {
  const authors = [...new Set(items.map((item) => item.authorId))];
  const metaKey = journalMetaKey(guildId);
  const [zones, indexes, counter] = await Promise.all([
    memberTimezones(store, clock, guildId, authors),
    store.getMany(
      authors.map((id) => memberJournalKey(guildId, id)),
      MemberJournalSchema,
    ),
    store.get(metaKey, JournalMetaSchema),
  ]);
  const meta = counter ?? (await recoverMeta(store, guildId, clock.now()));
  const members = new Map<string, MemberJournal>();
  await Promise.all(
    authors.map(async (id, i) => {
      members.set(id, indexes[i] ?? (await rebuildMember(store, guildId, id, counter)));
    }),
  );
  const outcomes: Outcome<LogResult>[] = [];
  const entries: Entry[] = [];
  let nextId = meta.nextId;
  for (const item of items) {
    // The batch's own copy of the index (parsed or rebuilt for this batch): updated in place.
    const member = members.get(item.authorId) ?? emptyMemberJournal();
    members.set(item.authorId, member);
    const day = localDate(item.createdAt, zones.get(item.authorId) ?? "UTC");
    let entry: Entry;
    try {
      // Validated once, by `set`, before the section holds it: an entry that fails writes nothing and
      // uses no id.
      entry = await store.set(entryKey(guildId, nextId), EntrySchema, {
        ...item,
        id: nextId,
        editedAt: null,
        day,
      });
    } catch (error) {
      outcomes.push({ ok: false, error });
      continue;
    }
    nextId += 1;
    entries.push(entry);
    member.days[day] = (member.days[day] ?? 0) + 1;
    member.ids.push(entry.id);
    const { calendar: _, ...streak } = computeStreak(Object.keys(member.days), day, 0);
    outcomes.push({ ok: true, value: { entry, streak } });
  }
  if (entries.length === 0) return outcomes;
  const nextMeta = { nextId, version: meta.version + 1 };
  const changed = new Set(entries.map((entry) => entry.authorId));
  await Promise.all([
    ...[...changed].map((id) =>
      store.set(memberJournalKey(guildId, id), MemberJournalSchema, members.get(id) ?? emptyMemberJournal()),
    ),
    store.set(metaKey, JournalMetaSchema, nextMeta),
  ]);
  applyChange(
    store,
    guildId,
    meta.version,
    nextMeta.version,
    entries.map((entry) => ({ put: entry })),
  );
  return outcomes;
});

// ── edit / delete ────────────────────────────────────────────────────────────────────────────────────

async function ownEntry(store: Store, guildId: string, id: number, userId: string): Promise<Entry> {
  if (!Number.isSafeInteger(id) || id < 1)
    throw new UserError("Entry ids are positive whole numbers, like `12`.");
  const entry = await store.get(entryKey(guildId, id), EntrySchema);
  if (entry === undefined) throw new UserError(`There is no journal entry #${id} in this server.`);
  if (entry.authorId !== userId) {
    throw new UserError(
      `Entry #${id} belongs to someone else: you can only edit or delete your own entries.`,
    );
  }
  return entry;
}

/** `/learn edit`: replaces the text of one of the caller's own entries. */
export async function editEntry(
  store: Store,
  clock: Clock,
  guildId: string,
  input: { userId: string; id: number; text: string },
): Promise<Entry> {
  const text = parseEntryText(input.text);
  return store.locked(guildId, async (store) => {
    const entry = await ownEntry(store, guildId, input.id, input.userId);
    const edited = EntrySchema.parse({ ...entry, text, editedAt: clock.now() });
    const meta = await readMeta(store, guildId, clock.now());
    const nextMeta = { ...meta, version: meta.version + 1 };
    await Promise.all([
      store.set(entryKey(guildId, entry.id), EntrySchema, edited),
      store.set(journalMetaKey(guildId), JournalMetaSchema, nextMeta),
    ]);
    applyChange(store, guildId, meta.version, nextMeta.version, { put: edited });
    return edited;
  });
}

/** `/learn delete`: removes one of the caller's own entries (and its day from their streak if it was the last). */
export async function deleteEntry(
  store: Store,
  clock: Clock,
  guildId: string,
  input: { userId: string; id: number },
): Promise<Entry> {
  const memberKey = memberJournalKey(guildId, input.userId);
  // Under the guild lock, like every change to a member's index (logs run in the guild's batch).
  return store.locked(guildId, async (store) => {
    const entry = await ownEntry(store, guildId, input.id, input.userId);
    const metaKey = journalMetaKey(guildId);
    const [meta, member] = await Promise.all([
      readMeta(store, guildId, clock.now()),
      readMember(store, guildId, input.userId),
    ]);
    const left = (member.days[entry.day] ?? 0) - 1;
    const days = Object.fromEntries(
      Object.entries({ ...member.days, [entry.day]: left }).filter(([, count]) => count > 0),
    );
    const nextMeta = { ...meta, version: meta.version + 1 };
    await Promise.all([
      store.delete(entryKey(guildId, entry.id)),
      store.set(memberKey, MemberJournalSchema, { days, ids: member.ids.filter((id) => id !== entry.id) }),
      store.set(metaKey, JournalMetaSchema, nextMeta),
    ]);
    applyChange(store, guildId, meta.version, nextMeta.version, { remove: entry.id });
    return entry;
  });
}

// ── reads ────────────────────────────────────────────────────────────────────────────────────────────

/** A member's entries (private ones included), oldest first. */
export async function memberEntries(store: Store, guildId: string, userId: string): Promise<Entry[]> {
  const member = await store.get(memberJournalKey(guildId, userId), MemberJournalSchema);
  // No index (none yet, or lost or damaged): the journal itself says which entries are theirs.
  if (member === undefined) return (await authorEntries(store, guildId, userId)).reverse();
  if (member.ids.length === 0) return [];
  const entries = await store.getMany(
    member.ids.map((id) => entryKey(guildId, id)),
    EntrySchema,
  );
  return entries.filter((entry): entry is Entry => entry !== undefined).sort((a, b) => a.id - b.id);
}

/** Up to `limit` of a member's most recent entries (for the id autocomplete). */
export async function recentMemberEntries(
  store: Store,
  guildId: string,
  userId: string,
  limit: number,
): Promise<Entry[]> {
  const member = await store.get(memberJournalKey(guildId, userId), MemberJournalSchema);
  if (member === undefined) return (await authorEntries(store, guildId, userId)).slice(0, limit);
  const ids = member.ids.slice(-limit).reverse();
  const entries = await store.getMany(
    ids.map((id) => entryKey(guildId, id)),
    EntrySchema,
  );
  return entries.filter((entry): entry is Entry => entry !== undefined);
}

export const PAGE_SIZE = 10;

export type ListInput = {
  viewerId: string;
  memberId?: string | null;
  topic?: string | null;
  page?: number | null;
};

export type ListPage = {
  entries: Entry[];
  page: number;
  pages: number;
  total: number;
  /** The canonical topic filtered on, if any. */
  topic: string | null;
};

/**
 * `/learn list`: the guild's entries, newest first, `PAGE_SIZE` a page, optionally one member's and/or
 * one topic's. Private entries are shown to their author only.
 */
export async function listEntries(
  store: Store,
  _clock: Clock,
  guildId: string,
  input: ListInput,
): Promise<ListPage> {
  const topic = parseTopicFilter(input.topic);
  const page = input.page ?? 1;
  if (!Number.isSafeInteger(page) || page < 1) throw new UserError("Pages are numbered from 1.");
  const all = await guildEntries(store, guildId);
  const matching = all.filter(
    (entry) =>
      (!entry.private || entry.authorId === input.viewerId) &&
      (input.memberId == null || entry.authorId === input.memberId) &&
      (topic === undefined || entry.topic === topic),
  );
  const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
  if (page > pages) {
    throw new UserError(`There ${pages === 1 ? "is only 1 page" : `are only ${pages} pages`} of entries.`);
  }
  return {
    entries: matching.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
    page,
    pages,
    total: matching.length,
    topic: topic ?? null,
  };
}

/** `/learn streak`: a member's streak as of today in their current time zone. */
export async function memberStreak(
  store: Store,
  clock: Clock,
  guildId: string,
  userId: string,
): Promise<StreakSummary & { timezone: string }> {
  const [member, timezone] = await Promise.all([
    readMember(store, guildId, userId),
    memberTimezone(store, clock, guildId, userId),
  ]);
  const streak = computeStreak(Object.keys(member.days), localDate(clock.now(), timezone));
  return { ...streak, timezone };
}

import { UserError } from "../discord/errors.js";
import { cachedTermCounts, type Ranked, rankByRelevance, tokenize } from "../search/text.js";
import { lastInSequence, rebuiltVersion } from "../store/probe.js";
import { VersionedSnapshots } from "../store/snapshots.js";
import type { Store } from "../store/store.js";
import {
  CHUNK_SIZE,
  chunkOf,
  chunksUpTo,
  IndexChunkSchema,
  type IndexEntry,
  KEYWORDS_MAX,
  keys,
  type Meta,
  MetaSchema,
  type Question,
  QuestionSchema,
} from "./schema.js";

/**
 * The per-guild question index: compact summaries in chunks of CHUNK_SIZE question numbers, so a list
 * or search is two reads (the counter, then every chunk in one getMany) and an update rewrites one chunk.
 */

/** Longer "words" are pasted tokens, hashes or base64, which nobody searches for: they are left out. */
const KEYWORD_LENGTH_MAX = 50;

/**
 * Distinct lower-case words of `text`, joined, at most KEYWORDS_MAX characters. A word that does not fit
 * is skipped, not the end: a later, shorter one may still fit.
 */
export function keywordsOf(text: string | null): string {
  if (!text) return "";
  const words = [
    ...new Set(
      text
        .normalize("NFKC")
        .toLowerCase()
        .match(/[\p{L}\p{N}+#]+/gu) ?? [],
    ),
  ];
  let out = "";
  for (const word of words) {
    if (word.length > KEYWORD_LENGTH_MAX) continue;
    const next = out === "" ? word : `${out} ${word}`;
    if (next.length > KEYWORDS_MAX) continue;
    out = next;
  }
  return out;
}

export function indexEntryOf(question: Question): IndexEntry {
  return {
    n: question.number,
    author: question.authorId,
    title: question.title,
    topic: question.topic,
    status: question.status,
    answers: question.answerCount,
    createdAt: question.createdAt,
    nudged: question.nudgedAt !== null,
    channelId: question.channelId,
    messageId: question.messageId,
    kw: keywordsOf(question.details),
  };
}

// ——— in-process snapshot ———
//
// Parsing every chunk on every list would cost O(N) per interaction, so each Store keeps a snapshot of
// each guild's index tagged with the meta `version`. A read costs one small record (the meta) when the
// snapshot is current; writes in this process patch the snapshot after they commit; a change made by
// another process shows up as a version mismatch and triggers a reload. The meta is written after the
// chunk, so a reader that sees version v finds every change up to v in the chunks.

type Snapshot = { version: number; byNumber: Map<number, IndexEntry>; sorted: readonly IndexEntry[] | null };

const snapshots = new VersionedSnapshots<Snapshot>();

function sortedOf(snapshot: Snapshot): readonly IndexEntry[] {
  if (snapshot.sorted === null) snapshot.sorted = [...snapshot.byNumber.values()].sort((a, b) => a.n - b.n);
  return snapshot.sorted;
}

// ——— recovery ———
//
// The question records are the truth; the meta and the index chunks summarise them. When a summary is
// absent or fails its schema, it is rebuilt from the records (src/store/probe.ts finds the highest
// question number: questions are never deleted, so numbers are dense), so a damaged summary never
// hides a question nor lets /ask reuse a number.

/** The highest question number stored, found by probing the question records. */
export async function lastQuestionNumber(store: Store, guildId: string): Promise<number> {
  return lastInSequence(store, (n) => keys.question(guildId, n));
}

/**
 * The meta, or when it is absent (no question yet) or damaged, one rebuilt from the question records:
 * `lastNumber` is never below a stored question. A rebuilt version is fresh, so no process mistakes an
 * old snapshot for the current one. `rebuilt` tells that the meta is not stored (nothing is written here).
 */
export async function readMeta(store: Store, guildId: string): Promise<Meta & { rebuilt: boolean }> {
  const stored = await store.get(keys.meta(guildId), MetaSchema);
  if (stored !== undefined) return { ...stored, rebuilt: false };
  const lastNumber = await lastQuestionNumber(store, guildId);
  return { lastNumber, version: lastNumber === 0 ? 0 : rebuiltVersion(), rebuilt: true };
}

/** The summaries of one index chunk, rebuilt from the question records it covers (up to `lastNumber`). */
export async function rebuildChunk(
  store: Store,
  guildId: string,
  chunk: number,
  lastNumber: number,
): Promise<IndexEntry[]> {
  const first = Math.max(1, chunk * CHUNK_SIZE);
  const last = Math.min(lastNumber, (chunk + 1) * CHUNK_SIZE - 1);
  if (last < first) return [];
  const questions = await store.getMany(
    Array.from({ length: last - first + 1 }, (_, i) => keys.question(guildId, first + i)),
    QuestionSchema,
  );
  return questions.filter((question) => question !== undefined).map(indexEntryOf);
}

/**
 * Writes the question's summary into its chunk (alongside `records`, the writes of the records it
 * summarises), then bumps the meta (highest number, version) once they are all durable. A chunk that is
 * absent or damaged is rebuilt from the question records first (the damaged copy is quarantined by
 * `store.update`), so writing one summary never drops the others. Call inside the guild lock.
 */
export async function upsertIndex(
  store: Store,
  guildId: string,
  question: Question,
  records: () => Promise<unknown> = async () => undefined,
): Promise<void> {
  const entry = indexEntryOf(question);
  const meta: Meta = await readMeta(store, guildId);
  const chunk = chunkOf(question.number);
  await Promise.all([
    records(),
    store.update(keys.index(guildId, chunk), IndexChunkSchema, async (current) => {
      // Absent is also the normal state of a chunk's first question: then the rebuild reads just that one.
      const base =
        current?.entries ?? (await rebuildChunk(store, guildId, chunk, Math.max(meta.lastNumber, entry.n)));
      const entries = base.filter((e) => e.n !== entry.n);
      entries.push(entry);
      entries.sort((a, b) => a.n - b.n);
      return { entries };
    }),
  ]);
  const next: Meta = { lastNumber: Math.max(meta.lastNumber, entry.n), version: meta.version + 1 };
  await store.set(keys.meta(guildId), MetaSchema, next);
  snapshots.patch(store, guildId, meta.version, next.version, (snapshot) => {
    snapshot.byNumber.set(entry.n, entry);
    snapshot.sorted = null;
  });
}

/** Every indexed question of a guild, in number order. Treat as read-only. */
export async function readIndex(store: Store, guildId: string): Promise<readonly IndexEntry[]> {
  const meta = await readMeta(store, guildId);
  if (meta.lastNumber === 0) return [];
  // A rebuilt meta has a version of its own: loaded afresh, not cached (this path is for damage only).
  if (meta.rebuilt) return sortedOf(await loadSnapshot(store, guildId, meta));
  return sortedOf(
    await snapshots.get(store, guildId, meta.version, () => loadSnapshot(store, guildId, meta)),
  );
}

/** Every chunk up to the meta's last number; one that is absent or damaged is rebuilt from the records. */
async function loadSnapshot(store: Store, guildId: string, meta: Meta): Promise<Snapshot> {
  const chunks = chunksUpTo(meta.lastNumber);
  const records = await store.getMany(
    chunks.map((chunk) => keys.index(guildId, chunk)),
    IndexChunkSchema,
  );
  const rebuilt = await Promise.all(
    chunks.map((chunk, i) =>
      records[i] === undefined ? rebuildChunk(store, guildId, chunk, meta.lastNumber) : [],
    ),
  );
  const byNumber = new Map<number, IndexEntry>();
  for (const record of records) for (const entry of record?.entries ?? []) byNumber.set(entry.n, entry);
  for (const entries of rebuilt) for (const entry of entries) byNumber.set(entry.n, entry);
  return { version: meta.version, byNumber, sorted: null };
}

/** The text a question is matched on by search, similarity and autocomplete. */
function searchableText(entry: IndexEntry): string {
  return `${entry.title} ${entry.title} ${entry.topic ?? ""} ${entry.kw}`;
}

/**
 * The term counts of `searchableText`, once per index entry (snapshot entries are never mutated: an
 * update replaces the entry), so autocomplete, which ranks the open questions at every keystroke, and
 * search do not tokenise every question each time.
 */
const searchableCounts = cachedTermCounts(searchableText);

/** Questions by relevance to `query` (BM25 over `searchableText`), ties to the newest. */
export function rankQuestions(entries: readonly IndexEntry[], query: string): Ranked<IndexEntry>[] {
  return rankByRelevance(entries, query, searchableText, (entry) => entry.createdAt, searchableCounts);
}

export type ListQuery =
  | { kind: "open"; topic?: string | null }
  | { kind: "search"; query: string }
  | { kind: "mine"; userId: string };

export type ListPage = { entries: IndexEntry[]; page: number; pages: number; total: number };

export const PAGE_SIZE = 10;

const newestFirst = (a: IndexEntry, b: IndexEntry) => b.createdAt - a.createdAt || b.n - a.n;

/**
 * The open questions of an index, newest first, once per index array: `readIndex` hands out the same
 * array until the guild's questions change (then a new one), and `/questions open` asks for this list on
 * every call, so it is filtered and sorted once per change, not per interaction.
 */
const openNewestFirst = new WeakMap<readonly IndexEntry[], readonly IndexEntry[]>();

function openOf(all: readonly IndexEntry[]): readonly IndexEntry[] {
  let open = openNewestFirst.get(all);
  if (open === undefined) {
    open = all.filter((entry) => entry.status === "open").sort(newestFirst);
    openNewestFirst.set(all, open);
  }
  return open;
}

/**
 * Picks and orders the questions of a list (pure, for tests and the command). `all` is read-only and
 * never changed afterwards (the open list is remembered per array), and so is the result.
 */
export function selectQuestions(all: readonly IndexEntry[], query: ListQuery): readonly IndexEntry[] {
  if (query.kind === "open") {
    const open = openOf(all);
    return query.topic ? open.filter((entry) => entry.topic === query.topic) : open;
  }
  const live = all.filter((entry) => entry.status !== "deleted");
  switch (query.kind) {
    case "mine":
      return live.filter((entry) => entry.author === query.userId).sort(newestFirst);
    case "search": {
      if (tokenize(query.query).length === 0) {
        throw new UserError("Search for at least one meaningful word (for example `django migrations`).");
      }
      const number = /^\s*q?(\d+)\s*$/i.exec(query.query)?.[1];
      const exact = number === undefined ? [] : live.filter((entry) => entry.n === Number(number));
      const ranked = rankQuestions(live, query.query).map((r) => r.item);
      return [...exact, ...ranked.filter((entry) => !exact.includes(entry))];
    }
  }
}

/** Cuts one page out of a selection; a page past the end shows the last page. */
export function pageOf(selected: readonly IndexEntry[], page: number, pageSize = PAGE_SIZE): ListPage {
  if (!Number.isInteger(page) || page < 1) throw new UserError("`page` is a whole number from 1.");
  const pages = Math.max(1, Math.ceil(selected.length / pageSize));
  const shown = Math.min(page, pages);
  return {
    entries: selected.slice((shown - 1) * pageSize, shown * pageSize),
    page: shown,
    pages,
    total: selected.length,
  };
}

/** `/questions open|search|mine`: one page of the guild's questions. */
export async function listQuestions(
  store: Store,
  guildId: string,
  query: ListQuery,
  page = 1,
): Promise<ListPage> {
  if (query.kind === "search") selectQuestions([], query); // validates before any read
  return pageOf(selectQuestions(await readIndex(store, guildId), query), page);
}

/** Open questions for autocomplete: a typed number matches by number, words by relevance, nothing → newest. */
export function rankOpenQuestions(all: readonly IndexEntry[], typed: string, limit = 25): IndexEntry[] {
  const open = all.filter((entry) => entry.status === "open");
  const text = typed.trim();
  if (text === "") return [...open].sort((a, b) => b.createdAt - a.createdAt || b.n - a.n).slice(0, limit);
  const digits = /^q?(\d+)$/i.exec(text)?.[1];
  if (digits !== undefined) {
    const exact = open.filter((entry) => String(entry.n) === digits);
    const prefix = open
      .filter((entry) => String(entry.n).startsWith(digits) && String(entry.n) !== digits)
      .sort((a, b) => a.n - b.n);
    const titled = rankQuestions(open, text).map((r) => r.item);
    return [...new Set([...exact, ...prefix, ...titled])].slice(0, limit);
  }
  return rankQuestions(open, text)
    .slice(0, limit)
    .map((r) => r.item);
}

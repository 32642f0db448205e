import type { Clock } from "../clock.js";
import { UserError } from "../discord/errors.js";
import { cachedTermCounts, rankByRelevance, tokenize } from "../search/text.js";
import type { Store } from "../store/store.js";
import { canonicalTopic, parseTopicFilter } from "./entries.js";
import type { Entry } from "./records.js";
import { guildEntries } from "./snapshot.js";

export type JournalHit = {
  id: number;
  authorId: string;
  topic: string;
  text: string;
  link: string | null;
  createdAt: number;
  score: number;
};

export type SearchOptions = {
  /** Only entries of this topic (matched case-insensitively); an unknown topic matches nothing. */
  topic?: string;
  limit: number;
  /** Also search private entries (everyone's: for trusted callers only). */
  includePrivate?: boolean;
};

function searchable(entry: Entry): string {
  return `${entry.topic} ${entry.text}`;
}

/**
 * Each entry's term counts, computed once per entry object (snapshot entries are immutable; an edit
 * makes a new object). They pick the candidates, the entries sharing a term with the query, so a query
 * costs work in proportion to its matches, not to the whole journal, and BM25 scores them without
 * tokenising them again.
 */
const countsOf = cachedTermCounts(searchable);

/** Whose private entries a search may see: nobody's, everybody's, or one viewer's own. */
export type Visibility = { kind: "public" } | { kind: "all" } | { kind: "viewer"; viewerId: string };

type Ranked = Array<{ entry: Entry; score: number }>;

/**
 * Results per snapshot: a snapshot array is replaced whenever the journal changes, so results cached
 * against it can never be stale. A burst of identical searches computes once.
 */
const resultCache = new WeakMap<readonly Entry[], Map<string, Ranked>>();
const CACHED_RESULTS = 50;
const CACHED_QUERIES = 256;
/** Authors with at least one private entry, per snapshot. */
const privateAuthorsCache = new WeakMap<readonly Entry[], ReadonlySet<string>>();

function privateAuthors(entries: readonly Entry[]): ReadonlySet<string> {
  let authors = privateAuthorsCache.get(entries);
  if (authors === undefined) {
    authors = new Set(entries.filter((entry) => entry.private).map((entry) => entry.authorId));
    privateAuthorsCache.set(entries, authors);
  }
  return authors;
}

function isVisible(entry: Entry, visibility: Visibility): boolean {
  if (!entry.private || visibility.kind === "all") return true;
  return visibility.kind === "viewer" && entry.authorId === visibility.viewerId;
}

/**
 * Ranked entries, full records: `rankByRelevance` (BM25) over the candidates that share a term with the
 * query (the only ones it can score above zero), with the term weights of everything searched (the
 * entries visible to the viewer, in the topic). Ties in relevance go to the newest: candidates are newest
 * first and the sort is stable, so equal `createdAt` falls back to the higher id.
 */
export async function rankEntries(
  store: Store,
  guildId: string,
  query: string,
  options: { topic?: string | undefined; limit: number; visibility: Visibility },
): Promise<Ranked> {
  const limit = Math.max(0, Math.floor(options.limit));
  const terms = [...new Set(tokenize(query))];
  if (limit === 0 || terms.length === 0) return [];
  let topic: string | undefined;
  if (options.topic !== undefined && options.topic.trim() !== "") {
    topic = canonicalTopic(options.topic);
    if (topic === undefined) return [];
  }
  const entries = await guildEntries(store, guildId);
  let visibility = options.visibility;
  // A viewer without private entries sees exactly what the public sees: share those results.
  if (visibility.kind === "viewer" && !privateAuthors(entries).has(visibility.viewerId)) {
    visibility = { kind: "public" };
  }
  const scope = visibility.kind === "viewer" ? `viewer:${visibility.viewerId}` : visibility.kind;
  const key = `${scope}\u0000${topic ?? ""}\u0000${terms.join(" ")}`;
  let cache = resultCache.get(entries);
  const cached = limit <= CACHED_RESULTS ? cache?.get(key) : undefined;
  if (cached !== undefined) return cached.slice(0, limit);

  // One pass over what this search covers: the candidates, and the collection's statistics for BM25.
  const candidates: Entry[] = [];
  const frequency = new Map<string, number>(terms.map((term) => [term, 0]));
  let documents = 0;
  let totalLength = 0;
  for (const entry of entries) {
    if (topic !== undefined && entry.topic !== topic) continue;
    if (!isVisible(entry, visibility)) continue;
    const { counts, length } = countsOf(entry);
    documents += 1;
    totalLength += length;
    let matches = false;
    for (const term of terms) {
      if (!counts.has(term)) continue;
      frequency.set(term, (frequency.get(term) ?? 0) + 1);
      matches = true;
    }
    if (matches) candidates.push(entry);
  }
  const corpus = {
    documents,
    averageLength: documents === 0 ? 1 : totalLength / documents,
    frequency: (term: string) => frequency.get(term) ?? 0,
  };
  const ranked = rankByRelevance(
    candidates,
    query,
    searchable,
    (entry) => entry.createdAt,
    countsOf,
    corpus,
  ).map(({ item, score }) => ({ entry: item, score }));
  if (cache === undefined) {
    cache = new Map();
    resultCache.set(entries, cache);
  }
  if (cache.size >= CACHED_QUERIES) cache.clear();
  cache.set(key, ranked.slice(0, CACHED_RESULTS));
  return ranked.slice(0, limit);
}

/**
 * Full-text search over a guild's journal: BM25 relevance over topic and text, ties to the newest.
 * Private entries are left out unless `includePrivate`. Used by `/learn search` and by Q&A suggestions.
 */
export async function searchJournal(
  store: Store,
  guildId: string,
  query: string,
  options: SearchOptions,
): Promise<
  Array<{
    id: number;
    authorId: string;
    topic: string;
    text: string;
    link: string | null;
    createdAt: number;
    score: number;
  }>
> {
  const includePrivate = options.includePrivate ?? false;
  const ranked = await rankEntries(store, guildId, query, {
    topic: options.topic,
    limit: options.limit,
    visibility: { kind: includePrivate ? "all" : "public" },
  });
  return ranked.map(({ entry, score }) => toHit(entry, score));
}

function toHit(entry: Entry, score: number): JournalHit {
  return {
    id: entry.id,
    authorId: entry.authorId,
    topic: entry.topic,
    text: entry.text,
    link: entry.link,
    createdAt: entry.createdAt,
    score,
  };
}

export const SEARCH_LIMIT = 10;

/**
 * `/learn search`: like `searchJournal`, with the viewer's own private entries included, and a query
 * that must contain a searchable word.
 */
export async function searchForViewer(
  store: Store,
  _clock: Clock,
  guildId: string,
  input: { viewerId: string; query: string; topic?: string | null },
): Promise<Array<{ entry: Entry; score: number }>> {
  const query = input.query.trim();
  if (tokenize(query).length === 0) {
    throw new UserError("Search for at least one meaningful word, for example `redis cache invalidation`.");
  }
  const topic = parseTopicFilter(input.topic);
  return rankEntries(store, guildId, query, {
    topic,
    limit: SEARCH_LIMIT,
    visibility: { kind: "viewer", viewerId: input.viewerId },
  });
}

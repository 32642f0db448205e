/**
 * Small full-text ranking shared by the journal, Q&A and suggestions: tokenise, drop stop words, light
 * stemming, then BM25 over the candidate documents. Good enough for a community's few thousand
 * entries, with no index to keep in sync.
 */

const STOP_WORDS = new Set(
  (
    "a an and are as at be but by can do does for from how i if in into is it its me my not of on or so " +
    "that the their then there these this to was what when where which who why will with you your we our " +
    "should would could about use using get got has have had just vs"
  ).split(" "),
);

/**
 * A final doubled consonant made single: "runn" (from "running") → "run", "stopp" → "stop", and "add" →
 * "ad" like "added" and "adding". "call", "pass" and "buzz" keep their pair.
 */
function undouble(stem: string): string {
  const last = stem.at(-1);
  return last !== undefined && last === stem.at(-2) && /[^aeioulsz\d]/.test(last) ? stem.slice(0, -1) : stem;
}

function stripSuffix(word: string): string {
  if (word.length > 5 && word.endsWith("ing")) return word.slice(0, -3);
  // A plural of an -ing noun loses both, as its singular loses -ing: "settings", "setting" → "sett".
  if (word.length > 6 && word.endsWith("ings")) return word.slice(0, -4);
  if (word.length > 4 && word.endsWith("ies")) return `${word.slice(0, -3)}y`;
  // "queried" meets "query" and "queries" (not "queri").
  if (word.length > 4 && word.endsWith("ied")) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && word.endsWith("es") && /(ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith("s") && !word.endsWith("ss")) return word.slice(0, -1);
  if (word.length > 4 && word.endsWith("ed")) return word.slice(0, -2);
  return word;
}

/**
 * A word and its inflections meet on one stem: "caching", "cached" and "caches" lose their suffix to
 * "cach", so "cache" drops its final "e" to meet them (and "routes" its "s" and then its "e", like
 * "route" and "routing"). Stems live only in memory (term counts per record object, never stored), so
 * changing them needs no stored index rebuilt.
 */
function stem(word: string): string {
  const stripped = stripSuffix(word);
  // Every stem, not only one that lost -ing or -ed: a word whose own last letters are doubled ("add",
  // "diff") must meet its inflections ("added", "diffing"), which lose their pair with their suffix.
  return undouble(stripped.length > 3 && stripped.endsWith("e") ? stripped.slice(0, -1) : stripped);
}

export function tokenize(text: string): string[] {
  return (
    text
      .normalize("NFKC")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+(?:[+#][\p{L}\p{N}+#]*)?/gu) ?? []
  )
    .filter((word) => !STOP_WORDS.has(word))
    .map(stem);
}

export type Ranked<T> = { item: T; score: number };

/** What BM25 needs of a document: its length in terms and how often each term occurs. */
export type TermCounts = { readonly length: number; readonly counts: ReadonlyMap<string, number> };

export function termCounts(text: string): TermCounts {
  const terms = tokenize(text);
  const counts = new Map<string, number>();
  for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
  return { length: terms.length, counts };
}

/**
 * `termCounts(text(item))`, computed once per item object: for items that are never mutated (snapshot
 * records, which an edit replaces with a new object). Tokenising was most of a ranking's cost: over the
 * bench's 3,000 journal entries a search that missed the results cache took 2.9 ms of CPU before this
 * cache and 1.5 ms with it (`node dist/bench/run.js search`).
 */
export function cachedTermCounts<T extends object>(text: (item: T) => string): (item: T) => TermCounts {
  const cache = new WeakMap<T, TermCounts>();
  return (item) => {
    let counts = cache.get(item);
    if (counts === undefined) {
      counts = termCounts(text(item));
      cache.set(item, counts);
    }
    return counts;
  };
}

/**
 * The collection a ranking is over, when the items ranked are only some of it (the candidates that share a
 * term with the query): BM25's term weights and average length must come from the whole collection. Taken
 * from the candidates alone, a term most of them share weighs almost nothing, and a query is ranked on its
 * rarest term only.
 */
export type CorpusStats = {
  documents: number;
  averageLength: number;
  /** How many documents of the collection contain `term` (asked only for the query's terms). */
  frequency: (term: string) => number;
};

/**
 * Ranks `items` by BM25 relevance of `text(item)` to `query`; ties broken by `recency(item)` (newer
 * first). Items with no query term are left out. `countsOf` gives an item's term counts (default:
 * tokenise `text(item)`; pass a `cachedTermCounts` for immutable items). `corpus`: the statistics of the
 * collection `items` were picked from (default: `items` are the whole collection).
 */
export function rankByRelevance<T>(
  items: readonly T[],
  query: string,
  text: (item: T) => string,
  recency: (item: T) => number = () => 0,
  countsOf: (item: T) => TermCounts = (item) => termCounts(text(item)),
  corpus?: CorpusStats,
): Ranked<T>[] {
  const terms = [...new Set(tokenize(query))];
  if (terms.length === 0 || items.length === 0) return [];
  const docs = items.map(countsOf);
  const documents = corpus?.documents ?? docs.length;
  const avgLength =
    (corpus?.averageLength ?? docs.reduce((sum, doc) => sum + doc.length, 0) / docs.length) || 1;
  // Only the query's terms are scored, so only their document frequencies are needed.
  const idf = terms.map((term) => {
    let n = 0;
    if (corpus !== undefined) n = corpus.frequency(term);
    else for (const doc of docs) if (doc.counts.has(term)) n += 1;
    return Math.log(1 + (documents - n + 0.5) / (n + 0.5));
  });
  const k1 = 1.2;
  const b = 0.75;
  const ranked: Ranked<T>[] = [];
  docs.forEach((doc, i) => {
    let score = 0;
    terms.forEach((term, t) => {
      const tf = doc.counts.get(term) ?? 0;
      if (tf === 0) return;
      score += ((idf[t] ?? 0) * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * doc.length) / avgLength));
    });
    const item = items[i];
    if (score > 0 && item !== undefined) ranked.push({ item, score });
  });
  return ranked.sort((x, y) => y.score - x.score || recency(y.item) - recency(x.item));
}

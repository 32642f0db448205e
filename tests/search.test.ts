import { describe, expect, it } from "vitest";
import { cachedTermCounts, rankByRelevance, termCounts, tokenize } from "../src/search/text.js";

describe("text search", () => {
  it("GIVEN text THEN it is tokenised without stop words and with light stemming", () => {
    expect(tokenize("How do I cache the queries in Django?")).toEqual(["cach", "query", "django"]);
  });

  it("GIVEN a word and its inflections (cache, caching, cached, caches) WHEN tokenised THEN they share one stem", () => {
    for (const words of [
      ["cache", "caches", "caching", "cached"],
      ["route", "routes", "routing", "routed"],
      ["schedule", "schedules", "scheduling", "scheduled"],
      ["match", "matches", "matching", "matched"],
      ["query", "queries"],
    ]) {
      expect(new Set(words.flatMap((word) => tokenize(word))).size, words.join()).toBe(1);
    }
  });

  it("GIVEN words with a doubled last consonant (running, stopped, added) WHEN tokenised THEN they meet their base word", () => {
    for (const words of [
      ["run", "runs", "running"],
      ["stop", "stops", "stopped", "stopping"],
      ["map", "maps", "mapped", "mapping"],
      ["commit", "commits", "committed", "committing"],
      // Doubled in the word itself.
      ["add", "adds", "added", "adding"],
      ["diff", "diffs", "diffed", "diffing"],
      ["stuff", "stuffed"],
    ]) {
      expect(new Set(words.flatMap((word) => tokenize(word))).size, words.join()).toBe(1);
    }
    // A double letter of the word itself stays.
    expect(tokenize("called passed buzzed")).toEqual(["call", "pass", "buzz"]);
  });

  it("GIVEN plurals of -ing nouns (settings, warnings) and past tenses in -ied (queried) WHEN tokenised THEN they meet their other forms", () => {
    for (const words of [
      ["setting", "settings", "set"],
      ["warning", "warnings", "warn", "warned"],
      ["string", "strings"],
      ["mapping", "mappings", "map"],
      ["binding", "bindings", "bind"],
      ["query", "queries", "queried"],
      ["apply", "applies", "applied"],
      ["copy", "copies", "copied"],
    ]) {
      expect(new Set(words.flatMap((word) => tokenize(word))).size, words.join()).toBe(1);
    }
    const docs = [{ text: "Split the Django settings per environment and silenced two warnings" }];
    expect(rankByRelevance(docs, "setting warning", (doc) => doc.text)).toHaveLength(1);
    expect(
      rankByRelevance([{ text: "Queried the orders table twice" }], "query", (doc) => doc.text),
    ).toHaveLength(1);
  });

  it("GIVEN entries about caching WHEN searching 'cache' THEN each of them is found", () => {
    const docs = [
      { id: 1, text: "Caching and Redis: Cached the product list in Redis with a five minute TTL" },
      { id: 2, text: "Caching and Redis: Per-view caches invalidate when the model is saved" },
      { id: 3, text: "Docker: Multi-stage builds keep images small" },
    ];
    expect(
      rankByRelevance(docs, "cache", (d) => d.text)
        .map((r) => r.item.id)
        .sort(),
    ).toEqual([1, 2]);
    expect(
      rankByRelevance(docs, "caching", (d) => d.text)
        .map((r) => r.item.id)
        .sort(),
    ).toEqual([1, 2]);
  });

  it("GIVEN documents THEN the most relevant ranks first and ties go to the newest", () => {
    const docs = [
      { id: 1, text: "Docker compose networking between containers", at: 1 },
      { id: 2, text: "Redis caching for Django views; cache invalidation on save", at: 2 },
      { id: 3, text: "Caching querysets in Django with Redis", at: 3 },
      { id: 4, text: "Celery beat schedules", at: 4 },
      { id: 5, text: "Docker compose networking between containers", at: 5 },
    ];
    const ranked = rankByRelevance(
      docs,
      "django redis cache",
      (d) => d.text,
      (d) => d.at,
    ).map((r) => r.item.id);
    expect(ranked.slice(0, 2).sort()).toEqual([2, 3]);
    expect(ranked).not.toContain(4);
    const tie = rankByRelevance(
      docs,
      "docker networking",
      (d) => d.text,
      (d) => d.at,
    ).map((r) => r.item.id);
    expect(tie).toEqual([5, 1]);
  });

  it("GIVEN a corpus THEN every score is BM25 (k1 1.2, b 0.75) with the whole corpus's term weights, candidates or not", () => {
    const words = ["redis", "cache", "django", "docker", "celery", "queue", "index", "token", "jwt"];
    const docs = Array.from({ length: 60 }, (_, i) => ({
      id: i,
      text: Array.from({ length: 3 + (i % 7) }, (_, j) => words[(i * 5 + j * j * 2 + j) % words.length]).join(
        " ",
      ),
    }));
    const query = "redis cache token";
    // Straight from the definition, over every document.
    const terms = tokenize(query);
    const all = docs.map((d) => tokenize(d.text));
    const avg = all.reduce((sum, doc) => sum + doc.length, 0) / all.length;
    const frequency = (term: string) => all.filter((doc) => doc.includes(term)).length;
    const expected = new Map<number, number>();
    for (const d of docs) {
      const doc = tokenize(d.text);
      let score = 0;
      for (const term of terms) {
        const tf = doc.filter((t) => t === term).length;
        if (tf === 0) continue;
        const n = frequency(term);
        const idf = Math.log(1 + (all.length - n + 0.5) / (n + 0.5));
        score += (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * doc.length) / avg));
      }
      if (score > 0) expected.set(d.id, score);
    }
    expect(expected.size).toBeLessThan(docs.length);
    const whole = rankByRelevance(docs, query, (d) => d.text);
    // Only the candidates ranked, with the corpus's statistics given: the same scores.
    const candidates = docs.filter((d) => terms.some((t) => tokenize(d.text).includes(t)));
    const picked = rankByRelevance(candidates, query, (d) => d.text, undefined, undefined, {
      documents: all.length,
      averageLength: avg,
      frequency,
    });
    for (const ranked of [whole, picked]) {
      expect(ranked).toHaveLength(expected.size);
      for (const { item, score } of ranked)
        expect(score).toBeCloseTo(expected.get(item.id) ?? Number.NaN, 12);
    }
  });

  it("GIVEN cached term counts THEN the ranking is the same and each item is tokenised once", () => {
    const docs = Array.from({ length: 40 }, (_, i) => ({
      text: `${i % 2 ? "redis" : "django"} cache ${i % 3 ? "invalidation" : "warming"} note ${i}`,
      at: i,
    }));
    let tokenised = 0;
    const countsOf = cachedTermCounts((d: { text: string }) => {
      tokenised += 1;
      return d.text;
    });
    const plain = rankByRelevance(
      docs,
      "redis cache invalidation",
      (d) => d.text,
      (d) => d.at,
    );
    for (const query of ["redis cache invalidation", "django warming", "redis cache invalidation"]) {
      const cached = rankByRelevance(
        docs,
        query,
        (d) => d.text,
        (d) => d.at,
        countsOf,
      );
      const fresh = rankByRelevance(
        docs,
        query,
        (d) => d.text,
        (d) => d.at,
      );
      expect(cached).toEqual(fresh);
    }
    expect(
      rankByRelevance(
        docs,
        "redis cache invalidation",
        (d) => d.text,
        (d) => d.at,
        countsOf,
      ),
    ).toEqual(plain);
    expect(tokenised).toBe(docs.length);
    expect(termCounts("Cache the cache, caching!")).toEqual({ length: 3, counts: new Map([["cach", 3]]) });
  });
});

import { describe, expect, it } from "vitest";
import { rankByRelevance, tokenize } from "../src/search/text.js";

describe("text search", () => {
  it("GIVEN text THEN it is tokenised without stop words and with light stemming", () => {
    expect(tokenize("How do I cache the queries in Django?")).toEqual(["cache", "query", "django"]);
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
});

import { describe, expect, it } from "vitest";
import { LIMITS } from "../../src/discord/text.js";
import {
  BLOCK_BUDGET,
  entryBlock,
  entryEmbed,
  listEmbed,
  searchEmbed,
  statsEmbed,
  streakEmbed,
} from "../../src/journal/embeds.js";
import type { Entry } from "../../src/journal/records.js";
import { summarizeWeek } from "../../src/journal/stats.js";
import { computeStreak } from "../../src/journal/streak.js";

function entry(id: number, patch: Partial<Entry> = {}): Entry {
  return {
    id,
    authorId: "123456789012345678",
    topic: "Django ORM and query optimisation",
    kind: "learning",
    text: `${"prefetch_related ".repeat(58)}end`.slice(0, 1000),
    link: `https://example.com/${"p".repeat(470)}`,
    private: false,
    createdAt: Date.UTC(2026, 2, 1),
    editedAt: null,
    day: "2026-03-01",
    pairingId: null,
    ...patch,
  };
}

function fits(embed: { length: number; toJSON(): { description?: string; title?: string } }) {
  const json = embed.toJSON();
  expect(embed.length).toBeLessThanOrEqual(LIMITS.embedTotal);
  expect(json.description?.length ?? 0).toBeLessThanOrEqual(LIMITS.embedDescription);
  expect(json.title?.length ?? 0).toBeLessThanOrEqual(LIMITS.embedTitle);
}

describe("journal embeds", () => {
  it("GIVEN a page of ten maximal entries THEN the list embed fits and shows every entry and the page", () => {
    const entries = Array.from({ length: 10 }, (_, i) =>
      entry(1_000_000 - i, { editedAt: 1, private: true }),
    );
    const embed = listEmbed({ entries, page: 7, pages: 99_999, total: 999_990 }, "Learning journal");
    fits(embed);
    const json = embed.toJSON();
    for (const e of entries) expect(json.description).toContain(`**#${e.id}**`);
    expect(json.footer?.text).toMatch(/^page 7 of 99999/);
  });

  it("GIVEN an entry with a long text and link THEN its block stays within its budget and keeps a usable link or none", () => {
    const block = entryBlock(entry(1));
    expect(block.length).toBeLessThanOrEqual(BLOCK_BUDGET);
    const short = entryBlock(
      entry(2, { text: "Short text for the block", link: "https://example.com/a(b)" }),
    );
    expect(short).toContain("🔗 [example.com](https://example.com/a%28b%29)");
  });

  it("GIVEN an entry listed twice and then edited THEN the block is reused, and the edit shows", () => {
    const original = entry(7, { text: "Caching DRF viewsets with cache_page" });
    const first = entryBlock(original);
    expect(entryBlock(original)).toBe(first);
    const edited = { ...original, text: "Caching DRF viewsets per user with vary_on_headers", editedAt: 1 };
    expect(entryBlock(edited)).toContain("vary\\_on\\_headers");
    expect(entryBlock(edited)).toContain("edited");
    const narrow = entryBlock(original, 60);
    expect(narrow.length).toBeLessThanOrEqual(60);
    expect(narrow).not.toBe(first);
  });

  it("GIVEN text that mentions everyone or a member THEN it cannot look like a ping", () => {
    const block = entryBlock(entry(1, { text: "hey @everyone and <@123> look at this" }));
    expect(block).not.toContain("@everyone");
    expect(block).not.toContain("<@123>");
    const embed = entryEmbed(entry(1, { text: "@here is a thing <@&99> ok" }), { authorName: "@everyone" });
    const json = embed.toJSON();
    expect(JSON.stringify(json)).not.toMatch(/@here|@everyone|<@&99>/);
  });

  it("GIVEN entry text that leaves markdown open (an odd `**`, a code span cut by the budget) WHEN listed THEN nothing runs into the next entry's block", () => {
    const long = `${"Profiled the order list view and found the N+1 pattern again. ".repeat(4)}Fixed it with \`Order.objects.select_related("customer").prefetch_related("items__product")\` in the view, ${"and the page went from 240 queries to 3. ".repeat(5)}`;
    const entries = [
      entry(4, { text: "Multi-stage builds keep images small", link: null }),
      entry(3, { text: long, link: null }),
      entry(2, {
        text: "Forward *args and **kwargs to the parent, ~~not~~ ||spoilers|| or __dunder__",
        link: null,
      }),
      entry(1, { text: "# Compose healthchecks\n- gate depends_on", link: null }),
    ];
    const description = listEmbed({ entries, page: 1, pages: 1, total: 4 }, "Learning journal").toJSON()
      .description;
    const blocks = (description ?? "").split(/\n(?=\*\*#\d+\*\*)/);
    expect(blocks.map((block) => /^\*\*#(\d+)\*\*/.exec(block)?.[1])).toEqual(["4", "3", "2", "1"]);
    // With every escape taken out, the quoted text holds no marker Discord could pair with another block's.
    const texts = blocks.map((block) => (block.split("\n> ")[1] ?? "").replace(/\\[\s\S]/g, ""));
    expect(texts.filter((text) => /[*_`~|]|^#|^- /.test(text))).toEqual([]);
    expect(texts[1]).toMatch(/…$/);
    expect(blocks[2]).toContain("Forward \\*args and \\*\\*kwargs");
    expect(blocks[3]).toContain("> \\# Compose healthchecks - gate depends\\_on");
  });

  it("GIVEN a block cut right after a backslash of an escape THEN no lone backslash is left before the cut", () => {
    const text = "a*b".repeat(200);
    for (let budget = 100; budget < 140; budget += 1) {
      const quoted = entryBlock(entry(5, { text, link: null }), budget).split("\n> ")[1] ?? "";
      expect(quoted).toMatch(/^a\\\*b.*…$/);
      expect((/\\*…$/.exec(quoted)?.[0].length ?? 1) % 2, `budget ${budget}`).toBe(1);
    }
  });

  it("GIVEN an entry logged with pair:7 THEN its embed footer and its list block show the pairing", () => {
    const tagged = entry(9, { text: "Agreed the JSON shape of /api/todos", pairingId: "7", private: true });
    expect(entryEmbed(tagged, { authorName: "Alice" }).toJSON().footer?.text).toBe(
      "📘 Learning · 🤝 pair #7 · 🔒 private",
    );
    expect(entryBlock(tagged).split("\n")[0]).toMatch(/^\*\*#9\*\* · .* · 🤝 pair #7 · 🔒$/);
    expect(entryBlock(entry(10, { pairingId: null })).split("\n")[0]).not.toContain("pair");
    const longest = entryBlock(entry(11, { pairingId: "9".repeat(100), editedAt: 1, private: true }));
    expect(longest.length).toBeLessThanOrEqual(BLOCK_BUDGET);
    expect(longest).toContain(`🤝 pair #${"9".repeat(100)} · 🔒 · edited`);
  });

  it("GIVEN a maximal entry THEN the entry embed fits and links its title", () => {
    const streak = computeStreak(["2026-03-01"], "2026-03-01");
    const embed = entryEmbed(entry(12, { text: "x".repeat(1000) }), { authorName: "n".repeat(300), streak });
    fits(embed);
    expect(embed.toJSON().url).toMatch(/^https:\/\/example\.com\//);
    expect(embed.toJSON().footer?.text).toContain("1-day streak");
  });

  it("GIVEN a link whose host Discord refuses as an embed URL (no domain, an underscore) WHEN the entry embed is built THEN it does not link its title there but still shows the link", () => {
    // Discord answers "Not a well formed URL" for these, and refuses the whole reply with it.
    for (const link of ["http://web:8000/api/docs/", "https://my_app.example.com/"]) {
      const json = entryEmbed(entry(13, { link }), { authorName: "Ada" }).toJSON();
      expect(json.url).toBeUndefined();
      expect(json.fields?.[0]?.value).toContain(`(${link})`);
    }
    for (const link of [
      "https://docs.djangoproject.com/en/5.0/",
      "http://127.0.0.1:8000/",
      "https://xn--mnchen-3ya.de/",
    ]) {
      expect(entryEmbed(entry(14, { link }), { authorName: "Ada" }).toJSON().url).toBe(link);
    }
  });

  it("GIVEN ten maximal search results and a long query THEN the search embed fits", () => {
    const results = Array.from({ length: 10 }, (_, i) => ({ entry: entry(i + 1) }));
    fits(searchEmbed(results, "q".repeat(200)));
  });

  it("GIVEN a streak THEN the embed shows current, longest, freezes and a 14-day strip", () => {
    const days = Array.from({ length: 7 }, (_, i) => `2026-03-0${i + 1}`);
    const embed = streakEmbed({ ...computeStreak(days, "2026-03-09"), timezone: "Africa/Lagos" }, "Ada");
    const description = embed.toJSON().description ?? "";
    expect(description).toContain("Current streak: **7 days**");
    expect(description).toContain("Freezes held: **0** of 3");
    expect(description).toContain("🟩🟩🟩🟩🟩🟩🟩🧊⬜");
    expect(embed.toJSON().footer?.text).toContain("Africa/Lagos");
  });

  it("GIVEN stats THEN the embed names entries, learners and top topics", () => {
    const stats = summarizeWeek([entry(1, { createdAt: 5 }), entry(2, { createdAt: 6, authorId: "9" })], 10);
    const json = statsEmbed(stats).toJSON();
    expect(json.fields?.map((f) => f.name)).toEqual(["Entries", "Active learners", "Top topics", "Kinds"]);
    expect(json.fields?.[0]?.value).toContain("**2**");
    expect(json.fields?.[1]?.value).toContain("**2**");
    expect(json.fields?.[2]?.value).toContain("Django ORM and query optimisation: **2**");
  });
});

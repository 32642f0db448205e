import MarkdownIt from "markdown-it";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { UserError } from "../../src/discord/errors.js";
import { setMemberTimezone } from "../../src/guild/members.js";
import { logEntry } from "../../src/journal/entries.js";
import {
  exportJournal,
  fileSafeName,
  MAX_EXPORT_FILES,
  renderMarkdown,
  splitExport,
} from "../../src/journal/export.js";
import type { Entry } from "../../src/journal/records.js";
import { computeStreak } from "../../src/journal/streak.js";
import { silentLogger } from "../../src/log.js";
import { memoryStore } from "../../src/store/open.js";

const G = "100";
const ALICE = "201";
const BOB = "202";
const DAY_MS = 86_400_000;

async function journal() {
  const store = memoryStore(silentLogger());
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 12));
  const log = async (input: {
    topic: string;
    text: string;
    kind?: string;
    link?: string;
    private?: boolean;
  }) => {
    await logEntry(store, clock, G, { authorId: ALICE, ...input });
    clock.advance(DAY_MS);
  };
  await log({ topic: "Django", text: "Class-based views wrap the request cycle" });
  await log({ topic: "Caching and Redis", text: "Cache stampede when many keys expire", kind: "challenge" });
  await log({ topic: "Caching and Redis", text: "Jittered TTLs spread the expiries", kind: "solution" });
  await log({
    topic: "Docker",
    text: "Pin base image digests for reproducible builds",
    kind: "best-practice",
    link: "https://docs.docker.com/build/building/best-practices/",
  });
  await log({ topic: "Django", text: "select_related joins foreign keys in one query" });
  await log({ topic: "Django", text: "My private note about a bug at work", private: true });
  await logEntry(store, clock, G, { authorId: BOB, topic: "Python", text: "Bob's entry is not Alice's" });
  return { store, clock };
}

const alice = { userId: ALICE, userName: "Alice.Dev", displayName: "Alice" };

describe("exportJournal (markdown)", () => {
  it("GIVEN a journal THEN the file follows the documentation-hub sections in order", async () => {
    const { store, clock } = await journal();
    const file = await exportJournal(store, clock, G, alice);
    expect(file.filename).toBe("nexus-journal-alice.dev.md");
    expect(file.entries).toBe(6);
    const headings = file.content.split("\n").filter((line) => /^##? /.test(line));
    expect(headings).toEqual([
      "# Project Nexus — Alice's learning journal",
      "## Overview",
      "## Technologies covered",
      "## Key concepts",
      "## Challenges faced and solutions",
      "## Best practices and takeaways",
      "## Journal by topic",
    ]);
  });

  it("GIVEN entries of several topics THEN technologies are listed with counts and date ranges", async () => {
    const { store, clock } = await journal();
    const { content } = await exportJournal(store, clock, G, alice);
    expect(content).toContain("| Django | 3 | 2026-03-01 | 2026-03-06 |");
    expect(content).toContain("| Caching and Redis | 2 | 2026-03-02 | 2026-03-03 |");
    expect(content).toContain("| Docker | 1 | 2026-03-04 | 2026-03-04 |");
    expect(content).not.toContain("Python");
    expect(content).toContain("6 entries on 6 days between 2026-03-01 and 2026-03-06");
  });

  it("GIVEN kinds THEN each section holds its entries and the journal holds them all, with links", async () => {
    const { store, clock } = await journal();
    const { content } = await exportJournal(store, clock, G, alice);
    const section = (title: string) => content.split(`## ${title}`)[1]?.split("\n## ")[0] ?? "";
    expect(section("Key concepts")).toContain("- Class-based views wrap the request cycle (2026-03-01, #1)");
    expect(section("Key concepts")).not.toContain("Cache stampede");
    expect(section("Challenges faced and solutions")).toContain(
      "- **Challenge** (2026-03-02, #2): Cache stampede when many keys expire\n- **Solution** (2026-03-03, #3): Jittered TTLs",
    );
    expect(section("Best practices and takeaways")).toContain(
      "- **Docker**: Pin base image digests for reproducible builds (2026-03-04, #4)",
    );
    const all = section("Journal by topic");
    expect(all).toContain("### Django (3 entries)");
    expect(all).toContain("#### 2026-03-06 · #6 · learning · private");
    expect(all).toContain("Link: <https://docs.docker.com/build/building/best-practices/>");
    for (let id = 1; id <= 6; id += 1) expect(all).toContain(`· #${id} ·`);
  });

  it("GIVEN an entry logged with pair:7 THEN its references and its heading in the journal name the pairing", async () => {
    const { store, clock } = await journal();
    for (const kind of ["learning", "challenge", "best-practice"]) {
      await logEntry(store, clock, G, {
        authorId: ALICE,
        topic: "Frontend integration",
        kind,
        text: `Agreed the JSON shape of /api/todos (${kind})`,
        pairingId: "7",
      });
    }
    const { content } = await exportJournal(store, clock, G, alice);
    expect(content).toContain("- Agreed the JSON shape of /api/todos (learning) (2026-03-07, #8, pair #7)");
    expect(content).toContain("- **Challenge** (2026-03-07, #9, pair #7): Agreed the JSON shape");
    expect(content).toContain(
      "- **Frontend integration**: Agreed the JSON shape of /api/todos (best-practice) (2026-03-07, #10, pair #7)",
    );
    expect(content).toContain("#### 2026-03-07 · #9 · challenge · pair #7\n");
    expect(content).toContain("- Class-based views wrap the request cycle (2026-03-01, #1)\n");
  });

  it("GIVEN someone with no entries THEN a UserError says there is nothing to export", async () => {
    const { store, clock } = await journal();
    await expect(
      exportJournal(store, clock, G, { userId: "999", userName: "x", displayName: "X" }),
    ).rejects.toThrow(/no journal entries yet/);
  });

  it("GIVEN a thousand long entries THEN the whole journal is exported (no size limit)", async () => {
    const entries: Entry[] = Array.from({ length: 1000 }, (_, i) => ({
      id: i + 1,
      authorId: ALICE,
      topic: "Testing",
      kind: "learning",
      text: `${"word ".repeat(195)}${i}`,
      link: null,
      private: false,
      createdAt: Date.UTC(2026, 0, 1) + i * DAY_MS,
      editedAt: null,
      day: new Date(Date.UTC(2026, 0, 1) + i * DAY_MS).toISOString().slice(0, 10),
      pairingId: null,
    }));
    const content = renderMarkdown(entries, {
      userId: ALICE,
      displayName: "Alice",
      exportedAt: Date.UTC(2029, 0, 1),
      timezone: "UTC",
      streak: computeStreak(
        entries.map((e) => e.day),
        "2029-01-01",
      ),
    });
    expect(content.length).toBeGreaterThan(1_000_000);
    expect(content).toContain("#### 2028-09-26 · #1000 · learning");
  });
});

describe("renderMarkdown", () => {
  // A CommonMark renderer (with GitHub's tables), as the portfolio's readers see it.
  const markdown = new MarkdownIt({ html: true });
  const HOSTILE = [
    "# not a heading, really",
    "1. not a list either",
    "2) nor this",
    "<script> tags in Django templates are escaped by the autoescape filter",
    "<!-- an HTML comment opener in a note",
    "```python fences open code blocks",
    "~~~ and so do tildes",
    "> not a quote",
    "- not a bullet",
    "* nor a star bullet",
    "+ nor a plus bullet",
    "___",
    "=== setext underline",
    "| not | a | table |",
    "[TIL]: select_related is not a link definition",
    "[docs]: https://docs.djangoproject.com/en/stable/topics/db/queries/",
  ];

  it("GIVEN entries whose text starts like Markdown blocks THEN each renders as its own text, in lists too, and nothing after it is lost", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    for (const text of HOSTILE) {
      await logEntry(store, clock, G, { authorId: ALICE, topic: "Python", text: text.padEnd(10, "!") });
      clock.advance(DAY_MS);
    }
    await logEntry(store, clock, G, {
      authorId: ALICE,
      topic: "Docker",
      text: "Last entry, after all of them",
    });
    const { content } = await exportJournal(store, clock, G, alice);
    const html = markdown.render(content);
    for (const text of HOSTILE) {
      const shown = markdown.utils.escapeHtml(text.padEnd(10, "!"));
      // In "Journal by topic" as a paragraph; in "Key concepts" as a list item's text.
      expect(html).toContain(`<p>${shown}</p>`);
      expect(html).toMatch(new RegExp(`<li>${escapeRegExp(shown)} \\(`));
    }
    expect(html).toContain("<h3>Docker (1 entry)</h3>");
    expect(html).toContain("<p>Last entry, after all of them</p>");
    expect(html).not.toMatch(
      /<(h1|h2|h3|h4)>(?:not|nor)|<blockquote>|<pre>|<table>\s*<thead>\s*<tr>\s*<th>not/,
    );
  });

  it("GIVEN entry text that starts with a code span or a link THEN it renders as code or a link in every section", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    for (const kind of ["learning", "challenge", "best-practice"]) {
      await logEntry(store, clock, G, {
        authorId: ALICE,
        topic: "Python",
        kind,
        text: "`useEffect` runs after render,\n``a ` b`` too,\n[the docs](https://react.dev/learn) say so",
      });
    }
    const html = markdown.render((await exportJournal(store, clock, G, alice)).content);
    // Key concepts, Challenges, Best practices and Journal by topic.
    expect(html.split("<code>useEffect</code> runs after render").length - 1).toBe(6);
    expect(html.split("<code>a ` b</code> too").length - 1).toBe(6);
    expect(html.split('<a href="https://react.dev/learn">the docs</a> say so').length - 1).toBe(6);
    expect(html).not.toContain("`useEffect");
  });

  it("GIVEN entry text with inline HTML, generics or a table WHEN exported THEN it renders as its own text in every section", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    const texts = [
      "Django autoescape turns a <script> tag in user input into harmless text",
      "Typed the fetch helper as Promise<User> so the frontend gets autocompletion",
      "A typed \\<b> stays text, `List<int>` stays code, ``a ` <i>`` too",
      "Status code | Meaning\n:-- | :--\n429 | throttled by DRF",
      "A `span <em>cut\n\nby a blank line` <u>text</u>",
    ];
    for (const kind of ["learning", "challenge", "best-practice"]) {
      for (const text of texts)
        await logEntry(store, clock, G, { authorId: ALICE, topic: "Python", kind, text });
    }
    await logEntry(store, clock, G, {
      authorId: ALICE,
      topic: "Docker",
      text: "Last entry, after all of them",
    });
    const { content } = await exportJournal(store, clock, G, { ...alice, displayName: "Al <img src=x>" });
    const html = markdown.render(content);
    // Every section that shows entry text: Key concepts, Challenges, Best practices, Journal by topic.
    const count = (part: string) => html.split(part).length - 1;
    expect({
      script: count("&lt;script&gt; tag in user input"),
      generic: count("Promise&lt;User&gt; so the frontend"),
      typedEscape: count("A typed &lt;b&gt; stays text"),
      code: count("<code>List&lt;int&gt;</code> stays code, <code>a ` &lt;i&gt;</code> too"),
      // A blank line (kept only in "Journal by topic") ends the paragraph, and with it the code span.
      blankLineEndsSpan: count("line` &lt;u&gt;text&lt;/u&gt;"),
      spanOnOneLine: count("<code>span &lt;em&gt;cut by a blank line</code> &lt;u&gt;text&lt;/u&gt;"),
      table: count("<table>"),
    }).toEqual({
      script: 6,
      generic: 6,
      typedEscape: 6,
      code: 6,
      blankLineEndsSpan: 3,
      spanOnOneLine: 3,
      table: 1,
    });
    expect(html).toContain("<h1>Project Nexus — Al &lt;img src=x&gt;'s learning journal</h1>");
    expect(html).not.toMatch(/<(script|img|em|u|i|b)[ >]/);
    expect(html).toContain("<p>Last entry, after all of them</p>");
  });

  it("GIVEN entry text that writes HTML entities (&amp;, &lt;, &#39;) WHEN exported THEN they show as typed in every section, not as the characters they stand for", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    const text =
      "Django autoescape turns < into &lt; and & into &amp;, ' into &#x27; or &#39;, and keeps &nbsp;";
    for (const kind of ["learning", "challenge", "best-practice"]) {
      await logEntry(store, clock, G, { authorId: ALICE, topic: "Django", kind, text });
    }
    const html = markdown.render((await exportJournal(store, clock, G, alice)).content);
    // Key concepts, Challenges, Best practices and Journal by topic; `&` is `&amp;` in the HTML.
    const shown = markdown.utils.escapeHtml(text);
    expect(html.split(shown).length - 1).toBe(6);
  });

  /** Each text logged as a learning, a challenge and a best practice; the export as HTML. */
  async function exported(texts: readonly string[]): Promise<string> {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    for (const kind of ["learning", "challenge", "best-practice"]) {
      for (const text of texts)
        await logEntry(store, clock, G, { authorId: ALICE, topic: "Django", kind, text });
    }
    return markdown.render((await exportJournal(store, clock, G, alice)).content);
  }

  it("GIVEN entry text that reads as a link reference definition over two lines or with an escaped ] WHEN exported THEN it shows in every section, as a list item's text too", async () => {
    const html = await exported([
      "[select\nrelated]: https://docs.djangoproject.com/en/stable/ref/models/querysets/",
      "[QuerySet\\]s]: https://docs.djangoproject.com/en/stable/topics/db/queries/",
    ]);
    // Key concepts, Challenges, Best practices and Journal by topic show each text once per entry.
    const count = (part: string) => html.split(part).length - 1;
    expect({
      twoLines: count("related]: https://docs.djangoproject.com/en/stable/ref/models/querysets/"),
      escaped: count("[QuerySet]s]: https://docs.djangoproject.com/en/stable/topics/db/queries/"),
      emptyItems: count("<li></li>"),
    }).toEqual({ twoLines: 6, escaped: 6, emptyItems: 0 });
    expect(html).not.toContain("<a ");
  });

  it("GIVEN entry text with a backslash at the end of a line WHEN exported THEN the backslash shows in every section, not a line break in its place", async () => {
    const html = await exported(["Windows paths end in a backslash, C:\\Users\\\nthen the folder name"]);
    const count = (part: string) => html.split(part).length - 1;
    expect({
      oneLine: count("C:\\Users\\ then the folder name"),
      paragraph: count("C:\\Users\\\nthen the folder name"),
      breaks: count("<br>"),
    }).toEqual({ oneLine: 3, paragraph: 3, breaks: 0 });
  });

  it("GIVEN entry text that starts with [ ] or [x] WHEN exported THEN no list item starts with a task-list box (GitHub would draw a checkbox) and the brackets show as typed", async () => {
    const texts = ["[ ] write tests before the view", "[x] migrations squashed", "[X] CI green"];
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    for (const text of texts) await logEntry(store, clock, G, { authorId: ALICE, topic: "Django", text });
    const { content } = await exportJournal(store, clock, G, alice);
    // GitHub's task list item: a list item whose text starts with [ ], [x] or [X] and a space.
    expect(content).not.toMatch(/^[ \t]*[-*+] \[[ \txX]\][ \t]/m);
    const html = markdown.render(content);
    for (const text of texts) {
      expect(html).toContain(`<li>${text} (`);
      expect(html).toContain(`<p>${text}</p>`);
    }
  });
});

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("exportJournal (json)", () => {
  it("GIVEN format json THEN every own entry is there with ISO dates, private included", async () => {
    const { store, clock } = await journal();
    await setMemberTimezone(store, clock, G, ALICE, "Africa/Lagos");
    const file = await exportJournal(store, clock, G, { ...alice, format: "json" });
    expect(file.filename).toBe("nexus-journal-alice.dev.json");
    const parsed = JSON.parse(file.content) as {
      userId: string;
      timezone: string;
      entries: Array<{ id: number; private: boolean; createdAt: string; kind: string }>;
    };
    expect(parsed.userId).toBe(ALICE);
    expect(parsed.timezone).toBe("Africa/Lagos");
    expect(parsed.entries.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parsed.entries[5]?.private).toBe(true);
    expect(parsed.entries[0]?.createdAt).toBe("2026-03-01T12:00:00.000Z");
  });

  it("GIVEN an unknown format THEN a UserError names the formats", async () => {
    const { store, clock } = await journal();
    await expect(exportJournal(store, clock, G, { ...alice, format: "pdf" })).rejects.toThrow(
      /markdown.*json/,
    );
  });
});

describe("splitExport", () => {
  const file = (content: string, filename = "nexus-journal-alice.md") => ({ filename, content, entries: 1 });

  it("GIVEN a file within the limit THEN it goes whole, under its own name", () => {
    expect(splitExport(file("# T\n"), 100)).toEqual([
      { filename: "nexus-journal-alice.md", content: "# T\n" },
    ]);
  });

  it("GIVEN Markdown over the limit THEN it is cut before the last heading that fits, at a line end otherwise", () => {
    const a = "a".repeat(50);
    const b = "b".repeat(50);
    const parts = splitExport(file(`# T\n\n## S1\n${a}\n## S2\n${b}\n${b}\n`), 80);
    expect(parts).toEqual([
      { filename: "nexus-journal-alice.part-1-of-3.md", content: `# T\n\n## S1\n${a}\n` },
      { filename: "nexus-journal-alice.part-2-of-3.md", content: `## S2\n${b}\n` },
      { filename: "nexus-journal-alice.part-3-of-3.md", content: `${b}\n` },
    ]);
  });

  it("GIVEN more parts than an export sends THEN a UserError says so and points Markdown to the smaller JSON", () => {
    const content = `${"x".repeat(99)}\n`.repeat(MAX_EXPORT_FILES + 1);
    expect(() => splitExport(file(content), 100)).toThrow(UserError);
    expect(() => splitExport(file(content), 100)).toThrow(/format:json/);
  });
});

describe("fileSafeName", () => {
  it("GIVEN names with odd characters THEN they become file-safe, falling back to the id", () => {
    expect(fileSafeName("Émile Zola", "1")).toBe("emile-zola");
    expect(fileSafeName("../../etc/passwd", "1")).toBe("etc-passwd");
    expect(fileSafeName("💥💥", "42")).toBe("42");
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { logEntry } from "../../src/journal/entries.js";
import { exportJournal } from "../../src/journal/export.js";
import {
  EntrySchema,
  entryKey,
  JournalMetaSchema,
  journalMetaKey,
  MemberJournalSchema,
  memberJournalKey,
} from "../../src/journal/records.js";
import { startTestBot, TEST_NOW, type TestBot } from "../support/bot.js";
import { FIXTURE_IDS } from "../support/discord-server.js";

const DAY = 86_400_000;
const GRACE = FIXTURE_IDS.memberId;
const LINUS = FIXTURE_IDS.moderatorId;
const TEXT = "Learned how select_related avoids N+1 queries";

type Embed = {
  title?: string;
  description?: string;
  url?: string;
  footer?: { text?: string };
  fields?: Array<{ name: string; value: string }>;
};
const embedOf = (reply: { embeds: unknown[] }) => (reply.embeds[0] ?? {}) as Embed;

describe("/learn end to end (in-process bot, local Discord)", () => {
  let t: TestBot;
  const clock = new ManualClock(TEST_NOW);
  let guildId: string;

  beforeAll(async () => {
    t = await startTestBot({ clock });
    guildId = t.server.guildId;
  });
  afterAll(async () => {
    await t?.stop();
  });

  const learn = (
    subcommand: string,
    options: Record<string, string | number | boolean> = {},
    user?: string,
  ) => t.server.interact({ commandName: "learn", subcommand, options, ...(user ? { user } : {}) });

  it("GIVEN /learn log THEN the entry is saved and shown publicly as a compact embed with the streak", async () => {
    const reply = await learn("log", {
      topic: "Django ORM and query optimisation",
      text: TEXT,
      link: "https://docs.djangoproject.com/en/stable/ref/models/querysets/",
      kind: "learning",
    }).reply();
    expect(reply.ephemeral).toBe(false);
    const embed = embedOf(reply);
    expect(embed.title).toBe("#1 · Django ORM and query optimisation");
    expect(embed.description).toBe(TEXT);
    expect(embed.url).toBe("https://docs.djangoproject.com/en/stable/ref/models/querysets/");
    expect(embed.footer?.text).toContain("1-day streak");
    expect(await t.store.get(entryKey(guildId, 1), EntrySchema)).toMatchObject({
      authorId: GRACE,
      text: TEXT,
      day: "2026-11-22",
    });
  });

  it("GIVEN private:true THEN the entry embed is ephemeral", async () => {
    const reply = await learn("log", {
      topic: "Docker",
      text: "A private note about volumes",
      private: true,
    }).reply();
    expect(reply.ephemeral).toBe(true);
    expect(embedOf(reply).footer?.text).toContain("private");
  });

  it.each([
    ["short text", { topic: "Docker", text: "too short" }, /10–1,000 characters/],
    ["a bad link", { topic: "Docker", text: TEXT, link: "ftp://example.com" }, /http\(s\) URL/],
    ["an unknown topic", { topic: "Cobol", text: TEXT }, /not one of the program's topics/],
  ])("GIVEN %s THEN the ephemeral error names the rule", async (_name, options, message) => {
    const reply = await learn("log", options).reply();
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toMatch(message);
  });

  it("GIVEN text that mentions @everyone and a member THEN nothing pings and it does not look like a ping", async () => {
    const reply = await learn("log", {
      topic: "Python",
      text: `hey @everyone and <@${LINUS}> read this`,
    }).reply();
    expect(reply.wouldPing).toBe(false);
    expect(embedOf(reply).description).not.toContain("@everyone");
  });

  it("GIVEN someone else's entry WHEN they edit or delete it THEN they are refused", async () => {
    const edit = await learn("edit", { id: 1, text: "Not my entry to change" }, "linus").reply();
    expect(edit.ephemeral).toBe(true);
    expect(edit.content).toMatch(/belongs to someone else/);
    const del = await learn("delete", { id: 1 }, "linus").reply();
    expect(del.content).toMatch(/belongs to someone else/);
    expect(await t.store.get(entryKey(guildId, 1), EntrySchema)).toMatchObject({ text: TEXT });
  });

  it("GIVEN my entry WHEN I edit it THEN the new text is saved and confirmed ephemerally", async () => {
    const reply = await learn("edit", {
      id: 1,
      text: `${TEXT}, with prefetch_related for many-to-many`,
    }).reply();
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toContain("#1 updated");
    expect((await t.store.get(entryKey(guildId, 1), EntrySchema))?.editedAt).toBe(TEST_NOW);
  });

  it("GIVEN topic and id autocomplete THEN matching topics and my own entries are offered", async () => {
    const topics = await t.server
      .interact({ commandName: "learn", subcommand: "log", options: { topic: "djan" }, focused: "topic" })
      .autocompleteChoices();
    expect(topics.map((c) => c.value)).toEqual([
      "Django",
      "Django REST Framework",
      "Django ORM and query optimisation",
    ]);
    const ids = await t.server
      .interact({ commandName: "learn", subcommand: "delete", options: { id: "" }, focused: "id" })
      .autocompleteChoices();
    expect(ids.map((c) => c.value)).toEqual([3, 2, 1]);
    expect(ids.every((c) => c.name.length <= 100)).toBe(true);
  });

  it("GIVEN 25 more entries THEN /learn list pages newest first within one embed, page X of Y", async () => {
    for (let i = 0; i < 25; i += 1) {
      await learn(
        "log",
        { topic: "Testing", text: `${"pytest fixtures and parametrize ".repeat(30)}${i}` },
        "linus",
      ).reply();
    }
    const first = await learn("list").reply();
    expect(first.ephemeral).toBe(true);
    const embed = embedOf(first);
    expect(embed.footer?.text).toMatch(/^page 1 of 3 · 28 entries/);
    expect(embed.description?.length ?? 0).toBeLessThanOrEqual(4096);
    expect(embed.description).toContain("**#28**");
    const last = embedOf(await learn("list", { page: 3 }).reply());
    expect(last.footer?.text).toMatch(/^page 3 of 3/);
    const mine = embedOf(await learn("list", { member: GRACE }).reply());
    expect(mine.footer?.text).toMatch(/^page 1 of 1 · 3 entries/); // my private entry included for me
    const tooFar = await learn("list", { page: 9 }).reply();
    expect(tooFar.content).toMatch(/only 3 pages/);
  });

  it("GIVEN /learn search THEN ranked results come back with author, date and topic", async () => {
    const reply = await learn("search", { query: "select_related prefetch" }).reply();
    expect(reply.ephemeral).toBe(true);
    const description = embedOf(reply).description ?? "";
    expect(description).toContain("**#1**");
    expect(description).toContain(`<@${GRACE}>`);
    expect(description).toContain("Django ORM and query optimisation");
    expect(description).toMatch(/<t:\d+:d>/);
    const none = await learn("search", { query: "kubernetes helm" }).reply();
    expect(none.content).toMatch(/No journal entries match/);
  });

  it("GIVEN a /learn search with no match WHEN the reply echoes the query in bold THEN its Markdown is escaped", async () => {
    const reply = await learn("search", { query: "**kwargs `helm_values" }).reply();
    expect(reply.content).toMatch(/^No journal entries match/);
    // Raw, the query's "**" would end the bold at once and its backtick open a code span.
    expect(reply.content).toContain("match **\\*\\*kwargs \\`helm\\_values**.");
  });

  it("GIVEN /learn streak THEN current, longest, freezes and a 14-day strip are shown", async () => {
    const reply = await learn("streak").reply();
    const description = embedOf(reply).description ?? "";
    expect(description).toContain("Current streak: **1 day**");
    expect(description).toContain("Freezes held: **0**");
    expect(description).toContain(`${"⬛".repeat(13)}🟩`);
  });

  it("GIVEN /learn export THEN my journal arrives as an ephemeral Markdown attachment", async () => {
    const reply = await learn("export").reply();
    expect(reply.ephemeral).toBe(true);
    const file = reply.attachments[0];
    expect(file?.filename).toBe("nexus-journal-grace.md");
    expect(file?.text).toContain("## Technologies covered");
    expect(file?.text).toContain("A private note about volumes");
    expect(file?.text).not.toContain("pytest fixtures");
    const json = await learn("export", { format: "json" }).reply();
    expect(json.attachments[0]?.filename).toBe("nexus-journal-grace.json");
    const parsed = JSON.parse(json.attachments[0]?.text ?? "{}") as { entries: unknown[] };
    expect(parsed.entries).toHaveLength(3);
  });

  it("GIVEN /learn stats THEN the week's entries, learners and top topics are shown", async () => {
    const embed = embedOf(await learn("stats").reply());
    const fields = Object.fromEntries((embed.fields ?? []).map((f) => [f.name, f.value]));
    expect(fields.Entries).toContain("**28**");
    expect(fields["Active learners"]).toContain("**2**");
    expect(fields["Top topics"]).toMatch(/^1\. Testing: \*\*25\*\*/);
  });

  it("GIVEN 200 concurrent /learn log from one member THEN all are answered, saved, and the streak is right", async () => {
    const hopperId = t.server.addMember(guildId, { username: "hopper", globalName: "Hopper" }).user.id;
    clock.set(TEST_NOW + DAY);
    const handles = Array.from({ length: 200 }, (_, i) =>
      learn("log", { topic: "Async programming", text: `asyncio gather lesson number ${i}` }, "hopper"),
    );
    const replies = await Promise.all(handles.map((handle) => handle.reply({ timeoutMs: 20_000 })));
    const ids = replies.map((reply) => Number(/^#(\d+)/.exec(embedOf(reply).title ?? "")?.[1]));
    expect(new Set(ids).size).toBe(200);
    expect(handles.every((handle) => !handle.late)).toBe(true);
    const member = await t.store.get(memberJournalKey(guildId, hopperId), MemberJournalSchema);
    expect(member?.ids).toHaveLength(200);
    expect(member?.days).toEqual({ "2026-11-23": 200 });
    expect((await t.store.get(journalMetaKey(guildId), JournalMetaSchema))?.nextId).toBe(229);
    const streak = embedOf(await learn("streak", {}, "hopper").reply()).description ?? "";
    expect(streak).toContain("Current streak: **1 day**");
  });

  it("GIVEN my entry WHEN I delete it THEN it is gone and the deletion is confirmed ephemerally", async () => {
    const reply = await learn("delete", { id: 2 }).reply();
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toBe("Entry #2 (Docker) deleted.");
    expect(await t.store.get(entryKey(guildId, 2), EntrySchema)).toBeUndefined();
    const again = await learn("delete", { id: 2 }).reply();
    expect(again.content).toMatch(/no journal entry #2/);
  });

  it("GIVEN a link to a host Discord refuses as an embed URL (a Docker service) WHEN logged THEN the entry is shown, its link in the Link field", async () => {
    const reply = await learn("log", {
      topic: "Docker",
      text: "Compose services reach each other by service name",
      link: "http://web:8000/api/health",
    }).reply();
    const embed = embedOf(reply);
    expect(embed.url).toBeUndefined();
    expect(embed.fields?.find((field) => field.name === "Link")?.value).toContain(
      "http://web:8000/api/health",
    );
  });

  it("GIVEN every request the bot made THEN all were valid and none could ping", () => {
    const invalid = t.server.requests.filter((r) => !r.valid);
    expect(invalid.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.errors)}`)).toEqual([]);
    expect(t.server.requests.filter((r) => r.wouldPing)).toEqual([]);
  });
});

describe("/learn export of a journal larger than Discord's file limit", () => {
  let t: TestBot;
  const clock = new ManualClock(TEST_NOW);
  beforeAll(async () => {
    // Discord gives the limit in each interaction (10 MiB by default); a small one keeps the journal small.
    t = await startTestBot({ clock, databaseUrl: "memory://", serverOptions: { maxUploadBytes: 8_192 } });
    for (let i = 1; i <= 40; i += 1) {
      await logEntry(t.store, clock, t.server.guildId, {
        authorId: GRACE,
        topic: i % 2 === 0 ? "Django" : "Docker",
        text: `Note ${i}: ${"select_related joins, prefetch_related queries twice; ".repeat(8)}`,
      });
      clock.advance(DAY);
    }
  });
  afterAll(async () => {
    await t?.stop();
  });

  const me = { userId: GRACE, userName: "grace", displayName: "Grace" };

  it("GIVEN a Markdown portfolio over the limit THEN it arrives in numbered parts, each within it, that join into the file", async () => {
    const handle = t.server.interact({ commandName: "learn", subcommand: "export", user: GRACE });
    const reply = await handle.reply();
    const whole = await exportJournal(t.store, clock, t.server.guildId, me);
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toMatch(/^Your journal: 40 entries, in \d+ files/);
    const count = Number(/in (\d+) files/.exec(reply.content)?.[1]);
    // At least as many as the bytes need, and not one for each entry.
    expect(count).toBeGreaterThanOrEqual(Math.ceil(Buffer.byteLength(whole.content) / 8_192));
    expect(count).toBeLessThan(20);
    const followups = await handle.followups({ atLeast: count - 1 });
    const files = [reply, ...followups].flatMap((message) => message.attachments);
    expect(files).toHaveLength(count);
    expect(files[0]?.filename).toBe(`nexus-journal-grace.part-1-of-${files.length}.md`);
    for (const file of files) expect(Buffer.byteLength(file.text ?? "")).toBeLessThanOrEqual(8_192);
    expect(files.map((file) => file.text).join("")).toBe(whole.content);
    // Cut at line ends only.
    for (const file of files) expect(file.text?.endsWith("\n")).toBe(true);
  });

  it("GIVEN the JSON export over the limit THEN each part is a whole JSON document with its share of the entries", async () => {
    const handle = t.server.interact({
      commandName: "learn",
      subcommand: "export",
      user: GRACE,
      options: { format: "json" },
    });
    const reply = await handle.reply();
    const count = Number(/in (\d+) files/.exec(reply.content)?.[1]);
    const followups = await handle.followups({ atLeast: count - 1 });
    const docs = [reply, ...followups]
      .flatMap((message) => message.attachments)
      .map(
        (file) =>
          JSON.parse(file.text ?? "{}") as {
            part: { index: number; of: number };
            entries: Array<{ id: number }>;
          },
      );
    expect(docs.map((doc) => doc.part)).toEqual(docs.map((_, i) => ({ index: i + 1, of: count })));
    expect(docs.flatMap((doc) => doc.entries.map((entry) => entry.id))).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
  });
});

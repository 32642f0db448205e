import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Keyv from "keyv";
import { describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { setupGuild } from "../../src/guild/config.js";
import { setMemberTimezone } from "../../src/guild/members.js";
import {
  deleteEntry,
  editEntry,
  listEntries,
  logEntry,
  memberEntries,
  memberStreak,
  PAGE_SIZE,
  parseLink,
  recentMemberEntries,
} from "../../src/journal/entries.js";
import {
  EntrySchema,
  entryKey,
  JournalMetaSchema,
  journalMetaKey,
  MemberJournalSchema,
  memberJournalKey,
} from "../../src/journal/records.js";
import { guildEntries } from "../../src/journal/snapshot.js";
import { silentLogger } from "../../src/log.js";
import { memoryStore, openStore } from "../../src/store/open.js";
import { KeyvStore, type Store } from "../../src/store/store.js";
import { addDays, zonedInstant } from "../../src/time.js";
import { GatedBackend } from "../support/gated-backend.js";

const G = "100";
const ALICE = "201";
const BOB = "202";
const T0 = Date.UTC(2026, 2, 10, 12, 0);

const guildEntriesOf = async (store: Store) => [...(await guildEntries(store, G))];
const TEXT = "Learned how select_related avoids N+1 queries";

function setup() {
  return { store: memoryStore(silentLogger()), clock: new ManualClock(T0) };
}

describe("logEntry", () => {
  it("GIVEN text of 1,000 characters with emoji, as Discord counts them THEN it is saved and reads back; 1,001 is refused", async () => {
    const { store, clock } = setup();
    // 940 plain characters and 60 emoji: 1,000 characters for Discord, 1,060 UTF-16 units.
    const text = `${"Signals fire after save. ".repeat(40).slice(0, 940)}${"🐍".repeat(60)}`;
    expect(text.length).toBe(1_060);
    const { entry } = await logEntry(store, clock, G, { authorId: ALICE, topic: "Django", text });
    expect(entry.text).toBe(text);
    expect((await guildEntriesOf(store)).map((e) => e.text)).toEqual([text]);
    await expect(
      logEntry(store, clock, G, { authorId: ALICE, topic: "Django", text: `${text}🐍` }),
    ).rejects.toThrow(/yours has 1,001\./);
  });

  it("GIVEN a valid entry THEN it is stored under the guild's learn keys with id #1 and today's day", async () => {
    const { store, clock } = setup();
    const { entry, streak } = await logEntry(store, clock, G, {
      authorId: ALICE,
      topic: "django orm and query optimisation",
      text: `  ${TEXT}  `,
      link: "https://docs.djangoproject.com/en/stable/ref/models/querysets/",
    });
    expect(entry).toMatchObject({
      id: 1,
      authorId: ALICE,
      topic: "Django ORM and query optimisation",
      kind: "learning",
      text: TEXT,
      private: false,
      createdAt: T0,
      editedAt: null,
      day: "2026-03-10",
      pairingId: null,
    });
    expect(streak.current).toBe(1);
    expect(await store.get("guild:100:learn:entry:1", EntrySchema)).toEqual(entry);
    expect(await store.get("guild:100:learn:meta", JournalMetaSchema)).toEqual({ nextId: 2, version: 1 });
    expect(await store.get("guild:100:learn:member:201", MemberJournalSchema)).toEqual({
      days: { "2026-03-10": 1 },
      ids: [1],
    });
  });

  it("GIVEN a kind and a pairing id THEN both are kept", async () => {
    const { store, clock } = setup();
    const { entry } = await logEntry(store, clock, G, {
      authorId: ALICE,
      topic: "Docker",
      text: "Multi-stage builds keep images small",
      kind: "best-practice",
      pairingId: "p-42",
      private: true,
    });
    expect(entry).toMatchObject({ kind: "best-practice", pairingId: "p-42", private: true });
  });

  it.each([
    ["short text", { text: "too short" }, /10–1,000 characters.*has 9/],
    ["long text", { text: "x".repeat(1001) }, /10–1,000 characters/],
    ["unknown topic", { topic: "Cobol" }, /not one of the program's topics/],
    ["ftp link", { link: "ftp://example.com/file" }, /http\(s\) URL/],
    ["javascript link", { link: "javascript:alert(1)" }, /http\(s\) URL/],
    ["not a url", { link: "docs.djangoproject.com" }, /http\(s\) URL/],
    ["long link", { link: `https://example.com/${"a".repeat(490)}` }, /at most 500/],
    ["unknown kind", { kind: "rant" }, /kind must be one of/],
  ])("GIVEN a %s THEN a UserError names the rule and nothing is stored", async (_name, patch, message) => {
    const { store, clock } = setup();
    await expect(
      logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT, ...patch }),
    ).rejects.toThrow(message);
    expect(await store.get(journalMetaKey(G), JournalMetaSchema)).toBeUndefined();
  });

  it("GIVEN a link with spaces THEN it is stored normalised (Discord accepts it as an embed URL)", () => {
    expect(parseLink(" https://example.com/a b ")).toBe("https://example.com/a%20b");
    expect(parseLink("")).toBeNull();
    expect(parseLink(null)).toBeNull();
  });

  it("GIVEN a link typed short but long once encoded THEN the refusal says why, not that it was too long as typed", () => {
    const typed = `https://ja.wikipedia.org/wiki/${"日本語".repeat(40)}`;
    expect(typed.length).toBeLessThan(500);
    expect(() => parseLink(typed)).toThrow(/^This link is \d+ characters long once encoded for the web/);
    expect(() => parseLink(`https://e.x/${"a".repeat(500)}`)).toThrow(
      /^A link can be at most 500 characters/,
    );
  });

  it("GIVEN 200 concurrent logs from one member THEN there are 200 entries with distinct ids and a correct streak", async () => {
    const store = memoryStore(silentLogger());
    // 10 entries on each of 20 consecutive days, all in flight at once.
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        logEntry(store, new ManualClock(T0 + Math.floor(i / 10) * 86_400_000), G, {
          authorId: ALICE,
          topic: "Testing",
          text: `Concurrent entry number ${i}`,
        }),
      ),
    );
    const ids = results.map((r) => r.entry.id).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // The counter is bumped once per batch of logs (the concurrent ones share batches).
    const meta = await store.get(journalMetaKey(G), JournalMetaSchema);
    expect(meta?.nextId).toBe(201);
    expect(meta?.version).toBeGreaterThan(0);
    const member = await store.get(memberJournalKey(G, ALICE), MemberJournalSchema);
    expect(member?.ids).toHaveLength(200);
    expect(Object.values(member?.days ?? {})).toEqual(Array.from({ length: 20 }, () => 10));
    expect(await memberEntries(store, G, ALICE)).toHaveLength(200);
    const clock = new ManualClock(T0 + 19 * 86_400_000);
    expect(await memberStreak(store, clock, G, ALICE)).toMatchObject({
      current: 20,
      longest: 20,
      freezes: 2,
    });
    const texts = new Set((await memberEntries(store, G, ALICE)).map((e) => e.text));
    expect(texts.size).toBe(200);
  });

  it("GIVEN 20 members logging and deleting at once on SQLite THEN ids are unique and every index lists exactly its member's entries", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nexus-entries-"));
    const store = await openStore(`sqlite://${join(dir, "db.sqlite")}`, silentLogger());
    try {
      const clock = new ManualClock(T0);
      const members = Array.from({ length: 20 }, (_, m) => String(300 + m));
      // Each member's first two entries exist before the burst, and are deleted during it.
      const early = new Map<string, number[]>();
      for (const member of members) {
        for (let k = 0; k < 2; k++) {
          const { entry } = await logEntry(store, clock, G, {
            authorId: member,
            topic: "Docker",
            text: `Early entry ${k} of ${member}`,
          });
          early.set(member, [...(early.get(member) ?? []), entry.id]);
        }
      }
      await Promise.all(
        members.flatMap((member) => [
          ...Array.from({ length: 10 }, (_, k) =>
            logEntry(store, clock, G, {
              authorId: member,
              topic: "Testing",
              text: `Burst entry ${k} of ${member}`,
            }),
          ),
          ...(early.get(member) ?? []).map((id) => deleteEntry(store, clock, G, { userId: member, id })),
        ]),
      );
      const all = await guildEntriesOf(store);
      expect(all).toHaveLength(200);
      expect(new Set(all.map((entry) => entry.id)).size).toBe(200);
      for (const member of members) {
        const own = all.filter((entry) => entry.authorId === member).map((entry) => entry.id);
        const index = await store.get(memberJournalKey(G, member), MemberJournalSchema);
        expect([...(index?.ids ?? [])].sort((a, b) => a - b)).toEqual(own.sort((a, b) => a - b));
        expect(Object.values(index?.days ?? {}).reduce((sum, n) => sum + n, 0)).toBe(10);
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("GIVEN logs by several members arriving while a log waits for its commit THEN they go together in one batch, numbered in arrival order, each with its member's streak", async () => {
    const backend = new GatedBackend();
    const store = new KeyvStore(new Keyv({ store: backend, namespace: "nexus" }), silentLogger());
    const counterWrites = () => backend.writes.get(`nexus:${journalMetaKey(G)}`) ?? 0;
    const clock = new ManualClock(T0);
    const first = logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    await vi.waitFor(() => expect(counterWrites()).toBe(1));
    const later = [];
    for (const authorId of [BOB, ALICE, BOB]) {
      later.push(logEntry(store, clock, G, { authorId, topic: "Python", text: `${TEXT} by ${authorId}` }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(counterWrites()).toBe(1); // nobody starts a batch while the first one's commit is pending
    backend.release();
    await first;
    await vi.waitFor(() => expect(counterWrites()).toBe(2));
    backend.release();
    const results = await Promise.all(later);
    expect(results.map((r) => [r.entry.id, r.entry.authorId])).toEqual([
      [2, BOB],
      [3, ALICE],
      [4, BOB],
    ]);
    expect(counterWrites()).toBe(2);
    expect(await store.get(journalMetaKey(G), JournalMetaSchema)).toMatchObject({ nextId: 5 });
    expect((await store.get(memberJournalKey(G, BOB), MemberJournalSchema))?.ids).toEqual([2, 4]);
    expect((await store.get(memberJournalKey(G, ALICE), MemberJournalSchema))?.ids).toEqual([1, 3]);
    expect(results.map((r) => r.streak.current)).toEqual([1, 1, 1]);
  });

  it("GIVEN two guilds THEN their ids and keys are independent", async () => {
    const { store, clock } = setup();
    const a = await logEntry(store, clock, "1", { authorId: ALICE, topic: "Docker", text: TEXT });
    const b = await logEntry(store, clock, "2", { authorId: ALICE, topic: "Docker", text: TEXT });
    expect([a.entry.id, b.entry.id]).toEqual([1, 1]);
    expect(await store.get(entryKey("2", 1), EntrySchema)).toEqual(b.entry);
  });
});

describe("damaged records", () => {
  it("GIVEN a counter that fails its schema WHEN logging THEN ids continue after the highest entry and nothing is overwritten", async () => {
    const { store, clock } = setup();
    for (let i = 0; i < 3; i += 1)
      await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    await store.keyv.set(journalMetaKey(G), { nextId: "three" });
    const { entry } = await logEntry(store, clock, G, { authorId: BOB, topic: "Python", text: TEXT });
    expect(entry.id).toBe(4);
    expect(await store.get(entryKey(G, 1), EntrySchema)).toMatchObject({ authorId: ALICE, topic: "Docker" });
    expect((await store.get(journalMetaKey(G), JournalMetaSchema))?.nextId).toBe(5);
  });

  it("GIVEN a lost counter WHEN an entry is edited THEN the counter is recovered, not reset", async () => {
    const { store, clock } = setup();
    for (let i = 0; i < 3; i += 1)
      await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    await store.delete(journalMetaKey(G));
    await editEntry(store, clock, G, { userId: ALICE, id: 2, text: "Edited after the counter was lost" });
    expect((await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT })).entry.id).toBe(
      4,
    );
  });

  it("GIVEN a member index that fails its schema WHEN they log THEN it is rebuilt and the streak kept", async () => {
    const { store, clock } = setup();
    for (let day = 0; day < 3; day += 1) {
      await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
      clock.advance(86_400_000);
    }
    await store.keyv.set(memberJournalKey(G, ALICE), { days: "lost" });
    const { streak } = await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    expect(streak.current).toBe(4);
    expect(await store.get(memberJournalKey(G, ALICE), MemberJournalSchema)).toEqual({
      days: { "2026-03-10": 1, "2026-03-11": 1, "2026-03-12": 1, "2026-03-13": 1 },
      ids: [1, 2, 3, 4],
    });
  });

  it("GIVEN a member index that fails its schema or is lost WHEN their streak, entries or recent entries are read THEN they come from the entries, not as empty", async () => {
    const { store, clock } = setup();
    for (let day = 0; day < 3; day += 1) {
      await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT, private: day === 1 });
      await logEntry(store, clock, G, { authorId: BOB, topic: "Python", text: TEXT });
      clock.advance(86_400_000);
    }
    clock.advance(-3_600_000); // still the third day
    for (const damaged of [{ days: "lost" }, undefined]) {
      if (damaged === undefined) await store.delete(memberJournalKey(G, ALICE));
      else await store.keyv.set(memberJournalKey(G, ALICE), damaged);
      expect((await memberStreak(store, clock, G, ALICE)).current).toBe(3);
      expect((await memberEntries(store, G, ALICE)).map((entry) => entry.id)).toEqual([1, 3, 5]);
      expect((await recentMemberEntries(store, G, ALICE, 2)).map((entry) => entry.id)).toEqual([5, 3]);
      // Read-only: the record is left as it was for the next log (which rewrites it) or a repair by hand.
      expect(await store.keyv.get(memberJournalKey(G, ALICE))).toEqual(damaged);
    }
    expect(await memberEntries(store, G, "299")).toEqual([]);
    expect(await recentMemberEntries(store, G, "299", 25)).toEqual([]);
    expect((await memberStreak(store, clock, G, "299")).current).toBe(0);
  });

  it("GIVEN member indexes with ids out of order, repeated or not whole, or day counts that are not positive whole numbers THEN each fails its schema and is rebuilt on the next log", async () => {
    const damaged = [
      { days: { "2026-03-10": 2 }, ids: [2, 1] },
      { days: { "2026-03-10": 2 }, ids: [1, 1] },
      { days: { "2026-03-10": 2 }, ids: [1, 2.5] },
      { days: { "2026-03-10": 2 }, ids: ["1", "2"] },
      { days: { "2026-03-10": 0 }, ids: [1, 2] },
      { days: { "2026-03-10": 1.5 }, ids: [1, 2] },
      { days: { "2026-03-10": "2" }, ids: [1, 2] },
      { days: { "2026-3-10": 2 }, ids: [1, 2] },
      { days: [2], ids: [1, 2] },
    ];
    for (const record of damaged) {
      const { store, clock } = setup();
      await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
      await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
      expect(MemberJournalSchema.safeParse(record).success, JSON.stringify(record)).toBe(false);
      await store.keyv.set(memberJournalKey(G, ALICE), record);
      clock.advance(86_400_000);
      const { streak } = await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
      expect(streak.current).toBe(2);
      expect(await store.get(memberJournalKey(G, ALICE), MemberJournalSchema)).toEqual({
        days: { "2026-03-10": 2, "2026-03-11": 1 },
        ids: [1, 2, 3],
      });
    }
    expect(
      MemberJournalSchema.safeParse({ days: { "2026-03-10": 2, "2026-03-11": 1 }, ids: [1, 2, 3] }).success,
    ).toBe(true);
  });
});

describe("days and streaks across time zones", () => {
  it("GIVEN a member in Lagos WHEN they log at 23:30 UTC THEN the entry's day is already tomorrow there", async () => {
    const { store, clock } = setup();
    await setMemberTimezone(store, clock, G, ALICE, "Africa/Lagos");
    clock.set(Date.UTC(2026, 2, 10, 23, 30));
    const { entry } = await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    expect(entry.day).toBe("2026-03-11");
  });

  it("GIVEN no member zone THEN the guild's zone decides the day", async () => {
    const { store, clock } = setup();
    await setupGuild(store, clock, G, { channelId: "1", timezone: "America/Los_Angeles", by: BOB });
    clock.set(Date.UTC(2026, 2, 11, 3, 0));
    const { entry } = await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    expect(entry.day).toBe("2026-03-10");
  });

  it("GIVEN nightly entries at 23:30 in New York across the March DST change THEN the streak counts every day", async () => {
    const { store, clock } = setup();
    await setMemberTimezone(store, clock, G, ALICE, "America/New_York");
    const dates = Array.from({ length: 10 }, (_, i) => addDays("2026-03-03", i)); // DST starts 03-08
    for (const date of dates) {
      clock.set(zonedInstant(date, "23:30", "America/New_York"));
      await logEntry(store, clock, G, { authorId: ALICE, topic: "Python", text: `${TEXT} on ${date}` });
    }
    const member = await store.get(memberJournalKey(G, ALICE), MemberJournalSchema);
    expect(Object.keys(member?.days ?? {}).sort()).toEqual(dates);
    clock.set(zonedInstant("2026-03-13", "08:00", "America/New_York"));
    expect(await memberStreak(store, clock, G, ALICE)).toMatchObject({ current: 10, freezes: 1 });
  });

  it("GIVEN entries just after midnight in London across the October DST change THEN no day is doubled or skipped", async () => {
    const { store, clock } = setup();
    await setMemberTimezone(store, clock, G, ALICE, "Europe/London");
    const dates = Array.from({ length: 5 }, (_, i) => addDays("2026-10-23", i)); // DST ends 10-25
    for (const date of dates) {
      clock.set(zonedInstant(date, "00:15", "Europe/London"));
      await logEntry(store, clock, G, { authorId: ALICE, topic: "Python", text: `${TEXT} on ${date}` });
    }
    const member = await store.get(memberJournalKey(G, ALICE), MemberJournalSchema);
    expect(Object.keys(member?.days ?? {}).sort()).toEqual(dates);
  });

  it("GIVEN a member who moves from Los Angeles to Tokyo THEN past days keep their zone and the streak continues", async () => {
    const { store, clock } = setup();
    await setMemberTimezone(store, clock, G, ALICE, "America/Los_Angeles");
    clock.set(zonedInstant("2026-03-20", "20:00", "America/Los_Angeles"));
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    clock.set(zonedInstant("2026-03-21", "20:00", "America/Los_Angeles"));
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    // Flies to Tokyo and logs the next evening there: the 22nd in Tokyo, 9 hours after the last entry.
    await setMemberTimezone(store, clock, G, ALICE, "Asia/Tokyo");
    clock.set(zonedInstant("2026-03-22", "21:00", "Asia/Tokyo"));
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    const streak = await memberStreak(store, clock, G, ALICE);
    expect(streak).toMatchObject({ current: 3, timezone: "Asia/Tokyo", today: "2026-03-22" });
    const member = await store.get(memberJournalKey(G, ALICE), MemberJournalSchema);
    expect(Object.keys(member?.days ?? {}).sort()).toEqual(["2026-03-20", "2026-03-21", "2026-03-22"]);
  });

  it("GIVEN a member who moves west after logging THEN a day logged 'ahead' still counts as today", async () => {
    const { store, clock } = setup();
    await setMemberTimezone(store, clock, G, ALICE, "Asia/Tokyo");
    clock.set(Date.UTC(2026, 2, 20, 16, 0)); // 01:00 on the 21st in Tokyo
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    await setMemberTimezone(store, clock, G, ALICE, "America/Los_Angeles"); // still the 20th there
    const streak = await memberStreak(store, clock, G, ALICE);
    expect(streak).toMatchObject({ current: 1, today: "2026-03-21" });
  });

  it("GIVEN someone else's streak THEN it is computed in their zone", async () => {
    const { store, clock } = setup();
    await setMemberTimezone(store, clock, G, BOB, "Pacific/Auckland");
    clock.set(Date.UTC(2026, 2, 10, 12, 0));
    expect((await memberStreak(store, clock, G, BOB)).today).toBe("2026-03-11");
  });
});

describe("editEntry and deleteEntry", () => {
  it("GIVEN my entry WHEN I edit it THEN the text and editedAt change and nothing else", async () => {
    const { store, clock } = setup();
    const { entry } = await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    clock.advance(60_000);
    const edited = await editEntry(store, clock, G, {
      userId: ALICE,
      id: 1,
      text: "A better explanation of it",
    });
    expect(edited).toEqual({ ...entry, text: "A better explanation of it", editedAt: T0 + 60_000 });
    expect(await store.get(entryKey(G, 1), EntrySchema)).toEqual(edited);
  });

  it("GIVEN someone else's entry WHEN I edit or delete it THEN a UserError says it is not mine", async () => {
    const { store, clock } = setup();
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    await expect(editEntry(store, clock, G, { userId: BOB, id: 1, text: TEXT })).rejects.toThrow(
      /belongs to someone else/,
    );
    await expect(deleteEntry(store, clock, G, { userId: BOB, id: 1 })).rejects.toThrow(
      /belongs to someone else/,
    );
    expect(await store.get(entryKey(G, 1), EntrySchema)).toMatchObject({ text: TEXT });
  });

  it("GIVEN an id that does not exist THEN a UserError says so", async () => {
    const { store, clock } = setup();
    await expect(deleteEntry(store, clock, G, { userId: ALICE, id: 9 })).rejects.toThrow(
      /no journal entry #9/,
    );
    await expect(editEntry(store, clock, G, { userId: ALICE, id: 9, text: "short" })).rejects.toThrow(
      /10–1,000/,
    );
  });

  it("GIVEN my only entry of a day WHEN I delete it THEN the entry and that streak day are gone", async () => {
    const { store, clock } = setup();
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    clock.advance(86_400_000);
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    await deleteEntry(store, clock, G, { userId: ALICE, id: 3 });
    await deleteEntry(store, clock, G, { userId: ALICE, id: 1 });
    expect(await store.get(entryKey(G, 3), EntrySchema)).toBeUndefined();
    expect(await store.get(memberJournalKey(G, ALICE), MemberJournalSchema)).toEqual({
      days: { "2026-03-10": 1 },
      ids: [2],
    });
    const next = await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    expect(next.entry.id).toBe(4);
  });
});

describe("listEntries", () => {
  it("GIVEN 23 entries THEN pages of 10 go newest first and the last page has 3", async () => {
    const { store, clock } = setup();
    for (let i = 1; i <= 23; i += 1) {
      clock.advance(1000);
      await logEntry(store, clock, G, {
        authorId: i % 2 ? ALICE : BOB,
        topic: "Docker",
        text: `${TEXT} ${i}`,
      });
    }
    const first = await listEntries(store, clock, G, { viewerId: BOB });
    expect(first).toMatchObject({ page: 1, pages: 3, total: 23 });
    expect(first.entries.map((e) => e.id)).toEqual([23, 22, 21, 20, 19, 18, 17, 16, 15, 14]);
    const last = await listEntries(store, clock, G, { viewerId: BOB, page: 3 });
    expect(last.entries.map((e) => e.id)).toEqual([3, 2, 1]);
    expect(PAGE_SIZE).toBe(10);
    await expect(listEntries(store, clock, G, { viewerId: BOB, page: 4 })).rejects.toThrow(/only 3 pages/);
  });

  it("GIVEN a member and a topic filter THEN only their entries of that topic are listed", async () => {
    const { store, clock } = setup();
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Python", text: TEXT });
    await logEntry(store, clock, G, { authorId: BOB, topic: "Docker", text: TEXT });
    const page = await listEntries(store, clock, G, { viewerId: BOB, memberId: ALICE, topic: "docker" });
    expect(page.entries.map((e) => e.id)).toEqual([1]);
    expect(page.topic).toBe("Docker");
    await expect(listEntries(store, clock, G, { viewerId: BOB, topic: "Cobol" })).rejects.toThrow(/topics/);
  });

  it("GIVEN a private entry THEN only its author sees it listed", async () => {
    const { store, clock } = setup();
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT, private: true });
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    expect((await listEntries(store, clock, G, { viewerId: BOB })).entries.map((e) => e.id)).toEqual([2]);
    expect((await listEntries(store, clock, G, { viewerId: ALICE })).entries.map((e) => e.id)).toEqual([
      2, 1,
    ]);
  });

  it("GIVEN an empty journal THEN there is one empty page", async () => {
    const { store, clock } = setup();
    expect(await listEntries(store, clock, G, { viewerId: BOB })).toMatchObject({
      entries: [],
      page: 1,
      pages: 1,
      total: 0,
    });
  });
});

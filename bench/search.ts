// Search: the domain call behind `/learn search` (src/journal/search.ts) over the bench's seeded journal
// (3,000 entries, SQLite on disk), in the two states a running bot meets: the query was already answered
// at this version of the journal (its results are cached), or it was not (the first search of it after
// any log, edit or delete: every log makes a new version). The interaction bench repeats 25 queries over
// an unchanging journal, so it measures the first state almost only.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../src/clock.js";
import { logEntry } from "../src/journal/entries.js";
import { searchForViewer } from "../src/journal/search.js";
import { guildEntries } from "../src/journal/snapshot.js";
import { silentLogger } from "../src/log.js";
import { openStore } from "../src/store/open.js";
import { cpuMs } from "./child.js";
import { copySeed, JOURNAL_ENTRIES, QUERIES, seedDatabase, topicOf, userId } from "./dataset.js";
import { fmt, log, median, type Section, table } from "./lib.js";

const GUILD = "700000000000000001";
const ROUNDS = 3;
/** Logs per round; after each, every query is searched twice (a miss, then a hit). */
const LOGS = 8;

type Round = { coldMs: number; missMs: number; hitMs: number };

async function round(seed: string, index: number): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), "nexus-bench-search-"));
  const file = join(dir, "nexus.sqlite");
  copySeed(seed, file);
  const store = await openStore(`sqlite://${file}`, silentLogger());
  const clock = new ManualClock(Date.now());
  const search = (i: number) =>
    searchForViewer(store, clock, GUILD, {
      viewerId: userId(1_000 + i),
      query: QUERIES[i % QUERIES.length] ?? "",
    });
  try {
    // The first read loads the journal and works out every entry's terms: once per process.
    await guildEntries(store, GUILD);
    let started = cpuMs();
    await search(0);
    const coldMs = cpuMs() - started;
    let miss = 0;
    let hit = 0;
    for (let l = 0; l < LOGS; l++) {
      await logEntry(store, clock, GUILD, {
        authorId: userId(2_000 + index * LOGS + l),
        topic: topicOf(l),
        text: `Bench search round ${index}: log ${l} about ${QUERIES[l % QUERIES.length]}`,
      });
      await guildEntries(store, GUILD);
      started = cpuMs();
      for (let i = 0; i < QUERIES.length; i++) await search(i);
      miss += cpuMs() - started;
      started = cpuMs();
      for (let i = 0; i < QUERIES.length; i++) await search(i);
      hit += cpuMs() - started;
    }
    const searches = LOGS * QUERIES.length;
    return { coldMs, missMs: miss / searches, hitMs: hit / searches };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchSearch(): Promise<Section> {
  const seed = await seedDatabase(GUILD, Date.now());
  const results: Round[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      results.push(await round(seed, r));
      log(`search round ${r + 1}: ${JSON.stringify(results.at(-1))}`);
    }
  } finally {
    rmSync(join(seed, ".."), { recursive: true, force: true });
  }
  const m = (pick: (r: Round) => number) => fmt(median(results.map(pick)), 2);
  const body = [
    `\`/learn search\`'s domain call (rank, no Discord) over a journal of ${JOURNAL_ENTRIES.toLocaleString("en-US")} entries on`,
    `SQLite, ${QUERIES.length} queries (those of the interaction bench), CPU ms per search (the process's, SQLite's`,
    `thread pool included), median of ${ROUNDS} rounds. After each of ${LOGS} logs every query is searched twice: the`,
    "first search of a query after a log misses the results cache (a log makes a new journal version), the",
    "second hits it. The first search in a process also reads the journal and works out every entry's terms.",
    "",
    table(
      ["first search in the process", "search after a log (results not cached)", "repeated search (cached)"],
      [[m((r) => r.coldMs), m((r) => r.missMs), m((r) => r.hitMs)]],
    ),
  ].join("\n");
  return { title: "Search", body, targets: [] };
}

// Pairing: `/pair round` over 1,000 and 10,000 waiting learners: the domain function the command runs
// between its deferReply and its summary (read the pool and histories, match, store every pair), on the
// bot's SQLite store on disk; and the matching alone (src/pairing/match.ts), for the breakdown.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../src/clock.js";
import { silentLogger } from "../src/log.js";
import { matchRound, type PastPair } from "../src/pairing/match.js";
import { DAY_MS, runRound } from "../src/pairing/pairing.js";
import {
  type PairingState,
  PairingStateSchema,
  PairMemberSchema,
  type PoolEntry,
  pairMemberKey,
  pairStateKey,
} from "../src/pairing/schema.js";
import { openStore } from "../src/store/open.js";
import type { Store } from "../src/store/store.js";
import { seededRandom } from "../tests/support/discord-http.js";
import { topicOf, userId, ZONES } from "./dataset.js";
import { fmt, log, median, rounds, type Section, table } from "./lib.js";

const GUILD = "600000000000000001";
const SIZES = [1_000, 10_000];
const ROUNDS = 3;
const TARGET_MS = 1_000;
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

/**
 * `n` waiting learners, half backend, half frontend; 60% named one of 12 topics; 11 time zones; requests
 * spread over the last 6 days (none expired). One in five was paired with the next one (other track)
 * 3 days ago, so the 28-day recency window forbids those pairs.
 */
async function seedPool(store: Store, n: number): Promise<{ pool: PoolEntry[]; history: PastPair[] }> {
  const random = seededRandom(n);
  const pool: PoolEntry[] = [];
  for (let i = 0; i < n; i++) {
    const at = NOW - Math.floor(random() * 6 * DAY_MS);
    pool.push({
      user: userId(i),
      role: i % 2 === 0 ? "backend" : "frontend",
      topic: random() < 0.6 ? topicOf(Math.floor(random() * 12)) : null,
      tz: ZONES[Math.floor(random() * ZONES.length)] ?? "UTC",
      at,
      seenAt: at,
    });
  }
  const state: PairingState = PairingStateSchema.parse({ pool, nextPairId: 1 });
  const writes: Promise<unknown>[] = [store.set(pairStateKey(GUILD), PairingStateSchema, state)];
  const history: PastPair[] = [];
  const pastAt = NOW - 3 * DAY_MS;
  for (let i = 0; i + 1 < n; i += 5) {
    const [a, b] = [userId(i), userId(i + 1)];
    history.push({ a, b, at: pastAt });
    const pairId = i + 1_000_000;
    writes.push(
      store.set(pairMemberKey(GUILD, a), PairMemberSchema, {
        history: [{ pairId, partner: b, role: "backend", at: pastAt }],
        updatedAt: pastAt,
      }),
      store.set(pairMemberKey(GUILD, b), PairMemberSchema, {
        history: [{ pairId, partner: a, role: "frontend", at: pastAt }],
        updatedAt: pastAt,
      }),
    );
  }
  await Promise.all(writes);
  return { pool, history };
}

type RoundMeasure = { roundMs: number; matchMs: number; pairs: number; leftover: number };

async function once(n: number): Promise<RoundMeasure> {
  const dir = mkdtempSync(join(tmpdir(), "nexus-bench-pairing-"));
  const store = await openStore(`sqlite://${join(dir, "nexus.sqlite")}`, silentLogger());
  try {
    const clock = new ManualClock(NOW);
    const { pool, history } = await seedPool(store, n);
    // The matching alone, on the same input (the pure function the round calls).
    const matchStarted = performance.now();
    matchRound(pool, { history, now: NOW, recencyMs: 28 * DAY_MS });
    const matchMs = performance.now() - matchStarted;
    const started = performance.now();
    const outcome = await runRound(store, clock, GUILD);
    const roundMs = performance.now() - started;
    return { roundMs, matchMs, pairs: outcome.pairs.length, leftover: outcome.leftover.length };
  } finally {
    await store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchPairing(): Promise<Section> {
  const rows: Array<Array<string | number>> = [];
  let largest = Number.NaN;
  let largestMatch = Number.NaN;
  let largestPairs = 0;
  for (const n of SIZES) {
    log(`pairing: round over ${n} waiting learners`);
    const results = await rounds(ROUNDS, () => once(n));
    const roundMs = median(results.map((r) => r.roundMs));
    if (n === Math.max(...SIZES)) {
      largest = roundMs;
      largestMatch = median(results.map((r) => r.matchMs));
      largestPairs = median(results.map((r) => r.pairs));
    }
    rows.push([
      n.toLocaleString("en-US"),
      fmt(roundMs, 0),
      fmt(median(results.map((r) => r.matchMs)), 0),
      fmt(median(results.map((r) => r.pairs)), 0),
      fmt(median(results.map((r) => r.leftover)), 0),
    ]);
  }
  const body = [
    "`runRound` (src/pairing/pairing.ts) is what `/pair round` runs after acknowledging: under the guild lock it",
    "reads the pool and the pair histories of the smaller side, computes the maximum matching, and writes every",
    "pair, both members' histories and the pool in one group commit; on the bot's SQLite store on disk, median",
    `of ${ROUNDS} rounds, each on a fresh database. The pool: half backend, half frontend, 60% with one of 12 topics,`,
    "11 time zones, one in five learners recently paired with a waiting learner of the other track (so the",
    'recency window forbids that pair). "matching only" is `matchRound` (src/pairing/match.ts) on the same input.',
    "Introducing the pairs (a thread each, REST calls at ≤ 50/s) follows the summary and is not included.",
    "",
    table(["waiting", "/pair round ms", "matching only ms", "pairs", "left over"], rows),
    ...(largest >= TARGET_MS
      ? [
          "",
          "**Why the target is missed**",
          "",
          `- The matching takes ${fmt(largestMatch, 0)} ms of the ${fmt(largest, 0)} ms. The rest is storing the result: for`,
          `  ${fmt(largestPairs, 0)} pairs the round writes ${fmt(largestPairs * 3 + 1, 0)} records (each pair, both members' histories, the pool),`,
          "  every one validated with zod and serialised by keyv before a single SQLite commit, after reading the",
          "  member records of everyone matched. A CPU profile showed that time in zod validation, JSON",
          "  serialisation, the SQLite driver and garbage collection, not in the matching.",
        ]
      : []),
  ].join("\n");
  return {
    title: "Pairing",
    body,
    targets: [
      {
        name: `/pair round over ${Math.max(...SIZES).toLocaleString("en-US")} waiting learners < 1 s`,
        met: largest < TARGET_MS,
        detail: `${fmt(largest, 0)} ms`,
      },
    ],
  };
}

// Interactions: the plain discord.js floor against Nexus on /learn log, /learn search, /questions open and
// /pair request, with an "echo floor" (the floor answering with Nexus's answers) beside them. Each bot runs
// in its own process against its own local Discord server (the servers live in this process); the bots are
// measured back to back on the same inputs, in every round.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { APIUser } from "discord.js";
import {
  type DiscordServer,
  FIXTURE_IDS,
  type InteractInput,
  type RecordedCallback,
  startDiscordServer,
} from "../tests/support/discord-server.js";
import { Child, cpuMs } from "./child.js";
import { copySeed, JOURNAL_ENTRIES, QUERIES, QUESTIONS, seedDatabase, topicOf, userSpec } from "./dataset.js";
import { commandKey } from "./echo.js";
import { fmt, log, median, percentile, type Section, startFlags, table } from "./lib.js";

/** `BENCH_ROUNDS` and `BENCH_CASES` (labels, comma-separated) shorten a run while working on one command. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/**
 * Measured bursts per command and bot in each round (`BENCH_BURSTS`), alternating between the bots; a
 * round's throughput is all of them over their total time. One burst of 1,000 lasts a few hundred ms, and
 * whether a young-generation GC (tens of ms with 1,000 interactions in flight) falls inside it is luck:
 * single bursts of one bot swung by a third between runs.
 */
const BURSTS = Number(process.env.BENCH_BURSTS ?? 3);
const SEQUENTIAL = 200;
const BURST = 1_000;
/** Interactions at once in each warm-up burst and before each command's measurements (the last members). */
const WARMUP = 100;
/**
 * Before anything is measured, each bot runs every command this many times `WARMUP` at once, back to back
 * (`BENCH_WARMUP_BURSTS` overrides it). V8 keeps compiling hot code on background threads for thousands
 * of calls: measured with bursts of 100, Nexus's CPU per `/learn log` fell from about 3 ms in the first
 * burst to about 0.45 ms by the twentieth, the floor's from 0.7 to 0.25, and a bot measured earlier is
 * measured compiling. A bot runs for days; the steady state is what its users meet.
 */
const STEADY_BURSTS = Number(process.env.BENCH_WARMUP_BURSTS ?? 20);
const DEADLINE_MS = 3_000;
const TARGET_RATIO = 0.8;
/** Members: sequential use 0‥199, burst k 200 + 1,000k‥, then the warm-up's 100. */
const MEMBERS = SEQUENTIAL + BURSTS * BURST + WARMUP;
const WARMUP_FROM = SEQUENTIAL + BURSTS * BURST;

type Case = {
  label: string;
  kind: "write" | "read";
  input(i: number): InteractInput;
  /** The reply the command gives when it worked (not its error path). */
  ok(data: Record<string, unknown> | undefined): boolean;
  /** Warm-up bursts, when fewer than `STEADY_BURSTS` (see /pair request). */
  warmUpBursts?: number;
};

const hasEmbed = (data: Record<string, unknown> | undefined) =>
  Array.isArray(data?.embeds) && data.embeds.length > 0;

const ALL_CASES: Case[] = [
  {
    label: "/learn log",
    kind: "write",
    input: (i) => ({
      commandName: "learn",
      subcommand: "log",
      options: { topic: topicOf(i), text: `Bench entry ${i}: ${QUERIES[i % QUERIES.length]} in practice` },
    }),
    ok: hasEmbed,
  },
  {
    label: "/learn search",
    kind: "read",
    input: (i) => ({
      commandName: "learn",
      subcommand: "search",
      options: { query: QUERIES[i % QUERIES.length] ?? "" },
    }),
    ok: hasEmbed,
  },
  {
    label: "/questions open",
    kind: "read",
    input: (i) => {
      const options: Record<string, string> = i % 2 === 0 ? {} : { topic: topicOf(i) };
      return { commandName: "questions", subcommand: "open", options };
    },
    ok: hasEmbed,
  },
  {
    label: "/pair request",
    kind: "write",
    // Alternating tracks: every second request is matched at once (and its thread opened after the reply).
    input: (i) => ({
      commandName: "pair",
      subcommand: "request",
      options: { role: i % 2 === 0 ? "backend" : "frontend", topic: topicOf(i) },
    }),
    ok: (data) => typeof data?.content === "string" && /in the queue|You are paired/.test(data.content),
    // Each warm-up burst pairs 50 members, whose threads Nexus opens after the reply at 50 REST calls per
    // second (about 5 s a burst, waited for before measuring): fewer bursts, on code mostly warm by then.
    warmUpBursts: 5,
  },
];

const CASES = process.env.BENCH_CASES
  ? ALL_CASES.filter((c) => process.env.BENCH_CASES?.split(",").includes(c.label))
  : ALL_CASES;

const FLOOR_CASE_OK = (data: Record<string, unknown> | undefined) => data?.content === "ok";

/**
 * The floor answers `ok`; the echo floor is the same minimal bot answering with Nexus's own answers to the
 * command (recorded from Nexus's warm-up, given in turn): what an answer the size of Nexus's costs on its own.
 */
type Side = "floor" | "echo" | "nexus";
const SIDES: Side[] = ["floor", "echo", "nexus"];

const okFor = (side: Side, c: Case) => (side === "floor" ? FLOOR_CASE_OK : c.ok);

type SeqResult = { p50: number; p99: number; failed: number };
type BurstResult = {
  throughput: number;
  /** Every latency, and the time from the first dispatch to the last callback. */
  latencies: number[];
  ms: number;
  p50: number;
  p99: number;
  withinDeadline: number;
  failed: number;
  botCpuMs: number;
  /** The kernel's part of botCpuMs (system calls: sockets, and for SQLite its writes and fsyncs). */
  botSysMs: number;
  serverCpuMs: number;
  dispatchMs: number;
  /** The bot's collections in the burst (young-generation, the rest) and its GC pauses per interaction. */
  minorGcs: number;
  majorGcs: number;
  gcPauseMs: number;
  /** Nexus's SQLite statements in the burst, per 1,000 interactions: batched reads, commits. */
  sqliteReads: number;
  sqliteCommits: number;
};
/** CPU ms per interaction of a bot in its first and last warm-up burst of a command. */
type WarmUp = { first: number; last: number };
type CaseRound = Record<"floor" | "nexus", { seq: SeqResult; burst: BurstResult; warmUp: WarmUp }> & {
  echo: { burst: BurstResult };
};

type Rig = { server: DiscordServer; bot: Child; users: APIUser[] };

function succeeded(cb: RecordedCallback | undefined, ok: Case["ok"]): boolean {
  return cb !== undefined && cb.status < 300 && !cb.late && ok(cb.data);
}

let reportedFailure = false;
function reportFailure(side: Side, label: string, cb: RecordedCallback | undefined): void {
  if (reportedFailure) return;
  reportedFailure = true;
  log(
    `interactions: ${side} ${label} gave an unexpected answer: ${
      cb ? `status ${cb.status}${cb.late ? " (late)" : ""} ${JSON.stringify(cb.data).slice(0, 300)}` : "none"
    }`,
  );
}

function inputFor(rig: Rig, c: Case, i: number): InteractInput {
  return { ...c.input(i), user: rig.users[i] ?? userSpec(i) };
}

async function sequential(rig: Rig, side: Side, c: Case, from: number, count: number): Promise<SeqResult> {
  const ok = okFor(side, c);
  const latencies: number[] = [];
  let failed = 0;
  for (let i = from; i < from + count; i++) {
    const cb = await rig.server.interact(inputFor(rig, c, i)).callback.catch(() => undefined);
    if (cb !== undefined) latencies.push(cb.afterMs);
    if (!succeeded(cb, ok)) {
      failed++;
      reportFailure(side, c.label, cb);
    }
  }
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), failed };
}

/** `BENCH_PROFILE=<dir>` writes a CPU profile of each bot process during each burst there. */
const PROFILE_DIR = process.env.BENCH_PROFILE;

/** With `BENCH_PROFILE`, the bench process (the local servers) is profiled during each burst too. */
let harnessSession: Session | undefined;

async function startHarnessProfile(): Promise<void> {
  harnessSession = new Session();
  harnessSession.connect();
  await harnessSession.post("Profiler.enable");
  await harnessSession.post("Profiler.setSamplingInterval", { interval: 100 });
  await harnessSession.post("Profiler.start");
}

async function stopHarnessProfile(file: string): Promise<void> {
  if (harnessSession === undefined) return;
  const { profile } = await harnessSession.post("Profiler.stop");
  harnessSession.disconnect();
  harnessSession = undefined;
  writeFileSync(file, JSON.stringify(profile));
}

/** Dispatches interactions `from`‥`from + count - 1` at once and waits for every callback. */
async function dispatchAll(
  rig: Rig,
  c: Case,
  from: number,
  count: number,
): Promise<Array<RecordedCallback | undefined>> {
  const handles = [];
  for (let i = from; i < from + count; i++) handles.push(rig.server.interact(inputFor(rig, c, i)));
  return Promise.all(handles.map((handle) => handle.callback.catch(() => undefined)));
}

async function burst(rig: Rig, side: Side, c: Case, roundIndex: number, k: number): Promise<BurstResult> {
  const ok = okFor(side, c);
  if (PROFILE_DIR) {
    await rig.bot.ask({ type: "profile-start" });
    await startHarnessProfile();
  }
  const cpuBefore = await rig.bot.ask({ type: "cpu" });
  const serverBefore = cpuMs();
  const start = Date.now();
  const handles = [];
  const from = SEQUENTIAL + k * BURST;
  for (let i = from; i < from + BURST; i++) handles.push(rig.server.interact(inputFor(rig, c, i)));
  const dispatchMs = Date.now() - start;
  const callbacks = await Promise.all(handles.map((handle) => handle.callback.catch(() => undefined)));
  const serverCpuMs = cpuMs() - serverBefore;
  const cpuAfter = await rig.bot.ask({ type: "cpu" });
  const botCpuMs = Number(cpuAfter.ms) - Number(cpuBefore.ms);
  const botSysMs = Number(cpuAfter.sysMs) - Number(cpuBefore.sysMs);
  const gcBefore = gcOf(cpuBefore);
  const gcAfter = gcOf(cpuAfter);
  if (PROFILE_DIR) {
    const name = `${side}-${c.label.replace(/\W+/g, "-").replace(/^-/, "")}-round${roundIndex + 1}-${k + 1}.cpuprofile`;
    await stopHarnessProfile(join(PROFILE_DIR, `harness-${name}`));
    await rig.bot.ask({ type: "profile-stop", file: join(PROFILE_DIR, name) });
  }
  let last = start;
  let withinDeadline = 0;
  let failed = 0;
  const latencies: number[] = [];
  for (const cb of callbacks) {
    if (cb !== undefined) {
      latencies.push(cb.afterMs);
      last = Math.max(last, cb.request.at);
      if (cb.status < 300 && !cb.late && cb.afterMs <= DEADLINE_MS) withinDeadline++;
    }
    if (!succeeded(cb, ok)) {
      failed++;
      reportFailure(side, c.label, cb);
    }
  }
  const ms = Math.max(1, last - start);
  return {
    throughput: (BURST / ms) * 1000,
    latencies,
    ms,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    withinDeadline,
    failed,
    botCpuMs: botCpuMs / BURST,
    botSysMs: botSysMs / BURST,
    serverCpuMs: serverCpuMs / BURST,
    dispatchMs,
    minorGcs: gcAfter.minor - gcBefore.minor,
    majorGcs: gcAfter.major - gcBefore.major,
    gcPauseMs: (gcAfter.minorMs + gcAfter.majorMs - gcBefore.minorMs - gcBefore.majorMs) / BURST,
    sqliteReads: ((sqliteOf(cpuAfter).reads - sqliteOf(cpuBefore).reads) / BURST) * 1000,
    sqliteCommits: ((sqliteOf(cpuAfter).commits - sqliteOf(cpuBefore).commits) / BURST) * 1000,
  };
}

/** The GC counters a bot reports with its CPU time (bench/interaction-bot.ts). */
function gcOf(answer: Record<string, unknown>): {
  minor: number;
  minorMs: number;
  major: number;
  majorMs: number;
} {
  const gc = (answer.gc ?? {}) as Record<string, unknown>;
  const n = (key: string) => Number(gc[key] ?? 0);
  return { minor: n("minor"), minorMs: n("minorMs"), major: n("major"), majorMs: n("majorMs") };
}

/** Nexus's SQLite statement counters a bot reports with its CPU time (zero for the floors). */
function sqliteOf(answer: Record<string, unknown>): { reads: number; commits: number } {
  const counters = (answer.sqlite ?? {}) as Record<string, unknown>;
  return { reads: Number(counters.reads ?? 0), commits: Number(counters.commits ?? 0) };
}

/** A round's bursts of one bot as one measurement: throughput over their total time, the worst deadline. */
function combine(results: BurstResult[]): BurstResult {
  const latencies = results.flatMap((r) => r.latencies);
  const ms = results.reduce((sum, r) => sum + r.ms, 0);
  const mean = (pick: (r: BurstResult) => number) =>
    results.reduce((sum, r) => sum + pick(r), 0) / Math.max(1, results.length);
  return {
    throughput: ((results.length * BURST) / ms) * 1000,
    latencies,
    ms,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    withinDeadline: Math.min(...results.map((r) => r.withinDeadline)),
    failed: Math.max(...results.map((r) => r.failed)),
    botCpuMs: mean((r) => r.botCpuMs),
    botSysMs: mean((r) => r.botSysMs),
    serverCpuMs: mean((r) => r.serverCpuMs),
    dispatchMs: mean((r) => r.dispatchMs),
    minorGcs: mean((r) => r.minorGcs),
    majorGcs: mean((r) => r.majorGcs),
    gcPauseMs: mean((r) => r.gcPauseMs),
    sqliteReads: mean((r) => r.sqliteReads),
    sqliteCommits: mean((r) => r.sqliteCommits),
  };
}

async function startRig(side: Side, databaseUrl: string): Promise<Rig> {
  const server = await startDiscordServer({ replyTimeoutMs: 30_000, ackDeadlineMs: DEADLINE_MS });
  const users: APIUser[] = [];
  for (let i = 0; i < MEMBERS; i++) users.push(server.addMember(FIXTURE_IDS.guildId, userSpec(i)).user);
  const bot = Child.start(
    "./interaction-bot.js",
    {
      BENCH_MODE: side,
      BENCH_API_URL: server.apiUrl,
      BENCH_TOKEN: server.token,
      BENCH_DATABASE_URL: databaseUrl,
      ...(process.env.BENCH_PROFILE_HEAP === "1" ? { BENCH_PROFILE_HEAP: "1" } : {}),
    },
    startFlags(),
  );
  await bot.next("ready", 60_000);
  return { server, bot, users };
}

async function stopRig(rig: Rig): Promise<void> {
  await rig.bot.stop();
  await rig.server.close();
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until neither server has seen a request for `quietMs` (Nexus's work after a reply, such as opening
 * a pair's thread at ≤ 50 requests per second, must not overlap the next measurement), then has the
 * servers forget what they recorded: kept for the whole run, the interactions and replies of tens of
 * thousands of interactions cost the bench process ever more garbage collection, more in Nexus's bursts
 * (embeds) than in the floor's (`ok`).
 */
async function quiesce(rigs: Record<Side, Rig>, quietMs = 1_000, maxMs = 120_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const last = Math.max(...Object.values(rigs).map((rig) => rig.server.requests.at(-1)?.at ?? 0));
    if (Date.now() - last >= quietMs) break;
    if (Date.now() - started > maxMs) {
      log(`interactions: still busy after ${maxMs} ms; measuring anyway`);
      return;
    }
    await pause(100);
  }
  for (const rig of Object.values(rigs)) {
    rig.server.clearRecords();
    rig.server.forgetInteractions();
  }
}

/** The read used to warm bots up (no side effects, no work after the reply). */
const poolWarmUp = ALL_CASES.find((c) => c.label === "/questions open");

/** How many warm-up bursts a command gets. */
function warmUpBursts(c: Case): number {
  return Math.min(STEADY_BURSTS, c.warmUpBursts ?? STEADY_BURSTS);
}

/**
 * Unmeasured bursts of a command (the warm-up members); the CPU per interaction of the first and last,
 * and the answers of the last (what the echo floor sends when it is Nexus's warm-up).
 */
async function warmUp(rig: Rig, c: Case): Promise<WarmUp & { answers: unknown[] }> {
  const perInteraction: number[] = [];
  let answers: unknown[] = [];
  for (let b = 0; b < warmUpBursts(c); b++) {
    const before = await rig.bot.ask({ type: "cpu" });
    const callbacks = await dispatchAll(rig, c, WARMUP_FROM, WARMUP);
    const after = await rig.bot.ask({ type: "cpu" });
    perInteraction.push((Number(after.ms) - Number(before.ms)) / WARMUP);
    answers = callbacks.flatMap((cb) => (cb?.data !== undefined && succeeded(cb, c.ok) ? [cb.data] : []));
  }
  return { first: perInteraction[0] ?? Number.NaN, last: perInteraction.at(-1) ?? Number.NaN, answers };
}

async function round(seed: string, index: number): Promise<CaseRound[]> {
  const dir = mkdtempSync(join(tmpdir(), "nexus-bench-interactions-"));
  const file = join(dir, "nexus.sqlite");
  copySeed(seed, file);
  const rigs: Record<Side, Rig> = {
    floor: await startRig("floor", "memory://"),
    echo: await startRig("echo", "memory://"),
    nexus: await startRig("nexus", `sqlite://${file}`),
  };
  // Who goes first rotates by round (sequential runs and bursts alike), so a drift in machine load does
  // not always favour the same side. Nexus's work after its own burst (pairs' threads) overlaps nobody's
  // measurement: every measurement waits until every server has been idle for a second.
  const order: Side[] = [...SIDES.slice(index % SIDES.length), ...SIDES.slice(0, index % SIDES.length)];
  const results: CaseRound[] = [];
  try {
    // Every command, not only the measured ones: the code they share is compiled as in a running bot.
    // Nexus warms up first: its answers are what the echo floor sends.
    const warm = new Map<Case, Record<Side, WarmUp>>();
    for (const c of ALL_CASES) {
      const curve = {} as Record<Side, WarmUp>;
      const nexus = await warmUp(rigs.nexus, c);
      curve.nexus = nexus;
      const { commandName = "", subcommand } = c.input(0);
      await rigs.echo.bot.ask({
        type: "answers",
        command: commandKey(commandName, subcommand),
        answers: nexus.answers,
      });
      for (const side of order) if (side !== "nexus") curve[side] = await warmUp(rigs[side], c);
      warm.set(c, curve);
    }
    for (const c of CASES) {
      for (const side of order) {
        await quiesce(rigs);
        await dispatchAll(rigs[side], c, WARMUP_FROM, WARMUP);
      }
      const seq = {} as Record<Side, SeqResult>;
      for (const side of order) {
        if (side === "echo") continue;
        await quiesce(rigs);
        seq[side] = await sequential(rigs[side], side, c, 0, SEQUENTIAL);
      }
      const each: Record<Side, BurstResult[]> = { floor: [], echo: [], nexus: [] };
      for (let k = 0; k < BURSTS; k++) {
        // Who goes first alternates from burst to burst too.
        for (const side of k % 2 === 0 ? order : [...order].reverse()) {
          await quiesce(rigs);
          // An unmeasured burst of reads right before, so every bot meets the measured burst with warm HTTP
          // connections (discord.js opens one per concurrent request; idle ones close after a few seconds).
          if (poolWarmUp) await dispatchAll(rigs[side], poolWarmUp, SEQUENTIAL, BURST);
          each[side].push(await burst(rigs[side], side, c, index, k));
        }
      }
      const bursts = { floor: combine(each.floor), echo: combine(each.echo), nexus: combine(each.nexus) };
      const curve = warm.get(c);
      if (curve === undefined) throw new Error(`${c.label} was not warmed up`);
      results.push({
        floor: { seq: seq.floor, burst: bursts.floor, warmUp: curve.floor },
        echo: { burst: bursts.echo },
        nexus: { seq: seq.nexus, burst: bursts.nexus, warmUp: curve.nexus },
      });
      log(
        `interactions round ${index + 1}: ${c.label}: floor ${fmt(bursts.floor.throughput, 0)}/s, ` +
          `echo floor ${fmt(bursts.echo.throughput, 0)}/s, ` +
          `Nexus ${fmt(bursts.nexus.throughput, 0)}/s (p99 ${bursts.nexus.p99} ms, ` +
          `${bursts.nexus.withinDeadline}/${BURST} in time, ${bursts.nexus.failed} failed)`,
      );
    }
  } finally {
    for (const side of SIDES) await stopRig(rigs[side]);
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/**
 * What CPU and heap profiles of the Nexus process during the bursts showed (`BENCH_PROFILE`,
 * `BENCH_PROFILE_HEAP`) when these lines were last revised; quoted in BENCHMARKS.md only while the target
 * is missed.
 */
const CAUSES: Record<string, string> = {
  "/learn log":
    "A log is a durable write; the floor writes nothing. Logs run in per-guild batches (src/store/batcher.ts): " +
    "one read statement per batch for the authors' settings and journal indexes with the guild's config and " +
    "counter, three records validated with zod per log (entry, index, counter), and the answer only once " +
    "the batch's commit is fsynced (WAL, `synchronous=FULL`: an acknowledged entry survives a crash), in " +
    "public with an embed where the floor sends `ok` (the echo floor's share above). In these bursts the " +
    "batches are large (the statement table: a few statements per 1,000 logs); measured outside the bot, " +
    "logs in batches that large cost 0.04–0.05 ms of CPU each in the store and domain, 0.03–0.04 ms of it on " +
    "the main thread (about 0.19 ms when they arrive 3 a millisecond and batches are small). The main " +
    "thread's busy time per log, read per burst (event-loop utilisation, one run of 2 rounds), was 0.17–0.20 ms " +
    "for the floor, 0.25–0.36 for the echo floor and 0.24–0.42 for Nexus: Nexus's main thread stays within " +
    "the echo floor's range, and bursts of one bot differ as much as the bots do. The rest of its CPU is off " +
    "the main thread (SQLite's thread; GC helpers: a heap profile counted 85 KB allocated per log against " +
    "the floor's 50 KB and the echo floor's 51 KB, and a batch keeps its logs alive until its commit), and " +
    "on these two cores that competes with the local server. Not traded away for it: the fsync before the " +
    "answer, zod on every record.",
  "/learn search":
    "The answer is an embed of ten results (about 4 KB of text) where the floor sends `ok`: discord.js " +
    "serialising it, the HTTP request carrying it, the garbage both leave, and the local server validating " +
    "and storing it on the same two cores (the harness columns), and more garbage collection (the GC " +
    "table: a heap profile counted 76 KB allocated per search against the floor's 48 KB, half of the " +
    "difference the answer's serialisation). Ranking and rendering take about 0.04 ms of main thread per " +
    "search here, where the 25 queries repeat over an unchanging journal and their results are cached; a " +
    "search the cache has not seen (the first of a query after a log) costs more, see the Search section.",
  "/questions open":
    "Nexus reads the question index (one small record while its in-process copy is current), takes a page " +
    "of the open list (sorted once per change of the index) and answers with a list embed (each question's " +
    "line rendered once) where the floor sends `ok`; that domain work takes about 0.01 ms of main thread " +
    "per interaction (steady-state profile; 0.03 before the list and its lines were kept). What remains is " +
    "the larger answer (serialising, sending, the local server validating it) and its garbage: a heap " +
    "profile counted 62 KB allocated per interaction against the floor's 47 KB and the echo floor's 50 KB, " +
    "and which bursts a mark-compact falls in decides much of a round (the GC table). In single-round runs " +
    "Nexus cost 0.17 ms of CPU per interaction (the floor 0.15) in bursts without one and 0.29–0.30 in " +
    "bursts with two.",
  "/pair request":
    "Requests run in per-guild batches (src/store/batcher.ts), each one transaction: one read statement " +
    "(pool, pair settings, the members' records and zones), the pool matched in arrival order, the changed " +
    "records validated by zod and committed together, fsynced before the answers. Measured outside the " +
    "bot with requests arriving about 3 a millisecond that costs about 0.18 ms of CPU per request, SQLite's " +
    "threads and the kernel included (0.31 before batches waited for durability and gathered); in these " +
    "bursts the batches are larger still (the statement table). Every second " +
    "request is matched: after the reply Nexus opens the pair's thread (thread, two members, " +
    "introduction, the reply edited), REST calls paced at 50 per second that keep running during the " +
    "burst; the rest is garbage collection (the GC table). Limiting the introductions to 4 at a time per " +
    "guild (measured twice against twice without) showed no gain within this machine's noise. Bisected with " +
    "the command edited for a run of 2 rounds: answering at once without calling the domain, Nexus's process " +
    "took 1.1× the floor's CPU per interaction at the floor's throughput (the client, routing and error " +
    "handling around the commands cost almost nothing); with the domain call but no introductions, 1.9× " +
    "(0.41 ms against 0.22). The request's transaction (reads, zod, serialising, SQLite and the garbage " +
    "they leave) is the gap, not the introductions.",
};

/**
 * How much of Nexus's extra time per interaction over the floor's the echo floor (the same answers, no
 * logic) also takes: per round (1/echo − 1/floor) ÷ (1/Nexus − 1/floor) of the throughputs, the median.
 * `echoRatio`: the median of Nexus's throughput ÷ the echo floor's; `cpuBound`: whether Nexus's process was
 * (else the rest is not all its own work: it also waited for the local server).
 */
function answerShare(runs: CaseRound[], echoRatio: number, cpuBound: boolean): string {
  const share = median(
    runs.map((r) => {
      const floor = 1 / r.floor.burst.throughput;
      return (1 / r.echo.burst.throughput - floor) / (1 / r.nexus.burst.throughput - floor);
    }),
  );
  const echo = "the echo floor (the floor's bot sending Nexus's answers, with no logic behind them)";
  if (share >= 1) {
    return (
      `Nexus ran at ${fmt(echoRatio, 2)}× ${echo}: plain discord.js sending answers that size is at ` +
      "least as slow, so the answers themselves account for the whole gap."
    );
  }
  return (
    `Of the time per interaction Nexus takes beyond the floor's, ${echo} took ${fmt(Math.max(0, share) * 100, 0)}%: ` +
    `that much comes with the answers' size; the other ${fmt((1 - Math.max(0, share)) * 100, 0)}% ` +
    `${cpuBound ? "is Nexus's own work" : "is Nexus's own work or the local server's time for it"} ` +
    `(Nexus ran at ${fmt(echoRatio, 2)}× the echo floor).`
  );
}

export async function benchInteractions(): Promise<Section> {
  const seed = await seedDatabase(FIXTURE_IDS.guildId, Date.now());
  const all: CaseRound[][] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      log(`interactions: round ${r + 1} of ${ROUNDS}`);
      all.push(await round(seed, r));
    }
  } finally {
    rmSync(join(seed, ".."), { recursive: true, force: true });
  }

  const seqRows: Array<Array<string | number>> = [];
  const burstRows: Array<Array<string | number>> = [];
  const cpuRows: Array<Array<string | number>> = [];
  const warmRows: Array<Array<string | number>> = [];
  const gcRows: Array<Array<string | number>> = [];
  const sqliteRows: Array<Array<string | number>> = [];
  const targets: Section["targets"] = [];
  const notes: string[] = [];
  let floorBusiest = 0;
  CASES.forEach((c, i) => {
    const runs = all.flatMap((roundResults) => (roundResults[i] ? [roundResults[i]] : []));
    const m = (pick: (r: CaseRound) => number) => median(runs.map(pick));
    const ms = (pick: (r: CaseRound) => number) => fmt(m(pick), 0);
    const ratios = runs.map((r) => r.nexus.burst.throughput / r.floor.burst.throughput);
    const ratio = median(ratios);
    const echoRatios = runs.map((r) => r.nexus.burst.throughput / r.echo.burst.throughput);
    const echoRatio = median(echoRatios);
    const within = Math.min(...runs.map((r) => r.nexus.burst.withinDeadline));
    const worstRound = runs.find((r) => r.nexus.burst.withinDeadline === within);
    const failed = Math.max(...runs.map((r) => r.nexus.burst.failed));
    const seqFailed = Math.max(...runs.map((r) => r.nexus.seq.failed));
    const busy = (side: Side) => m((r) => (r[side].burst.botCpuMs * r[side].burst.throughput) / 10);
    const cpuRatio = m((r) => r.nexus.burst.botCpuMs / r.floor.burst.botCpuMs);
    floorBusiest = Math.max(floorBusiest, busy("floor"));
    seqRows.push([
      `${c.label} (${c.kind})`,
      ms((r) => r.floor.seq.p50),
      ms((r) => r.floor.seq.p99),
      ms((r) => r.nexus.seq.p50),
      ms((r) => r.nexus.seq.p99),
      seqFailed,
    ]);
    burstRows.push([
      c.label,
      ms((r) => r.floor.burst.throughput),
      ms((r) => r.nexus.burst.throughput),
      `**${fmt(ratio, 2)}×** (${ratios.map((x) => fmt(x, 2)).join(", ")})`,
      ms((r) => r.echo.burst.throughput),
      `${fmt(echoRatio, 2)}× (${echoRatios.map((x) => fmt(x, 2)).join(", ")})`,
      ms((r) => r.floor.burst.p99),
      ms((r) => r.nexus.burst.p99),
      `${within} / ${BURST}`,
      failed,
    ]);
    const curve = (side: "floor" | "nexus") =>
      `${fmt(
        m((r) => r[side].warmUp.first),
        2,
      )} → ${fmt(
        m((r) => r[side].warmUp.last),
        2,
      )}`;
    warmRows.push([c.label, curve("floor"), curve("nexus")]);
    const collections = (side: Side) =>
      `${fmt(
        m((r) => r[side].burst.minorGcs),
        1,
      )} + ${fmt(
        m((r) => r[side].burst.majorGcs),
        1,
      )}`;
    gcRows.push([
      c.label,
      collections("floor"),
      collections("nexus"),
      fmt(
        m((r) => r.floor.burst.gcPauseMs),
        3,
      ),
      fmt(
        m((r) => r.nexus.burst.gcPauseMs),
        3,
      ),
    ]);
    sqliteRows.push([
      c.label,
      fmt(
        m((r) => r.nexus.burst.sqliteReads),
        0,
      ),
      fmt(
        m((r) => r.nexus.burst.sqliteCommits),
        0,
      ),
    ]);
    const botCpu = (side: Side) =>
      `${fmt(
        m((r) => r[side].burst.botCpuMs),
        2,
      )} (${fmt(
        m((r) => r[side].burst.botSysMs),
        2,
      )})`;
    const harnessCpu = (side: Side) =>
      fmt(
        m((r) => r[side].burst.serverCpuMs),
        2,
      );
    cpuRows.push([
      c.label,
      botCpu("floor"),
      botCpu("echo"),
      botCpu("nexus"),
      `${fmt(cpuRatio, 1)}×`,
      `${fmt(busy("floor"), 0)}%`,
      `${fmt(busy("nexus"), 0)}%`,
      harnessCpu("floor"),
      harnessCpu("echo"),
      harnessCpu("nexus"),
      ms((r) => r.nexus.burst.dispatchMs),
    ]);
    const ratioMet = ratio >= TARGET_RATIO;
    const deadlineMet = within === BURST && failed === 0;
    targets.push({
      name: `${c.label}: throughput ≥ ${TARGET_RATIO}× the floor (1,000 at once)`,
      met: ratioMet,
      detail: `${fmt(ratio, 2)}× (median of ${ROUNDS} rounds); bot CPU per interaction ${fmt(cpuRatio, 1)}× the floor's`,
    });
    targets.push({
      name: `${c.label}: all ${BURST.toLocaleString("en-US")} answered within 3 s`,
      met: deadlineMet,
      detail: `${within} / ${BURST} in time in the worst burst (median p99 ${ms((r) => r.nexus.burst.p99)} ms)${
        failed > BURST - within ? `; ${failed} late or wrong answers` : ""
      }`,
    });
    if (!ratioMet) {
      const cpuBound = busy("nexus") >= 90;
      // Not CPU-bound: the bot waited, and on two cores the local server (this process) is what shares them.
      const server = (side: Side) =>
        fmt(
          m((r) => r[side].burst.serverCpuMs),
          2,
        );
      const waited =
        `: it is not CPU-bound (it waited), and the local server spent ${server("nexus")} ms of CPU per ` +
        `interaction in Nexus's bursts against ${server("floor")} in the floor's and ${server("echo")} in the ` +
        "echo floor's (the harness columns), on the same two cores";
      notes.push(
        `- **${c.label}** at ${fmt(ratio, 2)}× the floor: Nexus's process was ${fmt(busy("nexus"), 0)}% busy and used ` +
          `${fmt(cpuRatio, 1)}× the floor's CPU per interaction (${fmt(
            m((r) => r.nexus.burst.botCpuMs),
            2,
          )} ms against ` +
          `${fmt(
            m((r) => r.floor.burst.botCpuMs),
            2,
          )} ms)${cpuBound ? ": it is CPU-bound" : waited}. ${answerShare(runs, echoRatio, cpuBound)} ${CAUSES[c.label] ?? ""}`,
      );
    }
    if (!deadlineMet) {
      notes.push(
        `- **${c.label}** within 3 s: in the worst burst ${BURST - within} of ${BURST.toLocaleString("en-US")} answers came after the deadline ` +
          `(its round's throughput was ${fmt(worstRound?.nexus.burst.throughput ?? Number.NaN, 0)}/s, so the last of ` +
          `${BURST.toLocaleString("en-US")} queued interactions waited about ` +
          `${fmt(BURST / (worstRound?.nexus.burst.throughput ?? Number.NaN), 1)} s; the median round managed ` +
          `${ms((r) => r.nexus.burst.throughput)}/s).`,
      );
    }
  });

  const fewerWarmUps = ALL_CASES.filter((c) => warmUpBursts(c) < STEADY_BURSTS)
    .map((c) => `\`${c.label}\` ${warmUpBursts(c)} times`)
    .join(", ");
  const body = [
    "The **floor** is a minimal discord.js bot (`Guilds` intent, default caches) that answers every slash",
    'command with `reply("ok")` at once (ephemeral where Nexus answers ephemerally, so the server does the',
    "same work for both). **Nexus** is the real bot (every command and event module, its SQLite store with",
    "its settings, logs at `info` to stdout, sent to /dev/null). The **echo floor** is the floor's bot answering",
    "with Nexus's own answers to the command (those of Nexus's last warm-up burst, in turn: the same embeds,",
    "visibility and allowed mentions), so it shows what an answer the size of Nexus's costs with no logic behind",
    "it. Each runs in its own process against its own local Discord server on 127.0.0.1; the servers run in the",
    "bench process. The bots run with the node",
    `flags of \`npm start\` (\`${startFlags().join(" ") || "none"}\`). Latency is measured by the`,
    `server, from the dispatch of INTERACTION_CREATE to the arrival of the interaction callback. ${ROUNDS} rounds,`,
    `each with a fresh copy of a seeded database (one guild: ${JOURNAL_ENTRIES.toLocaleString("en-US")} journal entries, ${QUESTIONS} open`,
    "questions); in each round and for each command the bots run back to back on the same",
    "interactions (same members, same options). Measured in the steady state a bot reaches after running a",
    `while: before any measurement each bot runs every command ${STEADY_BURSTS} times ${WARMUP} at once${fewerWarmUps ? ` (${fewerWarmUps})` : ""}, unmeasured (V8 compiles`,
    "hot code on background threads for thousands of calls; the warm-up table below shows the CPU per interaction",
    `of the first and last of those bursts; the \`/learn log\` warm-up adds ${(STEADY_BURSTS * WARMUP).toLocaleString("en-US")} entries to the journal).`,
    `Each command is then measured after ${WARMUP} more of it at once, each burst right after an unmeasured burst`,
    `of ${BURST.toLocaleString("en-US")} \`/questions open\` (warm HTTP connections: discord.js opens one per concurrent request and`,
    "closes idle ones after a few seconds), and only once every server has been idle for 1 s (Nexus's work",
    "after a reply, such as opening a pair's thread, never overlaps a measurement).",
    `In each round each bot gets ${BURSTS} measured bursts of each command, alternating with the other bots', and a`,
    `round's throughput is their ${(BURSTS * BURST).toLocaleString("en-US")} interactions over their total time (a young-generation GC with 1,000`,
    "interactions in flight takes tens of ms, and whether one falls inside a single burst of a few hundred ms is",
    "luck). Who goes first rotates from round to round and alternates from burst to burst. Medians over rounds; the",
    `ratio is taken within each round, then the median (the ${ROUNDS} ratios in brackets).`,
    "",
    `Workload: \`/learn log\` by ${BURST.toLocaleString("en-US")} different members a burst (topic + text); \`/learn search\` cycling through`,
    `${QUERIES.length} queries; \`/questions open\` alternately unfiltered and by topic; \`/pair request\` by different members,`,
    "alternating backend/frontend, so every second request is matched at once and its private thread is",
    "opened after the reply (those REST calls are throttled to 50/s by discord.js and keep running meanwhile).",
    "The echo floor does none of that work: it only sends the answers. The targets compare Nexus with the floor.",
    "",
    `**${SEQUENTIAL} sequential** (floor and Nexus, one at a time; ms from dispatch to callback):`,
    "",
    table(["command", "floor p50", "floor p99", "Nexus p50", "Nexus p99", "Nexus late or wrong"], seqRows),
    "",
    `**${BURST.toLocaleString("en-US")} at once** (dispatched in one go; a burst lasts from the first dispatch to the last callback; throughput`,
    `= interactions ÷ the bursts' time; latencies in ms over all of a round's bursts, p99 the median round's, "within 3 s" the worst burst's):`,
    "",
    table(
      [
        "command",
        "floor /s",
        "Nexus /s",
        "Nexus ÷ floor",
        "echo floor /s",
        "Nexus ÷ echo floor",
        "floor p99",
        "Nexus p99",
        "Nexus within 3 s (worst burst)",
        "Nexus late or wrong (worst burst)",
      ],
      burstRows,
    ),
    "",
    "Where the time goes in the burst: CPU milliseconds per interaction of each bot process (in brackets the",
    "kernel's part: system calls, for Nexus's SQLite its WAL writes and fsyncs), how busy it was",
    "(CPU time ÷ burst time; 100% is one core, SQLite and GC threads can take it above), and the CPU per",
    "interaction of the bench process (the local Discord server building and dispatching the interactions,",
    "validating and storing the callbacks):",
    "",
    table(
      [
        "command",
        "floor bot CPU (sys)",
        "echo floor bot CPU (sys)",
        "Nexus bot CPU (sys)",
        "Nexus ÷ floor",
        "floor bot busy",
        "Nexus bot busy",
        "harness CPU (floor)",
        "harness CPU (echo floor)",
        "harness CPU (Nexus)",
        "dispatch loop ms",
      ],
      cpuRows,
    ),
    "",
    "Garbage collection in the measured bursts (each bot's `PerformanceObserver` for `gc`): collections per",
    "burst of 1,000, young-generation + the rest (mark-compact and its incremental steps), and the main",
    "thread's GC pauses in ms per interaction (medians over rounds of each round's mean per burst):",
    "",
    table(
      ["command", "floor GCs per burst", "Nexus GCs per burst", "floor GC pause", "Nexus GC pause"],
      gcRows,
    ),
    "",
    "Nexus's SQLite statements in the measured bursts, per 1,000 interactions (medians over rounds): read",
    "statements (reads asked for together share one) and commits (one fsynced transaction each; writes",
    "share them, and `/learn log` and `/pair request` run in per-guild batches, src/store/batcher.ts):",
    "",
    table(["command", "read statements", "commits"], sqliteRows),
    "",
    `Warm-up: CPU ms per interaction of each bot in the first and the last of its warm-up bursts of ${WARMUP}`,
    "(median over rounds; the /pair request bursts also carry the opening of earlier pairs' threads):",
    "",
    table(["command", "floor first → last", "Nexus first → last"], warmRows),
    "",
    "The harness shares this 2-core machine with the bots (and the machine with whatever else runs on it).",
    `The floor bot was at most ${fmt(floorBusiest, 0)}% busy: it spent the rest waiting, for the harness or for a core, so`,
    "the floor's throughput here is a lower bound for the real floor. A ratio that meets the target may",
    "therefore flatter Nexus; a ratio that misses it is a real miss. The CPU ratio is the bot-only comparison",
    "and is steadier than the throughputs from round to round.",
    ...(notes.length > 0
      ? [
          "",
          "**Why targets are missed**",
          "",
          ...notes,
          "",
          "To see where the time goes: `BENCH_PROFILE=/some/dir node dist/bench/run.js interactions` writes a CPU",
          "profile of each bot process for each burst, and one of the bench process (`harness-…`: the local servers)",
          "(open them in Chrome DevTools).",
        ]
      : []),
  ].join("\n");
  return { title: "Interactions", body, targets };
}

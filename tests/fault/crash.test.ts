// Fault suite, part 1: load and crash. The real bot process (`node dist/src/index.js`, SQLite file in a temp
// dir) gets 1,000 `/learn log` interactions at once, first to measure Discord's 3 s deadline, then again
// with a SIGKILL at a seeded moment while they are in flight (once a seeded number of them was answered), and is restarted on the same database: every
// entry whose interaction was acknowledged is there exactly once, none twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exclusive } from "../support/fault-cpu.js";
import {
  burstLearnLog,
  type Classified,
  classify,
  countOutcomes,
  learnLogSucceeded,
  type ProcessRig,
  processRig,
  readJournal,
  runToken,
  type Sent,
  until,
} from "../support/fault-load.js";
import { faultSeed, percentile, Rng, reportFigures } from "../support/fault-random.js";
import type { BotProcess } from "../support/process.js";

const SENT = 1_000;
const MEMBERS = 50;
const AFTER_RESTART = 25;

describe("fault suite: 1,000 /learn log on the real process, SIGKILL and restart", () => {
  const seed = faultSeed();
  const rng = new Rng(seed);
  /** The kill moment has its own stream, so it does not depend on which tests ran before. */
  const killRng = new Rng(seed + 1);
  let rig: ProcessRig;
  let bot: BotProcess;
  /** Every interaction acknowledged by any process, to be found exactly once at the end. */
  const acknowledged: Sent[] = [];

  beforeAll(async () => {
    rig = await processRig(MEMBERS);
    bot = await rig.start();
  }, 60_000);
  afterAll(async () => {
    await rig?.close();
  });

  const ackedIn = (sent: readonly Sent[], classified: readonly Classified[]) =>
    sent.filter((_, i) => classified[i]?.outcome === "acknowledged");
  const ackLatency = (classified: readonly Classified[]) =>
    classified.flatMap((c) => (c.outcome === "acknowledged" && c.callback ? [c.callback.afterMs] : []));

  it("GIVEN a warm bot WHEN 1,000 /learn log arrive at once THEN every one is answered with its entry (the share within Discord's 3 s is reported; npm run bench measures it)", async () => {
    const { value } = await exclusive(async () => {
      const tokens = Array.from({ length: SENT }, (_, i) => runToken(seed, i));
      const started = Date.now();
      const sent = burstLearnLog(rig.server, rng, tokens, rig.users);
      const dispatchMs = Date.now() - started;
      await until(() => sent.every((s) => s.handle.callbacks().length > 0), 15_000, 10);
      const arrivals = sent.map((s) => (s.handle.callbacks()[0]?.request.at ?? Date.now()) - started);
      return { sent, dispatchMs, firstMs: Math.min(...arrivals), spanMs: Math.max(...arrivals) };
    });
    const classified = value.sent.map((s) => classify(s.handle, learnLogSucceeded));
    acknowledged.push(...ackedIn(value.sent, classified));
    const counts = countOutcomes(classified);
    const latency = classified.flatMap((c) => (c.callback ? [c.callback.afterMs] : []));
    reportFigures("load", {
      seed,
      sent: SENT,
      members: MEMBERS,
      dispatch_ms: value.dispatchMs,
      first_answer_after_ms: value.firstMs,
      answered_all_after_ms: value.spanMs,
      acknowledged: counts.acknowledged,
      late: counts.late,
      refused: counts.refused,
      rejected: counts.rejected,
      unanswered: counts.unanswered,
      callback_ms_p50: percentile(latency, 50),
      callback_ms_p95: percentile(latency, 95),
      callback_ms_max: percentile(latency, 100),
    });
    // Answered late (after Discord's deadline) still counts as answered here: whether a 2-core machine
    // that is also running the test server and other test files keeps all 1,000 under 3 s is a timing
    // figure, measured by `npm run bench` and reported above, not asserted as a wall-clock time.
    expect(counts.unanswered + counts.rejected + counts.refused, "every interaction got its entry").toBe(0);
    expect(counts.acknowledged + counts.late).toBe(SENT);
  }, 60_000);

  it("GIVEN 1,000 /learn log in flight WHEN the process is SIGKILLed at a seeded moment and restarted on the same database THEN every acknowledged entry is stored exactly once and none twice", async () => {
    // The moment: as soon as a seeded number of the first 500 have been answered (5–100 %), so that some are
    // acknowledged and the rest still in flight whatever the speed of the machine.
    const killAtAnswers = killRng.int(SENT / 20, SENT / 2);
    const { value } = await exclusive(async () => {
      const tokens = Array.from({ length: SENT }, (_, i) => runToken(seed, SENT + i));
      const started = Date.now();
      // Two waves: the first half, then, once a seeded number of it has been answered, the second half
      // immediately followed by the SIGKILL. The bot answers fast enough that a single burst could be
      // fully answered before this process (which also runs the server) gets to send the signal.
      const sent = burstLearnLog(rig.server, rng, tokens.slice(0, SENT / 2), rig.users);
      const answered = () => sent.filter((s) => s.handle.callbacks().length > 0).length;
      await until(() => answered() >= killAtAnswers, 15_000, 1);
      sent.push(...burstLearnLog(rig.server, rng, tokens.slice(SENT / 2), rig.users));
      const answeredAtKill = answered();
      const killAfterMs = Date.now() - started;
      bot.child.kill("SIGKILL");
      const exit = await bot.exited;
      return { sent, answeredAtKill, killAfterMs, exit };
    });
    expect(value.exit.signal).toBe("SIGKILL");
    const classified = value.sent.map((s) => classify(s.handle, learnLogSucceeded));
    const counts = countOutcomes(classified);
    const crashAcked = ackedIn(value.sent, classified);
    acknowledged.push(...crashAcked);

    // Restart on the same database: it answers again, and new entries never overwrite old ones.
    bot = await rig.start({ warmUp: 0 });
    const laterTokens = Array.from({ length: AFTER_RESTART }, (_, i) => runToken(seed, 2 * SENT + i));
    const later = burstLearnLog(rig.server, rng, laterTokens, rig.users);
    await until(() => later.every((s) => s.handle.callbacks().length > 0), 10_000);
    const laterClassified = later.map((s) => classify(s.handle, learnLogSucceeded));
    const laterAcked = ackedIn(later, laterClassified);
    acknowledged.push(...laterAcked);
    bot.child.kill("SIGTERM");
    const stopped = await bot.exited;

    const journal = await readJournal(rig.databaseFile, rig.server.guildId);
    const lost = acknowledged.filter((s) => (journal.tokens.get(s.token) ?? 0) !== 1);
    const duplicated = [...journal.tokens.entries()].filter(([, n]) => n > 1).map(([token]) => token);
    const crashStoredUnacked = value.sent.filter(
      (s, i) => classified[i]?.outcome !== "acknowledged" && journal.tokens.has(s.token),
    ).length;
    const maxId = Math.max(0, ...journal.entries.map((e) => e.id));
    const latency = ackLatency(classified);
    const errorLogs = rig.errorLogs();

    reportFigures("crash", {
      seed,
      sent: SENT,
      kill_at_answers: killAtAnswers,
      kill_after_ms: value.killAfterMs,
      answered_at_kill: value.answeredAtKill,
      acknowledged: counts.acknowledged,
      late: counts.late,
      refused: counts.refused,
      unanswered: counts.unanswered,
      ack_ms_p50: percentile(latency, 50),
      ack_ms_max: percentile(latency, 100),
      stored_but_not_acknowledged: crashStoredUnacked,
      after_restart_sent: AFTER_RESTART,
      after_restart_acknowledged: laterAcked.length,
      acknowledged_checked_in_db: acknowledged.length,
      stored_entries: journal.entries.length,
      lost: lost.length,
      duplicated: duplicated.length,
      corrupt_records: journal.corrupt,
      error_logs: errorLogs.length,
    });

    // The kill must land while interactions are in flight, or this run proved nothing.
    expect(counts.acknowledged, "interactions acknowledged before the kill").toBeGreaterThan(0);
    expect(counts.unanswered + counts.late, "interactions still in flight at the kill").toBeGreaterThan(0);
    expect(lost.map((s) => `${s.token} ×${journal.tokens.get(s.token) ?? 0}`)).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(journal.corrupt).toBe(0);
    expect(laterAcked).toHaveLength(AFTER_RESTART);
    expect(journal.nextId, "the counter is past every stored entry").toBe(maxId + 1);
    expect(stopped.code).toBe(0);
    expect(
      errorLogs.map((line) => line.msg),
      "no error, unhandled rejection or uncaught exception",
    ).toEqual([]);
  }, 90_000);
});

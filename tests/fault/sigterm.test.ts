// Fault suite, part 2: graceful stop. SIGTERM reaches the real bot process during a sustained load of
// `/learn log` (up to 1,000 interactions): every interaction in flight is answered in time (its entry, or
// "Nexus is restarting" once the drain began), the process exits 0 within 8 s, and nothing acknowledged is
// missing from the database afterwards. (1,000 at once is part 1's load test: the burst alone decides
// whether the deadline holds.)
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
/** 40 interactions every 100 ms: 400 a second, about what this machine answers within the deadline. */
const WAVE = 40;
const WAVE_MS = 100;
const MEMBERS = 50;
const EXIT_WITHIN_MS = 8_000;
const RESTARTING = /Nexus is restarting/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("fault suite: SIGTERM under load on the real process", () => {
  // Its own stream of random numbers, so that this file's choices do not depend on the others'.
  const seed = faultSeed() + 2;
  const rng = new Rng(seed);
  let rig: ProcessRig;
  let bot: BotProcess;

  beforeAll(async () => {
    rig = await processRig(MEMBERS);
    bot = await rig.start();
  }, 60_000);
  afterAll(async () => {
    await rig?.close();
  });

  it("GIVEN a sustained load of /learn log WHEN SIGTERM arrives at a seeded moment THEN every interaction in flight is answered in time, the process exits 0 within 8 s and nothing acknowledged is lost", async () => {
    const termAfterMs = rng.int(500, 2_000);
    const { value } = await exclusive(async () => {
      const sent: Sent[] = [];
      let notSent = 0;
      let termAt = 0;
      let inFlightAtTerm = 0;
      let unansweredAtTerm = 0;
      const started = Date.now();
      // SIGTERM goes right after the first wave dispatched at or after the seeded moment, in the same turn,
      // so that wave is certainly in flight: the bot answers a wave well within WAVE_MS, so a timer alone
      // would often land in a quiet gap between waves and test nothing.
      const terminate = () => {
        inFlightAtTerm = sent.length;
        unansweredAtTerm = sent.filter((s) => s.handle.callbacks().length === 0).length;
        termAt = Date.now();
        bot.child.kill("SIGTERM");
      };
      // Waves of WAVE interactions every WAVE_MS until every one is sent or the bot is gone.
      for (let wave = 0; wave * WAVE < SENT; wave++) {
        const tokens = Array.from({ length: WAVE }, (_, i) => runToken(seed, wave * WAVE + i));
        if (bot.child.exitCode !== null || bot.child.signalCode !== null) {
          notSent += tokens.length;
          continue;
        }
        try {
          sent.push(...burstLearnLog(rig.server, rng, tokens, rig.users));
        } catch {
          notSent += tokens.length; // the gateway session is closed: Discord has nobody to deliver to
        }
        if (termAt === 0 && Date.now() - started >= termAfterMs) terminate();
        await sleep(WAVE_MS);
      }
      if (termAt === 0) terminate();
      const exit = await bot.exited;
      await until(() => sent.every((s) => s.handle.callbacks().every((c) => c.status !== 0)), 1_000);
      return { sent, notSent, inFlightAtTerm, unansweredAtTerm, exit, exitMs: exit.at - termAt };
    });
    const { sent, exit } = value;
    const before = sent.slice(0, value.inFlightAtTerm);
    const after = sent.slice(value.inFlightAtTerm);
    const classified = sent.map((s) => classify(s.handle, learnLogSucceeded));
    const beforeCounts = countOutcomes(classified.slice(0, before.length));
    const afterCounts = countOutcomes(classified.slice(before.length));
    const isRestarting = (c: Classified) =>
      c.outcome === "refused" && RESTARTING.test(String(c.callback?.data?.content ?? ""));
    const restarting = classified.filter(isRestarting).length;
    const acknowledged = sent.filter((_, i) => classified[i]?.outcome === "acknowledged");
    const journal = await readJournal(rig.databaseFile, rig.server.guildId);
    const lost = acknowledged.filter((s) => (journal.tokens.get(s.token) ?? 0) !== 1);
    const duplicated = [...journal.tokens.entries()].filter(([, n]) => n > 1).map(([token]) => token);
    const latency = classified.flatMap((c) => (c.callback ? [c.callback.afterMs] : []));
    const errorLogs = rig.errorLogs();
    const stillInFlight = bot.logs.find((line) => line.msg === "stopping with interactions still in flight");

    reportFigures("sigterm", {
      seed,
      load: `${WAVE} every ${WAVE_MS} ms`,
      term_after_ms: termAfterMs,
      sent: sent.length,
      sent_before_term: before.length,
      unanswered_at_term: value.unansweredAtTerm,
      sent_after_term: after.length,
      not_sent_bot_gone: value.notSent,
      exit_code: String(exit.code),
      exit_ms: value.exitMs,
      acknowledged: beforeCounts.acknowledged + afterCounts.acknowledged,
      answered_restarting: restarting,
      before_term_late: beforeCounts.late,
      before_term_unanswered: beforeCounts.unanswered,
      after_term_unanswered: afterCounts.unanswered,
      callback_ms_p50: percentile(latency, 50),
      callback_ms_max: percentile(latency, 100),
      stored_entries: journal.entries.length,
      lost: lost.length,
      duplicated: duplicated.length,
      logged_still_in_flight: stillInFlight === undefined ? "no" : String(stillInFlight.pending),
      error_logs: errorLogs.length,
    });

    expect(value.unansweredAtTerm, "interactions in flight at SIGTERM").toBeGreaterThan(0);
    expect(exit.code).toBe(0);
    expect(value.exitMs).toBeLessThan(EXIT_WITHIN_MS);
    expect(
      { unanswered: beforeCounts.unanswered, late: beforeCounts.late, rejected: beforeCounts.rejected },
      "every interaction sent before SIGTERM was answered in time",
    ).toEqual({ unanswered: 0, late: 0, rejected: 0 });
    expect(
      { late: afterCounts.late, rejected: afterCounts.rejected },
      "interactions delivered during the shutdown are answered in time",
    ).toEqual({ late: 0, rejected: 0 });
    expect(
      classified.filter((c) => c.outcome === "refused" && !isRestarting(c)).length,
      "the only refusal is 'Nexus is restarting'",
    ).toBe(0);
    expect(lost.map((s) => `${s.token} ×${journal.tokens.get(s.token) ?? 0}`)).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(journal.corrupt).toBe(0);
    expect(
      errorLogs.map((line) => line.msg),
      "no error, unhandled rejection or uncaught exception",
    ).toEqual([]);
  }, 90_000);
});

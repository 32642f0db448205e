// Fault suite, part 3: Discord errors. The local Discord answers a seeded share of every REST call (the
// interaction callbacks included) with 429 (`retry_after` + rate-limit headers) or 500, and in the middle of
// a mixed load it asks the bot to RECONNECT (op 7) and later drops the connection abruptly. The bot retries,
// resumes, answers every interaction within its deadline (deferred ones then edit their reply), loses and
// duplicates nothing, sends only valid bodies, pings nobody by accident, and leaves no unhandled rejection.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guildEntries } from "../../src/journal/snapshot.js";
import { readIndex } from "../../src/questions/catalog.js";
import { TOPICS } from "../../src/topics.js";
import {
  FIXTURE_IDS,
  type InteractInput,
  type InteractionHandle,
  isRecord,
  type RecordedRequest,
  type Reply,
} from "../support/discord-server.js";
import { type FaultBot, startFaultBot } from "../support/fault-bot.js";
import { auditRequests, describeRequests } from "../support/fault-checks.js";
import { exclusive } from "../support/fault-cpu.js";
import { addMembers, runToken, TOKEN_PATTERN } from "../support/fault-load.js";
import { faultSeed, percentile, Rng, reportFigures } from "../support/fault-random.js";

const NEXUS = FIXTURE_IDS.nexusChannelId;
const WAVES = 8;
const PER_WAVE = 30;
const WAVE_GAP_MS = 300;
/** Before wave 2: op 7 RECONNECT; before wave 4: a close frame 4000 (resumable); before wave 6: a TCP reset. */
const RECONNECT_BEFORE_WAVE = 2;
const CLOSE_BEFORE_WAVE = 4;
const DROP_BEFORE_WAVE = 6;
const DEADLINE_MS = 3_000;
const RETRY_AFTER_MS = 100;
const INTERNAL_ERROR = /Something went wrong/;

type Kind = "log" | "search" | "help" | "ask" | "answer" | "pair" | "export" | "open" | "today";
const MIX: Kind[] = [
  "log",
  "log",
  "log",
  "search",
  "help",
  "ask",
  "answer",
  "pair",
  "export",
  "open",
  "today",
];

type Sent = { kind: Kind; token: string; handle: InteractionHandle; wave: number };

describe("fault suite: Discord answers 429 and 500 and drops the gateway under load", () => {
  const seed = faultSeed() + 3;
  const rng = new Rng(seed);
  let t: FaultBot;
  let users: string[];
  const questions: number[] = [];

  beforeAll(async () => {
    t = await startFaultBot({ serverOptions: { seed } });
    users = addMembers(t.server, 80);
    // Three questions to answer during the load, asked before any fault is injected.
    for (const [i, user] of users.slice(0, 3).entries()) {
      const reply = await t.server
        .interact({ user, commandName: "ask", options: { title: `Seed question number ${i} for answers` } })
        .reply();
      const n = /\*\*Q(\d+)\*\*/.exec(reply.content)?.[1];
      if (n === undefined) throw new Error(`could not ask a seed question: ${reply.content}`);
      questions.push(Number(n));
    }
    await t.settled();
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  function input(kind: Kind, token: string, n: number): InteractInput {
    const user = users[3 + (n % (users.length - 3))] ?? "";
    switch (kind) {
      case "log":
        return {
          user,
          commandName: "learn",
          subcommand: "log",
          options: { topic: rng.pick(TOPICS), text: `Under Discord faults I learned ${token}` },
        };
      case "search":
        return { user, commandName: "learn", subcommand: "search", options: { query: "faults learned" } };
      case "help":
        return { user, commandName: "nexus", subcommand: "help" };
      case "ask":
        return { user, commandName: "ask", options: { title: `Why does ${token} fail under load?` } };
      case "answer":
        return {
          user,
          commandName: "answer",
          options: {
            question: { type: 4, value: rng.pick(questions) },
            text: `Try retrying with backoff (${token})`,
          },
        };
      case "pair":
        // Each pairing request from its own member, alternating tracks: every second one is matched and
        // its private thread opened after the reply.
        return {
          user: users[users.length - 1 - (n % 40)] ?? "",
          commandName: "pair",
          subcommand: "request",
          options: { role: n % 2 === 0 ? "backend" : "frontend", note: `pairing ${token}` },
        };
      case "export":
        return { user, commandName: "learn", subcommand: "export", options: { format: "json" } };
      case "open":
        return { user, commandName: "questions", subcommand: "open" };
      case "today":
        return { user, commandName: "challenge", subcommand: "today" };
    }
  }

  it("GIVEN 429s, 500s, a RECONNECT and a dropped connection during a mixed load THEN every interaction is answered in time, nothing is lost or doubled, and no request is invalid or pings", async () => {
    const identifiesBefore = t.server.identifies;
    const resumesBefore = t.server.resumes;
    const firstRequest = t.server.requests.length;
    const sent: Sent[] = [];
    let pairN = 0;
    const { value: load } = await exclusive(async () => {
      t.server.faults = { rate429: 0.12, rate500: 0.08, routes: /./, retryAfterMs: RETRY_AFTER_MS };
      // Each gateway event waits for the bot to have resumed from the one before: on a loaded machine a
      // close sent while the bot was still reconnecting would close nothing and test nothing.
      const resumed = async (count: number) => {
        const end = Date.now() + 10_000;
        while (t.server.resumes - resumesBefore < count && Date.now() < end) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      for (let wave = 0; wave < WAVES; wave++) {
        if (wave === RECONNECT_BEFORE_WAVE) t.server.requestReconnect();
        if (wave === CLOSE_BEFORE_WAVE) {
          await resumed(1);
          t.server.dropConnections(4000);
        }
        if (wave === DROP_BEFORE_WAVE) {
          await resumed(2);
          t.server.dropConnections();
        }
        for (let i = 0; i < PER_WAVE; i++) {
          const n = wave * PER_WAVE + i;
          const kind = MIX[n % MIX.length] ?? "help";
          const token = runToken(seed, n);
          const handle = t.server.interact(input(kind, token, kind === "pair" ? pairN++ : n));
          sent.push({ kind, token, handle, wave });
        }
        await new Promise((resolve) => setTimeout(resolve, WAVE_GAP_MS));
      }
      const replies = await Promise.allSettled(sent.map((s) => s.handle.reply({ timeoutMs: 15_000 })));
      await t.settled();
      t.server.faults = { rate429: 0, rate500: 0 };
      return { replies };
    });
    const replies = load.replies;
    const requests = t.server.requests.slice(firstRequest);

    // Every interaction: acknowledged in time, deferred ones edited, no internal error.
    const failed = replies.flatMap((r, i) =>
      r.status === "rejected" ? [`${sent[i]?.kind}: ${String(r.reason).slice(0, 200)}`] : [],
    );
    const answered: Array<{ sent: Sent; reply: Reply }> = replies.flatMap((r, i) => {
      const s = sent[i];
      return r.status === "fulfilled" && s ? [{ sent: s, reply: r.value }] : [];
    });
    const internal = answered.filter((a) => INTERNAL_ERROR.test(a.reply.content));
    const followups = await Promise.all(sent.map((s) => s.handle.followups({ timeoutMs: 100 })));
    const internalFollowups = followups.flat().filter((f) => INTERNAL_ERROR.test(f.content));
    const ackMs = sent.flatMap((s) => {
      const ok = s.handle.callbacks().find((c) => c.status === 204 || c.status === 200);
      return ok ? [ok.afterMs] : [];
    });
    const late = sent.filter((s) => s.handle.callbacks().some((c) => c.late));

    // Faults: what was injected, and whether each faulted request was retried until it went through.
    const faulted = requests.filter((r) => r.fault !== undefined);
    const sameRequest = (a: RecordedRequest, b: RecordedRequest) =>
      a.method === b.method && a.path === b.path && JSON.stringify(a.body) === JSON.stringify(b.body);
    const notRetried = faulted.filter(
      (f) => !requests.some((r) => r.seq > f.seq && r.status > 0 && r.status < 400 && sameRequest(r, f)),
    );
    // A 429 says `retry_after` (100 ms here): the same request must not come back sooner.
    const retryGapsAfter429 = faulted
      .filter((f) => f.fault === "429")
      .flatMap((f) => {
        const retry = requests.find((r) => r.seq > f.seq && sameRequest(r, f));
        return retry ? [retry.at - (f.at + f.durationMs)] : [];
      });
    const retriedTooSoon = retryGapsAfter429.filter((gap) => gap < RETRY_AFTER_MS - 10);
    const audit = auditRequests(requests);

    // Data: each acknowledged /learn log stored once; each /ask posted once; each /answer posted once.
    const tokensIn = (texts: string[]) => {
      const counts = new Map<string, number>();
      for (const text of texts)
        for (const m of text.matchAll(TOKEN_PATTERN)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
      return counts;
    };
    const entries = await guildEntries(t.store, t.server.guildId);
    const entryTokens = tokensIn(entries.map((e) => e.text));
    const channelMessages = [
      ...t.server.messagesIn(NEXUS),
      ...t.server.threadsIn(NEXUS).flatMap((thread) => t.server.messagesIn(String(thread.id))),
    ];
    const postedTokens = tokensIn(
      channelMessages.map((m) =>
        JSON.stringify([
          m.content,
          ...(Array.isArray(m.embeds) ? m.embeds.filter(isRecord).map((e) => [e.title, e.description]) : []),
        ]),
      ),
    );
    const index = await readIndex(t.store, t.server.guildId);
    const ok = (kind: Kind) =>
      answered.filter((a) => a.sent.kind === kind && !INTERNAL_ERROR.test(a.reply.content));
    const logMissing = ok("log").filter((a) => entryTokens.get(a.sent.token) !== 1);
    const askMissing = ok("ask").filter((a) => postedTokens.get(a.sent.token) !== 1);
    const answerMissing = ok("answer").filter((a) => postedTokens.get(a.sent.token) !== 1);
    const doubled = [...entryTokens, ...postedTokens].filter(([, n]) => n > 1).map(([token]) => token);

    reportFigures("discord-errors", {
      seed,
      sent: sent.length,
      answered: answered.length,
      not_answered: failed.length,
      late: late.length,
      internal_errors: internal.length + internalFollowups.length,
      ack_ms_p50: percentile(ackMs, 50),
      ack_ms_max: percentile(ackMs, 100),
      rest_requests: requests.length,
      injected_429: faulted.filter((r) => r.fault === "429").length,
      injected_500: faulted.filter((r) => r.fault !== "429").length,
      faulted_callbacks: faulted.filter((r) => r.interactionCallback).length,
      faulted_not_retried_to_success: notRetried.length,
      retry_after_429_ms_min: Math.min(...retryGapsAfter429),
      retried_before_retry_after: retriedTooSoon.length,
      bucket_429s: requests.filter((r) => r.rateLimited).length,
      identifies: t.server.identifies - identifiesBefore,
      resumes: t.server.resumes - resumesBefore,
      invalid_requests: audit.invalid.length,
      unintended_pings: audit.unintendedPings.length,
      intended_pings: audit.intendedPings,
      log_acknowledged: ok("log").length,
      log_lost: logMissing.length,
      ask_acknowledged: ok("ask").length,
      ask_not_posted_once: askMissing.length,
      answer_acknowledged: ok("answer").length,
      answer_not_posted_once: answerMissing.length,
      duplicated: doubled.length,
      questions_in_index: index.length,
      unhandled_rejections: t.unhandled.length,
      error_logs: t.errors().length,
    });

    expect(faulted.length, "faults were injected").toBeGreaterThan(20);
    expect(failed).toEqual([]);
    expect(late.map((s) => s.kind)).toEqual([]);
    expect(percentile(ackMs, 100)).toBeLessThan(DEADLINE_MS);
    expect(internal.map((a) => `${a.sent.kind}: ${a.reply.content}`)).toEqual([]);
    expect(internalFollowups.map((f) => f.content)).toEqual([]);
    expect(notRetried.map((r) => `${r.method} ${r.route} (${r.fault})`)).toEqual([]);
    expect(retriedTooSoon, "retries after a 429 wait for its retry_after").toEqual([]);
    expect(
      t.server.resumes - resumesBefore,
      "the bot resumed after RECONNECT, the close and the reset",
    ).toBeGreaterThanOrEqual(3);
    expect(t.server.identifies - identifiesBefore, "no new IDENTIFY: the sessions were resumed").toBe(0);
    expect(describeRequests(audit.invalid)).toEqual([]);
    expect(describeRequests(audit.unintendedPings)).toEqual([]);
    expect(audit.serverErrors).toEqual([]);
    expect(logMissing.map((a) => a.sent.token)).toEqual([]);
    expect(askMissing.map((a) => a.sent.token)).toEqual([]);
    expect(answerMissing.map((a) => a.sent.token)).toEqual([]);
    expect(doubled).toEqual([]);
    expect(t.unhandled.map(String)).toEqual([]);
    expect(t.errors().map((line) => line.msg)).toEqual([]);
  }, 120_000);
});

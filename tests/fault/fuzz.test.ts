// Fault suite, part 4: hostile input. Every option of every command the bot registered is fuzzed with
// generated values (see tests/support/fault-fuzz.ts), as ordinary members, a moderator and an admin; admin
// commands both ways. No interaction may crash the bot or go unanswered, every request the bot makes must be
// valid against Discord's OpenAPI document and limits, nothing may ping by accident, and the bot must still
// be healthy at the end.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeUser } from "../support/discord-fixtures.js";
import { FIXTURE_IDS, type InteractionHandle } from "../support/discord-server.js";
import { type FaultBot, startFaultBot } from "../support/fault-bot.js";
import { auditRequests, describeRequests } from "../support/fault-checks.js";
import { exclusive } from "../support/fault-cpu.js";
import { type FuzzCase, type FuzzWorld, generateCases, leavesOf } from "../support/fault-fuzz.js";
import { addMembers } from "../support/fault-load.js";
import { faultSeed, percentile, Rng, reportFigures } from "../support/fault-random.js";

const NEXUS = FIXTURE_IDS.nexusChannelId;
const GENERAL = FIXTURE_IDS.generalChannelId;
const INTERNAL_ERROR = /Something went wrong/;
const CONCURRENCY = 8;
const MIN_CASES = 1_000;

type Failure = { label: string; problem: string };

describe("fault suite: every command's options fuzzed with hostile values", () => {
  const seed = faultSeed() + 4;
  const rng = new Rng(seed);
  let t: FaultBot;
  let world: FuzzWorld;

  beforeAll(async () => {
    t = await startFaultBot();
    const { server } = t;
    const members = addMembers(server, 12, "fuzzer");
    const outsider = server.store.rememberUser(makeUser({ username: "outsider", globalName: "Not Here" }));
    const hidden = server.addChannel(server.guildId, { name: "hidden" });
    server.denyPermissions(hidden, { viewChannel: true });
    const readOnly = server.addChannel(server.guildId, { name: "read-only" });
    server.denyPermissions(readOnly, { sendMessages: true });

    // Some data for ids to point at: journal entries, questions and an answer.
    const entryIds: number[] = [];
    for (const [i, user] of members.slice(0, 4).entries()) {
      for (const n of [1, 2]) {
        const reply = await server
          .interact({
            user,
            commandName: "learn",
            subcommand: "log",
            options: { topic: "Docker", text: `Seed entry ${i}-${n} before fuzzing` },
          })
          .reply();
        const id = /#(\d+)/.exec(JSON.stringify(reply.embeds))?.[1];
        if (id !== undefined) entryIds.push(Number(id));
      }
    }
    const questionNumbers: number[] = [];
    for (const [i, user] of members.slice(4, 6).entries()) {
      const reply = await server
        .interact({ user, commandName: "ask", options: { title: `Seed question ${i} before the fuzzing` } })
        .reply();
      const n = /\*\*Q(\d+)\*\*/.exec(reply.content)?.[1];
      if (n !== undefined) questionNumbers.push(Number(n));
    }
    const first = questionNumbers[0] ?? 1;
    await server
      .interact({
        user: members[6] ?? "",
        commandName: "answer",
        options: { question: { type: 4, value: first }, text: "A seed answer" },
      })
      .reply();
    await t.settled();
    world = {
      guildId: server.guildId,
      members,
      moderatorId: FIXTURE_IDS.moderatorId,
      ownerId: FIXTURE_IDS.ownerId,
      botId: server.botUser.id,
      outsiderId: outsider.id,
      textChannels: [NEXUS, GENERAL, hidden, readOnly],
      mentionableRoleId: FIXTURE_IDS.learnerRoleId,
      entryIds,
      questionNumbers: [...questionNumbers, 999_999],
      answerIds: [`${first}-1`, "999-999"],
    };
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  it(`GIVEN at least ${MIN_CASES} generated option values across every command WHEN sent as members, a moderator and an admin THEN each is answered, no request is invalid or pings, and the bot stays healthy`, async () => {
    const leaves = leavesOf(t.server.commands());
    const cases = generateCases(leaves, world, rng);
    const firstRequest = t.server.requests.length;
    const failures: Failure[] = [];
    const latencies: number[] = [];
    let internalErrors = 0;
    let permissionRefusals = 0;

    const runCase = async (c: FuzzCase): Promise<void> => {
      let handle: InteractionHandle;
      try {
        handle = t.server.interact(c.input);
      } catch (error) {
        failures.push({
          label: c.label,
          problem: `the generator built an undeliverable case: ${String(error)}`,
        });
        return;
      }
      try {
        if (c.autocomplete) {
          await handle.autocompleteChoices({ timeoutMs: 30_000 });
        } else {
          const reply = await handle.reply({ timeoutMs: 30_000 });
          const followups = await handle.followups({ timeoutMs: 1 }).catch(() => []);
          for (const message of [reply, ...followups]) {
            if (INTERNAL_ERROR.test(message.content)) {
              internalErrors++;
              failures.push({ label: c.label, problem: `internal error: ${message.content}` });
            }
            if (message.wouldPing) failures.push({ label: c.label, problem: "the reply would ping" });
          }
          if (/You need the \*\*.+\*\* permission/.test(reply.content)) permissionRefusals++;
        }
        const ack = handle.callbacks().find((cb) => cb.status === 204 || cb.status === 200);
        if (ack) latencies.push(ack.afterMs);
      } catch (error) {
        failures.push({ label: c.label, problem: String(error).slice(0, 300) });
      }
    };

    const { value: elapsedMs } = await exclusive(async () => {
      const started = Date.now();
      let next = 0;
      const worker = async () => {
        while (next < cases.length) {
          const c = cases[next++];
          if (c) await runCase(c);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      // Post whatever hostile custom challenges were queued, so their text goes through the posting path too.
      for (let i = 0; i < 3; i++) {
        const reply = await t.server
          .interact({ admin: true, commandName: "challenge", subcommand: "skip" })
          .reply({ timeoutMs: 30_000 })
          .catch((error: unknown) => ({ content: String(error) }));
        if (INTERNAL_ERROR.test(reply.content))
          failures.push({ label: "/challenge skip", problem: reply.content });
      }
      await t.settled(30_000);
      return Date.now() - started;
    });

    const audit = auditRequests(t.server.requests.slice(firstRequest));
    const health = await t.server.interact({ commandName: "nexus", subcommand: "help" }).reply();
    const commandsCovered = new Set(cases.map((c) => c.leaf.command));
    const adminLeaves = leaves.filter((l) => l.admin);
    const refusedLogs = t.logs.filter((line) => line.msg === "refused").length;
    const count = (f: (c: FuzzCase) => boolean) => cases.filter(f).length;

    reportFigures("fuzz", {
      seed,
      commands: commandsCovered.size,
      leaves: leaves.length,
      admin_leaves: adminLeaves.map((l) => l.path).join(", "),
      fuzz_cases: cases.length,
      deliverable: count((c) => c.contract === "deliverable"),
      bypass: count((c) => c.contract === "bypass"),
      autocomplete: count((c) => c.autocomplete),
      as_admin: count((c) => c.invoker === "admin"),
      admin_commands_as_non_admin: count((c) => c.leaf.admin && c.invoker !== "admin"),
      elapsed_ms: elapsedMs,
      ack_ms_p50: percentile(latencies, 50),
      ack_ms_max: percentile(latencies, 100),
      refusals: refusedLogs,
      permission_refusals: permissionRefusals,
      internal_errors: internalErrors,
      failures: failures.length,
      rest_requests_checked: audit.requests,
      invalid_requests: audit.invalid.length,
      unintended_pings: audit.unintendedPings.length,
      intended_pings: audit.intendedPings,
      unhandled_rejections: t.unhandled.length,
      error_logs: t.errors().length,
    });

    expect(cases.length).toBeGreaterThanOrEqual(MIN_CASES);
    expect(commandsCovered.size).toBe(t.server.commands().length);
    expect(failures.slice(0, 20).map((f) => `${f.label}: ${f.problem}`)).toEqual([]);
    expect(describeRequests(audit.invalid)).toEqual([]);
    expect(describeRequests(audit.unintendedPings)).toEqual([]);
    expect(audit.serverErrors).toEqual([]);
    expect(t.unhandled.map(String)).toEqual([]);
    expect(t.errors().map((line) => `${line.msg}: ${JSON.stringify(line.err ?? "").slice(0, 300)}`)).toEqual(
      [],
    );
    expect(health.embeds.length, "/nexus help still answers").toBe(1);
    expect(t.bot.client.isReady()).toBe(true);
  }, 150_000);
});

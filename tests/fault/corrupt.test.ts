// Fault suite, part 6: corrupt data. A bot builds up real state in every feature (journal, Q&A, pairing,
// challenge, settings). Then, for one record of every kind in turn, the record is damaged on disk while the
// bot is stopped (a value that fails its schema, or bytes that are not JSON at all), the bot starts on that
// database, and every reading command runs: each still answers (no "Something went wrong"), every request
// stays valid, and the damaged record is reported (the store's `corrupt` event and a warning) and skipped.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomChallengeSchema, challengeKeys } from "../../src/challenge/records.js";
import {
  type Entry,
  EntrySchema,
  entryKey,
  journalMetaKey,
  memberJournalKey,
} from "../../src/journal/records.js";
import { silentLogger } from "../../src/log.js";
import { PairSchema, pairKey, pairStateKey } from "../../src/pairing/schema.js";
import { keys, QuestionSchema } from "../../src/questions/schema.js";
import { openStore } from "../../src/store/open.js";
import type { CorruptRecord, KeyvStore } from "../../src/store/store.js";
import { type DiscordServer, type InteractInput, startDiscordServer } from "../support/discord-server.js";
import { dumpStore, type FaultBot, startFaultBot } from "../support/fault-bot.js";
import { auditRequests, describeRequests } from "../support/fault-checks.js";
import { exclusive } from "../support/fault-cpu.js";
import { addMembers } from "../support/fault-load.js";
import { faultSeed, Rng, reportFigures } from "../support/fault-random.js";

const INTERNAL_ERROR = /Something went wrong/;
const WARNING = "skipping a stored record that fails its schema";
/** Record kinds the reading commands below must read, so their damage must be reported. */
const MUST_REPORT = [
  "guild:{id}:config",
  "guild:{id}:learn:entry:{n}",
  "guild:{id}:learn:meta",
  "guild:{id}:questions:q:{n}",
  "guild:{id}:pair:member:{id}",
];

/** Options of a valid `/challenge add`. */
function customChallenge(title: string): Record<string, string> {
  return {
    title,
    topic: "Django",
    difficulty: "easy",
    track: "backend",
    prompt: "Write a view that returns the ten newest entries.",
    hint1: "Order by the creation date.",
    answer: "Entry.objects.order_by('-created')[:10]",
  };
}

/** `guild:123…:learn:entry:7` → `guild:{id}:learn:entry:{n}` */
function kindOf(key: string): string {
  return key
    .split(":")
    .map((part) =>
      /^\d{15,}$/.test(part)
        ? "{id}"
        : /^\d+$/.test(part)
          ? "{n}"
          : /^\d{4}-\d{2}-\d{2}$/.test(part)
            ? "{date}"
            : part,
    )
    .join(":");
}

type Damage = "schema" | "undecodable";

async function withStore<T>(databaseUrl: string, fn: (store: KeyvStore) => Promise<T>): Promise<T> {
  const store = await openStore(databaseUrl, silentLogger());
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Damages one record on disk: a value no schema of ours accepts, or bytes that are not JSON. */
async function damage(store: KeyvStore, key: string, how: Damage): Promise<void> {
  if (how === "schema") {
    await store.keyv.set(key, "\u0000 corrupted: not what this record should be");
    return;
  }
  const adapter = store.keyv.store as { set(key: string, value: string): Promise<unknown> };
  await adapter.set(`${store.keyv.namespace ?? "nexus"}:${key}`, '{"value": {"truncated');
}

/** Puts the database back to `pristine`: every key as it was, every other key removed. */
async function restore(store: KeyvStore, pristine: Map<string, string>): Promise<void> {
  const now = await dumpStore(store).catch(() => new Map<string, string>());
  for (const key of now.keys()) if (!pristine.has(key)) await store.keyv.delete(key);
  for (const [key, json] of pristine) await store.keyv.set(key, JSON.parse(json) as unknown);
}

describe("fault suite: a record that fails its schema is reported and skipped; commands still answer", () => {
  const seed = faultSeed() + 6;
  const rng = new Rng(seed);
  let server: DiscordServer;
  let dir: string;
  let databaseUrl: string;
  let users: string[];
  let pristine: Map<string, string>;

  beforeAll(async () => {
    server = await startDiscordServer();
    dir = mkdtempSync(join(tmpdir(), "nexus-fault-corrupt-"));
    databaseUrl = `sqlite://${join(dir, "nexus.sqlite")}`;
    users = addMembers(server, 6, "keeper");
    const t = await startFaultBot({ server, databaseUrl });
    const run = async (input: InteractInput) => {
      const reply = await server.interact(input).reply({ timeoutMs: 20_000 });
      await t.settled();
      return reply;
    };
    const [a, b, c, d, e] = users;
    // Journal, with a personal time zone.
    await run({ user: a, commandName: "nexus", subcommand: "timezone", options: { name: "Europe/Paris" } });
    for (const user of [a, b, c]) {
      for (const n of [1, 2, 3]) {
        await run({
          user,
          commandName: "learn",
          subcommand: "log",
          options: { topic: "Django", text: `Entry ${n} about ORM queries and migrations` },
        });
      }
    }
    // Q&A with an accepted answer (reputation).
    await run({ user: d, commandName: "ask", options: { title: "How do I paginate a Django queryset?" } });
    await run({
      user: e,
      commandName: "answer",
      options: { question: { type: 4, value: 1 }, text: "Use Paginator from django.core." },
    });
    await run({ user: d, commandName: "accept", options: { answer: "1-1" } });
    // Pairing: a match and someone waiting.
    await run({ user: a, commandName: "pair", subcommand: "request", options: { role: "backend" } });
    await run({ user: b, commandName: "pair", subcommand: "request", options: { role: "frontend" } });
    await run({ user: c, commandName: "pair", subcommand: "request", options: { role: "backend" } });
    // Challenge: settings, a custom challenge, today's post and a submission.
    await run({
      admin: true,
      commandName: "challenge",
      subcommand: "settings",
      options: { hint_delay_hours: 4 },
    });
    await run({ admin: true, commandName: "challenge", subcommand: "post" });
    await run({
      user: a,
      commandName: "challenge",
      subcommand: "submit",
      options: { answer: "Use an index." },
    });
    await run({
      admin: true,
      commandName: "challenge",
      subcommand: "add",
      options: customChallenge("First custom challenge"),
    });
    await t.stop();
    pristine = await withStore(databaseUrl, dumpStore);
  }, 90_000);
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The reading commands (and autocompletes) of every feature, by members who have data. */
  function readingCommands(): Array<{ input: InteractInput; autocomplete?: boolean }> {
    const [a, b, , d, e] = users;
    return [
      { input: { user: a, commandName: "learn", subcommand: "list" } },
      { input: { user: a, commandName: "learn", subcommand: "list", options: { member: b ?? "" } } },
      {
        input: { user: a, commandName: "learn", subcommand: "search", options: { query: "ORM migrations" } },
      },
      { input: { user: a, commandName: "learn", subcommand: "streak" } },
      { input: { user: a, commandName: "learn", subcommand: "stats" } },
      { input: { user: a, commandName: "learn", subcommand: "export", options: { format: "json" } } },
      {
        input: { user: a, commandName: "learn", subcommand: "edit", options: { id: "" }, focused: "id" },
        autocomplete: true,
      },
      { input: { user: d, commandName: "questions", subcommand: "open" } },
      { input: { user: d, commandName: "questions", subcommand: "search", options: { query: "paginate" } } },
      { input: { user: d, commandName: "questions", subcommand: "mine" } },
      {
        input: { user: e, commandName: "answer", options: { question: "django" }, focused: "question" },
        autocomplete: true,
      },
      {
        input: { user: d, commandName: "accept", options: { answer: "" }, focused: "answer" },
        autocomplete: true,
      },
      { input: { user: d, commandName: "reputation", options: { member: e ?? "" } } },
      {
        input: { user: d, commandName: "leaderboard", subcommand: "reputation", options: { period: "all" } },
      },
      {
        input: { user: d, commandName: "leaderboard", subcommand: "challenges", options: { period: "all" } },
      },
      { input: { user: a, commandName: "pair", subcommand: "status" } },
      { input: { user: a, commandName: "pair", subcommand: "history" } },
      { input: { user: a, commandName: "challenge", subcommand: "today" } },
      { input: { user: a, commandName: "challenge", subcommand: "streak" } },
      { input: { user: a, commandName: "nexus", subcommand: "config" } },
      { input: { user: a, commandName: "nexus", subcommand: "help" } },
    ];
  }

  it("GIVEN one record of every kind damaged on disk in turn WHEN the bot starts on it and every reading command runs THEN each answers, and the damage is reported and skipped", async () => {
    const kinds = new Map<string, string[]>();
    for (const key of pristine.keys()) {
      if (key.startsWith("quarantine:")) continue;
      const kind = kindOf(key);
      kinds.set(kind, [...(kinds.get(kind) ?? []), key]);
    }
    const results: Array<{ kind: string; key: string; how: Damage; reported: boolean; problems: string[] }> =
      [];
    let interactions = 0;
    const { value: elapsedMs } = await exclusive(async () => {
      const started = Date.now();
      for (const [n, [kind, keys]] of [...kinds.entries()].sort().entries()) {
        const key = rng.pick(keys);
        const how: Damage = n % 2 === 0 ? "schema" : "undecodable";
        await withStore(databaseUrl, (store) => damage(store, key, how));
        const t = await startFaultBot({ server, databaseUrl });
        const reports: CorruptRecord[] = [];
        t.store.on("corrupt", (record) => reports.push(record));
        const firstRequest = server.requests.length;
        const problems: string[] = [];
        await Promise.all(
          readingCommands().map(async ({ input, autocomplete }) => {
            interactions++;
            const handle = server.interact(input);
            const label = `/${input.commandName} ${input.subcommand ?? ""}${autocomplete ? " (autocomplete)" : ""}`;
            try {
              if (autocomplete) await handle.autocompleteChoices({ timeoutMs: 20_000 });
              else {
                const reply = await handle.reply({ timeoutMs: 20_000 });
                if (INTERNAL_ERROR.test(reply.content)) problems.push(`${label}: ${reply.content}`);
              }
            } catch (error) {
              problems.push(`${label}: ${String(error).slice(0, 200)}`);
            }
          }),
        );
        await t.settled();
        const audit = auditRequests(server.requests.slice(firstRequest));
        problems.push(...describeRequests([...audit.invalid, ...audit.unintendedPings]));
        problems.push(...t.errors().map((line) => `error log: ${line.msg}`));
        // Reported = the store's warning (captured from the start; reads during start-up count too) and,
        // for reads after start-up, its `corrupt` event.
        const warned = t.logs.some((line) => line.msg === WARNING && line.key === key);
        const evented = reports.some((r) => r.key === key);
        if (evented && !warned) problems.push("a corrupt event without the warning");
        const reported = warned;
        await t.stop();
        await withStore(databaseUrl, (store) => restore(store, pristine));
        results.push({ kind, key, how, reported, problems });
      }
      return Date.now() - started;
    });

    const failing = results.filter((r) => r.problems.length > 0);
    const reported = results.filter((r) => r.reported);
    reportFigures("corrupt", {
      seed,
      record_kinds: results.length,
      damaged_records: results.length,
      schema_failures: results.filter((r) => r.how === "schema").length,
      undecodable: results.filter((r) => r.how === "undecodable").length,
      interactions,
      reported_and_skipped: reported.length,
      not_read_by_these_commands:
        results
          .filter((r) => !r.reported)
          .map((r) => r.kind)
          .join(" ") || "none",
      commands_failing: failing.length,
      elapsed_ms: elapsedMs,
    });
    expect(failing.map((r) => `${r.key} (${r.how}): ${r.problems.slice(0, 3).join(" | ")}`)).toEqual([]);
    const reportedKinds = new Set(reported.map((r) => r.kind));
    expect(MUST_REPORT.filter((kind) => !reportedKinds.has(kind))).toEqual([]);
  }, 150_000);

  /** Journal entries readable in the database, straight from the file (the bot stopped). */
  const readEntries = (guildId: string) =>
    withStore(databaseUrl, async (store) =>
      (
        await store.getMany(
          Array.from({ length: 40 }, (_, i) => entryKey(guildId, i + 1)),
          EntrySchema,
        )
      ).filter((entry): entry is Entry => entry !== undefined),
    );

  /** Damages `keys`, starts the bot, runs `fn`, then stops it and restores the pristine database. */
  async function withDamage<T>(
    damages: Array<[string, Damage]>,
    fn: (t: FaultBot) => Promise<T>,
  ): Promise<T> {
    await withStore(databaseUrl, async (store) => {
      for (const [key, how] of damages) await damage(store, key, how);
    });
    const t = await startFaultBot({ server, databaseUrl });
    try {
      return await fn(t);
    } finally {
      await t.stop();
      await withStore(databaseUrl, (store) => restore(store, pristine));
    }
  }

  const listedIds = (embeds: unknown) =>
    [...JSON.stringify(embeds).matchAll(/\*\*#(\d+)\*\*/g)].map((m) => Number(m[1]));

  it("GIVEN one journal entry fails its schema WHEN its author lists the journal THEN that entry is skipped, the others are shown, and the damage is reported", async () => {
    const guildId = server.guildId;
    const [a] = users;
    const own = (await readEntries(guildId)).filter((entry) => entry.authorId === a).map((entry) => entry.id);
    const victim = own[1] ?? 2;
    await withDamage([[entryKey(guildId, victim), "schema"]], async (t) => {
      const list = await server
        .interact({ user: a, commandName: "learn", subcommand: "list", options: { member: a ?? "" } })
        .reply();
      const warned = t.logs.filter((line) => line.msg === WARNING).map((line) => line.key);
      expect(listedIds(list.embeds).sort()).toEqual(own.filter((id) => id !== victim).sort());
      expect(warned).toContain(entryKey(guildId, victim));
    });
  }, 30_000);

  it("GIVEN the journal's counter record is unreadable WHEN a member lists or searches the journal THEN the intact entries are still shown (BUG if red: a damaged counter hides the whole journal until the next /learn log)", async () => {
    const guildId = server.guildId;
    const [a] = users;
    const own = (await readEntries(guildId)).filter((entry) => entry.authorId === a).map((entry) => entry.id);
    await withDamage([[journalMetaKey(guildId), "undecodable"]], async () => {
      const list = await server
        .interact({ user: a, commandName: "learn", subcommand: "list", options: { member: a ?? "" } })
        .reply();
      const search = await server
        .interact({
          user: a,
          commandName: "learn",
          subcommand: "search",
          options: { query: "ORM migrations" },
        })
        .reply();
      reportFigures("corrupt", {
        counter_damaged_list_shows: listedIds(list.embeds).length,
        counter_damaged_search_shows: listedIds(search.embeds).length,
        counter_damaged_entries_of_member: own.length,
      });
      expect(listedIds(list.embeds).sort()).toEqual([...own].sort());
      expect(listedIds(search.embeds).length).toBeGreaterThan(0);
    });
  }, 30_000);

  it("GIVEN the journal's counter and a member's index are damaged WHEN that member logs THEN the entry is saved under a fresh id and every intact entry is unchanged", async () => {
    const guildId = server.guildId;
    const [a] = users;
    const before = await readEntries(guildId);
    const reply = await withDamage(
      [
        [journalMetaKey(guildId), "undecodable"],
        [memberJournalKey(guildId, a ?? ""), "schema"],
      ],
      async (t) => {
        const logged = await server
          .interact({
            user: a,
            commandName: "learn",
            subcommand: "log",
            options: { topic: "Docker", text: "Logged after the damage was found" },
          })
          .reply();
        await t.settled();
        const after = (
          await t.store.getMany(
            Array.from({ length: 40 }, (_, i) => entryKey(guildId, i + 1)),
            EntrySchema,
          )
        ).filter((entry): entry is Entry => entry !== undefined);
        for (const entry of before) expect(after.find((e) => e.id === entry.id)).toEqual(entry);
        const added = after.filter((e) => !before.some((b) => b.id === e.id));
        expect(added.map((e) => e.text)).toEqual(["Logged after the damage was found"]);
        expect(added[0]?.id).toBeGreaterThan(Math.max(...before.map((e) => e.id)));
        return logged;
      },
    );
    expect(INTERNAL_ERROR.test(reply.content)).toBe(false);
    expect(reply.embeds).toHaveLength(1);
  }, 30_000);

  for (const [label, part] of [
    ["counter", "meta"],
    ["first index chunk", "index:0"],
  ] as const) {
    it(`GIVEN the Q&A ${label} fails its schema WHEN a member searches the questions THEN the intact question is still found (BUG if red: a damaged ${label} hides intact questions)`, async () => {
      const guildId = server.guildId;
      const [, , , d] = users;
      await withDamage([[`guild:${guildId}:questions:${part}`, "schema"]], async () => {
        const search = await server
          .interact({
            user: d,
            commandName: "questions",
            subcommand: "search",
            options: { query: "paginate" },
          })
          .reply();
        const found = JSON.stringify(search.embeds).includes("paginate a Django queryset");
        reportFigures("corrupt", { [`qa_${part.replace(":", "_")}_damaged_question_found`]: found });
        expect(found).toBe(true);
      });
    }, 30_000);
  }

  it("GIVEN the Q&A counter fails its schema WHEN a member asks THEN the new question gets a fresh number and Q1 is kept (BUG if red: the counter restarts and /ask overwrites Q1)", async () => {
    const guildId = server.guildId;
    const [, , , , , f] = users;
    const before = await withStore(databaseUrl, (store) =>
      store.get(keys.question(guildId, 1), QuestionSchema),
    );
    const { reply, after } = await withDamage([[keys.meta(guildId), "schema"]], async (t) => {
      const asked = await server
        .interact({ user: f, commandName: "ask", options: { title: "A new question after the damage" } })
        .reply();
      await t.settled();
      return { reply: asked, after: await t.store.get(keys.question(guildId, 1), QuestionSchema) };
    });
    reportFigures("corrupt", { qa_counter_damaged_ask_reply: reply.content.split("\n")[0] ?? "" });
    expect(before?.title).toBe("How do I paginate a Django queryset?");
    expect(after?.title, "Q1 is still the question that was asked first").toBe(before?.title);
    expect(reply.content).not.toMatch(/\*\*Q1\*\*/);
  }, 30_000);

  it("GIVEN the pairing state fails its schema WHEN two members are matched THEN the new pair gets a fresh id and pair #1 is kept (BUG if red: pair ids restart and overwrite pair #1)", async () => {
    const guildId = server.guildId;
    const [, , , , e, f] = users;
    const before = await withStore(databaseUrl, (store) => store.get(pairKey(guildId, 1), PairSchema));
    const after = await withDamage([[pairStateKey(guildId), "schema"]], async (t) => {
      await server
        .interact({ user: e, commandName: "pair", subcommand: "request", options: { role: "backend" } })
        .reply();
      await server
        .interact({ user: f, commandName: "pair", subcommand: "request", options: { role: "frontend" } })
        .reply();
      await t.settled();
      return t.store.get(pairKey(guildId, 1), PairSchema);
    });
    reportFigures("corrupt", {
      pair_state_damaged_pair1_kept: before !== undefined && JSON.stringify(after) === JSON.stringify(before),
    });
    expect(before).toBeDefined();
    expect(after, "pair #1 is still the first pair").toEqual(before);
  }, 30_000);

  it("GIVEN the challenge state fails its schema WHEN an admin queues a custom challenge THEN it gets a fresh number and custom challenge #1 is kept (BUG if red: the sequence restarts and overwrites #1)", async () => {
    const guildId = server.guildId;
    const before = await withStore(databaseUrl, (store) =>
      store.get(challengeKeys.custom(guildId, 1), CustomChallengeSchema),
    );
    const after = await withDamage([[challengeKeys.state(guildId), "schema"]], async (t) => {
      await server
        .interact({
          admin: true,
          commandName: "challenge",
          subcommand: "add",
          options: customChallenge("Second custom challenge"),
        })
        .reply();
      await t.settled();
      return t.store.get(challengeKeys.custom(guildId, 1), CustomChallengeSchema);
    });
    reportFigures("corrupt", { challenge_state_damaged_custom1_kept: after?.title === before?.title });
    expect(before?.title).toBe("First custom challenge");
    expect(after?.title, "custom challenge #1 is still the first one").toBe(before?.title);
  }, 30_000);
});

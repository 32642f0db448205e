// Load helpers of the fault suite: members to spread interactions over, a burst of `/learn log`
// interactions each carrying a unique token, the classification of what Discord saw for each one, and the
// read of the journal straight from the SQLite file after the process is gone.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Entry,
  EntrySchema,
  entryKey,
  JournalMetaSchema,
  journalMetaKey,
} from "../../src/journal/records.js";
import { silentLogger } from "../../src/log.js";
import { openStore } from "../../src/store/open.js";
import { TOPICS } from "../../src/topics.js";
import {
  type DiscordServer,
  type InteractionHandle,
  type RecordedCallback,
  startDiscordServer,
} from "./discord-server.js";
import type { Rng } from "./fault-random.js";
import { type BotProcess, spawnBot } from "./process.js";

/** Adds `count` ordinary members (no special permission) and returns their ids. */
export function addMembers(server: DiscordServer, count: number, prefix = "learner"): string[] {
  return Array.from(
    { length: count },
    (_, i) =>
      server.addMember(server.guildId, { username: `${prefix}${i}`, globalName: `Learner ${i}` }).user.id,
  );
}

/** A unique, searchable token: `fault-run-<seed>-<n>`. */
export const runToken = (seed: number, n: number): string => `fault-run-${seed}-${n}`;
export const TOKEN_PATTERN = /fault-run-\d+-\d+/g;

export type Sent = { token: string; user: string; handle: InteractionHandle; at: number };

/** Dispatches one `/learn log` per token, all at once, users round-robin, topics from the seed. */
export function burstLearnLog(
  server: DiscordServer,
  rng: Rng,
  tokens: readonly string[],
  users: readonly string[],
): Sent[] {
  return tokens.map((token, i) => {
    const user = users[i % users.length] ?? "";
    const handle = server.interact({
      user,
      commandName: "learn",
      subcommand: "log",
      options: { topic: rng.pick(TOPICS), text: `Fault suite entry ${token}: what I learned today` },
    });
    return { token, user, handle, at: Date.now() };
  });
}

export type Outcome =
  /** The callback was accepted in time and carried the command's success reply. */
  | "acknowledged"
  /** Accepted in time, but an error or refusal (e.g. "Nexus is restarting"). */
  | "refused"
  /** The bot answered after the 3 s deadline (Discord said 10062): not acknowledged. */
  | "late"
  /** Callback attempts that Discord rejected for another reason (invalid body…). */
  | "rejected"
  /** No callback at all. */
  | "unanswered";

export type Classified = { outcome: Outcome; callback: RecordedCallback | undefined };

const accepted = (c: RecordedCallback) => (c.status === 204 || c.status === 200) && !c.late;

/** What Discord saw for one interaction; `success` tells the command's success reply from its error path. */
export function classify(
  handle: InteractionHandle,
  success: (callback: RecordedCallback) => boolean,
): Classified {
  const callbacks = handle.callbacks();
  const ok = callbacks.find(accepted);
  if (ok) return { outcome: success(ok) ? "acknowledged" : "refused", callback: ok };
  if (callbacks.some((c) => c.late)) return { outcome: "late", callback: callbacks.find((c) => c.late) };
  if (callbacks.length > 0) return { outcome: "rejected", callback: callbacks[0] };
  return { outcome: "unanswered", callback: undefined };
}

/** `/learn log` answers success with the entry's embed (type 4, one embed); errors are plain content. */
export const learnLogSucceeded = (c: RecordedCallback): boolean =>
  c.type === 4 && Array.isArray(c.data?.embeds) && c.data.embeds.length > 0;

export function countOutcomes(classified: readonly Classified[]): Record<Outcome, number> {
  const counts: Record<Outcome, number> = {
    acknowledged: 0,
    refused: 0,
    late: 0,
    rejected: 0,
    unanswered: 0,
  };
  for (const c of classified) counts[c.outcome] += 1;
  return counts;
}

export type JournalRead = {
  entries: Entry[];
  /** Token → number of entries whose text carries it. */
  tokens: Map<string, number>;
  nextId: number | undefined;
  /** Records that failed their schema while reading. */
  corrupt: number;
};

/**
 * Opens the SQLite database the bot used (after the process is gone) and reads every journal entry of the
 * guild by probing ids (dense per guild) until a whole batch is empty: independent of the counter record,
 * so an entry is found even if the counter were wrong.
 */
export async function readJournal(databaseFile: string, guildId: string): Promise<JournalRead> {
  const store = await openStore(`sqlite://${databaseFile}`, silentLogger());
  try {
    const entries: Entry[] = [];
    const BATCH = 500;
    for (let first = 1; ; first += BATCH) {
      const ids = Array.from({ length: BATCH }, (_, i) => first + i);
      const found = await store.getMany(
        ids.map((id) => entryKey(guildId, id)),
        EntrySchema,
      );
      const present = found.filter((entry): entry is Entry => entry !== undefined);
      entries.push(...present);
      if (present.length === 0) break;
    }
    const tokens = new Map<string, number>();
    for (const entry of entries) {
      for (const match of entry.text.matchAll(TOKEN_PATTERN)) {
        tokens.set(match[0], (tokens.get(match[0]) ?? 0) + 1);
      }
    }
    const meta = await store.get(journalMetaKey(guildId), JournalMetaSchema);
    return { entries, tokens, nextId: meta?.nextId, corrupt: store.corruptCount };
  } finally {
    await store.close();
  }
}

/** Waits until `condition` holds, polling every `everyMs`; false on timeout. */
export async function until(condition: () => boolean, timeoutMs: number, everyMs = 2): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return true;
}

/** A local Discord, a temp SQLite file and the real bot process (`node dist/src/index.js`) on it. */
export type ProcessRig = {
  server: DiscordServer;
  databaseFile: string;
  users: string[];
  /** Starts a bot process on the rig's database and waits for "nexus ready" plus a short warm-up. */
  start(options?: { warmUp?: number }): Promise<BotProcess>;
  /** Log lines at error level or above (pino 50+: errors, unhandled rejections, uncaught exceptions) of every process. */
  errorLogs(): Array<Record<string, unknown>>;
  close(): Promise<void>;
};

export async function processRig(members: number): Promise<ProcessRig> {
  const server = await startDiscordServer();
  const dir = mkdtempSync(join(tmpdir(), "nexus-fault-"));
  const databaseFile = join(dir, "nexus.sqlite");
  const env = {
    DISCORD_TOKEN: server.token,
    DISCORD_API_URL: server.apiUrl,
    DATABASE_URL: `sqlite://${databaseFile}`,
    LOG_LEVEL: "info",
  };
  const users = addMembers(server, members);
  const running: BotProcess[] = [];
  let warmUps = 0;
  return {
    server,
    databaseFile,
    users,
    async start(options = {}) {
      const bot = spawnBot(env, dir);
      running.push(bot);
      await bot.waitForLog("nexus ready", 30_000);
      // A running bot is warm: a few entries first (answered before the caller's load begins).
      const count = options.warmUp ?? 50;
      const warm = Array.from({ length: count }, () =>
        server.interact({
          user: users[warmUps % users.length] ?? "",
          commandName: "learn",
          subcommand: "log",
          options: { topic: "Django", text: `Warm-up entry ${warmUps++} of the fault suite` },
        }),
      );
      await until(() => warm.every((handle) => handle.callbacks().length > 0), 15_000);
      return bot;
    },
    errorLogs: () =>
      running.flatMap((bot) => bot.logs.filter((line) => typeof line.level === "number" && line.level >= 50)),
    async close() {
      for (const bot of running) {
        if (bot.child.exitCode === null && bot.child.signalCode === null) bot.child.kill("SIGKILL");
      }
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

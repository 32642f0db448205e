// The in-process bot for the fault suite: `startTestBot` (tests/support/bot.ts) with a logger that keeps
// every line (so the suite can count "command failed" and friends) and a counter of the process's
// unhandled rejections while the bot runs.
import { Writable } from "node:stream";
import type { Bot } from "../../src/bot.js";
import { ManualClock } from "../../src/clock.js";
import { createLogger } from "../../src/log.js";
import type { KeyvStore } from "../../src/store/store.js";
import { startTestBot, TEST_NOW } from "./bot.js";
import type { DiscordServer, DiscordServerOptions } from "./discord-server.js";

export type LogLine = Record<string, unknown> & { level?: number; msg?: string };

export type FaultBot = {
  server: DiscordServer;
  bot: Bot;
  store: KeyvStore;
  clock: ManualClock;
  logs: LogLine[];
  /** Unhandled promise rejections seen in this process since the bot started. */
  unhandled: unknown[];
  /** Log lines at error level or above (pino: 50 error, 60 fatal). */
  errors(): LogLine[];
  /** Waits until no interaction is being handled (their REST work after the reply included). */
  settled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
};

export async function startFaultBot(
  options: {
    serverOptions?: DiscordServerOptions;
    /** Reuse a running server (to restart the bot against it); it is then left running by `stop`. */
    server?: DiscordServer;
    databaseUrl?: string;
    logLevel?: string;
  } = {},
): Promise<FaultBot> {
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      for (const line of String(chunk).split("\n")) {
        if (line.trim() === "") continue;
        try {
          logs.push(JSON.parse(line) as LogLine);
        } catch {
          logs.push({ msg: line });
        }
      }
      callback();
    },
  });
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => {
    unhandled.push(reason);
  };
  process.on("unhandledRejection", onUnhandled);
  const logger = createLogger(options.logLevel ?? "info", sink);
  const clock = new ManualClock(TEST_NOW);
  const t = await startTestBot({
    ...(options.server ? { server: options.server } : {}),
    ...(options.serverOptions ? { serverOptions: options.serverOptions } : {}),
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    clock,
    logger,
    config: { logLevel: "info" },
  });
  const { server, bot, store } = t;
  return {
    server,
    bot,
    store,
    clock,
    logs,
    unhandled,
    errors: () => logs.filter((line) => (line.level ?? 0) >= 50),
    async settled(timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      while (bot.ctx.inflight.size > 0) {
        if (Date.now() > end) throw new Error(`${bot.ctx.inflight.size} interactions still in flight`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async stop() {
      await t.stop();
      process.off("unhandledRejection", onUnhandled);
    },
  };
}

/** Every record in the store (key → JSON of its value), for before/after comparisons. */
export async function dumpStore(store: KeyvStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const iterate = store.keyv.iterator;
  if (iterate === undefined) throw new Error("dumpStore: this store cannot be iterated");
  for await (const row of iterate.call(store.keyv, undefined) as AsyncIterable<unknown>) {
    if (Array.isArray(row)) out.set(String(row[0]), JSON.stringify(row[1]));
  }
  return out;
}

/** Keys added, removed or changed between two dumps. */
export function diffDumps(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed: string[] = [];
  for (const [key, value] of after)
    if (before.get(key) !== value) changed.push(before.has(key) ? `~${key}` : `+${key}`);
  for (const key of before.keys()) if (!after.has(key)) changed.push(`-${key}`);
  return changed.sort();
}

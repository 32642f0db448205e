import Keyv, { type KeyvStoreAdapter } from "keyv";
import { z } from "zod";
import type { Logger } from "../log.js";
import { deserialize, serialize } from "./codec.js";
import { DurableSqliteAdapter } from "./sqlite.js";
import { type AtomicCommit, type AtomicCreate, KeyvStore } from "./store.js";

const NAMESPACE = "nexus";

async function adapterFor(url: string): Promise<KeyvStoreAdapter | Map<string, unknown>> {
  const scheme = url.slice(0, url.indexOf(":"));
  switch (scheme) {
    case "memory":
      return new Map();
    case "sqlite": {
      const adapter = new DurableSqliteAdapter(url);
      // A file that is not a database, or cannot be opened, stops start-up here: not a bot that logs in and
      // then fails every command.
      try {
        await adapter.opened();
      } catch (error) {
        await adapter.disconnect().catch(() => undefined);
        throw error;
      }
      return adapter as unknown as KeyvStoreAdapter;
    }
    case "redis":
    case "rediss": {
      const { default: KeyvRedis } = await importAdapter<{
        default: new (url: string, options: { throwOnErrors: boolean }) => RedisAdapter;
      }>("@keyv/redis");
      // Its own default answers a failed read with "absent" and a refused write with nothing (the error only
      // emitted): an update would then overwrite a record it could not read, and acknowledge a lost write.
      return withRedisAtomics(new KeyvRedis(url, { throwOnErrors: true }));
    }
    case "postgres":
    case "postgresql": {
      const { default: KeyvPostgres } = await importAdapter<{
        default: new (opts: { uri: string }) => PostgresAdapter;
      }>("@keyv/postgres");
      return withPostgresAtomics(new KeyvPostgres({ uri: url }));
    }
    default:
      throw new Error(`unsupported DATABASE_URL scheme "${scheme}"`);
  }
}

/**
 * The parts of @keyv/redis and @keyv/postgres used to give them `setIfAbsent` and `commitMany`
 * (src/store/store.ts AtomicCreate, AtomicCommit): a claim (the day's challenge post, a delivery) is then
 * atomic across processes on every backend, as on SQLite, not only under this process's lock; and a
 * locked section's writes land in one transaction, as on SQLite (a pair, both members' histories and the
 * pool: all of them or none, and no reader in another process sees some without the others).
 */
type RedisMulti = {
  set(key: string, value: string): RedisMulti;
  del(key: string): RedisMulti;
  exec(): Promise<unknown>;
};
type RedisAdapter = KeyvStoreAdapter & {
  getClient(): Promise<{
    set(key: string, value: string, options: { NX: true }): Promise<unknown>;
    multi(): RedisMulti;
  }>;
  createKeyPrefix(key: string, namespace?: string): string;
};
type PostgresAdapter = KeyvStoreAdapter & {
  opts: { schema: string; table: string };
  query(sql: string, values: unknown[]): Promise<unknown[]>;
};

/**
 * SET … NX on the key the adapter's own `set` writes; MULTI … EXEC of SETs and DELs of those keys (the
 * commands are sent together and run as one, nothing between them; SET and DEL cannot fail one by one).
 */
function withRedisAtomics(adapter: RedisAdapter): RedisAdapter & AtomicCreate & AtomicCommit {
  return Object.assign(adapter, {
    async setIfAbsent(key: string, value: string): Promise<boolean> {
      const client = await adapter.getClient();
      const reply = await client.set(adapter.createKeyPrefix(key, adapter.namespace), value, { NX: true });
      return reply === "OK";
    },
    async commitMany(writes: ReadonlyArray<readonly [string, string | null]>): Promise<void> {
      const multi = (await adapter.getClient()).multi();
      for (const [key, text] of writes) {
        const stored = adapter.createKeyPrefix(key, adapter.namespace);
        if (text === null) multi.del(stored);
        else multi.set(stored, text);
      }
      await multi.exec();
    },
  });
}

/**
 * INSERT … ON CONFLICT DO NOTHING into the adapter's table: a row comes back only if this call made it.
 * A section's writes and deletes are one statement (a DELETE in a WITH and an upsert of the rest), which
 * PostgreSQL runs as one transaction.
 */
function withPostgresAtomics(adapter: PostgresAdapter): PostgresAdapter & AtomicCreate & AtomicCommit {
  const table = `${adapter.opts.schema}.${adapter.opts.table}`;
  return Object.assign(adapter, {
    async setIfAbsent(key: string, value: string): Promise<boolean> {
      const rows = await adapter.query(
        `INSERT INTO ${table} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key`,
        [key, value],
      );
      return rows.length === 1;
    },
    async commitMany(writes: ReadonlyArray<readonly [string, string | null]>): Promise<void> {
      const keys: string[] = [];
      const texts: string[] = [];
      const deletes: string[] = [];
      for (const [key, text] of writes) {
        if (text === null) deletes.push(key);
        else {
          keys.push(key);
          texts.push(text);
        }
      }
      await adapter.query(
        `WITH deleted AS (DELETE FROM ${table} WHERE key = ANY($3::text[]))
         INSERT INTO ${table} (key, value) SELECT * FROM UNNEST($1::text[], $2::text[])
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [keys, texts, deletes],
      );
    },
  });
}

async function importAdapter<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch {
    throw new Error(`DATABASE_URL needs the package ${name}: run \`npm install ${name}\``);
  }
}

/** How long start-up waits for a Redis or PostgreSQL server to answer its first read. */
const REACH_TIMEOUT_MS = 5_000;

/**
 * Opens the store named by a DATABASE_URL (sqlite://path, memory://, redis://…, postgres://…). A server
 * that does not answer one read within a few seconds fails it, so start-up stops with the reason instead of
 * a bot that logs in and then hangs or fails every command (SQLite is checked by opening the file).
 */
export async function openStore(url: string, logger: Logger): Promise<KeyvStore> {
  const store = storeOver(await adapterFor(url), logger);
  if (!/^(redis|rediss|postgres|postgresql):/.test(url)) return store;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      store.get("app:reachable", z.unknown()),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${REACH_TIMEOUT_MS / 1000} s`)),
          REACH_TIMEOUT_MS,
        );
      }),
    ]);
    return store;
  } catch (error) {
    // Closing a client that never connected can wait for ever too.
    await Promise.race([
      store.close().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 500)),
    ]);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** An in-memory store for unit tests and benchmarks. */
export function memoryStore(logger: Logger): KeyvStore {
  return storeOver(new Map(), logger);
}

function storeOver(adapter: KeyvStoreAdapter | Map<string, unknown>, logger: Logger): KeyvStore {
  // throwOnErrors: keyv otherwise answers a failed read with "absent" and a failed write with `false`,
  // and an update would then overwrite a record it could not read, or acknowledge a write never made.
  const keyv = new Keyv({
    store: adapter,
    namespace: NAMESPACE,
    serialize,
    deserialize,
    throwOnErrors: true,
  });
  keyv.on("error", (error: unknown) => logger.error({ err: error }, "store error"));
  return new KeyvStore(keyv, logger);
}

import Keyv, { type KeyvStoreAdapter } from "keyv";
import type { Logger } from "../log.js";
import { deserialize, serialize } from "./codec.js";
import { DurableSqliteAdapter } from "./sqlite.js";
import { type AtomicCreate, KeyvStore } from "./store.js";

const NAMESPACE = "nexus";

async function adapterFor(url: string): Promise<KeyvStoreAdapter | Map<string, unknown>> {
  const scheme = url.slice(0, url.indexOf(":"));
  switch (scheme) {
    case "memory":
      return new Map();
    case "sqlite":
      return new DurableSqliteAdapter(url) as unknown as KeyvStoreAdapter;
    case "redis":
    case "rediss": {
      const { default: KeyvRedis } = await importAdapter<{ default: new (url: string) => RedisAdapter }>(
        "@keyv/redis",
      );
      return withRedisCreate(new KeyvRedis(url));
    }
    case "postgres":
    case "postgresql": {
      const { default: KeyvPostgres } = await importAdapter<{
        default: new (opts: { uri: string }) => PostgresAdapter;
      }>("@keyv/postgres");
      return withPostgresCreate(new KeyvPostgres({ uri: url }));
    }
    default:
      throw new Error(`unsupported DATABASE_URL scheme "${scheme}"`);
  }
}

/**
 * The parts of @keyv/redis and @keyv/postgres used to give them `setIfAbsent` (src/store/store.ts
 * AtomicCreate): a claim (the day's challenge post, a delivery) is then atomic across processes on every
 * backend, as on SQLite, not only under this process's lock.
 */
type RedisAdapter = KeyvStoreAdapter & {
  getClient(): Promise<{ set(key: string, value: string, options: { NX: true }): Promise<unknown> }>;
  createKeyPrefix(key: string, namespace?: string): string;
};
type PostgresAdapter = KeyvStoreAdapter & {
  opts: { schema: string; table: string };
  query(sql: string, values: unknown[]): Promise<unknown[]>;
};

/** SET … NX on the key the adapter's own `set` writes. */
function withRedisCreate(adapter: RedisAdapter): RedisAdapter & AtomicCreate {
  return Object.assign(adapter, {
    async setIfAbsent(key: string, value: string): Promise<boolean> {
      const client = await adapter.getClient();
      const reply = await client.set(adapter.createKeyPrefix(key, adapter.namespace), value, { NX: true });
      return reply === "OK";
    },
  });
}

/** INSERT … ON CONFLICT DO NOTHING into the adapter's table: a row comes back only if this call made it. */
function withPostgresCreate(adapter: PostgresAdapter): PostgresAdapter & AtomicCreate {
  return Object.assign(adapter, {
    async setIfAbsent(key: string, value: string): Promise<boolean> {
      const rows = await adapter.query(
        `INSERT INTO ${adapter.opts.schema}.${adapter.opts.table} (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO NOTHING RETURNING key`,
        [key, value],
      );
      return rows.length === 1;
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

/** Opens the store named by a DATABASE_URL (sqlite://path, memory://, redis://…, postgres://…). */
export async function openStore(url: string, logger: Logger): Promise<KeyvStore> {
  return storeOver(await adapterFor(url), logger);
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

import Keyv, { type KeyvStoreAdapter } from "keyv";
import type { Logger } from "../log.js";
import { deserialize, serialize } from "./codec.js";
import { DurableSqliteAdapter } from "./sqlite.js";
import { KeyvStore } from "./store.js";

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
      const { default: KeyvRedis } = await importAdapter<{ default: new (url: string) => KeyvStoreAdapter }>(
        "@keyv/redis",
      );
      return new KeyvRedis(url);
    }
    case "postgres":
    case "postgresql": {
      const { default: KeyvPostgres } = await importAdapter<{
        default: new (opts: { uri: string }) => KeyvStoreAdapter;
      }>("@keyv/postgres");
      return new KeyvPostgres({ uri: url });
    }
    default:
      throw new Error(`unsupported DATABASE_URL scheme "${scheme}"`);
  }
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

import { AsyncLocalStorage } from "node:async_hooks";
import { EventEmitter } from "node:events";
import type Keyv from "keyv";
import type { z } from "zod";
import type { Logger } from "../log.js";
import { scopeOf } from "./keys.js";
import { KeyedLock } from "./lock.js";

/** A backend that can create a key only if it is absent, atomically across processes. */
export interface AtomicCreate {
  setIfAbsent(key: string, value: string): Promise<boolean>;
}

function hasAtomicCreate(store: unknown): store is AtomicCreate {
  return typeof (store as Partial<AtomicCreate> | null)?.setIfAbsent === "function";
}

/** A backend that queues writes synchronously (visible to reads at once) and reports durability later. */
export interface QueuedWrites {
  queue(key: string, value: string | null): Promise<void>;
}

function hasQueuedWrites(store: unknown): store is QueuedWrites {
  return typeof (store as Partial<QueuedWrites> | null)?.queue === "function";
}

export type CorruptRecord = { key: string; problem: string };

/**
 * The bot's only door to keyv. Every read is parsed with the record's zod schema (a record that fails is
 * reported through the logger and the `corrupt` event and skipped, never thrown at a command), every
 * write is validated first, and read-modify-write goes through `update`/`locked`, which serialise per guild.
 */
export class Store extends EventEmitter<{ corrupt: [CorruptRecord] }> {
  readonly lock = new KeyedLock();
  corruptCount = 0;
  /** Durability promises of the writes made inside the current locked section. */
  private readonly section = new AsyncLocalStorage<Promise<void>[]>();

  constructor(
    readonly keyv: Keyv,
    private readonly logger: Logger,
  ) {
    super();
  }

  /** Reads and validates one record; undefined when absent or corrupt. */
  async get<S extends z.ZodType>(key: string, schema: S): Promise<z.output<S> | undefined> {
    const raw = await this.readRaw(key);
    if (raw.state !== "ok") return undefined;
    return this.parse(key, schema, raw.value);
  }

  /** Reads many records of one kind in one round trip; absent or corrupt ones are undefined. */
  async getMany<S extends z.ZodType>(keys: string[], schema: S): Promise<Array<z.output<S> | undefined>> {
    if (keys.length === 0) return [];
    let values: unknown[];
    try {
      values = (await this.keyv.getMany(keys)) as unknown[];
    } catch {
      // One undecodable row fails the whole batch: fall back to one read each so it is skipped alone.
      return Promise.all(keys.map((key) => this.get(key, schema)));
    }
    return keys.map((key, i) => (values[i] === undefined ? undefined : this.parse(key, schema, values[i])));
  }

  /** Validates and writes; resolves once the write is durable. */
  async set<S extends z.ZodType>(key: string, schema: S, value: z.input<S>): Promise<z.output<S>> {
    const parsed = schema.parse(value) as z.output<S>;
    await this.write(key, parsed);
    return parsed;
  }

  async delete(key: string): Promise<boolean> {
    const section = this.section.getStore();
    const backend: unknown = this.keyv.store;
    if (section !== undefined && hasQueuedWrites(backend)) {
      const existed = (await this.readRaw(key)).state !== "absent";
      section.push(quiet(backend.queue(this.prefixed(key), null)));
      return existed;
    }
    return this.keyv.delete(key);
  }

  /**
   * Runs `fn` while holding the lock of `scope` (a guild id or any key); re-entrant. Resolves once every
   * write made inside is durable. On a backend that queues writes (SQLite here), the lock is released as
   * soon as `fn` has queued them, and the wait for the disk happens outside it: later holders already
   * read the queued values, and concurrent sections share one commit instead of each waiting for its own.
   */
  async locked<R>(scope: string, fn: () => Promise<R> | R): Promise<R> {
    const key = scope.startsWith("guild:") || scope === "global" ? scope : `guild:${scope}`;
    if (this.section.getStore() !== undefined) return this.lock.run(key, fn);
    const commits: Promise<void>[] = [];
    const result = await this.lock.run(key, () => this.section.run(commits, fn));
    await Promise.all(commits);
    return result;
  }

  /**
   * Read-modify-write of one record under its guild's lock. `fn` gets the current value (undefined if
   * absent or corrupt; a corrupt one is first copied aside under `quarantine:…` so nothing is lost) and
   * returns the next value, or undefined to delete it. Resolves with the stored value once durable.
   */
  update<S extends z.ZodType>(
    key: string,
    schema: S,
    fn: (current: z.output<S> | undefined) => z.input<S> | undefined | Promise<z.input<S> | undefined>,
  ): Promise<z.output<S> | undefined> {
    return this.locked(scopeOf(key), async () => {
      const current = await this.readForUpdate(key, schema);
      const next = await fn(current);
      if (next === undefined) {
        if (current !== undefined) await this.delete(key);
        return undefined;
      }
      return this.set(key, schema, next);
    });
  }

  /**
   * Creates `key` with `value` only if it does not exist yet. Atomic across processes on backends that
   * support it (SQLite here); otherwise atomic within this process under the key's lock.
   * Returns true when this call created the record.
   */
  async claim<S extends z.ZodType>(key: string, schema: S, value: z.input<S>): Promise<boolean> {
    const parsed = schema.parse(value) as z.output<S>;
    const backend: unknown = this.keyv.store;
    if (hasAtomicCreate(backend)) {
      const serialized = await this.serialize(parsed);
      if (serialized !== undefined) return backend.setIfAbsent(this.prefixed(key), serialized);
    }
    return this.locked(scopeOf(key), async () => {
      if ((await this.readRaw(key)).state !== "absent") return false;
      await this.write(key, parsed);
      return true;
    });
  }

  /** Inside a locked section on a queuing backend: queue now, durability awaited by the section. */
  private async write(key: string, value: unknown): Promise<void> {
    const section = this.section.getStore();
    const backend: unknown = this.keyv.store;
    if (section !== undefined && hasQueuedWrites(backend)) {
      const serialized = await this.serialize(value);
      if (serialized !== undefined) {
        section.push(quiet(backend.queue(this.prefixed(key), serialized)));
        return;
      }
    }
    await this.keyv.set(key, value);
  }

  private async serialize(value: unknown): Promise<string | undefined> {
    const serialized = await this.keyv.serialize?.({ value, expires: undefined });
    return typeof serialized === "string" ? serialized : undefined;
  }

  private prefixed(key: string): string {
    return this.keyv.namespace ? `${this.keyv.namespace}:${key}` : key;
  }

  async close(): Promise<void> {
    await this.keyv.disconnect();
  }

  private async readForUpdate<S extends z.ZodType>(key: string, schema: S): Promise<z.output<S> | undefined> {
    const raw = await this.readRaw(key);
    if (raw.state === "absent") return undefined;
    const parsed = raw.state === "ok" ? this.parse(key, schema, raw.value) : undefined;
    if (parsed === undefined) {
      const aside = `quarantine:${key}:${Date.now()}`;
      await this.write(aside, raw.state === "ok" ? raw.value : null);
      this.logger.warn({ key, aside }, "corrupt record moved aside before update");
    }
    return parsed;
  }

  private async readRaw(
    key: string,
  ): Promise<{ state: "ok"; value: unknown } | { state: "absent" | "undecodable" }> {
    try {
      const value: unknown = await this.keyv.get(key);
      return value === undefined ? { state: "absent" } : { state: "ok", value };
    } catch (error) {
      this.report(key, `cannot be decoded: ${error instanceof Error ? error.message : String(error)}`);
      return { state: "undecodable" };
    }
  }

  private parse<S extends z.ZodType>(key: string, schema: S, value: unknown): z.output<S> | undefined {
    const result = schema.safeParse(value);
    if (result.success) return result.data as z.output<S>;
    this.report(
      key,
      result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; "),
    );
    return undefined;
  }

  private report(key: string, problem: string): void {
    this.corruptCount += 1;
    this.logger.warn({ key, problem }, "skipping a stored record that fails its schema");
    this.emit("corrupt", { key, problem });
  }
}

/** A durability promise awaited later: mark it handled now so a failure is not reported as unhandled. */
function quiet(commit: Promise<void>): Promise<void> {
  commit.catch(() => undefined);
  return commit;
}

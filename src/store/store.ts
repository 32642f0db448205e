import { EventEmitter } from "node:events";
import type Keyv from "keyv";
import type { z } from "zod";
import type { Logger } from "../log.js";
import { UndecodableError } from "./codec.js";
import { scopeOf } from "./keys.js";
import { KeyedLock } from "./lock.js";

/** A backend that can create a key only if it is absent, atomically across processes. */
export interface AtomicCreate {
  setIfAbsent(key: string, value: string): Promise<boolean>;
}

function hasAtomicCreate(store: unknown): store is AtomicCreate {
  return typeof (store as Partial<AtomicCreate> | null)?.setIfAbsent === "function";
}

/**
 * A backend that makes several writes (text) and deletes (null) all or nothing, in one transaction: no
 * reader sees some of them without the others, and a failure makes none of them.
 */
export interface AtomicCommit {
  commitMany(writes: ReadonlyArray<readonly [key: string, text: string | null]>): Promise<void>;
}

function hasAtomicCommit(store: unknown): store is AtomicCommit {
  return typeof (store as Partial<AtomicCommit> | null)?.commitMany === "function";
}

/** A backend that queues writes synchronously (visible to reads at once) and reports durability later. */
export interface QueuedWrites {
  queue(key: string, value: string | null): Promise<void>;
  /** Commits that failed so far, and the error of the last one (their writes were visible until then). */
  readonly failedCommits?: number;
  readonly lastCommitError?: unknown;
}

function hasQueuedWrites(store: unknown): store is QueuedWrites {
  return typeof (store as Partial<QueuedWrites> | null)?.queue === "function";
}

export type CorruptRecord = { key: string; problem: string };

/** What `getManyOrDamaged` answers for a record that is there but fails its schema or cannot be decoded. */
export const DAMAGED: unique symbol = Symbol("damaged record");

type Update<S extends z.ZodType> = (
  current: z.output<S> | undefined,
) => z.input<S> | undefined | Promise<z.input<S> | undefined>;

/**
 * What domain code reads and writes through: the store itself, or a locked section of it. Every read is
 * parsed with the record's zod schema (a record that fails is reported and skipped, never thrown at a
 * command), every write is validated first, and read-modify-write goes through `update`/`locked`, which
 * serialise per guild.
 *
 * keyv has no transactions, so `locked(scope, (store) => …)` hands its callback a section: the same
 * interface, which knows the locks it holds. Inside, use that handle (name it `store`, shadowing the
 * outer one): its `update`/`locked` on a scope already held run at once instead of waiting for the lock
 * they are inside of. A section is all or nothing: its writes are held (its own reads see them) until
 * its callback returns, then written together (one transaction on SQLite, Redis and PostgreSQL), and a
 * callback that throws writes nothing. The outermost section resolves once every write made inside is
 * durable.
 * `claim` is the exception: it creates its record at once, as the arbiter between processes.
 */
export interface Store {
  /** The store this handle belongs to: one per database and process (the key of in-process caches). */
  readonly root: KeyvStore;
  /** Reads and validates one record; undefined when absent or corrupt. */
  get<S extends z.ZodType>(key: string, schema: S): Promise<z.output<S> | undefined>;
  /** Reads many records of one kind in one round trip; absent or corrupt ones are undefined. */
  getMany<S extends z.ZodType>(keys: string[], schema: S): Promise<Array<z.output<S> | undefined>>;
  /**
   * `getMany` telling a corrupt record (failing its schema, or undecodable: reported all the same) from an
   * absent one: DAMAGED instead of undefined. For callers that rebuild a corrupt record, and so write it
   * through `update` (which copies it aside first) rather than over it.
   */
  getManyOrDamaged<S extends z.ZodType>(
    keys: string[],
    schema: S,
  ): Promise<Array<z.output<S> | typeof DAMAGED | undefined>>;
  /** Validates and writes; resolves once the write is durable (in a section: once it is held for the section). */
  set<S extends z.ZodType>(key: string, schema: S, value: z.input<S>): Promise<z.output<S>>;
  /** Deletes a record; true when it existed. */
  delete(key: string): Promise<boolean>;
  /**
   * Runs `fn` while holding the lock of `scope` (a guild id or any key), handing it a section of this
   * store. Resolves once every write made inside is durable; if `fn` throws, none of them is made. A
   * scope taken inside a section stays held until the outermost section ends (its writes land then).
   */
  locked<R>(scope: string, fn: (store: Store) => Promise<R> | R): Promise<R>;
  /**
   * Read-modify-write of one record under its guild's lock. `fn` gets the current value (undefined if
   * absent or corrupt; a corrupt one is first copied aside under `quarantine:…` so nothing is lost) and
   * returns the next value, or undefined to delete it. Resolves with the stored value once durable.
   */
  update<S extends z.ZodType>(key: string, schema: S, fn: Update<S>): Promise<z.output<S> | undefined>;
  /**
   * Creates `key` with `value` only if it does not exist yet. Atomic across processes on backends that
   * support it (SQLite, Redis and PostgreSQL here: src/store/open.ts), and then made at once even inside
   * a section (it is the arbiter between processes; a section that throws later does not undo it);
   * otherwise atomic within this process under the key's lock. A key the section itself wrote is
   * decided by that write. Returns true when this call created the record.
   */
  claim<S extends z.ZodType>(key: string, schema: S, value: z.input<S>): Promise<boolean>;
}

/** A write held by a section until it ends: the value, and its stored text (null: a delete). */
type Pending = { value: unknown; text: string | null | undefined };

/**
 * An outermost locked section and every section inside it: the lock keys held (with their releases,
 * for scopes taken inside), the writes held until it ends, and their durability once queued.
 */
type Held = {
  keys: Set<string>;
  releases: Array<() => void>;
  writes: Map<string, Pending>;
  commits: Promise<void>[];
  /** The queuing backend's failed commits when the section began (see `flush`). */
  failedCommits: number | undefined;
};

function lockKey(scope: string): string {
  return scope.startsWith("guild:") || scope === "global" ? scope : `guild:${scope}`;
}

/**
 * The bot's only door to keyv (the root handle; sections are made by `locked`). On a backend that
 * queues writes (SQLite here), a section's writes are queued together when its callback returns (later
 * readers see them at once) and the lock is released right after; the wait for the disk happens outside
 * it, and concurrent sections share one commit instead of each waiting for its own.
 */
/**
 * `corrupt`: a record failed its schema or could not be decoded (it was skipped).
 * `writeFailed`: a write was not stored (its caller got the error); in-process caches drop what they hold.
 */
type StoreEvents = { corrupt: [CorruptRecord]; writeFailed: [unknown] };

/** How long a section may wait for a lock before the wait is logged (src/store/lock.ts says why). */
export const SLOW_LOCK_MS = 5_000;

export class KeyvStore extends EventEmitter<StoreEvents> implements Store {
  readonly lock: KeyedLock;
  corruptCount = 0;

  constructor(
    readonly keyv: Keyv,
    private readonly logger: Logger,
    options: { slowLockMs?: number } = {},
  ) {
    super();
    const afterMs = options.slowLockMs ?? SLOW_LOCK_MS;
    this.lock = new KeyedLock({
      afterMs,
      report: (key, waitedMs) =>
        this.logger.warn(
          { lock: key, waitedMs },
          "a section has waited for this lock for seconds: is the store answering?",
        ),
    });
  }

  get root(): KeyvStore {
    return this;
  }

  async get<S extends z.ZodType>(key: string, schema: S): Promise<z.output<S> | undefined> {
    // readRaw's work inlined: the hottest path of every command (no state object, one async frame).
    let value: unknown;
    try {
      value = await this.keyv.get(key);
    } catch (error) {
      this.reportUndecodable(key, error);
      return undefined;
    }
    return value === undefined ? undefined : this.parse(key, schema, value);
  }

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

  async getManyOrDamaged<S extends z.ZodType>(
    keys: string[],
    schema: S,
  ): Promise<Array<z.output<S> | typeof DAMAGED | undefined>> {
    if (keys.length === 0) return [];
    const parsed = (key: string, value: unknown) =>
      value === undefined ? undefined : (this.parse(key, schema, value) ?? DAMAGED);
    const one = async (key: string) => {
      const raw = await this.readRaw(key);
      return raw.state === "undecodable" ? DAMAGED : parsed(key, raw.state === "ok" ? raw.value : undefined);
    };
    // Over a backend without getMany (the in-memory one), keyv reads each key and answers a row it cannot
    // decode as absent: read one by one here instead.
    if (typeof (this.keyv.store as { getMany?: unknown }).getMany !== "function") {
      return Promise.all(keys.map(one));
    }
    let values: unknown[];
    try {
      values = (await this.keyv.getMany(keys)) as unknown[];
    } catch {
      // One undecodable row fails the whole batch: one read each, so that row alone is DAMAGED.
      return Promise.all(keys.map(one));
    }
    return keys.map((key, i) => parsed(key, values[i]));
  }

  set<S extends z.ZodType>(key: string, schema: S, value: z.input<S>): Promise<z.output<S>> {
    return this.setIn(undefined, key, schema, value);
  }

  delete(key: string): Promise<boolean> {
    return this.deleteIn(undefined, key);
  }

  locked<R>(scope: string, fn: (store: Store) => Promise<R> | R): Promise<R> {
    return this.lockedIn(undefined, scope, fn);
  }

  update<S extends z.ZodType>(key: string, schema: S, fn: Update<S>): Promise<z.output<S> | undefined> {
    return this.updateIn(undefined, key, schema, fn);
  }

  claim<S extends z.ZodType>(key: string, schema: S, value: z.input<S>): Promise<boolean> {
    return this.claimIn(undefined, key, schema, value);
  }

  async close(): Promise<void> {
    await this.keyv.disconnect();
  }

  // ── the operations, with the section they run in (undefined: none) ────────────────────────────────
  // Sections call these; they are not part of the Store interface.

  /** @internal */
  async lockedIn<R>(
    held: Held | undefined,
    scope: string,
    fn: (section: Section) => Promise<R> | R,
  ): Promise<R> {
    const key = lockKey(scope);
    if (held !== undefined) {
      if (!held.keys.has(key)) {
        // Two-phase: a lock taken inside is kept until the outermost section has written, so nobody
        // reads this scope before the writes made under it land.
        held.releases.push(await this.lock.acquire(key));
        held.keys.add(key);
      }
      return fn(new Section(this, held));
    }
    const section: Held = {
      keys: new Set([key]),
      releases: [await this.lock.acquire(key)],
      writes: new Map(),
      commits: [],
      failedCommits: this.failedCommits(),
    };
    let result: R;
    try {
      try {
        result = await fn(new Section(this, section));
      } catch (error) {
        this.discard(section, error);
        throw error;
      }
      await this.flush(section);
    } finally {
      for (const release of section.releases) release();
    }
    await Promise.all(section.commits);
    return result;
  }

  /** @internal A read inside a section: its own writes first. */
  async getIn<S extends z.ZodType>(held: Held, key: string, schema: S): Promise<z.output<S> | undefined> {
    if (!held.writes.has(key)) return this.get(key, schema);
    const value = await this.heldValue(held, key);
    return value === undefined ? undefined : this.parse(key, schema, value);
  }

  /** @internal */
  async getManyIn<S extends z.ZodType>(
    held: Held,
    keys: string[],
    schema: S,
  ): Promise<Array<z.output<S> | undefined>> {
    if (held.writes.size === 0) return this.getMany(keys, schema);
    const stored = keys.filter((key) => !held.writes.has(key));
    if (stored.length === keys.length) return this.getMany(keys, schema);
    const values = await this.getMany(stored, schema);
    let next = 0;
    return Promise.all(
      keys.map((key) => (held.writes.has(key) ? this.getIn(held, key, schema) : values[next++])),
    );
  }

  /** @internal */
  async getManyOrDamagedIn<S extends z.ZodType>(
    held: Held,
    keys: string[],
    schema: S,
  ): Promise<Array<z.output<S> | typeof DAMAGED | undefined>> {
    const stored = keys.filter((key) => !held.writes.has(key));
    const values = await this.getManyOrDamaged(stored, schema);
    if (stored.length === keys.length) return values;
    let next = 0;
    return Promise.all(
      keys.map(async (key) => {
        if (!held.writes.has(key)) return values[next++];
        const value = await this.heldValue(held, key);
        return value === undefined ? undefined : (this.parse(key, schema, value) ?? DAMAGED);
      }),
    );
  }

  /** @internal */
  async setIn<S extends z.ZodType>(
    held: Held | undefined,
    key: string,
    schema: S,
    value: z.input<S>,
  ): Promise<z.output<S>> {
    const parsed = schema.parse(value) as z.output<S>;
    await this.write(held, key, parsed);
    return parsed;
  }

  /** @internal */
  async deleteIn(held: Held | undefined, key: string): Promise<boolean> {
    if (held !== undefined) {
      const existed = (await this.readRaw(key, held)).state !== "absent";
      held.writes.set(key, { value: undefined, text: null });
      return existed;
    }
    let existed = false;
    await this.watched(
      this.keyv.delete(key).then((result) => {
        existed = result;
      }),
    );
    return existed;
  }

  /** @internal */
  updateIn<S extends z.ZodType>(
    held: Held | undefined,
    key: string,
    schema: S,
    fn: Update<S>,
  ): Promise<z.output<S> | undefined> {
    return this.lockedIn(held, scopeOf(key), async (section) => {
      const current = await this.readForUpdate(section.held, key, schema);
      const next = await fn(current);
      if (next === undefined) {
        if (current !== undefined) await section.delete(key);
        return undefined;
      }
      return section.set(key, schema, next);
    });
  }

  /** @internal */
  async claimIn<S extends z.ZodType>(
    held: Held | undefined,
    key: string,
    schema: S,
    value: z.input<S>,
  ): Promise<boolean> {
    const parsed = schema.parse(value) as z.output<S>;
    const pending = held?.writes.get(key);
    if (held !== undefined && pending !== undefined) {
      // This section wrote the key: it exists (a claim fails) or the section deleted it (and now recreates it).
      if (pending.text !== null) return false;
      await this.write(held, key, parsed);
      return true;
    }
    const backend: unknown = this.keyv.store;
    if (hasAtomicCreate(backend)) {
      const serialized = await this.serialize(parsed);
      if (serialized !== undefined) return backend.setIfAbsent(this.prefixed(key), serialized);
    }
    return this.lockedIn(held, scopeOf(key), async (section) => {
      if ((await this.readRaw(key, section.held)).state !== "absent") return false;
      await this.write(section.held, key, parsed);
      return true;
    });
  }

  /** Inside a section: held until it ends (serialised now, so a value that cannot be stored fails here). */
  private async write(held: Held | undefined, key: string, value: unknown): Promise<void> {
    if (held !== undefined) {
      held.writes.set(key, { value, text: await this.serialize(value) });
      return;
    }
    await this.writeNow(key, value);
  }

  private writeNow(key: string, value: unknown): Promise<void> {
    return this.watched(
      this.keyv.set(key, value).then((stored) => {
        if (!stored) throw new Error(`the store did not keep ${key}`);
      }),
    );
  }

  /**
   * The end of an outermost section, still under its locks: a queuing backend gets every write in one
   * turn (one transaction; durability awaited after the locks are released); a backend with atomic
   * commits (Redis, PostgreSQL) makes them in one transaction, and any other backend one by one, both
   * before the locks are released, so the next holder reads them.
   */
  private async flush(held: Held): Promise<void> {
    if (held.writes.size === 0) return;
    const backend: unknown = this.keyv.store;
    const queue = hasQueuedWrites(backend) ? backend : undefined;
    if (queue !== undefined && queue.failedCommits !== held.failedCommits) {
      // A commit failed while this section ran. Its reads may have seen that commit's writes (reads see
      // queued writes: the previous section of the guild releases its lock before its commit), which are
      // lost: writing now would store what was built on them, acknowledged. It fails as they did.
      this.discard(held, queue.lastCommitError);
      throw queue.lastCommitError;
    }
    if (queue === undefined && hasAtomicCommit(backend)) {
      const writes: Array<[string, string | null]> = [];
      for (const [key, { text }] of held.writes)
        if (text !== undefined) writes.push([this.prefixed(key), text]);
      if (writes.length === held.writes.size) {
        await this.watched(backend.commitMany(writes));
        return;
      }
    }
    const now: Promise<void>[] = [];
    for (const [key, { value, text }] of held.writes) {
      if (queue !== undefined && text !== undefined) {
        held.commits.push(this.watched(queue.queue(this.prefixed(key), text)));
      } else if (text === null) {
        now.push(this.watched(this.keyv.delete(key)));
      } else {
        now.push(this.writeNow(key, value));
      }
    }
    await Promise.all(now);
  }

  /** The queuing backend's count of failed commits (undefined for any other backend). */
  private failedCommits(): number | undefined {
    const backend: unknown = this.keyv.store;
    return hasQueuedWrites(backend) ? backend.failedCommits : undefined;
  }

  /**
   * A section whose callback threw writes nothing. In-process caches may have been patched with what it
   * meant to write, so they are told a write failed (they drop what they hold).
   */
  private discard(held: Held, error: unknown): void {
    if (held.writes.size === 0) return;
    held.writes.clear();
    this.emit("writeFailed", error);
  }

  /**
   * A write's durability, awaited later or now: a failure is announced (`writeFailed`) and marked handled,
   * so it is not reported as unhandled before its awaiter gets it.
   */
  private watched(commit: Promise<unknown>): Promise<void> {
    const watched = commit.then(
      () => undefined,
      (error: unknown) => {
        this.emit("writeFailed", error);
        throw error;
      },
    );
    watched.catch(() => undefined);
    return watched;
  }

  private async serialize(value: unknown): Promise<string | undefined> {
    const serialized = await this.keyv.serialize?.({ value, expires: undefined });
    return typeof serialized === "string" ? serialized : undefined;
  }

  /** What a section's held write of `key` reads back as (undefined: deleted), decoded as a stored one. */
  private async heldValue(held: Held, key: string): Promise<unknown> {
    const pending = held.writes.get(key);
    if (pending === undefined || pending.text === null) return undefined;
    if (pending.text === undefined) return pending.value;
    const data = await this.keyv.deserialize?.(pending.text);
    return data?.value;
  }

  private prefixed(key: string): string {
    return this.keyv.namespace ? `${this.keyv.namespace}:${key}` : key;
  }

  private async readForUpdate<S extends z.ZodType>(
    held: Held,
    key: string,
    schema: S,
  ): Promise<z.output<S> | undefined> {
    const raw = await this.readRaw(key, held);
    if (raw.state === "absent") return undefined;
    const parsed = raw.state === "ok" ? this.parse(key, schema, raw.value) : undefined;
    if (parsed === undefined) {
      const aside = `quarantine:${key}:${Date.now()}`;
      await this.write(held, aside, raw.state === "ok" ? raw.value : await this.storedText(key));
      this.logger.warn({ key, aside }, "corrupt record moved aside before update");
    }
    return parsed;
  }

  /**
   * A record's stored text as the backend holds it, for one that cannot be decoded: what is quarantined,
   * so whoever repairs it by hand has it (null when even that cannot be read).
   */
  private async storedText(key: string): Promise<string | null> {
    try {
      const text: unknown = await (this.keyv.store as { get(key: string): Promise<unknown> }).get(
        this.prefixed(key),
      );
      return typeof text === "string" ? text : null;
    } catch {
      return null;
    }
  }

  private async readRaw(
    key: string,
    held?: Held,
  ): Promise<{ state: "ok"; value: unknown } | { state: "absent" | "undecodable" }> {
    try {
      const value: unknown = held?.writes.has(key)
        ? await this.heldValue(held, key)
        : await this.keyv.get(key);
      return value === undefined ? { state: "absent" } : { state: "ok", value };
    } catch (error) {
      this.reportUndecodable(key, error);
      return { state: "undecodable" };
    }
  }

  /**
   * A read failed: rethrows unless the value was damaged. Only a damaged value is a corrupt record (our
   * codec says so; keyv's default one throws a JSON SyntaxError), reported here; a failing backend fails
   * the read, and so any update, instead.
   */
  private reportUndecodable(key: string, error: unknown): void {
    if (!(error instanceof UndecodableError || error instanceof SyntaxError)) throw error;
    this.report(key, `cannot be decoded: ${error.message}`);
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

/** A locked section of a KeyvStore (made by `locked`): writes are held until it ends, reads see them. */
class Section implements Store {
  constructor(
    readonly root: KeyvStore,
    readonly held: Held,
  ) {}

  get<S extends z.ZodType>(key: string, schema: S): Promise<z.output<S> | undefined> {
    return this.root.getIn(this.held, key, schema);
  }

  getMany<S extends z.ZodType>(keys: string[], schema: S): Promise<Array<z.output<S> | undefined>> {
    return this.root.getManyIn(this.held, keys, schema);
  }

  getManyOrDamaged<S extends z.ZodType>(
    keys: string[],
    schema: S,
  ): Promise<Array<z.output<S> | typeof DAMAGED | undefined>> {
    return this.root.getManyOrDamagedIn(this.held, keys, schema);
  }

  set<S extends z.ZodType>(key: string, schema: S, value: z.input<S>): Promise<z.output<S>> {
    return this.root.setIn(this.held, key, schema, value);
  }

  delete(key: string): Promise<boolean> {
    return this.root.deleteIn(this.held, key);
  }

  locked<R>(scope: string, fn: (store: Store) => Promise<R> | R): Promise<R> {
    return this.root.lockedIn(this.held, scope, fn);
  }

  update<S extends z.ZodType>(key: string, schema: S, fn: Update<S>): Promise<z.output<S> | undefined> {
    return this.root.updateIn(this.held, key, schema, fn);
  }

  claim<S extends z.ZodType>(key: string, schema: S, value: z.input<S>): Promise<boolean> {
    return this.root.claimIn(this.held, key, schema, value);
  }
}

import { EventEmitter } from "node:events";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import KeyvSqlite from "@keyv/sqlite";
import sqlite3 from "sqlite3";

type Waiter = { resolve: () => void; reject: (error: unknown) => void };
type ReadWaiter = { resolve: (value: string | undefined) => void; reject: (error: unknown) => void };
type Row = { key: string; value: string };

/** The reads' connection: answers one batched read (keys as a JSON array) with the rows found. */
type Reader = { rows(keys: string): Promise<Row[]>; close(): Promise<void> };

type Claim = {
  key: string;
  value: string;
  resolve: (won: boolean) => void;
  reject: (error: unknown) => void;
};

/** Rows per INSERT statement; SQLite allows 32,766 bound variables, two per row. */
const ROWS_PER_STATEMENT = 400;
/** Keys per batched read (one JSON parameter, so only the statement's size bounds it). */
const READS_PER_STATEMENT = 1_000;

/**
 * A keyv store adapter over @keyv/sqlite that makes writes durable AND fast:
 * - WAL journal with `synchronous=FULL`: a commit is fsynced to the WAL before it resolves, so an
 *   acknowledged write survives a crash of the process or the machine;
 * - group commit: every write (set, delete, claim) goes through one queue, and a transaction takes the
 *   queue only at a turn of the event loop: writes queued in one turn (a locked section's writes, made
 *   without waiting for I/O in between) always commit in the same transaction, and everything queued
 *   while a commit is in flight goes into the next one, one fsync for the batch;
 * - reads see queued writes (read-your-writes) while they wait for their commit.
 * The stock adapter runs each write as its own transaction in rollback-journal mode (several fsyncs
 * per write); `npm run bench` measures the difference.
 */
export class DurableSqliteAdapter extends EventEmitter {
  readonly opts: Record<string, unknown>;
  namespace?: string | undefined;
  /** The writing connection (opened once the store is ready). */
  private inner!: KeyvSqlite;
  /**
   * A second connection for reads. In WAL mode readers never wait for the writer, so a read made while a
   * group commit is fsyncing (often by a command holding its guild's lock) does not queue behind it.
   * Queued and in-flight writes are answered from memory first, so reads still see every write.
   */
  private reader!: Reader;
  private pending = new Map<string, string | null>();
  /** The batch being committed: still visible to reads until its commit resolves. */
  private inFlight = new Map<string, string | null>();
  private waiters: Waiter[] = [];
  /** Single-key reads asked for in this turn of the event loop, answered together. */
  private readBatch: Map<string, ReadWaiter[]> | null = null;
  /** Whether a read statement is in flight. */
  private reading = false;
  /** Statements run for single-key reads so far (tests and benchmarks watch the batching with it). */
  readStatements = 0;
  /** Statements run to write (BEGIN and COMMIT included) and commits, so far (the same). */
  writeStatements = 0;
  commits = 0;
  /**
   * Commits that failed so far, and the last one's error: a locked section that began before a failure may
   * have read that commit's writes, so the Store fails it instead of queuing its writes (src/store/store.ts).
   */
  failedCommits = 0;
  lastCommitError: unknown;
  private claims: Claim[] = [];
  private flushing: Promise<void> | null = null;
  private readonly ready: Promise<void>;
  private closed = false;
  private readonly table = "keyv";

  constructor(uri: string, options: { busyTimeoutMs?: number } = {}) {
    super();
    const file = uri.replace(/^sqlite:\/\//, "");
    const inMemory = file === ":memory:" || file === "";
    if (!inMemory) mkdirSync(dirname(file), { recursive: true });
    this.opts = { uri, table: this.table, dialect: "sqlite" };
    const busyTimeout = options.busyTimeoutMs ?? 5000;
    this.ready = (async () => {
      // One connection at a time: the writer creates the table and switches the file to WAL, then the
      // reader opens. Several processes opening a new file at once can still collide (SQLite answers
      // SQLITE_BUSY at once, without waiting, when two connections both upgrade a read to a write),
      // so opening and the WAL switch are retried.
      this.inner = await openConnection(uri, busyTimeout, (error) => this.emit("error", error));
      await retryBusy(() => this.inner.query("PRAGMA journal_mode = WAL"));
      await this.inner.query("PRAGMA synchronous = FULL");
      const inner = this.inner;
      this.reader = inMemory
        ? {
            rows: async (keys) => (await inner.query(selectKeys(this.table), keys)) as Row[],
            close: async () => {},
          }
        : await retryBusy(() =>
            openReader(file, this.table, busyTimeout, (error) => this.emit("error", error)),
          );
    })();
    // Reported to a listener if there is one by then; start-up learns it from opened() (an "error" emitted
    // with no listener would throw, unhandled).
    this.ready.catch((error: unknown) => {
      if (this.listenerCount("error") > 0) this.emit("error", error);
    });
  }

  /**
   * Resolves once the file is open (WAL set, the reader connected); rejects with why it could not be (not a
   * database, no permission): start-up waits for it, so a store that cannot work stops the bot at once.
   */
  opened(): Promise<void> {
    return this.ready;
  }

  private async query(sql: string, ...params: unknown[]): Promise<Array<Record<string, unknown>>> {
    this.writeStatements += 1;
    return (await this.inner.query(sql, ...params)) as Array<Record<string, unknown>>;
  }

  /** The queued value of a key: a string, null for a queued delete, undefined when nothing is queued. */
  private queued(key: string): string | null | undefined {
    if (this.pending.has(key)) return this.pending.get(key);
    if (this.inFlight.has(key)) return this.inFlight.get(key);
    return undefined;
  }

  async get(key: string): Promise<string | undefined> {
    const queued = this.queued(key);
    if (queued !== undefined) return queued ?? undefined;
    return this.readBatched(key);
  }

  /**
   * Single-key reads share queries. node-sqlite3 costs about 50 µs of CPU per statement (prepare, three
   * thread-pool round trips, finalise) whatever it reads; one `IN (…)` query for many keys costs a tenth
   * of that per key (`npm run bench`). Reads asked in the same turn of the event loop go together, and
   * at most one read statement is in flight: reads asked while one runs wait for it and then share the
   * next (under a burst of interactions, which arrive one per turn, that is what batches them). A lone
   * read waits one `setImmediate` more. A value written after the read was asked for may or may not be
   * seen, as with any read racing a write.
   */
  private readBatched(key: string): Promise<string | undefined> {
    const batch = this.readBatch ?? this.startReadBatch();
    return new Promise<string | undefined>((resolve, reject) => {
      const readers = batch.get(key);
      if (readers === undefined) batch.set(key, [{ resolve, reject }]);
      else readers.push({ resolve, reject });
    });
  }

  private startReadBatch(): Map<string, ReadWaiter[]> {
    const batch = new Map<string, ReadWaiter[]>();
    this.readBatch = batch;
    // With a statement in flight, its end starts this batch.
    if (!this.reading) setImmediate(() => this.runNextReads());
    return batch;
  }

  private runNextReads(): void {
    const batch = this.readBatch;
    if (batch === null || this.reading) return;
    this.readBatch = null;
    this.reading = true;
    void this.runReads(batch).finally(() => {
      this.reading = false;
      this.runNextReads();
    });
  }

  private async runReads(batch: Map<string, ReadWaiter[]>): Promise<void> {
    const keys = [...batch.keys()];
    try {
      await this.ready;
      const found = new Map<string, string>();
      for (let i = 0; i < keys.length; i += READS_PER_STATEMENT) {
        this.readStatements += 1;
        const rows = await this.reader.rows(JSON.stringify(keys.slice(i, i + READS_PER_STATEMENT)));
        for (const row of rows) found.set(row.key, row.value);
      }
      for (const [key, readers] of batch) {
        const value = found.get(key);
        for (const reader of readers) reader.resolve(value);
      }
    } catch (error) {
      for (const readers of batch.values()) for (const reader of readers) reader.reject(error);
    }
  }

  /**
   * Many keys: queued values from memory, the rest through the same batched query as single reads
   * (@keyv/sqlite's own getMany matches rows to keys with a linear search each, O(n²): 5,000 keys took
   * about 100 ms of CPU in the pairing bench).
   */
  async getMany(keys: string[]): Promise<Array<string | undefined>> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  set(key: string, value: string): Promise<void> {
    return this.enqueue(key, value);
  }

  /**
   * Queues a write (or a delete, with null) synchronously: reads see it at once; the promise resolves
   * when it is durable. Lets the Store release a guild's lock before waiting for the disk.
   */
  queue(key: string, value: string | null): Promise<void> {
    return this.enqueue(key, value);
  }

  async setMany(entries: Array<{ key: string; value: string }>): Promise<void> {
    await Promise.all(entries.map((entry) => this.enqueue(entry.key, entry.value)));
  }

  async delete(key: string): Promise<boolean> {
    const existed = (await this.get(key)) !== undefined;
    await this.enqueue(key, null);
    return existed;
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    const results = await Promise.all(keys.map((key) => this.delete(key)));
    return results.some(Boolean);
  }

  /** Atomically stores `value` under `key` unless the key exists; true when this call created it. */
  setIfAbsent(key: string, value: string): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error("store is closed"));
    return new Promise<boolean>((resolve, reject) => {
      this.claims.push({ key, value, resolve, reject });
      this.scheduleFlush();
    });
  }

  async clear(): Promise<void> {
    await this.drain();
    await this.ready;
    await this.inner.clear();
  }

  async *iterator(namespace?: string): AsyncGenerator<Array<string | undefined>, void> {
    await this.drain();
    await this.ready;
    for await (const entry of this.inner.iterator(namespace)) yield entry as Array<string | undefined>;
  }

  async disconnect(): Promise<void> {
    await this.drain();
    this.closed = true;
    try {
      await this.ready;
    } catch {
      return; // never opened: nothing to close
    }
    await this.reader.close();
    await this.inner.disconnect();
  }

  /** Resolves when every write queued so far is committed. */
  async drain(): Promise<void> {
    while (this.flushing !== null || this.pending.size > 0 || this.claims.length > 0) {
      if (this.flushing === null) this.scheduleFlush();
      await this.flushing;
    }
  }

  private enqueue(key: string, value: string | null): Promise<void> {
    if (this.closed) return Promise.reject(new Error("store is closed"));
    this.pending.set(key, value);
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushing !== null) return;
    this.flushing = (async () => {
      try {
        while (this.pending.size > 0 || this.claims.length > 0) {
          // The queue is taken at the next turn, never in the middle of one (see the class comment).
          await new Promise((resolve) => setImmediate(resolve));
          await this.flushOnce();
        }
      } finally {
        this.flushing = null;
      }
    })();
    this.flushing.catch(() => undefined);
  }

  private async upsert(rows: Array<[string, string]>): Promise<void> {
    await this.query(
      `INSERT INTO ${this.table} (key, value) VALUES ${rows.map(() => "(?, ?)").join(", ")}
       ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
      ...rows.flat(),
    );
  }

  private async deleteKeys(keys: string[]): Promise<void> {
    await this.query(
      `DELETE FROM ${this.table} WHERE key IN (SELECT value FROM json_each(?))`,
      JSON.stringify(keys),
    );
  }

  private async flushOnce(): Promise<void> {
    const batch = this.pending;
    const waiters = this.waiters;
    const claims = this.claims;
    this.pending = new Map();
    this.inFlight = batch;
    this.waiters = [];
    this.claims = [];
    const results: boolean[] = [];
    this.commits += 1;
    try {
      await this.ready;
      const sets = [...batch].filter((entry): entry is [string, string] => entry[1] !== null);
      const deletes = [...batch].filter(([, value]) => value === null).map(([key]) => key);
      const statements = Math.ceil(sets.length / ROWS_PER_STATEMENT) + (deletes.length > 0 ? 1 : 0);
      if (claims.length === 0 && statements === 1) {
        // One statement is its own transaction (autocommit, fsynced like any commit): no BEGIN and
        // COMMIT round trips for the usual batch.
        if (sets.length > 0) await this.upsert(sets);
        else await this.deleteKeys(deletes);
      } else {
        await this.query("BEGIN IMMEDIATE");
        try {
          for (let i = 0; i < sets.length; i += ROWS_PER_STATEMENT)
            await this.upsert(sets.slice(i, i + ROWS_PER_STATEMENT));
          if (deletes.length > 0) await this.deleteKeys(deletes);
          for (const claim of claims) {
            const rows = await this.query(
              `INSERT INTO ${this.table} (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING RETURNING key`,
              claim.key,
              claim.value,
            );
            results.push(rows.length === 1);
          }
          await this.query("COMMIT");
        } catch (error) {
          await this.query("ROLLBACK").catch(() => undefined);
          throw error;
        }
      }
    } catch (error) {
      this.inFlight = new Map();
      this.failedCommits += 1;
      this.lastCommitError = error;
      // What was queued while this batch was in flight may have been made from its values (reads see
      // queued writes: a later section's update built on this one's): it fails with it, rather than land
      // the failed change through a later commit. (Writes that did not read it fail too: a failing disk
      // rarely fails one commit alone, and every caller is told.)
      const later = { waiters: this.waiters, claims: this.claims };
      this.pending = new Map();
      this.waiters = [];
      this.claims = [];
      for (const waiter of [...waiters, ...later.waiters]) waiter.reject(error);
      for (const claim of [...claims, ...later.claims]) claim.reject(error);
      this.emit("error", error);
      return;
    }
    this.inFlight = new Map();
    for (const waiter of waiters) waiter.resolve();
    claims.forEach((claim, i) => {
      claim.resolve(results[i] === true);
    });
  }
}

function selectKeys(table: string): string {
  return `SELECT key, value FROM ${table} WHERE key IN (SELECT value FROM json_each(?))`;
}

/**
 * The read connection, through node-sqlite3 itself (the driver @keyv/sqlite runs on, which does not
 * expose its connection): the one read query is prepared once and reused. @keyv/sqlite's `query` runs
 * `Database#all`, which prepares, runs and finalises a statement per call, three thread-pool round trips:
 * about 130 µs of CPU per batched read against 55 µs for the prepared statement, measured on this
 * query over the bench's database (and 150 against 60 µs until the rows are back).
 */
async function openReader(
  file: string,
  table: string,
  busyTimeout: number,
  onError: (error: unknown) => void,
): Promise<Reader> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened: sqlite3.Database = new sqlite3.Database(file, sqlite3.OPEN_READWRITE, (error) =>
      error ? reject(error) : resolve(opened),
    );
  });
  const close = () =>
    new Promise<void>((resolve, reject) => db.close((error) => (error ? reject(error) : resolve())));
  // Every call below has a callback; an error event without one must not crash the process.
  db.on("error", onError);
  try {
    db.configure("busyTimeout", busyTimeout);
    await new Promise<void>((resolve, reject) =>
      db.exec("PRAGMA query_only = ON", (error) => (error ? reject(error) : resolve())),
    );
    const select = await new Promise<sqlite3.Statement>((resolve, reject) => {
      const prepared: sqlite3.Statement = db.prepare(selectKeys(table), (error) =>
        error ? reject(error) : resolve(prepared),
      );
    });
    return {
      rows: (keys) =>
        new Promise<Row[]>((resolve, reject) =>
          select.all<Row>(keys, (error, rows) => (error ? reject(error) : resolve(rows))),
        ),
      close: async () => {
        await new Promise<void>((resolve) => select.finalize(() => resolve()));
        await close();
      },
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

function isBusy(error: unknown): boolean {
  return error instanceof Error && /SQLITE_BUSY|database is locked/.test(error.message);
}

async function retryBusy<T>(fn: () => Promise<T>, attempts = 50): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isBusy(error) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
  }
}

/** Opens a @keyv/sqlite connection (which creates the table at once), retrying a busy collision. */
async function openConnection(
  uri: string,
  busyTimeout: number,
  onError: (error: unknown) => void,
): Promise<KeyvSqlite> {
  return retryBusy(async () => {
    const connection = new KeyvSqlite({ uri, busyTimeout, iterationLimit: 500 });
    const failures: unknown[] = [];
    connection.on("error", (error: unknown) => failures.push(error));
    try {
      await connection.query("SELECT 1");
    } catch (error) {
      await connection.disconnect().catch(() => undefined);
      throw error;
    }
    connection.removeAllListeners("error");
    connection.on("error", onError);
    return connection;
  });
}

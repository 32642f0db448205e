import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DurableSqliteAdapter } from "../../src/store/sqlite.js";

const dirs: string[] = [];
const adapters: DurableSqliteAdapter[] = [];

function fileInTemp(): string {
  const dir = mkdtempSync(join(tmpdir(), "nexus-sqlite-"));
  dirs.push(dir);
  return join(dir, "db.sqlite");
}

function open(file: string): DurableSqliteAdapter {
  const adapter = new DurableSqliteAdapter(`sqlite://${file}`);
  adapters.push(adapter);
  return adapter;
}

afterEach(async () => {
  await Promise.all(adapters.splice(0).map((adapter) => adapter.disconnect().catch(() => undefined)));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("DurableSqliteAdapter reads", () => {
  it("GIVEN 300 single-key reads asked in one turn THEN one statement answers them, each with its own value", async () => {
    const adapter = open(fileInTemp());
    await Promise.all(Array.from({ length: 200 }, (_, i) => adapter.set(`k${i}`, `v${i}`)));
    const before = adapter.readStatements;
    // 200 stored keys, 100 absent ones, and every stored key asked twice over.
    const keys = [
      ...Array.from({ length: 300 }, (_, i) => `k${i}`),
      ...Array.from({ length: 200 }, (_, i) => `k${i}`),
    ];
    const values = await Promise.all(keys.map((key) => adapter.get(key)));
    expect(values).toEqual(keys.map((key) => (Number(key.slice(1)) < 200 ? `v${key.slice(1)}` : undefined)));
    expect(adapter.readStatements - before).toBe(1);
  });

  it("GIVEN reads in separate turns THEN each turn runs its own statement", async () => {
    const adapter = open(fileInTemp());
    await adapter.set("a", "1");
    const before = adapter.readStatements;
    expect(await adapter.get("a")).toBe("1");
    expect(await adapter.get("b")).toBeUndefined();
    expect(adapter.readStatements - before).toBe(2);
  });

  it("GIVEN 200 reads asked one per turn THEN at most one read statement runs at a time and each read gets its value", async () => {
    const adapter = open(fileInTemp());
    await Promise.all(Array.from({ length: 200 }, (_, i) => adapter.set(`k${i}`, `v${i}`)));
    await adapter.get("k0"); // the reader connection is open
    const reader = (adapter as unknown as { reader: { rows: (keys: string) => Promise<unknown[]> } }).reader;
    const rows = reader.rows.bind(reader);
    let running = 0;
    let most = 0;
    reader.rows = async (keys: string) => {
      running += 1;
      most = Math.max(most, running);
      try {
        return await rows(keys);
      } finally {
        running -= 1;
      }
    };
    const reads: Array<Promise<string | undefined>> = [];
    for (let i = 0; i < 200; i++) {
      reads.push(adapter.get(`k${i}`));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(reads)).toEqual(Array.from({ length: 200 }, (_, i) => `v${i}`));
    expect(most).toBe(1);
  });

  it("GIVEN a read statement that is slow WHEN 50 reads are asked one per turn meanwhile THEN they share the next statement", async () => {
    const adapter = open(fileInTemp());
    await Promise.all(Array.from({ length: 50 }, (_, i) => adapter.set(`k${i}`, `v${i}`)));
    await adapter.get("k0"); // the reader connection is open
    const reader = (adapter as unknown as { reader: { rows: (keys: string) => Promise<unknown[]> } }).reader;
    const rows = reader.rows.bind(reader);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    reader.rows = async (keys: string) => {
      calls += 1;
      if (calls === 1) await gate; // the first statement is held up
      return rows(keys);
    };
    const first = adapter.get("k0");
    const later: Array<Promise<string | undefined>> = [];
    for (let i = 0; i < 50; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      later.push(adapter.get(`k${i}`));
    }
    expect(calls).toBe(1);
    release();
    expect(await first).toBe("v0");
    expect(await Promise.all(later)).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
    expect(calls).toBe(2);
  });

  it("GIVEN a write queued in the same turn as a read of its key THEN the read sees the write", async () => {
    const adapter = open(fileInTemp());
    await adapter.set("a", "old");
    const written = adapter.queue("a", "new");
    const read = adapter.get("a");
    expect(await read).toBe("new");
    await written;
    expect(await adapter.get("a")).toBe("new");
  });

  it("GIVEN another connection commits a change THEN the next read sees it (nothing is cached)", async () => {
    const file = fileInTemp();
    const a = open(file);
    const b = open(file);
    await a.set("shared", "1");
    expect(await b.get("shared")).toBe("1");
    await a.set("shared", "2");
    expect(await b.get("shared")).toBe("2");
    await a.delete("shared");
    expect(await b.get("shared")).toBeUndefined();
  });

  it("GIVEN a closed adapter WHEN reads were batched THEN every reader gets the error", async () => {
    const adapter = open(fileInTemp());
    await adapter.set("a", "1");
    await adapter.disconnect();
    const reads = await Promise.allSettled([adapter.get("a"), adapter.get("b")]);
    expect(reads.map((read) => read.status)).toEqual(["rejected", "rejected"]);
  });
});

describe("DurableSqliteAdapter writes", () => {
  it("GIVEN an idle adapter WHEN 200 sets are queued in one turn THEN one statement commits them, durably", async () => {
    const file = fileInTemp();
    const adapter = open(file);
    await adapter.set("warm", "1");
    await new Promise((resolve) => setTimeout(resolve, 20)); // nothing in flight
    const [statements, commits] = [adapter.writeStatements, adapter.commits];
    await Promise.all(Array.from({ length: 200 }, (_, i) => adapter.set(`k${i}`, `v${i}`)));
    expect(adapter.commits - commits).toBe(1);
    expect(adapter.writeStatements - statements).toBe(1);
    await adapter.disconnect();
    const reopened = open(file);
    expect(await Promise.all([reopened.get("k0"), reopened.get("k199")])).toEqual(["v0", "v199"]);
  });

  it("GIVEN an idle adapter WHEN sets and deletes are queued across microtasks of one turn THEN they commit in one transaction", async () => {
    const adapter = open(fileInTemp());
    await Promise.all([adapter.set("gone", "1"), adapter.set("kept", "1")]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [statements, commits] = [adapter.writeStatements, adapter.commits];
    const queued = [adapter.queue("gone", null)];
    await Promise.resolve();
    queued.push(adapter.queue("kept", "2"));
    await Promise.resolve();
    queued.push(adapter.queue("new", "3"));
    await Promise.all(queued);
    expect(adapter.commits - commits).toBe(1);
    // BEGIN, the upsert, the delete, COMMIT.
    expect(adapter.writeStatements - statements).toBe(4);
    expect(await Promise.all(["gone", "kept", "new"].map((key) => adapter.get(key)))).toEqual([
      undefined,
      "2",
      "3",
    ]);
  });

  it("GIVEN more rows than one statement holds THEN the batch still commits as one transaction", async () => {
    const adapter = open(fileInTemp());
    await adapter.set("warm", "1");
    const [statements, commits] = [adapter.writeStatements, adapter.commits];
    await Promise.all(Array.from({ length: 900 }, (_, i) => adapter.set(`k${i}`, `v${i}`)));
    expect(adapter.commits - commits).toBe(1);
    // BEGIN, three upserts of at most 400 rows, COMMIT.
    expect(adapter.writeStatements - statements).toBe(5);
    expect(await adapter.get("k899")).toBe("v899");
  });

  it("GIVEN a commit that fails WHEN writes were queued while it was in flight THEN they fail with it, and reads see what is stored", async () => {
    const adapter = open(fileInTemp());
    await adapter.set("counter", "0");
    const patched = adapter as unknown as { query(sql: string, ...params: unknown[]): Promise<unknown> };
    const query = patched.query.bind(adapter);
    let failNext = true;
    patched.query = async (sql, ...params) => {
      if (failNext && /INSERT/.test(sql)) {
        failNext = false;
        await new Promise((resolve) => setTimeout(resolve, 30));
        throw new Error("SQLITE_FULL: database or disk is full");
      }
      return query(sql, ...params);
    };
    const first = adapter.set("counter", "1");
    const firstOutcome = first.then(
      () => "stored",
      (error: Error) => error.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    // A later update reads the value in flight and builds on it.
    expect(await adapter.get("counter")).toBe("1");
    const second = adapter.set("counter", "2");
    const secondOutcome = second.then(
      () => "stored",
      (error: Error) => error.message,
    );
    expect(await firstOutcome).toMatch(/disk is full/);
    expect(await secondOutcome).toMatch(/disk is full/);
    expect(await adapter.get("counter")).toBe("0");
    await adapter.set("counter", "1");
    expect(await adapter.get("counter")).toBe("1");
  });
});

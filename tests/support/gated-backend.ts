/**
 * A keyv backend that queues writes like the SQLite adapter (visible to reads at once) and makes them
 * durable only when the test calls `release`: a locked section's commit can be held pending.
 */
export class GatedBackend extends Map<string, unknown> {
  /** Queued writes per key, for tests that count them. */
  readonly writes = new Map<string, number>();
  private gates: Array<() => void> = [];

  queue(key: string, value: string | null): Promise<void> {
    if (value === null) this.delete(key);
    else this.set(key, value);
    this.writes.set(key, (this.writes.get(key) ?? 0) + 1);
    return new Promise((resolve) => this.gates.push(resolve));
  }

  /** Makes every write queued so far durable. */
  release(): void {
    for (const open of this.gates.splice(0)) open();
  }

  /** Writes queued and not yet durable. */
  get pending(): number {
    return this.gates.length;
  }
}

// A cross-process mutex for the fault suite's timing-sensitive phases. Vitest runs the suite's files in
// parallel worker processes; on a 2-core machine a burst of 1,000 interactions (test server + bot) already
// uses both cores, so two bursts at once would measure each other rather than the bot. Each heavy phase
// holds this lock: the files still run in parallel around it (start-up, checks, light phases).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alive } from "./process.js";

const LOCK_DIR = join(tmpdir(), "nexus-fault-suite-cpu.lock");
const OWNER = join(LOCK_DIR, "owner");

function tryAcquire(): boolean {
  try {
    mkdirSync(LOCK_DIR);
  } catch {
    // Held: steal it only when its owner process is gone (a worker killed mid-phase).
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(OWNER, "utf8"));
    } catch {
      return false; // being created or released right now
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner))
      rmSync(LOCK_DIR, { recursive: true, force: true });
    return false;
  }
  writeFileSync(OWNER, String(process.pid));
  return true;
}

/**
 * Runs `fn` while no other fault-suite phase runs (in any worker). Waits at most `waitMs` for the lock,
 * then runs anyway (a slow neighbour must not fail the suite; timing may then be worse, and is reported).
 * Returns how long it waited.
 */
export async function exclusive<T>(
  fn: () => Promise<T>,
  waitMs = 150_000,
): Promise<{ value: T; waitedMs: number }> {
  const started = Date.now();
  let held = tryAcquire();
  while (!held && Date.now() - started < waitMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    held = tryAcquire();
  }
  const waitedMs = Date.now() - started;
  try {
    return { value: await fn(), waitedMs };
  } finally {
    if (held) rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

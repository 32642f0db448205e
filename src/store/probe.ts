import { z } from "zod";
import type { Store } from "./store.js";

/**
 * Recovering a per-guild counter from the records it numbers (`…:q:1`, `…:q:2`, …), for when the counter
 * record is absent or fails its schema. `Store.get` cannot tell "absent" (a guild that never used the
 * feature) from "damaged", so callers probe in both cases: the probe must cost one round trip when there
 * is nothing, and must never answer lower than a stored record, or the next id would overwrite it.
 *
 * Ids are dense except for gaps: deleted records (journal entries) or records that are themselves lost.
 * `lastInSequence` assumes that no run of `gap` consecutive ids is empty below the last record, and every
 * probe reads a window of `gap` consecutive keys in one `getMany`, so a shorter gap is stepped over. It
 * gallops over windows at doubling distances until one is empty, then bisects between the last window
 * with a record and that empty one: O(log N) round trips of `gap` keys instead of reading all N records
 * (a linear scan until a run of misses would read every record, parse it, and take N / batch round
 * trips), and nothing stored costs one round trip. Callers that need the records themselves read them
 * once the bound is known (in parallel batches: see the journal's and the question index's loads).
 * A record that fails its schema still occupies its id (it is counted present), so a damaged record is
 * never overwritten by a recovered counter either. Only an undecodable row reads as absent through the
 * store, which is one more reason the tolerance is a window rather than a single key.
 */

/**
 * Gap tolerance for records that are never deleted (questions, pairs, custom challenges): a gap there means
 * lost records, so a small window suffices and keeps the probe of a guild new to the feature cheap. The
 * journal, whose entries are deleted, passes a wider one.
 */
export const SEQUENCE_GAP = 32;

/** Presence, not validity: any stored value occupies its id. */
const Stored = z.unknown();

export type KeyOf = (id: number) => string;

function keysFrom(keyOf: KeyOf, first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => keyOf(first + i));
}

function checkGap(gap: number): void {
  if (!Number.isSafeInteger(gap) || gap < 1) throw new Error(`bad sequence gap ${gap}`);
}

/**
 * The highest id `n ≥ 1` for which `keyOf(n)` holds a record, or 0 when there is none; exact as long as no
 * `gap` consecutive ids are empty below it (see above).
 */
export async function lastInSequence(
  store: Store,
  keyOf: KeyOf,
  options: { gap?: number } = {},
): Promise<number> {
  const gap = options.gap ?? SEQUENCE_GAP;
  checkGap(gap);
  /** The highest id holding a record in [first, first + gap), or 0. */
  const window = async (first: number): Promise<number> => {
    const values = await store.getMany(keysFrom(keyOf, first, gap), Stored);
    const last = values.findLastIndex((value) => value !== undefined);
    return last === -1 ? 0 : first + last;
  };
  let lo = await window(1);
  if (lo === 0) return 0;
  // Gallop: `lo` holds a record; probe windows ever further past it until one is empty at `hi`.
  let step = gap;
  let hi = lo + step;
  for (let found = await window(hi); found !== 0; found = await window(hi)) {
    lo = found;
    step *= 2;
    hi = lo + step;
  }
  // Bisect: `lo` holds a record, [hi, hi + gap) holds none, lo < hi. Every window probed below ends
  // before hi + gap, so what it finds lies below hi.
  while (hi - lo > gap) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const found = await window(mid);
    if (found === 0) hi = mid;
    else lo = found;
  }
  // (lo, hi) is shorter than a window now: one last read covers it.
  return Math.max(lo, await window(lo + 1));
}

/**
 * The version to give a counter rebuilt after it was lost. Versions only tag in-process snapshots and
 * are compared for equality, so a rebuilt one must not restart at a small number some process may
 * still hold a snapshot for; the wall clock in ms is far above any count of changes and keeps growing.
 * (A cache tag, not domain time: nothing observable depends on it, so it does not go through a Clock.)
 */
export function rebuiltVersion(): number {
  return Date.now();
}

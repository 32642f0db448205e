// Seeded randomness and figure reporting for the fault suite (tests/fault). Every random choice in the suite
// comes from a generator seeded by FAULT_SEED (default below), printed with the figures, so a failing run is
// reproduced with `FAULT_SEED=<seed> npx vitest run tests/fault`.
import { seededRandom } from "./discord-http.js";

export const DEFAULT_FAULT_SEED = 20_261_122;

/** The run's base seed: FAULT_SEED from the environment, else the default. */
export function faultSeed(): number {
  const raw = process.env.FAULT_SEED;
  return raw !== undefined && /^\d{1,10}$/.test(raw) ? Number(raw) >>> 0 : DEFAULT_FAULT_SEED;
}

/** A small deterministic generator (mulberry32 underneath). */
export class Rng {
  private readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = seededRandom(seed);
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next();
  }

  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Rng.pick: no items");
    return items[Math.floor(this.next() * items.length)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const a = out[i] as T;
      out[i] = out[j] as T;
      out[j] = a;
    }
    return out;
  }
}

export type Figures = Record<string, string | number | boolean>;

/**
 * Prints a block of figures, one line each, prefixed so a run's proof is easy to find in the output, led
 * by the run's base seed (each part derives its own stream from it, printed as `seed`):
 *   fault-suite[crash]: FAULT_SEED=20261122
 *   fault-suite[crash]: sent=1000
 */
export function reportFigures(part: string, figures: Figures): void {
  const all: Figures = { FAULT_SEED: faultSeed(), ...figures };
  const lines = Object.entries(all).map(([name, value]) => `fault-suite[${part}]: ${name}=${value}`);
  console.log(lines.join("\n"));
}

/** p-th percentile (0..100) of a list of numbers; 0 for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? 0;
}

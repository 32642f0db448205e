import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

export type Section = {
  title: string;
  body: string;
  targets: Array<{ name: string; met: boolean; detail: string }>;
};

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return "n/a";
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export function machine(): string {
  const cpu = cpus();
  return [
    `- CPU: ${cpu[0]?.model ?? "unknown"} × ${cpu.length}`,
    `- Memory: ${fmt(totalmem() / 2 ** 30, 1)} GiB`,
    `- Node: ${process.version} (${process.platform} ${process.arch})`,
  ].join("\n");
}

/** Runs `fn` `rounds` times and returns every result (the caller takes medians). */
export async function rounds<T>(count: number, fn: (round: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < count; i++) results.push(await fn(i));
  return results;
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * The node flags `npm start` runs the bot with (package.json's `start` script): bench bots run with the same
 * runtime as production, the floor and the default-cache bot included, so a comparison is about the code.
 */
export function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    scripts?: Record<string, string>;
  };
  const start = pkg.scripts?.start ?? "";
  const [command, ...args] = start.trim().split(/\s+/);
  if (command !== "node") throw new Error(`package.json's start script does not run node: ${start}`);
  return args.filter((arg) => arg.startsWith("--"));
}

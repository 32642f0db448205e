import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Process-level tests run the compiled bot: build it first when the sources are newer than dist/. */
export default function setup(): void {
  let built = 0;
  try {
    built = statSync(join(ROOT, "dist/src/index.js")).mtimeMs;
  } catch {
    built = 0;
  }
  const sources = Math.max(...["src", "commands", "events", "data"].map((dir) => newest(join(ROOT, dir))));
  if (sources > built) execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
}

// A throwaway PostgreSQL server on 127.0.0.1 for the store's backend tests: Debian's `postgresql`
// package (.ci/run installs it), a fresh cluster in a temporary directory on a free port, fsync off.
// PostgreSQL refuses to run as root, so as root the cluster belongs to the package's `postgres` user.
// Returns null when the server binaries are not installed, so a machine without them skips those tests.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type LocalServer } from "./ports.js";
import { tiedToParent } from "./tied.js";

/** The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin). */
function binDir(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, "bin", "postgres")))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined ? null : join(root, majors[0], "bin");
}

/** Runs one statement with psql (Debian's postgresql-client); rejects with its error output. */
function query(url: string, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const psql = spawn("psql", [url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    psql.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    psql.once("error", reject);
    psql.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(stderr.trim()))));
  });
}

export async function startPostgres(): Promise<LocalServer | null> {
  const bin = binDir();
  if (bin === null || spawnSync("psql", ["--version"], { stdio: "ignore" }).status !== 0) return null;
  const root = process.getuid?.() === 0;
  if (root && spawnSync("id", ["postgres"], { stdio: "ignore" }).status !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), "nexus-pg-"));
  const data = join(dir, "data");
  if (root) {
    const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim());
    const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  // The cluster's programs run as its owner: the `postgres` user when we are root.
  const owner = root ? "postgres" : undefined;
  const [initCmd, initArgs] = tiedToParent(
    [join(bin, "initdb"), "-D", data, "-U", "nexus", "-A", "trust", "--no-sync", "--encoding=UTF8"],
    owner,
  );
  const init = spawnSync(initCmd, initArgs, { encoding: "utf8" });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr}`);
  }
  const port = await freePort();
  // Killed with the test process however that ends (tests/support/tied.ts).
  const [cmd, args] = tiedToParent(
    [
      join(bin, "postgres"),
      "-D",
      data,
      "-p",
      String(port),
      "-h",
      "127.0.0.1",
      "-k",
      dir,
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
    ],
    owner,
  );
  const child: ChildProcess = spawn(cmd, args, { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `postgres://nexus@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await query(url, "SELECT 1");
      break;
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill("SIGKILL");
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`postgres did not start on port ${port}: ${String(error)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    // @keyv/postgres creates its table when an adapter connects: dropping it starts the next store empty.
    flush: () => query(url, "DROP TABLE IF EXISTS keyv"),
    stop: async () => {
      // SIGINT to the postmaster itself (without setpriv, runuser is the child and does not pass signals
      // on): PostgreSQL's fast shutdown.
      if (child.exitCode === null) {
        try {
          process.kill(Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]), "SIGINT");
        } catch {
          child.kill("SIGKILL");
        }
      }
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

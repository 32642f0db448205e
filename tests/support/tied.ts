// Processes the tests start (the bot, Redis, PostgreSQL) die with the test process that started them,
// however it ends: a run killed mid-way (Ctrl-C twice, a CI timeout, SIGKILL) leaves no server behind on
// its port and no bot reconnecting to a Discord server that is gone.
import { spawnSync } from "node:child_process";

export const hasSetpriv = spawnSync("setpriv", ["--version"], { stdio: "ignore" }).status === 0;

/**
 * The command line that runs `argv`, as `user` when given (PostgreSQL refuses to run as root), killed
 * (SIGKILL) when the process that spawns it dies: util-linux's `setpriv --pdeathsig`, which then execs
 * `argv` (same pid, so signals and exit codes are the program's own). Without setpriv: as is, and through
 * `runuser` for the user.
 */
export function tiedToParent(argv: readonly string[], user?: string): [string, string[]] {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error("tiedToParent: empty command line");
  if (hasSetpriv) {
    const as = user === undefined ? [] : [`--reuid=${user}`, `--regid=${user}`, "--init-groups"];
    return ["setpriv", [...as, "--pdeathsig", "SIGKILL", "--", command, ...args]];
  }
  return user === undefined ? [command, args] : ["runuser", ["-u", user, "--", command, ...args]];
}

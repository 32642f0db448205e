// A throwaway Redis server on 127.0.0.1 for the store's backend tests (as the tests start their own Discord
// server): `redis-server` from the machine's packages (.ci/run installs it), on a free port, nothing saved
// to disk. Returns null when `redis-server` is not installed, so a machine without it skips those tests.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { connect } from "node:net";
import { freePort, type LocalServer } from "./ports.js";
import { tiedToParent } from "./tied.js";

/** Sends one inline command and resolves with the first line of the answer ("" when unreachable). */
function command(port: number, line: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve("");
    });
    socket.once("error", () => resolve(""));
    socket.on("data", (chunk) => {
      answer += chunk.toString("utf8");
      const end = answer.indexOf("\r\n");
      if (end !== -1) {
        socket.end();
        resolve(answer.slice(0, end));
      }
    });
    socket.once("connect", () => socket.write(`${line}\r\n`));
  });
}

/** One command to the Redis server at `url`, as an operator's redis-cli would send it: its answer's first line. */
export function redisCommand(url: string, line: string): Promise<string> {
  return command(Number(new URL(url).port), line);
}

export async function startRedis(): Promise<LocalServer | null> {
  if (spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status !== 0) return null;
  const port = await freePort();
  const [cmd, args] = tiedToParent([
    "redis-server",
    ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
  ]);
  const child: ChildProcess = spawn(cmd, args, { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 10_000;
  while ((await command(port, "PING")) !== "+PONG") {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    flush: async () => {
      if ((await command(port, "FLUSHALL")) !== "+OK") throw new Error("redis FLUSHALL failed");
    },
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

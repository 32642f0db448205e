import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { tiedToParent } from "./tied.js";

export const ENTRY = fileURLToPath(new URL("../../dist/src/index.js", import.meta.url));

export type BotProcess = {
  child: ChildProcess;
  /** Every JSON log line the process wrote so far. */
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  /** Resolves with the first log line matching `msg` (rejects on exit or timeout). */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code and signal, and how long after `since` it came. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
};

/**
 * Starts the compiled bot (`node dist/src/index.js`) as `npm start` does, with the given environment
 * (`entry`: another copy of it, such as the container image's files in tests/e2e/image.test.ts).
 */
export function spawnBot(env: Record<string, string>, cwd?: string, entry = ENTRY): BotProcess {
  const [command, args] = tiedToParent([process.execPath, entry]);
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? "", ...env },
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = "";
  let buffer = "";
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf("\n");
    while (newline !== -1) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
      newline = buffer.indexOf("\n");
    }
    for (const listener of listeners) listener();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    (resolve) => {
      child.once("exit", (code, signal) => {
        resolve({ code, signal, at: Date.now() });
        for (const listener of listeners) listener();
      });
    },
  );
  return {
    child,
    logs,
    stderr: () => stderr,
    exited,
    waitForLog(msg, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = logs.find((line) => line.msg === msg);
          if (found) {
            done();
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`bot exited before logging "${msg}": ${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no "${msg}" log within ${timeoutMs} ms; stderr: ${stderr}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

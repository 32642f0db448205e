// Parent/child plumbing for the benches that run a bot in its own process (interactions, memory):
// `fork` with an IPC channel, typed messages, waits with timeouts, and a clean stop.
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

export type Message = { type: string } & Record<string, unknown>;

function isMessage(value: unknown): value is Message {
  return (
    typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string"
  );
}

/** A bench child process (a compiled file next to this one in dist/bench). */
export class Child {
  private readonly inbox: Message[] = [];
  private readonly listeners = new Set<() => void>();
  private output = "";
  private exitCode: number | null | undefined;
  readonly exited: Promise<void>;

  private constructor(readonly process: ChildProcess) {
    process.on("message", (value: unknown) => {
      if (isMessage(value)) this.inbox.push(value);
      this.wake();
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString("utf8")).slice(-4000);
    };
    process.stderr?.on("data", keep);
    this.exited = new Promise((resolve) => {
      process.once("exit", (code) => {
        this.exitCode = code;
        this.wake();
        resolve();
      });
    });
  }

  /** Starts `dist/bench/<script>` with the given environment and node flags. */
  static start(script: string, env: Record<string, string>, execArgv: string[] = []): Child {
    const file = fileURLToPath(new URL(script, import.meta.url));
    const child = fork(file, [], {
      env: { PATH: process.env.PATH ?? "", ...env },
      execArgv,
      // stdout goes to /dev/null: the bot logs there (as it would to a log collector); stderr is kept.
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    return new Child(child);
  }

  private wake(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** The next message of this type (messages of other types stay queued). */
  next(type: string, timeoutMs = 60_000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const index = this.inbox.findIndex((message) => message.type === type || message.type === "error");
        if (index !== -1) {
          const [message] = this.inbox.splice(index, 1);
          done();
          if (message === undefined || message.type === "error") {
            reject(new Error(`bench child failed: ${String(message?.message)}\n${this.output}`));
          } else resolve(message);
          return true;
        }
        if (this.exitCode !== undefined) {
          done();
          reject(new Error(`bench child exited (${this.exitCode}) before "${type}"\n${this.output}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`bench child: no "${type}" within ${timeoutMs} ms\n${this.output}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = () => void check();
      this.listeners.add(listener);
      check();
    });
  }

  send(message: Message): void {
    this.process.send(message);
  }

  /** Sends a request and waits for the answer of type `${type}:done`. */
  async ask(message: Message, timeoutMs = 60_000): Promise<Message> {
    this.send(message);
    return this.next(`${message.type}:done`, timeoutMs);
  }

  /** Asks the child to stop; kills it if it has not exited after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.exitCode !== undefined) return;
    try {
      this.send({ type: "stop" });
    } catch {
      // already gone
    }
    const timer = setTimeout(() => this.process.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

// ─── child side ─────────────────────────────────────────────────────────────────────────────────────────

export function toParent(message: Message): void {
  process.send?.(message);
}

/** Handles the parent's requests; `stop` exits the process after `onStop`. */
export function serveParent(
  handlers: Record<string, (message: Message) => Promise<Record<string, unknown>> | Record<string, unknown>>,
  onStop: () => Promise<void>,
): void {
  process.on("message", (value: unknown) => {
    if (!isMessage(value)) return;
    if (value.type === "stop") {
      void onStop()
        .catch(() => undefined)
        .finally(() => process.exit(0));
      return;
    }
    const handler = handlers[value.type];
    if (handler === undefined) return;
    void Promise.resolve()
      .then(() => handler(value))
      .then((answer) => toParent({ ...answer, type: `${value.type}:done` }))
      .catch((error: unknown) => toParent({ type: "error", message: String(error) }));
  });
  // The parent going away (crash, ^C) takes the child with it.
  process.on("disconnect", () => process.exit(0));
}

export function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

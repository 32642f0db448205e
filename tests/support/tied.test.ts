import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { alive } from "./process.js";
import { hasSetpriv, tiedToParent } from "./tied.js";

describe.skipIf(!hasSetpriv)("tiedToParent", () => {
  it("GIVEN a process started tied by a parent WHEN the parent is killed (SIGKILL) THEN the process dies too", async () => {
    // The parent: a node process that starts `sleep` tied to itself, prints its pid, and waits.
    const [command, args] = tiedToParent(["sleep", "60"]);
    const parent = spawn(
      process.execPath,
      [
        "-e",
        `const c = require("node:child_process").spawn(${JSON.stringify(command)}, ${JSON.stringify(args)}, { stdio: "ignore" });
         console.log(c.pid); setInterval(() => {}, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const pid = await new Promise<number>((resolve) =>
      parent.stdout?.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
    );
    expect(alive(pid)).toBe(true);
    const parentExited = new Promise((resolve) => parent.once("exit", resolve));
    parent.kill("SIGKILL");
    await parentExited;
    const deadline = Date.now() + 5_000;
    // Once killed it is a zombie until init reaps it: gone from /proc's list of live processes or a zombie.
    const state = (): string => {
      try {
        return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] ?? "gone";
      } catch {
        return "gone";
      }
    };
    while (state() !== "gone" && state() !== "Z" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(["gone", "Z"]).toContain(state());
  });
});

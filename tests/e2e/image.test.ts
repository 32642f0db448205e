// The container image (Dockerfile) cannot be built here (no Docker engine), so this rebuilds its runtime
// stage's files by hand, as `npm prune --omit=dev` and the COPY lines leave them, and runs the bot from
// them: a runtime import of a devDependency, or a file the image does not carry, fails here.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DiscordServer, startDiscordServer } from "../support/discord-server.js";
import { type BotProcess, spawnBot } from "../support/process.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The Dockerfile's two stages' COPY sources (a `--from=build` flag kept as written) and its CMD. */
function dockerfile(): { build: string[]; run: string[]; cmd: string[] } {
  const stages: string[][] = [];
  let cmd: string[] = [];
  for (const line of readFileSync(join(ROOT, "Dockerfile"), "utf8").split("\n")) {
    const [instruction, ...rest] = line.trim().split(/\s+/);
    if (instruction === "FROM") stages.push([]);
    if (instruction === "COPY") stages.at(-1)?.push(...rest.slice(0, -1));
    if (instruction === "CMD") cmd = JSON.parse(line.trim().slice(4)) as string[];
  }
  return { build: stages[0] ?? [], run: stages[1] ?? [], cmd };
}

/**
 * The runtime stage's /app: package.json, dist as `npm run build` makes it (src, commands, events, data),
 * and node_modules holding only what `npm prune --omit=dev` keeps (package-lock.json's packages not
 * marked dev, linked from this checkout's node_modules).
 */
function imageFiles(app: string): void {
  mkdirSync(join(app, "node_modules"), { recursive: true });
  cpSync(join(ROOT, "package.json"), join(app, "package.json"));
  for (const part of ["src", "commands", "events", "data"]) {
    cpSync(join(ROOT, "dist", part), join(app, "dist", part), { recursive: true });
  }
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean }>;
  };
  for (const [path, meta] of Object.entries(lock.packages)) {
    if (!/^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) || meta.dev === true) continue;
    mkdirSync(dirname(join(app, path)), { recursive: true });
    symlinkSync(join(ROOT, path), join(app, path), "dir");
  }
  mkdirSync(join(app, "data"));
}

describe("the container image's runtime files (Dockerfile)", () => {
  let server: DiscordServer;
  let dir: string;
  let app: string;
  const running: BotProcess[] = [];

  beforeAll(async () => {
    server = await startDiscordServer();
    dir = mkdtempSync(join(tmpdir(), "nexus-image-"));
    app = join(dir, "app");
    // Node looks for a package in every ancestor's node_modules: one there would hide a missing one.
    for (let ancestor = dir; ancestor !== dirname(ancestor); ancestor = dirname(ancestor)) {
      const modules = join(dirname(ancestor), "node_modules");
      if (existsSync(modules)) throw new Error(`${modules} exists: remove it, or set TMPDIR elsewhere`);
    }
    imageFiles(app);
  });

  afterAll(async () => {
    for (const bot of running) if (bot.child.exitCode === null) bot.child.kill("SIGKILL");
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("GIVEN the Dockerfile THEN its build stage copies every source the build compiles and its run stage what the bot runs from", () => {
    const { build, run, cmd } = dockerfile();
    const compiled = (
      JSON.parse(readFileSync(join(ROOT, "tsconfig.build.json"), "utf8")) as { include: string[] }
    ).include;
    for (const source of [...compiled, "data", "package.json", "package-lock.json", "tsconfig.json"]) {
      expect(build.some((copied) => copied === source || copied === `${source}/`)).toBe(true);
    }
    expect(run).toEqual(
      expect.arrayContaining(["--from=build", "/app/package.json", "/app/node_modules", "/app/dist"]),
    );
    const start = (
      JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }
    ).scripts.start;
    // The image runs what `npm start` runs, with the same node flags.
    for (const word of start.split(" ")) expect(cmd).toContain(word);
  });

  it("GIVEN only the image's files (dist, production node_modules) THEN the bot starts in production and answers", async () => {
    const bot = spawnBot(
      {
        NODE_ENV: "production",
        DISCORD_TOKEN: server.token,
        DISCORD_API_URL: server.apiUrl,
        DATABASE_URL: `sqlite://${join(app, "data", "nexus.sqlite")}`,
        LOG_LEVEL: "info",
      },
      app,
      join(app, "dist", "src", "index.js"),
    );
    running.push(bot);
    await bot.waitForLog("nexus ready");
    const reply = await server
      .interact({
        commandName: "learn",
        subcommand: "log",
        options: { topic: "Docker", text: "Multi-stage builds keep compilers out of the image" },
      })
      .reply();
    expect(JSON.stringify(reply.embeds)).toContain("Multi-stage builds");
    bot.child.kill("SIGTERM");
    expect((await bot.exited).code).toBe(0);
  });

  it("GIVEN only the image's files THEN the Redis and PostgreSQL adapters that DATABASE_URL can name load", () => {
    const script = "await import('@keyv/redis'); await import('@keyv/postgres'); console.log('loaded');";
    writeFileSync(join(app, "adapters.mjs"), script);
    const result = spawnSync(process.execPath, [join(app, "adapters.mjs")], { cwd: app, encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("loaded");
  });
});

import { describe, expect, it } from "vitest";
import {
  COMMANDS_DIR,
  EVENTS_DIR,
  loadCommands,
  loadEvents,
  ModuleLoadError,
} from "../../src/discord/loader.js";
import { LIMITS } from "../../src/discord/text.js";

const fixtures = new URL("../fixtures/", import.meta.url).pathname;

describe("loader", () => {
  it("GIVEN a valid command module THEN it is loaded under its name", async () => {
    const commands = await loadCommands(`${fixtures}good-commands`);
    expect([...commands.keys()]).toEqual(["ping"]);
  });

  it("GIVEN a module without execute THEN loading fails naming the file and the problem", async () => {
    const error = await loadCommands(`${fixtures}bad-commands`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModuleLoadError);
    expect((error as ModuleLoadError).message).toMatch(/broken\.ts: is not a valid module: execute/);
  });

  it("GIVEN the real commands/ folder THEN every command loads and fits Discord's limits", async () => {
    const commands = await loadCommands(COMMANDS_DIR);
    expect(commands.size).toBeGreaterThan(0);
    for (const command of commands.values()) {
      const json = command.data.toJSON();
      expect(json.name).toMatch(/^[-_a-z0-9]{1,32}$/);
      expect(json.description.length).toBeLessThanOrEqual(100);
      const walk = (options: typeof json.options, depth: number): void => {
        expect(options?.length ?? 0).toBeLessThanOrEqual(LIMITS.choices);
        for (const option of options ?? []) {
          expect(option.name).toMatch(/^[-_a-z0-9]{1,32}$/);
          expect(option.description.length).toBeGreaterThan(0);
          expect(option.description.length).toBeLessThanOrEqual(100);
          if ("choices" in option) expect(option.choices?.length ?? 0).toBeLessThanOrEqual(25);
          if ("options" in option) walk(option.options as typeof json.options, depth + 1);
        }
      };
      walk(json.options, 0);
      expect(JSON.stringify(json).length).toBeLessThanOrEqual(8000);
    }
  });

  it("GIVEN the real events/ folder THEN every event module loads", async () => {
    const events = await loadEvents(EVENTS_DIR);
    expect(events.map((event) => event.name)).toEqual(
      expect.arrayContaining(["clientReady", "guildCreate", "interactionCreate"]),
    );
  });
});

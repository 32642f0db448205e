import { readdir } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { z } from "zod";
import { type Command, CommandModuleSchema, type Event, EventModuleSchema } from "./types.js";

/** `commands/` and `events/` beside `src/`, both in the sources and in the compiled `dist/`. */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const COMMANDS_DIR = join(ROOT, "commands");
export const EVENTS_DIR = join(ROOT, "events");

export class ModuleLoadError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "ModuleLoadError";
  }
}

function isModuleFile(name: string): boolean {
  const ext = extname(name);
  return (ext === ".js" || ext === ".ts") && !name.endsWith(".d.ts") && !name.endsWith(".test.ts");
}

async function loadDir(dir: string, schema: z.ZodType): Promise<Array<{ file: string; module: unknown }>> {
  const files = (await readdir(dir)).filter(isModuleFile).sort();
  const loaded: Array<{ file: string; module: unknown }> = [];
  for (const name of files) {
    const file = join(dir, name);
    let imported: { default?: unknown };
    try {
      imported = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (error) {
      throw new ModuleLoadError(
        file,
        `cannot be imported: ${error instanceof Error ? error.message : error}`,
      );
    }
    const result = schema.safeParse(imported.default);
    if (!result.success) {
      const why = result.error.issues.map((i) => `${i.path.join(".") || "default export"} ${i.message}`);
      throw new ModuleLoadError(file, `is not a valid module: ${why.join("; ")}`);
    }
    loaded.push({ file, module: imported.default });
  }
  return loaded;
}

/** Imports every command module, checks its shape and its name's uniqueness. */
export async function loadCommands(dir = COMMANDS_DIR): Promise<Map<string, Command>> {
  const commands = new Map<string, Command>();
  for (const { file, module } of await loadDir(dir, CommandModuleSchema)) {
    const command = module as Command;
    if (commands.has(command.data.name)) {
      throw new ModuleLoadError(
        file,
        `declares /${command.data.name}, which another command file declares too`,
      );
    }
    try {
      command.data.toJSON();
    } catch (error) {
      throw new ModuleLoadError(
        file,
        `has an invalid definition: ${error instanceof Error ? error.message : error}`,
      );
    }
    commands.set(command.data.name, command);
  }
  return commands;
}

export async function loadEvents(dir = EVENTS_DIR): Promise<Event[]> {
  return (await loadDir(dir, EventModuleSchema)).map(({ module }) => module as Event);
}

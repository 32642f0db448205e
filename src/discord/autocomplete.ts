import type { ApplicationCommandOptionChoiceData } from "discord.js";
import { LIMITS, truncate } from "./text.js";

const ZONES: readonly string[] = [
  "UTC",
  ...Intl.supportedValuesOf("timeZone").filter((zone) => zone !== "UTC"),
];

/** Up to 25 choices whose names start with, then contain, what was typed (case-insensitive). */
export function rankChoices(
  values: readonly string[],
  typed: string,
): ApplicationCommandOptionChoiceData<string>[] {
  const query = typed.trim().toLowerCase();
  const starts = values.filter((value) => value.toLowerCase().startsWith(query));
  const contains =
    query === ""
      ? []
      : values.filter((v) => !v.toLowerCase().startsWith(query) && v.toLowerCase().includes(query));
  return [...starts, ...contains].slice(0, LIMITS.choices).map((value) => ({
    name: truncate(value, LIMITS.choiceName),
    value: value.slice(0, LIMITS.choiceValue),
  }));
}

export function timeZoneChoices(typed: string): ApplicationCommandOptionChoiceData<string>[] {
  return rankChoices(ZONES, typed.replace(/\s+/g, "_"));
}

import type { ApplicationCommandOptionChoiceData } from "discord.js";
import { LIMITS, truncate } from "./text.js";

/**
 * Zones IANA renamed that ICU, and so Node's `Intl`, still lists under their old names: members look for
 * Kolkata, not Calcutta. Both names work as input (src/time.ts); the choices offer the current one.
 */
const RENAMED: Readonly<Record<string, string>> = {
  "Africa/Asmera": "Africa/Asmara",
  "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
  "America/Catamarca": "America/Argentina/Catamarca",
  "America/Coral_Harbour": "America/Atikokan",
  "America/Cordoba": "America/Argentina/Cordoba",
  "America/Godthab": "America/Nuuk",
  "America/Indianapolis": "America/Indiana/Indianapolis",
  "America/Jujuy": "America/Argentina/Jujuy",
  "America/Louisville": "America/Kentucky/Louisville",
  "America/Mendoza": "America/Argentina/Mendoza",
  "Asia/Calcutta": "Asia/Kolkata",
  "Asia/Katmandu": "Asia/Kathmandu",
  "Asia/Rangoon": "Asia/Yangon",
  "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Atlantic/Faeroe": "Atlantic/Faroe",
  "Europe/Kiev": "Europe/Kyiv",
  "Pacific/Enderbury": "Pacific/Kanton",
  "Pacific/Ponape": "Pacific/Pohnpei",
  "Pacific/Truk": "Pacific/Chuuk",
};

const ZONES: readonly string[] = [
  "UTC",
  ...Intl.supportedValuesOf("timeZone")
    .filter((zone) => zone !== "UTC")
    .map((zone) => RENAMED[zone] ?? zone)
    .sort(),
];
/** What each zone is found by: its name, and its old one. */
const ZONE_NAMES: ReadonlyMap<string, readonly string[]> = new Map(
  Object.entries(RENAMED).map(([old, current]) => [current, [current, old]]),
);

/**
 * Up to 25 choices whose names start with, then contain, what was typed (case-insensitive). `namesOf`
 * gives a value other names to be found by (an old name, say).
 */
export function rankChoices(
  values: readonly string[],
  typed: string,
  namesOf: (value: string) => readonly string[] = (value) => [value],
): ApplicationCommandOptionChoiceData<string>[] {
  const query = typed.trim().toLowerCase();
  const names = (value: string) => namesOf(value).map((name) => name.toLowerCase());
  const starts = values.filter((value) => names(value).some((name) => name.startsWith(query)));
  const contains =
    query === ""
      ? []
      : values.filter((value) => {
          const all = names(value);
          return !all.some((name) => name.startsWith(query)) && all.some((name) => name.includes(query));
        });
  return [...starts, ...contains].slice(0, LIMITS.choices).map((value) => ({
    name: truncate(value, LIMITS.choiceName),
    value: value.slice(0, LIMITS.choiceValue),
  }));
}

export function timeZoneChoices(typed: string): ApplicationCommandOptionChoiceData<string>[] {
  return rankChoices(ZONES, typed.replace(/\s+/g, "_"), (zone) => ZONE_NAMES.get(zone) ?? [zone]);
}

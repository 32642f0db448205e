import { DateTime, IANAZone } from "luxon";

/** luxon does the IANA/DST arithmetic; these are the few operations the bot needs. */

/**
 * Zone names already checked. luxon asks Intl on every call (about 50 µs), and every read of a guild's
 * config or a member's zone validates it; the names in use are few. Bounded, so junk input cannot grow it.
 */
const checkedZones = new Map<string, boolean>();
const CHECKED_ZONES_MAX = 1_000;

export function isValidTimeZone(name: string): boolean {
  let valid = checkedZones.get(name);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(name);
    if (checkedZones.size >= CHECKED_ZONES_MAX) checkedZones.clear();
    checkedZones.set(name, valid);
  }
  return valid;
}

const KNOWN_ZONES = new Map(
  ["UTC", ...Intl.supportedValuesOf("timeZone")].map((zone) => [zone.toLowerCase(), zone] as const),
);

/**
 * The usual spelling of a zone ("europe/paris" → "Europe/Paris"), or undefined if unknown. The name the
 * user chose is kept (ICU would turn Asia/Kolkata into its legacy alias Asia/Calcutta).
 */
export function canonicalTimeZone(name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed === "" || !isValidTimeZone(trimmed)) return undefined;
  const known = KNOWN_ZONES.get(trimmed.toLowerCase());
  if (known !== undefined) return known;
  return trimmed
    .split("/")
    .map((part) => part.replace(/(^|_)([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase()))
    .join("/");
}

export const POST_TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;

const US_DATE = /^\d\d\/\d\d\/\d{4}$/;

/** One formatter per zone in use (bounded like `checkedZones`); null for a name Intl does not know. */
const dayFormats = new Map<string, Intl.DateTimeFormat | null>();

function dayFormat(tz: string): Intl.DateTimeFormat | null {
  let format = dayFormats.get(tz);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat("en-US", {
        timeZone: tz,
        calendar: "gregory",
        numberingSystem: "latn",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
      });
    } catch {
      format = null;
    }
    if (dayFormats.size >= CHECKED_ZONES_MAX) dayFormats.clear();
    dayFormats.set(tz, format);
  }
  return format;
}

/**
 * The calendar date (YYYY-MM-DD) at instant `ms` in zone `tz`. Straight from a cached Intl formatter
 * (about 1 µs; luxon builds a DateTime for it, about 8 µs, and every journal log asks); luxon answers
 * whatever the formatter cannot (a zone spelling only luxon knows, a year outside 1000–9999).
 */
export function localDate(ms: number, tz: string): string {
  const format = dayFormat(tz);
  if (format !== null) {
    // en-US gives "MM/DD/YYYY"; checked character by character, and read from the parts otherwise.
    const text = format.format(ms);
    if (text.length === 10 && text[2] === "/" && text[5] === "/" && US_DATE.test(text)) {
      return `${text.slice(6)}-${text.slice(0, 2)}-${text.slice(3, 5)}`;
    }
    let year = "";
    let month = "";
    let day = "";
    for (const part of format.formatToParts(ms)) {
      if (part.type === "year") year = part.value;
      else if (part.type === "month") month = part.value;
      else if (part.type === "day") day = part.value;
      else if (part.type === "era") year = "";
    }
    if (year.length === 4 && month.length === 2 && day.length === 2) return `${year}-${month}-${day}`;
  }
  const date = DateTime.fromMillis(ms, { zone: tz }).toISODate();
  if (date === null) throw new Error(`invalid zone ${tz}`);
  return date;
}

/**
 * The instant when the wall clock in `tz` shows `time` (HH:MM) on `date` (YYYY-MM-DD). On a DST
 * gap the time does not exist and luxon moves it forward by the gap (02:30 → 03:30); on an overlap (the hour
 * repeated when DST ends) luxon picks the later instant, in standard time.
 */
export function zonedInstant(date: string, time: string, tz: string): number {
  const dt = DateTime.fromISO(`${date}T${time}`, { zone: tz });
  if (!dt.isValid) throw new Error(`invalid date/time ${date} ${time} ${tz}`);
  return dt.toMillis();
}

/** Adds `days` calendar days to a YYYY-MM-DD date. */
export function addDays(date: string, days: number): string {
  const next = DateTime.fromISO(date, { zone: "UTC" }).plus({ days }).toISODate();
  if (next === null) throw new Error(`invalid date ${date}`);
  return next;
}

/** Whole calendar days from `a` to `b` (YYYY-MM-DD), negative when b is before a. */
export function daysBetween(a: string, b: string): number {
  const from = DateTime.fromISO(a, { zone: "UTC" });
  const to = DateTime.fromISO(b, { zone: "UTC" });
  return Math.round(to.diff(from, "days").days);
}

/** Offset of `tz` from UTC in minutes at instant `ms` (e.g. +60 for Paris in winter). */
export function utcOffsetMinutes(ms: number, tz: string): number {
  return DateTime.fromMillis(ms, { zone: tz }).offset;
}

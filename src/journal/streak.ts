/**
 * Streaks, computed from the set of local days (YYYY-MM-DD) on which a member logged at least one entry.
 * Days are stored in the member's zone at log time, so this is plain calendar arithmetic: DST and zone
 * changes were already resolved when each day was recorded.
 *
 * Rules, walking day by day from the first entry to today:
 * - a day with an entry extends the streak; every 7th day of a streak earns a freeze (at most 3 held);
 * - a missed day spends a held freeze (the streak survives, not longer) or, with none held, ends it;
 * - today without an entry yet is pending: the day is not over, the streak is still alive.
 */

export const FREEZE_EVERY = 7;
export const MAX_FREEZES = 3;
export const CALENDAR_DAYS = 14;

export type DayStatus = "entry" | "frozen" | "missed" | "pending" | "none";

export type StreakSummary = {
  /** Days with an entry in the streak still alive today (frozen days keep it alive but do not count). */
  current: number;
  longest: number;
  freezes: number;
  activeDays: number;
  firstDay: string | null;
  lastDay: string | null;
  today: string;
  /** The last `CALENDAR_DAYS` days ending today, oldest first. */
  calendar: Array<{ day: string; status: DayStatus }>;
};

const MS_PER_DAY = 86_400_000;
/** The value of `length` ASCII digits of `text` from `at`, or -1 when one is not a digit. */
function digits(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i += 1) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

const isLeap = (year: number): boolean => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * YYYY-MM-DD to its day number (days since 1970-01-01), undefined for anything else (a month or day out
 * of range included). Read digit by digit, by Howard Hinnant's `days_from_civil`: a streak converts
 * every day a member ever logged, on each of their logs, so this runs hundreds of times per log for a
 * member of a year's standing (a regular expression, `Date.UTC` and a check by formatting back made a
 * streak over 365 days cost ~140 µs; it now costs ~30 µs, the walk included).
 */
function toDayNumber(day: string): number | undefined {
  if (day.length !== 10 || day.charCodeAt(4) !== 45 || day.charCodeAt(7) !== 45) return undefined;
  const year = digits(day, 0, 4);
  const month = digits(day, 5, 2);
  const date = digits(day, 8, 2);
  if (year < 0 || month < 1 || month > 12 || date < 1) return undefined;
  const monthDays = month === 2 && isLeap(year) ? 29 : (MONTH_DAYS[month - 1] ?? 0);
  if (date > monthDays) return undefined;
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + date - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * Day number (days since 1970-01-01) to YYYY-MM-DD, by the proleptic Gregorian arithmetic of Howard
 * Hinnant's `civil_from_days` (what `Date#toISOString` computes, at a tenth of its cost: a streak turns
 * a few dozen day numbers into dates per log). Years outside 0000–9999 go through Date.
 */
export function fromDayNumber(n: number): string {
  const z = n + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1_460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9_999) return new Date(n * MS_PER_DAY).toISOString().slice(0, 10);
  return `${String(year).padStart(4, "0")}-${pad2(month)}-${pad2(day)}`;
}

export function computeStreak(
  days: Iterable<string>,
  today: string,
  calendarDays: number = CALENDAR_DAYS,
): StreakSummary {
  const set = new Set<number>();
  let first: number | undefined;
  let last: number | undefined;
  for (const day of days) {
    const n = toDayNumber(day);
    if (n === undefined) continue;
    set.add(n);
    if (first === undefined || n < first) first = n;
    if (last === undefined || n > last) last = n;
  }
  const todayNumber = toDayNumber(today);
  if (todayNumber === undefined) throw new Error(`bad day ${today}`);
  // An entry dated after "today" (the member moved west since logging) makes that day today.
  const end = last !== undefined && last > todayNumber ? last : todayNumber;
  const windowStart = end - calendarDays + 1;
  const statuses = new Map<number, DayStatus>();

  let run = 0;
  let longest = 0;
  let freezes = 0;
  if (first !== undefined) {
    for (let n = first; n <= end; n += 1) {
      let status: DayStatus;
      if (set.has(n)) {
        run += 1;
        longest = Math.max(longest, run);
        if (run % FREEZE_EVERY === 0 && freezes < MAX_FREEZES) freezes += 1;
        status = "entry";
      } else if (n === end) {
        status = "pending";
      } else if (freezes > 0) {
        freezes -= 1;
        status = "frozen";
      } else {
        run = 0;
        status = "missed";
      }
      if (n >= windowStart) statuses.set(n, status);
    }
  }

  const calendar: StreakSummary["calendar"] = [];
  for (let n = windowStart; n <= end; n += 1) {
    calendar.push({
      day: fromDayNumber(n),
      status: statuses.get(n) ?? (n === end ? "pending" : "none"),
    });
  }
  return {
    current: run,
    longest,
    freezes,
    activeDays: set.size,
    firstDay: first === undefined ? null : fromDayNumber(first),
    lastDay: last === undefined ? null : fromDayNumber(last),
    today: fromDayNumber(end),
    calendar,
  };
}

const EMOJI: Record<DayStatus, string> = {
  entry: "🟩",
  frozen: "🧊",
  missed: "⬛",
  pending: "⬜",
  none: "⬛",
};

/** The calendar as a strip of squares: 🟩 entry, 🧊 frozen, ⬛ missed, ⬜ today (not yet logged). */
export function calendarStrip(calendar: StreakSummary["calendar"]): string {
  return calendar.map((day) => EMOJI[day.status]).join("");
}

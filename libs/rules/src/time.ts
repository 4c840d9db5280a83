import { WEEKDAYS } from './facts';

/** A weekday as rule files spell it. */
export type Weekday = (typeof WEEKDAYS)[number];

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Parses `90s`, `15m`, `1h30m`, `2d` into milliseconds; null when it is not a duration. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim() === '') return null;
  const [, d, h, m, s] = match;
  return (
    Number(d ?? 0) * UNIT_MS.d! +
    Number(h ?? 0) * UNIT_MS.h! +
    Number(m ?? 0) * UNIT_MS.m! +
    Number(s ?? 0) * UNIT_MS.s!
  );
}

/** `HH:MM` (00:00–24:00) as minutes after midnight; null when malformed. */
export function parseClock(text: string): number | null {
  const match = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text);
  if (!match) return null;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  return minutes <= 24 * 60 ? minutes : null;
}

/** Wall-clock parts of an instant in a time zone. */
export interface LocalTime {
  weekday: Weekday;
  hour: number;
  minute: number;
  /** `HH:MM`. */
  time: string;
  /** `YYYY-MM-DD`. */
  date: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The local wall-clock time of `at` in `timeZone`. Computed from the zone's rules for that very
 * instant, so it is right on both sides of a DST change (a 02:30 that does not exist is never
 * produced; a repeated 02:30 is produced twice, an hour apart).
 */
export function localTime(at: number, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(at)) parts[part.type] = part.value;
  const hour = Number(parts.hour);
  const minute = Number(parts.minute);
  return {
    weekday: (parts.weekday ?? 'Mon').toLowerCase() as Weekday,
    hour,
    minute,
    time: `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`,
    date: `${parts.year}-${parts.month}-${parts.day}`,
  };
}

/** A weekly window such as a shift or business hours; `to` before `from` runs past midnight. */
export interface WeeklyWindow {
  days: readonly Weekday[];
  /** Minutes after local midnight. */
  from: number;
  to: number;
}

/** A named calendar: weekly windows, minus holidays. */
export interface Calendar {
  name: string;
  weekly: readonly WeeklyWindow[];
  /** `YYYY-MM-DD` local dates on which the calendar is closed all day. */
  holidays: ReadonlySet<string>;
}

/** Whether `at` falls inside `calendar`, in local time of `timeZone`. */
export function inCalendar(calendar: Calendar, at: number, timeZone: string): boolean {
  const now = localTime(at, timeZone);
  if (calendar.holidays.has(now.date)) return false;
  const minutes = now.hour * 60 + now.minute;
  const today = now.weekday;
  const yesterday = WEEKDAYS[(WEEKDAYS.indexOf(today) + 6) % 7]!;
  return calendar.weekly.some((window) => {
    if (window.from <= window.to)
      return window.days.includes(today) && minutes >= window.from && minutes < window.to;
    // Overnight: the evening part belongs to the listed day, the early hours to the day after.
    return (
      (window.days.includes(today) && minutes >= window.from) ||
      (window.days.includes(yesterday) && minutes < window.to)
    );
  });
}

/** Whether local `HH:MM` lies in [from, to), wrapping past midnight when `to` < `from`. */
export function timeBetween(time: string, from: string, to: string): boolean {
  const t = parseClock(time);
  const a = parseClock(from);
  const b = parseClock(to);
  if (t === null || a === null || b === null) return false;
  return a <= b ? t >= a && t < b : t >= a || t < b;
}

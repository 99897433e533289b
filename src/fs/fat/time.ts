/**
 * FAT timestamps. Each is a 16-bit date (years since 1980, month, day) and
 * a 16-bit time (hours, minutes, seconds / 2) in *local* time with no zone:
 * the modification time has 2-second steps, the creation time adds a byte
 * of 10 ms units (0..199, so it reaches odd seconds), the access time is a
 * date only. What local time means is a mount option here as in Linux
 * (`tz`: minutes east of UTC; default 0, UTC, which is what mtools and
 * 7-Zip assume when TZ=UTC). Times outside 1980-01-01 .. 2107-12-31
 * 23:59:58 are clamped to that range, as Linux does.
 */
import type { Timespec } from '../time.js';

export interface DosTime {
  date: number;
  time: number;
  /** 10 ms units past the 2-second time (creation time only), 0..199. */
  cs: number;
}

const MIN_MS = Date.UTC(1980, 0, 1, 0, 0, 0);
const MAX_MS = Date.UTC(2107, 11, 31, 23, 59, 58);

/** Seconds since the epoch of a FAT date and time read in a zone `tzMinutes` east of UTC. */
export function fatToUnix(date: number, time: number, cs: number, tzMinutes: number): Timespec {
  const year = 1980 + (date >> 9);
  const month = Math.max(1, (date >> 5) & 0x0f);
  const day = Math.max(1, date & 0x1f);
  const hour = time >> 11;
  const minute = (time >> 5) & 0x3f;
  const sec2 = (time & 0x1f) * 2;
  const extra = Math.min(cs, 199);
  const ms = Date.UTC(year, month - 1, day, hour, minute, sec2) - tzMinutes * 60_000;
  const sec = Math.floor(ms / 1000) + Math.floor(extra / 100);
  return { sec, nsec: (extra % 100) * 10_000_000 };
}

/** A time as FAT stores it in a zone `tzMinutes` east of UTC, clamped to FAT's range. */
export function unixToFat(t: Timespec, tzMinutes: number): DosTime {
  let ms = t.sec * 1000 + Math.floor(t.nsec / 1e6) + tzMinutes * 60_000;
  if (!Number.isFinite(ms) || ms < MIN_MS) ms = MIN_MS;
  if (ms > MAX_MS + 1990) ms = MAX_MS + 1990;
  const d = new Date(ms);
  const date = ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  const s = d.getUTCSeconds();
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (s >> 1);
  const cs = (s & 1) * 100 + Math.floor(d.getUTCMilliseconds() / 10);
  return { date, time, cs };
}

/** A time truncated to what the modification time field keeps (2 s steps, FAT range). */
export function fatMtime(t: Timespec, tzMinutes: number): Timespec {
  const f = unixToFat(t, tzMinutes);
  return fatToUnix(f.date, f.time, 0, tzMinutes);
}

/** A time truncated to what the creation time keeps (10 ms steps). */
export function fatCrtime(t: Timespec, tzMinutes: number): Timespec {
  const f = unixToFat(t, tzMinutes);
  return fatToUnix(f.date, f.time, f.cs, tzMinutes);
}

/** A time truncated to the access date (local midnight). */
export function fatAdate(t: Timespec, tzMinutes: number): Timespec {
  return fatToUnix(unixToFat(t, tzMinutes).date, 0, 0, tzMinutes);
}

/**
 * Parses the `tz` option: 'UTC', minutes east of UTC ('120', '-300'), or
 * an offset like '+02:00' / '-0530'. Returns minutes east of UTC.
 */
export function parseTzOption(v: string | boolean | undefined): number | undefined {
  if (v === undefined || v === false) return undefined;
  const s = String(v).trim();
  if (/^utc$/i.test(s) || s === 'Z') return 0;
  if (/^[+-]?\d+$/.test(s)) return Number(s);
  const m = /^([+-])(\d{1,2}):?(\d{2})$/.exec(s);
  if (m) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  return NaN;
}

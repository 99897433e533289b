/**
 * ISO 9660 timestamps: the 7-byte binary form of directory records
 * (ECMA-119 9.1.5) and the 17-byte digit form of volume descriptors
 * (8.4.26.1), which Rock Ridge TF also uses with its LONG_FORM flag.
 * Both end in a signed offset from GMT in 15-minute steps; like Linux
 * (iso_date) we apply it only inside ±52 (13 hours) and ignore anything
 * else, because writers have been seen storing garbage there
 * (genisoimage writes -96 for years past 2038).
 */
import type { Timespec } from '../time.js';

const MAX_OFFSET = 52;

/**
 * Seconds since the epoch of a UTC calendar time, by plain arithmetic (days
 * from the civil date, proleptic Gregorian), which is much cheaper than a
 * Date per directory record. Out-of-range months and days roll over as
 * Date.UTC would roll them.
 */
function utcSeconds(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const m0 = month - 1;
  const y = year + Math.floor(m0 / 12);
  const m = m0 - Math.floor(m0 / 12) * 12 + 1;
  // Days from 1970-01-01 to y-m-01 (March-based year so leap days come last).
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5);
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146097 + doe - 719468 + (day - 1);
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

function gmtOffsetSeconds(byte: number): number {
  const q = byte >= 128 ? byte - 256 : byte;
  return q >= -MAX_OFFSET && q <= MAX_OFFSET ? q * 15 * 60 : 0;
}

/**
 * The 7-byte form: years since 1900, month, day, hour, minute, second,
 * GMT offset. All zeros means "not recorded": undefined.
 */
export function parseShortDate(b: Uint8Array, off: number): Timespec | undefined {
  if (off + 7 > b.length) return undefined;
  let zero = true;
  for (let i = 0; i < 7; i++) if (b[off + i] !== 0) zero = false;
  if (zero) return undefined;
  const sec = utcSeconds(1900 + b[off]!, b[off + 1]!, b[off + 2]!, b[off + 3]!, b[off + 4]!, b[off + 5]!);
  return { sec: sec - gmtOffsetSeconds(b[off + 6]!), nsec: 0 };
}

/**
 * The 17-byte form: 'YYYYMMDDHHMMSScc' in ASCII digits (cc = hundredths)
 * and the GMT offset byte. All-'0' digits mean "not recorded"; anything
 * that is not digits gives undefined too.
 */
export function parseLongDate(b: Uint8Array, off: number): Timespec | undefined {
  if (off + 17 > b.length) return undefined;
  const digits: number[] = [];
  let allZero = true;
  for (let i = 0; i < 16; i++) {
    const c = b[off + i]!;
    if (c < 0x30 || c > 0x39) return undefined;
    if (c !== 0x30) allZero = false;
    digits.push(c - 0x30);
  }
  if (allZero) return undefined;
  const num = (from: number, n: number): number => digits.slice(from, from + n).reduce((v, d) => v * 10 + d, 0);
  const sec = utcSeconds(num(0, 4), num(4, 2), num(6, 2), num(8, 2), num(10, 2), num(12, 2));
  return { sec: sec - gmtOffsetSeconds(b[off + 16]!), nsec: num(14, 2) * 10_000_000 };
}

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

/** Seconds since the epoch of a UTC calendar time (years below 100 stay literal, unlike Date.UTC). */
function utcSeconds(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return Math.floor(d.getTime() / 1000);
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

/**
 * Evaluates catalogue data (types.ts) against a device: numbers, offsets and
 * checks. Nothing here throws on hostile bytes: an unreadable field, an
 * offset outside the device or arithmetic that leaves the safe-integer range
 * gives `undefined`, and a check on `undefined` fails.
 */
import type { Check, Compare, IntType, Num, Offset, Read } from './types.js';
import type { RegionCache } from './region-cache.js';

const INT_TYPES: readonly IntType[] = ['u8', 'u16le', 'u16be', 'u32le', 'u32be', 'u64le', 'u64be', 'u16', 'u32', 'u64'];

/** What a signature's checks and fields are evaluated in. */
export interface Scope {
  cache: RegionCache;
  /** Absolute offset that relative offsets start from. */
  base: number;
  endian: 'le' | 'be';
  vars: Map<string, number>;
  /** Does another catalogue entry match this device? (memoised by the caller) */
  matches(id: string): Promise<boolean>;
}

export function intWidth(t: IntType): number {
  if (t === 'u8') return 1;
  if (t.startsWith('u16')) return 2;
  if (t.startsWith('u32')) return 4;
  return 8;
}

/** The integer type a Read names (its only key among INT_TYPES). */
export function readType(r: object): IntType | undefined {
  for (const t of INT_TYPES) if (t in r) return t;
  return undefined;
}

function safe(n: number): number | undefined {
  return Number.isSafeInteger(n) ? n : undefined;
}

export async function evalOffset(o: Offset, s: Scope): Promise<number | undefined> {
  if (typeof o === 'object' && 'end' in o) {
    const n = await evalNum(o.end, s);
    return n === undefined ? undefined : safe(s.cache.size - n);
  }
  if (typeof o === 'object' && 'abs' in o) return evalNum(o.abs, s);
  const n = await evalNum(o, s);
  return n === undefined ? undefined : safe(s.base + n);
}

export async function readInt(t: IntType, at: number | undefined, s: Scope): Promise<number | undefined> {
  if (at === undefined) return undefined;
  const w = intWidth(t);
  const b = await s.cache.bytes(at, w);
  if (!b || b.length < w) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, w);
  const le = t.endsWith('le') ? true : t.endsWith('be') ? false : s.endian === 'le';
  switch (w) {
    case 1:
      return b[0]!;
    case 2:
      return v.getUint16(0, le);
    case 4:
      return v.getUint32(0, le);
    default: {
      const lo = v.getUint32(le ? 0 : 4, le);
      const hi = v.getUint32(le ? 4 : 0, le);
      // Above 2^53 the value is rounded; every use of such a value is a bounds failure anyway.
      return hi * 0x1_0000_0000 + lo;
    }
  }
}

export async function evalNum(n: Num, s: Scope): Promise<number | undefined> {
  if (typeof n === 'number') return n;
  if (n === 'size') return s.cache.size;
  if (n === 'sectorSize') return s.cache.sectorSize;
  if ('var' in n) return s.vars.get(n.var);
  if ('add' in n) {
    let sum = 0;
    for (const x of n.add) {
      const v = await evalNum(x, s);
      if (v === undefined) return undefined;
      sum += v;
    }
    return safe(sum);
  }
  if ('mul' in n) {
    let p = 1;
    for (const x of n.mul) {
      const v = await evalNum(x, s);
      if (v === undefined) return undefined;
      p *= v;
    }
    return safe(p);
  }
  if ('sub' in n) {
    const a = await evalNum(n.sub[0], s);
    const b = await evalNum(n.sub[1], s);
    return a === undefined || b === undefined ? undefined : safe(a - b);
  }
  if ('div' in n) {
    const a = await evalNum(n.div[0], s);
    const b = await evalNum(n.div[1], s);
    return a === undefined || b === undefined || b === 0 ? undefined : Math.floor(a / b);
  }
  if ('shl' in n) {
    const a = await evalNum(n.shl[0], s);
    const b = await evalNum(n.shl[1], s);
    if (a === undefined || b === undefined || b < 0 || b > 63) return undefined;
    return safe(a * 2 ** b);
  }
  if ('and' in n) {
    const a = await evalNum(n.and[0], s);
    return a === undefined ? undefined : andBits(a, n.and[1]);
  }
  if ('alignDown' in n) {
    const a = await evalNum(n.alignDown[0], s);
    const m = n.alignDown[1];
    return a === undefined || m <= 0 ? undefined : a - (a % m);
  }
  const t = readType(n);
  if (!t) return undefined;
  const at = await evalOffset((n as Record<string, Offset>)[t]!, s);
  return readInt(t, at, s);
}

/** a & mask for values up to 2^53 (JS bitwise operators are 32-bit). */
function andBits(a: number, mask: number): number {
  if (a <= 0xffffffff && mask <= 0xffffffff) return (a & mask) >>> 0;
  return Number(BigInt(Math.trunc(a)) & BigInt(Math.trunc(mask)));
}

async function compare(v: number | undefined, c: Compare, s: Scope): Promise<boolean> {
  if (v === undefined) return false;
  if (c.mask !== undefined) v = andBits(v, c.mask);
  if (c.is !== undefined) {
    const want = await evalNum(c.is, s);
    if (want === undefined || v !== want) return false;
  }
  if (c.isNot !== undefined) {
    const no = await evalNum(c.isNot, s);
    if (no === undefined || v === no) return false;
  }
  if (c.oneOf !== undefined && !c.oneOf.includes(v)) return false;
  if (c.min !== undefined) {
    const m = await evalNum(c.min, s);
    if (m === undefined || v < m) return false;
  }
  if (c.max !== undefined) {
    const m = await evalNum(c.max, s);
    if (m === undefined || v > m) return false;
  }
  if (c.anyBits !== undefined && andBits(v, c.anyBits) === 0) return false;
  if (c.noBits !== undefined && andBits(v, c.noBits) !== 0) return false;
  if (c.allBits !== undefined && andBits(v, c.allBits) !== c.allBits) return false;
  if (c.powerOf2 && (v <= 0 || andBits(v, v - 1) !== 0)) return false;
  return true;
}

const hexCache = new Map<string, Uint8Array>();

export function parseHex(hex: string): Uint8Array {
  let b = hexCache.get(hex);
  if (!b) {
    const clean = hex.replace(/\s+/g, '');
    b = new Uint8Array(clean.length >> 1);
    for (let i = 0; i < b.length; i++) b[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
    hexCache.set(hex, b);
  }
  return b;
}

function latin1Bytes(text: string): Uint8Array {
  const b = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i) & 0xff;
  return b;
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

export async function evalCheck(c: Check, s: Scope): Promise<boolean> {
  if ('all' in c) {
    for (const x of c.all) if (!(await evalCheck(x, s))) return false;
    return true;
  }
  if ('any' in c) {
    for (const x of c.any) if (await evalCheck(x, s)) return true;
    return false;
  }
  if ('not' in c) return !(await evalCheck(c.not, s));
  if ('format' in c) return s.matches(c.format);
  if ('minSize' in c) {
    const m = await evalNum(c.minSize, s);
    return m !== undefined && s.cache.size >= m;
  }
  if ('at' in c) {
    const want = 'hex' in c ? parseHex(c.hex) : latin1Bytes(c.ascii);
    const at = await evalOffset(c.at, s);
    if (at === undefined) return false;
    const got = await s.cache.bytes(at, want.length);
    if (!got) return false;
    const caseless = 'caseless' in c && c.caseless;
    for (let i = 0; i < want.length; i++) {
      if (caseless ? lower(got[i]!) !== lower(want[i]!) : got[i] !== want[i]) return false;
    }
    return true;
  }
  if ('num' in c) return compare(await evalNum(c.num, s), c, s);
  const t = readType(c);
  if (!t) return false;
  const at = await evalOffset((c as Read & Record<string, Offset>)[t] as Offset, s);
  return compare(await readInt(t, at, s), c, s);
}

/**
 * Bits of evidence a check gives, to order matches: a 4-byte magic is 32, a
 * masked field counts its mask bits, ranges and flags count little.
 */
export function checkBits(c: Check): number {
  if ('all' in c) return c.all.reduce((n, x) => n + checkBits(x), 0);
  if ('any' in c) return c.any.length ? Math.min(...c.any.map(checkBits)) : 0;
  if ('not' in c || 'format' in c || 'minSize' in c) return 0;
  if ('hex' in c) return parseHex(c.hex).length * 8;
  if ('ascii' in c) return c.ascii.length * (c.caseless ? 6 : 8);
  const t = 'num' in c ? undefined : readType(c);
  const width = t ? intWidth(t) * 8 : 8;
  let bits = 0;
  if (c.is !== undefined) bits += c.mask !== undefined ? popcount(c.mask) : width;
  if (c.oneOf !== undefined) bits += Math.max(1, width - Math.ceil(Math.log2(c.oneOf.length + 1)) - width / 2);
  if (c.min !== undefined || c.max !== undefined) bits += 2;
  if (c.anyBits !== undefined || c.noBits !== undefined || c.allBits !== undefined || c.powerOf2) bits += 1;
  return bits;
}

function popcount(m: number): number {
  let n = 0;
  for (let x = m; x > 0; x = Math.floor(x / 2)) n += x & 1;
  return n;
}

/** Confidence from evidence bits: 16 bits ≈ 0.36, 32 ≈ 0.52, 64 ≈ 0.84, capped at 0.9. */
export function confidenceFromBits(bits: number): number {
  return Math.round(Math.min(0.9, Math.max(0.2, 0.2 + bits / 100)) * 100) / 100;
}

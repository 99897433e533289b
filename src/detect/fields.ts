/**
 * Reads an entry's fields (label, uuid, version, size …) and prints them the
 * way blkid does, so results compare one to one with `blkid -p`.
 */
import { utf8Decoder } from '../binary/reader.js';
import { evalCheck, evalNum, evalOffset, type Scope } from './evaluate.js';
import type { Fields, Flags, Join, Named, Num, Text, Uuid, Value } from './types.js';

export interface FieldValues {
  label?: string;
  uuid?: string;
  version?: string;
  size?: number;
  blockSize?: number;
  details?: Record<string, unknown>;
  warnings?: string[];
}

export async function readFields(f: Fields, s: Scope): Promise<FieldValues> {
  const out: FieldValues = {};
  if (f.label) {
    const l = await readText(f.label, s);
    if (l) out.label = l;
  }
  if (f.uuid) {
    const u = 'join' in f.uuid ? await readJoin(f.uuid, s) : await readUuid(f.uuid, s);
    if (u && !/^[0-]+$/.test(u)) out.uuid = u;
  }
  if (f.version !== undefined) {
    const v = await readValue(f.version, s);
    if (v !== undefined && v !== '') out.version = String(v);
  }
  if (f.size !== undefined) {
    const n = await evalNum(f.size, s);
    if (n !== undefined && n >= 0) out.size = n;
  }
  if (f.blockSize !== undefined) {
    const n = await evalNum(f.blockSize, s);
    if (n !== undefined && n > 0) out.blockSize = n;
  }
  if (f.details) {
    const d: Record<string, unknown> = {};
    for (const [k, spec] of Object.entries(f.details)) {
      const v = await readValue(spec, s);
      if (v !== undefined && v !== '') d[k] = v;
    }
    if (Object.keys(d).length) out.details = d;
  }
  if (f.warnings) {
    const w: string[] = [];
    for (const { when, text } of f.warnings) if (await evalCheck(when, s)) w.push(text);
    if (w.length) out.warnings = w;
  }
  return out;
}

export async function readValue(v: Value, s: Scope): Promise<string | number | string[] | undefined> {
  if (v === 'size' || v === 'sectorSize') return evalNum(v, s);
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return v;
  if ('join' in v) return readJoin(v, s);
  if ('hex' in v) return readJoin({ join: [v] }, s);
  if ('names' in v && 'num' in v) return readNamed(v, s);
  if ('flags' in v) return readFlags(v, s);
  if ('format' in v && 'at' in v) return readUuid(v, s);
  if ('len' in v && 'at' in v) return readText(v as Text, s);
  return evalNum(v, s);
}

async function readJoin(j: Join, s: Scope): Promise<string | undefined> {
  let out = '';
  for (const part of j.join) {
    if (typeof part === 'string') out += part;
    else if (typeof part === 'object' && 'hex' in part) {
      const v = await evalNum(part.hex, s);
      if (v === undefined) return undefined;
      out += v.toString(16).padStart(part.digits ?? 0, '0');
    } else {
      const v = typeof part === 'object' && 'len' in part ? await readText(part as Text, s) : await evalNum(part as Num, s);
      if (v === undefined) return undefined;
      out += String(v);
    }
  }
  return out;
}

async function readNamed(n: Named, s: Scope): Promise<string | undefined> {
  const v = await evalNum(n.num, s);
  if (v === undefined) return undefined;
  const name = n.names[v];
  return name ?? (n.strict ? undefined : String(v));
}

async function readFlags(f: Flags, s: Scope): Promise<string[] | undefined> {
  const v = await evalNum(f.flags, s);
  if (v === undefined) return undefined;
  const out: string[] = [];
  let known = 0n;
  const big = BigInt(v);
  for (const [bit, name] of Object.entries(f.names)) {
    const b = BigInt(bit);
    known |= b;
    if ((big & b) === b && b !== 0n) out.push(name);
  }
  const rest = big & ~known;
  if (rest) out.push(`0x${rest.toString(16)}`);
  return out;
}

export async function readText(t: Text, s: Scope): Promise<string | undefined> {
  const at = await evalOffset(t.at, s);
  const len = await evalNum(t.len, s);
  if (at === undefined || len === undefined || len <= 0) return undefined;
  const b = await s.cache.bytes(at, len);
  if (!b) return undefined;
  const text = decodeText(b, t.enc ?? 'ascii');
  const trimmed = t.raw ? text : text.replace(/[\s\0]+$/u, '');
  return trimmed === '' ? undefined : trimmed;
}

export function decodeText(b: Uint8Array, enc: string): string {
  if (enc === 'utf16le' || enc === 'utf16be') {
    const le = enc === 'utf16le';
    const units: number[] = [];
    for (let i = 0; i + 1 < b.length; i += 2) {
      const c = le ? b[i]! | (b[i + 1]! << 8) : (b[i]! << 8) | b[i + 1]!;
      if (c === 0) break;
      units.push(c);
    }
    return String.fromCharCode(...units);
  }
  let end = b.indexOf(0);
  if (end < 0) end = b.length;
  if (enc === 'utf8') return utf8Decoder.decode(b.subarray(0, end));
  let s = '';
  for (let i = 0; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

export async function readUuid(u: Uuid, s: Scope): Promise<string | undefined> {
  const at = await evalOffset(u.at, s);
  if (at === undefined) return undefined;
  const len = u.format === 'serial4' || u.format === 'hex32le' ? 4 : u.format === 'serial8' ? 8 : u.format === 'lvm' ? 32 : u.len ?? 16;
  const b = await s.cache.bytes(at, len);
  if (!b) return undefined;
  return formatUuid(b, u.format);
}

/** Prints id bytes as blkid does; undefined for the "unset" forms blkid skips (all zero). */
export function formatUuid(b: Uint8Array, format: Uuid['format']): string | undefined {
  switch (format) {
    case 'uuid':
    case 'guid': {
      if (b.length < 16 || b.every((x) => x === 0)) return undefined;
      const o = format === 'guid' ? [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15] : [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
      const h = o.map((i) => hex2(b[i]!));
      return `${h.slice(0, 4).join('')}-${h.slice(4, 6).join('')}-${h.slice(6, 8).join('')}-${h.slice(8, 10).join('')}-${h.slice(10).join('')}`;
    }
    case 'serial4':
      return `${hex2(b[3]!)}${hex2(b[2]!)}-${hex2(b[1]!)}${hex2(b[0]!)}`.toUpperCase();
    case 'serial8':
      return Array.from(b.subarray(0, 8)).reverse().map(hex2).join('').toUpperCase();
    case 'hex32le': {
      const v = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
      return v === 0 ? undefined : v.toString(16).padStart(8, '0');
    }
    case 'hex':
      return b.every((x) => x === 0) ? undefined : Array.from(b).map(hex2).join('');
    case 'text': {
      const t = decodeText(b, 'latin1').trim();
      return t === '' ? undefined : t;
    }
    case 'lvm': {
      const t = decodeText(b, 'latin1');
      if (t.length !== 32) return undefined;
      const cuts = [6, 4, 4, 4, 4, 4, 6];
      const parts: string[] = [];
      let i = 0;
      for (const n of cuts) {
        parts.push(t.slice(i, i + n));
        i += n;
      }
      return parts.join('-');
    }
    case 'md': {
      if (b.length < 16 || b.every((x) => x === 0)) return undefined;
      const h = Array.from(b.subarray(0, 16)).map(hex2).join('');
      return `${h.slice(0, 8)}:${h.slice(8, 16)}:${h.slice(16, 24)}:${h.slice(24, 32)}`;
    }
    case 'isodate': {
      const t = decodeText(b.subarray(0, 16), 'latin1');
      if (!/^[0-9]{16}$/.test(t) || /^0+$/.test(t)) return undefined;
      return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}-${t.slice(8, 10)}-${t.slice(10, 12)}-${t.slice(12, 14)}-${t.slice(14, 16)}`;
    }
  }
}

/**
 * Names on FAT: which long names are legal, how names compare (case-
 * insensitively), how a short 8.3 name is shown, and how one is made for a
 * new long name (Microsoft's basis-name algorithm with numeric tails).
 */
import { FsError } from '../../errors.js';
import type { OemCodepage } from './codepage.js';
import { CASE_LOWER_BASE, CASE_LOWER_EXT, E5_ESCAPE } from './dirent.js';

const F = 'fat';
/** Longest long name, in UTF-16 units. */
export const MAX_LFN_UNITS = 255;
/** Characters no FAT name may hold (besides control characters). */
const FORBIDDEN = new Set(['"', '*', '/', ':', '<', '>', '?', '\\', '|']);
/** Characters a long name may hold but a short name may not. */
const LONG_ONLY = new Set(['+', ',', ';', '=', '[', ']']);

/** EINVAL for a name FAT cannot hold, ENAMETOOLONG past 255 UTF-16 units. */
export function checkLongName(op: string, name: string): void {
  if (name.length === 0 || name === '.' || name === '..') throw new FsError('EINVAL', `${F}: ${op}: invalid name '${name}'`);
  if (name.length > MAX_LFN_UNITS) throw new FsError('ENAMETOOLONG', `${F}: ${op}: name longer than ${MAX_LFN_UNITS} UTF-16 units`);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || FORBIDDEN.has(name[i]!)) {
      throw new FsError('EINVAL', `${F}: ${op}: '${printable(name)}': FAT names cannot hold ${c < 0x20 || c === 0x7f ? 'control characters' : `'${name[i]}'`}`);
    }
  }
  // Windows and Linux drop trailing dots, so such a name could never be found again as given.
  if (name.endsWith('.')) throw new FsError('EINVAL', `${F}: ${op}: '${name}': FAT names cannot end with a dot`);
}

export function printable(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const foldCache = new Map<string, string>();

/** Simple case folding of one UTF-16 unit or surrogate pair; a multi-character mapping keeps the character. */
function foldChar(ch: string): string {
  let f = foldCache.get(ch);
  if (f !== undefined) return f;
  const up = ch.toUpperCase();
  const base = [...up].length === 1 ? up : ch;
  const low = base.toLowerCase();
  f = [...low].length === 1 ? low : ch.toLowerCase().length === ch.length ? ch.toLowerCase() : ch;
  if (foldCache.size < 4096) foldCache.set(ch, f);
  return f;
}

/** The key two names share when they differ only in case (Unicode simple case folding). */
export function foldName(name: string): string {
  let ascii = true;
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return name.toLowerCase();
  let out = '';
  for (const ch of name) out += foldChar(ch);
  return out;
}

/** How an 11-byte short name is shown: "BASE.EXT", with the NT lower-case bits applied. */
export function decodeShortName(raw: Uint8Array, ntCase: number, cp: OemCodepage): string {
  const bytes = raw.slice(0, 11);
  if (bytes[0] === E5_ESCAPE) bytes[0] = 0xe5;
  let baseEnd = 8;
  while (baseEnd > 0 && bytes[baseEnd - 1] === 0x20) baseEnd--;
  let extEnd = 11;
  while (extEnd > 8 && bytes[extEnd - 1] === 0x20) extEnd--;
  let base = cp.decode(bytes.subarray(0, baseEnd));
  let ext = cp.decode(bytes.subarray(8, extEnd));
  if (ntCase & CASE_LOWER_BASE) base = base.toLowerCase();
  if (ntCase & CASE_LOWER_EXT) ext = ext.toLowerCase();
  return ext ? `${base}.${ext}` : base;
}

/** The 11 bytes as text for comparisons (the padded form, upper case as stored). */
export function shortKey(raw: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 11; i++) s += String.fromCharCode(i === 0 && raw[0] === E5_ESCAPE ? 0xe5 : raw[i]!);
  return s;
}

export interface ShortNameChoice {
  /** 11 bytes, space padded, first byte 0xE5 already escaped as 0x05. */
  raw: Uint8Array;
  ntCase: number;
  /** True when the short entry alone does not give back the name exactly. */
  needsLfn: boolean;
}

interface Part {
  bytes: number[];
  lossy: boolean;
  hasUpper: boolean;
  hasLower: boolean;
}

function convert(s: string, cp: OemCodepage): Part {
  const p: Part = { bytes: [], lossy: false, hasUpper: false, hasLower: false };
  for (const ch of s) {
    if (ch === ' ' || ch === '.') {
      p.lossy = true; // spaces and inner dots are dropped
      continue;
    }
    const up = ch.toUpperCase();
    if (up !== ch) p.hasLower = true;
    else if (ch.toLowerCase() !== ch) p.hasUpper = true;
    const code = up.length === 1 ? cp.encodeChar(up) : -1;
    if (ch.charCodeAt(0) >= 0x80) p.lossy = true; // non-ASCII names always keep a long name
    if (code < 0 || LONG_ONLY.has(ch) || code < 0x20 || code === 0x7f) {
      p.bytes.push(0x5f); // '_'
      p.lossy = true;
    } else p.bytes.push(code);
  }
  return p;
}

/**
 * The short name for a new entry called `name` (already checked legal).
 * `taken(key)` says whether a short name (as shortKey gives it) is in use
 * in the directory. A name that fits 8.3 exactly, with each part all upper
 * or all lower case, gets no long name (lower case through the NT bits, as
 * Windows NT does); any other gets a basis name and, when the conversion
 * lost anything, a numeric tail (~1..~4, then a hash of the name with
 * ~1..~9, like Windows), checked against `taken`.
 */
export function makeShortName(name: string, cp: OemCodepage, taken: (key: string) => boolean): ShortNameChoice {
  let stripped = name.replace(/^[. ]+/, '');
  const leadLost = stripped.length !== name.length;
  const dot = stripped.lastIndexOf('.');
  const baseSrc = dot >= 0 ? stripped.slice(0, dot) : stripped;
  const extSrc = dot >= 0 ? stripped.slice(dot + 1) : '';
  const base = convert(baseSrc, cp);
  const ext = convert(extSrc.replace(/ /g, ''), cp);
  if (extSrc.includes(' ')) ext.lossy = true;
  const fits = base.bytes.length <= 8 && ext.bytes.length <= 3 && base.bytes.length > 0;
  const lossy = leadLost || base.lossy || ext.lossy || !fits;
  const raw = new Uint8Array(11).fill(0x20);
  const extBytes = ext.bytes.slice(0, 3);
  raw.set(extBytes, 8);

  if (!lossy) {
    raw.set(base.bytes, 0);
    const key = shortKey(raw);
    const mixed = (base.hasUpper && base.hasLower) || (ext.hasUpper && ext.hasLower);
    let ntCase = 0;
    if (!mixed) {
      if (base.hasLower) ntCase |= CASE_LOWER_BASE;
      if (ext.hasLower) ntCase |= CASE_LOWER_EXT;
    }
    if (!taken(key)) {
      escapeE5(raw);
      return { raw, ntCase: mixed ? 0 : ntCase, needsLfn: mixed };
    }
  }

  // Numeric tails: ~1..~4 on up to 6 characters of the basis.
  const basis = base.bytes.length ? base.bytes : [0x5f];
  for (let n = 1; n <= 4; n++) {
    const tail = `~${n}`;
    if (tryTail(raw, basis.slice(0, 8 - tail.length), tail, taken)) return { raw: escapeE5(raw), ntCase: 0, needsLfn: true };
  }
  // Then two characters, four hex digits of a hash of the long name and ~1..~9. A directory
  // holds at most 65536 entries, fewer than these 589824 candidates, so this ends.
  let hash = lfnHash(name);
  for (let round = 0; round < 0x10000; round++, hash = (hash + 1) & 0xffff) {
    const hex = hash.toString(16).toUpperCase().padStart(4, '0');
    const head = [...basis.slice(0, 2), ...[...hex].map((c) => c.charCodeAt(0))];
    for (let n = 1; n <= 9; n++) {
      if (tryTail(raw, head, `~${n}`, taken)) return { raw: escapeE5(raw), ntCase: 0, needsLfn: true };
    }
  }
  throw new FsError('ENOSPC', `${F}: no free short name for '${name}'`);
}

function tryTail(raw: Uint8Array, head: number[], tail: string, taken: (key: string) => boolean): boolean {
  raw.fill(0x20, 0, 8);
  raw.set(head, 0);
  for (let i = 0; i < tail.length; i++) raw[head.length + i] = tail.charCodeAt(i);
  return !taken(shortKey(raw));
}

function escapeE5(raw: Uint8Array): Uint8Array {
  if (raw[0] === 0xe5) raw[0] = E5_ESCAPE;
  return raw;
}

/** A 16-bit hash of the long name for the hashed numeric tail. */
function lfnHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 37 + name.charCodeAt(i)) & 0xffff;
  return h;
}

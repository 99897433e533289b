/**
 * Rock Ridge (RRIP 1.10/1.12): POSIX attributes in SUSP entries.
 *
 *   PX  mode, nlink, uid, gid (36 bytes), + file serial number (44, RRIP 1.12)
 *   PN  device number as two 32-bit halves (see deviceNumber)
 *   SL  symlink target as components (flags: CONTINUE 1, CURRENT 2,
 *       PARENT 4, ROOT 8), possibly over several SL entries
 *   NM  name, possibly over several NM entries (flags: CONTINUE 1,
 *       CURRENT 2, PARENT 4); CURRENT/PARENT on a file are refused
 *   CL  child link: this file entry stands for a directory relocated to CL
 *   PL  parent link: in the relocated directory's '..', the real parent
 *   RE  this is the relocated directory itself (hidden where it lies)
 *   TF  timestamps: flags (CREATION 1, MODIFY 2, ACCESS 4, ATTRIBUTES 8,
 *       BACKUP 16, EXPIRATION 32, EFFECTIVE 64, LONG_FORM 128), then the
 *       present ones in that order, 7 or 17 bytes each
 *   SF  sparse file (RRIP 1.12): not supported, reads are refused
 *   ZF  zisofs compressed file (not RRIP; Linux and libisofs): algorithm,
 *       header size in 4-byte words, log2 block size, uncompressed size
 */
import { concatBytes } from '../../binary/reader.js';
import type { Timespec } from '../time.js';
import { makedev } from '../mode.js';
import { parseLongDate, parseShortDate } from './dates.js';
import { decodeName } from './plain-names.js';
import type { SuspEntry } from './susp.js';

/** Linux's NAME_MAX; NM names longer than this are refused. */
export const MAX_NAME_BYTES = 255;
/** Linux reads symlinks into one page; longer SL targets are refused. */
export const MAX_SYMLINK_BYTES = 4095;

export interface ZisofsParams {
  /** Two-letter algorithm ('pz' is zisofs 1, the only one read). */
  readonly algorithm: string;
  readonly headerSize: number;
  readonly blockLog2: number;
  readonly size: number;
}

export interface RockRidgeTimes {
  creation?: Timespec;
  modify?: Timespec;
  access?: Timespec;
  attributes?: Timespec;
}

export interface RockRidgeInfo {
  /** Any Rock Ridge entry at all (PX, NM, TF …). */
  hasRockRidge: boolean;
  mode?: number;
  nlink?: number;
  uid?: number;
  gid?: number;
  /** PX file serial number (RRIP 1.12), when recorded and non-zero. */
  serial?: number;
  rdev?: number;
  /** The NM name, or an error saying why it cannot be a name. */
  name?: string;
  nameError?: string;
  symlink?: string;
  /** Length of the target in stored bytes (st_size of the link). */
  symlinkBytes?: number;
  symlinkError?: string;
  times: RockRidgeTimes;
  childLink?: number;
  parentLink?: number;
  relocated: boolean;
  zisofs?: ZisofsParams;
  sparse: boolean;
  /** Set when a continuation area could not be read: what went wrong. */
  incomplete?: string;
}

function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}

/**
 * PN holds "dev_t high" and "dev_t low". libisofs (xorriso) stores the
 * 64-bit glibc dev_t split in halves, so high is 0 for every major below
 * 4096 and low is the glibc encoding; genisoimage stores major in high and
 * minor in low. So: high 0 → low is a dev_t (which also covers the old
 * 16-bit major<<8|minor), otherwise makedev(high, low) as Linux does.
 */
export function deviceNumber(high: number, low: number): number {
  return high === 0 ? low : makedev(high, low);
}

const SL_CONTINUE = 1;
const SL_CURRENT = 2;
const SL_PARENT = 4;
const SL_ROOT = 8;

/** Appends the components of one SL entry to `out`; returns whether the next component continues the last. */
function symlinkComponents(data: Uint8Array, out: number[], state: { slash: boolean }): boolean {
  let p = 1; // data[0] is the SL entry's own flags
  while (p + 2 <= data.length) {
    const flags = data[p]!;
    const len = data[p + 1]!;
    if (p + 2 + len > data.length) return false;
    if (state.slash) out.push(0x2f);
    if (flags & SL_ROOT) out.push(0x2f);
    else if (flags & SL_PARENT) out.push(0x2e, 0x2e);
    else if (flags & SL_CURRENT) out.push(0x2e);
    else for (let i = 0; i < len; i++) out.push(data[p + 2 + i]!);
    // After the root '/' the next component follows directly; a continued component has no '/' either.
    state.slash = !(flags & SL_ROOT) && !(flags & SL_CONTINUE);
    p += 2 + len;
    if (out.length > MAX_SYMLINK_BYTES) return false;
  }
  return true;
}


function times(data: Uint8Array, out: RockRidgeTimes): void {
  const flags = data[0] ?? 0;
  const long = (flags & 0x80) !== 0;
  const size = long ? 17 : 7;
  let p = 1;
  const next = (): Timespec | undefined => {
    const t = long ? parseLongDate(data, p) : parseShortDate(data, p);
    p += size;
    return t;
  };
  const set = (bit: number, key: keyof RockRidgeTimes): void => {
    if (!(flags & bit)) return;
    const t = next();
    if (t) out[key] = t;
  };
  set(1, 'creation');
  set(2, 'modify');
  set(4, 'access');
  set(8, 'attributes');
}

export function parseRockRidge(entries: readonly SuspEntry[]): RockRidgeInfo {
  const info: RockRidgeInfo = { hasRockRidge: false, times: {}, relocated: false, sparse: false };
  let nameParts: Uint8Array[] | undefined;
  let nameDot = false;
  let link: number[] | undefined;
  let linkBroken = false;
  const linkState = { slash: false };
  for (const e of entries) {
    const d = e.data;
    switch (e.sig) {
      case 'PX':
        if (d.length < 32) break;
        info.hasRockRidge = true;
        info.mode = le32(d, 0);
        info.nlink = le32(d, 8);
        info.uid = le32(d, 16);
        info.gid = le32(d, 24);
        if (d.length >= 40) {
          const serial = le32(d, 32);
          if (serial !== 0) info.serial = serial;
        }
        break;
      case 'PN':
        if (d.length < 16) break;
        info.hasRockRidge = true;
        info.rdev = deviceNumber(le32(d, 0), le32(d, 8));
        break;
      case 'NM': {
        if (d.length < 1) break;
        info.hasRockRidge = true;
        if (d[0]! & 6) nameDot = true;
        (nameParts ??= []).push(d.subarray(1));
        break;
      }
      case 'SL':
        if (d.length < 1) break;
        info.hasRockRidge = true;
        link ??= [];
        if (!linkBroken && !symlinkComponents(d, link, linkState)) linkBroken = true;
        break;
      case 'TF':
        info.hasRockRidge = true;
        times(d, info.times);
        break;
      case 'CL':
        if (d.length >= 8) {
          info.hasRockRidge = true;
          info.childLink = le32(d, 0);
        }
        break;
      case 'PL':
        if (d.length >= 8) {
          info.hasRockRidge = true;
          info.parentLink = le32(d, 0);
        }
        break;
      case 'RE':
        info.hasRockRidge = true;
        info.relocated = true;
        break;
      case 'SF':
        info.hasRockRidge = true;
        info.sparse = true;
        break;
      case 'ZF':
        if (d.length < 12) break;
        info.zisofs = {
          algorithm: String.fromCharCode(d[0]!, d[1]!),
          headerSize: d[2]! * 4,
          blockLog2: d[3]!,
          size: le32(d, 4),
        };
        break;
      default:
        break;
    }
  }
  if (nameParts) {
    // Almost every name is one NM entry: decode it where it lies.
    const bytes = nameParts.length === 1 ? nameParts[0]! : concatBytes(nameParts);
    if (nameDot) info.nameError = "NM flags say '.' or '..' for a file entry";
    else if (bytes.length > MAX_NAME_BYTES) info.nameError = `NM name longer than ${MAX_NAME_BYTES} bytes`;
    else {
      const name = decodeName(bytes);
      if (bytes.includes(0)) info.nameError = 'NM name contains a NUL byte';
      else if (bytes.includes(0x2f)) info.nameError = `NM name '${name}' contains '/'`;
      else if (name === '' || name === '.' || name === '..') info.nameError = `NM name '${name}' is not a file name`;
      else info.name = name;
    }
  }
  if (link) {
    if (linkBroken) info.symlinkError = `SL target is malformed or longer than ${MAX_SYMLINK_BYTES} bytes`;
    else {
      info.symlink = decodeName(Uint8Array.from(link));
      info.symlinkBytes = link.length;
    }
  }
  return info;
}

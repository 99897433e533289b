/**
 * A directory read once into an index: its entries with their names (long
 * name when the LFN slots before the short entry are complete, in order and
 * carry its checksum; the 8.3 name otherwise, as Linux falls back), maps
 * for case-insensitive lookup by long and short name, and which slots are
 * free, for placing new entries. The driver keeps the index in step with
 * every change it writes, so it is read from disk once.
 *
 * Entries are identified by slot number (their position), which is also
 * what readdir cookies are made of: positions survive other entries coming
 * and going, and nothing is ever compacted.
 */
import type { OemCodepage } from './codepage.js';
import {
  ATTR_DIRECTORY, ATTR_LONG_NAME, ATTR_VOLUME_ID, DELETED, LFN_LAST, LFN_UNITS_PER_SLOT, MAX_LFN_SLOTS, SLOT,
  decodeShortEntry, lfnUnits, shortNameChecksum, type ShortEntry,
} from './dirent.js';
import { decodeShortName, foldName, printable, shortKey } from './names.js';

export interface DirRecord {
  /** The name readdir shows: the long name, else the 8.3 name with its case bits. */
  name: string;
  entry: ShortEntry;
  /** Slot of the short entry, and of the first LFN slot (equal without a long name). */
  slot: number;
  first: number;
  shortKey: string;
}

export interface DirParseOptions {
  cp: OemCodepage;
  fat32: boolean;
  /** Root directories have no dot entries and may hold the volume label. */
  isRoot: boolean;
  /** Where the directory is, for warnings. */
  what: string;
  warn: (message: string) => void;
}

export class DirIndex {
  /** Slots the directory's clusters hold. */
  slots: number;
  /** Records in slot order. */
  readonly records: DirRecord[] = [];
  private readonly byName = new Map<string, DirRecord>();
  private readonly byShort = new Map<string, DirRecord>();
  /** 1 for each free slot (deleted, or at/after the end marker). */
  private free: Uint8Array;
  /** First cluster in the '..' entry (subdirectories), or undefined. */
  dotdotCluster: number | undefined;
  /** Slot of the '.' entry when it is where it belongs (slot 0). */
  hasDots = false;
  /** The volume label entry of a root directory: raw 11 bytes and its slot. */
  label: { raw: Uint8Array; slot: number } | undefined;
  subdirs = 0;
  private readonly cp: OemCodepage;
  /** Keys more than one record had (corrupt or foreign directories): removal looks for the other. */
  private readonly dupKeys = new Set<string>();

  constructor(slots: number, cp: OemCodepage) {
    this.slots = slots;
    this.cp = cp;
    this.free = new Uint8Array(slots);
  }

  /** Parses `bytes` (the whole directory) into an index. */
  static parse(bytes: Uint8Array, o: DirParseOptions): DirIndex {
    const slots = Math.floor(bytes.length / SLOT);
    const idx = new DirIndex(slots, o.cp);
    const units = new Uint16Array(MAX_LFN_SLOTS * LFN_UNITS_PER_SLOT);
    let lfnStart = -1; // first slot of the run being assembled
    let lfnCount = 0; // ordinal of the first (highest) slot
    let lfnNext = 0; // ordinal expected next
    let lfnSum = 0;
    const dropLfn = (why: string | undefined, at: number): void => {
      if (why && lfnStart >= 0) o.warn(`${o.what}: slot ${at}: ${why}; the long name is ignored`);
      lfnStart = -1;
    };
    for (let i = 0; i < slots; i++) {
      const at = i * SLOT;
      const b0 = bytes[at]!;
      if (b0 === 0) {
        idx.free.fill(1, i);
        break;
      }
      if (b0 === DELETED) {
        idx.free[i] = 1;
        dropLfn(lfnStart >= 0 ? 'long name slots end at a deleted entry' : undefined, i);
        continue;
      }
      const attr = bytes[at + 11]!;
      if ((attr & 0x3f) === ATTR_LONG_NAME) {
        const ord = b0 & ~LFN_LAST;
        if (b0 & LFN_LAST) {
          if (lfnStart >= 0) dropLfn('a new long name starts before the last one ended', i);
          if (ord < 1 || ord > MAX_LFN_SLOTS) continue;
          lfnStart = i;
          lfnCount = ord;
          lfnNext = ord;
          lfnSum = bytes[at + 13]!;
        } else if (lfnStart < 0 || ord !== lfnNext - 1 || bytes[at + 13] !== lfnSum || ord < 1) {
          dropLfn('long name slots out of order or with different checksums', i);
          continue;
        } else lfnNext = ord;
        const u = lfnUnits(bytes, at);
        for (let k = 0; k < LFN_UNITS_PER_SLOT; k++) units[(ord - 1) * LFN_UNITS_PER_SLOT + k] = u[k]!;
        continue;
      }
      const entry = decodeShortEntry(bytes, at, o.fat32);
      if (attr & ATTR_VOLUME_ID) {
        // A volume label (or junk with that bit): occupies the slot, is no file.
        if (o.isRoot && !(attr & ATTR_DIRECTORY) && idx.label === undefined) idx.label = { raw: entry.name, slot: i };
        dropLfn(undefined, i);
        continue;
      }
      let long: string | undefined;
      if (lfnStart >= 0) {
        if (lfnNext !== 1) o.warn(`${o.what}: slot ${i}: long name slots missing before the short entry; the long name is ignored`);
        else if (shortNameChecksum(entry.name) !== lfnSum) o.warn(`${o.what}: slot ${i}: long name checksum does not match the short name; the long name is ignored`);
        else long = assemble(units, lfnCount);
        if (long !== undefined && !validName(long)) {
          o.warn(`${o.what}: slot ${i}: long name '${printable(long)}' is not a valid name; using the short name`);
          long = undefined;
        }
      }
      const first = long !== undefined ? lfnStart : i;
      lfnStart = -1;
      const short = decodeShortName(entry.name, entry.ntCase, o.cp);
      const isDot = !o.isRoot && (attr & ATTR_DIRECTORY) !== 0 && ((i === 0 && short === '.') || (i === 1 && short === '..'));
      if (isDot) {
        if (i === 0) idx.hasDots = true;
        else idx.dotdotCluster = entry.firstCluster;
        continue;
      }
      const name = long ?? short;
      if (!validName(name)) {
        o.warn(`${o.what}: slot ${i}: entry named '${printable(name)}' skipped (not a valid name)`);
        continue;
      }
      idx.insert({ name, entry, slot: i, first, shortKey: shortKey(entry.name) });
    }
    return idx;
  }

  /** Adds a record (its slots must be marked used by the caller via `use`). */
  insert(rec: DirRecord): void {
    const n = this.records.length;
    if (n === 0 || this.records[n - 1]!.slot < rec.slot) this.records.push(rec);
    else this.records.splice(this.indexFrom(rec.slot), 0, rec);
    for (const [map, key] of this.keys(rec)) {
      if (!map.has(key)) map.set(key, rec);
      else this.dupKeys.add(key);
    }
    if (rec.entry.attr & ATTR_DIRECTORY) this.subdirs++;
    for (let s = rec.first; s <= rec.slot; s++) this.free[s] = 0;
  }

  remove(rec: DirRecord): void {
    const i = this.records.indexOf(rec);
    if (i >= 0) this.records.splice(i, 1);
    for (const [map, key] of this.keys(rec)) {
      if (map.get(key) !== rec) continue;
      map.delete(key);
      if (!this.dupKeys.has(key)) continue;
      // Another record shared the key: point it there.
      for (const r of this.records) {
        if (this.keys(r).some(([m, k]) => m === map && k === key)) {
          map.set(key, r);
          break;
        }
      }
    }
    if (rec.entry.attr & ATTR_DIRECTORY) this.subdirs--;
    for (let s = rec.first; s <= rec.slot; s++) this.free[s] = 1;
  }

  /** The lookup keys of a record: folded name, folded 8.3 alias, raw short name. */
  private keys(rec: DirRecord): Array<[Map<string, DirRecord>, string]> {
    const key = foldName(rec.name);
    const alias = foldName(decodeShortName(rec.entry.name, 0, this.cp));
    const out: Array<[Map<string, DirRecord>, string]> = [[this.byName, key], [this.byShort, rec.shortKey]];
    if (alias !== key) out.push([this.byName, `\0${alias}`]);
    return out;
  }

  /** The index of the first record whose slot is >= `slot`. */
  indexFrom(slot: number): number {
    let lo = 0;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.records[mid]!.slot < slot) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Case-insensitive lookup by long name, then by short name (alias). */
  find(name: string): DirRecord | undefined {
    const key = foldName(name);
    return this.byName.get(key) ?? this.byName.get(`\0${key}`);
  }

  shortTaken(key: string): boolean {
    return this.byShort.has(key);
  }

  isEmpty(): boolean {
    return this.records.length === 0;
  }

  /** First slot of a run of `count` free slots, or -1. */
  findFreeRun(count: number): number {
    let run = 0;
    for (let i = 0; i < this.slots; i++) {
      if (this.free[i]) {
        if (++run === count) return i - count + 1;
      } else run = 0;
    }
    return -1;
  }

  /** Trailing free slots at the end of the directory (to extend a run into new clusters). */
  freeTail(): number {
    let n = 0;
    for (let i = this.slots - 1; i >= 0 && this.free[i]; i--) n++;
    return n;
  }

  /** The directory grew by `extra` slots (a new zeroed cluster). */
  grow(extra: number): void {
    const next = new Uint8Array(this.slots + extra);
    next.set(this.free);
    next.fill(1, this.slots);
    this.free = next;
    this.slots += extra;
  }

  /** Marks slots used (label, dots) or free. */
  mark(first: number, last: number, free: boolean): void {
    for (let s = first; s <= last; s++) this.free[s] = free ? 1 : 0;
  }

  /** True if slot `s` is free and is followed only by free slots: writing there needs an end marker after. */
  isTail(s: number): boolean {
    for (let i = s; i < this.slots; i++) if (!this.free[i]) return false;
    return true;
  }
}

function assemble(units: Uint16Array, slots: number): string | undefined {
  let end = slots * LFN_UNITS_PER_SLOT;
  for (let k = 0; k < end; k++) {
    if (units[k] === 0) {
      end = k;
      break;
    }
  }
  if (end === 0) return undefined;
  return String.fromCharCode(...units.subarray(0, end));
}

/** Names readdir may return: never empty, '.', '..', or holding '/' or NUL. */
function validName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

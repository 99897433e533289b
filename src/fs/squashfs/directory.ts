/**
 * Directories. A directory's listing is file_size − 3 bytes in the
 * directory table, starting at (start_block, offset). It is a run of
 * headers { count (entries − 1), start_block (inode table block of the
 * entries' inodes), inode_number (base) }, each followed by count + 1
 * entries { offset (in that inode block), inode_offset (i16, added to the
 * base), type (basic type), size (name length − 1), name }. Entries are
 * sorted by name (bytewise), at most 256 per header.
 *
 * Extended directories carry an index: for each metadata block the
 * listing crosses, the byte offset (`index`) of the first header in it, the
 * block (`start_block`) and that header's first name. lookup uses it to
 * jump near the name; readdir uses it to resume at a cookie without
 * re-reading the listing from the start.
 *
 * readdir cookies are positions: 3 + headerPosition · 512 + entries of that
 * header already returned (1 and 2 are '.' and '..'), stable across calls.
 */
import { corrupt } from '../../block/corrupt.js';
import type { Inode } from './inode.js';
import type { MetadataCursor, MetadataReader } from './metadata.js';
import { LruCache } from '../../util/lru.js';
import { METADATA_SIZE } from './superblock.js';

const HEADER_SIZE = 12;
const ENTRY_SIZE = 8;
const MAX_ENTRIES = 256;

export interface RawDirEntry {
  name: Uint8Array;
  inode_number: number;
  /** Inode reference (start_block << 16 | offset). */
  ref: number;
  /** Basic type 1..7. */
  type: number;
  /** Cookie that resumes after this entry. */
  next: number;
}

interface DirHeader {
  count: number;
  start_block: number;
  inode_number: number;
}

export const FIRST_ENTRY_COOKIE = 3;

export function cookieFor(headerPos: number, consumed: number): number {
  return FIRST_ENTRY_COOKIE + headerPos * 512 + consumed;
}

/** One header and its entries, parsed once and cached. */
interface DirGroup {
  entries: Array<Omit<RawDirEntry, 'next'>>;
  /** Listing position right after the group. */
  end: number;
}

export class DirectoryReader {
  /** Parsed groups keyed by "directory ref:listing position"; cost = listing bytes. */
  private readonly groups: LruCache<string, Promise<DirGroup>>;

  constructor(
    private readonly meta: MetadataReader,
    private readonly directoryTable: number,
    budgetBytes: number,
  ) {
    this.groups = new LruCache(budgetBytes);
  }

  /**
   * The group whose header is at listing byte `pos`; `cursor`, when given,
   * already points there (saves a seek).
   */
  private group(dir: Inode, pos: number, cursor?: MetadataCursor): Promise<DirGroup> {
    const key = `${dir.ref}:${pos}`;
    let p = this.groups.get(key);
    if (!p) {
      p = this.parseGroup(dir, pos, cursor);
      this.groups.set(key, p, 512);
      p.then((g) => this.groups.set(key, p!, Math.max(64, g.end - pos)), () => this.groups.delete(key));
    }
    return p;
  }

  private async parseGroup(dir: Inode, headerPos: number, given?: MetadataCursor): Promise<DirGroup> {
    const cursor = given ? { ...given } : await this.seek(dir, headerPos);
    const h = await this.header(dir, cursor, headerPos);
    let pos = headerPos + HEADER_SIZE;
    const entries: Array<Omit<RawDirEntry, 'next'>> = [];
    for (let i = 0; i < h.count; i++) {
      const { entry, size } = await this.entry(dir, cursor, pos, h);
      pos += size;
      entries.push(entry);
    }
    return { entries, end: pos };
  }

  private listingSize(dir: Inode): number {
    return dir.size - 3;
  }

  /** A cursor at byte `pos` of the listing, using the directory index to skip ahead. */
  private async seek(dir: Inode, pos: number): Promise<MetadataCursor> {
    let base = 0;
    let cursor: MetadataCursor = { block: this.directoryTable + dir.dirStart, offset: dir.dirOffset };
    for (const e of dir.dirIndex) {
      if (e.index > pos) break;
      if (e.index < base) break; // indexes must grow; a corrupt one is ignored
      base = e.index;
      cursor = { block: this.directoryTable + e.start_block, offset: (dir.dirOffset + e.index) % METADATA_SIZE };
    }
    await this.meta.skip(cursor, pos - base, this.what(dir));
    return cursor;
  }

  /** A cursor at the header the index says may hold `name` (the last index entry whose name ≤ name). */
  private async seekName(dir: Inode, name: Uint8Array): Promise<{ cursor: MetadataCursor; pos: number }> {
    let pos = 0;
    let cursor: MetadataCursor = { block: this.directoryTable + dir.dirStart, offset: dir.dirOffset };
    for (const e of dir.dirIndex) {
      if (compareBytes(e.name, name) > 0) break;
      if (e.index < pos || e.index >= this.listingSize(dir)) break;
      pos = e.index;
      cursor = { block: this.directoryTable + e.start_block, offset: (dir.dirOffset + e.index) % METADATA_SIZE };
    }
    return { cursor, pos };
  }

  private what(dir: Inode): string {
    return `directory inode ${dir.inode_number}`;
  }

  private async header(dir: Inode, cursor: MetadataCursor, pos: number): Promise<DirHeader> {
    if (pos + HEADER_SIZE > this.listingSize(dir)) throw corrupt('squashfs', this.what(dir), undefined, `header at listing byte ${pos} runs past the ${this.listingSize(dir)}-byte listing`);
    const b = await this.meta.read(cursor, HEADER_SIZE, this.what(dir));
    const count = u32(b, 0) + 1;
    if (count > MAX_ENTRIES) throw corrupt('squashfs', this.what(dir), undefined, `header at listing byte ${pos} has ${count} entries (at most ${MAX_ENTRIES})`);
    return { count, start_block: u32(b, 4), inode_number: u32(b, 8) };
  }

  private async entry(dir: Inode, cursor: MetadataCursor, pos: number, h: DirHeader): Promise<{ entry: Omit<RawDirEntry, 'next'>; size: number }> {
    if (pos + ENTRY_SIZE > this.listingSize(dir)) throw corrupt('squashfs', this.what(dir), undefined, `entry at listing byte ${pos} runs past the listing`);
    const b = await this.meta.read(cursor, ENTRY_SIZE, this.what(dir));
    const offset = u16(b, 0);
    const inodeOffset = (u16(b, 2) << 16) >> 16;
    const rawType = u16(b, 4);
    const nameLen = u16(b, 6) + 1;
    if (nameLen > 256) throw corrupt('squashfs', this.what(dir), undefined, `entry at listing byte ${pos} has a ${nameLen}-byte name`);
    if (pos + ENTRY_SIZE + nameLen > this.listingSize(dir)) throw corrupt('squashfs', this.what(dir), undefined, `entry name at listing byte ${pos} runs past the listing`);
    const name = (await this.meta.read(cursor, nameLen, this.what(dir))).slice();
    if (rawType < 1 || rawType > 14) throw corrupt('squashfs', this.what(dir), undefined, `entry at listing byte ${pos} has type ${rawType}`);
    if (offset >= METADATA_SIZE) throw corrupt('squashfs', this.what(dir), undefined, `entry at listing byte ${pos}: inode offset ${offset} lies past the metadata block`);
    const inode_number = h.inode_number + inodeOffset;
    if (inode_number <= 0 || inode_number > 0xffffffff) throw corrupt('squashfs', this.what(dir), undefined, `entry at listing byte ${pos}: inode number ${inode_number}`);
    return {
      entry: { name, inode_number, ref: h.start_block * 65536 + offset, type: rawType > 7 ? rawType - 7 : rawType },
      size: ENTRY_SIZE + nameLen,
    };
  }

  /**
   * Entries from `cookie` on (cookie ≥ FIRST_ENTRY_COOKIE), at most `limit`.
   * Names with '/' or NUL, and '.'/'..', are skipped (never a real entry).
   */
  async list(dir: Inode, cookie: number, limit: number): Promise<RawDirEntry[]> {
    const rel = cookie - FIRST_ENTRY_COOKIE;
    let headerPos = Math.floor(rel / 512);
    let consumed = rel % 512;
    const size = this.listingSize(dir);
    const out: RawDirEntry[] = [];
    while (headerPos < size && out.length < limit) {
      const g = await this.group(dir, headerPos);
      if (consumed > g.entries.length) throw corrupt('squashfs', this.what(dir), undefined, `cookie ${cookie} points past the header's ${g.entries.length} entries`);
      for (let i = consumed; i < g.entries.length; i++) {
        const e = g.entries[i]!;
        const next = i + 1 === g.entries.length ? cookieFor(g.end, 0) : cookieFor(headerPos, i + 1);
        if (validName(e.name)) out.push({ ...e, next });
        if (out.length >= limit) return out;
      }
      headerPos = g.end;
      consumed = 0;
    }
    return out;
  }

  /** The entry called `name`, or undefined. */
  async lookup(dir: Inode, name: Uint8Array): Promise<RawDirEntry | undefined> {
    const size = this.listingSize(dir);
    const start = await this.seekName(dir, name);
    let headerPos = start.pos;
    let cursor: MetadataCursor | undefined = start.cursor;
    while (headerPos < size) {
      const g = await this.group(dir, headerPos, cursor);
      cursor = undefined;
      // Entries are sorted: binary search the group (a walk over every entry
      // made listing a large directory and looking up each name quadratic).
      let lo = 0;
      let hi = g.entries.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const e = g.entries[mid]!;
        const c = compareBytes(e.name, name);
        if (c === 0) return validName(e.name) ? { ...e, next: 0 } : undefined;
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
      }
      if (lo < g.entries.length) return undefined; // a greater name follows in this group: it is not here
      headerPos = g.end;
    }
    return undefined;
  }
}

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** A name a directory can hold: not '.', '..', and without '/' or NUL. */
export function validName(name: Uint8Array): boolean {
  if (name.length === 1 && name[0] === 0x2e) return false;
  if (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e) return false;
  for (const c of name) if (c === 0x2f || c === 0) return false;
  return true;
}

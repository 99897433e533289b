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
import { u16, u32 } from './le.js';
import type { MetadataBlock, MetadataCursor, MetadataReader } from './metadata.js';
import { LruCache } from '../../util/lru.js';
import { METADATA_SIZE } from './superblock.js';

const HEADER_SIZE = 12;
const ENTRY_SIZE = 8;
const MAX_ENTRIES = 256;
/** Entry flags: the name is one a directory can hold; it decodes to a string that encodes back to the same bytes. */
const VALID = 1;
const EXACT = 2;

export const FIRST_ENTRY_COOKIE = 3;

export function cookieFor(headerPos: number, consumed: number): number {
  return FIRST_ENTRY_COOKIE + headerPos * 512 + consumed;
}

/**
 * One header and its entries, parsed once and cached, in columns: one
 * allocation per column, not one object per entry, and each name decoded
 * once however often it is listed.
 */
export class DirGroup {
  constructor(
    readonly count: number,
    /** Listing bytes the header and its entries take. */
    readonly length: number,
    readonly names: string[],
    /** Every name's bytes, back to back; name i is bytes[nameStart[i] .. nameStart[i + 1]). */
    readonly bytes: Uint8Array,
    readonly nameStart: Uint32Array,
    readonly inos: Uint32Array,
    /** Inode references (start_block << 16 | offset), up to 2^48. */
    readonly refs: Float64Array,
    /** Basic type 1..7. */
    readonly types: Uint8Array,
    readonly flags: Uint8Array,
  ) {}

  /** A name the directory can hold (not '.', '..', nothing with '/' or NUL). */
  valid(i: number): boolean {
    return (this.flags[i]! & VALID) !== 0;
  }

  /** Bytewise comparison of name i with `name`. */
  compare(i: number, name: Uint8Array): number {
    const b = this.bytes;
    const start = this.nameStart[i]!;
    const len = this.nameStart[i + 1]! - start;
    const n = Math.min(len, name.length);
    for (let k = 0; k < n; k++) if (b[start + k] !== name[k]) return b[start + k]! - name[k]!;
    return len - name.length;
  }
}

/** An entry found by lookup. */
export interface DirHit {
  inode_number: number;
  ref: number;
  /** Basic type 1..7. */
  type: number;
}

interface GroupSlot {
  promise: Promise<DirGroup>;
  group: DirGroup | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder();
/** Scratch space for one group's names (256 entries of at most 256 bytes). */
const nameScratch = new Uint8Array(MAX_ENTRIES * 256);

export class DirectoryReader {
  /** Parsed groups keyed by "directory ref:listing position"; cost = listing bytes. */
  private readonly groups: LruCache<string, GroupSlot>;
  /**
   * Where the next lookup is expected: right after the entry the last
   * lookup found, or at the first entry the last readdir returned. A walk
   * (readdir, then lookup of each name) is answered from there with one
   * string comparison: no encoding, no seek, no search.
   */
  private hintRef = -1;
  private hintGroup: DirGroup | undefined;
  private hintPos = 0;
  private hintIndex = 0;

  constructor(
    private readonly meta: MetadataReader,
    private readonly directoryTable: number,
    budgetBytes: number,
  ) {
    this.groups = new LruCache(budgetBytes);
  }

  /** The group whose header is at listing byte `pos`, if parsed and cached (no I/O). */
  private cachedGroup(dir: Inode, pos: number): DirGroup | undefined {
    return this.groups.get(`${dir.ref}:${pos}`)?.group;
  }

  /**
   * The group whose header is at listing byte `pos`; `cursor`, when given,
   * already points there (saves a seek).
   */
  private group(dir: Inode, pos: number, cursor?: MetadataCursor): Promise<DirGroup> {
    const key = `${dir.ref}:${pos}`;
    const cached = this.groups.get(key);
    if (cached) return cached.promise;
    const slot: GroupSlot = { promise: this.loadGroup(dir, pos, cursor), group: undefined };
    this.groups.set(key, slot, 512);
    slot.promise.then(
      (g) => {
        slot.group = g;
        if (this.groups.peek(key) === slot) this.groups.set(key, slot, Math.max(64, g.length));
      },
      () => {
        if (this.groups.peek(key) === slot) this.groups.delete(key);
      },
    );
    return slot.promise;
  }

  private async loadGroup(dir: Inode, headerPos: number, given?: MetadataCursor): Promise<DirGroup> {
    const start = given ? { ...given } : await this.seek(dir, headerPos);
    return this.meta.parseWithLoads((pinned) => this.parseGroup(dir, headerPos, { ...start }, pinned));
  }

  /** Parses the header at `headerPos` and its entries from cached blocks; undefined when one is missing. */
  private parseGroup(dir: Inode, headerPos: number, cursor: MetadataCursor, pinned: Map<number, MetadataBlock> | undefined): DirGroup | undefined {
    const size = this.listingSize(dir);
    const what = this.what(dir);
    if (headerPos + HEADER_SIZE > size) throw corrupt('squashfs', what, undefined, `header at listing byte ${headerPos} runs past the ${size}-byte listing`);
    const h = this.meta.readSync(cursor, HEADER_SIZE, what, pinned);
    if (!h) return undefined;
    const count = u32(h, 0) + 1;
    if (count > MAX_ENTRIES) throw corrupt('squashfs', what, undefined, `header at listing byte ${headerPos} has ${count} entries (at most ${MAX_ENTRIES})`);
    const startBlock = u32(h, 4);
    const baseInode = u32(h, 8);
    const names: string[] = new Array(count);
    const nameStart = new Uint32Array(count + 1);
    const inos = new Uint32Array(count);
    const refs = new Float64Array(count);
    const types = new Uint8Array(count);
    const flags = new Uint8Array(count);
    let pos = headerPos + HEADER_SIZE;
    let at = 0;
    for (let i = 0; i < count; i++) {
      if (pos + ENTRY_SIZE > size) throw corrupt('squashfs', what, undefined, `entry at listing byte ${pos} runs past the listing`);
      const b = this.meta.readSync(cursor, ENTRY_SIZE, what, pinned);
      if (!b) return undefined;
      const offset = u16(b, 0);
      const inodeOffset = (u16(b, 2) << 16) >> 16;
      const rawType = u16(b, 4);
      const nameLen = u16(b, 6) + 1;
      if (nameLen > 256) throw corrupt('squashfs', what, undefined, `entry at listing byte ${pos} has a ${nameLen}-byte name`);
      if (pos + ENTRY_SIZE + nameLen > size) throw corrupt('squashfs', what, undefined, `entry name at listing byte ${pos} runs past the listing`);
      const name = this.meta.readSync(cursor, nameLen, what, pinned);
      if (!name) return undefined;
      if (rawType < 1 || rawType > 14) throw corrupt('squashfs', what, undefined, `entry at listing byte ${pos} has type ${rawType}`);
      if (offset >= METADATA_SIZE) throw corrupt('squashfs', what, undefined, `entry at listing byte ${pos}: inode offset ${offset} lies past the metadata block`);
      const inode_number = baseInode + inodeOffset;
      if (inode_number <= 0 || inode_number > 0xffffffff) throw corrupt('squashfs', what, undefined, `entry at listing byte ${pos}: inode number ${inode_number}`);
      nameScratch.set(name, at);
      at += nameLen;
      nameStart[i + 1] = at;
      let text: string;
      let f = validName(name) ? VALID : 0;
      try {
        text = utf8.decode(name);
        f |= EXACT;
      } catch {
        text = utf8Lossy.decode(name);
      }
      names[i] = text;
      flags[i] = f;
      inos[i] = inode_number;
      refs[i] = startBlock * 65536 + offset;
      types[i] = rawType > 7 ? rawType - 7 : rawType;
      pos += ENTRY_SIZE + nameLen;
    }
    return new DirGroup(count, pos - headerPos, names, nameScratch.slice(0, at), nameStart, inos, refs, types, flags);
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
  private seekName(dir: Inode, name: Uint8Array): { cursor: MetadataCursor; pos: number } {
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

  /**
   * Visits the entries from `cookie` on (cookie ≥ FIRST_ENTRY_COOKIE), at
   * most `limit`, with the cookie that resumes after each. Names with '/'
   * or NUL, and '.'/'..', are skipped (never a real entry).
   */
  async list(dir: Inode, cookie: number, limit: number, visit: (g: DirGroup, i: number, next: number) => void): Promise<void> {
    const rel = cookie - FIRST_ENTRY_COOKIE;
    let headerPos = Math.floor(rel / 512);
    let consumed = rel % 512;
    const size = this.listingSize(dir);
    let n = 0;
    let first = true;
    while (headerPos < size && n < limit) {
      const g = this.cachedGroup(dir, headerPos) ?? (await this.group(dir, headerPos));
      if (consumed > g.count) throw corrupt('squashfs', this.what(dir), undefined, `cookie ${cookie} points past the header's ${g.count} entries`);
      const end = headerPos + g.length;
      for (let i = consumed; i < g.count; i++) {
        if (!g.valid(i)) continue;
        if (first) {
          this.hint(dir, g, headerPos, i);
          first = false;
        }
        visit(g, i, i + 1 === g.count ? cookieFor(end, 0) : cookieFor(headerPos, i + 1));
        if (++n >= limit) return;
      }
      headerPos = end;
      consumed = 0;
    }
  }

  private hint(dir: Inode, g: DirGroup, pos: number, i: number): void {
    this.hintRef = dir.ref;
    this.hintGroup = g;
    this.hintPos = pos;
    this.hintIndex = i;
  }

  /** The entry called `name` if it is where the walk is expected to be; no I/O. */
  lookupHinted(dir: Inode, name: string): DirHit | undefined {
    if (dir.ref !== this.hintRef) return undefined;
    let g = this.hintGroup!;
    let pos = this.hintPos;
    let i = this.hintIndex;
    if (i >= g.count) {
      pos += g.length;
      const next = this.cachedGroup(dir, pos);
      if (!next) return undefined;
      g = next;
      i = 0;
    }
    if (g.names[i] !== name || (g.flags[i]! & (VALID | EXACT)) !== (VALID | EXACT)) return undefined;
    this.hint(dir, g, pos, i + 1);
    return { inode_number: g.inos[i]!, ref: g.refs[i]!, type: g.types[i]! };
  }

  /** The entry called `name` (its bytes), or undefined. */
  async lookup(dir: Inode, name: Uint8Array): Promise<DirHit | undefined> {
    const size = this.listingSize(dir);
    const start = this.seekName(dir, name);
    let headerPos = start.pos;
    let cursor: MetadataCursor | undefined = start.cursor;
    while (headerPos < size) {
      const g = this.cachedGroup(dir, headerPos) ?? (await this.group(dir, headerPos, cursor));
      cursor = undefined;
      // Entries are sorted: binary search the group (a walk over every entry
      // made listing a large directory and looking up each name quadratic).
      let lo = 0;
      let hi = g.count - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const c = g.compare(mid, name);
        if (c === 0) {
          if (!g.valid(mid)) return undefined;
          this.hint(dir, g, headerPos, mid + 1);
          return { inode_number: g.inos[mid]!, ref: g.refs[mid]!, type: g.types[mid]! };
        }
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
      }
      if (lo < g.count) return undefined; // a greater name follows in this group: it is not here
      headerPos += g.length;
    }
    return undefined;
  }
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

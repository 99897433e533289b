/**
 * Reading a directory: its records in order, grouped (multi-extent files
 * are consecutive records with the same identifier, all but the last
 * flagged MULTI_EXTENT), named by the namespace, and indexed once so
 * lookup is a Map probe and readdir resumes from an entry index.
 *
 * Skipped, as Linux does: '.' and '..' records (readdir makes its own),
 * associated files, and Rock Ridge relocated directories (RE) where they
 * physically lie; the CL entry in their logical parent stands for them.
 * Skipped with a warning: names that cannot be names (empty, '.', '..',
 * containing '/' or NUL), and child directories that would make a loop
 * (the directory itself or one of its ancestors).
 *
 * A record of length 0 pads to the next logical block; a length below 34
 * or past the directory's end is EIO. Directories larger than
 * MAX_DIRECTORY_BYTES or with more than MAX_DIRECTORY_ENTRIES entries are
 * refused (EOPNOTSUPP) rather than indexed without bound.
 */
import { corrupt, unsupported } from '../../block/corrupt.js';
import { readStructure } from '../../block/device.js';
import type { Ino } from '../filesystem.js';
import { DT_DIR, dtFromMode } from '../mode.js';
import { FLAG_ASSOCIATED, FLAG_DIRECTORY, FLAG_MULTI_EXTENT, isDotDotRecord, isDotRecord, parseDirectoryRecord, type DirectoryRecord } from './directory-record.js';
import { buildFileInode, recordExtent, type IsoInode, type RecordExtent } from './inode.js';
import { jolietName } from './joliet.js';
import { plainName } from './plain-names.js';
import type { RockRidgeInfo } from './rock-ridge.js';
import { rockRidgeOf, warn, type IsoVolume } from './volume.js';

export const MAX_DIRECTORY_BYTES = 64 << 20;
export const MAX_DIRECTORY_ENTRIES = 500_000;
/** Directory data is read in pieces of this size. */
const CHUNK = 1 << 20;
/** Lowest byte offset a directory may start at: the volume descriptors begin at 32 KiB. */
export const FIRST_DATA_OFFSET = 32768;

export interface IsoDirEntry {
  readonly name: string;
  readonly ino: Ino;
  /** DT_* type. */
  readonly type: number;
  /** Files: their inode, built while indexing. Directories read theirs from their '.' record. */
  readonly inode?: IsoInode;
}

export interface IsoDirectory {
  readonly ino: Ino;
  readonly entries: IsoDirEntry[];
  /** Name → index of the first entry with that name. */
  readonly byName: Map<string, number>;
}

/**
 * Who owns a PX serial number: hard links share one, and their records
 * agree on where the data is. A second owner that disagrees gets its
 * record offset instead, so one inode number never means two files.
 */
export interface SerialRegistry {
  claim(ino: Ino, identity: number): boolean;
}

/** The records of the directory whose data starts at `block`, in order. */
export async function* directoryRecords(vol: IsoVolume, block: number, size: number): AsyncGenerator<DirectoryRecord> {
  const bs = vol.blockSize;
  const start = block * bs;
  if (size > MAX_DIRECTORY_BYTES) throw unsupported('iso9660', `directory at block ${block} has ${size} bytes; directories over ${MAX_DIRECTORY_BYTES} bytes are not read`);
  if (start + size > vol.dev.size) throw corrupt('iso9660', `directory at block ${block}`, start, `its ${size} bytes run past the end of the image (${vol.dev.size} bytes)`);
  let buf: Uint8Array = new Uint8Array(0);
  let bufStart = 0;
  for (let pos = 0; pos < size; ) {
    if (pos < bufStart || Math.min(size, pos + 256) > bufStart + buf.length) {
      bufStart = pos;
      // A directory of one block is usually in the metadata cache already (its '.' record was read).
      buf =
        size <= bs && pos === 0
          ? await vol.meta.read(start, size, `directory at block ${block}`)
          : await readStructure(vol.dev, start + pos, Math.min(size - pos, CHUNK), `iso9660: directory at block ${block}`);
    }
    const at = pos - bufStart;
    const len = buf[at]!;
    if (len === 0) {
      pos = (Math.floor(pos / bs) + 1) * bs;
      continue;
    }
    yield parseDirectoryRecord(buf, at, start + pos);
    pos += len;
  }
}

function sameIdentifier(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

/** The name of a record in the volume's namespace, or undefined (with a warning) when it cannot be one. */
function entryName(vol: IsoVolume, r: DirectoryRecord, rr: RockRidgeInfo | undefined): string | undefined {
  let name: string;
  if (rr?.nameError) {
    warn(vol, `record at offset ${r.offset} skipped: ${rr.nameError}`);
    return undefined;
  }
  if (rr?.name !== undefined) name = rr.name;
  else if (vol.namespace === 'joliet') name = jolietName(r.identifier, vol.map === 'off');
  else name = plainName(r.identifier, vol.map);
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    warn(vol, `record at offset ${r.offset} skipped: '${name.replace(/\0/g, '\\0')}' is not a file name`);
    return undefined;
  }
  return name;
}

interface Pending {
  first: DirectoryRecord;
  extents: RecordExtent[];
}

/**
 * Indexes the directory `dir`. `ancestors` holds the inode numbers of the
 * directory itself and every directory above it: a child directory among
 * them would be a loop and is left out.
 */
export async function indexDirectory(vol: IsoVolume, dir: IsoInode, ancestors: ReadonlySet<Ino>, serials: SerialRegistry): Promise<IsoDirectory> {
  const bs = vol.blockSize;
  const { extent, size } = dir.dir!;
  const entries: IsoDirEntry[] = [];
  const byName = new Map<string, number>();
  const add = (e: IsoDirEntry): void => {
    if (entries.length >= MAX_DIRECTORY_ENTRIES) {
      throw unsupported('iso9660', `directory at block ${extent} has more than ${MAX_DIRECTORY_ENTRIES} entries`);
    }
    if (!byName.has(e.name)) byName.set(e.name, entries.length);
    entries.push(e);
  };

  const finish = async (p: Pending): Promise<void> => {
    const r = p.first;
    const rr = await rockRidgeOf(vol, r);
    if (rr?.relocated) return;
    const name = entryName(vol, r, rr);
    if (name === undefined) return;
    const childBlock = rr?.childLink ?? ((r.flags & FLAG_DIRECTORY) !== 0 ? r.extent + r.extAttrLength : undefined);
    if (childBlock !== undefined) {
      const ino = childBlock * bs;
      if (ino < FIRST_DATA_OFFSET || ino >= vol.dev.size) {
        warn(vol, `directory '${name}' (record at offset ${r.offset}) skipped: its extent ${childBlock} lies ${ino < FIRST_DATA_OFFSET ? 'in the system area' : 'past the end of the image'}`);
        return;
      }
      if (ancestors.has(ino)) {
        warn(vol, `directory '${name}' (record at offset ${r.offset}) skipped: it is the directory itself or one of its ancestors (a loop)`);
        return;
      }
      add({ name, ino, type: DT_DIR });
      return;
    }
    let ino = r.offset;
    if (rr?.serial !== undefined) {
      // Hard links share their data: the first extent identifies the file.
      const identity = p.extents[0]!.extent;
      const candidate = rr.serial * 2 + 1;
      if (serials.claim(candidate, identity)) ino = candidate;
    }
    const inode = buildFileInode(vol, ino, p.extents, r.date, rr);
    add({ name, ino, type: dtFromMode(inode.stat.mode), inode });
  };

  let pending: Pending | undefined;
  for await (const r of directoryRecords(vol, extent, size)) {
    if (isDotRecord(r) || isDotDotRecord(r)) continue;
    if (pending) {
      if (sameIdentifier(pending.first.identifier, r.identifier) && (r.flags & FLAG_DIRECTORY) === 0) {
        pending.extents.push(recordExtent(r));
        if ((r.flags & FLAG_MULTI_EXTENT) === 0) {
          await finish(pending);
          pending = undefined;
        }
        continue;
      }
      warn(vol, `multi-extent file at record offset ${pending.first.offset} ends without its final extent`);
      await finish(pending);
      pending = undefined;
    }
    if (r.flags & FLAG_ASSOCIATED) continue;
    const p: Pending = { first: r, extents: [recordExtent(r)] };
    if ((r.flags & FLAG_MULTI_EXTENT) !== 0 && (r.flags & FLAG_DIRECTORY) === 0) pending = p;
    else await finish(p);
  }
  if (pending) {
    warn(vol, `multi-extent file at record offset ${pending.first.offset} ends without its final extent`);
    await finish(pending);
  }
  return { ino: dir.ino, entries, byName };
}

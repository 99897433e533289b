/**
 * System Use Sharing Protocol (SUSP 1.12): the system use area of a
 * directory record holds entries of 2-byte signature, length, version and
 * data. Entries this file handles itself:
 *
 *   SP  (root '.' only) check bytes BE EF and LEN_SKP: bytes to skip at the
 *       start of every other record's system use area
 *   CE  continuation area: block, offset, length of more entries elsewhere
 *   ER  extension reference: which extension (RRIP_1991A, IEEE_P1282 …)
 *   ST  terminator; PD padding (ignored)
 *
 * A continuation area may itself end in a CE. Like Linux we follow at most
 * MAX_CONTINUATIONS of them per record, each inside the image and no
 * longer than MAX_CE_LENGTH, so a CE loop or a huge length is an EIO, not
 * a hang or a large allocation. An entry whose length is below 4 or runs
 * past the area ends the area (Linux ignores the rest too).
 */
import { corrupt } from '../../block/corrupt.js';
import { FsError } from '../../errors.js';

export const MAX_CONTINUATIONS = 32;
export const MAX_CE_LENGTH = 65536;

export interface SuspEntry {
  /** Two-letter signature ('PX', 'NM' …). */
  readonly sig: string;
  readonly version: number;
  /** The entry's bytes after the 4-byte header (a view). */
  readonly data: Uint8Array;
}

export interface ContinuationArea {
  readonly block: number;
  readonly offset: number;
  readonly length: number;
}

export interface SuspArea {
  readonly entries: SuspEntry[];
  /** The last CE seen: where the entries go on. */
  readonly continuation: ContinuationArea | undefined;
}

function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}

/** Splits one area (a record's system use bytes after the skip, or a continuation area) into entries. */
export function parseSuspArea(area: Uint8Array): SuspArea {
  const entries: SuspEntry[] = [];
  let continuation: ContinuationArea | undefined;
  let p = 0;
  while (p + 4 <= area.length) {
    const len = area[p + 2]!;
    if (len < 4 || p + len > area.length) break;
    const sig = String.fromCharCode(area[p]!, area[p + 1]!);
    const data = area.subarray(p + 4, p + len);
    if (sig === 'ST') break;
    if (sig === 'CE') {
      if (data.length >= 24) continuation = { block: le32(data, 0), offset: le32(data, 8), length: le32(data, 16) };
    } else if (sig !== 'PD') {
      entries.push({ sig, version: area[p + 3]!, data });
    }
    p += len;
  }
  return { entries, continuation };
}

/** Reads `length` bytes at byte `offset` of logical block `block` (bounds are checked by the caller's reader). */
export type AreaReader = (block: number, offset: number, length: number) => Promise<Uint8Array>;

/**
 * All entries of a record: its own area, then the continuation areas it
 * chains to. A broken chain (a loop, an unbelievable area, one past the
 * end of the image) does not lose the entries read so far: they come back
 * with `error` saying what went wrong. `where` names the record.
 */
export async function readSuspEntries(first: SuspArea, read: AreaReader, blockSize: number, where: number): Promise<{ entries: SuspEntry[]; error?: FsError }> {
  let entries = first.entries;
  let next = first.continuation;
  try {
    for (let hops = 0; next; hops++) {
      if (hops >= MAX_CONTINUATIONS) {
        throw corrupt('iso9660', 'SUSP continuation chain of the directory record', where, `more than ${MAX_CONTINUATIONS} CE entries (a loop?)`);
      }
      if (next.length > MAX_CE_LENGTH || next.offset >= blockSize) {
        throw corrupt('iso9660', 'SUSP CE entry of the directory record', where, `continuation area of ${next.length} bytes at block ${next.block} offset ${next.offset} is not believable`);
      }
      if (next.length === 0) break;
      const area = parseSuspArea(await read(next.block, next.offset, next.length));
      entries = entries.concat(area.entries);
      next = area.continuation;
    }
  } catch (e) {
    if (e instanceof FsError) return { entries, error: e };
    throw e;
  }
  return { entries };
}

/** An SP entry at the start of `su` (root '.' record): the LEN_SKP, or undefined. */
export function findSp(su: Uint8Array): number | undefined {
  if (su.length >= 7 && su[0] === 0x53 && su[1] === 0x50 && su[2]! >= 7 && su[4] === 0xbe && su[5] === 0xef) return su[6]!;
  return undefined;
}

/** Extension identifiers named by ER entries. */
export function extensionIds(entries: SuspEntry[]): string[] {
  const ids: string[] = [];
  for (const e of entries) {
    if (e.sig !== 'ER' || e.data.length < 4) continue;
    const idLen = e.data[0]!;
    ids.push(String.fromCharCode(...e.data.subarray(4, 4 + idLen)));
  }
  return ids;
}

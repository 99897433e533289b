/**
 * Fragments: the tails of files (and whole small files) packed together
 * into fragment blocks. The fragment table has one 16-byte entry per
 * fragment block: start_block (u64 disk position), size (u32: on-disk
 * length, bit 24 set when stored uncompressed), unused (u32).
 */
import { corrupt } from '../../block/corrupt.js';
import { u32, u64 } from './le.js';
import type { LookupTable } from './table.js';

export interface FragmentEntry {
  start_block: number;
  /** On-disk size word: low 24 bits the length, bit 24 "uncompressed". */
  size: number;
}

export const FRAGMENT_ENTRY_SIZE = 16;

export async function fragmentEntry(table: LookupTable, index: number, bytesUsed: number): Promise<FragmentEntry> {
  return parseEntry(await table.entry(index), index, bytesUsed);
}

/** The entry if its table block is cached, else undefined (no I/O). */
export function fragmentEntrySync(table: LookupTable, index: number, bytesUsed: number): FragmentEntry | undefined {
  const b = table.entrySync(index);
  return b && parseEntry(b, index, bytesUsed);
}

function parseEntry(b: Uint8Array, index: number, bytesUsed: number): FragmentEntry {
  const start_block = u64(b, 0);
  const size = u32(b, 8);
  const len = size & 0xffffff;
  if (len === 0 || start_block + len > bytesUsed) {
    throw corrupt('squashfs', `fragment ${index}`, start_block, `block of ${len} bytes does not fit the ${bytesUsed}-byte image`);
  }
  return { start_block, size };
}

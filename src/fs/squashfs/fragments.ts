/**
 * Fragments: the tails of files (and whole small files) packed together
 * into fragment blocks. The fragment table has one 16-byte entry per
 * fragment block: start_block (u64 disk position), size (u32: on-disk
 * length, bit 24 set when stored uncompressed), unused (u32).
 */
import { corrupt } from '../../block/corrupt.js';
import type { LookupTable } from './table.js';

export interface FragmentEntry {
  start_block: number;
  /** On-disk size word: low 24 bits the length, bit 24 "uncompressed". */
  size: number;
}

export const FRAGMENT_ENTRY_SIZE = 16;

export async function fragmentEntry(table: LookupTable, index: number, bytesUsed: number): Promise<FragmentEntry> {
  const b = await table.entry(index);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const start_block = v.getUint32(4, true) * 0x1_0000_0000 + v.getUint32(0, true);
  const size = v.getUint32(8, true);
  const len = size & 0xffffff;
  if (len === 0 || start_block + len > bytesUsed) {
    throw corrupt('squashfs', `fragment ${index}`, start_block, `block of ${len} bytes does not fit the ${bytesUsed}-byte image`);
  }
  return { start_block, size };
}

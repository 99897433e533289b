/** The id table: every uid and gid the image uses, as u32, indexed by the inode's uid_idx/gid_idx. */
import { corrupt } from '../../block/corrupt.js';
import { u32 } from './le.js';
import type { LookupTable } from './table.js';

export async function lookupId(table: LookupTable, index: number, inodeNumber: number): Promise<number> {
  return lookupIdSync(table, index, inodeNumber) ?? u32(await table.entry(index), 0);
}

/** The id at `index` (for inode `inodeNumber`) if its block is cached, else undefined (no I/O). */
export function lookupIdSync(table: LookupTable, index: number, inodeNumber: number): number | undefined {
  if (index >= table.count) throw corrupt('squashfs', `inode ${inodeNumber}`, undefined, `id index ${index} is out of range (${table.count} ids)`);
  const b = table.entrySync(index);
  return b && u32(b, 0);
}

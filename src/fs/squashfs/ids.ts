/** The id table: every uid and gid the image uses, as u32, indexed by the inode's uid_idx/gid_idx. */
import { corrupt } from '../../block/corrupt.js';
import type { LookupTable } from './table.js';

export async function lookupId(table: LookupTable, index: number, what: string): Promise<number> {
  if (index >= table.count) throw corrupt('squashfs', what, undefined, `id index ${index} is out of range (${table.count} ids)`);
  const b = await table.entry(index);
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}

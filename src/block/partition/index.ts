/** Partition tables: the schemes, and reading whichever one a disk holds. */
import type { BlockDevice } from '../device.js';
import { PARTITION_SCHEMES } from '../formats.js';
import { FsError } from '../../errors.js';
import { PartitionDevice, type PartitionTable } from './table.js';

export { GPT_SCHEME, readGpt } from './gpt.js';
export { MBR_SCHEME, readMbr } from './mbr.js';
export { APM_SCHEME, readApm } from './apm.js';
export { BSD_SCHEME, readBsd } from './bsd.js';
export { RDB_SCHEME, readRdb } from './rdb.js';
export { PartitionDevice } from './table.js';
export type { Partition, PartitionScheme, PartitionTable } from './table.js';

/**
 * Tries each scheme in catalogue order and returns the first table found,
 * or undefined when the disk has none. A scheme whose signature is there
 * but whose table is corrupt beyond use throws EIO.
 */
export async function readPartitionTable(disk: BlockDevice): Promise<PartitionTable | undefined> {
  for (const scheme of PARTITION_SCHEMES) {
    const table = await scheme.read(disk);
    if (table) return table;
  }
  return undefined;
}

/** Opens partition `index` (the number users see) of a table read from `disk`. */
export function openPartition(disk: BlockDevice, table: PartitionTable, index: number, options: { readOnly?: boolean } = {}): PartitionDevice {
  const p = table.partitions.find((x) => x.index === index);
  if (!p) throw new FsError('ENOENT', `${table.scheme}: no partition ${index} (have ${table.partitions.map((x) => x.index).join(', ') || 'none'})`);
  return new PartitionDevice(disk, table, p, options);
}

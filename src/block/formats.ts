/**
 * The container formats and partition schemes anymount can open, by
 * catalogue id. Detection (src/detect) says what a device is; these say how
 * to open it. Order of partition schemes is the order they are tried.
 */
import type { ContainerFormat } from './container.js';
import type { PartitionScheme } from './partition/table.js';
import { GPT_SCHEME } from './partition/gpt.js';
import { MBR_SCHEME } from './partition/mbr.js';
import { qcow2Format } from './qcow2/index.js';
import { vmdkFormat } from './vmdk/index.js';
import { vhdFormat } from './vhd/index.js';
import { vhdxFormat } from './vhdx/index.js';
import { vdiFormat } from './vdi/index.js';
import { qedFormat } from './qed/index.js';
import { APM_SCHEME } from './partition/apm.js';
import { BSD_SCHEME } from './partition/bsd.js';
import { RDB_SCHEME } from './partition/rdb.js';

export const CONTAINER_FORMATS: ContainerFormat[] = [qcow2Format, vmdkFormat, vhdFormat, vhdxFormat, vdiFormat, qedFormat];

// GPT before MBR: a protective MBR defers to the GPT behind it.
export const PARTITION_SCHEMES: PartitionScheme[] = [GPT_SCHEME, MBR_SCHEME, APM_SCHEME, BSD_SCHEME, RDB_SCHEME];

export function containerFormat(id: string): ContainerFormat | undefined {
  return CONTAINER_FORMATS.find((f) => f.id === id);
}

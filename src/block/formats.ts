/**
 * The container formats and partition schemes anymount can open, by
 * catalogue id. Detection (src/detect) says what a device is; these say how
 * to open it. Order of partition schemes is the order they are tried.
 */
import type { ContainerFormat } from './container.js';
import type { PartitionScheme } from './partition/table.js';
import { GPT_SCHEME } from './partition/gpt.js';
import { MBR_SCHEME } from './partition/mbr.js';
import { APM_SCHEME } from './partition/apm.js';
import { BSD_SCHEME } from './partition/bsd.js';
import { RDB_SCHEME } from './partition/rdb.js';

/** A registry entry that loads its format's module on first open (CLI start-up time). */
function lazy(id: string, name: string, writable: boolean, load: () => Promise<ContainerFormat>): ContainerFormat {
  return {
    id,
    name,
    writable,
    async open(file, ctx) {
      return (await load()).open(file, ctx);
    },
  };
}

export const CONTAINER_FORMATS: ContainerFormat[] = [
  lazy('qcow2', 'QEMU qcow2', true, async () => (await import('./qcow2/index.js')).qcow2Format),
  lazy('vmdk', 'VMware VMDK', false, async () => (await import('./vmdk/index.js')).vmdkFormat),
  lazy('vpc', 'VHD (Virtual PC)', false, async () => (await import('./vhd/index.js')).vhdFormat),
  lazy('vhdx', 'Hyper-V VHDX', false, async () => (await import('./vhdx/index.js')).vhdxFormat),
  lazy('vdi', 'VirtualBox VDI', false, async () => (await import('./vdi/index.js')).vdiFormat),
  lazy('qed', 'QEMU Enhanced Disk', false, async () => (await import('./qed/index.js')).qedFormat),
];

// GPT before MBR: a protective MBR defers to the GPT behind it.
export const PARTITION_SCHEMES: PartitionScheme[] = [GPT_SCHEME, MBR_SCHEME, APM_SCHEME, BSD_SCHEME, RDB_SCHEME];

export function containerFormat(id: string): ContainerFormat | undefined {
  return CONTAINER_FORMATS.find((f) => f.id === id);
}

/**
 * Apple Partition Map: block 0 is the Driver Descriptor Map ('ER', block
 * size, block count); blocks 1..N are partition map entries ('PM'), one per
 * block, each repeating N (pmMapBlkCnt). Every entry is a partition —
 * including the map itself and Apple_Free gaps — numbered from 1 in map
 * order, as Linux and libblkid number them. Big-endian throughout.
 */
import { BinaryReader } from '../../binary/reader.js';
import { corrupt } from '../corrupt.js';
import type { BlockDevice } from '../device.js';
import { fitToDisk, warnOverlaps } from './bounds.js';
import type { Partition, PartitionScheme, PartitionTable } from './table.js';

const DDM_SIGNATURE = 0x4552; // 'ER'
const PM_SIGNATURE = 0x504d; // 'PM'
const PM_SIGNATURE_OLD = 0x5453; // 'TS', the pre-1986 map
/** More map entries than this is nonsense (libblkid stops at 256). */
export const MAX_APM_ENTRIES = 1024;

export const APM_TYPE_NAMES: Readonly<Record<string, string>> = {
  Apple_partition_map: 'Partition map',
  Apple_Driver: 'Driver',
  Apple_Driver43: 'SCSI driver',
  Apple_Driver43_CD: 'SCSI CD driver',
  Apple_Driver_ATA: 'ATA driver',
  Apple_Driver_ATAPI: 'ATAPI driver',
  Apple_Patches: 'Patches',
  Apple_FWDriver: 'FireWire driver',
  Apple_HFS: 'HFS/HFS+',
  Apple_HFSX: 'HFSX',
  Apple_MFS: 'MFS',
  Apple_UNIX_SVR2: 'Unix (A/UX, Linux)',
  Apple_PRODOS: 'ProDOS',
  Apple_Boot: 'Boot',
  Apple_Bootstrap: 'Bootstrap (NewWorld)',
  Apple_Free: 'Free space',
  Apple_Void: 'Void',
  Apple_Scratch: 'Scratch',
  Apple_Rhapsody_UFS: 'Rhapsody UFS',
  Apple_Boot_RAID: 'RAID boot',
  Apple_RAID: 'RAID',
  ISO9660_data: 'ISO 9660 data',
  Linux_LVM: 'Linux LVM',
  Linux_RAID: 'Linux RAID',
};

/** pmPartStatus bits worth a flag (Inside Macintosh: Devices, 3-27). */
const STATUS_BOOTABLE = 0x08;

export async function readApm(disk: BlockDevice): Promise<PartitionTable | undefined> {
  if (disk.size < 1024) return undefined;
  const ddm = new BinaryReader(new Uint8Array(512), 'apm driver descriptor map');
  await disk.read(ddm.bytes, 0);
  if (ddm.u16be(0) !== DDM_SIGNATURE) return undefined;
  const warnings: string[] = [];
  let bs = ddm.u16be(2); // sbBlkSize
  if (bs < 512 || bs % 512 !== 0) {
    warnings.push(`apm: driver descriptor block size ${bs} is unusable: assuming 512`);
    bs = 512;
  }
  const entryAt = async (i: number): Promise<BinaryReader | undefined> => {
    const off = i * bs;
    if (off + 512 > disk.size) return undefined;
    const r = new BinaryReader(new Uint8Array(512), `apm map entry ${i}`);
    await disk.read(r.bytes, off);
    return r;
  };
  const first = await entryAt(1);
  const sig = first?.u16be(0);
  // 'ER' without a 'PM' entry in block 1 is not an APM (libblkid agrees).
  if (!first || (sig !== PM_SIGNATURE && sig !== PM_SIGNATURE_OLD)) return undefined;

  let count = first.u32be(4); // pmMapBlkCnt
  if (count === 0) throw corrupt('apm', 'map entry 1', bs, 'pmMapBlkCnt is 0');
  const fits = Math.floor(disk.size / bs) - 1;
  if (count > MAX_APM_ENTRIES || count > fits) {
    const cap = Math.min(MAX_APM_ENTRIES, fits);
    warnings.push(`apm: pmMapBlkCnt ${count} is more than the disk or our limit allows: reading ${cap} entries`);
    count = cap;
  }
  const partitions: Partition[] = [];
  for (let i = 1; i <= count; i++) {
    const r = i === 1 ? first : await entryAt(i);
    const s = r?.u16be(0);
    if (!r || (s !== PM_SIGNATURE && s !== PM_SIGNATURE_OLD)) {
      warnings.push(`apm: map entry ${i} at offset ${i * bs} has no 'PM' signature: map ends there`);
      break;
    }
    if (r.u32be(4) !== first.u32be(4)) warnings.push(`apm: map entry ${i} says the map has ${r.u32be(4)} entries, entry 1 says ${first.u32be(4)}`);
    const type = r.ascii(48, 32);
    const p: Partition = { index: i, start: r.u32be(8) * bs, size: r.u32be(12) * bs, type };
    const name = r.ascii(16, 32);
    if (name) p.name = name;
    const typeName = APM_TYPE_NAMES[type];
    if (typeName) p.typeName = typeName;
    const flags: string[] = [];
    if (type === 'Apple_Free' || type === 'Apple_Void') flags.push('free');
    if (r.u32be(88) & STATUS_BOOTABLE) flags.push('bootable');
    if (flags.length) p.flags = flags;
    if (p.size === 0) continue;
    const kept = fitToDisk(p, disk.size, warnings, 'apm');
    if (kept) partitions.push(kept);
  }
  warnOverlaps(partitions, warnings, 'apm', { wholeDiskOk: true });
  return { scheme: 'apm', sectorSize: bs, partitions, warnings };
}

export const APM_SCHEME: PartitionScheme = {
  id: 'apm',
  name: 'Apple Partition Map',
  read: (disk) => readApm(disk),
};

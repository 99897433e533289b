/**
 * Amiga Rigid Disk Block: an 'RDSK' block in one of the first 16 blocks,
 * whose rdb_PartitionList points at a chain of 'PART' blocks linked by
 * pb_Next (0xFFFFFFFF ends it). Each block's longs, rdb_SummedLongs/
 * pb_SummedLongs of them, sum to 0. A partition's place comes from its
 * DosEnvec in cylinders: LowCyl..HighCyl × Surfaces × BlocksPerTrack,
 * in blocks of rdb_BlockBytes (Linux does the same). Big-endian.
 * Partitions are numbered 1, 2, … in chain order over the valid ones.
 */
import { BinaryReader } from '../../binary/reader.js';
import { corrupt } from '../corrupt.js';
import type { BlockDevice } from '../device.js';
import { fitToDisk, warnOverlaps } from './bounds.js';
import type { Partition, PartitionScheme, PartitionTable } from './table.js';

const IDNAME_RIGIDDISK = 0x5244534b; // 'RDSK'
const IDNAME_PARTITION = 0x50415254; // 'PART'
/** The RDB must start within the first 16 blocks (RDB_LOCATION_LIMIT). */
const RDB_LOCATION_LIMIT = 16;
/** PART chains longer than this are cut (Linux reads 16; nobody has more than a few dozen). */
export const MAX_RDB_PARTITIONS = 128;
const END = 0xffffffff;

/** DosEnvec indexes (longs from pb_Environment at byte 128). */
const DE_SURFACES = 3;
const DE_BLOCKSPERTRACK = 5;
const DE_LOWCYL = 9;
const DE_HIGHCYL = 10;
const DE_BOOTPRI = 15;
const DE_DOSTYPE = 16;

export const AMIGA_DOSTYPE_NAMES: Readonly<Record<string, string>> = {
  'DOS\\0': 'Amiga OFS',
  'DOS\\1': 'Amiga FFS',
  'DOS\\2': 'Amiga OFS international',
  'DOS\\3': 'Amiga FFS international',
  'DOS\\4': 'Amiga OFS dircache',
  'DOS\\5': 'Amiga FFS dircache',
  'DOS\\6': 'Amiga OFS long names',
  'DOS\\7': 'Amiga FFS long names',
  'PFS\\1': 'Professional File System',
  'PFS\\3': 'Professional File System 3',
  'SFS\\0': 'Smart File System',
  'SFS\\2': 'Smart File System 2',
  'LNX\\0': 'Linux native',
  'SWP\\0': 'Linux swap',
  'EXT\\2': 'Linux ext2',
  'MSD\\0': 'MS-DOS FAT',
  'NTFS': 'NTFS',
};

/** DosType as text: printable bytes as they are, others as \N ("DOS\1"). */
export function formatDosType(v: number): string {
  let s = '';
  for (let shift = 24; shift >= 0; shift -= 8) {
    const c = (v >>> shift) & 0xff;
    s += c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\${c.toString(16)}`;
  }
  return s;
}

/** True if the first `longs` big-endian longs of the block sum to 0 (mod 2^32). */
function checksumOk(r: BinaryReader, longs: number): boolean {
  if (longs < 1 || longs * 4 > r.length) return false;
  let sum = 0;
  for (let i = 0; i < longs; i++) sum = (sum + r.u32be(4 * i)) >>> 0;
  return sum === 0;
}

export async function readRdb(disk: BlockDevice): Promise<PartitionTable | undefined> {
  let rdb: BinaryReader | undefined;
  let rdbBlock = 0;
  for (let b = 0; b < RDB_LOCATION_LIMIT && (b + 1) * 512 <= disk.size; b++) {
    const r = new BinaryReader(new Uint8Array(512), `rdb block ${b}`);
    await disk.read(r.bytes, b * 512);
    if (r.u32be(0) === IDNAME_RIGIDDISK && checksumOk(r, r.u32be(4) & 0x7f)) {
      rdb = r;
      rdbBlock = b;
      break;
    }
  }
  if (!rdb) return undefined;
  const warnings: string[] = [];
  const blockBytes = rdb.u32be(16); // rdb_BlockBytes
  if (blockBytes < 512 || blockBytes % 512 !== 0 || blockBytes > 65536) {
    throw corrupt('rdb', `RDSK block ${rdbBlock}`, rdbBlock * 512, `rdb_BlockBytes ${blockBytes} is not a multiple of 512 up to 65536`);
  }
  const partitions: Partition[] = [];
  const visited = new Set<number>();
  let blk = rdb.u32be(28); // rdb_PartitionList
  let index = 0;
  for (let hop = 0; blk !== END && blk !== 0; hop++) {
    const at = blk * blockBytes;
    const where = `PART block ${blk}`;
    if (hop >= MAX_RDB_PARTITIONS) {
      warnings.push(`rdb: PART chain longer than ${MAX_RDB_PARTITIONS} blocks: stopped at ${where}`);
      break;
    }
    if (visited.has(blk)) {
      warnings.push(`rdb: PART chain loops back to ${where}: stopped`);
      break;
    }
    visited.add(blk);
    if (at + 512 > disk.size) {
      warnings.push(`rdb: ${where} (offset ${at}) lies past the end of the disk: chain stopped`);
      break;
    }
    const r = new BinaryReader(new Uint8Array(512), `rdb ${where}`);
    await disk.read(r.bytes, at);
    if (r.u32be(0) !== IDNAME_PARTITION) {
      warnings.push(`rdb: ${where} (offset ${at}) has no 'PART' id: chain stopped`);
      break;
    }
    const next = r.u32be(16); // pb_Next
    if (!checksumOk(r, r.u32be(4) & 0x7f)) {
      warnings.push(`rdb: ${where} (offset ${at}) has a bad checksum: skipped`);
      blk = next;
      continue;
    }
    const env = (i: number) => r.u32be(128 + 4 * i);
    const cylBlocks = env(DE_SURFACES) * env(DE_BLOCKSPERTRACK);
    const lo = env(DE_LOWCYL);
    const hi = env(DE_HIGHCYL);
    if (hi < lo || cylBlocks === 0) {
      warnings.push(`rdb: ${where} has an empty geometry (cylinders ${lo}..${hi}, ${cylBlocks} blocks each): ignored`);
      blk = next;
      continue;
    }
    const dosType = formatDosType(env(DE_DOSTYPE));
    const p: Partition = { index: ++index, start: lo * cylBlocks * blockBytes, size: (hi - lo + 1) * cylBlocks * blockBytes, type: dosType };
    const typeName = AMIGA_DOSTYPE_NAMES[dosType];
    if (typeName) p.typeName = typeName;
    const nameLen = Math.min(r.u8(36), 31); // pb_DriveName: a BCPL string
    const name = r.ascii(37, nameLen);
    if (name) p.name = name;
    const flags: string[] = [];
    const pbFlags = r.u32be(20);
    if (pbFlags & 1) flags.push('bootable');
    if (pbFlags & 2) flags.push('no-automount');
    if (flags.length) p.flags = flags;
    const kept = fitToDisk(p, disk.size, warnings, 'rdb');
    if (kept) partitions.push(kept);
    blk = next;
  }
  warnOverlaps(partitions, warnings, 'rdb');
  return { scheme: 'rdb', sectorSize: blockBytes, partitions, warnings };
}

export const RDB_SCHEME: PartitionScheme = {
  id: 'rdb',
  name: 'Amiga Rigid Disk Block',
  read: (disk) => readRdb(disk),
};

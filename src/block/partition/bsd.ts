/**
 * BSD disklabel: `struct disklabel` (magic 0x82564557 twice, geometry,
 * checksum, up to 16 partitions of 16 bytes), little-endian as on x86.
 * It sits at sector 1 (i386/amd64), or at byte 64 or 128 of sector 0
 * (alpha, sparc; parted writes it at 64) — of the whole disk, or of an
 * MBR partition of type 0xa5 (FreeBSD), 0xa6 (OpenBSD) or 0xa9 (NetBSD).
 * Offsets are absolute (from the start of the disk), except FreeBSD ≥ 10
 * which makes them relative to its slice (detected as libblkid does: the
 * raw partition 'c' then starts at 0). Partitions are numbered 1, 2, …
 * over the used slots, like Linux; the slot letter is a flag ('slot-a').
 */
import { BinaryReader } from '../../binary/reader.js';
import { corrupt } from '../corrupt.js';
import type { BlockDevice } from '../device.js';
import { SliceDevice } from '../slice.js';
import { fitToDisk, warnOverlaps } from './bounds.js';
import { MBR_BSD_TYPES } from './mbr-types.js';
import { parseMbrEntries, mbrRejection } from './mbr.js';
import type { Partition, PartitionScheme, PartitionTable } from './table.js';

const DISKMAGIC = 0x82564557;
/** Where labels live, in bytes from the start of the disk or slice. */
const LABEL_OFFSETS = [512, 64, 128];
export const BSD_MAXPARTITIONS = 16;
const HEADER_SIZE = 148; // bytes before d_partitions[]

/** d_partitions[].p_fstype values (sys/disklabel.h). */
export const BSD_FSTYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'unused',
  1: 'swap',
  2: 'Version 6',
  3: 'Version 7',
  4: 'System V',
  5: '4.1BSD',
  6: 'Eighth Edition',
  7: '4.2BSD',
  8: '4.2BSD',
  9: 'MSDOS',
  10: '4.4LFS',
  11: 'unknown',
  12: 'HPFS',
  13: 'ISO9660',
  14: 'boot',
  15: 'ADOS',
  16: 'HFS',
  17: 'AdvFS',
  18: 'LFS',
  19: 'Vinum',
  20: 'raid',
  21: 'Filecore',
  22: 'ext2fs',
  23: 'NTFS',
  24: 'RAIDframe',
  25: 'ccd',
  26: 'jfs2',
  27: 'Apple UFS',
  28: 'vinum',
};

interface Found {
  /** Byte offset on `disk` of the disk or slice that holds the label. */
  container: number;
  containerSize: number;
  /** Byte offset of the label itself. */
  at: number;
  bytes: Uint8Array;
  mbrType?: number;
}

async function findLabel(disk: BlockDevice): Promise<Found | undefined> {
  const look = async (container: number, containerSize: number, mbrType?: number): Promise<Found | undefined> => {
    for (const rel of LABEL_OFFSETS) {
      const at = container + rel;
      if (at + 512 > disk.size) continue;
      const bytes = new Uint8Array(512);
      await disk.read(bytes, at);
      if (new DataView(bytes.buffer).getUint32(0, true) === DISKMAGIC) return { container, containerSize, at, bytes, ...(mbrType !== undefined ? { mbrType } : {}) };
    }
    return undefined;
  };
  const direct = await look(0, disk.size);
  if (direct) return direct;
  // A label inside the first BSD-type MBR partition.
  if (disk.size < 512) return undefined;
  const sector0 = new Uint8Array(512);
  await disk.read(sector0, 0);
  if (mbrRejection(sector0) !== undefined) return undefined;
  for (const e of parseMbrEntries(sector0)) {
    if (e.sectors === 0 || !MBR_BSD_TYPES.has(e.type)) continue;
    const found = await look(e.startLba * 512, e.sectors * 512, e.type);
    if (found) return found;
  }
  return undefined;
}

/** XOR of all 16-bit words from d_magic to the end of d_partitions[n] (d_checksum included) is 0 in a good label. */
function checksum(r: BinaryReader, n: number): number {
  let x = 0;
  for (let o = 0; o < HEADER_SIZE + 16 * n; o += 2) x ^= r.u16le(o);
  return x;
}

export async function readBsd(disk: BlockDevice): Promise<PartitionTable | undefined> {
  const found = await findLabel(disk);
  if (!found) return undefined;
  const r = new BinaryReader(found.bytes, 'bsd disklabel');
  const where = `disklabel`;
  if (r.u32le(132) !== DISKMAGIC) return undefined; // d_magic2: one magic alone is chance
  const warnings: string[] = [];
  let n = r.u16le(138); // d_npartitions
  if (n > BSD_MAXPARTITIONS) {
    warnings.push(`bsd: d_npartitions ${n} is more than ${BSD_MAXPARTITIONS}: reading ${BSD_MAXPARTITIONS}`);
    n = BSD_MAXPARTITIONS;
  }
  // Our sum covers d_npartitions entries (the BSD definition); libblkid ≥ 2.39 covers all 16 slots
  // and rejects a mismatch. Linux does not check it, and parted 3.5 writes labels that fail it:
  // so a mismatch is only a warning; the two magics are what make a label.
  if (checksum(r, n) !== 0 && checksum(r, BSD_MAXPARTITIONS) !== 0) {
    warnings.push(`${corrupt('bsd', where, found.at, `d_checksum 0x${r.u16le(136).toString(16)} does not match the label`).message}`);
  }
  const ss = 512;
  // Where the physical disk starts relative to `disk`: a partition device passed in directly
  // still sees absolute offsets in its label.
  const deviceBase = disk instanceof SliceDevice ? disk.start : 0;
  const rawPart = n >= 3 ? r.u32le(HEADER_SIZE + 2 * 16 + 4) : undefined;
  const relative = found.container + deviceBase > 0 && rawPart === 0;

  const partitions: Partition[] = [];
  let index = 0;
  for (let i = 0; i < n; i++) {
    const o = HEADER_SIZE + 16 * i;
    const size = r.u32le(o);
    const offset = r.u32le(o + 4);
    const fstype = r.u8(o + 12);
    if (fstype === 0 || size === 0) continue; // unused slot (the raw 'c' partition is one)
    index++;
    const start = relative ? found.container + offset * ss : offset * ss - deviceBase;
    const letter = String.fromCharCode(0x61 + i);
    if (start < 0) {
      warnings.push(`bsd: partition ${letter} starts before this device (offset ${offset}): ignored`);
      continue;
    }
    // The whole-slice partition duplicates its container: Linux and libblkid skip it.
    if (found.container > 0 && start === found.container && size * ss === found.containerSize) continue;
    const p: Partition = { index, start, size: size * ss, type: `${fstype}`, flags: [`slot-${letter}`] };
    const typeName = BSD_FSTYPE_NAMES[fstype];
    if (typeName) p.typeName = typeName;
    const kept = fitToDisk(p, disk.size, warnings, 'bsd');
    if (kept) partitions.push(kept);
  }
  warnOverlaps(partitions, warnings, 'bsd');
  return { scheme: 'bsd', sectorSize: ss, partitions, warnings };
}

export const BSD_SCHEME: PartitionScheme = {
  id: 'bsd',
  name: 'BSD disklabel',
  read: (disk) => readBsd(disk),
};

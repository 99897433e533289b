/**
 * MBR (DOS) partition table: four primary entries in sector 0, and for each
 * extended primary a chain of EBRs holding the logical partitions.
 * Layout and numbering are in README.md; the rules follow Linux and libblkid.
 */
import { BinaryReader } from '../../binary/reader.js';
import type { BlockDevice } from '../device.js';
import { filesystemBootSector } from './boot-sector.js';
import { fitToDisk, hasIso9660, warnOverlaps } from './bounds.js';
import { MBR_EXTENDED_TYPES, MBR_GPT_PROTECTIVE, MBR_TYPE_NAMES, mbrTypeString } from './mbr-types.js';
import type { Partition, PartitionScheme, PartitionTable } from './table.js';

/** Offset of the first of the four 16-byte entries in an MBR or EBR. */
export const MBR_ENTRIES_OFFSET = 0x1be;
/** Offset of the 32-bit disk signature (Windows "disk id"). */
const MBR_DISK_SIGNATURE_OFFSET = 0x1b8;

/** At most this many EBRs are followed in one chain; a longer chain is cut with a warning. */
export const MAX_EBR_CHAIN = 1024;

/** One 16-byte entry, fields as the PC BIOS spec names them. */
export interface MbrEntry {
  /** 0x80 = bootable ("active"), 0x00 otherwise; anything else means this is no table. */
  bootIndicator: number;
  type: number;
  /** Starting LBA: in sector 0 from the start of the disk, in an EBR relative (see README). */
  startLba: number;
  sectors: number;
}

export function hasBootSignature(sector: Uint8Array): boolean {
  return sector.length >= 512 && sector[510] === 0x55 && sector[511] === 0xaa;
}

export function parseMbrEntries(sector: Uint8Array): MbrEntry[] {
  const r = new BinaryReader(sector, 'mbr');
  const out: MbrEntry[] = [];
  for (let i = 0; i < 4; i++) {
    const o = MBR_ENTRIES_OFFSET + 16 * i;
    out.push({ bootIndicator: r.u8(o), type: r.u8(o + 4), startLba: r.u32le(o + 8), sectors: r.u32le(o + 12) });
  }
  return out;
}

/**
 * Whether sector 0 is an MBR, the way libblkid decides: the 55AA signature,
 * every boot indicator 0x00 or 0x80, and not a FAT/NTFS/exFAT boot sector
 * (those end in 55AA too). Returns the reason when it is not.
 */
export function mbrRejection(sector: Uint8Array): string | undefined {
  if (!hasBootSignature(sector)) return 'no 55AA signature';
  const entries = parseMbrEntries(sector);
  const bad = entries.findIndex((e) => e.bootIndicator !== 0 && e.bootIndicator !== 0x80);
  if (bad >= 0) return `entry ${bad + 1} has boot indicator 0x${entries[bad]!.bootIndicator.toString(16)}`;
  const fs = filesystemBootSector(sector);
  if (fs) return `sector 0 is a ${fs} boot sector`;
  return undefined;
}

/** True if sector 0 is an MBR with an 0xEE (GPT protective) entry. */
export function hasProtectiveEntry(sector: Uint8Array): boolean {
  return hasBootSignature(sector) && parseMbrEntries(sector).some((e) => e.type === MBR_GPT_PROTECTIVE && e.sectors > 0);
}

export interface MbrReadOptions {
  /** Sector size the LBAs count in; the disk's own by default. */
  sectorSize?: number;
}

export async function readMbr(disk: BlockDevice, options: MbrReadOptions = {}): Promise<PartitionTable | undefined> {
  if (disk.size < 512) return undefined;
  const ss = options.sectorSize ?? disk.sectorSize;
  const sector = new Uint8Array(512);
  await disk.read(sector, 0);
  if (mbrRejection(sector) !== undefined) return undefined;

  const warnings: string[] = [];
  const entries = parseMbrEntries(sector);
  const signature = new DataView(sector.buffer, sector.byteOffset).getUint32(MBR_DISK_SIGNATURE_OFFSET, true);
  // libblkid gives no id (and so no PARTUUIDs) when the signature is zero.
  const diskId = signature ? signature.toString(16).padStart(8, '0') : undefined;
  const iso = await hasIso9660(disk);

  const make = (index: number, e: MbrEntry, startSector: number, flags: string[]): Partition => {
    const p: Partition = { index, start: startSector * ss, size: e.sectors * ss, type: mbrTypeString(e.type) };
    const typeName = MBR_TYPE_NAMES[e.type];
    if (typeName) p.typeName = typeName;
    if (diskId) p.uuid = `${diskId}-${index.toString(16).padStart(2, '0')}`;
    if (e.bootIndicator === 0x80) flags.unshift('bootable');
    if (flags.length) p.flags = flags;
    return p;
  };

  const found: Partition[] = [];
  const extended: Array<{ entry: MbrEntry; index: number }> = [];
  let protective = false;
  let others = 0;
  entries.forEach((e, slot) => {
    // Empty entries are skipped but keep their number, like Linux.
    if (e.sectors === 0) return;
    const flags: string[] = [];
    if (MBR_EXTENDED_TYPES.has(e.type)) {
      flags.push('extended');
      extended.push({ entry: e, index: slot + 1 });
    }
    if (e.type === MBR_GPT_PROTECTIVE) {
      flags.push('protective');
      protective = true;
    } else others++;
    if (e.startLba === 0 && !iso && e.type !== MBR_GPT_PROTECTIVE) {
      warnings.push(`mbr: partition ${slot + 1} starts at sector 0, over the partition table itself`);
    }
    found.push(make(slot + 1, e, e.startLba, flags));
  });

  let next = 5;
  for (const ext of extended) {
    if (ext.entry.startLba === 0) {
      warnings.push(`mbr: extended partition ${ext.index} starts at sector 0: its EBR chain is not followed`);
      continue;
    }
    next = await readLogicals(disk, ss, ext.entry, next, found, warnings, make);
  }

  const partitions: Partition[] = [];
  for (const p of found) {
    if (p.flags?.includes('protective')) {
      // A protective entry covers "the rest of the disk", often 0xFFFFFFFF sectors: clamp quietly.
      if (p.start < disk.size) partitions.push({ ...p, size: Math.min(p.size, disk.size - p.start) });
      continue;
    }
    const kept = fitToDisk(p, disk.size, warnings, 'mbr');
    if (kept) partitions.push(kept);
  }
  warnOverlaps(partitions, warnings, 'mbr', { ignoreFlags: ['extended', 'protective'], wholeDiskOk: iso });

  const table: PartitionTable = { scheme: 'mbr', sectorSize: ss, partitions, warnings };
  if (diskId) table.diskId = diskId;
  if (protective) {
    table.supersededBy = 'gpt';
    if (others > 0) warnings.push(`mbr: hybrid MBR (a GPT protective entry plus ${others} other): the GPT takes precedence`);
  }
  return table;
}

/**
 * Follows one extended partition's EBR chain. Each EBR's first data entry
 * is relative to that EBR; its link entry (the first extended-type entry)
 * is relative to the start of the outermost extended partition. Returns
 * the next free logical number.
 */
async function readLogicals(
  disk: BlockDevice,
  ss: number,
  ext: MbrEntry,
  next: number,
  out: Partition[],
  warnings: string[],
  make: (index: number, e: MbrEntry, startSector: number, flags: string[]) => Partition,
): Promise<number> {
  const extStart = ext.startLba;
  const extEnd = ext.startLba + ext.sectors;
  const visited = new Set<number>();
  const starts = new Set(out.map((p) => p.start));
  let cur = extStart;
  let curSize = ext.sectors;
  const ebr = new Uint8Array(512);
  for (let hop = 0; ; hop++) {
    const where = `EBR at sector ${cur} (offset 0x${(cur * ss).toString(16)})`;
    if (hop >= MAX_EBR_CHAIN) {
      warnings.push(`mbr: EBR chain longer than ${MAX_EBR_CHAIN} links: stopped at ${where}`);
      break;
    }
    if (visited.has(cur)) {
      warnings.push(`mbr: EBR chain loops back to ${where}: stopped`);
      break;
    }
    visited.add(cur);
    if (cur * ss + 512 > disk.size) {
      warnings.push(`mbr: ${where} lies past the end of the disk: chain stopped`);
      break;
    }
    await disk.read(ebr, cur * ss);
    if (!hasBootSignature(ebr)) {
      // An extended partition with no logicals may hold an all-zero first EBR.
      if (hop > 0 || ebr.some((b) => b !== 0)) warnings.push(`mbr: ${where} has no 55AA signature: chain stopped`);
      break;
    }
    const entries = parseMbrEntries(ebr);
    entries.forEach((e, i) => {
      if (e.sectors === 0 || MBR_EXTENDED_TYPES.has(e.type)) return;
      const abs = cur + e.startLba;
      // Entries 3 and 4 of an EBR are usually garbage: take them only if they fit (Linux does the same).
      if (i >= 2 && (e.startLba + e.sectors > curSize || abs < extStart || abs + e.sectors > extEnd)) return;
      if (abs < extStart || abs + e.sectors > extEnd) {
        warnings.push(`mbr: ${where}: logical partition entry ${i + 1} lies outside its extended partition: ignored`);
        return;
      }
      if (starts.has(abs * ss)) {
        warnings.push(`mbr: ${where}: logical partition entry ${i + 1} repeats a partition starting at sector ${abs}: ignored`);
        return;
      }
      starts.add(abs * ss);
      out.push(make(next++, e, abs, ['logical']));
    });
    const link = entries.find((e) => e.sectors > 0 && MBR_EXTENDED_TYPES.has(e.type) && e.startLba !== 0);
    if (!link) break;
    const nextEbr = extStart + link.startLba;
    if (nextEbr + link.sectors > extEnd) {
      warnings.push(`mbr: ${where}: link to the next EBR (sector ${nextEbr}) leaves the extended partition: chain stopped`);
      break;
    }
    cur = nextEbr;
    curSize = link.sectors;
  }
  return next;
}

export const MBR_SCHEME: PartitionScheme = {
  id: 'mbr',
  name: 'MBR (DOS partition table)',
  read: (disk) => readMbr(disk),
};

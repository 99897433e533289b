/**
 * GPT: a protective MBR, a header at LBA 1 pointing at an array of
 * partition entries, and a backup copy of both at the end of the disk.
 * We use the primary when it checks out, fall back to the backup (and say
 * so) when it does not, and warn when the backup is damaged or not at the
 * end. Sector size is not stored anywhere: we look for the header at 512
 * and at 4096 bytes. See README.md for the layout and the rules.
 */
import { BinaryReader } from '../../binary/reader.js';
import { FsError } from '../../errors.js';
import { corrupt } from '../corrupt.js';
import type { BlockDevice } from '../device.js';
import { fitToDisk, hasIso9660, warnOverlaps } from './bounds.js';
import { checkEntryArray, hasGptSignature, parseGptHeader, type GptHeader } from './gpt-header.js';
import { GPT_TYPE_NAMES, gptAttributeFlags } from './gpt-types.js';
import { formatGuid, isZeroGuid } from './guid.js';
import { hasProtectiveEntry, mbrRejection, parseMbrEntries } from './mbr.js';
import type { Partition, PartitionScheme, PartitionTable } from './table.js';

export interface GptReadOptions {
  /** Only try this sector size (default: the disk's, then 512, then 4096). */
  sectorSize?: number;
  /**
   * Read a GPT even when sector 0 is a valid MBR without a protective
   * entry (Linux's `gpt` boot option). By default such a GPT is stale and
   * the MBR is the table, as libblkid and the kernel decide.
   */
  ignoreMbr?: boolean;
}

/** One usable copy of the table: a checked header and its checked entry array. */
interface GptCopy {
  header: GptHeader;
  entries: Uint8Array;
}

async function readCopy(disk: BlockDevice, ss: number, lba: number, copy: string): Promise<GptCopy> {
  const diskSectors = Math.floor(disk.size / ss);
  if (lba < 1 || lba >= diskSectors) {
    throw corrupt('gpt', `${copy} header at LBA ${lba}`, lba * ss, `lies past the end of the disk (${diskSectors} sectors of ${ss} bytes)`);
  }
  const sector = new Uint8Array(ss);
  await disk.read(sector, lba * ss);
  const header = parseGptHeader(sector, lba, ss, diskSectors, copy);
  const entries = new Uint8Array(header.NumberOfPartitionEntries * header.SizeOfPartitionEntry);
  await disk.read(entries, header.PartitionEntryLBA * ss);
  checkEntryArray(header, entries, ss, copy);
  return { header, entries };
}

async function signatureAt(disk: BlockDevice, offset: number): Promise<boolean> {
  if (offset < 0 || offset + 8 > disk.size) return false;
  const b = new Uint8Array(8);
  await disk.read(b, offset);
  return hasGptSignature(b);
}

export async function readGpt(disk: BlockDevice, options: GptReadOptions = {}): Promise<PartitionTable | undefined> {
  if (disk.size < 1024) return undefined;
  const sector0 = new Uint8Array(512);
  await disk.read(sector0, 0);
  const protective = hasProtectiveEntry(sector0);
  const realMbr = !protective && mbrRejection(sector0) === undefined;
  // A valid MBR without an 0xEE entry means any GPT on the disk is stale.
  if (realMbr && !options.ignoreMbr) return undefined;

  const sizes = options.sectorSize ? [options.sectorSize] : [...new Set([disk.sectorSize, 512, 4096])];
  const failures: string[] = [];
  let present = protective;
  const alternates = new Map<number, number>(); // sector size → AlternateLBA of a primary whose entries failed

  for (const ss of sizes) {
    if (disk.size < 3 * ss) continue;
    if (!(await signatureAt(disk, ss))) continue;
    present = true;
    try {
      const primary = await readCopy(disk, ss, 1, 'primary');
      const warnings = await checkBackup(disk, ss, primary.header);
      return build(disk, ss, primary, warnings, sector0, protective, realMbr);
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
      failures.push(e.message);
      // The header may be fine and only its entries damaged: remember where it says the backup is.
      try {
        const sector = new Uint8Array(ss);
        await disk.read(sector, ss);
        const h = parseGptHeader(sector, 1, ss, Math.floor(disk.size / ss), 'primary');
        alternates.set(ss, h.AlternateLBA);
      } catch {
        // header itself is bad: the last LBA is the only place left to look
      }
    }
  }

  for (const ss of sizes) {
    if (disk.size < 3 * ss) continue;
    const last = Math.floor(disk.size / ss) - 1;
    const candidates = [...new Set([last, alternates.get(ss)].filter((x): x is number => x !== undefined))];
    for (const lba of candidates) {
      if (!(await signatureAt(disk, lba * ss))) continue;
      present = true;
      try {
        const backup = await readCopy(disk, ss, lba, 'backup');
        const why = failures.length ? failures.join('; ') : `no GPT header at LBA 1`;
        const warnings = [`gpt: primary GPT is damaged (${why}): using the backup at LBA ${lba}`];
        if (lba !== last) warnings.push(`gpt: the backup header is at LBA ${lba}, not at the last LBA ${last}: the disk was grown or the image is not the whole disk`);
        return build(disk, ss, backup, warnings, sector0, protective, realMbr);
      } catch (e) {
        if (!(e instanceof FsError)) throw e;
        failures.push(e.message);
      }
    }
  }

  if (!present) return undefined;
  const detail = failures.length ? failures.join('; ') : 'protective MBR present but no GPT header at LBA 1 or at the last LBA';
  throw corrupt('gpt', 'partition table', 512, `no usable GPT header: ${detail}`);
}

/** Warnings about the backup copy when the primary is in use. */
async function checkBackup(disk: BlockDevice, ss: number, primary: GptHeader): Promise<string[]> {
  const warnings: string[] = [];
  const last = Math.floor(disk.size / ss) - 1;
  const alt = primary.AlternateLBA;
  if (alt > last) {
    warnings.push(`gpt: the backup header should be at LBA ${alt}, past the end of the disk (last LBA ${last}): the image is truncated`);
    return warnings;
  }
  try {
    const backup = await readCopy(disk, ss, alt, 'backup');
    if (backup.header.PartitionEntryArrayCRC32 !== primary.PartitionEntryArrayCRC32 || backup.header.DiskGUID !== primary.DiskGUID) {
      warnings.push(`gpt: the backup at LBA ${alt} does not match the primary`);
    }
  } catch (e) {
    if (!(e instanceof FsError)) throw e;
    warnings.push(`gpt: the backup GPT is damaged: ${e.message}`);
  }
  if (alt < last) warnings.push(`gpt: the backup header is at LBA ${alt}, not at the last LBA ${last}: the disk was grown`);
  return warnings;
}

async function build(
  disk: BlockDevice,
  ss: number,
  copy: GptCopy,
  warnings: string[],
  sector0: Uint8Array,
  protective: boolean,
  realMbr: boolean,
): Promise<PartitionTable> {
  const h = copy.header;
  const diskSectors = Math.floor(disk.size / ss);
  if (realMbr) warnings.push('gpt: sector 0 holds an MBR without a protective entry; Linux and libblkid would use the MBR');
  else if (!protective) warnings.push('gpt: no protective MBR in sector 0');
  else {
    const others = parseMbrEntries(sector0).filter((e) => e.sectors > 0 && e.type !== 0xee).length;
    if (others > 0) warnings.push(`gpt: hybrid MBR (${others} entries besides the protective one): the GPT takes precedence`);
  }
  if (h.Revision !== 0x00010000) warnings.push(`gpt: header revision 0x${h.Revision.toString(16)} (expected 0x10000)`);
  if (h.LastUsableLBA >= diskSectors) {
    warnings.push(`gpt: LastUsableLBA ${h.LastUsableLBA} is past the end of the disk (${diskSectors} sectors): the image is truncated`);
  }
  const iso = await hasIso9660(disk);
  const r = new BinaryReader(copy.entries, 'gpt partition entry array');
  const es = h.SizeOfPartitionEntry;
  const partitions: Partition[] = [];
  let outside = 0;
  for (let i = 0; i < h.NumberOfPartitionEntries; i++) {
    const o = i * es;
    const typeBytes = r.slice(o, 16);
    if (isZeroGuid(typeBytes)) continue; // unused slot: skipped, its number kept
    const index = i + 1;
    const first = r.u64le(o + 32);
    const lastLba = r.u64le(o + 40);
    if (lastLba < first) {
      warnings.push(`gpt: entry ${index}: EndingLBA ${lastLba} is before StartingLBA ${first}: ignored`);
      continue;
    }
    const type = formatGuid(typeBytes);
    const p: Partition = { index, start: first * ss, size: (lastLba - first + 1) * ss, type };
    const typeName = GPT_TYPE_NAMES[type];
    if (typeName) p.typeName = typeName;
    const name = r.utf16le(o + 56, Math.min(72, es - 56));
    if (name) p.name = name;
    p.uuid = formatGuid(r.slice(o + 16, 16));
    const flags = gptAttributeFlags(r.u32le(o + 48), r.u32le(o + 52));
    if (flags.length) p.flags = flags;
    if ((first < h.FirstUsableLBA || lastLba > h.LastUsableLBA) && !(iso && first === 0)) {
      if (outside++ < 16) warnings.push(`gpt: partition ${index} (LBA ${first}..${lastLba}) lies outside the usable LBAs ${h.FirstUsableLBA}..${h.LastUsableLBA}`);
    }
    const kept = fitToDisk(p, disk.size, warnings, 'gpt');
    if (kept) partitions.push(kept);
  }
  if (outside > 16) warnings.push(`gpt: ${outside - 16} more partitions outside the usable LBAs not listed`);
  warnOverlaps(partitions, warnings, 'gpt', { wholeDiskOk: iso });
  return { scheme: 'gpt', diskId: h.DiskGUID, sectorSize: ss, partitions, warnings };
}

export const GPT_SCHEME: PartitionScheme = {
  id: 'gpt',
  name: 'GUID Partition Table',
  read: (disk) => readGpt(disk),
};

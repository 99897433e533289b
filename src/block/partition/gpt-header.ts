/**
 * The GPT header (UEFI spec 5.3.2), field by field, and the checks that
 * decide whether one copy (primary at LBA 1, backup at the last LBA) can be
 * used. A failed check throws EIO naming the copy and its offset; the
 * caller then tries the other copy.
 */
import { BinaryReader } from '../../binary/reader.js';
import { crc32 } from '../../util/crc32.js';
import { corrupt } from '../corrupt.js';
import { formatGuid } from './guid.js';

export const GPT_SIGNATURE = 'EFI PART';
/** The header fields end at byte 92; HeaderSize may be larger (up to a sector). */
export const GPT_HEADER_MIN_SIZE = 92;
/** Hard cap on NumberOfPartitionEntries: far above any real table (128 is usual). */
export const MAX_GPT_ENTRIES = 128 * 1024;
/** Hard cap on the entry array's bytes (128 Ki entries of 128 bytes). */
export const MAX_GPT_ARRAY_BYTES = 16 << 20;
/** Largest SizeOfPartitionEntry we accept (the spec says 128 × 2^n; nobody uses more than 128). */
export const MAX_GPT_ENTRY_SIZE = 4096;

export interface GptHeader {
  Revision: number;
  HeaderSize: number;
  HeaderCRC32: number;
  MyLBA: number;
  AlternateLBA: number;
  FirstUsableLBA: number;
  LastUsableLBA: number;
  DiskGUID: string;
  PartitionEntryLBA: number;
  NumberOfPartitionEntries: number;
  SizeOfPartitionEntry: number;
  PartitionEntryArrayCRC32: number;
}

/** Does the sector start with "EFI PART"? */
export function hasGptSignature(sector: Uint8Array): boolean {
  if (sector.length < 8) return false;
  for (let i = 0; i < 8; i++) if (sector[i] !== GPT_SIGNATURE.charCodeAt(i)) return false;
  return true;
}

/**
 * Parses and checks one header read from `lba` (sector of `sectorSize`
 * bytes) on a disk of `diskSectors` sectors. Throws EIO if this copy cannot
 * be used: bad signature, size or CRC, MyLBA not where it was read, entry
 * geometry out of bounds, or an entry array that does not fit the disk.
 */
export function parseGptHeader(sector: Uint8Array, lba: number, sectorSize: number, diskSectors: number, copy: string): GptHeader {
  const offset = lba * sectorSize;
  const fail = (detail: string) => corrupt('gpt', `${copy} header at LBA ${lba}`, offset, detail);
  if (!hasGptSignature(sector)) throw fail('no "EFI PART" signature');
  const r = new BinaryReader(sector, `gpt ${copy} header`);
  const h: GptHeader = {
    Revision: r.u32le(8),
    HeaderSize: r.u32le(12),
    HeaderCRC32: r.u32le(16),
    MyLBA: r.u64le(24),
    AlternateLBA: r.u64le(32),
    FirstUsableLBA: r.u64le(40),
    LastUsableLBA: r.u64le(48),
    DiskGUID: formatGuid(r.slice(56, 16)),
    PartitionEntryLBA: r.u64le(72),
    NumberOfPartitionEntries: r.u32le(80),
    SizeOfPartitionEntry: r.u32le(84),
    PartitionEntryArrayCRC32: r.u32le(88),
  };
  r.check();
  if (h.HeaderSize < GPT_HEADER_MIN_SIZE || h.HeaderSize > sectorSize || h.HeaderSize > sector.length) {
    throw fail(`HeaderSize ${h.HeaderSize} is outside ${GPT_HEADER_MIN_SIZE}..${sectorSize}`);
  }
  const copyForCrc = sector.slice(0, h.HeaderSize);
  copyForCrc.fill(0, 16, 20);
  const crc = crc32(copyForCrc);
  if (crc !== h.HeaderCRC32) {
    throw fail(`HeaderCRC32 is 0x${h.HeaderCRC32.toString(16)}, computed 0x${crc.toString(16)}`);
  }
  if (h.MyLBA !== lba) throw fail(`MyLBA is ${h.MyLBA}, but the header was read from LBA ${lba}`);
  const es = h.SizeOfPartitionEntry;
  if (es < 128 || es % 128 !== 0 || es > MAX_GPT_ENTRY_SIZE) {
    throw fail(`SizeOfPartitionEntry ${es} is not a multiple of 128 between 128 and ${MAX_GPT_ENTRY_SIZE}`);
  }
  const n = h.NumberOfPartitionEntries;
  if (n > MAX_GPT_ENTRIES || n * es > MAX_GPT_ARRAY_BYTES) {
    throw fail(`NumberOfPartitionEntries ${n} (of ${es} bytes) exceeds the limit of ${MAX_GPT_ENTRIES} entries / ${MAX_GPT_ARRAY_BYTES} bytes`);
  }
  if (h.FirstUsableLBA > h.LastUsableLBA) {
    throw fail(`FirstUsableLBA ${h.FirstUsableLBA} is after LastUsableLBA ${h.LastUsableLBA}`);
  }
  const arraySectors = Math.ceil((n * es) / sectorSize);
  const arrayStart = h.PartitionEntryLBA;
  if (arrayStart + arraySectors > diskSectors) {
    throw fail(`partition entry array at LBA ${arrayStart} (${arraySectors} sectors) lies past the end of the disk (${diskSectors} sectors)`);
  }
  if (lba >= arrayStart && lba < arrayStart + arraySectors) {
    throw fail(`partition entry array at LBA ${arrayStart} (${arraySectors} sectors) overlaps the header`);
  }
  if (arrayStart === 0 && n > 0) throw fail('partition entry array at LBA 0, over the protective MBR');
  return h;
}

/** Checks the entry array's CRC32; throws EIO naming the array if it does not match. */
export function checkEntryArray(h: GptHeader, array: Uint8Array, sectorSize: number, copy: string): void {
  const crc = crc32(array);
  if (crc !== h.PartitionEntryArrayCRC32) {
    throw corrupt(
      'gpt',
      `${copy} partition entry array at LBA ${h.PartitionEntryLBA}`,
      h.PartitionEntryLBA * sectorSize,
      `PartitionEntryArrayCRC32 is 0x${h.PartitionEntryArrayCRC32.toString(16)}, computed 0x${crc.toString(16)}`,
    );
  }
}

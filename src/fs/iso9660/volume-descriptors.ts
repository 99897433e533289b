/**
 * The volume descriptor set (ECMA-119 8): 2048-byte descriptors from
 * sector 16 of a session, each starting with a type byte, 'CD001' and
 * version 1, ended by a terminator (type 255).
 *
 *   type 0   boot record; El Torito's names the boot catalogue (el-torito.ts)
 *   type 1   primary volume descriptor (PVD): block size, volume size, root
 *   type 2   supplementary (SVD); Joliet when its escape sequences are
 *            '%/@', '%/C' or '%/E' (UCS-2 levels 1, 2, 3)
 *   type 255 terminator
 *
 * PVD/SVD layout used here: 8 system id (32), 40 volume id (32), 80
 * volume space size (both-endian 32), 88 escape sequences (32, SVD),
 * 128 logical block size (both-endian 16), 156 root directory record (34),
 * 190 volume set id, 318 publisher, 446 preparer, 574 application (128
 * each), 813/830/847/864 creation/modification/expiration/effective dates
 * (17-byte form).
 */
import { corrupt, unsupported } from '../../block/corrupt.js';
import type { BlockDevice } from '../../block/device.js';
import { FsError } from '../../errors.js';
import type { Timespec } from '../time.js';
import { parseLongDate } from './dates.js';
import { parseDirectoryRecord, type DirectoryRecord } from './directory-record.js';
import { jolietLevel, decodeUcs2 } from './joliet.js';

/** Volume descriptors always sit in 2048-byte sectors, whatever the logical block size. */
export const SECTOR = 2048;
export const VD_START = 16;
/** More descriptors than any writer uses; a set longer than this is not believed. */
export const MAX_DESCRIPTORS = 64;

export const VD_BOOT = 0;
export const VD_PRIMARY = 1;
export const VD_SUPPLEMENTARY = 2;
export const VD_PARTITION = 3;
export const VD_TERMINATOR = 255;

const EL_TORITO_ID = 'EL TORITO SPECIFICATION';

export interface VolumeInfo {
  /** Sector (2048 bytes) the descriptor was read from. */
  readonly sector: number;
  readonly systemId: string;
  readonly volumeId: string;
  readonly volumeSetId: string;
  readonly publisherId: string;
  readonly preparerId: string;
  readonly applicationId: string;
  /** Volume space size in logical blocks. */
  readonly volumeSpaceSize: number;
  readonly logicalBlockSize: number;
  readonly root: DirectoryRecord;
  readonly creation: Timespec | undefined;
  readonly modification: Timespec | undefined;
  readonly expiration: Timespec | undefined;
  readonly effective: Timespec | undefined;
  /** Joliet UCS-2 level (SVDs only), 0 for none. */
  readonly jolietLevel: number;
}

export interface VolumeDescriptorSet {
  /** First sector of the session (0 for a single-session image). */
  readonly sessionStart: number;
  readonly primary: VolumeInfo;
  /** The Joliet SVD with the highest level, if any. */
  readonly joliet: VolumeInfo | undefined;
  /** Logical block of the El Torito boot catalogue, if a boot record names one. */
  readonly bootCatalog: number | undefined;
  /** Sectors the set occupies, terminator included. */
  readonly count: number;
  /** Things that were skipped (a broken Joliet descriptor). */
  readonly warnings: string[];
}

function text(b: Uint8Array, off: number, n: number, ucs2: boolean): string {
  const raw = b.subarray(off, off + n);
  const s = ucs2 ? decodeUcs2(raw) : String.fromCharCode(...raw.filter((c) => c !== 0));
  return s.replace(/[\s\0]+$/u, '');
}

function le16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}

export function hasIsoSignature(d: Uint8Array): boolean {
  return d.length >= 6 && d[1] === 0x43 && d[2] === 0x44 && d[3] === 0x30 && d[4] === 0x30 && d[5] === 0x31;
}

/** Parses a PVD or SVD sector. */
export function parseVolumeInfo(d: Uint8Array, sector: number): VolumeInfo {
  const abs = sector * SECTOR;
  const level = d[0] === VD_SUPPLEMENTARY ? jolietLevel(d.subarray(88, 120)) : 0;
  const logicalBlockSize = le16(d, 128);
  if (logicalBlockSize !== 512 && logicalBlockSize !== 1024 && logicalBlockSize !== 2048) {
    throw corrupt('iso9660', 'volume descriptor', abs, `logical block size ${logicalBlockSize} is not 512, 1024 or 2048`);
  }
  const rootLength = d[156]!;
  if (rootLength !== 34) throw corrupt('iso9660', 'volume descriptor', abs, `root directory record length is ${rootLength}, not 34`);
  const root = parseDirectoryRecord(d.slice(156, 190), 0, abs + 156);
  const ucs2 = level > 0;
  return {
    sector,
    systemId: text(d, 8, 32, ucs2),
    volumeId: text(d, 40, 32, ucs2),
    volumeSetId: text(d, 190, 128, ucs2),
    publisherId: text(d, 318, 128, ucs2),
    preparerId: text(d, 446, 128, ucs2),
    applicationId: text(d, 574, 128, ucs2),
    volumeSpaceSize: le32(d, 80),
    logicalBlockSize,
    root,
    creation: parseLongDate(d, 813),
    modification: parseLongDate(d, 830),
    expiration: parseLongDate(d, 847),
    effective: parseLongDate(d, 864),
    jolietLevel: level,
  };
}

/**
 * Reads the descriptor set of the session starting at `sessionStart`
 * (in sectors). EINVAL when there is no ISO 9660 signature at all (not
 * this filesystem), EIO when the set is there but broken.
 */
export async function readVolumeDescriptorSet(dev: BlockDevice, sessionStart = 0): Promise<VolumeDescriptorSet> {
  const first = sessionStart + VD_START;
  const firstOffset = first * SECTOR;
  if (firstOffset + SECTOR > dev.size) {
    throw new FsError('EINVAL', `iso9660: no volume descriptor at sector ${first}: the device has only ${dev.size} bytes`);
  }
  // The first read covers the whole set of every image we have seen (usually 3 sectors); longer sets read on.
  const span = Math.min(MAX_DESCRIPTORS * SECTOR, Math.floor((dev.size - firstOffset) / SECTOR) * SECTOR);
  const buf = new Uint8Array(Math.min(span, 4 * SECTOR));
  await dev.read(buf, firstOffset);
  let primary: VolumeInfo | undefined;
  let joliet: VolumeInfo | undefined;
  let bootCatalog: number | undefined;
  let count = 0;
  const warnings: string[] = [];
  let chunk = buf;
  let chunkStart = 0;
  for (let i = 0; i < MAX_DESCRIPTORS; i++) {
    const at = i * SECTOR;
    if (at + SECTOR > span) break;
    if (at + SECTOR > chunkStart + chunk.length) {
      chunkStart = at;
      chunk = new Uint8Array(Math.min(16 * SECTOR, span - at));
      await dev.read(chunk, firstOffset + at);
    }
    const d = chunk.subarray(at - chunkStart, at - chunkStart + SECTOR);
    if (!hasIsoSignature(d)) {
      if (i === 0) {
        if (String.fromCharCode(...d.subarray(9, 14)) === 'CDROM') throw unsupported('iso9660', 'High Sierra volumes are not supported');
        throw new FsError('EINVAL', `iso9660: no 'CD001' signature at sector ${first}: not an ISO 9660 volume`);
      }
      break; // Linux stops at the first sector that is not a descriptor, terminator or not.
    }
    count = i + 1;
    const sector = first + i;
    const type = d[0]!;
    if (type === VD_TERMINATOR) break;
    if (type === VD_PRIMARY && !primary) primary = parseVolumeInfo(d, sector);
    else if (type === VD_SUPPLEMENTARY && d[6] === 1) {
      const v = tryVolumeInfo(d, sector, warnings);
      if (v && v.jolietLevel > 0 && (!joliet || v.jolietLevel > joliet.jolietLevel)) joliet = v;
    } else if (type === VD_BOOT && bootCatalog === undefined && text(d, 7, 32, false) === EL_TORITO_ID) {
      bootCatalog = le32(d, 0x47);
    }
  }
  if (!primary) throw corrupt('iso9660', 'volume descriptor set', firstOffset, 'has no primary volume descriptor');
  return { sessionStart, primary, joliet, bootCatalog, count, warnings };
}

/** A broken Joliet SVD is ignored (the primary tree still reads), not fatal. */
function tryVolumeInfo(d: Uint8Array, sector: number, warnings: string[]): VolumeInfo | undefined {
  try {
    return parseVolumeInfo(d, sector);
  } catch (e) {
    if (e instanceof FsError) {
      warnings.push(`supplementary volume descriptor ignored: ${e.message}`);
      return undefined;
    }
    throw e;
  }
}

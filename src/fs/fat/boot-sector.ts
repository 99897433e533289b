/**
 * The boot sector's BIOS Parameter Block (BPB) and what follows from it:
 * where the FATs, the fixed root directory (FAT12/16) and the data area
 * lie, how many clusters there are and so which FAT width applies.
 *
 * Field names follow Microsoft's FAT specification (BPB_BytsPerSec …).
 * The checks are the kernel's (fs/fat/inode.c fat_read_bpb): anything that
 * would make the layout meaningless is EIO naming the field.
 */
import { BinaryReader } from '../../binary/reader.js';
import { corrupt } from '../../block/corrupt.js';
import type { FsError } from '../../errors.js';

export type FatType = 12 | 16 | 32;

/** Cluster counts above these need the next FAT width (Microsoft's rule, as Linux applies it). */
export const MAX_FAT12_CLUSTERS = 4084;
export const MAX_FAT16_CLUSTERS = 65524;
export const MAX_FAT32_CLUSTERS = 0x0ffffff4;

/** BS_BootSig value that says the volume id, label and type string follow. */
const EXT_BOOT_SIGNATURE = 0x29;
/** Bit 0 of BS_Reserved1: Linux's FAT_STATE_DIRTY, set while mounted read-write. */
export const BPB_STATE_DIRTY = 0x01;

export interface FatGeometry {
  fatType: FatType;
  BytsPerSec: number;
  SecPerClus: number;
  RsvdSecCnt: number;
  NumFATs: number;
  RootEntCnt: number;
  TotSec: number;
  FATSz: number;
  Media: number;
  /** FAT32 BPB_ExtFlags bit 7: only the active FAT is used (no mirroring). */
  mirroringDisabled: boolean;
  activeFat: number;
  /** FAT32 root directory's first cluster; 0 on FAT12/16. */
  RootClus: number;
  /** FAT32 FSInfo sector number, or 0 when there is none. */
  FSInfo: number;
  BkBootSec: number;
  clusterSize: number;
  /** Byte offset of the first FAT and the size of one FAT in bytes. */
  fatOffset: number;
  fatBytes: number;
  /** FAT12/16 fixed root directory: where and how long (0 on FAT32). */
  rootDirOffset: number;
  rootDirBytes: number;
  /** Byte offset of cluster 2. */
  dataOffset: number;
  /** Clusters 2 .. clusterCount + 1 exist. */
  clusterCount: number;
  /** Volume id and label from the extended boot record, when BS_BootSig says they are there. */
  volumeId: number | undefined;
  bootLabel: Uint8Array | undefined;
  /** Offset in the boot sector of BS_Reserved1 (the state byte), when there is one. */
  stateOffset: number | undefined;
  /** What did not add up but was repaired on the fly (clamped cluster count …). */
  warnings: string[];
}

const F = 'fat';

function bad(field: string, detail: string): FsError {
  return corrupt(F, `boot sector ${field}`, 0, detail);
}

const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** Parses the boot sector (at least the first 512 bytes of the device). */
export function parseBootSector(bytes: Uint8Array): FatGeometry {
  const r = new BinaryReader(bytes, 'fat boot sector');
  const BytsPerSec = r.u16le(0x0b);
  const SecPerClus = r.u8(0x0d);
  const RsvdSecCnt = r.u16le(0x0e);
  const NumFATs = r.u8(0x10);
  const RootEntCnt = r.u16le(0x11);
  const TotSec16 = r.u16le(0x13);
  const Media = r.u8(0x15);
  const FATSz16 = r.u16le(0x16);
  const TotSec32 = r.u32le(0x20);
  const FATSz32 = r.u32le(0x24);
  const ExtFlags = r.u16le(0x28);
  const RootClus32 = r.u32le(0x2c);
  const FSInfo32 = r.u16le(0x30);
  const BkBootSec32 = r.u16le(0x32);
  r.check();

  if (!isPow2(BytsPerSec) || BytsPerSec < 512 || BytsPerSec > 4096) {
    throw bad('BPB_BytsPerSec', `${BytsPerSec} bytes per sector is not a power of two from 512 to 4096`);
  }
  if (!isPow2(SecPerClus)) throw bad('BPB_SecPerClus', `${SecPerClus} sectors per cluster is not a power of two`);
  if (RsvdSecCnt === 0) throw bad('BPB_RsvdSecCnt', 'no reserved sectors (the boot sector itself is one)');
  if (NumFATs === 0) throw bad('BPB_NumFATs', 'no FATs');
  if (!(Media === 0xf0 || Media >= 0xf8)) throw bad('BPB_Media', `invalid media byte 0x${Media.toString(16)}`);

  const fat32 = FATSz16 === 0;
  const FATSz = fat32 ? FATSz32 : FATSz16;
  if (FATSz === 0) throw bad('BPB_FATSz32', 'FAT size is 0');
  const TotSec = TotSec16 !== 0 ? TotSec16 : TotSec32;
  if (TotSec === 0) throw bad('BPB_TotSec32', 'total sector count is 0');
  if (!fat32 && RootEntCnt === 0) throw bad('BPB_RootEntCnt', 'FAT12/16 volume with no root directory entries');

  const warnings: string[] = [];
  const rootDirSectors = fat32 ? 0 : Math.ceil((RootEntCnt * 32) / BytsPerSec);
  const fatStartSector = RsvdSecCnt;
  const rootStartSector = fatStartSector + NumFATs * FATSz;
  const dataStartSector = rootStartSector + rootDirSectors;
  if (dataStartSector >= TotSec) {
    throw bad('BPB_TotSec32', `the data area would start at sector ${dataStartSector}, past the ${TotSec} sectors of the volume`);
  }
  let clusterCount = Math.floor((TotSec - dataStartSector) / SecPerClus);
  const fatType: FatType = fat32 ? 32 : clusterCount <= MAX_FAT12_CLUSTERS ? 12 : 16;
  const max = fatType === 32 ? MAX_FAT32_CLUSTERS : fatType === 16 ? MAX_FAT16_CLUSTERS : MAX_FAT12_CLUSTERS;
  if (clusterCount > max) throw bad('BPB_TotSec32', `${clusterCount} clusters are too many for FAT${fatType}`);
  if (clusterCount === 0) throw bad('BPB_TotSec32', 'the volume has no data clusters');
  // A FAT too short for every cluster: use the clusters it can describe, like Linux.
  const fatEntries = Math.floor((FATSz * BytsPerSec * 8) / fatType);
  if (clusterCount + 2 > fatEntries) {
    if (fatEntries <= 2) throw bad('BPB_FATSz', `a FAT of ${FATSz} sectors holds no cluster entries`);
    warnings.push(`the FAT holds only ${fatEntries - 2} of ${clusterCount} clusters; using those`);
    clusterCount = fatEntries - 2;
  }

  let RootClus = 0;
  let FSInfo = 0;
  let BkBootSec = 0;
  let mirroringDisabled = false;
  let activeFat = 0;
  if (fat32) {
    RootClus = RootClus32;
    if (RootClus < 2 || RootClus > clusterCount + 1) {
      throw bad('BPB_RootClus', `root directory cluster ${RootClus} is outside clusters 2..${clusterCount + 1}`);
    }
    FSInfo = FSInfo32 > 0 && FSInfo32 < RsvdSecCnt ? FSInfo32 : 0;
    BkBootSec = BkBootSec32 > 0 && BkBootSec32 < RsvdSecCnt ? BkBootSec32 : 0;
    mirroringDisabled = (ExtFlags & 0x80) !== 0;
    activeFat = ExtFlags & 0x0f;
    if (mirroringDisabled && activeFat >= NumFATs) {
      throw bad('BPB_ExtFlags', `active FAT ${activeFat} of ${NumFATs}`);
    }
  }

  const ext = fat32 ? 0x40 : 0x24; // BS_DrvNum
  const sig = bytes[ext + 2];
  const hasExt = sig === EXT_BOOT_SIGNATURE || sig === 0x28;
  return {
    fatType,
    BytsPerSec,
    SecPerClus,
    RsvdSecCnt,
    NumFATs,
    RootEntCnt: fat32 ? 0 : RootEntCnt,
    TotSec,
    FATSz,
    Media,
    mirroringDisabled,
    activeFat,
    RootClus,
    FSInfo,
    BkBootSec,
    clusterSize: BytsPerSec * SecPerClus,
    fatOffset: fatStartSector * BytsPerSec,
    fatBytes: FATSz * BytsPerSec,
    rootDirOffset: fat32 ? 0 : rootStartSector * BytsPerSec,
    rootDirBytes: fat32 ? 0 : RootEntCnt * 32,
    dataOffset: dataStartSector * BytsPerSec,
    clusterCount,
    volumeId: hasExt ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(ext + 3, true) : undefined,
    bootLabel: sig === EXT_BOOT_SIGNATURE ? bytes.slice(ext + 7, ext + 18) : undefined,
    stateOffset: hasExt ? ext + 1 : undefined,
    warnings,
  };
}

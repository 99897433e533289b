/**
 * The VHD hard disk footer ('conectix', 512 bytes, big-endian) and the
 * dynamic disk header ('cxsparse', 1024 bytes), field names from Microsoft's
 * "Virtual Hard Disk Image Format Specification" 1.0.
 */
import { BinaryReader } from '../../binary/reader.js';
import { corrupt, unsupported } from '../corrupt.js';

export const FOOTER_SIZE = 512;
export const DYNAMIC_HEADER_SIZE = 1024;
export const DISK_FIXED = 2;
export const DISK_DYNAMIC = 3;
export const DISK_DIFFERENCING = 4;
export const DISK_TYPE_NAMES: Record<number, string> = { 2: 'fixed', 3: 'dynamic', 4: 'differencing' };

/** QEMU's limit: 65535 cylinders × 16 heads × 255 sectors, and the geometry that means "use current_size". */
export const MAX_CHS_SECTORS = 65535 * 16 * 255;
/** QEMU refuses images over 2040 GiB (VHD_MAX_SECTORS). */
export const MAX_SECTORS = 0xff000000;

export interface VhdFooter {
  features: number;
  fileFormatVersion: number;
  /** Offset of the dynamic disk header; -1 (all ones) for fixed disks. */
  dataOffset: number;
  timeStamp: number;
  creatorApplication: string;
  creatorVersion: number;
  creatorHostOs: string;
  originalSize: number;
  currentSize: number;
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
  diskType: number;
  checksum: number;
  checksumOk: boolean;
  uniqueId: Uint8Array;
  savedState: number;
}

export function isFooter(b: Uint8Array): boolean {
  return b.length >= 8 && String.fromCharCode(...b.subarray(0, 8)) === 'conectix';
}

/** One's complement of the byte sum, skipping the checksum field at `skipAt`. */
export function vhdChecksum(b: Uint8Array, skipAt: number): number {
  let sum = 0;
  for (let i = 0; i < b.length; i++) if (i < skipAt || i >= skipAt + 4) sum += b[i]!;
  return ~sum >>> 0;
}

export function parseFooter(b: Uint8Array, at: number): VhdFooter {
  if (!isFooter(b)) throw corrupt('vhd', 'footer', at, 'no "conectix" cookie');
  const r = new BinaryReader(b, 'vhd footer');
  const dataOffsetBig = r.big64be(16);
  const f: VhdFooter = {
    features: r.u32be(8),
    fileFormatVersion: r.u32be(12),
    dataOffset: dataOffsetBig === 0xffffffffffffffffn ? -1 : Number(dataOffsetBig),
    timeStamp: r.u32be(24),
    creatorApplication: r.ascii(28, 4),
    creatorVersion: r.u32be(32),
    creatorHostOs: r.ascii(36, 4),
    originalSize: r.u64be(40),
    currentSize: r.u64be(48),
    cylinders: r.u16be(56),
    heads: r.u8(58),
    sectorsPerTrack: r.u8(59),
    diskType: r.u32be(60),
    checksum: r.u32be(64),
    checksumOk: false,
    uniqueId: r.slice(68, 16).slice(),
    savedState: r.u8(84),
  };
  r.check();
  f.checksumOk = vhdChecksum(b.subarray(0, FOOTER_SIZE), 64) === f.checksum;
  return f;
}

/**
 * The disk size QEMU shows. Virtual PC sizes the disk by its CHS geometry
 * (smaller than current_size); Hyper-V, disk2vhd, XenServer and QEMU's
 * own "qem2" use current_size. A maximal geometry also means current_size.
 */
export function virtualSize(f: VhdFooter): number {
  const chs = f.cylinders * f.heads * f.sectorsPerTrack;
  const app = f.creatorApplication;
  const useCurrent = ['win ', 'qem2', 'd2v ', 'CTXS', 'tap'].includes(app) || chs === MAX_CHS_SECTORS;
  const sectors = useCurrent ? Math.floor(f.currentSize / 512) : chs;
  if (sectors > MAX_SECTORS) throw unsupported('vhd', `disk of ${sectors} sectors is over the 2040 GiB VHD limit`);
  return sectors * 512;
}

export interface ParentLocator {
  platformCode: string;
  platformDataSpace: number;
  platformDataLength: number;
  platformDataOffset: number;
}

export interface DynamicHeader {
  tableOffset: number;
  headerVersion: number;
  maxTableEntries: number;
  blockSize: number;
  checksumOk: boolean;
  parentUniqueId: Uint8Array;
  parentTimeStamp: number;
  parentUnicodeName: string;
  parentLocators: ParentLocator[];
}

export function parseDynamicHeader(b: Uint8Array, at: number): DynamicHeader {
  const r = new BinaryReader(b, 'vhd dynamic disk header');
  if (r.ascii(0, 8) !== 'cxsparse') throw corrupt('vhd', 'dynamic disk header', at, 'no "cxsparse" cookie');
  const locators: ParentLocator[] = [];
  for (let i = 0; i < 8; i++) {
    const o = 576 + i * 24;
    const code = r.u32be(o);
    if (code === 0) continue;
    locators.push({
      platformCode: r.ascii(o, 4),
      platformDataSpace: r.u32be(o + 4),
      platformDataLength: r.u32be(o + 8),
      platformDataOffset: r.u64be(o + 16),
    });
  }
  const h: DynamicHeader = {
    tableOffset: r.u64be(16),
    headerVersion: r.u32be(24),
    maxTableEntries: r.u32be(28),
    blockSize: r.u32be(32),
    checksumOk: vhdChecksum(b.subarray(0, DYNAMIC_HEADER_SIZE), 36) === r.u32be(36),
    parentUniqueId: r.slice(40, 16).slice(),
    parentTimeStamp: r.u32be(56),
    parentUnicodeName: r.utf16be(64, 512),
    parentLocators: locators,
  };
  r.check();
  return h;
}

export function uuidString(b: Uint8Array): string {
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The QED header (QEMU Enhanced Disk, little-endian), field names from
 * QEMU's docs/interop/qed_spec.txt.
 */
import { BinaryReader } from '../../binary/reader.js';
import { corrupt, unsupported } from '../corrupt.js';

export const QED_MAGIC = 0x00444551; // 'QED\0'
export const QED_F_BACKING_FILE = 1n << 0n;
export const QED_F_NEED_CHECK = 1n << 1n;
export const QED_F_BACKING_FORMAT_NO_PROBE = 1n << 2n;
const QED_FEATURE_MASK = QED_F_BACKING_FILE | QED_F_NEED_CHECK | QED_F_BACKING_FORMAT_NO_PROBE;
export const QED_CLUSTER_ZERO = 1;
export const HEADER_BYTES = 64;

export interface QedHeader {
  clusterSize: number;
  /** L1/L2 table size in clusters. */
  tableSize: number;
  /** Header size in clusters. */
  headerSize: number;
  features: bigint;
  compatFeatures: bigint;
  autoclearFeatures: bigint;
  l1TableOffset: number;
  imageSize: number;
  backingFilenameOffset: number;
  backingFilenameSize: number;
}

export function parseQedHeader(b: Uint8Array): QedHeader {
  const r = new BinaryReader(b, 'qed header');
  const magic = r.u32le(0);
  if (magic !== QED_MAGIC) throw corrupt('qed', 'header', 0, `bad magic 0x${magic.toString(16)}`);
  const h: QedHeader = {
    clusterSize: r.u32le(4),
    tableSize: r.u32le(8),
    headerSize: r.u32le(12),
    features: r.big64le(16),
    compatFeatures: r.big64le(24),
    autoclearFeatures: r.big64le(32),
    l1TableOffset: r.u64le(40),
    imageSize: r.u64le(48),
    backingFilenameOffset: r.u32le(56),
    backingFilenameSize: r.u32le(60),
  };
  r.check();
  return h;
}

const pow2 = (x: number) => x > 0 && (x & (x - 1)) === 0;

/** The checks QEMU's qed_open makes, as EIO/EOPNOTSUPP naming the field. */
export function validateQedHeader(h: QedHeader, fileSize: number): void {
  const bad = (what: string) => corrupt('qed', 'header', 0, what);
  const unknown = h.features & ~QED_FEATURE_MASK;
  if (unknown) throw unsupported('qed', `unknown incompatible feature bits 0x${unknown.toString(16)}`);
  if (!pow2(h.clusterSize) || h.clusterSize < 4096 || h.clusterSize > 64 << 20) throw bad(`cluster size ${h.clusterSize} is not a power of two between 4 KiB and 64 MiB`);
  if (!pow2(h.tableSize) || h.tableSize > 16) throw bad(`table size ${h.tableSize} clusters is not a power of two between 1 and 16`);
  if (h.headerSize < 1 || h.headerSize > 1024) throw bad(`header size ${h.headerSize} clusters is absurd`);
  const entries = (h.tableSize * h.clusterSize) / 8;
  const maxImage = entries * entries * h.clusterSize;
  if (h.imageSize % 512 !== 0 || h.imageSize > maxImage) throw bad(`image size ${h.imageSize} is not sector aligned or exceeds ${maxImage}`);
  if (h.l1TableOffset % h.clusterSize !== 0 || h.l1TableOffset < h.headerSize * h.clusterSize || h.l1TableOffset + h.tableSize * h.clusterSize > fileSize) {
    throw bad(`L1 table offset ${h.l1TableOffset} is not a cluster-aligned table inside the file (${fileSize} bytes)`);
  }
  if (h.features & QED_F_BACKING_FILE) {
    const end = h.backingFilenameOffset + h.backingFilenameSize;
    if (h.backingFilenameSize === 0 || h.backingFilenameSize > 1023 || h.backingFilenameOffset < HEADER_BYTES || end > h.headerSize * h.clusterSize) {
      throw bad(`backing file name (${h.backingFilenameSize} bytes at ${h.backingFilenameOffset}) lies outside the header`);
    }
  }
}

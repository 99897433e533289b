/**
 * The qcow2 header (first cluster of the image), field by field as
 * docs/interop/qcow2.txt lays it out, plus its header extensions.
 *
 * All numbers are big-endian. Fields keep their spec names. Feature bitmasks
 * are bigints so unknown high bits survive; everything else is a number
 * (exact below 2^53, which every offset inside a real file is).
 */
import { BinaryReader } from '../../binary/reader.js';
import { corrupt, unsupported } from '../corrupt.js';
import type { BlockDevice } from '../device.js';
import { readBytes } from '../device.js';

export const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"

export const V2_HEADER_LENGTH = 72;
export const V3_MIN_HEADER_LENGTH = 104;
/** What we write: 104 bytes plus compression_type, padded to 8. */
export const V3_HEADER_LENGTH = 112;

export const MIN_CLUSTER_BITS = 9;
/** QEMU's implementation limit (2 MiB); we share it. */
export const MAX_CLUSTER_BITS = 21;
/** Extended L2 entries need clusters of at least 16 KiB (subclusters of 512 bytes). */
export const MIN_EXTL2_CLUSTER_BITS = 14;
/** QEMU's limits, which we share so every image we accept QEMU accepts too. */
export const MAX_L1_BYTES = 32 << 20;
export const MAX_REFTABLE_BYTES = 8 << 20;
export const MAX_SNAPSHOTS = 65536;
export const MAX_BACKING_NAME = 1023;

/** Byte offsets of the fields we patch in place when writing. */
export const HEADER_FIELD = {
  backing_file_offset: 8,
  l1_table_offset: 40,
  refcount_table_offset: 48,
  refcount_table_clusters: 56,
  incompatible_features: 72,
  compatible_features: 80,
  autoclear_features: 88,
} as const;

export const INCOMPAT_DIRTY = 1n << 0n;
export const INCOMPAT_CORRUPT = 1n << 1n;
export const INCOMPAT_DATA_FILE = 1n << 2n;
export const INCOMPAT_COMPRESSION = 1n << 3n;
export const INCOMPAT_EXTL2 = 1n << 4n;
export const INCOMPAT_KNOWN = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2;
export const COMPAT_LAZY_REFCOUNTS = 1n << 0n;
export const AUTOCLEAR_BITMAPS = 1n << 0n;
export const AUTOCLEAR_DATA_FILE_RAW = 1n << 1n;

/** Header extension types. */
export const EXT = {
  end: 0x00000000,
  backing_format: 0xe2792aca,
  feature_table: 0x6803f857,
  bitmaps: 0x23852875,
  crypto_header: 0x0537be77,
  data_file: 0x44415441,
} as const;

export const COMPRESSION_TYPES = ['zlib', 'zstd'] as const;
export type CompressionType = (typeof COMPRESSION_TYPES)[number];

/** Names of the features the spec defines (QEMU writes the same table into images it creates). */
export const KNOWN_FEATURE_NAMES: FeatureName[] = [
  { type: 0, bit: 0, name: 'dirty bit' },
  { type: 0, bit: 1, name: 'corrupt bit' },
  { type: 0, bit: 2, name: 'external data file' },
  { type: 0, bit: 3, name: 'compression type' },
  { type: 0, bit: 4, name: 'extended L2 entries' },
  { type: 1, bit: 0, name: 'lazy refcounts' },
  { type: 2, bit: 0, name: 'bitmaps' },
  { type: 2, bit: 1, name: 'raw external data' },
];

export interface FeatureName {
  /** 0 incompatible, 1 compatible, 2 autoclear. */
  type: number;
  bit: number;
  name: string;
}

export interface HeaderExtension {
  type: number;
  /** File offset of the extension's data (after its 8-byte type/length). */
  offset: number;
  length: number;
}

export interface BitmapsExtension {
  nb_bitmaps: number;
  bitmap_directory_size: number;
  bitmap_directory_offset: number;
}

export interface CryptoHeaderExtension {
  offset: number;
  length: number;
}

export interface Qcow2Header {
  version: number;
  backing_file_offset: number;
  backing_file_size: number;
  cluster_bits: number;
  size: number;
  crypt_method: number;
  l1_size: number;
  l1_table_offset: number;
  refcount_table_offset: number;
  refcount_table_clusters: number;
  nb_snapshots: number;
  snapshots_offset: number;
  incompatible_features: bigint;
  compatible_features: bigint;
  autoclear_features: bigint;
  refcount_order: number;
  header_length: number;
  compression_type: number;

  // Derived and from extensions.
  clusterSize: number;
  extendedL2: boolean;
  compression: CompressionType;
  backingFile?: string;
  backingFormat?: string;
  dataFile?: string;
  featureNames: FeatureName[];
  bitmaps?: BitmapsExtension;
  cryptoHeader?: CryptoHeaderExtension;
  extensions: HeaderExtension[];
}

const F = 'qcow2';

/** Reads and validates the header cluster of `file`. */
export async function readHeader(file: BlockDevice): Promise<Qcow2Header> {
  if (file.size < V2_HEADER_LENGTH) {
    throw corrupt(F, 'header', 0, `truncated: the file has ${file.size} bytes, a header needs ${V2_HEADER_LENGTH}`);
  }
  const first = await readBytes(file, 0, Math.min(file.size, 512));
  const r = new BinaryReader(first, 'qcow2 header');
  const magic = r.u32be(0);
  if (magic !== QCOW2_MAGIC) throw corrupt(F, 'header', 0, `bad magic 0x${magic.toString(16).padStart(8, '0')} (expected QFI\\xfb)`);
  const version = r.u32be(4);
  if (version !== 2 && version !== 3) throw unsupported(F, `header version ${version} (only 2 and 3 exist)`);
  const cluster_bits = r.u32be(20);
  if (cluster_bits < MIN_CLUSTER_BITS) throw corrupt(F, 'header', 20, `cluster_bits ${cluster_bits} is below the minimum of ${MIN_CLUSTER_BITS}`);
  if (cluster_bits > MAX_CLUSTER_BITS) throw unsupported(F, `cluster_bits ${cluster_bits}: clusters larger than 2 MiB are not supported`);
  const clusterSize = 2 ** cluster_bits;
  const bytes = clusterSize <= first.length ? first : await readBytes(file, 0, Math.min(file.size, clusterSize));
  return parseHeader(bytes, file.size);
}

/**
 * Parses the header from the bytes of the first cluster (fewer if the file is
 * shorter). `fileSize` bounds every table the header points at.
 */
export function parseHeader(bytes: Uint8Array, fileSize: number): Qcow2Header {
  const r = new BinaryReader(bytes, 'qcow2 header');
  const version = r.u32be(4);
  const cluster_bits = r.u32be(20);
  const clusterSize = 2 ** cluster_bits;
  const h: Qcow2Header = {
    version,
    backing_file_offset: r.u64be(8),
    backing_file_size: r.u32be(16),
    cluster_bits,
    size: r.u64be(24),
    crypt_method: r.u32be(32),
    l1_size: r.u32be(36),
    l1_table_offset: r.u64be(40),
    refcount_table_offset: r.u64be(48),
    refcount_table_clusters: r.u32be(56),
    nb_snapshots: r.u32be(60),
    snapshots_offset: r.u64be(64),
    incompatible_features: 0n,
    compatible_features: 0n,
    autoclear_features: 0n,
    refcount_order: 4,
    header_length: V2_HEADER_LENGTH,
    compression_type: 0,
    clusterSize,
    extendedL2: false,
    compression: 'zlib',
    featureNames: [],
    extensions: [],
  };
  if (version >= 3) {
    h.incompatible_features = r.big64be(72);
    h.compatible_features = r.big64be(80);
    h.autoclear_features = r.big64be(88);
    h.refcount_order = r.u32be(96);
    h.header_length = r.u32be(100);
    r.check();
    if (h.header_length < V3_MIN_HEADER_LENGTH) {
      throw corrupt(F, 'header', 100, `header_length ${h.header_length} is below the v3 minimum of ${V3_MIN_HEADER_LENGTH}`);
    }
    if (h.header_length > clusterSize || h.header_length > bytes.length) {
      throw corrupt(F, 'header', 100, `header_length ${h.header_length} runs past the header cluster (${Math.min(clusterSize, bytes.length)} bytes)`);
    }
    if (h.header_length > 104) h.compression_type = r.u8(104);
  }
  r.check();

  if (h.backing_file_offset > clusterSize) {
    throw corrupt(F, 'header', 8, `backing_file_offset ${h.backing_file_offset} lies outside the header cluster`);
  }
  const extEnd = Math.min(bytes.length, h.backing_file_offset || clusterSize);
  parseExtensions(r, h, h.header_length, extEnd);

  const unknown = h.incompatible_features & ~INCOMPAT_KNOWN;
  if (unknown) throw unsupported(F, `unknown incompatible feature(s): ${featureList(h, 0, unknown)}`);
  if (h.incompatible_features & INCOMPAT_DATA_FILE) {
    const name = h.dataFile === undefined ? '' : ` ('${h.dataFile}')`;
    throw unsupported(F, `images with an external data file${name} (incompatible feature bit 2) are not supported`);
  }
  if (h.crypt_method !== 0) {
    const how = h.crypt_method === 1 ? 'AES' : h.crypt_method === 2 ? 'LUKS' : `method ${h.crypt_method}`;
    throw unsupported(F, `encrypted images (crypt_method ${h.crypt_method}, ${how}) are not supported`);
  }
  if (h.cryptoHeader) throw corrupt(F, 'header extension', undefined, 'full disk encryption header present without crypt_method');

  h.extendedL2 = (h.incompatible_features & INCOMPAT_EXTL2) !== 0n;
  if (h.extendedL2 && cluster_bits < MIN_EXTL2_CLUSTER_BITS) {
    throw corrupt(F, 'header', 20, `extended L2 entries need clusters of at least 16 KiB, cluster_bits is ${cluster_bits}`);
  }
  const hasCompressionBit = (h.incompatible_features & INCOMPAT_COMPRESSION) !== 0n;
  if (hasCompressionBit && h.compression_type === 0) {
    throw corrupt(F, 'header', 104, 'the compression type feature bit is set but compression_type is 0 (zlib)');
  }
  if (!hasCompressionBit && h.compression_type !== 0) {
    throw corrupt(F, 'header', 104, `compression_type ${h.compression_type} without the compression type feature bit`);
  }
  const compression = COMPRESSION_TYPES[h.compression_type];
  if (compression === undefined) throw unsupported(F, `compression_type ${h.compression_type} (only 0 zlib and 1 zstd exist)`);
  h.compression = compression;
  if (h.refcount_order > 6) throw corrupt(F, 'header', 96, `refcount_order ${h.refcount_order} exceeds 6 (64-bit refcounts)`);

  if (!Number.isSafeInteger(h.size)) throw unsupported(F, `virtual size ${h.size} exceeds 2^53 bytes (8 PiB)`);
  checkTable(h, 'L1 table', h.l1_table_offset, h.l1_size, 8, MAX_L1_BYTES, fileSize, 40);
  const l2Entries = clusterSize / (h.extendedL2 ? 16 : 8);
  const needL1 = Math.ceil(h.size / clusterSize / l2Entries);
  if (h.l1_size < needL1) {
    throw corrupt(F, 'header', 36, `L1 table too small: l1_size ${h.l1_size} covers less than the virtual size ${h.size} (needs ${needL1})`);
  }
  if (h.nb_snapshots > MAX_SNAPSHOTS) throw corrupt(F, 'header', 60, `nb_snapshots ${h.nb_snapshots} exceeds ${MAX_SNAPSHOTS}`);
  if (h.nb_snapshots > 0 && (h.snapshots_offset % clusterSize !== 0 || h.snapshots_offset === 0)) {
    throw corrupt(F, 'header', 64, `snapshots_offset ${h.snapshots_offset} is not a cluster-aligned offset after the header`);
  }

  if (h.backing_file_offset !== 0) {
    const len = h.backing_file_size;
    if (len > MAX_BACKING_NAME || h.backing_file_offset + len > Math.min(clusterSize, bytes.length)) {
      throw corrupt(F, 'backing file name', h.backing_file_offset, `length ${len} is too long or runs past the header cluster`);
    }
    if (len > 0) h.backingFile = r.utf8(h.backing_file_offset, len);
  }
  return h;
}

function parseExtensions(r: BinaryReader, h: Qcow2Header, start: number, end: number): void {
  let off = start;
  // Each extension takes at least 8 bytes of a cluster of at most 2 MiB, so the loop is bounded.
  while (off + 8 <= end) {
    const type = r.u32be(off);
    const length = r.u32be(off + 4);
    if (type === EXT.end) return;
    if (length > end - off - 8) {
      throw corrupt(F, 'header extension', off, `type 0x${type.toString(16)} length ${length} runs past the end of the extension area (${end})`);
    }
    const data = off + 8;
    h.extensions.push({ type, offset: data, length });
    switch (type) {
      case EXT.backing_format:
        h.backingFormat = r.utf8(data, length);
        break;
      case EXT.data_file:
        h.dataFile = r.utf8(data, length);
        break;
      case EXT.feature_table:
        for (let p = data; p + 48 <= data + length; p += 48) {
          h.featureNames.push({ type: r.u8(p), bit: r.u8(p + 1), name: r.utf8(p + 2, 46) });
        }
        break;
      case EXT.bitmaps:
        if (length !== 24) throw corrupt(F, 'bitmaps extension', off, `length ${length}, expected 24`);
        h.bitmaps = { nb_bitmaps: r.u32be(data), bitmap_directory_size: r.u64be(data + 8), bitmap_directory_offset: r.u64be(data + 16) };
        break;
      case EXT.crypto_header:
        if (length !== 16) throw corrupt(F, 'full disk encryption header extension', off, `length ${length}, expected 16`);
        h.cryptoHeader = { offset: r.u64be(data), length: r.u64be(data + 8) };
        break;
      default:
      // Unknown extensions may be ignored; we keep them because we patch the header in place.
    }
    off = data + Math.ceil(length / 8) * 8;
  }
}

/** QEMU's qcow2_validate_table, plus: the table must lie inside the file and after the header. */
function checkTable(h: Qcow2Header, what: string, offset: number, entries: number, entryLen: number, maxBytes: number, fileSize: number, field: number): void {
  if (entries === 0) return;
  if (entries * entryLen > maxBytes) {
    throw unsupported(F, `${what} of ${entries} entries exceeds the ${maxBytes >> 20} MiB limit`);
  }
  if (offset % h.clusterSize !== 0) throw corrupt(F, what, offset, 'offset is not cluster-aligned');
  if (offset === 0) throw corrupt(F, what, offset, 'overlaps the header');
  if (!Number.isSafeInteger(offset) || offset + entries * entryLen > fileSize) {
    throw corrupt(F, what, offset, `${entries * entryLen} bytes run past the end of the file (${fileSize} bytes; header field at ${field})`);
  }
}

/** "bit 5, bit 7 ('foo')": names from the image's feature name table where it has them. */
export function featureList(h: Pick<Qcow2Header, 'featureNames'>, type: number, mask: bigint): string {
  const parts: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if (!(mask & (1n << BigInt(bit)))) continue;
    const named = h.featureNames.find((f) => f.type === type && f.bit === bit) ?? KNOWN_FEATURE_NAMES.find((f) => f.type === type && f.bit === bit);
    parts.push(named && named.name ? `bit ${bit} ('${named.name}')` : `bit ${bit}`);
  }
  return parts.join(', ');
}

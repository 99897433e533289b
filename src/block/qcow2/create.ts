/**
 * createQcow2: writes an empty version 3 image, laid out as qemu-img does:
 * the header cluster (header, extensions, backing file name), the refcount
 * table, the refcount blocks, then the L1 table, all counted by the blocks.
 */
import { dataView, setU64be, utf8Encoder } from '../../binary/reader.js';
import { FsError } from '../../errors.js';
import type { ResizableDevice } from '../device.js';
import {
  EXT,
  INCOMPAT_COMPRESSION,
  INCOMPAT_EXTL2,
  KNOWN_FEATURE_NAMES,
  MAX_BACKING_NAME,
  MAX_L1_BYTES,
  MAX_REFTABLE_BYTES,
  QCOW2_MAGIC,
  V3_HEADER_LENGTH,
  type CompressionType,
} from './header.js';

export interface CreateQcow2Options {
  /** Virtual size in bytes (a multiple of 512). Defaults to the backing file's size. */
  size?: number;
  /** Power of two from 512 to 2 MiB (default 64 KiB). */
  clusterSize?: number;
  /** The backing file: its name as stored (relative names resolve against the new image's directory), format and size. */
  backing?: { name: string; format?: string; size?: number };
  /** Extended L2 entries (subclusters); needs clusters of 16 KiB or more. */
  extendedL2?: boolean;
  /** For compressed clusters other tools write (default zlib). */
  compressionType?: CompressionType;
  /** Refcount width: 1, 2, 4, 8, 16 (default), 32 or 64. */
  refcountBits?: number;
}

const bad = (detail: string) => new FsError('EINVAL', `qcow2 create: ${detail}`);

/** Replaces the contents of `file` with an empty qcow2 image. */
export async function createQcow2(file: ResizableDevice, options: CreateQcow2Options): Promise<void> {
  const size = options.size ?? options.backing?.size;
  if (size === undefined) throw bad('no size given and no backing file size to take it from');
  if (!Number.isSafeInteger(size) || size < 0 || size % 512 !== 0) throw bad(`size ${size} must be a non-negative multiple of 512`);
  const cs = options.clusterSize ?? 65536;
  const clusterBits = Math.log2(cs);
  if (!Number.isInteger(clusterBits) || clusterBits < 9 || clusterBits > 21) throw bad(`cluster size ${cs} must be a power of two from 512 to 2 MiB`);
  const extendedL2 = options.extendedL2 ?? false;
  if (extendedL2 && cs < 16384) throw bad('extended L2 entries need a cluster size of at least 16 KiB');
  const refcountBits = options.refcountBits ?? 16;
  const refcountOrder = Math.log2(refcountBits);
  if (!Number.isInteger(refcountOrder) || refcountOrder < 0 || refcountOrder > 6) throw bad(`refcount bits ${refcountBits} must be a power of two from 1 to 64`);
  const compression = options.compressionType ?? 'zlib';
  if (compression !== 'zlib' && compression !== 'zstd') throw bad(`unknown compression type ${String(compression)}`);

  const l2Entries = cs / (extendedL2 ? 16 : 8);
  const l1Size = Math.ceil(size / cs / l2Entries);
  if (l1Size * 8 > MAX_L1_BYTES) throw bad(`a ${size}-byte disk needs an L1 table over 32 MiB with ${cs}-byte clusters; use larger clusters`);

  const head = headerCluster(cs, options.backing);

  // Clusters: header, refcount table (R), refcount blocks (B), L1 table (L); the blocks count all of them.
  const perBlock = (cs * 8) / refcountBits;
  const L = Math.ceil((l1Size * 8) / cs);
  let R = 1;
  let B = 1;
  for (;;) {
    const total = 1 + R + B + L;
    const b = Math.ceil(total / perBlock);
    const r = Math.ceil((b * 8) / cs);
    if (b === B && r === R) break;
    B = Math.max(B, b);
    R = Math.max(R, r);
  }
  if (R * cs > MAX_REFTABLE_BYTES) throw bad('the refcount table would exceed 8 MiB; use larger clusters or fewer refcount bits');
  const total = 1 + R + B + L;
  const reftableOffset = cs;
  const blocksOffset = (1 + R) * cs;
  const l1Offset = (1 + R + B) * cs;

  const h = dataView(head.bytes);
  h.setUint32(0, QCOW2_MAGIC, false);
  h.setUint32(4, 3, false);
  setU64be(h, 8, head.backingOffset);
  h.setUint32(16, head.backingLength, false);
  h.setUint32(20, clusterBits, false);
  setU64be(h, 24, size);
  h.setUint32(32, 0, false); // crypt_method
  h.setUint32(36, l1Size, false);
  setU64be(h, 40, l1Offset);
  setU64be(h, 48, reftableOffset);
  h.setUint32(56, R, false);
  h.setUint32(60, 0, false); // nb_snapshots
  setU64be(h, 64, 0);
  let incompatible = 0n;
  if (compression === 'zstd') incompatible |= INCOMPAT_COMPRESSION;
  if (extendedL2) incompatible |= INCOMPAT_EXTL2;
  h.setBigUint64(72, incompatible, false);
  h.setBigUint64(80, 0n, false);
  h.setBigUint64(88, 0n, false);
  h.setUint32(96, refcountOrder, false);
  h.setUint32(100, V3_HEADER_LENGTH, false);
  head.bytes[104] = compression === 'zstd' ? 1 : 0;

  const table = new Uint8Array(R * cs);
  for (let k = 0; k < B; k++) setU64be(dataView(table), k * 8, blocksOffset + k * cs);
  const blocks = new Uint8Array(B * cs);
  for (let c = 0; c < total; c++) setRefcount(blocks, c, refcountBits, 1);

  await file.resize(0);
  await file.resize(total * cs);
  await file.write(head.bytes, 0);
  await file.write(table, reftableOffset);
  await file.write(blocks, blocksOffset);
  await file.flush();
}

/** The header cluster with its extensions and backing name; the fixed fields are filled by the caller. */
function headerCluster(cs: number, backing: CreateQcow2Options['backing']): { bytes: Uint8Array; backingOffset: number; backingLength: number } {
  const bytes = new Uint8Array(cs);
  const v = dataView(bytes);
  const name = backing ? utf8Encoder.encode(backing.name) : undefined;
  const format = backing?.format ? utf8Encoder.encode(backing.format) : undefined;
  if (name && (name.length === 0 || name.length > MAX_BACKING_NAME)) throw bad(`backing file name must be 1 to ${MAX_BACKING_NAME} bytes`);
  if (format && format.length > 15) throw bad(`backing format '${backing!.format}' is too long`);
  const pad8 = (n: number) => Math.ceil(n / 8) * 8;
  const formatExt = format ? 8 + pad8(format.length) : 0;
  const featureExt = 8 + KNOWN_FEATURE_NAMES.length * 48;
  const nameLen = name?.length ?? 0;
  // Like qemu-img, leave the feature name table out when it does not fit (small clusters).
  const withFeatures = V3_HEADER_LENGTH + formatExt + featureExt + 8 + nameLen <= cs;
  if (V3_HEADER_LENGTH + formatExt + 8 + nameLen > cs) throw bad(`the backing file name does not fit in a ${cs}-byte header cluster`);
  let p = V3_HEADER_LENGTH;
  if (format) {
    v.setUint32(p, EXT.backing_format, false);
    v.setUint32(p + 4, format.length, false);
    bytes.set(format, p + 8);
    p += formatExt;
  }
  if (withFeatures) {
    v.setUint32(p, EXT.feature_table, false);
    v.setUint32(p + 4, KNOWN_FEATURE_NAMES.length * 48, false);
    KNOWN_FEATURE_NAMES.forEach((f, i) => {
      const at = p + 8 + i * 48;
      bytes[at] = f.type;
      bytes[at + 1] = f.bit;
      bytes.set(utf8Encoder.encode(f.name), at + 2);
    });
    p += featureExt;
  }
  p += 8; // end of extensions (type 0, length 0)
  if (name) bytes.set(name, p);
  return { bytes, backingOffset: name ? p : 0, backingLength: nameLen };
}

function setRefcount(blocks: Uint8Array, index: number, bits: number, value: number): void {
  if (bits >= 8) {
    const bytes = bits / 8;
    const at = index * bytes;
    if (bytes === 8) setU64be(dataView(blocks), at, value);
    else for (let i = 0; i < bytes; i++) blocks[at + i] = Math.floor(value / 2 ** (8 * (bytes - 1 - i))) & 0xff;
    return;
  }
  const bit = index * bits;
  blocks[bit >> 3] = blocks[bit >> 3]! | (value << (bit & 7));
}

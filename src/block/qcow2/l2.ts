/**
 * L1 and L2 table entries: standard (64-bit) and extended (128-bit, with a
 * subcluster bitmap) L2 entries, standard and compressed cluster descriptors.
 *
 * Entries are read as two 32-bit halves instead of BigInt: this is the hot
 * path of every read. `hi` holds bits 32–63, `lo` bits 0–31.
 */
import { corrupt } from '../corrupt.js';

const TWO32 = 0x1_0000_0000;
/** Bit 63 of L1 and L2 entries: refcount is exactly one, write in place. */
export const OFLAG_COPIED = 0x80000000;
/** Bit 62 of L2 entries: compressed cluster. */
export const OFLAG_COMPRESSED = 0x40000000;
/** Bit 0 of a standard descriptor: reads as zeros (v3, no extended L2). */
export const OFLAG_ZERO = 1;
/** Bits 9–55: a host offset. */
const OFFSET_HI_MASK = 0x00ffffff;
const OFFSET_LO_MASK = 0xfffffe00;
/** Extended L2: 32 subclusters per cluster. */
export const SUBCLUSTERS = 32;
export const ALL_SUBCLUSTERS = 0xffffffff;

/** Host offset in bits 9–55 of an L1 or L2 entry. */
export function entryOffset(hi: number, lo: number): number {
  return (hi & OFFSET_HI_MASK) * TWO32 + ((lo & OFFSET_LO_MASK) >>> 0);
}

/**
 * What one guest cluster maps to, in a shape shared by standard and extended
 * L2 entries: a standard entry is treated as one subcluster spanning the
 * cluster (`alloc`/`zero` bit 0).
 */
export interface ClusterDescriptor {
  compressed: boolean;
  /** Host cluster offset (standard; may be set with no allocated subcluster) or compressed data offset. */
  host: number;
  copied: boolean;
  /** Compressed: bytes of compressed data starting at `host`. */
  csize: number;
  /** Bit i: subcluster i is allocated (data at host + i * subclusterSize). */
  alloc: number;
  /** Bit i: subcluster i reads as zeros. Neither bit: unallocated (backing file or zeros). */
  zero: number;
}

export function emptyDescriptor(): ClusterDescriptor {
  return { compressed: false, host: 0, copied: false, csize: 0, alloc: 0, zero: 0 };
}

export interface L2Format {
  cluster_bits: number;
  extendedL2: boolean;
  version: number;
}

/**
 * Decodes entry `index` of an L2 table slice (`view` over the slice, which
 * starts at host offset `sliceOffset`) into `d`. Throws EIO for entries the
 * spec forbids; bounds against the file size are the reader's job.
 */
export function decodeL2Entry(view: DataView, index: number, f: L2Format, sliceOffset: number, d: ClusterDescriptor): ClusterDescriptor {
  const at = index * (f.extendedL2 ? 16 : 8);
  const hi = view.getUint32(at, false);
  const lo = view.getUint32(at + 4, false);
  d.copied = (hi & OFLAG_COPIED) !== 0;
  d.csize = 0;
  if (hi & OFLAG_COMPRESSED) {
    // Compressed descriptor: x = 62 - (cluster_bits - 8) bits of offset, then the extra sector count.
    const shift = 38 - f.cluster_bits; // x - 32
    const hi30 = hi & 0x3fffffff;
    const host = (hi30 & ((1 << shift) - 1)) * TWO32 + lo;
    const sectors = (hi30 >>> shift) + 1;
    d.compressed = true;
    d.host = host;
    d.csize = sectors * 512 - (host % 512);
    d.alloc = 0;
    d.zero = 0;
    if (host === 0) throw badEntry(sliceOffset, at, 'compressed cluster at host offset 0 (the header)');
    return d;
  }
  d.compressed = false;
  const host = entryOffset(hi, lo);
  d.host = host;
  if (host % (2 ** f.cluster_bits) !== 0) throw badEntry(sliceOffset, at, `host offset 0x${host.toString(16)} is not cluster-aligned`);
  if (f.extendedL2) {
    const zero = view.getUint32(at + 8, false);
    const alloc = view.getUint32(at + 12, false);
    if (alloc & zero) throw badEntry(sliceOffset, at, `subclusters 0x${(alloc & zero).toString(16)} are both allocated and zero`);
    if (alloc && host === 0) throw badEntry(sliceOffset, at, 'allocated subclusters without a host cluster');
    d.alloc = alloc;
    d.zero = zero;
    return d;
  }
  if (lo & OFLAG_ZERO) {
    if (f.version < 3) throw badEntry(sliceOffset, at, 'zero cluster flag in a version 2 image');
    d.alloc = 0;
    d.zero = 1;
  } else {
    d.alloc = host !== 0 ? 1 : 0;
    d.zero = 0;
    if (host === 0 && d.copied) throw badEntry(sliceOffset, at, 'host offset 0 with the COPIED flag (only valid with an external data file)');
  }
  return d;
}

/** Encodes `d` (standard, never compressed: we do not write compressed clusters) into entry `index`. */
export function encodeL2Entry(view: DataView, index: number, f: L2Format, d: ClusterDescriptor): void {
  const at = index * (f.extendedL2 ? 16 : 8);
  const hostHi = Math.floor(d.host / TWO32);
  const hostLo = d.host % TWO32;
  const copied = d.copied ? OFLAG_COPIED : 0;
  if (f.extendedL2) {
    view.setUint32(at, (copied | hostHi) >>> 0, false);
    view.setUint32(at + 4, hostLo, false);
    view.setUint32(at + 8, d.zero >>> 0, false);
    view.setUint32(at + 12, d.alloc >>> 0, false);
    return;
  }
  if (d.alloc & 1) {
    view.setUint32(at, (copied | hostHi) >>> 0, false);
    view.setUint32(at + 4, hostLo, false);
  } else if (d.zero & 1) {
    // Zero cluster, keeping a preallocated host cluster if there is one.
    view.setUint32(at, ((d.host ? copied : 0) | hostHi) >>> 0, false);
    view.setUint32(at + 4, (hostLo | OFLAG_ZERO) >>> 0, false);
  } else {
    view.setUint32(at, 0, false);
    view.setUint32(at + 4, 0, false);
  }
}

/** An L1 entry: the L2 table offset (0: none) and whether it is COPIED. */
export function decodeL1Entry(view: DataView, at: number): { l2: number; copied: boolean } {
  const hi = view.getUint32(at, false);
  const lo = view.getUint32(at + 4, false);
  return { l2: entryOffset(hi, lo), copied: (hi & OFLAG_COPIED) !== 0 };
}

export function encodeL1Entry(view: DataView, at: number, l2: number, copied: boolean): void {
  view.setUint32(at, ((copied ? OFLAG_COPIED : 0) | Math.floor(l2 / TWO32)) >>> 0, false);
  view.setUint32(at + 4, l2 % TWO32, false);
}

function badEntry(sliceOffset: number, at: number, detail: string) {
  return corrupt('qcow2', `L2 entry`, sliceOffset + at, detail);
}

/**
 * The hosted sparse extent header ('KDMV', 512 bytes, little-endian), as
 * VMware's "Virtual Disk Format 1.1" lays it out, and the stream-optimized
 * footer that carries the real grain directory offset when the header says
 * GD_AT_END. Field names follow the spec.
 */
import { BinaryReader } from '../../binary/reader.js';
import { corrupt, unsupported } from '../corrupt.js';
import { readStructure, type BlockDevice } from '../device.js';

export const SPARSE_MAGIC = 0x564d444b; // 'KDMV'
export const COWD_MAGIC = 0x44574f43; // 'COWD': ESX vmfsSparse, refused
export const SECTOR = 512;

export const FLAG_NEWLINE_TEST = 1 << 0;
export const FLAG_REDUNDANT_GT = 1 << 1;
export const FLAG_ZERO_GRAIN = 1 << 2; // a grain table entry of 1 means "reads as zeros"
export const FLAG_COMPRESSED = 1 << 16;
export const FLAG_MARKERS = 1 << 17;
const KNOWN_FLAGS = FLAG_NEWLINE_TEST | FLAG_REDUNDANT_GT | FLAG_ZERO_GRAIN | FLAG_COMPRESSED | FLAG_MARKERS;

export const GD_AT_END = -1; // 0xffffffffffffffff, stored as a sentinel
export const COMPRESSION_DEFLATE = 1;

export const MARKER_EOS = 0;
export const MARKER_GT = 1;
export const MARKER_GD = 2;
export const MARKER_FOOTER = 3;

/** Grains larger than this are refused: 1 MiB is far above anything a tool writes (64 KiB is usual). */
const MAX_GRAIN_SECTORS = 2048;
const MAX_GTES_PER_GT = 4096;

export interface SparseExtentHeader {
  version: number;
  flags: number;
  /** Sectors the extent holds. */
  capacity: number;
  /** Sectors per grain. */
  grainSize: number;
  descriptorOffset: number;
  descriptorSize: number;
  numGTEsPerGT: number;
  rgdOffset: number;
  /** Sector of the grain directory, or GD_AT_END. */
  gdOffset: number;
  overHead: number;
  uncleanShutdown: boolean;
  compressAlgorithm: number;
}

export function parseSparseHeader(bytes: Uint8Array, at: number, what = 'sparse extent header'): SparseExtentHeader {
  const r = new BinaryReader(bytes, `vmdk: ${what}`);
  const magic = r.u32le(0);
  if (magic !== SPARSE_MAGIC) throw corrupt('vmdk', what, at, `bad magic 0x${magic.toString(16)} (want KDMV)`);
  const gdRaw = r.big64le(56);
  const h: SparseExtentHeader = {
    version: r.u32le(4),
    flags: r.u32le(8),
    capacity: r.u64le(12),
    grainSize: r.u64le(20),
    descriptorOffset: r.u64le(28),
    descriptorSize: r.u64le(36),
    numGTEsPerGT: r.u32le(44),
    rgdOffset: r.u64le(48),
    gdOffset: gdRaw === 0xffffffffffffffffn ? GD_AT_END : Number(gdRaw),
    overHead: r.u64le(64),
    uncleanShutdown: r.u8(72) !== 0,
    compressAlgorithm: r.u16le(77),
  };
  r.check();
  return h;
}

/** Checks the fields every reader relies on; throws EIO/EOPNOTSUPP naming the field. */
export function validateSparseHeader(h: SparseExtentHeader, fileSize: number, at: number): void {
  if (h.version < 1 || h.version > 3) throw unsupported('vmdk', `sparse extent header version ${h.version} (known: 1 to 3)`);
  const unknown = h.flags & ~KNOWN_FLAGS & 0xffffffff;
  // Bits 0-15 are informational; 16 and above change how data is stored.
  if (unknown >>> 16) throw unsupported('vmdk', `sparse extent header flags 0x${(h.flags >>> 0).toString(16)}`);
  if (h.grainSize < 1 || h.grainSize > MAX_GRAIN_SECTORS || (h.grainSize & (h.grainSize - 1)) !== 0) {
    throw corrupt('vmdk', 'sparse extent header', at, `grainSize ${h.grainSize} sectors is not a power of two between 1 and ${MAX_GRAIN_SECTORS}`);
  }
  if (h.numGTEsPerGT < 1 || h.numGTEsPerGT > MAX_GTES_PER_GT) {
    throw corrupt('vmdk', 'sparse extent header', at, `numGTEsPerGT ${h.numGTEsPerGT} out of range 1..${MAX_GTES_PER_GT}`);
  }
  if (!Number.isSafeInteger(h.capacity * SECTOR) || h.capacity * SECTOR > 2 ** 50) {
    throw corrupt('vmdk', 'sparse extent header', at, `capacity ${h.capacity} sectors is absurd`);
  }
  if (h.flags & FLAG_COMPRESSED && h.compressAlgorithm !== COMPRESSION_DEFLATE) {
    throw unsupported('vmdk', `compression algorithm ${h.compressAlgorithm} (only deflate)`);
  }
  if (h.gdOffset !== GD_AT_END && (h.gdOffset < 1 || h.gdOffset * SECTOR >= fileSize)) {
    throw corrupt('vmdk', 'sparse extent header', at, `gdOffset sector ${h.gdOffset} lies outside the file (${fileSize} bytes)`);
  }
}

/**
 * A stream-optimized image written front to back cannot know its grain
 * directory offset when it writes the header, so it says GD_AT_END and puts
 * a copy of the header (the footer) with the real offset near the end:
 * footer marker (512) + footer header (512) + end-of-stream marker (512).
 */
export async function readFooterHeader(file: BlockDevice): Promise<SparseExtentHeader> {
  const at = file.size - 3 * SECTOR;
  if (at < SECTOR) throw corrupt('vmdk', 'footer', at, 'file too short for a stream-optimized footer');
  const b = await readStructure(file, at, 3 * SECTOR, 'vmdk: footer');
  const r = new BinaryReader(b, 'vmdk: footer');
  const markerVal = r.u64le(0);
  const markerSize = r.u32le(8);
  const markerType = r.u32le(12);
  if (markerVal !== 1 || markerSize !== 0 || markerType !== MARKER_FOOTER) {
    throw corrupt('vmdk', 'footer marker', at, `expected a footer marker (type ${MARKER_FOOTER}), found value ${markerVal} size ${markerSize} type ${markerType}`);
  }
  const eos = b.subarray(2 * SECTOR, 2 * SECTOR + 16);
  if (eos.some((x) => x !== 0)) throw corrupt('vmdk', 'end-of-stream marker', at + 2 * SECTOR, 'not all zero');
  return parseSparseHeader(b.subarray(SECTOR, 2 * SECTOR), at + SECTOR, 'footer header');
}

/**
 * Directory entries: 32-byte slots. A short (8.3) entry holds the name in
 * the OEM code page, attributes, times, first cluster and size; a long
 * name (VFAT LFN) goes in up to 20 slots before it, 13 UTF-16 units each,
 * in reverse order, each carrying the short name's checksum.
 *
 *   short entry                       LFN slot
 *   0  DIR_Name[11]                   0  LDIR_Ord (0x40 = last)
 *   11 DIR_Attr                       1  LDIR_Name1 (5 units)
 *   12 DIR_NTRes (case bits)          11 LDIR_Attr = 0x0F
 *   13 DIR_CrtTimeTenth (10 ms)       12 LDIR_Type = 0
 *   14 DIR_CrtTime   16 DIR_CrtDate   13 LDIR_Chksum
 *   18 DIR_LstAccDate                 14 LDIR_Name2 (6 units)
 *   20 DIR_FstClusHI (FAT32 only)     26 LDIR_FstClusLO = 0
 *   22 DIR_WrtTime   24 DIR_WrtDate   28 LDIR_Name3 (2 units)
 *   26 DIR_FstClusLO 28 DIR_FileSize
 */

export const SLOT = 32;
export const ATTR_READ_ONLY = 0x01;
export const ATTR_HIDDEN = 0x02;
export const ATTR_SYSTEM = 0x04;
export const ATTR_VOLUME_ID = 0x08;
export const ATTR_DIRECTORY = 0x10;
export const ATTR_ARCHIVE = 0x20;
export const ATTR_LONG_NAME = 0x0f;
/** DIR_NTRes bits (Windows NT): the base name / extension is shown in lower case. */
export const CASE_LOWER_BASE = 0x08;
export const CASE_LOWER_EXT = 0x10;
/** First name byte of a deleted entry; 0x00 ends the directory. */
export const DELETED = 0xe5;
/** A real 0xE5 first character is stored as 0x05 (KANJI lead byte). */
export const E5_ESCAPE = 0x05;
export const LFN_LAST = 0x40;
export const LFN_UNITS_PER_SLOT = 13;
export const MAX_LFN_SLOTS = 20;
/** Directories hold at most 65536 slots (2 MiB), as the spec and Linux say. */
export const MAX_DIR_SLOTS = 65536;

/** Decoded short entry. Times stay raw: the driver converts them with its zone. */
export interface ShortEntry {
  name: Uint8Array;
  attr: number;
  ntCase: number;
  crtCs: number;
  crtTime: number;
  crtDate: number;
  accDate: number;
  wrtTime: number;
  wrtDate: number;
  firstCluster: number;
  size: number;
}

export function decodeShortEntry(b: Uint8Array, at: number, fat32: boolean): ShortEntry {
  const v = new DataView(b.buffer, b.byteOffset + at, SLOT);
  const hi = fat32 ? v.getUint16(20, true) : 0;
  return {
    name: b.slice(at, at + 11),
    attr: b[at + 11]!,
    ntCase: b[at + 12]!,
    crtCs: b[at + 13]!,
    crtTime: v.getUint16(14, true),
    crtDate: v.getUint16(16, true),
    accDate: v.getUint16(18, true),
    wrtTime: v.getUint16(22, true),
    wrtDate: v.getUint16(24, true),
    firstCluster: hi * 0x10000 + v.getUint16(26, true),
    size: v.getUint32(28, true),
  };
}

export function encodeShortEntry(e: ShortEntry, out: Uint8Array = new Uint8Array(SLOT), at = 0): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset + at, SLOT);
  out.set(e.name.subarray(0, 11), at);
  out[at + 11] = e.attr;
  out[at + 12] = e.ntCase;
  out[at + 13] = e.crtCs;
  v.setUint16(14, e.crtTime, true);
  v.setUint16(16, e.crtDate, true);
  v.setUint16(18, e.accDate, true);
  v.setUint16(20, Math.floor(e.firstCluster / 0x10000), true);
  v.setUint16(22, e.wrtTime, true);
  v.setUint16(24, e.wrtDate, true);
  v.setUint16(26, e.firstCluster & 0xffff, true);
  v.setUint32(28, e.size >>> 0, true);
  return out;
}

/** The LFN checksum of an 11-byte short name (rotate right, add). */
export function shortNameChecksum(name: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = ((sum & 1 ? 0x80 : 0) + (sum >> 1) + name[i]!) & 0xff;
  return sum;
}

const UNIT_OFFSETS = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

/** The 13 UTF-16 units of an LFN slot. */
export function lfnUnits(b: Uint8Array, at: number): number[] {
  return UNIT_OFFSETS.map((o) => b[at + o]! | (b[at + o + 1]! << 8));
}

/**
 * The LFN slots for `name` (UTF-16, at most 255 units) in on-disk order
 * (highest ordinal first), NUL-terminated and 0xFFFF-padded as Windows does.
 */
export function encodeLfnSlots(name: string, checksum: number): Uint8Array {
  const count = Math.ceil(name.length / LFN_UNITS_PER_SLOT);
  const out = new Uint8Array(count * SLOT);
  for (let k = 0; k < count; k++) {
    const ord = k + 1;
    const at = (count - 1 - k) * SLOT;
    out[at] = ord | (ord === count ? LFN_LAST : 0);
    out[at + 11] = ATTR_LONG_NAME;
    out[at + 12] = 0;
    out[at + 13] = checksum;
    for (let i = 0; i < LFN_UNITS_PER_SLOT; i++) {
      const idx = k * LFN_UNITS_PER_SLOT + i;
      const u = idx < name.length ? name.charCodeAt(idx) : idx === name.length ? 0 : 0xffff;
      const o = at + UNIT_OFFSETS[i]!;
      out[o] = u & 0xff;
      out[o + 1] = u >> 8;
    }
  }
  return out;
}

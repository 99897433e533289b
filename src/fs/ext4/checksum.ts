/**
 * The checksums ext4 keeps on its metadata.
 *
 * metadata_csum: crc32c in the kernel's `ext4_chksum` convention (register
 * starts at the seed, no final inversion). The filesystem seed is
 * crc32c(~0, s_uuid), or s_checksum_seed with metadata_csum_seed (so the
 * UUID can change without rewriting every checksum). Per-inode structures
 * (inode, extent blocks, directory blocks) chain the inode number and
 * generation onto that seed.
 *
 * gdt_csum (the older uninit_bg): crc16 (ANSI polynomial, reflected, as
 * lib/crc16.c) over uuid, group number and descriptor.
 */

const u32 = new Uint8Array(4);
const u32view = new DataView(u32.buffer);
const u64 = new Uint8Array(8);
const u64view = new DataView(u64.buffer);

export function le32(v: number): Uint8Array {
  u32view.setUint32(0, v >>> 0, true);
  return u32;
}

export function le64(v: number): Uint8Array {
  u64view.setUint32(0, v % 0x1_0000_0000, true);
  u64view.setUint32(4, Math.floor(v / 0x1_0000_0000), true);
  return u64;
}

const ZERO4 = new Uint8Array(4);

/**
 * CRC-32C tables for slicing-by-8: eight bytes per step instead of one.
 * Inode, directory and extent checksums run on every metadata read, and
 * the byte-wise loop in util/crc32.ts was a tenth of a large `ls -l`.
 */
const TABLES = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n]! >>> 8) ^ t[t[(k - 1) * 256 + n]! & 0xff]!;
  }
  return t;
})();

/** crc32c continuing from `crc` over `data`, ext4 style (no inversions: the kernel's ext4_chksum). */
export function chksum(crc: number, data: Uint8Array): number {
  const t = TABLES;
  let c = crc >>> 0;
  let i = 0;
  const n = data.length;
  for (; i + 8 <= n; i += 8) {
    const lo = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      t[7 * 256 + (lo & 0xff)]! ^
      t[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      t[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      t[4 * 256 + (lo >>> 24)]! ^
      t[3 * 256 + data[i + 4]!]! ^
      t[2 * 256 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < n; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** crc32c over `data` with the `fieldLength` bytes at `field` counted as zeros (the stored checksum itself). */
export function chksumSkipping(crc: number, data: Uint8Array, field: number, fieldLength: number): number {
  let c = chksum(crc, data.subarray(0, field));
  c = chksum(c, ZERO4.subarray(0, fieldLength));
  return chksum(c, data.subarray(field + fieldLength));
}

/** The per-inode seed: fs seed, then inode number and generation. */
export function inodeSeed(fsSeed: number, ino: number, generation: number): number {
  return chksum(chksum(fsSeed, le32(ino)), le32(generation));
}

const CRC16_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xa001 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-16 (poly 0x8005 reflected), continuing from `crc`, no final inversion. */
export function crc16(crc: number, data: Uint8Array): number {
  let c = crc & 0xffff;
  for (let i = 0; i < data.length; i++) c = (c >>> 8) ^ CRC16_TABLE[(c ^ data[i]!) & 0xff]!;
  return c;
}

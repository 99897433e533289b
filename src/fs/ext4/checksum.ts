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
import { crc32cRaw } from '../../util/crc32.js';

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

/** crc32c continuing from `crc` over `data`, ext4 style. */
export function chksum(crc: number, data: Uint8Array): number {
  return crc32cRaw(crc, data);
}

/** crc32c over `data` with the `fieldLength` bytes at `field` counted as zeros (the stored checksum itself). */
export function chksumSkipping(crc: number, data: Uint8Array, field: number, fieldLength: number): number {
  let c = crc32cRaw(crc, data.subarray(0, field));
  c = crc32cRaw(c, ZERO4.subarray(0, fieldLength));
  return crc32cRaw(c, data.subarray(field + fieldLength));
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

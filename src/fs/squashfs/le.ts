/** Little-endian integers read from a byte array (the squashfs on-disk order), without a DataView. */
export function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
export function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
/** Exact below 2^53. */
export function u64(b: Uint8Array, o: number): number {
  return u32(b, o + 4) * 0x1_0000_0000 + u32(b, o);
}

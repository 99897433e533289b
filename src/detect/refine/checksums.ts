/**
 * Small block checksums that data cannot express: Sun's XOR of 16-bit
 * words, Amiga's sum of 32-bit longs (RDB blocks) and the boot block sum
 * with carry (AmigaDOS).
 */
import type { Refine } from './index.js';

/** Sun disk label: XOR of the 256 big-endian words of sector 0 is 0. */
export const refineSunChecksum: Refine = async ({ match, scope }) => {
  const b = await scope.cache.bytes(scope.base, 512);
  if (!b) return null;
  let x = 0;
  for (let i = 0; i < 512; i += 2) x ^= (b[i]! << 8) | b[i + 1]!;
  return x === 0 ? { ...match, confidence: Math.min(1, match.confidence + 0.3) } : null;
};

/** Amiga RDB-style block: SummedLongs (at 4) big-endian longs sum to 0 mod 2^32. */
export const refineAmigaBlockChecksum: Refine = async ({ match, scope }) => {
  const head = await scope.cache.bytes(scope.base, 8);
  if (!head) return null;
  const longs = new DataView(head.buffer, head.byteOffset, 8).getUint32(4, false);
  if (longs < 2 || longs > 128) return null;
  const b = await scope.cache.bytes(scope.base, longs * 4);
  if (!b) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  let sum = 0;
  for (let i = 0; i < longs; i++) sum = (sum + v.getUint32(i * 4, false)) >>> 0;
  return sum === 0 ? { ...match, confidence: Math.min(1, match.confidence + 0.3) } : null;
};

/** AmigaDOS boot block (1024 bytes): the sum with end-around carry is 0xffffffff. */
export const refineAmigaBootChecksum: Refine = async ({ match, scope }) => {
  const b = await scope.cache.bytes(scope.base, 1024);
  if (!b) return null;
  const v = new DataView(b.buffer, b.byteOffset, 1024);
  let sum = 0;
  for (let i = 0; i < 256; i++) {
    sum += v.getUint32(i * 4, false);
    if (sum > 0xffffffff) sum = (sum % 0x1_0000_0000) + 1;
  }
  // A boot block with no boot code may carry a zero checksum.
  const ok = sum === 0xffffffff || v.getUint32(4, false) === 0;
  return ok ? { ...match, confidence: Math.min(1, match.confidence + (sum === 0xffffffff ? 0.3 : 0)) } : null;
};

/**
 * Linux md v1.x superblocks carry a checksum: the 32-bit little-endian words
 * of the 256-byte superblock plus 2 bytes per device role, summed in 64 bits
 * without the checksum field itself, folded to 32 bits. 0.90 passes as is.
 */
import type { Refine } from './index.js';

export const refineMd1Checksum: Refine = async ({ match, scope }) => {
  if (!match.version?.startsWith('1.')) return match;
  const head = await scope.cache.bytes(scope.base, 256);
  if (!head) return null;
  const hv = new DataView(head.buffer, head.byteOffset, 256);
  const maxDev = hv.getUint32(220, true);
  if (maxDev > 384) return null;
  const size = 256 + maxDev * 2;
  const b = await scope.cache.bytes(scope.base, size);
  if (!b) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const stored = v.getUint32(216, true);
  let sum = -stored;
  let i = 0;
  for (; i + 4 <= size; i += 4) sum += v.getUint32(i, true);
  if (size - i === 2) sum += v.getUint16(i, true);
  sum = (Math.floor(sum / 0x1_0000_0000) + (sum % 0x1_0000_0000)) % 0x1_0000_0000;
  return sum === stored ? { ...match, confidence: Math.min(1, match.confidence + 0.2) } : null;
};

/**
 * tar: a header block's checksum is the sum of its 512 bytes with the
 * checksum field (148, 8 bytes) counted as spaces, stored in octal. Old v7
 * archives have no magic at all, so the checksum is their only signature;
 * for ustar/GNU it confirms the magic.
 */
import type { Refine } from './index.js';

export const refineTar: Refine = async ({ match, scope }) => {
  const h = await scope.cache.bytes(scope.base, 512);
  if (!h) return null;
  const field = String.fromCharCode(...h.subarray(148, 156)).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (!/^[0-7]{1,7}$/.test(field)) return null;
  const stored = parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  if (stored !== unsigned && stored !== signed) return null;
  // A header of spaces and zeros also sums right; a v7 header must name a file.
  if (h[0] === 0) return null;
  return { ...match, confidence: Math.min(1, match.confidence + 0.3) };
};

/**
 * Acorn ADFS new-map hard discs: the boot block at 0xc00 ends in a check
 * byte, a sum with carry of the other 511 bytes taken from the end (Linux
 * fs/adfs adfs_checkbblk). Old-map discs are told by their 'Hugo'/'Nick'
 * directory markers alone.
 */
import type { Refine } from './index.js';

export const refineAdfs: Refine = async ({ match, scope }) => {
  if (match.version !== 'new map') return match;
  const b = await scope.cache.bytes(scope.base, 512);
  if (!b) return null;
  let result = 0;
  for (let p = 511; p > 0; ) {
    result = (result & 0xff) + (result >> 8);
    result += b[--p]!;
  }
  if ((result & 0xff) !== b[511]) return null;
  return { ...match, confidence: 0.6 };
};

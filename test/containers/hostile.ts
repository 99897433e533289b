/** Shared bits of the per-format hostile tests. */
import assert from 'node:assert/strict';
import { FsError } from '../../src/errors.js';

/** Rejects with an FsError of `code` whose message matches `pattern`. */
export async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e) => {
    assert.ok(e instanceof FsError, `not an FsError: ${(e as Error)?.stack}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

/** A copy of `base` with little-endian (or big-endian) integers written at offsets. */
export function patched(base: Uint8Array, edits: Array<[offset: number, value: number | bigint, bytes: 1 | 2 | 4 | 8, bigEndian?: boolean]>): Uint8Array {
  const b = base.slice();
  const v = new DataView(b.buffer);
  for (const [off, val, n, be] of edits) {
    if (n === 1) v.setUint8(off, Number(val));
    else if (n === 2) v.setUint16(off, Number(val), !be);
    else if (n === 4) v.setUint32(off, Number(val) >>> 0, !be);
    else v.setBigUint64(off, BigInt(val), !be);
  }
  return b;
}

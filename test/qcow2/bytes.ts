/** Byte helpers for the qcow2 tests: comparison and seeded data and write shapes. */

/** Index of the first byte where a and b differ (or the shorter length), -1 if equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Fast seeded bytes (xorshift32 seeded from `rand`). */
export function randomBytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = (rand() * 0xffffffff) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A write of a random shape: tiny, unaligned, crossing clusters, whole clusters, large, at the end of the disk. */
export function randomWrite(rand: () => number, size: number, cs: number): { offset: number; length: number } {
  const int = (n: number) => Math.floor(rand() * n);
  let offset: number;
  let length: number;
  switch (int(6)) {
    case 0:
      length = 1 + int(4096);
      offset = int(size - length);
      break;
    case 1: {
      const boundary = cs * (1 + int(Math.max(1, Math.floor(size / cs) - 1)));
      offset = boundary - 1 - int(Math.min(cs, 8192));
      length = 2 + int(Math.min(2 * cs, 100000));
      break;
    }
    case 2:
      length = Math.min(size, cs * (1 + int(4)));
      offset = cs * int(Math.floor((size - length) / cs) + 1);
      break;
    case 3:
      length = 1 + int(Math.min(size, 300000));
      offset = int(size - length + 1);
      break;
    case 4:
      length = 1 + int(Math.min(size, 20000));
      offset = size - length;
      break;
    default:
      length = 1 + int(512);
      offset = 512 * int(size / 512);
  }
  offset = Math.max(0, Math.min(offset, size - 1));
  length = Math.max(1, Math.min(length, size - offset));
  return { offset, length };
}

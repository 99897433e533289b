/**
 * LZO1X decompression, as squashfs's `lzo` compressor needs (all its
 * algorithms, lzo1x_1 … lzo1x_999, write the same LZO1X stream). Written
 * from the stream description in Linux's Documentation/staging/lzo.rst:
 * instructions whose top bits select a literal run or a match with its
 * length and distance encoding; the low two bits of a match (or of its
 * distance) say how many literals (0–3) follow, which changes what the next
 * 0..15 instruction means. A 0001HLLL match of distance 16384 ends the
 * stream. Bounded by maxOutput.
 */
import { FsError } from '../errors.js';

function fail(detail: string): FsError {
  return new FsError('EIO', `lzo: corrupt compressed data (${detail})`);
}

export function lzoDecompressSync(input: Uint8Array, maxOutput: number): Uint8Array {
  const out = new Uint8Array(maxOutput);
  const n = input.length;
  let ip = 0;
  let op = 0;
  /** Literals copied by the previous instruction: 0, 1–3, or 4 for a long run. */
  let state = 0;

  const byte = (): number => {
    if (ip >= n) throw fail('input ends inside an instruction');
    return input[ip++]!;
  };
  /** A length that did not fit its bits: 255 per zero byte, then the first non-zero byte. */
  const extended = (): number => {
    let len = 0;
    for (;;) {
      const b = byte();
      if (b !== 0) return len + b;
      len += 255;
    }
  };
  const literals = (count: number): void => {
    if (ip + count > n) throw fail('literals run past the input');
    if (op + count > maxOutput) throw new FsError('EIO', `lzo: output exceeds ${maxOutput} bytes`);
    out.set(input.subarray(ip, ip + count), op);
    ip += count;
    op += count;
  };

  if (n === 0) throw fail('empty input');
  if (input[0]! > 17) {
    const t = input[0]! - 17;
    ip = 1;
    literals(t);
    state = t < 4 ? t : 4;
  }
  for (;;) {
    const t = byte();
    let len: number;
    let dist: number;
    let next: number;
    if (t < 16) {
      if (state === 0) {
        len = (t === 0 ? 15 + extended() : t) + 3;
        literals(len);
        state = 4;
        continue;
      }
      if (state < 4) {
        len = 2;
        dist = (byte() << 2) + (t >>> 2) + 1;
      } else {
        len = 3;
        dist = (byte() << 2) + (t >>> 2) + 2049;
      }
      next = t & 3;
    } else if (t < 32) {
      len = ((t & 7) === 0 ? 7 + extended() : t & 7) + 2;
      const le = byte() | (byte() << 8);
      dist = 16384 + ((t & 8) << 11) + (le >>> 2);
      next = le & 3;
      if (dist === 16384) break; // end of stream
    } else if (t < 64) {
      len = ((t & 31) === 0 ? 31 + extended() : t & 31) + 2;
      const le = byte() | (byte() << 8);
      dist = (le >>> 2) + 1;
      next = le & 3;
    } else if (t < 128) {
      len = 3 + ((t >>> 5) & 1);
      dist = (byte() << 3) + ((t >>> 2) & 7) + 1;
      next = t & 3;
    } else {
      len = 5 + ((t >>> 5) & 3);
      dist = (byte() << 3) + ((t >>> 2) & 7) + 1;
      next = t & 3;
    }
    if (dist > op) throw fail(`match distance ${dist} reaches before the output start (${op} bytes out)`);
    if (op + len > maxOutput) throw new FsError('EIO', `lzo: output exceeds ${maxOutput} bytes`);
    let from = op - dist;
    if (dist >= len) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      for (let i = 0; i < len; i++) out[op++] = out[from++]!;
    }
    literals(next);
    state = next;
  }
  return op === maxOutput ? out : out.subarray(0, op);
}

export async function lzoDecompress(input: Uint8Array, maxOutput: number): Promise<Uint8Array> {
  return lzoDecompressSync(input, maxOutput);
}

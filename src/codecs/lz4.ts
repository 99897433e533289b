/**
 * LZ4 block format (lz4_Block_format.md), as squashfs's `lz4` compressor
 * writes each block (LZ4_compress_default / LZ4_compress_HC; both decode the
 * same). Sequences of: token (literal length high nibble, match length low
 * nibble, 15 = more length bytes follow), literals, 16-bit LE offset, match.
 * The last sequence is literals only. Bounded by maxOutput.
 */
import { FsError } from '../errors.js';

function fail(detail: string): FsError {
  return new FsError('EIO', `lz4: corrupt compressed data (${detail})`);
}

export function lz4DecompressSync(input: Uint8Array, maxOutput: number): Uint8Array {
  const out = new Uint8Array(maxOutput);
  const n = input.length;
  let ip = 0;
  let op = 0;
  for (;;) {
    if (ip >= n) throw fail('input ends before the last sequence');
    const token = input[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= n) throw fail('literal length runs past the input');
        b = input[ip++]!;
        lit += b;
      } while (b === 255);
    }
    if (ip + lit > n) throw fail('literals run past the input');
    if (op + lit > maxOutput) throw new FsError('EIO', `lz4: output exceeds ${maxOutput} bytes`);
    out.set(input.subarray(ip, ip + lit), op);
    ip += lit;
    op += lit;
    if (ip === n) break; // the last sequence has no match
    if (ip + 2 > n) throw fail('match offset runs past the input');
    const offset = input[ip]! | (input[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw fail(`match offset ${offset} reaches before the output start (${op} bytes out)`);
    let len = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (ip >= n) throw fail('match length runs past the input');
        b = input[ip++]!;
        len += b;
      } while (b === 255);
    }
    if (op + len > maxOutput) throw new FsError('EIO', `lz4: output exceeds ${maxOutput} bytes`);
    let from = op - offset;
    if (offset >= len) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      for (let i = 0; i < len; i++) out[op++] = out[from++]!;
    }
    if (ip === n) throw fail('stream ends with a match instead of literals');
  }
  return op === maxOutput ? out : out.subarray(0, op);
}

export async function lz4Decompress(input: Uint8Array, maxOutput: number): Promise<Uint8Array> {
  return lz4DecompressSync(input, maxOutput);
}

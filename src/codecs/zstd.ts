/**
 * zstd through zstddec (zstd's own decoder built to WebAssembly, ~70 KB,
 * runs in browsers and Node; 5–10× faster than the pure-JS fzstd it
 * replaced), bounded by the expected output size.
 *
 * zstddec's `decode(bytes, size)` runs ZSTD_decompress into a buffer of
 * exactly `size` bytes and hides its error code: a corrupt frame, or one
 * larger than `size`, comes back empty. So we never pass 0 (zstddec would
 * then size the buffer from the frames' own headers, unbounded), and an
 * empty result is an error. ZSTD_decompress decodes every frame in its
 * input, so with `partial` (qcow2 pads compressed clusters to sectors) we
 * walk the first frame's block headers to find where it ends and hand over
 * only that.
 */
import { ZSTDDecoder } from 'zstddec';
import { FsError } from '../errors.js';

/** Decodes `input` into a buffer of exactly `size` (> 0) bytes; returns what was written (empty on error). */
export type ZstdDecode = (input: Uint8Array, size: number) => Uint8Array;

let decoder: Promise<ZstdDecode> | undefined;

/**
 * The WebAssembly decoder, instantiated once per thread. `fromMemory`: a
 * Node caller's wish that zstddec instantiate its module from the bytes it
 * embeds (it does when there is no fetch) rather than fetch its own
 * data: URL, which in Node loads the whole HTTP client (undici) in every
 * thread, tens of milliseconds of start-up each.
 */
export function zstdDecoder(fromMemory = false): Promise<ZstdDecode> {
  decoder ??= (async () => {
    const d = new ZSTDDecoder();
    const g = globalThis as { fetch?: unknown };
    const fetch = g.fetch;
    // init() looks at `fetch` once, synchronously, to choose how to load.
    if (fromMemory) g.fetch = undefined;
    let ready: Promise<void>;
    try {
      ready = d.init();
    } finally {
      if (fromMemory) g.fetch = fetch;
    }
    await ready;
    return (input: Uint8Array, size: number) => d.decode(input, size);
  })();
  return decoder;
}

export async function zstdDecompress(input: Uint8Array, maxOutput: number, options?: { partial?: boolean }): Promise<Uint8Array> {
  return zstdDecompressWith(await zstdDecoder(), input, maxOutput, options?.partial ?? false);
}

/** The bounds and error handling around one decode, shared by every thread that holds a decoder. */
export function zstdDecompressWith(decode: ZstdDecode, input: Uint8Array, maxOutput: number, partial: boolean): Uint8Array {
  const declared = zstdContentSize(input);
  if (declared !== undefined && declared > maxOutput && !partial) {
    throw new FsError('EIO', `zstd: frame declares ${declared} bytes, more than the ${maxOutput} expected`);
  }
  // A frame that declares its size (squashfs blocks shorter than the block size do) decodes to exactly that.
  const room = declared !== undefined && declared <= maxOutput ? declared : maxOutput;
  if (room === 0) return new Uint8Array(0);
  const data = partial ? input.subarray(0, zstdFrameEnd(input)) : input;
  const out = decode(data, room);
  if (out.length === 0) throw new FsError('EIO', `zstd: corrupt compressed data (or more than ${room} bytes of output)`);
  return out;
}

const ZSTD_MAGIC = 0xfd2fb528;

/** Frame_Content_Size from the first frame header (RFC 8878 §3.1.1.1), or undefined when absent. */
export function zstdContentSize(b: Uint8Array): number | undefined {
  if (b.length < 6) return undefined;
  const magic = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  if (magic !== ZSTD_MAGIC) return undefined;
  const fhd = b[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  if (fcsFlag === 0 && !singleSegment) return undefined;
  let p = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][fhd & 3]!;
  const size = fcsFlag === 0 ? 1 : [0, 2, 4, 8][fcsFlag]!;
  if (p + size > b.length) return undefined;
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + b[p + i]!;
  return fcsFlag === 1 ? v + 256 : v;
}

/**
 * Byte length of the first zstd frame in `b` (RFC 8878 §3.1.1): frame header,
 * then blocks (3-byte headers giving type and size) up to the last one, then
 * the optional checksum. Returns b.length when the frame looks cut short or
 * is not a zstd frame, leaving the error to the decoder.
 */
export function zstdFrameEnd(b: Uint8Array): number {
  if (b.length < 6) return b.length;
  const magic = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  if (magic !== ZSTD_MAGIC) return b.length;
  const fhd = b[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const checksum = (fhd >> 2) & 1;
  const dictIdFlag = fhd & 3;
  let p = 5;
  if (!singleSegment) p += 1; // window descriptor
  p += [0, 1, 2, 4][dictIdFlag]!;
  p += fcsFlag === 0 ? singleSegment : [0, 2, 4, 8][fcsFlag]!;
  for (;;) {
    if (p + 3 > b.length) return b.length;
    const h = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16);
    const last = h & 1;
    const type = (h >> 1) & 3;
    const size = h >>> 3;
    p += 3;
    if (type === 3) return b.length; // reserved block type: let the decoder report it
    p += type === 1 ? 1 : size; // RLE blocks store one byte
    if (p > b.length) return b.length;
    if (last) break;
  }
  if (checksum) p += 4;
  return Math.min(p, b.length);
}

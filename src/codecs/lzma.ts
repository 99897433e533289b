/**
 * The `.lzma` format ("LZMA alone"), which squashfs's `lzma` compressor
 * writes per block: a 13-byte header (properties byte, dictionary size
 * u32le, uncompressed size u64le, all ones when unknown) and one LZMA
 * stream. squashfs-tools fills in the size, so we decode exactly that many
 * bytes; an unknown size means "until the end marker". Bounded by maxOutput.
 */
import { FsError } from '../errors.js';
import { LzmaDecoder, parseLzmaProperties } from './lzma-decoder.js';

const HEADER = 13;

export function lzmaDecompressSync(input: Uint8Array, maxOutput: number): Uint8Array {
  if (input.length < HEADER) throw new FsError('EIO', `lzma: corrupt compressed data (header needs ${HEADER} bytes, has ${input.length})`);
  const props = parseLzmaProperties(input[0]!);
  if (!props) throw new FsError('EIO', `lzma: corrupt compressed data (properties byte ${input[0]} out of range)`);
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const lo = view.getUint32(5, true);
  const hi = view.getUint32(9, true);
  let size = -1;
  if (!(lo === 0xffffffff && hi === 0xffffffff)) {
    size = hi * 0x1_0000_0000 + lo;
    if (size > maxOutput) throw new FsError('EIO', `lzma: uncompressed size ${size} exceeds ${maxOutput} bytes`);
  }
  const out = new Uint8Array(size >= 0 ? size : maxOutput);
  const dec = new LzmaDecoder('lzma', out);
  dec.setProperties(props);
  dec.resetState();
  dec.decode(input, HEADER, input.length, size);
  return dec.outPos === out.length ? out : out.subarray(0, dec.outPos);
}

export async function lzmaDecompress(input: Uint8Array, maxOutput: number): Promise<Uint8Array> {
  return lzmaDecompressSync(input, maxOutput);
}

/**
 * The xz container (tukaani xz-file-format.txt): stream header (magic,
 * flags, CRC32), blocks (header with filter chain, LZMA2 data, padding,
 * check), then index and footer. squashfs's `xz` compressor writes one
 * stream per block, usually with one xz block, LZMA2 alone or behind a BCJ
 * filter (`mksquashfs -Xbcj x86,arm …`). We decode the blocks up to the
 * index, verify CRC32 checks (CRC64/SHA-256 checks are skipped, not
 * verified), and leave index and footer unread: the block data is all that
 * matters and every size is bounded by maxOutput.
 */
import { FsError } from '../errors.js';
import { crc32 } from '../util/crc32.js';
import { BCJ_FILTERS } from './bcj.js';
import { LzmaDecoder } from './lzma-decoder.js';
import { decodeLzma2 } from './lzma2.js';

const MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const CHECK_SIZES = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];
const FILTER_LZMA2 = 0x21;

function fail(detail: string): FsError {
  return new FsError('EIO', `xz: corrupt compressed data (${detail})`);
}

function u32le(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

/** Multibyte integer: 7 bits per byte, low first, at most 9 bytes. Returns [value, next position]. */
function varint(b: Uint8Array, p: number, end: number, what: string): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 9; i++) {
    if (p >= end) throw fail(`${what} runs past the block header`);
    const byte = b[p++]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      if (byte === 0 && i > 0) throw fail(`${what} is not minimally encoded`);
      return [value, p];
    }
    scale *= 128;
  }
  throw fail(`${what} is longer than 9 bytes`);
}

interface Filter {
  id: number;
  props: Uint8Array;
}

/**
 * `crc32` may be a faster CRC-32 of the same definition (the Node side
 * passes node:zlib's, native; ours in TypeScript is byte-at-a-time and was
 * 4% of an xz decode).
 */
export function xzDecompressSync(input: Uint8Array, maxOutput: number, crc = crc32): Uint8Array {
  if (input.length < 12) throw fail('stream header cut short');
  for (let i = 0; i < 6; i++) if (input[i] !== MAGIC[i]) throw fail('bad stream magic');
  if (input[6] !== 0 || (input[7]! & 0xf0) !== 0) throw fail('unsupported stream flags');
  if (crc(input.subarray(6, 8)) !== u32le(input, 8)) throw fail('stream header CRC32 mismatch');
  const checkType = input[7]!;
  const checkSize = CHECK_SIZES[checkType]!;
  const out = new Uint8Array(maxOutput);
  let outPos = 0;
  let p = 12;
  for (;;) {
    if (p >= input.length) throw fail('stream ends before its index');
    if (input[p] === 0) break; // index indicator
    const blockStart = p;
    const headerSize = (input[p]! + 1) * 4;
    if (p + headerSize > input.length) throw fail('block header runs past the input');
    const hdrEnd = p + headerSize - 4;
    if (crc(input.subarray(p, hdrEnd)) !== u32le(input, hdrEnd)) throw fail('block header CRC32 mismatch');
    const flags = input[p + 1]!;
    if (flags & 0x3c) throw fail('reserved block flags set');
    const filterCount = (flags & 3) + 1;
    let q = p + 2;
    let compressedSize = -1;
    let uncompressedSize = -1;
    if (flags & 0x40) [compressedSize, q] = varint(input, q, hdrEnd, 'compressed size');
    if (flags & 0x80) [uncompressedSize, q] = varint(input, q, hdrEnd, 'uncompressed size');
    const filters: Filter[] = [];
    for (let f = 0; f < filterCount; f++) {
      let id: number;
      let size: number;
      [id, q] = varint(input, q, hdrEnd, 'filter id');
      [size, q] = varint(input, q, hdrEnd, 'filter properties size');
      if (q + size > hdrEnd) throw fail('filter properties run past the block header');
      filters.push({ id, props: input.subarray(q, q + size) });
      q += size;
    }
    for (; q < hdrEnd; q++) if (input[q] !== 0) throw fail('block header padding is not zero');
    const last = filters[filters.length - 1]!;
    if (last.id !== FILTER_LZMA2) throw new FsError('EOPNOTSUPP', `xz: filter 0x${last.id.toString(16)} as the last filter is not supported`);
    if (last.props.length !== 1 || last.props[0]! > 40) throw fail('LZMA2 dictionary size property is invalid');
    const pre = filters.slice(0, -1).map((f) => {
      const bcj = BCJ_FILTERS.get(f.id);
      if (!bcj) throw new FsError('EOPNOTSUPP', `xz: filter 0x${f.id.toString(16)} is not supported`);
      let offset = 0;
      if (f.props.length === 4) offset = u32le(f.props, 0);
      else if (f.props.length !== 0) throw fail(`${bcj.name} filter properties have ${f.props.length} bytes`);
      if (offset % bcj.alignment) throw fail(`${bcj.name} start offset ${offset} is unaligned`);
      return { decode: bcj.decode, offset };
    });

    const dataStart = p + headerSize;
    const dec = new LzmaDecoder('xz', out.subarray(outPos));
    const dataEnd = decodeLzma2(dec, input, dataStart, input.length);
    const produced = dec.outPos;
    if (compressedSize >= 0 && dataEnd - dataStart !== compressedSize) throw fail('compressed size does not match the block header');
    if (uncompressedSize >= 0 && produced !== uncompressedSize) throw fail('uncompressed size does not match the block header');
    const block = out.subarray(outPos, outPos + produced);
    for (let f = pre.length - 1; f >= 0; f--) pre[f]!.decode(block, pre[f]!.offset);
    p = dataEnd;
    while ((p - blockStart) % 4) {
      if (p >= input.length || input[p] !== 0) throw fail('block padding is not zero');
      p++;
    }
    if (p + checkSize > input.length) throw fail('block check runs past the input');
    if (checkType === 1 && crc(block) !== u32le(input, p)) throw fail('block CRC32 mismatch');
    p += checkSize;
    outPos += produced;
  }
  return out.subarray(0, outPos);
}

export async function xzDecompress(input: Uint8Array, maxOutput: number): Promise<Uint8Array> {
  return xzDecompressSync(input, maxOutput);
}

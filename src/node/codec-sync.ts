/**
 * Every decompressor as one synchronous call, for the Node side: the codec
 * worker runs these, and the pool runs them on the calling thread when a
 * job is too small to be worth a round trip. Same contract as
 * src/codecs/index.ts: never more than `maxOutput` bytes out, FsError(EIO)
 * on corrupt input.
 *
 * deflate/zlib/gzip: node:zlib's sync forms (native). zstd: node:zlib's
 * when this Node has it (22.15+), else zstd's WebAssembly build from
 * @foxglove/wasm-zstd (zstd-wasm.ts), else zstddec's. xz/lzma/lz4/lzo: our
 * TypeScript decoders.
 */
import * as zlib from 'node:zlib';
import type { CodecName } from '../codecs/index.js';
import { lz4DecompressSync } from '../codecs/lz4.js';
import { lzmaDecompressSync } from '../codecs/lzma.js';
import { lzoDecompressSync } from '../codecs/lzo.js';
import { xzDecompressSync } from '../codecs/xz.js';
import { zstdDecoder, zstdDecompressWith, type ZstdDecode } from '../codecs/zstd.js';
import { FsError } from '../errors.js';
import { wasmZstdDecoder } from './zstd-wasm.js';

type ZlibSync = (buf: Uint8Array, options: zlib.ZlibOptions) => Buffer;
/** node:zlib's CRC-32 (Node ≥ 20.15), for xz's checks. */
const nativeCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;
type NativeZstd = (buf: Uint8Array, options: { maxOutputLength?: number }) => Buffer;

/** node:zlib's zstd (Node ≥ 22.15), feature-detected: Node 20 has none. */
const nativeZstd = (zlib as unknown as { zstdDecompressSync?: NativeZstd }).zstdDecompressSync;

let zstd: ZstdDecode | undefined = nativeZstd
  ? (input, size) => {
      try {
        return nativeZstd(input, { maxOutputLength: size });
      } catch {
        return new Uint8Array(0); // the ZstdDecode contract: empty means corrupt or too large
      }
    }
  : undefined;

/** A compiled zstd WebAssembly module from another thread (wasmZstdModule there), for prepareCodec to instantiate. */
let givenZstdModule: WebAssembly.Module | undefined;

export function useZstdModule(module: WebAssembly.Module | undefined): void {
  givenZstdModule = module;
}

/** Makes `name` ready to run synchronously (zstd's WebAssembly module is instantiated once per thread). */
export async function prepareCodec(name: CodecName): Promise<void> {
  if (name === 'zstd' && !zstd) zstd = (await wasmZstdDecoder(givenZstdModule)) ?? (await zstdDecoder(true));
}

/** True once `name` can run synchronously on this thread. */
export function codecReady(name: CodecName): boolean {
  return name !== 'zstd' || zstd !== undefined;
}

function inflate(name: string, fn: ZlibSync, input: Uint8Array, maxOutput: number, partial: boolean): Uint8Array {
  try {
    return fn(input, {
      maxOutputLength: Math.max(1, maxOutput),
      // One output chunk of the expected size, not many 16 KiB ones to concatenate.
      chunkSize: Math.min(Math.max(maxOutput, 64), 8 << 20),
      // SYNC_FLUSH: a stream cut short (or padded) gives what it has instead of an error.
      finishFlush: partial ? zlib.constants.Z_SYNC_FLUSH : zlib.constants.Z_FINISH,
    });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new FsError('EIO', `${name}: output exceeds ${maxOutput} bytes`);
    throw new FsError('EIO', `${name}: corrupt compressed data (${(e as Error).message})`);
  }
}

/** Decompresses on this thread. zstd needs `prepareCodec('zstd')` first. */
export function decompressSync(name: CodecName, input: Uint8Array, maxOutput: number, partial: boolean): Uint8Array {
  switch (name) {
    case 'deflate-raw':
      return inflate('deflate', zlib.inflateRawSync, input, maxOutput, partial);
    case 'zlib':
      return inflate('zlib', zlib.inflateSync, input, maxOutput, partial);
    case 'gzip':
      return inflate('gzip', zlib.gunzipSync, input, maxOutput, partial);
    case 'zstd':
      if (!zstd) throw new FsError('EIO', 'zstd: decoder not initialised on this thread');
      return zstdDecompressWith(zstd, input, maxOutput, partial);
    case 'xz':
      return nativeCrc32 ? xzDecompressSync(input, maxOutput, nativeCrc32) : xzDecompressSync(input, maxOutput);
    case 'lzma':
      return lzmaDecompressSync(input, maxOutput);
    case 'lz4':
      return lz4DecompressSync(input, maxOutput);
    case 'lzo':
      return lzoDecompressSync(input, maxOutput);
    default:
      throw new FsError('EOPNOTSUPP', `no ${String(name)} decompressor`);
  }
}

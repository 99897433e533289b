/**
 * Decompressors by name. The core ships browser-safe defaults; the Node
 * entry point registers faster ones (node:zlib on the threadpool) over them.
 *
 * Every decompressor takes the compressed bytes and the size the caller
 * expects out (a cluster, a block). It must never produce more than
 * `maxOutput` bytes, so a hostile stream cannot make us allocate without
 * bound, and it rejects with an FsError(EIO) on corrupt input.
 */
import { FsError } from '../errors.js';
import { zstdDecompress } from './zstd.js';
import { xzDecompress } from './xz.js';
import { lzmaDecompress } from './lzma.js';
import { lz4Decompress } from './lz4.js';
import { lzoDecompress } from './lzo.js';

export type CodecName = 'deflate-raw' | 'zlib' | 'gzip' | 'zstd' | 'xz' | 'lzma' | 'lz4' | 'lzo';

/**
 * Decompresses `input`. With `partial`, trailing garbage after the stream
 * and output beyond `maxOutput` are not errors (qcow2 compressed clusters are
 * padded to sectors and decompress to exactly one cluster).
 */
export type Decompressor = (input: Uint8Array, maxOutput: number, options?: { partial?: boolean }) => Promise<Uint8Array>;

const registry = new Map<CodecName, Decompressor>();

export function registerCodec(name: CodecName, fn: Decompressor): void {
  registry.set(name, fn);
}

export function getCodec(name: CodecName, what: string): Decompressor {
  const fn = registry.get(name);
  if (!fn) throw new FsError('EOPNOTSUPP', `${what}: no ${name} decompressor available`);
  return fn;
}

export function hasCodec(name: CodecName): boolean {
  return registry.has(name);
}

/** Browser-safe inflate through the web DecompressionStream API. */
async function webDecompress(format: 'deflate-raw' | 'deflate' | 'gzip', input: Uint8Array, maxOutput: number, partial: boolean): Promise<Uint8Array> {
  const ds = new DecompressionStream(format as CompressionFormat);
  const writer = ds.writable.getWriter();
  const reader = ds.readable.getReader();
  writer.write(input as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const out = new Uint8Array(maxOutput);
  let n = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const room = maxOutput - n;
      if (value.length > room) {
        out.set(value.subarray(0, room), n);
        n = maxOutput;
        if (!partial) throw new FsError('EIO', `${format}: output exceeds ${maxOutput} bytes`);
        await reader.cancel().catch(() => {});
        break;
      }
      out.set(value, n);
      n += value.length;
    }
  } catch (e) {
    if (e instanceof FsError) throw e;
    // Trailing bytes after a complete stream are an error for the web API; with partial we accept what came out.
    if (!(partial && n > 0)) throw new FsError('EIO', `${format}: corrupt compressed data (${(e as Error).message})`);
  }
  return out.subarray(0, n);
}

if (typeof DecompressionStream !== 'undefined') {
  registerCodec('deflate-raw', (input, max, o) => webDecompress('deflate-raw', input, max, o?.partial ?? false));
  registerCodec('zlib', (input, max, o) => webDecompress('deflate', input, max, o?.partial ?? false));
  registerCodec('gzip', (input, max, o) => webDecompress('gzip', input, max, o?.partial ?? false));
}
registerCodec('zstd', zstdDecompress);
// Pure TypeScript, written for anymount (see src/fs/squashfs/README.md, "Decompressors").
registerCodec('xz', xzDecompress);
registerCodec('lzma', lzmaDecompress);
registerCodec('lz4', lz4Decompress);
registerCodec('lzo', lzoDecompress);

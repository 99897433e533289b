/**
 * zstd for the Node side when node:zlib has none (Node < 22.15):
 * @foxglove/wasm-zstd, zstd's own decoder built to WebAssembly (MIT). It
 * decodes literal-heavy blocks (text, base64) about 1.6 times as fast as
 * zstddec, the browser-safe core's choice, and mixed data as fast; the
 * core keeps zstddec because this package finds its .wasm file on disk.
 * Its decompress(input, size) decodes into exactly `size` bytes of room
 * and throws on a corrupt frame or one that does not fit; as a ZstdDecode
 * that is an empty result, which zstdDecompressWith turns into EIO.
 */
import { createRequire } from 'node:module';
import type { ZstdDecode } from '../codecs/zstd.js';

interface WasmZstd {
  isLoaded: Promise<boolean>;
  decompress(buffer: Uint8Array, size: number): Uint8Array;
}

/** The decoder, once its module is compiled on this thread; undefined if the package cannot load. */
export async function wasmZstdDecoder(): Promise<ZstdDecode | undefined> {
  let m: WasmZstd;
  try {
    m = createRequire(import.meta.url)('@foxglove/wasm-zstd') as WasmZstd;
    await m.isLoaded;
  } catch {
    return undefined;
  }
  return (input, size) => {
    try {
      return m.decompress(input, size);
    } catch {
      return new Uint8Array(0);
    }
  };
}

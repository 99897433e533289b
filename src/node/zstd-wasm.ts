/**
 * zstd for the Node side when node:zlib has none (Node < 22.15):
 * @foxglove/wasm-zstd, zstd's own decoder built to WebAssembly (MIT). It
 * decodes literal-heavy blocks (text, base64) about 1.6 times as fast as
 * zstddec, the browser-safe core's choice, and mixed data as fast; the
 * core keeps zstddec because this package finds its .wasm file on disk.
 *
 * We drive the package's Emscripten module ourselves rather than through
 * its decompress(): the compiled WebAssembly.Module can come from another
 * thread (the extraction workers get the walking thread's, so V8 compiles
 * and optimises the code once, not once per thread), and the input and
 * output regions in the WebAssembly heap are kept between calls (the
 * package mallocs and frees both, and copies out through a new Buffer,
 * per block). A corrupt frame or one that does not fit `size` is an empty
 * result, which zstdDecompressWith turns into EIO.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ZstdDecode } from '../codecs/zstd.js';

interface EmModule {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  _decompress(dst: number, dstSize: number, src: number, srcSize: number): number;
}
type Factory = (opts: { instantiateWasm(imports: WebAssembly.Imports, done: (i: WebAssembly.Instance, m: WebAssembly.Module) => void): WebAssembly.Exports }) => Promise<EmModule>;

const PACKAGE = '@foxglove/wasm-zstd';
let compiled: WebAssembly.Module | undefined;

/** The compiled module this thread uses (undefined until a decoder was made here), for other threads. */
export function wasmZstdModule(): WebAssembly.Module | undefined {
  return compiled;
}

/** The decoder (compiling the module unless `module` is given); undefined if the package cannot load. */
export async function wasmZstdDecoder(module?: WebAssembly.Module): Promise<ZstdDecode | undefined> {
  let em: EmModule;
  try {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve(PACKAGE));
    const factory = require(join(dir, 'wasm-zstd.js')) as Factory;
    const mod = module ?? (await WebAssembly.compile(readFileSync(join(dir, 'wasm-zstd.wasm'))));
    em = await factory({
      instantiateWasm(imports, done) {
        const instance = new WebAssembly.Instance(mod, imports);
        done(instance, mod);
        return instance.exports;
      },
    });
    if (typeof em._decompress !== 'function' || typeof em._malloc !== 'function') return undefined;
    compiled = mod;
  } catch {
    return undefined;
  }
  let src = 0;
  let srcCap = 0;
  let dst = 0;
  let dstCap = 0;
  return (input, size) => {
    if (input.length > srcCap) {
      if (src) em._free(src);
      srcCap = Math.max(input.length, 1 << 17);
      src = em._malloc(srcCap);
    }
    if (size > dstCap) {
      if (dst) em._free(dst);
      dstCap = Math.max(size, 1 << 17);
      dst = em._malloc(dstCap);
    }
    if (!src || !dst) {
      if (src) em._free(src);
      if (dst) em._free(dst);
      src = dst = srcCap = dstCap = 0;
      return new Uint8Array(0);
    }
    // HEAPU8 is replaced when the heap grows (in malloc): read it after.
    em.HEAPU8.set(input, src);
    const n = em._decompress(dst, size, src, input.length);
    if (n < 0 || n > size) return new Uint8Array(0);
    return em.HEAPU8.slice(dst, dst + n);
  };
}

/**
 * The Node side's decompressors: every codec goes through one CodecPool
 * (codec-pool.ts), worker threads running node:zlib, zstd and our
 * xz/lzma/lz4/lzo decoders synchronously, so several blocks decompress at
 * once on every core. The browser-safe core keeps its in-thread codecs
 * (src/codecs/index.ts); importing this module registers these over them.
 *
 * Workers: availableParallelism() by default; ANYMOUNT_CODEC_WORKERS=N in
 * the environment or configureCodecPool({ workers: N }) changes that, and 0
 * runs every job on the calling thread.
 */
import { registerCodec, type CodecName } from '../codecs/index.js';
import { CodecPool, type CodecPoolOptions } from './codec-pool.js';

const CODECS: CodecName[] = ['deflate-raw', 'zlib', 'gzip', 'zstd', 'xz', 'lzma', 'lz4', 'lzo'];

function fromEnv(): number | undefined {
  const v = process.env.ANYMOUNT_CODEC_WORKERS;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

let pool = new CodecPool({ workers: fromEnv() });

function register(p: CodecPool): void {
  for (const name of CODECS) registerCodec(name, p.decompressor(name));
}
register(pool);

/** Replaces the decompression pool (the old one's workers stop once their jobs are done). */
export function configureCodecPool(options: CodecPoolOptions): CodecPool {
  const old = pool;
  pool = new CodecPool(options);
  register(pool);
  void old.close();
  return pool;
}

/** The pool the registered codecs use. */
export function codecPool(): CodecPool {
  return pool;
}

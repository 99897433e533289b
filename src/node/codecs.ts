/**
 * Node's zlib for deflate/zlib/gzip: native speed, and the async forms run
 * on the libuv threadpool so several clusters inflate in parallel.
 */
import { inflateRaw, inflate, gunzip, constants, type ZlibOptions } from 'node:zlib';
import { promisify } from 'node:util';
import { FsError } from '../errors.js';
import { registerCodec, type Decompressor } from '../codecs/index.js';

type ZlibFn = (buf: Uint8Array, options: ZlibOptions) => Promise<Buffer>;

function wrap(name: string, fn: ZlibFn): Decompressor {
  return async (input, maxOutput, options) => {
    const partial = options?.partial ?? false;
    try {
      // SYNC_FLUSH: a stream cut short (or padded) gives what it has instead of an error.
      const out = await fn(input, {
        maxOutputLength: Math.max(1, maxOutput),
        // One output chunk of the expected size: the default 16 KiB means a
        // threadpool round trip and a copy per 16 KiB (qcow2 clusters are 64 KiB+).
        chunkSize: Math.min(Math.max(maxOutput, 64), 8 << 20),
        finishFlush: partial ? constants.Z_SYNC_FLUSH : constants.Z_FINISH,
      });
      return out;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') {
        throw new FsError('EIO', `${name}: output exceeds ${maxOutput} bytes`);
      }
      throw new FsError('EIO', `${name}: corrupt compressed data (${(e as Error).message})`);
    }
  };
}

registerCodec('deflate-raw', wrap('deflate', promisify(inflateRaw) as ZlibFn));
registerCodec('zlib', wrap('zlib', promisify(inflate) as ZlibFn));
registerCodec('gzip', wrap('gzip', promisify(gunzip) as ZlibFn));

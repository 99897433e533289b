/**
 * The fs/promises-style API for Node: byte results are Buffers, streams are
 * Node streams, and the calling process's uid, gid and umask are the
 * defaults, so code written for node:fs/promises runs unchanged:
 *
 *   const fs = await createNodeFs(new MemFileSystem());
 *   await fs.writeFile('/a.txt', 'hello');
 *   fs.createReadStream('/a.txt').pipe(process.stdout);
 */
import { Readable, Writable } from 'node:stream';
import type { FileSystem } from '../fs/filesystem.js';
import { Vfs } from '../vfs/vfs.js';
import { AnymountFs, toPath, type AnymountFsOptions, type PathLike } from '../api/fs.js';

const toBuffer = (b: Uint8Array): Uint8Array => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** AnymountFs with Node streams. */
export class NodeAnymountFs extends AnymountFs {
  /** A Node Readable of the file (or bytes start..end inclusive). */
  override createReadStream(path: PathLike, options: { start?: number; end?: number; highWaterMark?: number } = {}): ReadableStream<Uint8Array> & Readable {
    return Readable.fromWeb(super.createReadStream(toPath(path), options) as import('node:stream/web').ReadableStream<Uint8Array>) as unknown as ReadableStream<Uint8Array> & Readable;
  }

  /** A Node Writable to the file. */
  override createWriteStream(path: PathLike, options: { flags?: string; mode?: number; start?: number } = {}): WritableStream<Uint8Array | string> & Writable {
    return Writable.fromWeb(super.createWriteStream(toPath(path), options) as import('node:stream/web').WritableStream<Uint8Array | string>) as unknown as WritableStream<Uint8Array | string> & Writable;
  }
}

export async function createNodeFs(source: FileSystem | Vfs, options: AnymountFsOptions = {}): Promise<NodeAnymountFs> {
  const vfs = source instanceof Vfs ? source : await Vfs.create(source, options);
  const creds = options.creds ?? (typeof process.getuid === 'function' ? { uid: process.getuid(), gid: process.getgid!(), groups: process.getgroups?.() ?? [] } : undefined);
  const umask = options.umask ?? process.umask();
  return new NodeAnymountFs(vfs, { bytes: toBuffer, ...options, ...(creds ? { creds } : {}), umask });
}

/**
 * Opening an image by name, the way QEMU does: a local path or an HTTP(S)
 * URL; the container format detected by the catalogue (or given); the images
 * it names (backing files, parents, extents) resolved relative to it and
 * opened the same way, with a loop guard.
 */
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { FsError } from '../errors.js';
import type { BlockDevice } from '../block/device.js';
import type { OpenContext, RelatedImage, RelatedOptions } from '../block/container.js';
import { containerFormat } from '../block/formats.js';
import { identify } from '../detect/index.js';
import type { HttpDeviceOptions } from '../source/http.js';
import { FileDevice } from './file-device.js';

export interface OpenImageOptions {
  /** Open for writing (the image itself; backing files are always read-only). */
  write?: boolean;
  /** Catalogue id of the container format ('qcow2', 'raw' …); detected when absent. */
  format?: string;
  /** Options for HTTP(S) sources (headers, cache size, timeouts). */
  http?: HttpDeviceOptions;
  /** Longest chain of backing images followed before giving up (default 64). */
  maxChain?: number;
}

export interface OpenedImage {
  /** The virtual disk: the container's contents, or the file itself when raw. */
  device: BlockDevice;
  /** Catalogue id of the container ('raw' when none). */
  format: string;
  /** The resolved name: an absolute path or a URL. */
  name: string;
}

const URL_RE = /^[a-z][a-z0-9+.-]*:\/\//i;

export function isUrl(name: string): boolean {
  return URL_RE.test(name);
}

/** Opens `source` (path or URL) as a virtual disk. */
export async function openImage(source: string, options: OpenImageOptions = {}): Promise<OpenedImage> {
  const name = isUrl(source) ? source : resolve(source);
  return openChained(name, options.format, !options.write, [], options);
}

async function canonical(name: string): Promise<string> {
  if (isUrl(name)) return new URL(name).href;
  try {
    return await realpath(name);
  } catch {
    return name;
  }
}

async function openSource(name: string, readOnly: boolean, options: OpenImageOptions): Promise<BlockDevice> {
  if (isUrl(name)) {
    const protocol = new URL(name).protocol;
    if (protocol !== 'http:' && protocol !== 'https:') throw new FsError('EOPNOTSUPP', `${name}: ${protocol} URLs are not supported (http and https are)`);
    if (!readOnly) throw new FsError('EROFS', `${name}: images read over HTTP are read-only (use an overlay to write)`);
    // Loaded only for URLs: local images do not pay for the HTTP client.
    const { HttpDevice } = await import('../source/http.js');
    return HttpDevice.open(name, options.http);
  }
  return FileDevice.open(name, { write: !readOnly });
}

async function openChained(name: string, format: string | undefined, readOnly: boolean, chain: string[], options: OpenImageOptions): Promise<OpenedImage> {
  const key = await canonical(name);
  if (chain.includes(key)) {
    throw new FsError('ELOOP', `backing chain loop: ${[...chain, key].join(' → ')}`);
  }
  const maxChain = options.maxChain ?? 64;
  if (chain.length >= maxChain) throw new FsError('ELOOP', `backing chain longer than ${maxChain} images at ${name}`);
  const file = await openSource(name, readOnly, options);
  try {
    const id = format ?? (await detectContainer(file));
    if (id === 'raw' || id === undefined) return { device: file, format: 'raw', name };
    const container = containerFormat(id);
    if (!container) throw new FsError('EOPNOTSUPP', `${name}: ${id} images cannot be opened yet`);
    if (!readOnly && !container.writable) throw new FsError('EROFS', `${name}: writing ${container.name} images is not supported (use an overlay)`);
    const nextChain = [...chain, key];
    const ctx: OpenContext = {
      readOnly,
      name,
      openRelated: (related: string, o: RelatedOptions) => openRelated(name, related, o, nextChain, options),
    };
    const device = await container.open(file, ctx);
    return { device, format: id, name };
  } catch (e) {
    await file.close().catch(() => {});
    throw e;
  }
}

async function detectContainer(file: BlockDevice): Promise<string | undefined> {
  const [best] = await identify(file, { kinds: ['container'] });
  return best?.id;
}

/**
 * Resolves a name stored in an image like QEMU's path_combine: absolute
 * paths and URLs as they are, relative ones against the directory (or URL)
 * of the image that names them. A remote image may only name remote files:
 * an image fetched from a server must not make us read local files.
 */
export function resolveRelated(base: string, related: string): string {
  if (isUrl(base)) {
    if (isUrl(related)) return related;
    if (isAbsolute(related)) throw new FsError('EACCES', `${base}: a remote image may not name the local file ${related}`);
    return new URL(related, base).href;
  }
  if (isUrl(related) || isAbsolute(related)) return related;
  return resolve(dirname(base), related);
}

async function openRelated(base: string, related: string, o: RelatedOptions, chain: string[], options: OpenImageOptions): Promise<RelatedImage> {
  if (related === '') throw new FsError('EIO', `${base}: ${o.role} has an empty name`);
  const name = resolveRelated(base, related);
  try {
    const opened = await openChained(name, o.format, o.readOnly, chain, options);
    return { device: opened.device, name: opened.name };
  } catch (e) {
    if (e instanceof FsError && e.code === 'ENOENT') throw new FsError('ENOENT', `${base}: ${o.role} ${related} not found (looked for ${name})`, { cause: e });
    throw e;
  }
}

/**
 * `open()`: the library's front door. An address in, the node:fs/promises
 * methods out:
 *
 *   import { open } from 'anymount';
 *   const disk = await open('disk.qcow2:p2');
 *   console.log(await disk.readFile('/etc/hostname', 'utf8'));
 *   await disk.close();
 */
import { Vfs } from '../vfs/vfs.js';
import type { AnymountFsOptions } from '../api/fs.js';
import { createNodeFs, NodeAnymountFs } from './fs.js';
import { openSource, type OpenedSource, type OpenSourceOptions } from './open-source.js';
import type { Address } from './address.js';

export interface OpenOptions extends OpenSourceOptions, Pick<AnymountFsOptions, 'creds' | 'umask' | 'permissions'> {}

/** The filesystem an address names, with the node:fs/promises methods, plus `close()`. */
export interface OpenedFs extends NodeAnymountFs {
  /** What was opened: the filesystem type, driver and the device it lives on. */
  readonly source: OpenedSource;
  /** Flushes every write and closes the filesystem and the image. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function open(address: string | Address, options: OpenOptions = {}): Promise<OpenedFs> {
  const source = await openSource(address, options);
  try {
    const vfs = await Vfs.create(source.fs, { readOnly: !options.write, ...(options.permissions !== undefined ? { permissions: options.permissions } : {}) });
    const fs = (await createNodeFs(vfs, {
      ...(options.creds ? { creds: options.creds } : {}),
      ...(options.umask !== undefined ? { umask: options.umask } : {}),
    })) as OpenedFs;
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await fs.proc.closeAll();
      await source.close();
    };
    Object.defineProperties(fs, {
      source: { value: source, enumerable: true },
      close: { value: close },
      [Symbol.asyncDispose]: { value: close },
    });
    return fs;
  } catch (e) {
    await source.close().catch(() => {});
    throw e;
  }
}

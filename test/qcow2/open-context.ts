/**
 * Test-only opener for qcow2 images on local files, until the host's
 * openImage is wired: backing names resolve against the referring image's
 * directory like QEMU's path_combine, the format is the one the image states
 * (else probed by magic), and a chain that comes back to an image is ELOOP.
 */
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { OpenContext } from '../../src/block/container.js';
import type { BlockDevice } from '../../src/block/device.js';
import { readBytes } from '../../src/block/device.js';
import { Qcow2Device, type Qcow2OpenOptions } from '../../src/block/qcow2/device.js';
import { FsError } from '../../src/errors.js';
import { FileDevice } from '../../src/node/file-device.js';

export interface OpenOptions {
  write?: boolean;
  /** Formats of opened related images, in order, for assertions. */
  log?: Array<{ name: string; format: string }>;
  /** Cache sizes for every qcow2 image of the chain. */
  qcow2?: Qcow2OpenOptions;
}

export async function openQcow2(path: string, options: OpenOptions = {}): Promise<Qcow2Device> {
  const dev = await openChain(resolve(path), 'qcow2', !options.write, [], options);
  if (!(dev instanceof Qcow2Device)) throw new Error(`${path} is not qcow2`);
  return dev;
}

export function testContext(path: string, readOnly: boolean, chain: string[] = [], options: OpenOptions = {}): OpenContext {
  return {
    readOnly,
    name: path,
    openRelated: async (name, o) => {
      const full = isAbsolute(name) ? name : resolve(dirname(path), name);
      const device = await openChain(full, o.format, o.readOnly, chain, options);
      return { device, name: full };
    },
  };
}

async function openChain(path: string, format: string | undefined, readOnly: boolean, chain: string[], options: OpenOptions): Promise<BlockDevice> {
  let key = path;
  try {
    key = await realpath(path);
  } catch {
    // FileDevice.open reports it
  }
  if (chain.includes(key)) throw new FsError('ELOOP', `backing chain loop: ${[...chain, key].join(' -> ')}`);
  const file = await FileDevice.open(path, { write: !readOnly });
  try {
    let fmt = format;
    if (fmt === undefined) {
      const magic = file.size >= 4 ? await readBytes(file, 0, 4) : new Uint8Array(0);
      fmt = magic.length === 4 && magic[0] === 0x51 && magic[1] === 0x46 && magic[2] === 0x49 && magic[3] === 0xfb ? 'qcow2' : 'raw';
    }
    options.log?.push({ name: path, format: fmt });
    if (fmt === 'raw') return file;
    if (fmt !== 'qcow2') throw new FsError('EOPNOTSUPP', `test opener: format ${fmt}`);
    return await Qcow2Device.open(file, testContext(path, readOnly, [...chain, key], options), options.qcow2);
  } catch (e) {
    await file.close();
    throw e;
  }
}

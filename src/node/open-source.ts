/**
 * openSource: an address (`disk.qcow2:p2`, `https://…/cd.iso`) all the way
 * to a FileSystem: open the image, find the partition, pick the driver.
 * What every file command and the library's `open()` start from.
 */
import { FsError } from '../errors.js';
import type { BlockDevice } from '../block/device.js';
import { probe, select, type ProbeNode } from '../detect/probe.js';
import { openFileSystem } from '../fs/open.js';
import { driverFor, type FileSystemDriver } from '../fs/drivers.js';
import type { FileSystem } from '../fs/filesystem.js';
import { formatAddress, parseAddress, type Address } from './address.js';
import { openImage, type OpenImageOptions } from './open-image.js';

export interface OpenSourceOptions {
  /** Open for writing (`--rw`): the image and the filesystem. */
  write?: boolean;
  /** Filesystem type instead of detection (`--fs`). */
  type?: string;
  /** Container format instead of detection (`--format`). */
  format?: string;
  /** Driver options (`--fs-option`). */
  options?: Record<string, string | boolean>;
  http?: OpenImageOptions['http'];
}

export interface OpenedSource {
  address: Address;
  /** The address without its path part, for messages: `disk.qcow2:p2`. */
  name: string;
  fs: FileSystem;
  type: string;
  driver: FileSystemDriver;
  /** The device the filesystem lives on (the partition). */
  device: BlockDevice;
  /** The options it was opened with (extraction workers open the same source the same way). */
  options: OpenSourceOptions;
  /** Flushes and closes the filesystem and the image. */
  close(): Promise<void>;
}

export async function openSource(text: string | Address, options: OpenSourceOptions = {}): Promise<OpenedSource> {
  const address = typeof text === 'string' ? parseAddress(text) : text;
  const name = formatAddress({ source: address.source, selectors: address.selectors });
  const image = await openImage(address.source, {
    ...(options.write ? { write: true } : {}),
    ...(options.format ? { format: options.format } : {}),
    ...(options.http ? { http: options.http } : {}),
  });
  try {
    const node = await pickNode(image.device, address, name, options.type);
    const opened = await openFileSystem(node.device, {
      name: node.name,
      ...(options.type ? { type: options.type } : {}),
      ...(options.write ? { write: true } : {}),
      ...(options.options ? { options: options.options } : {}),
    });
    return {
      address,
      name: node.name,
      fs: opened.fs,
      type: opened.type,
      driver: opened.driver,
      device: node.device,
      options,
      async close() {
        try {
          await opened.fs.destroy?.();
        } finally {
          await image.device.close();
        }
      },
    };
  } catch (e) {
    await image.device.close().catch(() => {});
    throw e;
  }
}

/**
 * The device an address names. Without a partition selector on a
 * partitioned disk, the one partition holding a filesystem we can open is
 * taken; several → the user must choose, and the message lists them.
 */
async function pickNode(device: BlockDevice, address: Address, name: string, type: string | undefined): Promise<{ device: BlockDevice; name: string }> {
  if (address.selectors.length > 0) {
    const root = await probe(device);
    return { device: select(root, address.selectors, address.source).device, name };
  }
  if (type !== undefined) return { device, name };
  const root = await probe(device);
  if (root.contents.some((c) => c.kind === 'filesystem' && driverFor(c.id)) || !root.table) return { device, name };
  const candidates: ProbeNode[] = [];
  const walk = (n: ProbeNode) => {
    if (n.partition && n.contents.some((c) => c.kind === 'filesystem' && driverFor(c.id))) candidates.push(n);
    n.children.forEach(walk);
  };
  walk(root);
  if (candidates.length === 1) {
    const only = candidates[0]!;
    const path = selectorPath(root, only);
    return { device: only.device, name: `${name}:${path.join(':')}` };
  }
  const listing = root.children.map((c) => `${c.selector}${c.contents[0] ? ` (${c.contents[0].id})` : ''}`).join(', ');
  throw new FsError('EINVAL', `${name} is a partitioned disk (${root.table.scheme}): name a partition, e.g. ${name}:${candidates[0]?.selector ?? 'p1'} — it has ${listing}`);
}

function selectorPath(root: ProbeNode, target: ProbeNode): string[] {
  const path: string[] = [];
  const find = (n: ProbeNode): boolean => {
    if (n === target) return true;
    for (const c of n.children) {
      path.push(c.selector);
      if (find(c)) return true;
      path.pop();
    }
    return false;
  };
  find(root);
  return path;
}

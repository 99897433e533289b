/**
 * openFileSystem: the native driver for what a device holds. The catalogue
 * says what it is ('ext4', 'vfat' …) unless the caller names the type; the
 * driver registry says who opens it.
 */
import { FsError } from '../errors.js';
import type { BlockDevice } from '../block/device.js';
import { identify, formatEntry } from '../detect/index.js';
import { driverFor, FILESYSTEM_DRIVERS, type FileSystemDriver } from './drivers.js';
import type { FileSystem } from './filesystem.js';

export interface OpenFileSystemOptions {
  /** Filesystem type (a catalogue id or driver name) instead of detecting it: `--fs ext4`. */
  type?: string;
  /** Open for writing; refused with EROFS by read-only drivers. */
  write?: boolean;
  /** Driver options (`--fs-option name=value`). */
  options?: Record<string, string | boolean>;
  /** For messages: how the device was named (`disk.qcow2:p2`). */
  name?: string;
}

export interface OpenedFileSystem {
  fs: FileSystem;
  /** The catalogue id the driver was chosen for ('ext4', 'vfat'). */
  type: string;
  driver: FileSystemDriver;
}

export async function openFileSystem(device: BlockDevice, options: OpenFileSystemOptions = {}): Promise<OpenedFileSystem> {
  const where = options.name ?? 'device';
  let type = options.type;
  if (type === undefined) {
    const found = await identify(device, { kinds: ['filesystem'], all: true });
    const openable = found.find((f) => driverFor(f.id));
    if (!openable) {
      const best = found[0];
      if (best) {
        throw new FsError('ENODEV', `${where}: ${formatEntry(best.id)?.name ?? best.id} has no native driver yet (native: ${nativeTypes()})`);
      }
      throw new FsError('ENODEV', `${where}: no filesystem recognized`);
    }
    type = openable.id;
  }
  const entry = driverFor(type);
  if (!entry) throw new FsError('ENODEV', `${where}: no driver for filesystem type '${type}' (native: ${nativeTypes()})`);
  if (options.write && !entry.writable) throw new FsError('EROFS', `${where}: the ${entry.name} driver is read-only`);
  const driver = entry.load ? await entry.load() : entry;
  if (options.options) {
    for (const name of Object.keys(options.options)) {
      if (!driver.optionHelp || !(name in driver.optionHelp)) {
        const known = driver.optionHelp ? Object.keys(driver.optionHelp).join(', ') : 'none';
        throw new FsError('EINVAL', `${where}: the ${driver.name} driver has no option '${name}' (options: ${known})`);
      }
    }
  }
  const fs = await driver.open(device, { write: options.write ?? false, ...(options.options ? { options: options.options } : {}) });
  return { fs, type, driver };
}

function nativeTypes(): string {
  return FILESYSTEM_DRIVERS.flatMap((d) => d.ids).join(', ');
}

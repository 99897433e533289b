/**
 * The native filesystem drivers by catalogue id. Detection (src/detect)
 * says what a device holds ('ext4', 'vfat', 'iso9660', 'squashfs' …); the
 * driver whose `ids` include it opens it.
 */
import type { BlockDevice } from '../block/device.js';
import type { FileSystem } from './filesystem.js';
import { fatDriver } from './fat/index.js';
import { ext4Driver } from './ext4/index.js';
import { iso9660Driver } from './iso9660/index.js';
import { squashfsDriver } from './squashfs/index.js';

export interface DriverOpenOptions {
  /** Open for writing; drivers without write support refuse with EROFS. */
  write?: boolean;
  /** Driver-specific options from the command line (`--fs-option name=value`) or the API. */
  options?: Record<string, string | boolean>;
}

export interface FileSystemDriver {
  /** Driver name ('ext4', 'fat', 'iso9660', 'squashfs'). */
  name: string;
  /** Catalogue ids this driver opens ('ext2', 'ext3', 'ext4'). */
  ids: readonly string[];
  /** True if the driver can write (it still opens read-only unless asked). */
  writable: boolean;
  /** Options the driver understands, for `--help` and validation: name → description. */
  optionHelp?: Readonly<Record<string, string>>;
  open(device: BlockDevice, options?: DriverOpenOptions): Promise<FileSystem>;
}

export const FILESYSTEM_DRIVERS: FileSystemDriver[] = [
  fatDriver,
  ext4Driver,
  iso9660Driver,
  squashfsDriver,
];

export function driverFor(id: string): FileSystemDriver | undefined {
  return FILESYSTEM_DRIVERS.find((d) => d.ids.includes(id) || d.name === id);
}

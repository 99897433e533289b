/**
 * The native filesystem drivers by catalogue id. Detection (src/detect)
 * says what a device holds ('ext4', 'vfat', 'iso9660', 'squashfs' …); the
 * driver whose `ids` include it opens it.
 */
import type { BlockDevice } from '../block/device.js';
import type { FileSystem } from './filesystem.js';

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
  /**
   * For registry entries that stand in for a driver module not loaded yet:
   * loads and returns the real driver (whose optionHelp is then known).
   */
  load?(): Promise<FileSystemDriver>;
}

/**
 * A registry entry that loads its driver module on first use, so a command
 * pays only for the driver it opens (CLI start-up time).
 */
function lazy(name: string, ids: readonly string[], writable: boolean, load: () => Promise<FileSystemDriver>): FileSystemDriver {
  return {
    name,
    ids,
    writable,
    load,
    async open(device, options) {
      return (await load()).open(device, options);
    },
  };
}

export const FILESYSTEM_DRIVERS: FileSystemDriver[] = [
  lazy('fat', ['vfat'], true, async () => (await import('./fat/index.js')).fatDriver),
  lazy('ext4', ['ext2', 'ext3', 'ext4', 'ext4dev'], false, async () => (await import('./ext4/index.js')).ext4Driver),
  lazy('iso9660', ['iso9660'], false, async () => (await import('./iso9660/index.js')).iso9660Driver),
  lazy('squashfs', ['squashfs'], false, async () => (await import('./squashfs/index.js')).squashfsDriver),
];

export function driverFor(id: string): FileSystemDriver | undefined {
  return FILESYSTEM_DRIVERS.find((d) => d.ids.includes(id) || d.name === id);
}

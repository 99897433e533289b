/**
 * The ext2/ext3/ext4 driver entry: read-only, opened from a BlockDevice.
 * Options: `ignore-checksums` reads past metadata_csum/gdt_csum mismatches
 * (they become warnings).
 */
import type { BlockDevice } from '../../block/device.js';
import { FsError } from '../../errors.js';
import type { DriverOpenOptions, FileSystemDriver } from '../drivers.js';
import type { FileSystem } from '../filesystem.js';
import { Ext4FileSystem, type Ext4Options } from './filesystem.js';

export { Ext4FileSystem } from './filesystem.js';
export type { Ext4Options } from './filesystem.js';

const OPTION_HELP = {
  'ignore-checksums': 'read even where metadata checksums do not match (each mismatch becomes a warning instead of EIO)',
} as const;

function flag(name: string, v: string | boolean): boolean {
  if (typeof v === 'boolean') return v;
  const s = v.trim().toLowerCase();
  if (['', '1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  throw new FsError('EINVAL', `ext4: option ${name}=${v} is not a boolean`);
}

export function parseExt4Options(options: Record<string, string | boolean> = {}): Ext4Options {
  const out: Ext4Options = {};
  for (const [k, v] of Object.entries(options)) {
    if (k === 'ignore-checksums') out.ignoreChecksums = flag(k, v);
    else throw new FsError('EINVAL', `ext4: unknown option '${k}' (known: ${Object.keys(OPTION_HELP).join(', ')})`);
  }
  return out;
}

export const ext4Driver: FileSystemDriver = {
  name: 'ext4',
  ids: ['ext2', 'ext3', 'ext4', 'ext4dev'],
  writable: false,
  optionHelp: OPTION_HELP,
  async open(device: BlockDevice, options: DriverOpenOptions = {}): Promise<FileSystem> {
    if (options.write) throw new FsError('EROFS', 'ext4: the ext2/3/4 driver is read-only');
    return Ext4FileSystem.open(device, parseExt4Options(options.options));
  },
};

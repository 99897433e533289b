/** The squashfs driver entry (catalogue id 'squashfs'). */
import { FsError } from '../../errors.js';
import type { FileSystemDriver } from '../drivers.js';
import { SquashfsFileSystem } from './filesystem.js';

export { SquashfsFileSystem } from './filesystem.js';

export const squashfsDriver: FileSystemDriver = {
  name: 'squashfs',
  ids: ['squashfs'],
  writable: false,
  async open(device, options) {
    if (options?.write) throw new FsError('EROFS', 'squashfs: read-only file system (cannot open for writing)');
    return SquashfsFileSystem.open(device);
  },
};

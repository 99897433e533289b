/** The ISO 9660 driver entry: registered in FILESYSTEM_DRIVERS under the catalogue id 'iso9660'. */
import { FsError } from '../../errors.js';
import type { FileSystemDriver } from '../drivers.js';
import { Iso9660FileSystem } from './filesystem.js';
import { ISO9660_OPTION_HELP, parseIso9660Options } from './options.js';

export { Iso9660FileSystem, type Iso9660Info } from './filesystem.js';
export { parseIso9660Options, type Iso9660Options } from './options.js';

export const iso9660Driver: FileSystemDriver = {
  name: 'iso9660',
  ids: ['iso9660'],
  writable: false,
  optionHelp: ISO9660_OPTION_HELP,
  async open(device, options = {}) {
    if (options.write) throw new FsError('EROFS', 'iso9660: the driver reads only; open without write');
    return Iso9660FileSystem.open(device, parseIso9660Options(options.options));
  },
};

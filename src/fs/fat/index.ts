/** The FAT driver entry: catalogue id 'vfat' (FAT12/16/32 with long names). */
import { FsError } from '../../errors.js';
import type { DriverOpenOptions, FileSystemDriver } from '../drivers.js';
import { FatFileSystem } from './filesystem.js';
import { parseTzOption } from './time.js';
import type { FatOptions } from './volume.js';

export { FatFileSystem, FAT_CAPABILITIES } from './filesystem.js';
export type { FatOptions } from './volume.js';

const OPTION_HELP = {
  uid: 'owner of every file (default 0)',
  gid: 'group of every file (default 0)',
  umask: 'permission bits taken away from files and directories, octal (default 022)',
  fmask: 'permission bits taken away from files, octal (default: umask)',
  dmask: 'permission bits taken away from directories, octal (default: umask)',
  tz: "zone of on-disk times: 'UTC' (default), minutes east of UTC, or an offset like +02:00",
  codepage: 'OEM code page of 8.3 names: 437 (default), 850, 852, 866',
  crossCheck: "look for cross-linked chains before the first change: 'auto' (default, volumes up to 4 Mi clusters), 'always', 'never'",
} as const;

function octal(name: string, v: string | boolean | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^[0-7]{1,4}$/.test(s)) throw new FsError('EINVAL', `fat: option ${name}=${s} is not an octal mask`);
  return parseInt(s, 8) & 0o777;
}

function id(name: string, v: string | boolean | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^\d{1,10}$/.test(s) || Number(s) > 0xfffffffe) throw new FsError('EINVAL', `fat: option ${name}=${s} is not a numeric id`);
  return Number(s);
}

/** Turns `--fs-option name=value` pairs into FatOptions. */
export function parseFatOptions(o: Record<string, string | boolean> = {}): FatOptions {
  for (const k of Object.keys(o)) {
    if (!(k in OPTION_HELP)) throw new FsError('EINVAL', `fat: unknown option '${k}' (known: ${Object.keys(OPTION_HELP).join(', ')})`);
  }
  const out: FatOptions = {};
  const set = <K extends keyof FatOptions>(k: K, v: FatOptions[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('uid', id('uid', o.uid));
  set('gid', id('gid', o.gid));
  set('umask', octal('umask', o.umask));
  set('fmask', octal('fmask', o.fmask));
  set('dmask', octal('dmask', o.dmask));
  const tz = parseTzOption(o.tz);
  if (tz !== undefined && (!Number.isInteger(tz) || Math.abs(tz) > 24 * 60)) throw new FsError('EINVAL', `fat: option tz=${String(o.tz)} is not a zone offset`);
  set('tz', tz);
  if (o.codepage !== undefined) set('codepage', String(o.codepage));
  if (o.crossCheck !== undefined) {
    const v = String(o.crossCheck);
    if (v !== 'auto' && v !== 'always' && v !== 'never') throw new FsError('EINVAL', `fat: option crossCheck=${v} is not auto, always or never`);
    set('crossCheck', v);
  }
  return out;
}

export const fatDriver: FileSystemDriver = {
  name: 'fat',
  ids: ['vfat'],
  writable: true,
  optionHelp: OPTION_HELP,
  open: async (device, options: DriverOpenOptions = {}) =>
    FatFileSystem.open(device, { ...parseFatOptions(options.options), write: options.write === true }),
};

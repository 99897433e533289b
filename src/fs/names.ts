/** Names and their byte lengths: limits are in UTF-8 bytes, as on disk and on the wire. */
import { FsError } from '../errors.js';

/** Length of `s` encoded as UTF-8, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** EINVAL for names no directory may hold ('', '.', '..', '/' or NUL inside); ENAMETOOLONG past `max` bytes. */
export function checkName(fs: string, op: string, name: string, max = 255): void {
  if (name.length === 0 || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new FsError('EINVAL', `${fs}: ${op}: invalid name '${name}'`);
  }
  if (name.length > max / 4 && utf8Length(name) > max) throw new FsError('ENAMETOOLONG', `${fs}: ${op}: name longer than ${max} bytes`);
}

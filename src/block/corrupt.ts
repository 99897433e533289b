/**
 * The one way to report on-disk data that does not add up (QEMU's
 * qcow2_signal_corruption): name the format, the structure and where it is.
 */
import { FsError } from '../errors.js';

export function corrupt(format: string, structure: string, offset: number | undefined, detail: string): FsError {
  const where = offset === undefined ? '' : ` at offset ${offset} (0x${offset.toString(16)})`;
  return new FsError('EIO', `${format}: ${structure}${where}: ${detail}`);
}

/** EOPNOTSUPP for a valid image that uses something we refuse (encryption, unknown feature bits …). */
export function unsupported(format: string, detail: string): FsError {
  return new FsError('EOPNOTSUPP', `${format}: ${detail}`);
}

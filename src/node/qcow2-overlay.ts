/**
 * createOverlay: a new, empty qcow2 image whose backing file is BASE — what
 * `qemu-img create -f qcow2 -b BASE -F FMT NEW` makes, for
 * `anymount overlay create BASE NEW.qcow2`. Writes then go to NEW and BASE
 * stays as it was.
 *
 * QEMU resolves a relative backing name against the overlay's directory, so
 * we store BASE as given when it is absolute, and otherwise as the path from
 * NEW's directory to BASE (the user names BASE relative to where they are).
 */
import { open, realpath, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { FsError, toFsError } from '../errors.js';
import { createQcow2, type CreateQcow2Options } from '../block/qcow2/create.js';
import { FileDevice } from './file-device.js';
import { openImage } from './open-image.js';

export interface CreateOverlayOptions extends Omit<CreateQcow2Options, 'size' | 'backing'> {
  /** Replace NEW if it exists (default: EEXIST). */
  overwrite?: boolean;
  /** The base's format, when the caller knows it (default: detected). */
  baseFormat?: string;
  /** How to learn the base's format and virtual size (default: openImage). */
  probe?: (path: string, format?: string) => Promise<{ format: string; size: number }>;
}

export interface CreatedOverlay {
  /** The backing name stored in the overlay. */
  backingName: string;
  backingFormat: string;
  /** Virtual size, the base's. */
  size: number;
}

export async function createOverlay(basePath: string, newPath: string, options: CreateOverlayOptions = {}): Promise<CreatedOverlay> {
  const base = resolve(basePath);
  const target = resolve(newPath);
  if ((await realpath(base).catch(() => base)) === (await realpath(target).catch(() => target))) {
    throw new FsError('EINVAL', `overlay ${newPath}: it would be its own backing file`);
  }
  const { format, size } = await (options.probe ?? probeBase)(base, options.baseFormat);
  const backingName = isAbsolute(basePath) ? basePath : relative(dirname(target), base);

  let handle;
  try {
    handle = await open(target, options.overwrite ? 'w' : 'wx');
  } catch (e) {
    throw toFsError(e, `overlay ${newPath}`);
  }
  await handle.close();
  try {
    const file = await FileDevice.open(target, { write: true });
    try {
      const { overwrite: _o, baseFormat: _b, probe: _p, ...qcow2 } = options;
      await createQcow2(file, { ...qcow2, size: roundUp512(size), backing: { name: backingName, format, size } });
    } finally {
      await file.close();
    }
  } catch (e) {
    // A failed create leaves nothing behind.
    await unlink(target).catch(() => {});
    throw e;
  }
  return { backingName, backingFormat: format, size };
}

/**
 * The base's container format (catalogue id, 'raw' when none) and virtual
 * size, opening it as the host opens any image (its own backing chain too,
 * as qemu-img create does).
 */
async function probeBase(path: string, format?: string): Promise<{ format: string; size: number }> {
  const img = await openImage(path, format ? { format } : {});
  try {
    return { format: img.format, size: img.device.size };
  } finally {
    await img.device.close();
  }
}

function roundUp512(n: number): number {
  return Math.ceil(n / 512) * 512;
}

/**
 * The mount process: open the source, build the filesystem to serve (with
 * an overlay when writes must not reach the image), mount it through FUSE,
 * record it, and wait until it is unmounted — by `anymount unmount`, by
 * umount(8), or by SIGINT/SIGTERM here. Then flush, close and forget.
 */
import { totalmem } from 'node:os';
import { resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { FsError } from '../errors.js';
import type { FileSystem } from '../fs/filesystem.js';
import { MemFileSystem } from '../vfs/memfs/memfs.js';
import { OverlayFileSystem } from '../vfs/overlay/overlay.js';
import { mountFileSystem } from '../node/fuse/mount.js';
import { formatAddress, parseAddress, type Address } from '../node/address.js';
import { openSource, type OpenedSource } from '../node/open-source.js';
import { createOverlay } from '../node/qcow2-overlay.js';
import { isUrl } from '../node/open-image.js';
import { kernelMounts, removeRecord, writeRecord, type MountRecord } from './state.js';

export interface ServeOptions {
  /** The address: `disk.qcow2:p2`, `cd.iso`. */
  source: string;
  mountpoint: string;
  rw?: boolean;
  type?: string;
  format?: string;
  driverOptions?: Record<string, string | boolean>;
  /** Keep writes out of the image: 'memory' (lost at unmount) or a qcow2 file that backs onto the image. */
  overlay?: string;
  uid?: number;
  gid?: number;
  umask?: number;
  allowOther?: boolean;
  log: string;
  /** Told once the mount is live (the record written). */
  onReady?: (record: MountRecord) => void;
  debug?: (line: string) => void;
}

/** Mounts and serves until unmounted. Rejects before mounting on any problem (nothing is left behind). */
export async function serveMount(o: ServeOptions): Promise<void> {
  const mountpoint = resolve(o.mountpoint);
  const st = await stat(mountpoint).catch(() => undefined);
  if (!st) throw new FsError('ENOENT', `mount point ${o.mountpoint} does not exist`);
  if (!st.isDirectory()) throw new FsError('ENOTDIR', `mount point ${o.mountpoint} is not a directory`);
  if ((await kernelMounts()).has(mountpoint)) throw new FsError('EBUSY', `${o.mountpoint} is already a mount point`);

  const address = absoluteAddress(parseAddress(o.source));
  const { source, fs, overlayNote } = await openForServing(address, o);
  let mounted;
  try {
    mounted = await mountFileSystem(fs, mountpoint, {
      readOnly: !o.rw,
      fsname: formatAddress(address),
      subtype: `anymount`,
      ...(o.uid !== undefined ? { uid: o.uid } : {}),
      ...(o.gid !== undefined ? { gid: o.gid } : {}),
      ...(o.umask !== undefined ? { umask: o.umask } : {}),
      ...(o.allowOther ? { allowOther: true } : {}),
      ...(o.debug ? { debug: o.debug } : {}),
    });
  } catch (e) {
    await source.close().catch(() => {});
    throw e;
  }
  const record: MountRecord = {
    mountpoint,
    source: formatAddress(address),
    type: source.type,
    rw: !!o.rw,
    ...(overlayNote ? { overlay: overlayNote } : {}),
    pid: process.pid,
    started: Date.now(),
    log: o.log,
  };
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // A plain unmount first; if something holds files open, detach lazily rather than hang the signal.
    mounted.unmount().catch(() => mounted.unmount({ lazy: true }).catch(() => {}));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
  try {
    await writeRecord(record);
    o.onReady?.(record);
    await mounted.closed;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('SIGHUP', stop);
    await removeRecord(mountpoint, process.pid);
    await source.close();
  }
}

/** Local sources made absolute, so the record and later processes mean the same file. */
function absoluteAddress(a: Address): Address {
  return isUrl(a.source) ? a : { ...a, source: resolve(a.source) };
}

/**
 * The FileSystem to serve. Writes go to the image only with --rw and a
 * writable driver; --overlay FILE.qcow2 sends them to a qcow2 overlay of the
 * image instead (writable drivers); --overlay memory puts an in-memory upper
 * layer over any driver (lost at unmount).
 */
async function openForServing(address: Address, o: ServeOptions): Promise<{ source: OpenedSource; fs: FileSystem; overlayNote?: string }> {
  const base = {
    ...(o.type ? { type: o.type } : {}),
    ...(o.format ? { format: o.format } : {}),
    ...(o.driverOptions ? { options: o.driverOptions } : {}),
  };
  if (o.overlay === 'memory') {
    const source = await openSource(address, base);
    if (!o.rw) return { source, fs: source.fs };
    // Sized like a default tmpfs (half of RAM): a runaway writer gets ENOSPC, not an out-of-memory kill, and df shows a real size.
    const upper = new MemFileSystem({ name: 'memory overlay', maxBytes: Math.floor(totalmem() / 2) });
    const fs = await OverlayFileSystem.create({ lowers: [source.fs], upper, name: `${source.type}+memory` });
    return { source, fs, overlayNote: 'memory' };
  }
  if (o.overlay !== undefined) {
    if (isUrl(address.source)) throw new FsError('EOPNOTSUPP', `${address.source}: qcow2 overlays of URLs are not supported; use --overlay memory`);
    const overlayPath = resolve(o.overlay);
    // An existing overlay file is reused: the writes of an earlier session are still in it.
    if (!(await stat(overlayPath).catch(() => undefined))) await createOverlay(address.source, overlayPath);
    try {
      const source = await openSource({ ...address, source: overlayPath }, { ...base, ...(o.rw ? { write: true } : {}) });
      return { source, fs: source.fs, overlayNote: overlayPath };
    } catch (e) {
      if (e instanceof FsError && e.code === 'EROFS') {
        throw new FsError('EROFS', `${e.message}. A qcow2 overlay only helps drivers that can write; use --overlay memory for this one`);
      }
      throw e;
    }
  }
  try {
    const source = await openSource(address, { ...base, ...(o.rw ? { write: true } : {}) });
    return { source, fs: source.fs };
  } catch (e) {
    if (o.rw && e instanceof FsError && e.code === 'EROFS') {
      throw new FsError('EROFS', `${e.message}. To write anyway without changing the image: --overlay memory (changes vanish at unmount) or --overlay FILE.qcow2 (writable filesystems such as FAT: changes kept in FILE)`);
    }
    throw e;
  }
}

/**
 * mountFileSystem: serve a FileSystem at a mount point through the
 * kernel's FUSE, as root (mount -i with our /dev/fuse descriptor) or as
 * an ordinary user (fusermount3), and tell when the kernel let it go.
 *
 *   const m = await mountFileSystem(fs, '/mnt/image', { readOnly: true, fsname: 'disk.qcow2:p2' });
 *   await m.closed;            // resolves after `umount` (or m.unmount())
 *   await fs.destroy?.();      // the caller owns the FileSystem (or pass onClose)
 *
 * If this process dies, the mount does not stay behind: a small watcher
 * (sh) lazily unmounts (umount -l as root, fusermount3 -u -z as a user)
 * when our end of its pipe closes; users also get fusermount3's
 * `auto_unmount`. Either way the kernel fails
 * requests with ENOTCONN the moment the last /dev/fuse descriptor closes,
 * so nothing hangs in between.
 */
import * as fs from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { FsError } from '../../errors.js';
import type { FileSystem } from '../../fs/filesystem.js';
import { FuseSession, type FuseSessionOptions } from '../../hosts/fuse/session.js';
import { deviceNumbers } from '../block-geometry.js';
import { FuseDevice, readersFor } from './dev-fuse.js';
import { mountAsRoot } from './mount-root.js';
import { mountAsUser } from './mount-user.js';
import { closeFd } from './scm-rights.js';
import { unmountPath, type UnmountOptions } from './unmount.js';

export interface FuseMountOptions extends Omit<FuseSessionOptions, 'owners' | 'readOnly'> {
  readOnly?: boolean;
  /** Let other users see the mount (users need user_allow_other in /etc/fuse.conf). */
  allowOther?: boolean;
  /** Show every file as owned by this uid / gid (`--uid`, `--gid`). */
  uid?: number;
  gid?: number;
  /** Clear these permission bits on display (`--umask`). */
  umask?: number;
  /**
   * Show the image's own owners even where the driver has no real ones
   * (FAT, ISO without Rock Ridge). Default: such drivers show the
   * mounting user as owner, like the kernel's vfat does.
   */
  ownersFromImage?: boolean;
  /** Source name in /proc/mounts (the image). */
  fsname?: string;
  /** Type in /proc/mounts is fuse.<subtype>. Default 'anymount'. */
  subtype?: string;
  /** 'mount': mount(8) as root; 'fusermount': fusermount3; default: by the effective uid. */
  method?: 'mount' | 'fusermount';
  /** Outstanding /dev/fuse reads (each holds a threadpool thread); default keeps 4 threads free. */
  readers?: number;
  /** As root, set the mount's read-ahead (KiB) so sequential reads come in 1 MiB requests. Default 1024; 0 leaves it. */
  readAheadKb?: number;
  /** Runs after the kernel let go and before `closed` resolves (close the FileSystem and its image here). */
  onClose?: () => Promise<void>;
}

export interface FuseMount {
  readonly mountpoint: string;
  readonly session: FuseSession;
  /** Unmounts; EBUSY while files are open unless `lazy`. Resolves once served requests ended (not for lazy). */
  unmount(options?: UnmountOptions): Promise<void>;
  /** Resolves when the kernel unmounted (ENODEV on /dev/fuse); rejects on a fatal error. */
  readonly closed: Promise<void>;
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

export async function mountFileSystem(filesystem: FileSystem, mountpoint: string, options: FuseMountOptions = {}): Promise<FuseMount> {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const readOnly = options.readOnly === true || !filesystem.capabilities.write;
  const mapOwners = !filesystem.capabilities.posixPermissions && !options.ownersFromImage;
  const owners = {
    ...(options.uid !== undefined ? { uid: options.uid } : mapOwners ? { uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : mapOwners ? { gid } : {}),
    ...(options.umask !== undefined ? { umask: options.umask } : {}),
  };
  const st = fs.statSync(mountpoint);
  if (!st.isDirectory()) throw new FsError('ENOTDIR', `fuse: mount point ${mountpoint} is not a directory`);

  let device: FuseDevice | undefined;
  const session = new FuseSession(filesystem, (parts) => device!.send(parts), { ...options, readOnly, owners });
  const kernel = {
    fsname: options.fsname ?? filesystem.name, subtype: options.subtype ?? 'anymount',
    readOnly, allowOther: options.allowOther === true, uid, gid,
  };
  const method = options.method ?? (isRoot() ? 'mount' : 'fusermount');
  let fd: number;
  let release: () => void;
  if (method === 'mount') {
    fd = await mountAsRoot(mountpoint, kernel);
    const watcher = startWatcher(mountpoint, 'umount -l --');
    release = () => watcher.stdin?.end('keep\n');
  } else {
    const m = await mountAsUser(mountpoint, kernel);
    fd = m.fd;
    // fusermount3 3.14's auto_unmount gives up on a dead mount without allow_other (it cannot look in), so watch too.
    const watcher = startWatcher(mountpoint, 'fusermount3 -u -z --');
    release = () => {
      watcher.stdin?.end('keep\n');
      closeFd(m.socket);
    };
  }
  device = new FuseDevice(fd, session.maxWrite);
  const loop = device.run(session, options.readers ?? readersFor());
  let ended = false;
  let abortPath: string | undefined;
  // A process that exits with the mount still up would hang for good: Node joins its threadpool at exit,
  // and our readers sit in read(2) on /dev/fuse. Abort the connection (its fusectl file belongs to the
  // mounting user) and detach the mount, so the reads return ENODEV and the exit completes.
  const onExit = (): void => {
    if (ended) return;
    try {
      if (abortPath) fs.writeFileSync(abortPath, '1');
    } catch {
      // fusectl not mounted: the lazy unmount below still ends the reads unless files are open
    }
    spawnSync(method === 'mount' ? 'umount' : 'fusermount3', method === 'mount' ? ['-l', mountpoint] : ['-u', '-z', '--', mountpoint], { stdio: 'ignore' });
  };
  process.on('exit', onExit);
  const closed = loop.finally(async () => {
    ended = true;
    process.off('exit', onExit);
    device!.close();
    release();
    await session.teardown();
  }).then(async () => {
    await options.onClose?.();
  });
  // Nobody may be waiting on `closed` yet; an unhandled rejection must not kill the process before they do.
  closed.catch(() => undefined);

  try {
    // The mount's device number names its connection in /sys/fs/fuse/connections (and its bdi).
    const { major, minor } = deviceNumbers((await fs.promises.stat(mountpoint)).dev);
    abortPath = `/sys/fs/fuse/connections/${minor}/abort`;
    const kb = options.readAheadKb ?? 1024;
    if (method === 'mount' && kb > 0) await setReadAhead(`${major}:${minor}`, kb, options.debug);
  } catch (e) {
    options.debug?.(`fuse: cannot stat the new mount: ${(e as Error).message}`);
  }

  return {
    mountpoint,
    session,
    closed,
    async unmount(u: UnmountOptions = {}) {
      await unmountPath(mountpoint, u);
      if (!u.lazy) await closed;
    },
  };
}

/**
 * A process that outlives us only to clean up: it reads one line from a
 * pipe we hold; 'keep' means we unmounted ourselves, anything else (EOF
 * because we died) means lazily unmount what we left.
 */
function startWatcher(mountpoint: string, unmountCommand: string): ChildProcess {
  const script = `read line; [ "$line" = keep ] || exec ${unmountCommand} "$1"`;
  const child = spawn('sh', ['-c', script, 'anymount-fuse-watcher', mountpoint], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  child.on('error', () => undefined);
  child.stdin!.on('error', () => undefined);
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  return child;
}

/** /sys/class/bdi/MAJOR:MINOR/read_ahead_kb of the new mount (root only; best effort). */
async function setReadAhead(bdi: string, kb: number, debug?: (line: string) => void): Promise<void> {
  try {
    await fs.promises.writeFile(`/sys/class/bdi/${bdi}/read_ahead_kb`, String(kb));
  } catch (e) {
    debug?.(`fuse: could not set read-ahead: ${(e as Error).message}`);
  }
}

/**
 * Mounting as an ordinary user: fusermount3 (setuid root) opens /dev/fuse,
 * mounts, and sends the descriptor back over the unix socket named by
 * `_FUSE_COMMFD`, as libfuse does. With `auto_unmount` fusermount3 stays
 * behind and unmounts when our end of the socket closes — also when this
 * process is killed — so a dead server never leaves a stale mount.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { FsError } from '../../errors.js';
import { commonOptions, optionValue, type KernelMountOptions } from './mount-options.js';
import { closeFd, pollIn, receiveFd, socketPair } from './scm-rights.js';

export interface UserMount {
  fd: number;
  /** The fusermount3 that stays to unmount if we die (auto_unmount). */
  watcher: ChildProcess;
  /** Our end of the socket: closing it makes the watcher unmount. */
  socket: number;
}

const TIMEOUT_MS = 20_000;

export async function mountAsUser(mountpoint: string, o: KernelMountOptions): Promise<UserMount> {
  const [ours, theirs] = socketPair();
  // fusermount3 sets fd, rootmode, user_id and group_id itself and rejects them from us.
  const opts = [...commonOptions(o), `fsname=${optionValue(o.fsname)}`, `subtype=${optionValue(o.subtype)}`, 'auto_unmount'];
  const child = spawn('fusermount3', ['-o', opts.join(','), '--', mountpoint], {
    stdio: ['ignore', 'ignore', 'pipe', theirs],
    env: { ...process.env, _FUSE_COMMFD: '3' },
  });
  closeFd(theirs);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let exitCode: number | null | undefined;
  child.on('close', (code) => (exitCode = code));
  child.on('error', (e) => (stderr += e.message, exitCode = -1));
  // recvmsg blocks the thread, so call it only once poll(2) says the descriptor has arrived;
  // with auto_unmount fusermount3 keeps running after sending it.
  const started = Date.now();
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    if (pollIn(ours)) break;
    if (exitCode !== undefined || Date.now() - started > TIMEOUT_MS) {
      closeFd(ours);
      child.kill();
      const msg = stderr.trim() || (exitCode === undefined ? 'timed out' : `exit ${exitCode}`);
      throw new FsError(/busy/i.test(msg) ? 'EBUSY' : /permit|allow|denied/i.test(msg) ? 'EPERM' : 'EIO', `fuse: fusermount3 ${mountpoint}: ${msg}`);
    }
    await new Promise((r) => setTimeout(r, wait));
  }
  let fd: number;
  try {
    fd = receiveFd(ours);
  } catch (e) {
    closeFd(ours);
    child.kill();
    throw e;
  }
  child.stderr!.removeAllListeners('data');
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  child.unref();
  return { fd, watcher: child, socket: ours };
}

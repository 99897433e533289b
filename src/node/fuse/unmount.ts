/**
 * Unmounting the way the kernel would: a plain unmount fails with EBUSY
 * while files are open or a process sits in the tree; `lazy` detaches the
 * mount now and lets it go when the last user leaves (umount -l,
 * fusermount3 -z).
 */
import { spawn } from 'node:child_process';
import { FsError } from '../../errors.js';

export interface UnmountOptions {
  lazy?: boolean;
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

export function unmountPath(mountpoint: string, options: UnmountOptions = {}): Promise<void> {
  const [cmd, args] = isRoot()
    ? ['umount', [...(options.lazy ? ['-l'] : []), mountpoint]]
    : ['fusermount3', ['-u', ...(options.lazy ? ['-z'] : []), '--', mountpoint]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args as string[], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => reject(new FsError('EIO', `fuse: cannot run ${cmd}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const code2 = /busy/i.test(stderr) ? 'EBUSY' : /not mounted|not found|no mount|not a mount/i.test(stderr) ? 'EINVAL' : /permi/i.test(stderr) ? 'EPERM' : 'EIO';
      reject(new FsError(code2, `fuse: ${cmd} ${mountpoint} failed: ${stderr.trim()}`));
    });
  });
}

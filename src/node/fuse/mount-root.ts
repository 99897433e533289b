/**
 * Mounting as root: open /dev/fuse ourselves and have mount(8) do the
 * mount(2) call with `fd=N`. `-i` keeps mount(8) from handing off to
 * /sbin/mount.fuse (which would try to run the subtype as a program).
 */
import * as fs from 'node:fs';
import { spawn } from 'node:child_process';
import { FsError } from '../../errors.js';
import { commonOptions, optionValue, type KernelMountOptions } from './mount-options.js';

/** Mounts and returns the /dev/fuse descriptor that now serves `mountpoint`. */
export async function mountAsRoot(mountpoint: string, o: KernelMountOptions): Promise<number> {
  const fd = fs.openSync('/dev/fuse', fs.constants.O_RDWR);
  const opts = [`fd=3`, `rootmode=40000`, `user_id=${o.uid}`, `group_id=${o.gid}`, ...commonOptions(o)];
  try {
    await runMount(['-i', '-n', '-t', `fuse.${optionValue(o.subtype)}`, '-o', opts.join(','), optionValue(o.fsname), mountpoint], fd);
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  return fd;
}

function runMount(args: string[], fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('mount', args, { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => reject(new FsError('ENODEV', `fuse: cannot run mount(8): ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new FsError(/busy/i.test(stderr) ? 'EBUSY' : /permission|not permitted/i.test(stderr) ? 'EPERM' : 'EIO',
        `fuse: mount ${args.slice(-1)[0]} failed (${code}): ${stderr.trim()}`));
    });
  });
}

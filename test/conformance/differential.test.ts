// Seeded random operations on the kernel and on us, compared result by result: memfs vs tmpfs, overlay vs overlayfs.
import { test } from 'node:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { MemFileSystem } from '../../src/vfs/memfs/memfs.js';
import { OverlayFileSystem } from '../../src/vfs/overlay/overlay.js';
import { Vfs } from '../../src/vfs/vfs.js';
import { compareTargets, randomOps } from './differential.js';
import { HostTarget } from './setup/host-target.js';
import { VfsTarget } from './setup/vfs-target.js';
import { canMount, hasOverlay, mountTmpfs, sh, unmount } from './setup/linux.js';

const SEEDS = [1, 2, 3, 4, 5, 6];
const OPS = 400;
/**
 * Both sides work six directories deep, so '..' (which stops at our root
 * but not at the tmpfs mount point) means the same on both unless a path
 * climbs more than six levels.
 */
const DEEP = 'r/s/t/u/v/w';

function mkdeep(base: string): string {
  mkdirSync(join(base, DEEP), { recursive: true, mode: 0o755 });
  return join(base, DEEP);
}

async function deepVfs(vfs: Vfs): Promise<string> {
  const p = vfs.process();
  let path = '';
  for (const part of DEEP.split('/')) {
    path += '/' + part;
    await p.mkdir(path, 0o755);
  }
  return path;
}

for (const seed of SEEDS) {
  test(`memfs behaves like tmpfs: ${OPS} random operations, seed ${seed}`, { skip: canMount() }, async () => {
    const root = mountTmpfs();
    try {
      process.umask(0o022);
      const truth = new HostTarget(mkdeep(root), 'linux tmpfs');
      const vfs = await Vfs.create(new MemFileSystem({ rootMode: 0o755 }));
      const ours = await VfsTarget.create(vfs, await deepVfs(vfs), undefined, 'memfs');
      const r = await compareTargets(truth, ours, randomOps(seed, OPS));
      console.log(`# seed ${seed}: ${r.ops} operations, errnos ${JSON.stringify(r.errors)}`);
      await truth.dispose();
    } finally {
      unmount(root);
    }
  });
}

for (const seed of SEEDS) {
  test(`overlay behaves like overlayfs: lower built by ${OPS / 2} random operations, then ${OPS}, seed ${seed}`, { skip: canMount() ?? hasOverlay() }, async () => {
    const root = mountTmpfs();
    try {
      process.umask(0o022);
      for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(root, d));
      // The same random lower tree on both sides.
      const lowerOps = randomOps(seed + 1000, OPS / 2);
      const lowerTruth = new HostTarget(mkdeep(join(root, 'lower')), 'linux lower');
      const lowerFs = new MemFileSystem({ rootMode: 0o755 });
      const lowerVfs = await Vfs.create(lowerFs);
      const lowerOurs = await VfsTarget.create(lowerVfs, await deepVfs(lowerVfs), undefined, 'memfs lower');
      await compareTargets(lowerTruth, lowerOurs, lowerOps);
      sh('mount', ['-t', 'overlay', 'overlay', '-o',
        `lowerdir=${root}/lower,upperdir=${root}/upper,workdir=${root}/work,index=on,redirect_dir=off,metacopy=off`, `${root}/merged`]);
      try {
        const truth = new HostTarget(join(root, 'merged', DEEP), 'linux overlayfs');
        const overlay = await OverlayFileSystem.create({ lowers: [lowerFs], upper: new MemFileSystem({ rootMode: 0o755 }) });
        const ours = await VfsTarget.create(await Vfs.create(overlay), '/' + DEEP, undefined, 'overlay');
        const r = await compareTargets(truth, ours, randomOps(seed, OPS));
        console.log(`# seed ${seed}: ${r.ops} operations, errnos ${JSON.stringify(r.errors)}`);
        await truth.dispose();
      } finally {
        spawnSync('umount', [join(root, 'merged')]);
      }
    } finally {
      unmount(root);
    }
  });
}

// Our overlay and the kernel's read each other's upper layers: same merged tree either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { MemFileSystem } from '../../src/vfs/memfs/memfs.js';
import { OverlayFileSystem } from '../../src/vfs/overlay/overlay.js';
import { Vfs } from '../../src/vfs/vfs.js';
import { O_APPEND, O_CREAT, O_WRONLY } from '../../src/fs/flags.js';
import { snapshot } from './differential.js';
import { HostTarget } from './setup/host-target.js';
import { VfsTarget } from './setup/vfs-target.js';
import { canMount, hasOverlay, mountTmpfs, sh, unmount } from './setup/linux.js';
import { buildTree, dir, file, hardlink, symlink } from './tree.js';
import { copyTreeBetween } from './tree-copy.js';
import type { Target } from './target.js';

const OLD = 1_000_000_000_000_000_000n;
const LOWER = {
  keep: file('unchanged', { mtimeNs: OLD }),
  edit: file('lower text', { mode: 0o640, uid: 1000, gid: 1000, mtimeNs: OLD, xattrs: { 'user.note': 'kept' } }),
  gone: file('to be removed'),
  meta: file('metadata only', { mode: 0o644, mtimeNs: OLD }),
  moved: file('moving'),
  h1: file('linked', { mtimeNs: OLD }),
  h2: hardlink('h1'),
  ln: symlink('keep'),
  tree: dir({ a: file('A'), sub: dir({ b: file('B') }) }),
  merged: dir({ low: file('low') }, { mode: 0o750 }),
};

/**
 * The same changes through either overlay. Not among them: writing one name
 * of a hard-linked lower file. Across a remount that needs the kernel's
 * index (in its workdir, which we do not have); our index is in memory, so a
 * remount breaks such links, as overlayfs with index=off does (docs/overlay.md).
 */
async function change(t: Target): Promise<void> {
  const append = async (p: string, s: string): Promise<void> => {
    const fd = await t.open(p, O_WRONLY | O_APPEND);
    await t.write(fd, s);
    await t.close(fd);
  };
  await append('edit', ' + upper');
  await t.unlink('gone');
  await t.chmod('meta', 0o600);
  await t.rename('moved', 'arrived');
  await t.unlink('tree/sub/b');
  await t.rmdir('tree/sub');
  await t.unlink('tree/a');
  await t.rmdir('tree');
  await t.mkdir('tree');
  const fd = await t.open('tree/new', O_CREAT | O_WRONLY, 0o644);
  await t.write(fd, 'fresh');
  await t.close(fd);
  await t.mkdir('merged/up');
  await t.symlink('merged/low', 'ln2');
  await t.setxattr('keep', 'user.added', 'v');
}

const SKIP = canMount() ?? hasOverlay();

test('an upper layer written by Linux overlayfs reads the same through our overlay', { skip: SKIP }, async () => {
  const root = mountTmpfs();
  try {
    process.umask(0o022);
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(root, d));
    await buildTree(new HostTarget(join(root, 'lower')), LOWER);
    sh('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${root}/lower,upperdir=${root}/upper,workdir=${root}/work,index=on,redirect_dir=off,metacopy=off`, `${root}/merged`]);
    let kernel: string[];
    try {
      const merged = new HostTarget(join(root, 'merged'));
      await change(merged);
      kernel = await snapshot(merged, '.', [], true);
    } finally {
      spawnSync('umount', [join(root, 'merged')]);
    }
    const lower = new MemFileSystem({ rootMode: 0o755 });
    const upper = new MemFileSystem({ rootMode: 0o755 });
    await copyTreeBetween(new HostTarget(join(root, 'lower')), await VfsTarget.create(await Vfs.create(lower), '/'));
    await copyTreeBetween(new HostTarget(join(root, 'upper')), await VfsTarget.create(await Vfs.create(upper), '/'));
    const ours = await VfsTarget.create(await Vfs.create(await OverlayFileSystem.create({ lowers: [lower], upper })), '/');
    assert.deepEqual(await snapshot(ours, '.', [], true), kernel);
  } finally {
    unmount(root);
  }
});

test('an upper layer written by our overlay reads the same through Linux overlayfs', { skip: SKIP }, async () => {
  const root = mountTmpfs();
  try {
    process.umask(0o022);
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(root, d));
    await buildTree(new HostTarget(join(root, 'lower')), LOWER);
    const lower = new MemFileSystem({ rootMode: 0o755 });
    const upper = new MemFileSystem({ rootMode: 0o755 });
    await copyTreeBetween(new HostTarget(join(root, 'lower')), await VfsTarget.create(await Vfs.create(lower), '/'));
    const ours = await VfsTarget.create(await Vfs.create(await OverlayFileSystem.create({ lowers: [lower], upper })), '/');
    await change(ours);
    const want = await snapshot(ours, '.', [], true);
    await copyTreeBetween(await VfsTarget.create(await Vfs.create(upper), '/'), new HostTarget(join(root, 'upper')));
    // metacopy=on so the kernel reads our metadata-only copies' data from the lower layer.
    sh('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${root}/lower,upperdir=${root}/upper,workdir=${root}/work,redirect_dir=on,metacopy=on`, `${root}/merged`]);
    try {
      assert.deepEqual(await snapshot(new HostTarget(join(root, 'merged')), '.', [], true), want);
    } finally {
      spawnSync('umount', [join(root, 'merged')]);
    }
  } finally {
    unmount(root);
  }
});

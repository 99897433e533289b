/**
 * memfs setups: the reference driver through our Vfs (with permission
 * checks on), writable, and wrapped read-only to stand in for an image
 * driver that cannot write (its tree is built first, then frozen).
 */
import { MemFileSystem } from '../../../src/vfs/memfs/memfs.js';
import { ReadOnlyFileSystem } from '../../../src/fs/readonly.js';
import { Vfs } from '../../../src/vfs/vfs.js';
import type { FileSystem } from '../../../src/fs/filesystem.js';
import type { Feature } from '../case.js';
import type { Setup, SetupInstance } from '../runner.js';
import { buildTree, type TreeSpec } from '../tree.js';
import { VfsTarget } from './vfs-target.js';

export const MEMFS_FEATURES: Feature[] = [
  'symlinks', 'hardlinks', 'permissions', 'credentials', 'special-files', 'devices', 'xattr-user', 'xattr-trusted',
  'rename-noreplace', 'rename-exchange', 'sparse', 'ns-timestamps', 'tmpfs-sizes', 'stable-ino', 'rename-dir', 'atime',
];

/** Builds every case's directory and tree in `fs` through a Vfs of its own. */
export async function buildCasesIn(fs: FileSystem, cases: Array<{ dir: string; tree?: TreeSpec }>): Promise<void> {
  const vfs = await Vfs.create(fs, { permissions: true });
  const p = vfs.process();
  for (const c of cases) {
    await p.mkdir(`/${c.dir}`, 0o755);
    if (c.tree) {
      const t = await VfsTarget.create(vfs, `/${c.dir}`);
      await buildTree(t, c.tree);
      await t.dispose();
    }
  }
}

export function vfsInstance(vfs: Vfs, label: string): SetupInstance {
  return {
    target: (dir) => VfsTarget.create(vfs, `/${dir}`, undefined, label),
    close: async () => vfs.close(),
  };
}

export const memfsSetup: Setup = {
  name: 'memfs',
  features: new Set<Feature>(['write', ...MEMFS_FEATURES]),
  async prepare(cases) {
    const fs = new MemFileSystem({ rootMode: 0o755 });
    await buildCasesIn(fs, cases);
    return vfsInstance(await Vfs.create(fs, { permissions: true }), 'memfs');
  },
};

export const memfsReadOnlySetup: Setup = {
  name: 'memfs read-only',
  features: new Set<Feature>(['readonly', ...MEMFS_FEATURES]),
  async prepare(cases) {
    const fs = new MemFileSystem({ rootMode: 0o755 });
    await buildCasesIn(fs, cases);
    return vfsInstance(await Vfs.create(new ReadOnlyFileSystem(fs), { permissions: true }), 'memfs read-only');
  },
};

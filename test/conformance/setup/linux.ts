/**
 * Setups that run the suite against the Linux kernel itself: a fresh tmpfs
 * (writable, and remounted read-only), and a kernel overlayfs over tmpfs
 * layers. They keep the suite's expectations honest: a case that fails
 * here expects something Linux does not do.
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Feature } from '../case.js';
import type { Setup, SetupInstance } from '../runner.js';
import { buildTree, type TreeSpec } from '../tree.js';
import { HostTarget } from './host-target.js';
import { isRoot } from '../../helpers/tools.js';

export function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

export function canMount(): string | undefined {
  if (!isRoot) return 'needs root (mounts a tmpfs)';
  // The syscalls node:fs lacks go through perl's syscall.ph (Debian package perl).
  if (spawnSync('perl', ['-e', "require 'syscall.ph'"]).status !== 0) return "needs perl with syscall.ph (package perl)";
  const d = mkdtempSync(join(tmpdir(), 'anymount-probe-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', 'none', d]);
  if (r.status === 0) spawnSync('umount', [d]);
  rmSync(d, { recursive: true, force: true });
  return r.status === 0 ? undefined : 'cannot mount tmpfs here';
}

export function hasOverlay(): string | undefined {
  const r = spawnSync('grep', ['-qw', 'overlay', '/proc/filesystems']);
  return r.status === 0 ? undefined : 'kernel has no overlay filesystem';
}

/** A tmpfs mounted on a fresh temporary directory. */
export function mountTmpfs(): string {
  const d = mkdtempSync(join(tmpdir(), 'anymount-conf-'));
  sh('mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'none', d]);
  return d;
}

export function unmount(d: string): void {
  spawnSync('umount', ['-l', d]);
  rmSync(d, { recursive: true, force: true });
}

async function buildCases(base: string, cases: Array<{ dir: string; tree?: TreeSpec }>): Promise<void> {
  for (const c of cases) {
    mkdirSync(join(base, c.dir), { mode: 0o755 });
    if (c.tree) {
      const t = new HostTarget(join(base, c.dir));
      await buildTree(t, c.tree);
      await t.dispose();
    }
  }
}

const TMPFS_FEATURES: Feature[] = [
  'symlinks', 'hardlinks', 'permissions', 'credentials', 'special-files', 'devices', 'xattr-user', 'xattr-trusted',
  'rename-noreplace', 'rename-exchange', 'sparse', 'ns-timestamps', 'tmpfs-sizes', 'stable-ino', 'rename-dir', 'atime',
];

export const linuxTmpfsSetup: Setup = {
  name: 'linux tmpfs (kernel truth)',
  features: new Set<Feature>(['write', ...TMPFS_FEATURES]),
  ...(canMount() ? { skip: canMount()! } : {}),
  async prepare(cases) {
    const root = mountTmpfs();
    process.umask(0o022);
    await buildCases(root, cases);
    return tmpfsInstance(root);
  },
};

export const linuxTmpfsReadOnlySetup: Setup = {
  name: 'linux tmpfs read-only (kernel truth)',
  features: new Set<Feature>(['readonly', ...TMPFS_FEATURES]),
  ...(canMount() ? { skip: canMount()! } : {}),
  async prepare(cases) {
    const root = mountTmpfs();
    process.umask(0o022);
    await buildCases(root, cases);
    sh('mount', ['-o', 'remount,ro', root]);
    return tmpfsInstance(root);
  },
};

function tmpfsInstance(root: string): SetupInstance {
  return {
    target: async (dir) => new HostTarget(join(root, dir), 'linux'),
    close: async () => unmount(root),
  };
}

/**
 * Kernel overlayfs: lower and upper on one tmpfs (so st_ino is persistent),
 * index=on (hard links survive copy-up), redirect_dir=off (renaming a
 * lower directory is EXDEV), metacopy=off.
 */
export const linuxOverlaySetup: Setup = {
  name: 'linux overlayfs (kernel truth)',
  features: new Set<Feature>([
    'write', 'symlinks', 'hardlinks', 'permissions', 'credentials', 'special-files', 'devices', 'xattr-user', 'xattr-trusted',
    'rename-noreplace', 'rename-exchange', 'ns-timestamps', 'overlay', 'overlay-upper', 'overlay-index', 'overlay-no-redirect',
  ]),
  ...(canMount() || hasOverlay() ? { skip: (canMount() ?? hasOverlay())! } : {}),
  async prepare(cases) {
    const root = mountTmpfs();
    process.umask(0o022);
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(root, d));
    await buildCases(join(root, 'lower'), cases);
    sh('mount', ['-t', 'overlay', 'overlay', '-o',
      `lowerdir=${root}/lower,upperdir=${root}/upper,workdir=${root}/work,index=on,redirect_dir=off,metacopy=off`, `${root}/merged`]);
    return {
      target: async (dir) => new HostTarget(join(root, 'merged', dir), 'linux overlay'),
      upper: async (dir) => new HostTarget(join(root, 'upper', dir), 'linux overlay upper'),
      close: async () => {
        spawnSync('umount', ['-l', join(root, 'merged')]);
        unmount(root);
      },
    };
  },
};

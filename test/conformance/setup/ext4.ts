/**
 * ext4 setup (read-only): every case's tree is built by the Linux kernel on
 * a fresh mkfs.ext4 volume (loop-mounted read-write, trees made through
 * node:fs as in the kernel setups), the volume is unmounted, and our ext4
 * driver serves the image read-only through the Vfs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDevice } from '../../../src/node/file-device.js';
import { Ext4FileSystem } from '../../../src/fs/ext4/index.js';
import { Vfs } from '../../../src/vfs/vfs.js';
import { needRoot, needTools, toolEnv } from '../../helpers/tools.js';
import type { Feature } from '../case.js';
import type { Setup } from '../runner.js';
import { buildTree } from '../tree.js';
import { HostTarget } from './host-target.js';
import { vfsInstance } from './memfs.js';

const EXT4_FEATURES: Feature[] = [
  'symlinks', 'hardlinks', 'permissions', 'credentials', 'special-files', 'devices', 'xattr-user', 'xattr-trusted', 'ns-timestamps', 'stable-ino',
];

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { env: toolEnv(), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

export const ext4ReadOnlySetup: Setup = {
  name: 'ext4 read-only (trees written by the kernel)',
  features: new Set<Feature>(['readonly', ...EXT4_FEATURES]),
  ...((needRoot('the ext4 setup') ?? needTools('mkfs.ext4', 'mount')) ? { skip: (needRoot('the ext4 setup') ?? needTools('mkfs.ext4', 'mount'))! } : {}),
  async prepare(cases) {
    const dir = mkdtempSync(join(tmpdir(), 'anymount-ext4-conf-'));
    const img = join(dir, 'v.img');
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    sh('truncate', ['-s', '64M', img]);
    sh('mkfs.ext4', ['-q', '-F', '-b', '4096', '-E', 'root_owner=0:0', img]);
    sh('mount', ['-o', 'loop', img, mnt]);
    try {
      process.umask(0o022);
      for (const c of cases) {
        mkdirSync(join(mnt, c.dir), { mode: 0o755 });
        if (c.tree) {
          const t = new HostTarget(join(mnt, c.dir));
          await buildTree(t, c.tree);
          await t.dispose();
        }
      }
    } finally {
      sh('umount', [mnt]);
    }
    const dev = await FileDevice.open(img);
    const instance = vfsInstance(await Vfs.create(await Ext4FileSystem.open(dev), { permissions: true }), 'ext4 read-only');
    return {
      ...instance,
      close: async () => {
        await instance.close();
        await dev.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/**
 * ext4 setup (read-only): every case's tree is built by the Linux kernel on
 * a fresh mkfs.ext4 volume (loop-mounted read-write, trees made through
 * node:fs as in the kernel setups), the volume is unmounted, and our ext4
 * driver serves the image read-only through the Vfs.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ext4FileSystem } from '../../../src/fs/ext4/index.js';
import { needRoot, needTools } from '../../helpers/tools.js';
import { buildCaseTrees, imageInstance, sh } from './image.js';
import type { Feature } from '../case.js';
import type { Setup } from '../runner.js';

const EXT4_FEATURES: Feature[] = [
  'symlinks', 'hardlinks', 'permissions', 'credentials', 'special-files', 'devices', 'xattr-user', 'xattr-trusted', 'ns-timestamps', 'stable-ino',
];

const skip = needRoot('the ext4 setup') ?? needTools('mkfs.ext4', 'mount');

export const ext4ReadOnlySetup: Setup = {
  name: 'ext4 read-only (trees written by the kernel)',
  features: new Set<Feature>(['readonly', ...EXT4_FEATURES]),
  ...(skip ? { skip } : {}),
  async prepare(cases) {
    const dir = mkdtempSync(join(tmpdir(), 'anymount-ext4-conf-'));
    const img = join(dir, 'v.img');
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    sh('truncate', ['-s', '64M', img]);
    sh('mkfs.ext4', ['-q', '-F', '-b', '4096', '-E', 'root_owner=0:0', img]);
    sh('mount', ['-o', 'loop', img, mnt]);
    try {
      await buildCaseTrees(mnt, cases);
    } finally {
      sh('umount', [mnt]);
    }
    return imageInstance(img, dir, (dev) => Ext4FileSystem.open(dev), 'ext4 read-only');
  },
};

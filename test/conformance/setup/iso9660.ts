/**
 * ISO 9660 setup (read-only): every case's tree is built on the host
 * filesystem through node:fs (as in the kernel setups), written into an
 * image by xorriso with Rock Ridge and hard links (-R --hardlinks), and
 * served by our iso9660 driver through the Vfs. Rock Ridge keeps modes,
 * owners, symlinks, hard links (PX serial numbers), FIFOs and devices,
 * but times only in whole seconds and no xattrs (no ns-timestamps, no
 * xattr-*), and xorriso gives every directory one link.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Iso9660FileSystem } from '../../../src/fs/iso9660/index.js';
import { needRoot, needTools, toolEnv } from '../../helpers/tools.js';
import { buildCaseTrees, imageInstance, sh } from './image.js';
import type { Feature } from '../case.js';
import type { Setup } from '../runner.js';

// No 'stable-ino': for read-only setups it only selects "a directory has 2 + subdirectories links",
// and libisofs records nlink 1 in every directory's PX, which the driver (like Linux) reports.
const ISO9660_FEATURES: Feature[] = ['symlinks', 'hardlinks', 'permissions', 'credentials', 'special-files', 'devices'];

const skip = needRoot('the iso9660 setup (owners and device nodes in the source tree)') ?? needTools('xorriso');

export const iso9660ReadOnlySetup: Setup = {
  name: 'iso9660 read-only (trees written by xorriso -R)',
  features: new Set<Feature>(['readonly', ...ISO9660_FEATURES]),
  ...(skip ? { skip } : {}),
  async prepare(cases) {
    const dir = mkdtempSync(join(tmpdir(), 'anymount-iso9660-conf-'));
    const src = join(dir, 'src');
    const img = join(dir, 'v.iso');
    mkdirSync(src, { mode: 0o755 });
    await buildCaseTrees(src, cases);
    sh('xorriso', ['-as', 'mkisofs', '-R', '--hardlinks', '-quiet', '-o', img, src], { ...toolEnv(), LC_ALL: 'C.UTF-8' });
    return imageInstance(img, dir, (dev) => Iso9660FileSystem.open(dev), 'iso9660 read-only');
  },
};

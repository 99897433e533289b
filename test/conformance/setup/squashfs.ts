/**
 * squashfs setup (read-only): every case's tree is built on the host
 * filesystem through node:fs (as in the kernel setups), packed with
 * mksquashfs, and served by our squashfs driver through the Vfs.
 * squashfs keeps mtime in whole seconds only (no ns-timestamps).
 */
import '../../../src/node/codecs.js';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SquashfsFileSystem } from '../../../src/fs/squashfs/index.js';
import { needRoot, needTools } from '../../helpers/tools.js';
import { buildCaseTrees, imageInstance, sh } from './image.js';
import type { Feature } from '../case.js';
import type { Setup } from '../runner.js';

const SQUASHFS_FEATURES: Feature[] = [
  'symlinks', 'hardlinks', 'permissions', 'credentials', 'special-files', 'devices', 'xattr-user', 'xattr-trusted', 'stable-ino',
];

const skip = needRoot('the squashfs setup (owners and device nodes in the source tree)') ?? needTools('mksquashfs');

export const squashfsReadOnlySetup: Setup = {
  name: 'squashfs read-only (trees packed by mksquashfs)',
  features: new Set<Feature>(['readonly', ...SQUASHFS_FEATURES]),
  ...(skip ? { skip } : {}),
  async prepare(cases) {
    const dir = mkdtempSync(join(tmpdir(), 'anymount-squashfs-conf-'));
    const src = join(dir, 'src');
    const img = join(dir, 'v.sqfs');
    mkdirSync(src, { mode: 0o755 });
    await buildCaseTrees(src, cases);
    sh('mksquashfs', [src, img, '-noappend', '-quiet', '-no-progress', '-processors', '1', '-root-mode', '755']);
    return imageInstance(img, dir, (dev) => SquashfsFileSystem.open(dev), 'squashfs read-only');
  },
};

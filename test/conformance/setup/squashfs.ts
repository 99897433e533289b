/**
 * squashfs setup (read-only): every case's tree is built on the host
 * filesystem through node:fs (as in the kernel setups), packed with
 * mksquashfs, and served by our squashfs driver through the Vfs.
 * squashfs keeps mtime in whole seconds only (no ns-timestamps).
 */
import '../../../src/node/codecs.js';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDevice } from '../../../src/node/file-device.js';
import { SquashfsFileSystem } from '../../../src/fs/squashfs/index.js';
import { Vfs } from '../../../src/vfs/vfs.js';
import { needRoot, needTools, toolEnv } from '../../helpers/tools.js';
import type { Feature } from '../case.js';
import type { Setup } from '../runner.js';
import { buildTree } from '../tree.js';
import { HostTarget } from './host-target.js';
import { vfsInstance } from './memfs.js';

const SQUASHFS_FEATURES: Feature[] = [
  'symlinks', 'hardlinks', 'permissions', 'credentials', 'special-files', 'devices', 'xattr-user', 'xattr-trusted', 'stable-ino',
];

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { env: toolEnv(), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

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
    process.umask(0o022);
    for (const c of cases) {
      mkdirSync(join(src, c.dir), { mode: 0o755 });
      if (c.tree) {
        const t = new HostTarget(join(src, c.dir));
        await buildTree(t, c.tree);
        await t.dispose();
      }
    }
    sh('mksquashfs', [src, img, '-noappend', '-quiet', '-no-progress', '-processors', '1', '-root-mode', '755']);
    const dev = await FileDevice.open(img);
    const instance = vfsInstance(await Vfs.create(await SquashfsFileSystem.open(dev), { permissions: true }), 'squashfs read-only');
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

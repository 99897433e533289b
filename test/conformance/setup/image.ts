/**
 * What the read-only image setups (ext4, iso9660, squashfs) share: the case
 * trees are made on the host through node:fs, a real tool (or the kernel)
 * turns them into an image, and our driver serves that image through the Vfs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FileSystem } from '../../../src/fs/filesystem.js';
import { FileDevice } from '../../../src/node/file-device.js';
import { Vfs } from '../../../src/vfs/vfs.js';
import { toolEnv } from '../../helpers/tools.js';
import type { Setup, SetupInstance } from '../runner.js';
import { buildTree } from '../tree.js';
import { HostTarget } from './host-target.js';
import { vfsInstance } from './memfs.js';

export function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = toolEnv()): void {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** Makes each case's directory under `root` and builds its tree there through node:fs. */
export async function buildCaseTrees(root: string, cases: Parameters<Setup['prepare']>[0]): Promise<void> {
  process.umask(0o022);
  for (const c of cases) {
    mkdirSync(join(root, c.dir), { mode: 0o755 });
    if (c.tree) {
      const t = new HostTarget(join(root, c.dir));
      await buildTree(t, c.tree);
      await t.dispose();
    }
  }
}

/** Our driver on `img`, behind a Vfs with permission checks; closing it removes `dir`. */
export async function imageInstance(img: string, dir: string, open: (dev: FileDevice) => Promise<FileSystem>, label: string): Promise<SetupInstance> {
  const dev = await FileDevice.open(img);
  const instance = vfsInstance(await Vfs.create(await open(dev), { permissions: true }), label);
  return {
    ...instance,
    close: async () => {
      await instance.close();
      await dev.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

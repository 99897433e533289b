/**
 * The suite through a FUSE mount: memfs and the overlay served by our FUSE
 * front end in a child process (test/helpers/fuse-server.ts), the cases
 * run with plain node:fs on the mount point (HostTarget), so the kernel's
 * VFS sits between the case and the driver exactly as for a user. The
 * overlay's upper layer is served by a second mount for the cases that
 * look into it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Feature } from '../case.js';
import type { Setup, SetupInstance } from '../runner.js';
import { HostTarget, encode } from './host-target.js';
import { MEMFS_FEATURES } from './memfs.js';
import { needFuse, serveSpec, type FuseServer } from '../../helpers/fuse.js';
import { isRoot } from '../../helpers/tools.js';

/** Root runs the cases; 'credentials' cases need allow_other, which root mounts always have. */
const skip = needFuse() ?? (isRoot ? undefined : 'needs root (cases run as several users)');

function instance(server: FuseServer, label: string, upper: boolean, tmp: string): SetupInstance {
  return {
    target: async (dir) => new HostTarget(join(server.mountpoint, dir), label),
    ...(upper ? { upper: async (dir: string) => new HostTarget(join(`${server.mountpoint}-upper`, dir), `${label} upper`) } : {}),
    close: async () => {
      await server.stop();
      rmSync(`${server.mountpoint}-upper`, { recursive: true, force: true });
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

async function start(spec: object): Promise<{ server: FuseServer; tmp: string }> {
  const tmp = mkdtempSync(join(tmpdir(), 'anymount-fuse-spec-'));
  const file = join(tmp, 'spec.json');
  writeFileSync(file, encode(spec));
  process.umask(0o022);
  return { server: await serveSpec(file), tmp };
}

/** What the kernel in front changes: no 'atime' (relatime on FUSE updates atime only through our attrs). */
const FUSE_MEMFS: Feature[] = MEMFS_FEATURES;

export const fuseMemfsSetup: Setup = {
  name: 'memfs through FUSE',
  features: new Set<Feature>(['write', ...FUSE_MEMFS]),
  ...(skip ? { skip } : {}),
  async prepare(cases) {
    const { server, tmp } = await start({ kind: 'memfs', cases });
    return instance(server, 'fuse memfs', false, tmp);
  },
};

export const fuseMemfsReadOnlySetup: Setup = {
  name: 'memfs read-only through FUSE',
  features: new Set<Feature>(['readonly', ...FUSE_MEMFS]),
  ...(skip ? { skip } : {}),
  async prepare(cases) {
    const { server, tmp } = await start({ kind: 'memfs', cases, readOnly: true });
    return instance(server, 'fuse memfs read-only', false, tmp);
  },
};

export const fuseOverlaySetup: Setup = {
  name: 'overlay through FUSE (read-only lower, memfs upper)',
  features: new Set<Feature>([
    'write', 'symlinks', 'hardlinks', 'permissions', 'credentials', 'special-files', 'devices', 'xattr-user', 'xattr-trusted',
    'rename-noreplace', 'rename-exchange', 'ns-timestamps', 'sparse', 'overlay', 'overlay-upper', 'overlay-metacopy', 'overlay-index',
    'overlay-no-redirect',
  ]),
  ...(skip ? { skip } : {}),
  async prepare(cases) {
    const { server, tmp } = await start({ kind: 'overlay', cases, upperMount: true });
    return instance(server, 'fuse overlay', true, tmp);
  },
};

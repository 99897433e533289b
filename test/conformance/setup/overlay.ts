/**
 * Overlay setups: our OverlayFileSystem through the Vfs, every case's tree
 * built in the lower layer. Over a memfs lower and a memfs upper; over a
 * read-only lower (a memfs wrapped read-only, standing in for an image
 * driver); and with no upper at all (a read-only overlay).
 */
import { MemFileSystem } from '../../../src/vfs/memfs/memfs.js';
import { OverlayFileSystem } from '../../../src/vfs/overlay/overlay.js';
import { ReadOnlyFileSystem } from '../../../src/fs/readonly.js';
import { Vfs } from '../../../src/vfs/vfs.js';
import type { Feature } from '../case.js';
import type { Setup } from '../runner.js';
import { buildCasesIn } from './memfs.js';
import { VfsTarget } from './vfs-target.js';

const OVERLAY_FEATURES: Feature[] = [
  'symlinks', 'hardlinks', 'permissions', 'credentials', 'special-files', 'devices', 'xattr-user', 'xattr-trusted',
  'rename-noreplace', 'rename-exchange', 'ns-timestamps', 'sparse', 'overlay', 'overlay-upper', 'overlay-metacopy', 'overlay-index',
  'overlay-no-redirect',
];

function overlaySetup(name: string, readOnlyLower: boolean): Setup {
  return {
    name,
    features: new Set<Feature>(['write', ...OVERLAY_FEATURES]),
    async prepare(cases) {
      const lower = new MemFileSystem({ rootMode: 0o755 });
      await buildCasesIn(lower, cases);
      // notify: the test looks into the upper layer through a Vfs of its own, which must see the overlay's changes.
      const upper = new MemFileSystem({ rootMode: 0o755, notify: true });
      const overlay = await OverlayFileSystem.create({ lowers: [readOnlyLower ? new ReadOnlyFileSystem(lower) : lower], upper });
      const vfs = await Vfs.create(overlay, { permissions: true });
      const upperVfs = await Vfs.create(upper, { permissions: true });
      return {
        target: (dir) => VfsTarget.create(vfs, `/${dir}`, undefined, name),
        upper: async (dir) => VfsTarget.prefixed(upperVfs, `/${dir}`, `${name} upper`),
        close: async () => {
          await vfs.close();
          await upperVfs.close();
        },
      };
    },
  };
}

export const overlaySetupMemfs = overlaySetup('overlay (memfs lower, memfs upper)', false);
export const overlaySetupReadOnlyLower = overlaySetup('overlay (read-only lower, memfs upper)', true);

export const overlayReadOnlySetup: Setup = {
  name: 'overlay without upper (read-only)',
  features: new Set<Feature>(['readonly', ...OVERLAY_FEATURES.filter((f) => f !== 'overlay-upper')]),
  async prepare(cases) {
    const lower = new MemFileSystem({ rootMode: 0o755 });
    await buildCasesIn(lower, cases);
    const overlay = await OverlayFileSystem.create({ lowers: [new ReadOnlyFileSystem(lower)] });
    const vfs = await Vfs.create(overlay, { permissions: true });
    return { target: (dir) => VfsTarget.create(vfs, `/${dir}`, undefined, 'overlay read-only'), close: () => vfs.close() };
  },
};

// Seeded mutation fuzzing of real FAT12/16/32 images (mkfs.fat + mcopy): open, walk the
// whole tree reading every file (bounded), then open for writing and run a few changes.
// Anything but an FsError, or a hang, fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixture } from '../../../test/helpers/fixtures.js';
import { fuzz } from '../../../test/helpers/fuzz.js';
import { needTools } from '../../../test/helpers/tools.js';
import { walkFs } from '../../../test/fat/truth.js';
import { MemoryDevice } from '../../block/memory.js';
import { parseBootSector } from './boot-sector.js';
import { FatFileSystem } from './filesystem.js';

const skip = needTools('mkfs.fat', 'mcopy');
const dir = skip ? '' : await fixture('fat/small.sh');
const CALLER = { uid: 0, gid: 0 };

async function exercise(bytes: Uint8Array, write: boolean): Promise<void> {
  const fs = await FatFileSystem.open(new MemoryDevice(bytes), { write });
  await walkFs(fs, { maxEntries: 200, maxDepth: 12 });
  await fs.statfs();
  await fs.label();
  if (!write) return;
  const root = fs.rootIno;
  const steps: Array<() => Promise<unknown>> = [
    async () => {
      const { entry, fh } = await fs.create!(root, 'Fuzzed new file.txt', 0o644, 0, CALLER);
      await fs.write!(entry.ino, fh, new Uint8Array(3000).fill(1), 100);
      await fs.setattr!(entry.ino, { size: 700 });
    },
    () => fs.mkdir!(root, 'new dir', 0o755, CALLER),
    () => fs.rename!(root, 'SUB', root, 'Renamed', 0),
    () => fs.unlink!(root, 'A.TXT'),
    async () => {
      const b = await fs.lookup(root, 'B.TXT');
      await fs.write!(b.ino, 0, new Uint8Array(1000).fill(2), 650);
    },
    () => fs.rmdir!(root, 'new dir'),
  ];
  for (const step of steps) {
    try {
      await step();
    } catch (e) {
      if (!(e as { code?: string }).code) throw e;
    }
  }
  await fs.destroy();
}

for (const type of [12, 16, 32]) {
  test(`fat fuzz FAT${type}: mutated images give FsErrors, never crashes or hangs (read and write)`, { skip }, async () => {
    const base = new Uint8Array(await readFile(join(dir, `fat${type}.img`)));
    const geo = parseBootSector(base.subarray(0, 512));
    // The interesting bytes: boot sector, FSInfo, the start of both FATs, the root directory, the first data clusters.
    const fatUsed = Math.min(geo.fatBytes, 4096);
    const root = geo.fatType === 32 ? geo.dataOffset + (geo.RootClus - 2) * geo.clusterSize : geo.rootDirOffset;
    const hotspots: Array<[number, number]> = [
      [0, 512],
      [512, 1024],
      [geo.fatOffset, geo.fatOffset + fatUsed],
      [geo.fatOffset + geo.fatBytes, geo.fatOffset + geo.fatBytes + fatUsed],
      [root, root + 1024],
      [geo.dataOffset, geo.dataOffset + 16 * geo.clusterSize],
    ];
    // The FAT32 image is 34 MB: mutate a 4 MB prefix copy of it instead (everything lives there).
    const image = type === 32 ? base.slice(0, 4 << 20) : base;
    const result = await fuzz({
      base: image,
      seed: 1000 + type,
      iterations: 400,
      timeBudgetMs: 4000,
      hotspots,
      run: async (bytes, i) => exercise(bytes, i % 2 === 1),
    });
    assert.ok(result.cases > 30, `only ${result.cases} cases ran`);
    assert.ok(result.ok > 0 && result.fsErrors > 0, JSON.stringify(result));
  });
}

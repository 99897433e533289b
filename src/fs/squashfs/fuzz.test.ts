// Seeded mutations of small real squashfs images (gzip, xz, zstd, lz4, lzo,
// lzma, uncompressed): open, walk the whole tree with a depth/entry budget,
// read every file (bounded), list xattrs. Anything but an FsError, or a
// hang, fails.
import '../../node/codecs.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixture } from '../../../test/helpers/fixtures.js';
import { fuzz } from '../../../test/helpers/fuzz.js';
import { needTools } from '../../../test/helpers/tools.js';
import { walk } from '../../../test/squashfs/walk.js';
import { MemoryDevice } from '../../block/memory.js';
import { SquashfsFileSystem } from './filesystem.js';

const skip = needTools('mksquashfs', 'setfattr');
const dir = skip ? '' : await fixture('squashfs/small.sh');

/** Superblock and the tables at the end (ids, fragments, export, xattrs) and the start of the inode and directory tables. */
function hotspots(b: Uint8Array): Array<[number, number]> {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const inode = Number(v.getBigUint64(64, true));
  const dirs = Number(v.getBigUint64(72, true));
  const frag = Number(v.getBigUint64(80, true));
  const end = Number(v.getBigUint64(40, true));
  return [
    [0, 96],
    [inode, Math.min(dirs, inode + 4096)],
    [dirs, Math.min(frag, dirs + 4096)],
    [Math.min(frag, end), end],
  ];
}

const BUDGET: Record<string, number> = { gzip: 4000, xz: 3000, zstd: 3000, lz4: 1500, lzo: 1500, lzma: 1500, plain: 2500 };

for (const [name, ms] of Object.entries(BUDGET)) {
  test(`squashfs fuzz: ${name}`, { skip }, async () => {
    const base = new Uint8Array(await readFile(join(dir, `${name}.sqfs`)));
    const result = await fuzz({
      base,
      seed: 0x5157 + name.length,
      iterations: 400,
      timeBudgetMs: ms,
      hotspots: hotspots(base),
      run: async (bytes) => {
        const fs = await SquashfsFileSystem.open(new MemoryDevice(bytes, { readOnly: true }));
        await walk(fs, { xattrs: true, maxDepth: 12, maxEntries: 3000, maxFileBytes: 256 << 10, chunk: 64 << 10 });
        await fs.statfs();
      },
    });
    assert.ok(result.cases > 20, `ran ${result.cases} cases`);
    assert.ok(result.fsErrors > 0, 'some mutations were caught as FsErrors');
  });
}

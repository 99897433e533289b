// Writes through the FAT driver — a seeded random sequence of create, write at random
// offsets, extend, truncate, rename across directories and over files, mkdir, rmdir and
// unlink, with long and short names — on images made by mkfs.fat, then checks the image
// with the real tools: fsck.fat -n must be clean, and an mcopy extraction and 7-Zip's
// listing must equal the model (names, sizes, content hashes, mtimes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needTools, run } from '../../../test/helpers/tools.js';
import { flattenModel, runModel } from '../../../test/fat/model.js';
import { fmt7z, fsckFat, mcopyOut, sevenZip, sha256, walkFs, walkHost } from '../../../test/fat/truth.js';
import { FileDevice } from '../../node/file-device.js';
import { FatFileSystem } from './filesystem.js';

const skip = needTools('mkfs.fat', 'fsck.fat', 'mcopy', '7z');

async function makeImage(dir: string, args: string[], kib: number): Promise<string> {
  const img = join(dir, 'volume.img');
  await run('mkfs.fat', ['-C', ...args, img, String(kib)]);
  return img;
}

const CONFIGS: Array<{ name: string; args: string[]; kib: number; seed: number; maxWrite: number; /** Leave only this many bytes free before the random operations. */ prefill?: number }> = [
  { name: 'FAT12', args: ['-F', '12', '-s', '1'], kib: 2000, seed: 12, maxWrite: 20_000 },
  { name: 'FAT16', args: ['-F', '16', '-s', '1'], kib: 20_000, seed: 16, maxWrite: 60_000 },
  { name: 'FAT16 4096-byte sectors', args: ['-F', '16', '-S', '4096', '-s', '1'], kib: 80_000, seed: 164, maxWrite: 60_000 },
  { name: 'FAT32', args: ['-F', '32', '-s', '1'], kib: 36_000, seed: 32, maxWrite: 60_000 },
  // Nearly full from the start: many writes end in ENOSPC, which must leak nothing.
  { name: 'FAT12 nearly full', args: ['-F', '12', '-s', '1'], kib: 400, seed: 121, maxWrite: 60_000 },
  { name: 'FAT32 nearly full', args: ['-F', '32', '-s', '1'], kib: 33_600, seed: 321, maxWrite: 200_000, prefill: 256 << 10 },
];

for (const cfg of CONFIGS) {
  test(`fat write ${cfg.name}: random operations vs a model; fsck.fat clean; mtools and 7-Zip see the model`, { skip }, async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'fat-write-'));
    try {
      const img = await makeImage(tmp, [...cfg.args, '-n', 'WRITTEN'], cfg.kib);
      const dev = await FileDevice.open(img, { write: true });
      let now = 1_700_000_001;
      const fs = await FatFileSystem.open(dev, { write: true, clock: () => ({ sec: now, nsec: 0 }) });
      const st = await fs.statfs();
      const prefill = cfg.prefill === undefined ? undefined : st.bfree * st.bsize - cfg.prefill;
      const { root, counts } = await runModel(fs, { seed: cfg.seed, ops: 300, maxWrite: cfg.maxWrite, prefill, tick: () => (now += 3) });
      await fs.destroy();
      await dev.close();
      assert.deepEqual(fs.warnings, []);
      if (cfg.name.includes('nearly full')) assert.ok(Object.keys(counts).some((k) => k.endsWith('ENOSPC')), JSON.stringify(counts));

      const fsck = fsckFat(img);
      assert.equal(fsck.status, 0, fsck.output);
      assert.doesNotMatch(fsck.output, /dirty|lost|cross|differ|wrong|free cluster|truncat|Reclaim/i, fsck.output);

      const model = flattenModel(root);
      const out = join(tmp, 'out');
      await mkdir(out);
      await mcopyOut(img, out);
      const extracted = await walkHost(out);
      assert.deepEqual([...extracted.keys()].sort(), [...model.keys()].sort());
      for (const [path, m] of model) {
        const e = extracted.get(path)!;
        assert.equal(e.type, m.type, path);
        if (m.type === 'file') {
          assert.equal(e.size, m.data!.length, `${path}: size`);
          assert.equal(e.sha256, sha256(m.data!), `${path}: content`);
        }
        assert.equal(e.mtimeSec, m.mtime, `${path}: mtime`);
      }

      const listing = await sevenZip(img);
      assert.equal(listing.size, model.size);
      for (const [path, m] of model) {
        const z = listing.get(path);
        assert.ok(z, `7-Zip does not list ${path}`);
        assert.equal(z.folder, m.type === 'dir', path);
        if (m.type === 'file') assert.equal(z.size, m.data!.length, path);
        assert.equal(z.modified, fmt7z(m.mtime), `${path}: mtime`);
      }

      // And our own reader, from a fresh open, agrees.
      const dev2 = await FileDevice.open(img);
      const again = await walkFs(await FatFileSystem.open(dev2));
      await dev2.close();
      assert.deepEqual([...again.keys()].sort(), [...model.keys()].sort());
      for (const [path, m] of model) if (m.type === 'file') assert.equal(again.get(path)!.sha256, sha256(m.data!), path);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
}

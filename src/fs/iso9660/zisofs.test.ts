// zisofs: files xorriso compressed (-zisofs, 32 KiB blocks) read back
// decompressed, equal to xorriso's extraction, stored smaller than they
// read, and right at every block boundary and at odd offsets.
import '../../node/codecs.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prng } from '../../../test/helpers/fuzz.js';
import { isoFixtures, isoSkip, openIso, walkHost, walkIso } from '../../../test/iso9660/tree.js';

const skip = isoSkip;
const dir = skip ? '' : await isoFixtures();

test('iso9660 zisofs.iso: compressed files read as xorriso extracts them', { skip }, async () => {
  const { fs, close } = await openIso(join(dir, 'zisofs.iso'));
  try {
    const ours = await walkIso(fs);
    const truth = walkHost(join(dir, 'zisofs.iso.extract'));
    assert.deepEqual([...ours.keys()].sort(), [...truth.keys()].sort());
    for (const [p, t] of truth) {
      if (t.type !== 'file') continue;
      assert.equal(ours.get(p)!.size, t.size, `${p}: size`);
      assert.equal(ours.get(p)!.sha256, t.sha256, `${p}: content`);
    }
    // Compressed for real: the pattern file is stored in far fewer blocks than it reads.
    const pattern = ours.get('big/pattern-5m')!;
    assert.ok(pattern.size > 5_000_000);
    const big = await fs.lookup(fs.rootIno, 'big');
    const st = (await fs.lookup(big.ino, 'pattern-5m')).attr;
    assert.ok(st.blocks * 512 < st.size / 4, `stored in ${st.blocks} sectors`);
  } finally {
    await close();
  }
});

test('iso9660 zisofs.iso: reads at block boundaries and random offsets, several at once', { skip }, async () => {
  const { fs, close } = await openIso(join(dir, 'zisofs.iso'));
  try {
    for (const name of ['big/pattern-5m', 'sparse']) {
      const truth = new Uint8Array(readFileSync(join(dir, 'src', name)));
      let ino = fs.rootIno;
      for (const part of name.split('/')) ino = (await fs.lookup(ino, part)).ino;
      const rand = prng(name.length);
      const reads: Array<[number, number]> = [];
      for (const b of [0, 1, 2, 31, 32, 33, 159, 160]) reads.push([b * 32768 - 1, 3], [b * 32768, 32768], [b * 32768 + 100, 70000]);
      for (let i = 0; i < 40; i++) reads.push([Math.floor(rand() * truth.length), 1 + Math.floor(rand() * 200000)]);
      await Promise.all(
        reads.map(async ([pos, len]) => {
          if (pos < 0) return;
          const buf = new Uint8Array(len);
          const n = await fs.read(ino, 0, buf, pos);
          const want = truth.subarray(pos, pos + len);
          assert.equal(n, want.length, `${name}: read of ${len} at ${pos}`);
          assert.deepEqual(buf.subarray(0, n), want, `${name}: bytes at ${pos}`);
        }),
      );
    }
  } finally {
    await close();
  }
});

// A 4.5 GiB file in two extents (xorriso -iso-level 3): one file of the
// right size whose bytes equal the source at the start, across the extent
// boundary, at the end and at random places; a read across the boundary
// of the (contiguous) extents is one device read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, readFileSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { fixture } from '../../../test/helpers/fixtures.js';
import { prng } from '../../../test/helpers/fuzz.js';
import { needTools } from '../../../test/helpers/tools.js';
import { parseIsoinfo } from '../../../test/iso9660/tree.js';
import { FileDevice } from '../../node/file-device.js';
import { CountingDevice } from '../../../test/helpers/counting-device.js';
import { Iso9660FileSystem } from './filesystem.js';

const skip = needTools('xorriso', 'isoinfo');
const dir = skip ? '' : await fixture('iso9660/big.sh');
const EXTENT = 4294965248;


test('iso9660 big.iso: a 4.5 GiB multi-extent file reads like its source', { skip, timeout: 120_000 }, async () => {
  const dev = new CountingDevice(await FileDevice.open(join(dir, 'big.iso')));
  const src = openSync(join(dir, 'src', 'huge'), 'r');
  try {
    const fs = await Iso9660FileSystem.open(dev);
    const e = await fs.lookup(fs.rootIno, 'huge');
    const rows = parseIsoinfo(readFileSync(join(dir, 'big.iso.isoinfo-R'), 'utf8')).filter((r) => r.name === 'huge');
    assert.equal(rows.length, 2, 'isoinfo shows two records (extents) for the file');
    assert.equal(rows[0]!.size, EXTENT);
    assert.equal(e.attr.size, rows[0]!.size + rows[1]!.size);
    assert.match(readFileSync(join(dir, 'big.iso.lsdl'), 'utf8'), new RegExp(`\\s${e.attr.size} .*'/huge'`));
    assert.equal(e.attr.blocks, Math.ceil(e.attr.size / 512));
    const rand = prng(4500);
    const reads: Array<[number, number]> = [
      [0, 4096], [EXTENT - 40000, 80000], [EXTENT - 1, 2], [EXTENT, 10], [e.attr.size - 10, 10], [e.attr.size - 3, 100],
    ];
    for (let i = 0; i < 30; i++) reads.push([Math.floor(rand() * e.attr.size), 1 + Math.floor(rand() * 100000)]);
    for (const [pos, len] of reads) {
      const ours = new Uint8Array(len);
      const n = await fs.read(e.ino, 0, ours, pos);
      const truth = Buffer.alloc(len);
      const m = readSync(src, truth, 0, len, pos);
      assert.equal(n, m, `read of ${len} at ${pos}`);
      assert.ok(Buffer.from(ours.subarray(0, n)).equals(truth.subarray(0, m)), `bytes at ${pos}`);
    }
    const buf = new Uint8Array(1 << 20);
    dev.reads = 0;
    await fs.read(e.ino, 0, buf, EXTENT - (1 << 19));
    assert.equal(dev.reads, 1, 'one device read across the contiguous extents');
    const small = await fs.lookup(fs.rootIno, 'small');
    const s = new Uint8Array(6);
    await fs.read(small.ino, 0, s, 0);
    assert.equal(new TextDecoder().decode(s), 'small\n');
  } finally {
    closeSync(src);
    await dev.close();
  }
});

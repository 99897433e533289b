// How the driver behaves as a FileSystem on a real xorriso image: readdir
// cookies that resume anywhere (also in a new instance), stable inode
// numbers, lazy reads (open and lookups touch a few blocks; a directory
// is read once), and file reads coalesced into one device read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FileDevice } from '../../node/file-device.js';
import { CountingDevice } from '../../../test/helpers/counting-device.js';
import { prng } from '../../../test/helpers/fuzz.js';
import { isoFixtures, isoSkip } from '../../../test/iso9660/tree.js';
import { Iso9660FileSystem } from './filesystem.js';
import { iso9660Driver } from './index.js';
import { driverFor } from '../drivers.js';

const skip = isoSkip;
const dir = skip ? '' : await isoFixtures();


async function openCounting(image: string): Promise<{ fs: Iso9660FileSystem; dev: CountingDevice }> {
  const dev = new CountingDevice(await FileDevice.open(join(dir, image)));
  return { fs: await Iso9660FileSystem.open(dev), dev };
}

test('iso9660 readdir cookies resume anywhere, in any instance', { skip }, async () => {
  const a = await openCounting('rr.iso');
  const b = await openCounting('rr.iso');
  try {
    const many = await a.fs.lookup(a.fs.rootIno, 'many');
    const full = await a.fs.readdir(many.ino, 0, 0);
    assert.equal(full.length, 3002);
    assert.deepEqual(full.slice(0, 2).map((e) => e.name), ['.', '..']);
    const rand = prng(3000);
    for (let i = 0; i < 50; i++) {
      const at = Math.floor(rand() * full.length);
      const cookie = at === 0 ? 0 : full[at - 1]!.next;
      const limit = 1 + Math.floor(rand() * 40);
      assert.deepEqual(await b.fs.readdir(many.ino, 0, cookie, limit), full.slice(at, at + limit), `resume at entry ${at}`);
    }
    assert.deepEqual(await a.fs.readdir(many.ino, 0, full[full.length - 1]!.next), [], 'the last cookie ends the listing');
    // The same file has the same inode number in both instances, and '..' is the parent.
    assert.equal((await b.fs.lookup(many.ino, 'f1234')).ino, (await a.fs.lookup(many.ino, 'f1234')).ino);
    assert.equal(full[1]!.ino, a.fs.rootIno);
  } finally {
    await a.dev.close();
    await b.dev.close();
  }
});

test('iso9660 reads are lazy: open reads a few blocks, a directory is indexed once, files in one read', { skip }, async () => {
  const { fs, dev } = await openCounting('rr.iso');
  try {
    assert.ok(dev.bytes <= 64 * 1024, `open read ${dev.bytes} bytes`);
    const many = await fs.lookup(fs.rootIno, 'many');
    const before = dev.reads;
    await Promise.all(Array.from({ length: 20 }, (_, i) => fs.lookup(many.ino, `f${String(i * 100).padStart(4, '0')}`)));
    const indexing = dev.reads - before;
    assert.ok(indexing <= 4, `indexing 3,000 entries took ${indexing} device reads`);
    const again = dev.reads;
    for (let i = 0; i < 3000; i += 7) await fs.lookup(many.ino, `f${String(i).padStart(4, '0')}`);
    assert.equal(dev.reads, again, 'lookups in an indexed directory read nothing');

    const big = await fs.lookup(fs.rootIno, 'big');
    const f = await fs.lookup(big.ino, 'random-3m');
    const buf = new Uint8Array(f.attr.size);
    dev.reads = 0;
    assert.equal(await fs.read(f.ino, 0, buf, 0), f.attr.size);
    assert.equal(dev.reads, 1, 'a 3 MiB file is one device read');
    dev.reads = 0;
    await fs.read(f.ino, 0, buf.subarray(0, 1 << 20), 12345);
    assert.equal(dev.reads, 1, 'a 1 MiB read is one device read');
  } finally {
    await dev.close();
  }
});

test('iso9660 lookups count references; forgotten inodes still answer getattr', { skip }, async () => {
  const { fs, dev } = await openCounting('rr.iso');
  try {
    const hard = await fs.lookup(fs.rootIno, 'hard');
    const one = await fs.lookup(hard.ino, 'one');
    await fs.lookup(hard.ino, 'one');
    fs.forget(one.ino, 2);
    assert.deepEqual(await fs.getattr(one.ino), one.attr);
    // readdir alone is enough for getattr of what it listed.
    const fresh = await Iso9660FileSystem.open(dev);
    const entries = await fresh.readdir(hard.ino, 0, 0);
    assert.equal((await fresh.getattr(entries[2]!.ino)).nlink, 3);
    assert.equal((await fresh.getattr(hard.ino)).mode & 0o170000, 0o040000, 'directories are found from their number alone');
  } finally {
    await dev.close();
  }
});

test('iso9660 driver registry entry: id, options, refusal to write', { skip }, async () => {
  const entry = driverFor('iso9660')!;
  assert.equal(entry.name, 'iso9660');
  assert.equal(entry.load ? await entry.load() : entry, iso9660Driver);
  assert.ok(iso9660Driver.optionHelp?.namespace);
  const dev = await FileDevice.open(join(dir, 'rr.iso'));
  try {
    await assert.rejects(iso9660Driver.open(dev, { write: true }), { code: 'EROFS' });
    await assert.rejects(iso9660Driver.open(dev, { options: { namespace: 'udf' } }), { code: 'EINVAL' });
    await assert.rejects(iso9660Driver.open(dev, { options: { colour: 'blue' } }), { code: 'EINVAL' });
    const fs = await iso9660Driver.open(dev, { options: { namespace: 'joliet', map: 'off', boot: 'off' } });
    assert.equal((fs as Iso9660FileSystem).info.namespace, 'joliet');
    assert.equal(fs.capabilities.write, false);
  } finally {
    await dev.close();
  }
});

// identify() on hostile and confusing input: tiny devices, odd sizes, mutated real
// images (never throws, bounded reads), and the classic look-alikes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryDevice } from '../block/memory.js';
import { FsError } from '../errors.js';
import { fixture } from '../../test/helpers/fixtures.js';
import { fuzz } from '../../test/helpers/fuzz.js';
import { needTools } from '../../test/helpers/tools.js';
import { CATALOGUE, formatEntry, identify, lastIdentifyStats } from './index.js';
import type { BlockDevice } from '../block/device.js';

/** identify that fails the test on any exception an entry throws (identify itself swallows them). */
async function strictIdentify(dev: BlockDevice, all = true) {
  const errors: string[] = [];
  const found = await identify(dev, { all, onError: (e, err) => errors.push(`${e.id}: ${(err as Error)?.stack ?? err}`) });
  assert.deepEqual(errors, []);
  return found;
}

/** The first `n` bytes of a file (images are sparse and large; signatures sit near the start). */
async function head(path: string, n: number): Promise<Uint8Array> {
  const fh = await open(path);
  try {
    const st = await fh.stat();
    const buf = new Uint8Array(Math.min(n, st.size));
    await fh.read(buf, 0, buf.length, 0);
    return buf;
  } finally {
    await fh.close();
  }
}

test('catalogue ids are unique and every entry has a signature', () => {
  const ids = CATALOGUE.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const e of CATALOGUE) assert.ok(e.signatures.length > 0, e.id);
  assert.equal(formatEntry('qcow2')?.kind, 'container');
  assert.equal(formatEntry('nope'), undefined);
  assert.ok(CATALOGUE.length >= 60);
});

test('tiny and empty devices are "unknown", never an error', async () => {
  for (const size of [0, 1, 2, 511, 512, 513, 1023, 4097]) {
    assert.deepEqual(await strictIdentify(MemoryDevice.zeroed(size)), [], `size ${size}`);
    const ff = new MemoryDevice(new Uint8Array(size).fill(0xff));
    await strictIdentify(ff);
  }
});

test('a device that fails every read is "unknown"', async () => {
  const broken: BlockDevice = {
    size: 1 << 20,
    sectorSize: 512,
    readOnly: true,
    read: async () => {
      throw new FsError('EIO', 'broken: read failed');
    },
    write: async () => {},
    flush: async () => {},
    close: async () => {},
  };
  assert.deepEqual(await identify(broken, { all: true }), []);
});

test('sizes that are not a multiple of 512 still find end-of-device signatures', async () => {
  // A VHD footer in the last 512 bytes of a 100003-byte device.
  const bytes = new Uint8Array(100003);
  const foot = bytes.length - 512;
  bytes.set(new TextEncoder().encode('conectix'), foot);
  new DataView(bytes.buffer).setUint32(foot + 60, 2, false); // fixed disk
  new DataView(bytes.buffer).setUint32(foot + 52, 99328, false); // current size (low word)
  const [best] = await strictIdentify(new MemoryDevice(bytes));
  assert.equal(best?.id, 'vpc');
  assert.equal(best?.version, 'fixed');
  assert.equal(best?.size, 99328);
});

test('reads are bounded and coalesced', async () => {
  const dev = MemoryDevice.zeroed(1 << 30);
  await strictIdentify(dev);
  assert.ok(lastIdentifyStats.bytesRead <= 4 << 20, `read ${lastIdentifyStats.bytesRead} bytes`);
  assert.ok(lastIdentifyStats.reads <= 64, `${lastIdentifyStats.reads} device reads`);
});

test('kinds filter and best-only default', async () => {
  const root = await fixture('detect/partitions.sh');
  const bytes = await readFile(join(root, 'blkid', 'hybrid-mbr.iso'));
  const dev = new MemoryDevice(new Uint8Array(bytes));
  const best = await strictIdentify(dev, false);
  assert.equal(best.length, 1);
  assert.equal(best[0]!.id, 'iso9660');
  const tables = await identify(dev, { kinds: ['partition-table'] });
  assert.deepEqual(tables.map((t) => t.id), ['mbr']);
});

test('look-alikes: FAT vs MBR, hybrid ISO, ext4 in a partition, tar of ext4, zip with 55AA', { skip: needTools('mkfs.fat', 'sfdisk', 'xorriso', 'mkfs.ext4', 'tar') }, async () => {
  const fs = await fixture('detect/filesystems.sh');
  const pt = await fixture('detect/partitions.sh');
  const ar = await fixture('detect/archives.sh');
  const ids = async (path: string) => (await strictIdentify(new MemoryDevice(await head(path, 8 << 20)))).map((m) => m.id);
  // A FAT boot sector ends in 55AA like an MBR; it is FAT only.
  assert.deepEqual(await ids(join(fs, 'blkid', 'fat16.img')), ['vfat']);
  // An MBR whose partition holds FAT: the disk is an MBR only.
  assert.deepEqual(await ids(join(pt, 'blkid', 'mbr-fat.img')), ['mbr']);
  // Hybrid ISOs: the ISO and its partition table, both.
  assert.deepEqual(await ids(join(pt, 'blkid', 'hybrid-mbr.iso')), ['iso9660', 'mbr']);
  assert.deepEqual(await ids(join(pt, 'blkid', 'hybrid-gpt.iso')), ['iso9660', 'gpt']);
  // ext4 inside a GPT partition is not seen at the disk level.
  assert.deepEqual(await ids(join(pt, 'blkid', 'gpt-ext4.img')), ['gpt']);
  // A tar holding an ext4 image is a tar; a zip with 55AA at 510 is a zip.
  assert.deepEqual(await ids(join(ar, 'file', 'tar-of-ext4.tar')), ['tar']);
  assert.deepEqual(await ids(join(ar, 'file', 'zip-55aa.zip')), ['zip']);
});

test('fuzz: identify never throws on mutated real images', { skip: needTools('mkfs.fat', 'mkfs.ext4', 'qemu-img', 'sfdisk') }, async () => {
  const fs = await fixture('detect/filesystems.sh');
  const pt = await fixture('detect/partitions.sh');
  const ct = await fixture('detect/containers.sh');
  const bases: Array<[string, number, Array<[number, number]>]> = [
    [join(fs, 'blkid', 'fat32.img'), 128 << 10, [[0, 512], [512 * 32, 512 * 34]]],
    [join(fs, 'blkid', 'ext4.img'), 128 << 10, [[1024, 2048]]],
    [join(fs, 'blkid', 'iso-joliet.iso'), 128 << 10, [[32768, 40960]]],
    [join(fs, 'blkid', 'udf.img'), 160 << 10, [[32768, 40960], [256 * 512, 257 * 512]]],
    [join(fs, 'blkid', 'ntfs.img'), 64 << 10, [[0, 512]]],
    [join(fs, 'blkid', 'exfat.img'), 64 << 10, [[0, 512]]],
    [join(pt, 'blkid', 'gpt.img'), 64 << 10, [[0, 1024], [1024, 17408]]],
    [join(ct, 'qemu', 'qcow2.img'), 64 << 10, [[0, 512]]],
    [join(fs, 'blkid', 'md-1.2.img'), 64 << 10, [[4096, 4608]]],
  ];
  let seed = 7;
  for (const [path, n, hotspots] of bases) {
    const base = await head(path, n);
    const result = await fuzz({
      base,
      seed: seed++,
      iterations: 300,
      timeBudgetMs: 1500,
      hotspots,
      run: async (bytes) => {
        await strictIdentify(new MemoryDevice(bytes));
        assert.ok(lastIdentifyStats.bytesRead <= 4 << 20);
      },
    });
    assert.ok(result.cases > 0);
    assert.equal(result.fsErrors, 0, 'identify turns every failure into "no match"');
  }
});

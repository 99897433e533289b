// Reads FAT12/16/32 images made by mkfs.fat and filled by mcopy, and compares every name,
// type, size, content hash and time with what mtools (mcopy -m extraction, mlabel, fsck.fat)
// and 7-Zip (7z l -slt) say is inside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixture, fixturesDir } from '../../../test/helpers/fixtures.js';
import { needTools, run } from '../../../test/helpers/tools.js';
import { fmt7z, parse7z, readWhole, walkFs, walkHost } from '../../../test/fat/truth.js';
import { CountingDevice } from '../../../test/helpers/counting-device.js';
import { FileDevice } from '../../node/file-device.js';
import type { BlockDevice } from '../../block/device.js';
import { FatFileSystem } from './filesystem.js';
import { fatDriver } from './index.js';
import { driverFor } from '../drivers.js';

const skip = needTools('mkfs.fat', 'mcopy', 'mlabel', 'fsck.fat', '7z', 'python3');
const treeHash = createHash('sha256').update(await readFile(join(fixturesDir, 'fat/tree.py'))).digest('hex').slice(0, 12);
const dir = skip ? '' : await fixture('fat/read.sh', [treeHash]);

const IMAGES = [
  { name: 'fat12', type: 12, label: 'FLOPPY12' },
  { name: 'fat16', type: 16, label: 'DISK16' },
  { name: 'fat16-4k', type: 16, label: 'SECTOR4K' },
  { name: 'fat32', type: 32, label: 'Vol32' },
];

async function open(name: string, options = {}): Promise<{ fs: FatFileSystem; dev: BlockDevice }> {
  const dev = await FileDevice.open(join(dir, `${name}.img`));
  return { fs: await FatFileSystem.open(dev, options), dev };
}

for (const img of IMAGES) {
  test(`fat read ${img.name}: names, types, sizes and contents equal the mcopy extraction`, { skip }, async () => {
    const { fs, dev } = await open(img.name);
    try {
      assert.equal(fs.fatType, img.type);
      const ours = await walkFs(fs);
      const truth = await walkHost(join(dir, `${img.name}.out`));
      assert.deepEqual([...ours.keys()].sort(), [...truth.keys()].sort());
      for (const [path, t] of truth) {
        const o = ours.get(path)!;
        assert.equal(o.type, t.type, path);
        if (t.type === 'file') {
          assert.equal(o.size, t.size, `${path}: size`);
          assert.equal(o.sha256, t.sha256, `${path}: content`);
        }
        // mcopy -m gives files and directories the entry's mtime (2-second steps).
        assert.equal(o.stat.mtime.sec, t.mtimeSec, `${path}: mtime`);
      }
      assert.ok(ours.size > 1000);
      assert.deepEqual(fs.warnings, []);
    } finally {
      await fs.destroy();
      await dev.close();
    }
  });

  test(`fat read ${img.name}: times, attributes and short names equal 7-Zip's listing`, { skip }, async () => {
    const { fs, dev } = await open(img.name);
    try {
      const ours = await walkFs(fs, { contents: false });
      const listing = parse7z(await readFile(join(dir, `${img.name}.7z.txt`), 'utf8'));
      assert.equal(listing.size, ours.size);
      let aliases = 0;
      for (const [path, z] of listing) {
        const o = ours.get(path);
        assert.ok(o, `7-Zip lists ${path}, we do not`);
        assert.equal(o.type === 'dir', z.folder, path);
        if (!z.folder) assert.equal(o.size, z.size, path);
        assert.equal(fmt7z(o.stat.mtime.sec), z.modified, `${path}: mtime`);
        assert.equal(fmt7z(o.stat.btime!.sec, o.stat.btime!.nsec / 1e7), z.created, `${path}: creation time`);
        assert.equal(fmt7z(o.stat.atime.sec), z.accessed, `${path}: access date`);
        assert.equal((o.stat.mode & 0o200) === 0, z.attributes.includes('R'), `${path}: read-only attribute`);
        // Every entry can also be found by its 8.3 alias (case-insensitively), as the same inode.
        if (/^[\x20-\x7e]+$/.test(z.shortName)) {
          const slash = path.lastIndexOf('/');
          const parent = slash < 0 ? fs.rootIno : ours.get(path.slice(0, slash))!.ino;
          const viaShort = await fs.lookup(parent, z.shortName.toLowerCase());
          assert.equal(viaShort.ino, o.ino, `${path}: lookup by short name ${z.shortName}`);
          aliases++;
        }
      }
      assert.ok(aliases > 1000);
    } finally {
      await fs.destroy();
      await dev.close();
    }
  });

  test(`fat read ${img.name}: label, statfs and readdir cookies`, { skip }, async () => {
    const { fs, dev } = await open(img.name);
    try {
      const label = (await readFile(join(dir, `${img.name}.label`), 'utf8')).replace(/^ Volume label is /, '').trimEnd();
      assert.equal(label, img.label);
      assert.equal(await fs.label(), label);
      // fsck.fat: "IMAGE: N files, USED/TOTAL clusters"
      const m = /(\d+)\/(\d+) clusters/.exec(await readFile(join(dir, `${img.name}.fsck.txt`), 'utf8'))!;
      const st = await fs.statfs();
      assert.equal(st.blocks, Number(m[2]));
      assert.equal(st.bfree, Number(m[2]) - Number(m[1]));
      // Resuming from every cookie of the 1,000-entry directory gives the rest of the listing.
      const big = await fs.lookup(fs.rootIno, 'thousand');
      const all = await fs.readdir(big.ino, 0, 0);
      assert.equal(all.length, 1002);
      for (let i = 0; i < all.length; i += 97) {
        const rest = await fs.readdir(big.ino, 0, all[i]!.next);
        assert.deepEqual(rest.map((e) => e.name), all.slice(i + 1).map((e) => e.name));
      }
      // Case-insensitive lookups find the same inode.
      const a = await fs.lookup(fs.rootIno, 'MiXeD.TxT');
      const b = await fs.lookup(fs.rootIno, 'mixed.txt');
      const c = await fs.lookup(fs.rootIno, 'CAFÉ CRÈME.TXT');
      assert.equal(a.ino, b.ino);
      assert.equal(c.attr.size, 13);
      await assert.rejects(fs.lookup(fs.rootIno, 'missing'), { code: 'ENOENT' });
      await assert.rejects(fs.lookup(a.ino, 'x'), { code: 'ENOTDIR' });
      await assert.rejects(fs.read(big.ino, 0, new Uint8Array(1), 0), { code: 'EISDIR' });
      await assert.rejects(fs.write!(a.ino, 0, new Uint8Array(1), 0), { code: 'EROFS' });
      assert.equal(fs.capabilities.write, false);
    } finally {
      await fs.destroy();
      await dev.close();
    }
  });
}

test('fat read: a contiguous 3 MiB file is read in a few device requests', { skip }, async () => {
  const dev = await FileDevice.open(join(dir, 'fat32.img'));
  const counting = new CountingDevice(dev);
  const fs = await FatFileSystem.open(counting);
  try {
    const e = await fs.lookup(fs.rootIno, 'big.bin');
    await readWhole(fs, e.ino, e.attr.size, 1 << 20); // maps the chain (FAT chunks) on the way
    counting.reads = 0;
    const data = await readWhole(fs, e.ino, e.attr.size, e.attr.size);
    assert.equal(data.length, 3 * 1024 * 1024 + 123);
    assert.ok(counting.reads <= 2, `${counting.reads} device reads for one 3 MiB read`);
  } finally {
    await dev.close();
  }
});

test('fat read: uid, gid, masks and time zone options shape attributes', { skip }, async () => {
  const { fs, dev } = await open('fat16', { uid: 1000, gid: 100, fmask: 0o133, dmask: 0o022, tz: 120 });
  const utc = await FatFileSystem.open(dev);
  try {
    const f = await fs.lookup(fs.rootIno, 'README.TXT');
    const d = await fs.lookup(fs.rootIno, 'deep');
    assert.equal(f.attr.mode, 0o100644);
    assert.equal(d.attr.mode, 0o040755);
    assert.equal(f.attr.uid, 1000);
    assert.equal(f.attr.gid, 100);
    // On-disk local times two hours east of UTC are two hours earlier in UTC.
    const g = await utc.lookup(utc.rootIno, 'README.TXT');
    assert.equal(f.attr.mtime.sec, g.attr.mtime.sec - 7200);
    assert.equal(g.attr.mtime.sec, 1_600_000_000); // touched at ...001: FAT keeps 2-second steps
    assert.equal(f.attr.blksize, 2048);
    assert.equal(f.attr.blocks, 4);
    assert.equal(d.attr.nlink, 3);
  } finally {
    await dev.close();
  }
});

test('fat driver: registered for vfat, options parsed and checked', { skip }, async () => {
  // The registry entry loads this driver on first use.
  assert.equal(await driverFor('vfat')?.load?.(), fatDriver);
  const dev = await FileDevice.open(join(dir, 'fat12.img'));
  try {
    const fs = await fatDriver.open(dev, { options: { uid: '7', umask: '077', tz: '+01:00', codepage: '850' } });
    const st = await fs.getattr(fs.rootIno);
    assert.equal(st.uid, 7);
    assert.equal(st.mode, 0o040700);
    await assert.rejects(fatDriver.open(dev, { options: { umask: '999' } }), { code: 'EINVAL' });
    await assert.rejects(fatDriver.open(dev, { options: { nosuch: '1' } }), { code: 'EINVAL' });
    await assert.rejects(fatDriver.open(dev, { options: { codepage: '1234' } }), { code: 'EINVAL' });
    await assert.rejects(fatDriver.open(dev, { write: true }), { code: 'EROFS' });
  } finally {
    await dev.close();
  }
});

test('fat read: every 8.3 alias mdir shows (code page 850, as mtools writes) finds the same file', { skip }, async () => {
  const listing = await run('bash', ['-c', 'LC_ALL=C.UTF-8 mdir -a -i "$1" ::/', 'x', join(dir, 'fat16.img')]);
  const { fs, dev } = await open('fat16', { codepage: '850' });
  try {
    let checked = 0;
    for (const line of listing.split('\n')) {
      const m = /^(.{8}) (.{3}) +(?:<DIR>|\d+) +\d{4}-\d\d-\d\d +\d+:\d\d(?:  (.*?))? *$/.exec(line);
      if (!m || m[1]!.startsWith('.')) continue;
      const ext = m[2]!.trimEnd();
      const alias = m[1]!.trimEnd() + (ext ? `.${ext}` : '');
      const shown = m[3] ?? alias;
      if (shown.includes('\ufffd')) continue;
      const a = await fs.lookup(fs.rootIno, alias);
      if (m[3] !== undefined && !/[^\x20-\x7e]/.test(m[3])) assert.equal(a.ino, (await fs.lookup(fs.rootIno, shown)).ino, `${alias} vs ${shown}`);
      checked++;
    }
    assert.ok(checked >= 20, `${checked}`);
    // The non-ASCII aliases decode through the code page: É is 0x90 in 850.
    assert.equal((await fs.lookup(fs.rootIno, 'cafécr~1.txt')).attr.size, 13);
  } finally {
    await dev.close();
  }
});

// Hand-made hostile images: real images from mkfs.fat + mcopy with one structure broken on
// purpose. Every case must end in an FsError naming the structure (or a warning and a
// fallback, where Linux falls back), never a crash, a hang or a wrong answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needTools } from '../../../test/helpers/tools.js';
import { walkFs } from '../../../test/fat/truth.js';
import { MemoryDevice } from '../../block/memory.js';
import { FsError } from '../../errors.js';
import { parseBootSector, type FatGeometry } from './boot-sector.js';
import { shortNameChecksum } from './dirent.js';
import { FatFileSystem } from './filesystem.js';

const skip = needTools('mkfs.fat', 'mcopy');
const dir = skip ? '' : await fixture('fat/small.sh');

/** An image in memory with helpers to find and break its structures. */
class Img {
  readonly bytes: Uint8Array;
  readonly geo: FatGeometry;
  readonly view: DataView;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.geo = parseBootSector(bytes.subarray(0, 512));
  }
  static async load(type: number): Promise<Img> {
    return new Img(new Uint8Array(await readFile(join(dir, `fat${type}.img`))));
  }
  clusterOffset(c: number): number {
    return this.geo.dataOffset + (c - 2) * this.geo.clusterSize;
  }
  rootRegion(): [number, number] {
    return this.geo.fatType === 32 ? [this.clusterOffset(this.geo.RootClus), this.geo.clusterSize] : [this.geo.rootDirOffset, this.geo.rootDirBytes];
  }
  /** Offset of the short entry named `name11` (padded 8.3) in the region. */
  entry(name11: string, region = this.rootRegion()): number {
    const [start, len] = region;
    for (let at = start; at < start + len; at += 32) {
      if (String.fromCharCode(...this.bytes.subarray(at, at + 11)) === name11) return at;
    }
    throw new Error(`no entry ${name11}`);
  }
  firstCluster(entryAt: number): number {
    return (this.geo.fatType === 32 ? this.view.getUint16(entryAt + 20, true) << 16 : 0) | this.view.getUint16(entryAt + 26, true);
  }
  setFirstCluster(entryAt: number, c: number): void {
    this.view.setUint16(entryAt + 20, c >>> 16, true);
    this.view.setUint16(entryAt + 26, c & 0xffff, true);
  }
  subdir(name11: string): [number, number] {
    return [this.clusterOffset(this.firstCluster(this.entry(name11))), this.geo.clusterSize];
  }
  fat(n: number): number {
    const base = this.geo.fatOffset;
    if (this.geo.fatType === 32) return this.view.getUint32(base + n * 4, true) & 0x0fffffff;
    if (this.geo.fatType === 16) return this.view.getUint16(base + n * 2, true);
    const v = this.view.getUint16(base + Math.floor((n * 3) / 2), true);
    return n & 1 ? v >> 4 : v & 0xfff;
  }
  /** Sets FAT entry n in every copy. */
  setFat(n: number, value: number): void {
    for (let copy = 0; copy < this.geo.NumFATs; copy++) {
      const base = this.geo.fatOffset + copy * this.geo.fatBytes;
      if (this.geo.fatType === 32) this.view.setUint32(base + n * 4, value, true);
      else if (this.geo.fatType === 16) this.view.setUint16(base + n * 2, value, true);
      else {
        const at = base + Math.floor((n * 3) / 2);
        const v = this.view.getUint16(at, true);
        this.view.setUint16(at, n & 1 ? (v & 0x000f) | (value << 4) : (v & 0xf000) | (value & 0xfff), true);
      }
    }
  }
  async open(write = false): Promise<FatFileSystem> {
    return FatFileSystem.open(new MemoryDevice(this.bytes), { write });
  }
}

async function expectEio(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof FsError, `not an FsError: ${String(e)}`);
    assert.equal(e.code, 'EIO', e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

async function readPath(fs: FatFileSystem, path: string): Promise<Uint8Array> {
  let ino = fs.rootIno;
  for (const part of path.split('/')) ino = (await fs.lookup(ino, part)).ino;
  const st = await fs.getattr(ino);
  const buf = new Uint8Array(Math.min(st.size, 1 << 20));
  return buf.subarray(0, await fs.read(ino, 0, buf, 0));
}

const BPB_CASES: Array<[string, (img: Img) => void, RegExp]> = [
  ['0 bytes per sector', (i) => i.view.setUint16(0x0b, 0, true), /BPB_BytsPerSec/],
  ['1000 bytes per sector', (i) => i.view.setUint16(0x0b, 1000, true), /BPB_BytsPerSec/],
  ['0 sectors per cluster', (i) => (i.bytes[0x0d] = 0), /BPB_SecPerClus/],
  ['3 sectors per cluster', (i) => (i.bytes[0x0d] = 3), /BPB_SecPerClus/],
  ['no reserved sectors', (i) => i.view.setUint16(0x0e, 0, true), /BPB_RsvdSecCnt/],
  ['no FATs', (i) => (i.bytes[0x10] = 0), /BPB_NumFATs/],
  ['a bad media byte', (i) => (i.bytes[0x15] = 0x12), /BPB_Media/],
  ['FAT size 0', (i) => {
    i.view.setUint16(0x16, 0, true);
    i.view.setUint32(0x24, 0, true);
  }, /FAT size is 0/],
  ['0 total sectors', (i) => {
    i.view.setUint16(0x13, 0, true);
    i.view.setUint32(0x20, 0, true);
  }, /total sector count/],
  ['a data area past the end of the volume', (i) => {
    if (i.view.getUint16(0x13, true)) i.view.setUint16(0x13, 10, true);
    else i.view.setUint32(0x20, 10, true);
  }, /data area/],
  ['a zeroed boot sector', (i) => i.bytes.fill(0, 0, 512), /BPB_BytsPerSec/],
];

for (const type of [12, 16, 32]) {
  for (const [what, breakIt, pattern] of BPB_CASES) {
    test(`fat hostile FAT${type}: boot sector with ${what} is EIO`, { skip }, async () => {
      const img = await Img.load(type);
      breakIt(img);
      await expectEio(img.open(), pattern);
    });
  }

  test(`fat hostile FAT${type}: a chain that loops is EIO on read`, { skip }, async () => {
    const img = await Img.load(type);
    const a = img.firstCluster(img.entry('A       TXT'));
    img.setFat(a + 1, a); // A: a → a+1 → a …
    const fs = await img.open();
    await expectEio(readPath(fs, 'A.TXT'), /loops back/);
    assert.equal((await readPath(fs, 'B.TXT')).length, 700);
  });

  test(`fat hostile FAT${type}: a chain past the cluster count, into free or reserved clusters, or ending early is EIO`, { skip }, async () => {
    const count = (await Img.load(type)).geo.clusterCount;
    for (const [value, pattern] of [
      [count + 10, /outside clusters/],
      [0, /marked free/],
      [1, /outside clusters/],
      [type === 12 ? 0xff7 : type === 16 ? 0xfff7 : 0x0ffffff7, /marked bad/],
      [type === 12 ? 0xfff : type === 16 ? 0xffff : 0x0fffffff, /holds only 2 clusters/],
    ] as Array<[number, RegExp]>) {
      const img = await Img.load(type);
      const a = img.firstCluster(img.entry('A       TXT'));
      img.setFat(a + 1, value);
      await expectEio(readPath(await img.open(), 'A.TXT'), pattern);
    }
  });

  test(`fat hostile FAT${type}: a first cluster outside the data area is EIO`, { skip }, async () => {
    const img = await Img.load(type);
    img.setFirstCluster(img.entry('A       TXT'), 0x0ffffff0 & (type === 32 ? 0x0fffffff : 0xffff));
    await expectEio(readPath(await img.open(), 'A.TXT'), /first cluster/);
  });

  test(`fat hostile FAT${type}: a directory containing itself or its parent is EIO, not a loop`, { skip }, async () => {
    const img = await Img.load(type);
    const deeper = img.entry('DEEPER~1   ', img.subdir('SUB        '));
    const sub = img.firstCluster(img.entry('SUB        '));
    img.setFirstCluster(deeper, sub);
    const fs = await img.open();
    const s = await fs.lookup(fs.rootIno, 'SUB');
    const d = await fs.lookup(s.ino, 'Deeper Dir');
    await expectEio(fs.readdir(d.ino, 0, 0), /directory loop/);
    // A bounded walk of the whole tree terminates.
    const listing = await walkFs(fs, { maxDepth: 8 }).catch((e: unknown) => {
      assert.ok(e instanceof FsError);
      return undefined;
    });
    void listing;
  });

  test(`fat hostile FAT${type}: a directory whose cluster chain loops is EIO`, { skip }, async () => {
    const img = await Img.load(type);
    const sub = img.firstCluster(img.entry('SUB        '));
    img.setFat(sub, sub);
    const fs = await img.open();
    const s = await fs.lookup(fs.rootIno, 'SUB');
    await expectEio(fs.readdir(s.ino, 0, 0), /loops back/);
  });

  test(`fat hostile FAT${type}: long names with bad checksums, broken order or '/' fall back to the 8.3 name`, { skip }, async () => {
    for (const [what, breakIt] of [
      ['checksum', (b: Uint8Array, lfn: number) => (b[lfn + 13] = b[lfn + 13]! ^ 0xff)],
      ['order', (b: Uint8Array, lfn: number) => (b[lfn] = 0x43)],
      ['slash', (b: Uint8Array, lfn: number) => (b[lfn + 1] = 0x2f)],
      ['nul', (b: Uint8Array, lfn: number) => (b[lfn + 3] = 0)],
    ] as Array<[string, (b: Uint8Array, lfn: number) => void]>) {
      const img = await Img.load(type);
      const short = img.entry('LONGFI~1TXT', img.subdir('SUB        '));
      // 'Long File Name.txt' is 18 units: two LFN slots before the short entry; break the first one on disk.
      const lfn = short - 64;
      assert.equal(img.bytes[lfn + 13], shortNameChecksum(img.bytes.subarray(short, short + 11)));
      breakIt(img.bytes, lfn);
      const fs = await img.open();
      const s = await fs.lookup(fs.rootIno, 'SUB');
      const names = (await fs.readdir(s.ino, 0, 0)).map((e) => e.name);
      if (what === 'nul') {
        // A NUL ends the name early: the shorter name is valid, and is what Linux shows too.
        assert.ok(names.includes('Long File Name'), `${what}: ${names.join(', ')}`);
        continue;
      } else {
        assert.ok(names.includes('LONGFI~1.TXT'), `${what}: ${names.join(', ')}`);
        assert.ok(fs.warnings.length > 0, what);
      }
      assert.ok(!names.some((n) => n.includes('/') || n.includes('\0')));
      assert.equal(new TextDecoder().decode(await readPath(fs, 'SUB/LONGFI~1.TXT')), 'long');
    }
  });

  test(`fat hostile FAT${type}: entries named '.', '..' or holding '/' outside their slots are skipped with a warning`, { skip }, async () => {
    const img = await Img.load(type);
    const c = img.entry('C       TXT', img.subdir('SUB        '));
    img.bytes.set(new TextEncoder().encode('..         '), c);
    const b = img.entry('B       TXT');
    img.bytes.set(new TextEncoder().encode('B/X     TXT'), b);
    const fs = await img.open();
    const s = await fs.lookup(fs.rootIno, 'SUB');
    const sub = (await fs.readdir(s.ino, 0, 0)).map((e) => e.name);
    assert.deepEqual(sub.filter((n) => n === '..').length, 1);
    const root = (await fs.readdir(fs.rootIno, 0, 0)).map((e) => e.name);
    assert.ok(!root.some((n) => n.includes('/')), root.join(', '));
    assert.ok(fs.warnings.some((w) => /skipped/.test(w)), fs.warnings.join('\n'));
  });

  test(`fat hostile FAT${type}: cross-linked files read fine, but writes and frees that would spread the damage are refused`, { skip }, async () => {
    const img = await Img.load(type);
    const a = img.firstCluster(img.entry('A       TXT'));
    img.setFirstCluster(img.entry('B       TXT'), a); // B now shares A's clusters
    const fs = await img.open(true);
    assert.equal(new TextDecoder().decode(await readPath(fs, 'B.TXT')), 'a'.repeat(700));
    const eA = await fs.lookup(fs.rootIno, 'A.TXT');
    await expectEio(fs.write!(eA.ino, 0, new Uint8Array(10), 0), /cross-linked/);
    await expectEio(fs.setattr!(eA.ino, { size: 0 }), /cross-linked/);
    // Removing a cross-linked file drops its name but leaves the clusters to fsck.fat.
    await fs.unlink!(fs.rootIno, 'B.TXT');
    assert.equal((await readPath(fs, 'A.TXT')).length, 1500);
    const f = await fs.create!(fs.rootIno, 'new.txt', 0o644, 0, { uid: 0, gid: 0 });
    await fs.write!(f.entry.ino, f.fh, new Uint8Array(5000).fill(7), 0);
    assert.deepEqual(await readPath(fs, 'A.TXT'), new Uint8Array(1500).fill(0x61));
    assert.ok(fs.warnings.some((w) => /cross-linked/.test(w)));
  });

  test(`fat hostile FAT${type}: a truncated image reads what it holds and is EIO past its end`, { skip }, async () => {
    const img = await Img.load(type);
    const a = img.firstCluster(img.entry('A       TXT'));
    const cut = new Img(img.bytes.slice(0, img.clusterOffset(a) + 100));
    const fs = await cut.open();
    await expectEio(readPath(fs, 'A.TXT'), /past the end/);
    // Cut inside the FAT: refused at open.
    await expectEio(new Img(img.bytes.slice(0, img.geo.fatOffset + 10)).open(), /past the end/);
  });
}

test('fat hostile FAT32: a directory pointing at the root cluster, and a root cluster out of range', { skip }, async () => {
  const img = await Img.load(32);
  img.setFirstCluster(img.entry('SUB        '), img.geo.RootClus);
  const fs = await img.open();
  const s = await fs.lookup(fs.rootIno, 'SUB');
  await expectEio(fs.readdir(s.ino, 0, 0), /directory loop/);
  const bad = await Img.load(32);
  bad.view.setUint32(0x2c, 0x0ffffff0, true);
  await expectEio(bad.open(), /BPB_RootClus/);
});

test('fat hostile FAT32: a directory chain longer than 65536 entries is EIO', { skip }, async () => {
  const img = await Img.load(32);
  const sub = img.firstCluster(img.entry('SUB        '));
  // Link 4200 free clusters (2.1 MB of 512-byte clusters) after the directory's one.
  let prev = sub;
  for (let c = 30000; c < 34200; c++) {
    img.setFat(prev, c);
    prev = c;
  }
  img.setFat(prev, 0x0fffffff);
  const fs = await img.open();
  const s = await fs.lookup(fs.rootIno, 'SUB');
  await expectEio(fs.readdir(s.ino, 0, 0), /longer than 65536 entries/);
});

test('fat hostile: a FAT shorter than the cluster count is clamped with a warning, like Linux', { skip }, async () => {
  const img = await Img.load(16);
  img.view.setUint16(0x16, 2, true); // 2 sectors of FAT: 512 entries
  const fs = await img.open();
  assert.ok(fs.warnings.some((w) => /FAT holds only/.test(w)));
  assert.equal((await fs.statfs()).blocks, 510);
});

test('fat hostile: a file whose size exceeds its chain is EIO, a dirty volume is reported', { skip }, async () => {
  const img = await Img.load(16);
  img.view.setUint32(img.entry('B       TXT') + 28, 0xffffffff, true);
  img.bytes[0x25] = 1;
  const fs = await img.open();
  await expectEio(readPath(fs, 'B.TXT'), /holds only 2 clusters/);
  assert.ok(fs.warnings.some((w) => /not cleanly unmounted/.test(w)));
});

test('fat FAT32 with mirroring off reads and writes only the active FAT', { skip }, async () => {
  const img = await Img.load(32);
  img.view.setUint16(0x28, 0x81, true); // BPB_ExtFlags: mirroring off, FAT 1 active
  img.bytes.fill(0xff, img.geo.fatOffset + 8, img.geo.fatOffset + 4096); // FAT 0 is garbage
  const fs = await img.open(true);
  assert.equal(new TextDecoder().decode(await readPath(fs, 'A.TXT')), 'a'.repeat(1500));
  const f = await fs.create!(fs.rootIno, 'fresh.bin', 0o644, 0, { uid: 0, gid: 0 });
  await fs.write!(f.entry.ino, f.fh, new Uint8Array(2000).fill(5), 0);
  await fs.destroy!();
  const again = await new Img(img.bytes).open();
  assert.deepEqual(await readPath(again, 'fresh.bin'), new Uint8Array(2000).fill(5));
  assert.ok(img.bytes.subarray(img.geo.fatOffset + 8, img.geo.fatOffset + 4096).every((b) => b === 0xff), 'FAT 0 untouched');
});

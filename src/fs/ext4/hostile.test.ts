// Hostile ext2/3/4 images, made by hand from real mke2fs images: every
// corruption is an FsError with an errno and a message naming the
// structure (or, where the kernel would also carry on, a warning), never a
// crash or a hang. Images with checksums are opened with ignore-checksums
// so the structural checks behind them are what answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryDevice } from '../../block/memory.js';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needTools } from '../../../test/helpers/tools.js';
import { Ext4FileSystem } from './index.js';

const skip = needTools('mke2fs', 'debugfs', 'e2fsck', 'python3');

type Img = 'csum4k' | 'ext2' | 'inline';
const cache = new Map<Img, Uint8Array>();

async function image(name: Img): Promise<Uint8Array> {
  let b = cache.get(name);
  if (!b) {
    b = new Uint8Array(await readFile(join(await fixture('ext4/small.sh'), `${name}.img`)));
    cache.set(name, b);
  }
  return b.slice();
}

const open = (b: Uint8Array): Promise<Ext4FileSystem> => Ext4FileSystem.open(new MemoryDevice(b, { readOnly: true }), { ignoreChecksums: true });
const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

async function ino(fs: Ext4FileSystem, path: string): Promise<number> {
  let i = fs.rootIno;
  for (const n of path.split('/')) i = (await fs.lookup(i, n)).ino;
  return i;
}

/** Byte offset of inode `n` in the image. */
async function inodeAt(b: Uint8Array, n: number): Promise<number> {
  const fs = await open(b);
  const sb = fs.superblock;
  const gd = await fs.volume.groups.get(Math.floor((n - 1) / sb.s_inodes_per_group));
  return gd.bg_inode_table * sb.blockSize + ((n - 1) % sb.s_inodes_per_group) * sb.s_inode_size;
}

/** Byte offset of logical block `lblk` of `path`. */
async function blockAt(b: Uint8Array, path: string, lblk = 0): Promise<number> {
  const fs = await open(b);
  const state = await fs.volume.inode(await ino(fs, path));
  const run = await fs.volume.mapper(state).map(lblk, 1);
  assert.ok(run.physical > 0);
  return run.physical * fs.superblock.blockSize;
}

async function readAll(fs: Ext4FileSystem, path: string): Promise<number> {
  const i = await ino(fs, path);
  const buf = new Uint8Array(1 << 20);
  let total = 0;
  for (let pos = 0; ; pos += buf.length) {
    const n = await fs.read(i, 0, buf, pos);
    total += n;
    if (n < buf.length) return total;
  }
}

async function names(fs: Ext4FileSystem, dir: number): Promise<string[]> {
  const out: string[] = [];
  for (let c = 0; ; ) {
    const batch = await fs.readdir(dir, 0, c, 50);
    if (!batch.length) return out;
    out.push(...batch.map((e) => e.name));
    c = batch[batch.length - 1]!.next;
  }
}

const SB = 1024;

test('ext4 hostile: superblocks that do not add up', { skip }, async () => {
  const base = await image('csum4k');
  const cases: Array<[string, (b: Uint8Array) => Uint8Array, string, RegExp]> = [
    ['truncated to half', (b) => b.slice(0, b.length / 2), 'EIO', /exceed the device.*truncated/],
    ['too small for a superblock', (b) => b.slice(0, 1500), 'EIO', /too small/],
    ['zeroed superblock', (b) => (b.fill(0, SB, SB + 1024), b), 'EIO', /bad magic 0x0/],
    ['encrypt feature', (b) => (dv(b).setUint32(SB + 0x60, dv(b).getUint32(SB + 0x60, true) | 0x10000, true), b), 'EOPNOTSUPP', /unsupported incompatible feature\(s\): encrypt \(0x10000\)/],
    ['dirdata feature', (b) => (dv(b).setUint32(SB + 0x60, dv(b).getUint32(SB + 0x60, true) | 0x1000, true), b), 'EOPNOTSUPP', /dirdata/],
    ['unknown incompat bit', (b) => (dv(b).setUint32(SB + 0x60, dv(b).getUint32(SB + 0x60, true) | 0x80000000, true), b), 'EOPNOTSUPP', /0x80000000/],
    ['block size 2^19', (b) => (dv(b).setUint32(SB + 0x18, 9, true), b), 'EIO', /block size/],
    ['no inodes per group', (b) => (dv(b).setUint32(SB + 0x28, 0, true), b), 'EIO', /s_inodes_per_group 0/],
    ['huge inodes per group', (b) => (dv(b).setUint32(SB + 0x28, 0xffffffff, true), b), 'EIO', /s_inodes_per_group/],
    ['no blocks per group', (b) => (dv(b).setUint32(SB + 0x20, 0, true), b), 'EIO', /blocks_per_group/],
    ['inode size 200', (b) => (dv(b).setUint16(SB + 0x58, 200, true), b), 'EIO', /inode size 200/],
    ['inode count not groups × per group', (b) => (dv(b).setUint32(SB + 0x0, 12345, true), b), 'EIO', /s_inodes_count 12345/],
    ['descriptor size 48', (b) => (dv(b).setUint16(SB + 0xfe, 48, true), b), 'EIO', /descriptor size 48/],
    ['first data block 5', (b) => (dv(b).setUint32(SB + 0x14, 5, true), b), 'EIO', /s_first_data_block 5/],
    ['revision 7', (b) => (dv(b).setUint32(SB + 0x4c, 7, true), b), 'EIO', /revision 7/],
    ['2^40 blocks', (b) => (dv(b).setUint32(SB + 0x150, 0x100, true), b), 'EIO', /exceed the device/],
  ];
  for (const [what, mutate, code, message] of cases) {
    await assert.rejects(open(mutate(base.slice())), { code, message }, what);
  }
  // An unknown read-only-compatible feature only forbids writing.
  const ro = base.slice();
  dv(ro).setUint32(SB + 0x64, dv(ro).getUint32(SB + 0x64, true) | 0x200000, true);
  const fs = await open(ro);
  assert.match(fs.warnings.join('\n'), /unknown read-only-compatible feature\(s\) 0x200000/);
  assert.ok((await names(fs, fs.rootIno)).includes('file'));
});

test('ext4 hostile: group descriptors and inodes', { skip }, async () => {
  for (const img of ['csum4k', 'ext2'] as const) {
    const base = await image(img);
    const bs = (await open(base)).superblock.blockSize;
    const gdt = (bs === 1024 ? 2 : 1) * bs;
    let b = base.slice();
    dv(b).setUint32(gdt + 0x8, 0xfffffff0, true);
    await assert.rejects(open(b), { code: 'EIO', message: /group descriptor 0 .*inode table at block 4294967280/ }, img);

    const root = await inodeAt(base, 2);
    b = base.slice();
    dv(b).setUint16(root, 0o100644, true);
    await assert.rejects(open(b), { code: 'EIO', message: /root inode 2 is not a directory/ });
    b = base.slice();
    dv(b).setUint16(root, 0, true);
    dv(b).setUint16(root + 0x1a, 0, true);
    await assert.rejects(open(b), { code: 'EIO', message: /inode 2: deleted or never used/ });
    b = base.slice();
    dv(b).setUint16(root, 0o170755, true);
    await assert.rejects(open(b), { code: 'EIO', message: /inode 2: bogus i_mode/ });

    const fs0 = await open(base);
    const file = await ino(fs0, 'file');
    const at = await inodeAt(base, file);
    b = base.slice();
    dv(b).setUint16(at + 0x80, 3, true);
    let fs = await open(b);
    await assert.rejects(fs.lookup(fs.rootIno, 'file'), { code: 'EIO', message: new RegExp(`inode ${file}: bad i_extra_isize 3`) });
    b = base.slice();
    dv(b).setUint32(at + 0x6c, 0xffffffff, true);
    fs = await open(b);
    await assert.rejects(fs.lookup(fs.rootIno, 'file'), { code: 'EIO', message: /impossible size/ });
    b = base.slice();
    dv(b).setUint32(at + 0x68, 0xfffffff0, true);
    fs = await open(b);
    await assert.rejects(fs.lookup(fs.rootIno, 'file'), { code: 'EIO', message: /xattr block 4294967280 lies outside the volume's data area/ });

    // Inode numbers a caller may pass that no directory could hold.
    await assert.rejects(fs0.getattr(0), { code: 'EIO', message: /inode number 0/ });
    await assert.rejects(fs0.getattr(5), { code: 'EIO', message: /inode number 5/ });
    await assert.rejects(fs0.getattr(2 ** 40), { code: 'EIO' });
  }
});

test('ext4 hostile: extent trees', { skip }, async () => {
  const base = await image('csum4k');
  const fs0 = await open(base);
  const data = await inodeAt(base, await ino(fs0, 'data'));
  const eh = data + 0x28;
  const cases: Array<[string, (b: Uint8Array) => void, RegExp]> = [
    ['depth 9', (b) => dv(b).setUint16(eh + 6, 9, true), /extent root \(i_block\): depth 9 exceeds 5/],
    ['bad magic', (b) => dv(b).setUint16(eh, 0x1234, true), /extent root \(i_block\): bad magic 0x1234/],
    ['entries over max', (b) => dv(b).setUint16(eh + 2, 5, true), /eh_entries 5 exceeds eh_max 4/],
    ['max over capacity', (b) => dv(b).setUint16(eh + 4, 50, true), /eh_max 50 is out of range/],
    ['extent past the end', (b) => dv(b).setUint32(eh + 12 + 8, 0xfffffff0, true), /lies outside the volume's data area/],
    ['extent over the superblock', (b) => (dv(b).setUint32(eh + 12 + 8, 0, true), dv(b).setUint16(eh + 12 + 6, 0, true)), /lies outside the volume's data area/],
    ['extent over the group descriptors', (b) => (dv(b).setUint32(eh + 12 + 8, 1, true), dv(b).setUint16(eh + 12 + 6, 0, true)), /extent 0 \(blocks 1\.\.\d+\) lies outside the volume's data area/],
  ];
  for (const [what, mutate, message] of cases) {
    const b = base.slice();
    mutate(b);
    const fs = await open(b);
    await assert.rejects(readAll(fs, 'data'), { code: 'EIO', message }, what);
  }
  // An index node that points at itself claims the wrong depth.
  const idx = await blockAt(base, 'fragmented', 0).then(async () => {
    const fs = await open(base);
    const st = await fs.volume.inode(await ino(fs, 'fragmented'));
    return dv(st.inode.i_block).getUint32(12 + 4, true);
  });
  const b = base.slice();
  const blockOff = idx * 4096;
  dv(b).setUint16(blockOff + 6, 1, true); // claims to be an index node …
  dv(b).setUint32(blockOff + 12 + 4, idx, true); // … whose child is itself
  const fs = await open(b);
  await assert.rejects(readAll(fs, 'fragmented'), { code: 'EIO', message: new RegExp(`extent block ${idx}: depth 1, expected 0`) });
});

test('ext4 hostile: block maps', { skip }, async () => {
  const base = await image('ext2');
  const fs0 = await open(base);
  const data = await inodeAt(base, await ino(fs0, 'data'));
  for (const [slot, what] of [[0, 'direct pointer'], [12, 'indirect pointer'], [13, 'double-indirect pointer']] as const) {
    const b = base.slice();
    dv(b).setUint32(data + 0x28 + slot * 4, 0xfffffff0, true);
    await assert.rejects(readAll(await open(b), 'data'), { code: 'EIO', message: new RegExp(`${what} points at block 4294967280`) });
  }
  // Inside the indirect block.
  const ind = dv(base).getUint32(data + 0x28 + 12 * 4, true);
  const b = base.slice();
  dv(b).setUint32(ind * 1024 + 40, 0x7fffffff, true);
  await assert.rejects(readAll(await open(b), 'data'), { code: 'EIO', message: /indirect block entry points at block 2147483647/ });
});

test('ext4 hostile: directory entries', { skip }, async () => {
  for (const img of ['csum4k', 'ext2'] as const) {
    const base = await image(img);
    const fs0 = await open(base);
    const dir = await ino(fs0, 'dir');
    const block = await blockAt(base, 'dir');
    // '.' (12) and '..' (12), then 'one' at 24.
    const cases: Array<[string, (b: Uint8Array) => void, RegExp]> = [
      ['rec_len 0', (b) => dv(b).setUint16(block + 24 + 4, 0, true), /rec_len 0 is smaller than an entry/],
      ['rec_len not a multiple of 4', (b) => dv(b).setUint16(block + 24 + 4, 14, true), /rec_len 14 is not a multiple of 4/],
      ['rec_len past the block', (b) => dv(b).setUint16(block + 24 + 4, 0xfff0, true), /rec_len 65520 runs past the end/],
      ['name longer than the entry', (b) => (b[block + 12 + 6] = 200), /rec_len \d+ is too small for name_len 200/],
      ['inode out of range', (b) => dv(b).setUint32(block + 24, 0xfffffff0, true), /inode 4294967280 is out of range/],
    ];
    for (const [what, mutate, message] of cases) {
      const b = base.slice();
      mutate(b);
      const fs = await open(b);
      await assert.rejects(fs.readdir(dir, 0, 0), { code: 'EIO', message: new RegExp(`directory inode ${dir}, block 0 offset \\d+: ${message.source}`) }, `${img}: ${what}`);
      await assert.rejects(fs.lookup(dir, 'one'), { code: 'EIO' }, `${img}: ${what} (lookup)`);
    }
    // Names no directory may hand out: skipped with a warning.
    for (const [what, name, warning] of [['slash', 'o/e', /name with '\/' or NUL skipped/], ['NUL', 'o\0e', /name with '\/' or NUL skipped/]] as const) {
      const b = base.slice();
      b.set(new TextEncoder().encode(name), block + 24 + 8);
      const fs = await open(b);
      assert.deepEqual((await names(fs, dir)).sort(), ['.', '..'], what);
      assert.match(fs.warnings.join('\n'), warning);
      await assert.rejects(fs.lookup(dir, 'one'), { code: 'ENOENT' });
    }
    // A stray '..' past the first two entries.
    const b = base.slice();
    b[block + 24 + 6] = 2;
    b.set(new TextEncoder().encode('..'), block + 24 + 8);
    const fs = await open(b);
    assert.deepEqual(await names(fs, dir), ['.', '..']);
    assert.match(fs.warnings.join('\n'), /stray '\.\.' entry skipped/);
  }
});

test('ext4 hostile: a directory that contains its ancestor is reported as stored; a bounded walk ends', { skip }, async () => {
  const base = await image('ext2');
  const block = await blockAt(base, 'dir');
  const b = base.slice();
  dv(b).setUint32(block + 24, 2, true); // dir/one → the root
  b[block + 24 + 7] = 2; // as a directory
  const fs = await open(b);
  const dir = await ino(fs, 'dir');
  assert.equal((await fs.lookup(dir, 'one')).ino, fs.rootIno);
  // A walk that remembers directories it has entered stops at the loop.
  const seen = new Set<number>();
  let steps = 0;
  const walk = async (d: number, depth: number): Promise<void> => {
    if (depth > 64 || seen.has(d)) return;
    seen.add(d);
    for (const e of await fs.readdir(d, 0, 0)) {
      if (e.name === '.' || e.name === '..' || ++steps > 10_000) continue;
      if (e.type === 4) await walk(e.ino, depth + 1);
    }
  };
  await walk(fs.rootIno, 0);
  assert.ok(seen.has(dir) && steps < 10_000);
});

test('ext4 hostile: htree indexes the kernel would ignore fall back to a linear search', { skip }, async () => {
  const base = await image('ext2');
  const root = await blockAt(base, 'big-dir');
  const cases: Array<[string, (b: Uint8Array) => void, RegExp]> = [
    ['five levels', (b) => (b[root + 24 + 6] = 4), /htree depth 5 exceeds 2/],
    ['hash version 6', (b) => (b[root + 24 + 4] = 6), /unsupported hash siphash/],
    ['count over limit', (b) => dv(b).setUint16(root + 34, 500, true), /count 500 is not in 1\.\.\d+/],
    ['child past the directory', (b) => dv(b).setUint32(root + 36, 9999, true), /htree points at block 9999, past the directory's end/],
  ];
  for (const [what, mutate, warning] of cases) {
    const b = base.slice();
    mutate(b);
    const fs = await open(b);
    const dir = await ino(fs, 'big-dir');
    for (let i = 1; i <= 200; i++) assert.ok((await fs.lookup(dir, `entry-with-a-long-name-${i}`)).ino > 0, what);
    await assert.rejects(fs.lookup(dir, 'absent'), { code: 'ENOENT' });
    assert.match(fs.warnings.join('\n'), warning, what);
  }
});

test('ext4 hostile: symlinks and xattrs', { skip }, async () => {
  const base = await image('csum4k');
  const fs0 = await open(base);
  const link = await inodeAt(base, await ino(fs0, 'link'));
  let b = base.slice();
  dv(b).setUint32(link + 0x4, 5000, true);
  await assert.rejects((await open(b)).readlink(await ino(fs0, 'link')), { code: 'EIO', message: /symlink length 5000/ });
  b = base.slice();
  b[link + 0x28 + 1] = 0;
  await assert.rejects((await open(b)).readlink(await ino(fs0, 'link')), { code: 'EIO', message: /contains NUL/ });
  b = base.slice();
  dv(b).setUint32(link + 0x4, 59, true);
  await assert.rejects((await open(b)).readlink(await ino(fs0, 'link')), { code: 'EIO', message: /NUL|symlink/ });

  const xa = await ino(fs0, 'xattrs');
  const blk = (await fs0.volume.inode(xa)).inode.i_file_acl * 4096;
  const cases: Array<[string, (b: Uint8Array) => void, RegExp]> = [
    ['bad magic', (b) => dv(b).setUint32(blk, 0x1234, true), /xattr block \d+: bad magic/],
    ['two blocks', (b) => dv(b).setUint32(blk + 8, 2, true), /h_blocks 2/],
    ['value past the end', (b) => dv(b).setUint16(blk + 32 + 2, 4090, true), /runs past the end/],
    ['huge value', (b) => dv(b).setUint32(blk + 32 + 8, 100000, true), /value size 100000 exceeds 65536/],
    ['no terminator', (b) => b.fill(0x41, blk + 32, blk + 4096), /runs past the end|exceeds 65536/],
    ['value over the entries', (b) => dv(b).setUint16(blk + 32 + 2, 32, true), /overlaps the entry list/],
  ];
  for (const [what, mutate, message] of cases) {
    const m = base.slice();
    mutate(m);
    await assert.rejects((await open(m)).listxattr(xa), { code: 'EIO', message }, what);
  }
  await assert.rejects(fs0.getxattr(xa, 'user.absent'), { code: 'ENODATA' });
});

test('ext4 hostile: inline data directories', { skip }, async () => {
  const base = await image('inline');
  const fs0 = await open(base);
  const dir = await ino(fs0, 'dir');
  assert.deepEqual((await names(fs0, dir)).sort(), ['.', '..', 'one']);
  const at = await inodeAt(base, dir);
  let b = base.slice();
  dv(b).setUint32(at + 0x28, 0xfffffff0, true); // the parent inode number
  await assert.rejects((await open(b)).readdir(dir, 0, 0), { code: 'EIO', message: /inline parent inode 4294967280/ });
  b = base.slice();
  dv(b).setUint16(at + 0x28 + 4 + 4, 2, true); // first entry's rec_len
  await assert.rejects((await open(b)).readdir(dir, 0, 0), { code: 'EIO', message: /inline data \(i_block\) offset 0: rec_len 2/ });
});

test('ext4 hostile: calls that make no sense get the errno Linux gives', { skip }, async () => {
  const fs = await open(await image('csum4k'));
  const file = await ino(fs, 'file');
  const dir = await ino(fs, 'dir');
  await assert.rejects(fs.read(dir, 0, new Uint8Array(4), 0), { code: 'EISDIR' });
  await assert.rejects(fs.read(file, 0, new Uint8Array(4), -1), { code: 'EINVAL' });
  await assert.rejects(fs.readlink(file), { code: 'EINVAL' });
  await assert.rejects(fs.lookup(file, 'x'), { code: 'ENOTDIR' });
  await assert.rejects(fs.readdir(file, 0, 0), { code: 'ENOTDIR' });
  await assert.rejects(fs.lookup(dir, 'n'.repeat(300)), { code: 'ENAMETOOLONG' });
  await assert.rejects(fs.lookup(dir, 'a/b'), { code: 'ENOENT' });
  assert.deepEqual(await fs.readdir(dir, 0, 2 ** 50), []);
  assert.equal(await fs.read(file, 0, new Uint8Array(4), 2 ** 50), 0);
  assert.equal((await fs.lookup(dir, '..')).ino, fs.rootIno);
  assert.equal((await fs.lookup(dir, '.')).ino, dir);
});

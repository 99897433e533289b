// metadata_csum (and gdt_csum) verification: one byte flipped in each kind
// of checksummed structure of a real mke2fs image (located with debugfs)
// gives EIO naming the structure, and `ignore-checksums` reads anyway with
// a warning. Contents read anyway are compared with debugfs dump.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryDevice } from '../../block/memory.js';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needTools, run } from '../../../test/helpers/tools.js';
import { ext4Driver, Ext4FileSystem } from './index.js';

const skip = needTools('mke2fs', 'debugfs', 'e2fsck', 'python3');

interface Facts {
  inodeBlock: number;
  inodeOffset: number;
  fileIno: number;
  dirBlock: number;
  bigDirRoot: number;
  xattrBlock: number;
  extentBlock: number;
}

async function facts(dir: string, name: string): Promise<Facts> {
  const t = await readFile(join(dir, `${name}.facts`), 'utf8');
  const m = (re: RegExp): number => {
    const r = re.exec(t);
    if (!r) throw new Error(`${name}.facts: no ${re}`);
    return r[1]!.startsWith('0x') ? parseInt(r[1]!, 16) : Number(r[1]);
  };
  return {
    fileIno: m(/Inode (\d+) is part/),
    inodeBlock: m(/located at block (\d+)/),
    inodeOffset: m(/offset (0x[0-9a-f]+)/),
    dirBlock: m(/^dir-block0 (\d+)/m),
    bigDirRoot: m(/^big-dir-block0 (\d+)/m),
    xattrBlock: m(/^xattrs-acl (\d+)/m),
    extentBlock: m(/\| 0\/ 1 +1\/ +1 +0 - +\d+ +(\d+)/),
  };
}

async function dump(img: string, path: string): Promise<Uint8Array> {
  const d = await mkdtemp(join(tmpdir(), 'ext4-dump-'));
  try {
    await run('debugfs', ['-R', `dump ${path} ${d}/out`, img]);
    return new Uint8Array(await readFile(join(d, 'out')));
  } finally {
    await rm(d, { recursive: true, force: true });
  }
}

async function readAll(fs: Ext4FileSystem, ino: number): Promise<Uint8Array> {
  const size = (await fs.getattr(ino)).size;
  const buf = new Uint8Array(size);
  assert.equal(await fs.read(ino, 0, buf, 0), size);
  return buf;
}

/** The image with byte `at` flipped, as a device. */
function flipped(base: Uint8Array, at: number): MemoryDevice {
  const b = base.slice();
  b[at] = b[at]! ^ 0x10;
  return new MemoryDevice(b, { readOnly: true });
}

const open = (dev: MemoryDevice, ignore = false): Promise<Ext4FileSystem> => Ext4FileSystem.open(dev, { ignoreChecksums: ignore });

for (const [name, bs] of [['csum4k', 4096], ['csum1k', 1024]] as const) {
  test(`ext4 checksums (${name}): a flipped byte in each structure is EIO naming it; ignore-checksums reads anyway`, { skip }, async () => {
    const dir = await fixture('ext4/small.sh');
    const img = join(dir, `${name}.img`);
    const base = new Uint8Array(await readFile(img));
    const f = await facts(dir, name);
    const clean = await open(new MemoryDevice(base));
    assert.deepEqual(clean.warnings, []);
    const ino = (p: string, fs: Ext4FileSystem = clean): Promise<number> =>
      p.split('/').reduce<Promise<number>>(async (d, n) => (await fs.lookup(await d, n)).ino, Promise.resolve(fs.rootIno));

    // Superblock: s_volume_name.
    await assert.rejects(open(flipped(base, 1024 + 0x78)), { code: 'EIO', message: /superblock.*checksum/ });
    let fs = await open(flipped(base, 1024 + 0x78), true);
    assert.match(fs.warnings.join('\n'), /superblock.*checksum.*ignored/);

    // Group descriptor 0 (the block after the superblock): bg_free_blocks_count.
    const gdt = (bs === 1024 ? 2 : 1) * bs;
    await assert.rejects(open(flipped(base, gdt + 0xc)), { code: 'EIO', message: /group descriptor 0.*checksum/ });
    fs = await open(flipped(base, gdt + 0xc), true);
    assert.match(fs.warnings.join('\n'), /group descriptor 0/);

    // An inode: its atime.
    const inodeAt = f.inodeBlock * bs + f.inodeOffset + 0x8;
    fs = await open(flipped(base, inodeAt));
    await assert.rejects(fs.lookup(fs.rootIno, 'file'), { code: 'EIO', message: new RegExp(`inode ${f.fileIno}: checksum`) });
    fs = await open(flipped(base, inodeAt), true);
    assert.deepEqual(await readAll(fs, await ino('file', fs)), await dump(img, '/file'));
    assert.match(fs.warnings.join('\n'), new RegExp(`inode ${f.fileIno}: checksum.*ignored`));

    // A directory leaf block: a byte of the name 'one' (after '.' and '..').
    const dirIno = await ino('dir');
    fs = await open(flipped(base, f.dirBlock * bs + 24 + 8));
    await assert.rejects(fs.readdir(dirIno, 0, 0), { code: 'EIO', message: new RegExp(`directory inode ${dirIno} block 0: checksum`) });
    fs = await open(flipped(base, f.dirBlock * bs + 24 + 8), true);
    assert.equal((await fs.readdir(dirIno, 0, 0)).length, 3);

    // An htree root: the dx_tail's reserved word (covered by the checksum, unused by lookups).
    const limit = base[f.bigDirRoot * bs + 32]! | (base[f.bigDirRoot * bs + 33]! << 8);
    const tail = f.bigDirRoot * bs + 32 + limit * 8;
    const bigDir = await ino('big-dir');
    fs = await open(flipped(base, tail));
    await assert.rejects(fs.lookup(bigDir, 'entry-with-a-long-name-7'), { code: 'EIO', message: /htree.*checksum/ });
    fs = await open(flipped(base, tail), true);
    assert.equal((await fs.lookup(bigDir, 'entry-with-a-long-name-7')).ino, (await clean.lookup(bigDir, 'entry-with-a-long-name-7')).ino);

    // An extent tree block: a slot past eh_entries (unused, but inside the checksummed range).
    const frag = await ino('fragmented');
    fs = await open(flipped(base, f.extentBlock * bs + 12 + 12 * 12 + 3));
    await assert.rejects(readAll(fs, frag), { code: 'EIO', message: new RegExp(`extent block ${f.extentBlock}: checksum`) });
    fs = await open(flipped(base, f.extentBlock * bs + 12 + 12 * 12 + 3), true);
    assert.deepEqual(await readAll(fs, frag), await dump(img, '/fragmented'));

    // An xattr block: a byte of a value.
    const xa = await ino('xattrs');
    const xattrAt = f.xattrBlock * bs + bs - 10;
    fs = await open(flipped(base, xattrAt));
    await assert.rejects(fs.listxattr(xa), { code: 'EIO', message: new RegExp(`xattr block ${f.xattrBlock}: checksum`) });
    fs = await open(flipped(base, xattrAt), true);
    assert.equal((await fs.listxattr(xa)).length, 3);
  });
}

test('ext4 checksums (gdt_csum): a flipped group descriptor byte fails the crc16', { skip }, async () => {
  const dir = await fixture('ext4/small.sh');
  const base = new Uint8Array(await readFile(join(dir, 'gdtcsum.img')));
  assert.deepEqual((await open(new MemoryDevice(base))).warnings, []);
  await assert.rejects(open(flipped(base, 4096 + 0xc)), { code: 'EIO', message: /group descriptor 0.*checksum/ });
  const fs = await open(flipped(base, 4096 + 0xc), true);
  assert.match(fs.warnings.join('\n'), /group descriptor 0/);
});

test('ext4 checksums: the driver option ignore-checksums, documented in optionHelp', { skip }, async () => {
  const dir = await fixture('ext4/small.sh');
  const base = new Uint8Array(await readFile(join(dir, 'csum4k.img')));
  assert.ok(ext4Driver.optionHelp?.['ignore-checksums']);
  await assert.rejects(ext4Driver.open(flipped(base, 1024 + 0x78)), { code: 'EIO' });
  const fs = (await ext4Driver.open(flipped(base, 1024 + 0x78), { options: { 'ignore-checksums': true } })) as Ext4FileSystem;
  assert.equal(fs.warnings.length, 1);
  const fs2 = (await ext4Driver.open(flipped(base, 1024 + 0x78), { options: { 'ignore-checksums': 'yes' } })) as Ext4FileSystem;
  assert.equal(fs2.warnings.length, 1);
  await assert.rejects(ext4Driver.open(new MemoryDevice(base), { options: { 'no-such-option': true } }), { code: 'EINVAL', message: /no-such-option/ });
  await assert.rejects(ext4Driver.open(new MemoryDevice(base), { write: true }), { code: 'EROFS' });
});

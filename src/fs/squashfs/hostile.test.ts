// Hand-made hostile squashfs images (patched copies of real mksquashfs
// images) and hostile compressed blocks: every failure is an FsError with
// an errno and a message naming the structure, never a crash or a hang.
import '../../node/codecs.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needTools, run } from '../../../test/helpers/tools.js';
import { walk } from '../../../test/squashfs/walk.js';
import { MemoryDevice } from '../../block/memory.js';
import { getCodec, type CodecName } from '../../codecs/index.js';
import { FsError } from '../../errors.js';
import { SquashfsFileSystem } from './filesystem.js';
import { squashfsDriver } from './index.js';

const skip = needTools('mksquashfs', 'setfattr');
const dir = skip ? '' : await fixture('squashfs/small.sh');
const image = async (name: string) => new Uint8Array(await readFile(join(dir, `${name}.sqfs`)));

function openBytes(b: Uint8Array): Promise<SquashfsFileSystem> {
  return SquashfsFileSystem.open(new MemoryDevice(b, { readOnly: true }));
}

async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof FsError, `an FsError, got ${(e as Error)?.stack ?? e}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

/** Opens and walks everything (contents too), as a caller would. */
async function openAndWalk(b: Uint8Array): Promise<void> {
  const fs = await openBytes(b);
  await walk(fs, { xattrs: true, maxDepth: 16, maxEntries: 5000, maxFileBytes: 1 << 20 });
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

test('squashfs hostile: the unpatched images open and walk', { skip }, async () => {
  for (const name of ['gzip', 'xz', 'lzma', 'lzo', 'lz4', 'zstd', 'plain']) await openAndWalk(await image(name));
});

test('squashfs hostile: superblock damage', { skip }, async () => {
  const base = await image('gzip');
  const patched = (f: (v: DataView) => void) => {
    const b = base.slice();
    f(dv(b));
    return openBytes(b);
  };
  await rejectsWith(openBytes(new Uint8Array(50)), 'EIO', /superblock.*smaller than the superblock/);
  await rejectsWith(patched((v) => v.setUint32(0, 0)), 'EIO', /superblock.*bad magic/);
  await rejectsWith(openBytes(new Uint8Array(4096)), 'EIO', /bad magic/);
  await rejectsWith(patched((v) => v.setUint16(28, 3, true)), 'EOPNOTSUPP', /version 3\.0/);
  await rejectsWith(patched((v) => v.setUint16(20, 9, true)), 'EOPNOTSUPP', /compression id 9/);
  await rejectsWith(patched((v) => v.setUint32(12, 100000, true)), 'EIO', /block_size 100000/);
  await rejectsWith(patched((v) => v.setUint16(22, 3, true)), 'EIO', /block_log/);
  await rejectsWith(patched((v) => v.setUint32(40, base.length + 1, true)), 'EIO', /bytes_used/);
  await rejectsWith(patched((v) => v.setUint32(64, 0xfffffff0, true)), 'EIO', /inode_table_start/);
  await rejectsWith(patched((v) => v.setUint16(26, 0, true)), 'EIO', /no_ids/);
  // Root reference far past the inode table.
  await rejectsWith(patched((v) => v.setUint32(36, 0x7fff, true)), 'EIO', /metadata block/);
  // Root reference offset past the 8 KiB block.
  await rejectsWith(patched((v) => v.setUint16(32, 9000, true)), 'EIO', /offset/);
  // Truncated: the superblock still claims the full size.
  await rejectsWith(openBytes(base.slice(0, base.length >> 1)), 'EIO', /bytes_used/);
  // Fragment count above the table, id count above the table: caught when used.
  await assert.rejects(
    patched((v) => v.setUint32(16, 0xffffffff, true)).then((fs) => walk(fs)),
    (e: unknown) => e instanceof FsError && e.code === 'EIO',
  );
});

test('squashfs hostile: ids, fragments and tables out of range', { skip }, async () => {
  const base = await image('plain');
  const sb = dv(base);
  // One id only: dir/empty is owned by 1000:2000, so some inode uses a later id and fails on stat.
  {
    assert.ok(sb.getUint16(26, true) >= 3, 'the image has several ids');
    const b = base.slice();
    dv(b).setUint16(26, 1, true);
    const fs = await openBytes(b);
    await rejectsWith(walk(fs), 'EIO', /id index \d+ is out of range/);
  }
  // No fragments at all: files that use one are refused when their inode is read.
  {
    const b = base.slice();
    dv(b).setUint32(16, 0, true);
    await rejectsWith(openBytes(b).then((fs) => walk(fs)), 'EIO', /fragment \d+ is out of range/);
  }
  // The id table's index points before the directory table.
  {
    const b = base.slice();
    const idStart = Number(sb.getBigUint64(48, true));
    dv(b).setBigUint64(idStart, 10n, true);
    await rejectsWith(openBytes(b), 'EIO', /id table index/);
  }
});

/** Offset of `name` inside the directory table of the uncompressed image (first match). */
function findName(b: Uint8Array, name: string): number {
  const dirStart = Number(dv(b).getBigUint64(72, true));
  const needle = Buffer.from(name);
  const at = Buffer.from(b.buffer, b.byteOffset, b.length).indexOf(needle, dirStart);
  assert.ok(at > 0, `found ${name}`);
  return at;
}

test('squashfs hostile: directory headers and entries', { skip }, async () => {
  const base = await image('plain');
  // 'loopdir' is the only entry of 'a': header (12 bytes) then entry (8 bytes) then the name.
  const nameAt = findName(base, 'loopdir');
  const entryAt = nameAt - 8;
  const headerAt = entryAt - 12;
  {
    const b = base.slice();
    dv(b).setUint32(headerAt, 0xffffffff, true); // count + 1 = 2^32
    const fs = await openBytes(b);
    const a = await fs.lookup(fs.rootIno, 'a');
    await rejectsWith(fs.readdir(a.ino, 0, 0), 'EIO', /2*entries \(at most 256\)|entries/);
    await rejectsWith(fs.lookup(a.ino, 'loopdir'), 'EIO', /entries/);
  }
  {
    // The entry points back at the root directory: a loop. lookup answers, walks stop by inode.
    const b = base.slice();
    const root = Number(dv(b).getBigUint64(32, true));
    const fs0 = await openBytes(base);
    dv(b).setUint32(headerAt + 4, Math.floor(root / 65536), true);
    dv(b).setUint32(headerAt + 8, fs0.rootIno, true);
    dv(b).setUint16(entryAt, root % 65536, true);
    dv(b).setInt16(entryAt + 2, 0, true);
    const fs = await openBytes(b);
    const a = await fs.lookup(fs.rootIno, 'a');
    const loop = await fs.lookup(a.ino, 'loopdir');
    assert.equal(loop.ino, fs.rootIno);
    const all = await walk(fs, { maxDepth: 8 });
    assert.ok(all.has('a/loopdir'));
    assert.ok(!all.has('a/loopdir/a'), 'the walk does not descend into an ancestor');
  }
  {
    // An entry naming a different inode number than the inode it points at.
    const b = base.slice();
    dv(b).setInt16(entryAt + 2, dv(b).getInt16(entryAt + 2, true) + 5, true);
    const fs = await openBytes(b);
    const a = await fs.lookup(fs.rootIno, 'a');
    await rejectsWith(fs.lookup(a.ino, 'loopdir'), 'EIO', /says inode \d+ but its reference holds inode/);
  }
  {
    // A name with '/' is never returned.
    const b = base.slice();
    b[nameAt + 2] = 0x2f;
    const fs = await openBytes(b);
    const a = await fs.lookup(fs.rootIno, 'a');
    const names = (await fs.readdir(a.ino, 0, 0)).map((e) => e.name);
    assert.deepEqual(names, ['.', '..']);
  }
  {
    // Name length running past the listing.
    const b = base.slice();
    dv(b).setUint16(entryAt + 6, 200, true);
    const fs = await openBytes(b);
    const a = await fs.lookup(fs.rootIno, 'a');
    await rejectsWith(fs.readdir(a.ino, 0, 0), 'EIO', /runs past the listing/);
  }
});

test('squashfs hostile: block lists, fragments and xattrs that lie', { skip }, async () => {
  const base = await image('plain');
  const fs0 = await openBytes(base);
  const d = await fs0.lookup(fs0.rootIno, 'dir');
  const mb = await fs0.lookup(d.ino, 'multi-block');
  // Find multi-block's inode by its unique size (20000) in the uncompressed inode table: an extended file inode (it has xattrs).
  const inodeStart = Number(dv(base).getBigUint64(64, true));
  const dirStart = Number(dv(base).getBigUint64(72, true));
  let at = -1;
  for (let p = inodeStart + 2; p < dirStart - 56; p++) {
    const v = dv(base);
    if (v.getUint16(p, true) === 9 && v.getUint32(p + 12, true) === mb.ino && Number(v.getBigUint64(p + 24, true)) === 20000) {
      at = p;
      break;
    }
  }
  assert.ok(at > 0, 'found the multi-block inode');
  const body = at + 16;
  const patch = (f: (v: DataView) => void) => {
    const b = base.slice();
    f(dv(b));
    return openBytes(b).then(async (fs) => {
      const dd = await fs.lookup(fs.rootIno, 'dir');
      const e = await fs.lookup(dd.ino, 'multi-block');
      const buf = new Uint8Array(20000);
      await fs.read(e.ino, 0, buf, 0);
      return fs.listxattr(e.ino);
    });
  };
  // Block size word with bits above "uncompressed".
  await rejectsWith(patch((v) => v.setUint32(body + 40, 0x0f000010, true)), 'EIO', /size word/);
  // A block far past the end of the image.
  await rejectsWith(patch((v) => v.setBigUint64(body, BigInt(base.length + 10), true)), 'EIO', /start_block|past the end/);
  // Fragment index out of range.
  await rejectsWith(patch((v) => v.setUint32(body + 28, 999, true)), 'EIO', /fragment 999 is out of range/);
  // File size of 2^60: refused, no huge allocation.
  await rejectsWith(patch((v) => v.setBigUint64(body + 8, 1n << 60n, true)), 'EIO', /file_size/);
  // Xattr index out of range.
  await rejectsWith(patch((v) => v.setUint32(body + 36, 77, true)), 'EIO', /xattr id table.*index 77/);
});

test('squashfs hostile: decompressors bound their output and reject garbage', { skip: skip ?? needTools('xz', 'lz4') }, async () => {
  const text = new TextEncoder().encode('squashfs '.repeat(2000));
  const src = join(dir, 'codec-input');
  await import('node:fs/promises').then((m) => m.writeFile(src, text));
  const xz = new Uint8Array(await import('node:child_process').then((cp) => cp.execFileSync('xz', ['-c', src])));
  const lzma = new Uint8Array(await import('node:child_process').then((cp) => cp.execFileSync('xz', ['--format=lzma', '-c', src])));
  for (const [codec, data] of [['xz', xz], ['lzma', lzma]] as Array<[CodecName, Uint8Array]>) {
    const fn = getCodec(codec, 'test');
    assert.deepEqual(await fn(data, text.length), text, `${codec} round trip`);
    await rejectsWith(fn(data, 1000), 'EIO', /exceeds|output|size/);
    await rejectsWith(fn(data.subarray(0, data.length >> 1), text.length), 'EIO', /corrupt/);
    const flipped = data.slice();
    flipped[flipped.length >> 1] ^= 0x55;
    await assert.rejects(fn(flipped, text.length), (e: unknown) => e instanceof FsError && e.code === 'EIO');
  }
  for (const codec of ['lz4', 'lzo'] as CodecName[]) {
    const fn = getCodec(codec, 'test');
    for (const garbage of [new Uint8Array(0), new Uint8Array([0xff, 0xff, 0xff]), new Uint8Array(64).fill(0xf0), new Uint8Array([0x1f, 1, 2, 3, 0xff, 0xff])]) {
      await assert.rejects(fn(garbage, 4096), (e: unknown) => e instanceof FsError && e.code === 'EIO', `${codec} garbage`);
    }
  }
  void run;
});

test('squashfs driver: registered, refuses writing', { skip }, async () => {
  const { FILESYSTEM_DRIVERS, driverFor } = await import('../drivers.js');
  // The registry entry loads this driver on first use.
  assert.ok(FILESYSTEM_DRIVERS.includes(driverFor('squashfs')!));
  assert.equal(await driverFor('squashfs')?.load?.(), squashfsDriver);
  await rejectsWith(squashfsDriver.open(new MemoryDevice(await image('gzip')), { write: true }), 'EROFS', /read-only/);
  const fs = await squashfsDriver.open(new MemoryDevice(await image('gzip'), { readOnly: true }));
  assert.equal(fs.capabilities.write, false);
  await rejectsWith(fs.getattr(999999), 'ESTALE', /unknown|inode/);
  const hello = await fs.lookup(fs.rootIno, 'hello.txt');
  await rejectsWith(fs.readlink(hello.ino), 'EINVAL', /not a symlink/);
  await rejectsWith(fs.readdir(hello.ino, 0, 0), 'ENOTDIR', /not a directory/);
  await rejectsWith(fs.read(fs.rootIno, 0, new Uint8Array(4), 0), 'EISDIR', /directory/);
  await rejectsWith(fs.lookup(fs.rootIno, 'missing'), 'ENOENT', /missing/);
  await rejectsWith(fs.getxattr!(hello.ino, 'user.nope'), 'ENODATA', /user\.nope/);
});

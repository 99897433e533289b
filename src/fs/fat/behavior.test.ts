// Driver behaviour on fresh mkfs.fat volumes, checked with the real tools where they can
// tell: dirty marks (fsck.fat), ENOSPC leaking nothing, EFBIG, refused names, case-
// insensitive names kept as given (7-Zip), stable inodes and readdir cookies across
// changes, unlink while open, chmod/chown, timestamps (7-Zip) and the volume label (blkid).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needTools, run } from '../../../test/helpers/tools.js';
import { fmt7z, fsckFat, sevenZip } from '../../../test/fat/truth.js';
import { FileDevice } from '../../node/file-device.js';
import type { FileSystem } from '../filesystem.js';
import { parseBootSector } from './boot-sector.js';
import { FatFileSystem } from './filesystem.js';

const skip = needTools('mkfs.fat', 'fsck.fat', '7z', 'mlabel', 'blkid');
const CALLER = { uid: 0, gid: 0 };
const text = (s: string) => new TextEncoder().encode(s);

interface Fresh {
  img: string;
  fs: FatFileSystem;
  dev: FileDevice;
  now: { sec: number };
  /** Flushes, closes and returns fsck.fat -n's verdict. */
  finish(): Promise<{ status: number; output: string }>;
  cleanup(): Promise<void>;
}

async function fresh(args: string[], kib: number): Promise<Fresh> {
  const dir = await mkdtemp(join(tmpdir(), 'fat-behavior-'));
  const img = join(dir, 'v.img');
  await run('mkfs.fat', ['-C', ...args, img, String(kib)]);
  const dev = await FileDevice.open(img, { write: true });
  const now = { sec: 1_717_171_717 };
  const fs = await FatFileSystem.open(dev, { write: true, clock: () => ({ sec: now.sec, nsec: 345_000_000 }) });
  let closed = false;
  const finish = async () => {
    if (!closed) {
      await fs.destroy();
      await dev.close();
      closed = true;
    }
    return fsckFat(img);
  };
  return { img, fs, dev, now, finish, cleanup: async () => {
    if (!closed) await dev.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  } };
}

async function put(fs: FileSystem, dir: number, name: string, data: Uint8Array): Promise<number> {
  const { entry, fh } = await fs.create!(dir, name, 0o644, 0o101, CALLER);
  if (data.length) await fs.write!(entry.ino, fh, data, 0);
  await fs.release?.(entry.ino, fh);
  return entry.ino;
}

for (const type of ['12', '16', '32']) {
  test(`fat FAT${type}: dirty while changing, clean after fsync and unmount`, { skip }, async () => {
    const v = await fresh(['-F', type, '-s', '1'], type === '32' ? 34_000 : type === '16' ? 3_000 : 1_440);
    try {
      const copy = `${v.img}.snapshot`;
      await put(v.fs, v.fs.rootIno, 'file.txt', text('x'));
      await writeFile(copy, await readFile(v.img));
      const dirty = fsckFat(copy);
      assert.equal(dirty.status, 1, dirty.output);
      assert.match(dirty.output, /Dirty bit is set/);
      const bytes = await readFile(copy);
      const geo = parseBootSector(bytes.subarray(0, 512));
      assert.equal(bytes[geo.stateOffset!]! & 1, 1);
      if (type !== '12') {
        const fat1 = type === '16' ? bytes.readUInt16LE(geo.fatOffset + 2) : bytes.readUInt32LE(geo.fatOffset + 4);
        assert.equal(fat1 & (type === '16' ? 0x8000 : 0x08000000), 0, 'FAT[1] clean bit cleared');
      }
      await v.fs.fsync!(v.fs.rootIno, 0, false);
      await writeFile(copy, await readFile(v.img));
      assert.equal(fsckFat(copy).status, 0, fsckFat(copy).output);
      await put(v.fs, v.fs.rootIno, 'second.txt', text('y'));
      const done = await v.finish();
      assert.equal(done.status, 0, done.output);
    } finally {
      await v.cleanup();
    }
  });

  test(`fat FAT${type}: ENOSPC changes nothing and leaks nothing`, { skip }, async () => {
    const v = await fresh(['-F', type, '-s', '1'], type === '32' ? 34_000 : type === '16' ? 3_000 : 300);
    try {
      const st = await v.fs.statfs();
      const ino = await put(v.fs, v.fs.rootIno, 'filler', new Uint8Array((st.bfree - 3) * st.bsize));
      const before = (await v.fs.statfs()).bfree;
      assert.equal(before, 3);
      await assert.rejects(v.fs.write!(ino, 0, new Uint8Array(5 * st.bsize), (st.bfree - 3) * st.bsize), { code: 'ENOSPC' });
      await assert.rejects(v.fs.setattr!(ino, { size: (st.bfree + 10) * st.bsize }), { code: 'ENOSPC' });
      const other = await put(v.fs, v.fs.rootIno, 'other', new Uint8Array(0));
      await assert.rejects(v.fs.write!(other, 0, new Uint8Array(4 * st.bsize), 0), { code: 'ENOSPC' });
      assert.equal((await v.fs.statfs()).bfree, before);
      assert.equal((await v.fs.getattr(other)).size, 0);
      // What fits still works, to the last cluster.
      await v.fs.write!(other, 0, new Uint8Array(3 * st.bsize).fill(9), 0);
      assert.equal((await v.fs.statfs()).bfree, 0);
      await assert.rejects(v.fs.mkdir!(v.fs.rootIno, 'no room', 0o755, CALLER), { code: 'ENOSPC' });
      const done = await v.finish();
      assert.equal(done.status, 0, done.output);
      assert.doesNotMatch(done.output, /lost|Reclaim|free cluster/i);
    } finally {
      await v.cleanup();
    }
  });
}

test('fat: names are refused, kept as given and found case-insensitively (7-Zip lists them)', { skip }, async () => {
  const v = await fresh(['-F', '16', '-s', '1'], 8_000);
  const { fs } = v;
  try {
    const r = fs.rootIno;
    for (const bad of ['a:b', 'q?', 'x*', 'trailing.', 'ctl\x01']) {
      await assert.rejects(fs.create!(r, bad, 0o644, 0, CALLER), { code: 'EINVAL' }, bad);
    }
    await assert.rejects(fs.mkdir!(r, 'n'.repeat(256), 0o755, CALLER), { code: 'ENAMETOOLONG' });
    const foo = await put(fs, r, 'Foo Bar.txt', text('foo'));
    await assert.rejects(fs.create!(r, 'FOO BAR.TXT', 0o644, 0, CALLER), { code: 'EEXIST' });
    await assert.rejects(fs.create!(r, 'FOOBAR~1.TXT', 0o644, 0, CALLER), { code: 'EEXIST' }); // the 8.3 alias
    assert.equal((await fs.lookup(r, 'foo bar.TXT')).ino, foo);
    await put(fs, r, 'emoji 😀 Ωmega.txt', text('e'));
    await put(fs, r, '中'.repeat(255), text('c'));
    await fs.rename!(r, 'Foo Bar.txt', r, 'FOO BAR.txt', 0); // a case-only rename changes the stored name
    assert.equal((await fs.lookup(r, 'foo bar.txt')).ino, foo);
    const names = (await fs.readdir(r, 0, 0)).map((e) => e.name).filter((n) => n !== '.' && n !== '..');
    assert.deepEqual(names.sort(), ['FOO BAR.txt', 'emoji 😀 Ωmega.txt', '中'.repeat(255)].sort());
    assert.equal(fs.capabilities.caseInsensitive, true);
    assert.equal(fs.capabilities.symlinks, false);
    assert.equal((await v.finish()).status, 0);
    assert.deepEqual([...(await sevenZip(v.img)).keys()].sort(), names.sort());
  } finally {
    await v.cleanup();
  }
});

test('fat: EFBIG past 4 GiB - 1, EISDIR, ENOTEMPTY, EEXIST with RENAME_NOREPLACE, no RENAME_EXCHANGE', { skip }, async () => {
  const v = await fresh(['-F', '16', '-s', '1'], 8_000);
  const { fs } = v;
  try {
    const r = fs.rootIno;
    const f = await put(fs, r, 'f', text('x'));
    await assert.rejects(fs.write!(f, 0, new Uint8Array(2), 0xffffffff - 1), { code: 'EFBIG' });
    await assert.rejects(fs.setattr!(f, { size: 2 ** 32 }), { code: 'EFBIG' });
    assert.equal(fs.capabilities.maxFileSize, 0xffffffff);
    const d = await fs.mkdir!(r, 'd', 0o755, CALLER);
    await put(fs, d.ino, 'inner', text('i'));
    await assert.rejects(fs.unlink!(r, 'd'), { code: 'EISDIR' });
    await assert.rejects(fs.rmdir!(r, 'f'), { code: 'ENOTDIR' });
    await assert.rejects(fs.rmdir!(r, 'd'), { code: 'ENOTEMPTY' });
    await assert.rejects(fs.rename!(r, 'f', r, 'd', 0), { code: 'EISDIR' });
    await assert.rejects(fs.rename!(r, 'd', r, 'f', 0), { code: 'ENOTDIR' });
    await put(fs, r, 'g', text('g'));
    await assert.rejects(fs.rename!(r, 'f', r, 'g', 1), { code: 'EEXIST' });
    await assert.rejects(fs.rename!(r, 'f', r, 'g', 2), { code: 'EINVAL' });
    await assert.rejects(fs.rename!(r, 'missing', r, 'x', 0), { code: 'ENOENT' });
    await assert.rejects(fs.readlink(f), { code: 'EINVAL' });
    assert.equal((await v.finish()).status, 0);
  } finally {
    await v.cleanup();
  }
});

test('fat: inodes stay stable across renames; readdir cookies survive changes; unlinked open files live until release', { skip }, async () => {
  const v = await fresh(['-F', '32', '-s', '1'], 34_000);
  const { fs } = v;
  try {
    const r = fs.rootIno;
    const a = await fs.mkdir!(r, 'a', 0o755, CALLER);
    const b = await fs.mkdir!(r, 'b', 0o755, CALLER);
    const f = await put(fs, a.ino, 'file with a long name.txt', text('payload'));
    const sub = await fs.mkdir!(a.ino, 'sub', 0o755, CALLER);
    await fs.rename!(a.ino, 'file with a long name.txt', b.ino, 'moved.txt', 0);
    await fs.rename!(a.ino, 'sub', b.ino, 'Sub Moved', 0);
    assert.equal((await fs.lookup(b.ino, 'moved.txt')).ino, f);
    assert.equal((await fs.lookup(b.ino, 'sub moved')).ino, sub.ino);
    assert.equal((await fs.getattr(f)).size, 7);
    assert.equal((await fs.getattr(b.ino)).nlink, 3);
    assert.equal((await fs.getattr(a.ino)).nlink, 2);
    // A new entry where the moved one was gets a number of its own.
    const n = await put(fs, a.ino, 'newcomer', text('n'));
    assert.notEqual(n, f);

    // Cookies: list, change the directory, resume.
    for (let i = 0; i < 40; i++) await put(fs, b.ino, `entry number ${i}`, text(String(i)));
    const first = await fs.readdir(b.ino, 0, 0, 20);
    const cookie = first[first.length - 1]!.next;
    for (let i = 0; i < 40; i += 3) await fs.unlink!(b.ino, `entry number ${i}`);
    for (let i = 0; i < 5; i++) await put(fs, b.ino, `late ${i}`, text('l'));
    const rest: string[] = [];
    for (let c = cookie; ; ) {
      const batch = await fs.readdir(b.ino, 0, c, 7);
      if (!batch.length) break;
      rest.push(...batch.map((e) => e.name));
      c = batch[batch.length - 1]!.next;
    }
    const seen = [...first.map((e) => e.name), ...rest];
    const now = (await fs.readdir(b.ino, 0, 0)).map((e) => e.name);
    // Entries that were there all along come exactly once; ones added meanwhile at most once.
    for (const name of now) assert.equal(seen.filter((s) => s === name).length, name.startsWith('late') ? seen.filter((s) => s === name).length && 1 : 1, `${name} once`);
    for (const name of now) assert.ok(seen.filter((s) => s === name).length <= 1, `${name} at most once`);
    assert.ok(rest.every((x) => now.includes(x)));

    // Unlink while open: readable through the handle; clusters freed at release.
    const big = await put(fs, r, 'big', new Uint8Array(50_000).fill(3));
    const fh = await fs.open!(big, 2);
    const free = (await fs.statfs()).bfree;
    await fs.unlink!(r, 'big');
    await assert.rejects(fs.lookup(r, 'big'), { code: 'ENOENT' });
    const buf = new Uint8Array(10);
    assert.equal(await fs.read(big, fh, buf, 49_990), 10);
    assert.deepEqual(buf, new Uint8Array(10).fill(3));
    assert.equal((await fs.getattr(big)).nlink, 0);
    assert.equal((await fs.statfs()).bfree, free);
    fs.forget!(big, 1);
    await fs.release!(big, fh);
    assert.ok((await fs.statfs()).bfree > free);
    const done = await v.finish();
    assert.equal(done.status, 0, done.output);
  } finally {
    await v.cleanup();
  }
});

test('fat: chmod maps to the read-only attribute, chown is refused; times as FAT keeps them (7-Zip)', { skip }, async () => {
  const v = await fresh(['-F', '16', '-s', '1'], 8_000);
  const { fs, now } = v;
  try {
    const r = fs.rootIno;
    const created = now.sec; // 1717171717.345: creation time keeps 10 ms, mtime 2 s
    const f = await put(fs, r, 'times.txt', text('t'));
    const ro = await put(fs, r, 'ro.txt', text('r'));
    // Like Linux vfat with fmask 022: files are 0755; chmod may only take all write bits away.
    assert.equal((await fs.setattr!(ro, { mode: 0o555 })).mode, 0o100555);
    await assert.rejects(fs.setattr!(f, { mode: 0o444 }), { code: 'EPERM' });
    await assert.rejects(fs.setattr!(f, { mode: 0o700 }), { code: 'EPERM' });
    await assert.rejects(fs.setattr!(f, { mode: 0o4755 }), { code: 'EPERM' });
    await assert.rejects(fs.setattr!(f, { uid: 5 }), { code: 'EPERM' });
    assert.equal((await fs.setattr!(f, { uid: 0, mode: 0o755 })).mode, 0o100755);
    const st = await fs.setattr!(f, { mtime: { sec: 1_000_000_001, nsec: 5 }, atime: { sec: 1_200_000_000, nsec: 0 } });
    assert.equal(st.mtime.sec, 1_000_000_000);
    assert.equal(st.atime.sec, 1_199_923_200); // the date only: 2008-01-10 00:00 UTC
    assert.equal(st.btime!.sec, created);
    assert.equal(st.btime!.nsec, 340_000_000);
    assert.equal((await v.finish()).status, 0);
    const z = await sevenZip(v.img);
    assert.equal(z.get('times.txt')!.modified, fmt7z(1_000_000_000));
    assert.equal(z.get('times.txt')!.accessed, fmt7z(1_199_923_200));
    assert.equal(z.get('times.txt')!.created, fmt7z(created, 34));
    assert.match(z.get('ro.txt')!.attributes, /R/);
    assert.doesNotMatch(z.get('times.txt')!.attributes, /R/);
  } finally {
    await v.cleanup();
  }
});

test('fat: the root directory label entry wins over the boot sector label, as blkid says', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fat-label-'));
  try {
    const img = join(dir, 'v.img');
    await run('mkfs.fat', ['-C', '-F', '16', '-s', '1', '-n', 'BOOTLABEL', img, '8000']);
    // mlabel rewrites the root entry; put something else in the boot sector copy.
    await run('mlabel', ['-i', img, '::ROOT ENTRY']);
    const bytes = await readFile(img);
    bytes.set(text('OTHER      '), 0x2b);
    await writeFile(img, bytes);
    const blkid = await run('blkid', ['-p', '-o', 'value', '-s', 'LABEL', img]);
    const dev = await FileDevice.open(img);
    const fs = await FatFileSystem.open(dev);
    assert.equal(await fs.label(), blkid.trim());
    assert.equal(await fs.label(), 'ROOT ENTRY');
    await dev.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('fat: with tz=+01:00, times are written and read as local time an hour east of UTC (7-Zip reads them with TZ=UTC)', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fat-tz-'));
  try {
    const img = join(dir, 'v.img');
    await run('mkfs.fat', ['-C', '-F', '16', '-s', '1', img, '8000']);
    const dev = await FileDevice.open(img, { write: true });
    const fs = await FatFileSystem.open(dev, { write: true, tz: 60, clock: () => ({ sec: 1_600_000_000, nsec: 0 }) });
    const ino = await put(fs, fs.rootIno, 'local.txt', text('l'));
    assert.equal((await fs.getattr(ino)).mtime.sec, 1_600_000_000);
    await fs.destroy();
    await dev.close();
    assert.equal((await sevenZip(img)).get('local.txt')!.modified, fmt7z(1_600_000_000 + 3600));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

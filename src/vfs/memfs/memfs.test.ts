// memfs at the driver interface: lookup counts and forget, readdir cookies, sparse data, limits. (POSIX behaviour is in test/conformance.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemFileSystem } from './memfs.js';
import { SparseData } from './file-data.js';
import { RENAME_EXCHANGE } from '../../fs/filesystem.js';
import { S_IFDIR, S_IFREG } from '../../fs/mode.js';
import { isFsError } from '../../errors.js';

const ROOT = { uid: 0, gid: 0 };

test('an unlinked inode lives while looked up or open, and goes with the last forget', async () => {
  const fs = new MemFileSystem();
  const { entry, fh } = await fs.create(1, 'f', 0o644, 1, ROOT);
  await fs.unlink(1, 'f');
  assert.equal((await fs.getattr(entry.ino)).nlink, 0);
  await fs.release(entry.ino, fh);
  assert.equal((await fs.getattr(entry.ino)).nlink, 0, 'still referenced by one lookup');
  fs.forget(entry.ino, 1);
  await assert.rejects(fs.getattr(entry.ino), { code: 'ESTALE' });
});

test('readdir: cookies stay valid across insertions and removals; small limits reach every entry once', async () => {
  const fs = new MemFileSystem();
  for (let i = 0; i < 50; i++) await fs.mknod(1, `n${i}`, S_IFREG | 0o644, 0, ROOT);
  const fh = await fs.opendir(1);
  const seen: string[] = [];
  let cookie = 0;
  for (let round = 0; ; round++) {
    const batch = await fs.readdir(1, fh, cookie, 3);
    if (batch.length === 0) break;
    for (const e of batch) seen.push(e.name);
    cookie = batch[batch.length - 1]!.next;
    if (round === 4) await fs.unlink(1, 'n40');
    if (round === 5) await fs.mknod(1, 'late', S_IFREG, 0, ROOT);
  }
  const names = seen.filter((n) => n !== '.' && n !== '..');
  assert.equal(new Set(names).size, names.length, 'no entry twice');
  assert.ok(!names.includes('n40'));
  assert.ok(names.includes('late'));
  assert.equal(names.length, 50);
  // A cookie from earlier still works on a new handle (seekdir).
  const again = await fs.readdir(1, 0, 5, 2);
  assert.deepEqual(again.map((e) => e.name), ['n3', 'n4'], 'cookie 5 is the one after n2');
});

test('sparse data: holes cost nothing, truncation frees pages and zeroes the tail', () => {
  const d = new SparseData();
  d.write(new Uint8Array([1, 2, 3]), 1 << 30);
  assert.equal(d.size, (1 << 30) + 3);
  assert.equal(d.blocks, 8);
  d.write(new Uint8Array(10000).fill(9), 0);
  assert.equal(d.blocks, 8 + 24);
  d.truncate(5000);
  assert.equal(d.blocks, 16);
  d.truncate(9000);
  const b = new Uint8Array(9000);
  d.read(b, 0);
  assert.ok(b.subarray(0, 5000).every((x) => x === 9));
  assert.ok(b.subarray(5000).every((x) => x === 0), 'bytes past a truncation read back as zeros');
});

test('limits: maxBytes gives ENOSPC, maxInodes too; statfs counts', async () => {
  const fs = new MemFileSystem({ maxBytes: 64 * 1024, maxInodes: 4 });
  const { entry, fh } = await fs.create(1, 'f', 0o644, 1, ROOT);
  await fs.write(entry.ino, fh, new Uint8Array(60 * 1024), 0);
  await assert.rejects(fs.write(entry.ino, fh, new Uint8Array(8192), 60 * 1024), { code: 'ENOSPC' });
  const s = await fs.statfs();
  assert.equal(s.blocks, 16);
  assert.equal(s.bfree, 1);
  await fs.mkdir(1, 'a', 0o755, ROOT);
  await fs.mkdir(1, 'b', 0o755, ROOT);
  await assert.rejects(fs.mkdir(1, 'c', 0o755, ROOT), { code: 'ENOSPC' });
});

test('rename exchange of a file and a directory across parents moves the link counts', async () => {
  const fs = new MemFileSystem();
  const p = await fs.mkdir(1, 'p', 0o755, ROOT);
  const q = await fs.mkdir(1, 'q', 0o755, ROOT);
  await fs.mknod(p.ino, 'f', S_IFREG | 0o644, 0, ROOT);
  const d = await fs.mkdir(q.ino, 'd', 0o755, ROOT);
  assert.equal((await fs.getattr(q.ino)).nlink, 3);
  await fs.rename(p.ino, 'f', q.ino, 'd', RENAME_EXCHANGE);
  assert.equal((await fs.getattr(p.ino)).nlink, 3);
  assert.equal((await fs.getattr(q.ino)).nlink, 2);
  const dots = await fs.readdir(d.ino, 0, 0);
  assert.equal(dots.find((e) => e.name === '..')!.ino, p.ino, "the moved directory's '..' follows it");
});

test('names: empty, dots, slashes and NUL are EINVAL; 256 bytes ENAMETOOLONG (UTF-8 bytes, not characters)', async () => {
  const fs = new MemFileSystem();
  for (const bad of ['', '.', '..', 'a/b', 'a\0b']) await assert.rejects(fs.mkdir(1, bad, 0o755, ROOT), { code: 'EINVAL' });
  await fs.mkdir(1, 'é'.repeat(127), 0o755, ROOT);
  await assert.rejects(fs.mkdir(1, 'é'.repeat(128), 0o755, ROOT), { code: 'ENAMETOOLONG' });
});

test('every failure is an FsError with an errno, for bad inode numbers and arguments too', async () => {
  const fs = new MemFileSystem();
  const calls: Array<() => Promise<unknown>> = [
    () => fs.lookup(999, 'x'), () => fs.getattr(-1), () => fs.readdir(123456, 0, 0), () => fs.read(1, 0, new Uint8Array(1), 0),
    () => fs.write(1, 0, new Uint8Array(1), 0), () => fs.setattr(1, { size: 5 }), () => fs.readlink(1), () => fs.rmdir(1, 'missing'),
    () => fs.mknod(1, 'd', S_IFDIR, 0, ROOT), () => fs.setxattr(1, 'user.x', new Uint8Array(70000), 0), () => fs.setxattr(1, 'nons', new Uint8Array(1), 0),
    () => fs.rename(1, 'missing', 1, 'x', 0), () => fs.rename(1, 'a', 1, 'b', 8),
  ];
  for (const call of calls) {
    try {
      await call();
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(isFsError(e), `${String(e)}`);
    }
  }
});

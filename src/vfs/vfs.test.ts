// The Vfs beyond single-filesystem POSIX (which test/conformance checks against Linux): mounts, descriptors, readdir cookies, caches, forget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Vfs } from './vfs.js';
import { MemFileSystem } from './memfs/memfs.js';
import { O_APPEND, O_CREAT, O_DIRECTORY, O_RDONLY, O_RDWR, O_WRONLY, SEEK_CUR, SEEK_END, SEEK_SET, AT_EMPTY_PATH } from '../fs/flags.js';
import type { FileSystem } from '../fs/filesystem.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

async function writeFile(p: import('./process.js').VfsProcess, path: string, data: string): Promise<void> {
  const fd = await p.open(path, O_CREAT | O_WRONLY, 0o644);
  await p.write(fd, enc(data));
  await p.close(fd);
}

async function readFile(p: import('./process.js').VfsProcess, path: string): Promise<string> {
  const fd = await p.open(path, O_RDONLY);
  const buf = new Uint8Array(1 << 16);
  const n = await p.read(fd, buf);
  await p.close(fd);
  return dec(buf.subarray(0, n));
}

async function setup(): Promise<{ vfs: Vfs; p: import('./process.js').VfsProcess; root: MemFileSystem }> {
  const root = new MemFileSystem();
  const vfs = await Vfs.create(root);
  return { vfs, p: vfs.process(), root };
}

/** Counts driver calls by name, forwarding to a real memfs (for cache tests). */
function counting(fs: MemFileSystem): { fs: FileSystem; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const proxy = new Proxy(fs, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { fs: proxy, calls };
}

test('mount: files of the mounted filesystem show under the mount point, with their own st_dev', async () => {
  const { vfs, p } = await setup();
  await p.mkdir('/mnt');
  await writeFile(p, '/mnt/hidden', 'under');
  const disk = new MemFileSystem();
  await vfs.mount(disk, '/mnt');
  await writeFile(p, '/mnt/f', 'on the mount');
  assert.deepEqual(await names(p, '/mnt'), ['f']);
  assert.notEqual((await p.stat('/mnt')).dev, (await p.stat('/')).dev);
  assert.equal((await p.stat('/mnt/..')).ino, (await p.stat('/')).ino);
  assert.equal(await p.realpath('/mnt/../mnt/./..'), '/');
  await assert.rejects(p.realpath('/mnt/f/..'), { code: 'ENOTDIR' });
  await vfs.umount('/mnt');
  assert.deepEqual(await names(p, '/mnt'), ['hidden']);
});

test('mount: rename and link across mounts are EXDEV; the mount point is EBUSY', async () => {
  const { vfs, p } = await setup();
  await p.mkdir('/mnt');
  await vfs.mount(new MemFileSystem(), '/mnt');
  await writeFile(p, '/a', 'x');
  await assert.rejects(p.rename('/a', '/mnt/a'), { code: 'EXDEV', syscall: 'rename' });
  await assert.rejects(p.link('/a', '/mnt/a'), { code: 'EXDEV' });
  await assert.rejects(p.rename('/missing', '/mnt/a'), { code: 'EXDEV' }, 'EXDEV is decided before the source is looked up');
  await assert.rejects(p.rmdir('/mnt'), { code: 'EBUSY' });
  await assert.rejects(p.rename('/mnt', '/other'), { code: 'EBUSY' });
});

test('mount: umount is EBUSY while a file is open or the cwd is inside', async () => {
  const { vfs, p } = await setup();
  await p.mkdir('/mnt');
  await vfs.mount(new MemFileSystem(), '/mnt');
  await writeFile(p, '/mnt/f', 'x');
  const fd = await p.open('/mnt/f', O_RDONLY);
  await assert.rejects(vfs.umount('/mnt'), { code: 'EBUSY' });
  await p.close(fd);
  await p.chdir('/mnt');
  await assert.rejects(vfs.umount('/mnt'), { code: 'EBUSY' });
  await p.chdir('/');
  await vfs.umount('/mnt');
  await assert.rejects(vfs.umount('/mnt'), { code: 'EINVAL' });
});

test('mount: a bind mount of a subdirectory shares inodes and caches with the first mount', async () => {
  const { vfs, p } = await setup();
  const disk = new MemFileSystem();
  await p.mkdir('/a');
  await p.mkdir('/b');
  await vfs.mount(disk, '/a');
  await p.mkdir('/a/sub');
  await writeFile(p, '/a/sub/f', 'shared');
  await vfs.mount(disk, '/b', { subdir: '/sub' });
  assert.equal(await readFile(p, '/b/f'), 'shared');
  assert.equal((await p.stat('/b/f')).ino, (await p.stat('/a/sub/f')).ino);
  await p.unlink('/a/sub/f');
  await assert.rejects(p.stat('/b/f'), { code: 'ENOENT' });
  assert.equal((await p.stat('/b/..')).ino, (await p.stat('/')).ino, "'..' of a bind mount's root leaves the mount");
});

test('mount: a read-only mount refuses changes while another mount of the same filesystem writes', async () => {
  const { vfs, p } = await setup();
  const disk = new MemFileSystem();
  await p.mkdir('/rw');
  await p.mkdir('/ro');
  await vfs.mount(disk, '/rw');
  await vfs.mount(disk, '/ro', { readOnly: true });
  await writeFile(p, '/rw/f', 'x');
  assert.equal(await readFile(p, '/ro/f'), 'x');
  await assert.rejects(p.unlink('/ro/f'), { code: 'EROFS' });
  await assert.rejects(p.open('/ro/f', O_WRONLY), { code: 'EROFS' });
  assert.deepEqual(vfs.mounts().map((m) => [m.path, m.readOnly]), [['/', false], ['/rw', false], ['/ro', true]]);
});

test('mount: on a regular file is ENOTDIR, on a missing path ENOENT', async () => {
  const { vfs, p } = await setup();
  await writeFile(p, '/f', 'x');
  await assert.rejects(vfs.mount(new MemFileSystem(), '/f'), { code: 'ENOTDIR', syscall: 'mount' });
  await assert.rejects(vfs.mount(new MemFileSystem(), '/missing'), { code: 'ENOENT' });
});

test('descriptors: dup shares the offset; the lowest free number is reused', async () => {
  const { p } = await setup();
  await writeFile(p, '/f', '0123456789');
  const a = await p.open('/f', O_RDONLY);
  const b = p.dup(a);
  const buf = new Uint8Array(3);
  await p.read(a, buf);
  await p.read(b, buf);
  assert.equal(dec(buf), '345');
  assert.equal(await p.lseek(a, 0, SEEK_CUR), 6);
  await p.close(a);
  assert.equal(await p.open('/f', O_RDONLY), a, 'lowest free descriptor');
  await assert.rejects(p.close(99), { code: 'EBADF' });
  await assert.rejects(p.read(99, buf), { code: 'EBADF' });
});

test('descriptors: lseek SEEK_SET/CUR/END, negative results are EINVAL, O_APPEND moves the offset to the end', async () => {
  const { p } = await setup();
  await writeFile(p, '/f', 'abcdef');
  const fd = await p.open('/f', O_RDWR | O_APPEND);
  assert.equal(await p.lseek(fd, -2, SEEK_END), 4);
  assert.equal(await p.lseek(fd, 1, SEEK_CUR), 5);
  await assert.rejects(p.lseek(fd, -10, SEEK_SET), { code: 'EINVAL' });
  await p.lseek(fd, 0, SEEK_SET);
  await p.write(fd, enc('gh'));
  assert.equal(await p.lseek(fd, 0, SEEK_CUR), 8);
  await p.close(fd);
  assert.equal(await readFile(p, '/f'), 'abcdefgh');
});

test('descriptors: an unlinked open file lives until the last close, then the driver frees it', async () => {
  const { p, root } = await setup();
  const before = root.inodeCount;
  await writeFile(p, '/f', 'data');
  const fd = await p.open('/f', O_RDONLY);
  await p.unlink('/f');
  assert.equal(root.inodeCount, before + 1);
  assert.equal((await p.fstat(fd)).nlink, 0);
  await p.close(fd);
  assert.equal(root.inodeCount, before, 'forget and release let memfs drop the inode');
});

test('readdir: cookies resume where they stopped, across creations and removals, and on another descriptor', async () => {
  const { p } = await setup();
  await p.mkdir('/d');
  for (let i = 0; i < 20; i++) await writeFile(p, `/d/f${i}`, '');
  const fd = await p.open('/d', O_RDONLY | O_DIRECTORY);
  const first = (await p.getdents(fd, 7)).map((e) => e.name);
  const cookie = await p.lseek(fd, 0, SEEK_CUR);
  await p.unlink('/d/f0');
  await p.unlink('/d/f15');
  await writeFile(p, '/d/new', '');
  const rest: string[] = [];
  for (let b = await p.getdents(fd, 5); b.length; b = await p.getdents(fd, 5)) rest.push(...b.map((e) => e.name));
  assert.deepEqual(first, ['.', '..', 'f0', 'f1', 'f2', 'f3', 'f4']);
  assert.ok(!rest.includes('f15'), 'removed before being read: not listed');
  assert.deepEqual(rest.filter((n) => n !== 'new'), ['f5', 'f6', 'f7', 'f8', 'f9', 'f10', 'f11', 'f12', 'f13', 'f14', 'f16', 'f17', 'f18', 'f19']);
  // seekdir on a fresh descriptor with the remembered cookie.
  const fd2 = await p.open('/d', O_RDONLY | O_DIRECTORY);
  await p.lseek(fd2, cookie, SEEK_SET);
  assert.equal((await p.getdents(fd2, 1))[0]!.name, 'f5');
  await p.close(fd);
  await p.close(fd2);
});

test('paths: relative to the cwd and to a directory descriptor; getcwd; a removed cwd', async () => {
  const { p } = await setup();
  await p.mkdir('/a');
  await p.mkdir('/a/b');
  await p.chdir('/a');
  await writeFile(p, 'b/f', 'rel');
  assert.equal(p.getcwd(), '/a');
  const dfd = await p.open('/a/b', O_RDONLY | O_DIRECTORY);
  assert.equal((await p.fstatat(dfd, 'f', 0)).size, 3);
  assert.equal((await p.fstatat(dfd, '', AT_EMPTY_PATH)).ino, (await p.stat('/a/b')).ino);
  const fd = await p.openat(dfd, '../b/f', O_RDONLY);
  await p.close(fd);
  await p.chdir('b');
  await p.unlink('f');
  await p.chdir('..');
  await p.rmdir('b');
  await p.fchdir(dfd);
  assert.throws(() => p.getcwd(), { code: 'ENOENT' });
  await assert.rejects(p.open('x', O_CREAT | O_WRONLY, 0o644), { code: 'ENOENT' }, 'no creating in a removed directory');
});

test('dcache: a missing name is looked up once (negative entry); a created one not at all', async () => {
  const c = counting(new MemFileSystem());
  const vfs = await Vfs.create(c.fs);
  const p = vfs.process();
  await assert.rejects(p.stat('/missing'), { code: 'ENOENT' });
  await assert.rejects(p.stat('/missing'), { code: 'ENOENT' });
  assert.equal(c.calls.lookup, 1);
  await writeFile(p, '/missing', 'now here');
  await p.stat('/missing');
  await p.stat('/missing');
  assert.equal(c.calls.lookup, 1, 'creation fills the cache');
});

test('dcache: two Vfs over one memfs with notify see each other’s changes (invalidation)', async () => {
  const shared = new MemFileSystem({ notify: true });
  const a = (await Vfs.create(shared)).process();
  const b = (await Vfs.create(shared)).process();
  await assert.rejects(b.stat('/f'), { code: 'ENOENT' });
  await writeFile(a, '/f', 'from a');
  assert.equal(await readFile(b, '/f'), 'from a');
  await a.rename('/f', '/g');
  await assert.rejects(b.stat('/f'), { code: 'ENOENT' });
  assert.equal(await readFile(b, '/g'), 'from a');
});

test('dcache: bounded; evicted entries are forgotten and looked up again', async () => {
  const c = counting(new MemFileSystem());
  const vfs = await Vfs.create(c.fs, { maxDentries: 100 });
  const p = vfs.process();
  await p.mkdir('/d');
  for (let i = 0; i < 1000; i++) await writeFile(p, `/d/f${i}`, '');
  const sb = await vfs.superblockFor(c.fs);
  assert.ok(sb.dentryCount <= 100 + 64, `dentries ${sb.dentryCount}`);
  assert.ok((c.calls.forget ?? 0) > 800, `forget called ${c.calls.forget} times`);
  assert.equal((await p.stat('/d/f3')).size, 0);
});

test('symlinks: 40 hops resolve, 41 are ELOOP; errors name the syscall and path', async () => {
  const { p } = await setup();
  await writeFile(p, '/target', 'end');
  for (let i = 0; i < 41; i++) await p.symlink(i === 0 ? '/target' : `/l${i - 1}`, `/l${i}`);
  assert.equal(await readFile(p, '/l39'), 'end');
  await assert.rejects(p.stat('/l40'), (e: { code: string; syscall: string; path: string }) => e.code === 'ELOOP' && e.syscall === 'stat' && e.path === '/l40');
});

test('permissions: off by default (root semantics), on with credentials', async () => {
  const fs = new MemFileSystem();
  const open = await Vfs.create(fs);
  const user = open.process({ creds: { uid: 1000, gid: 1000, groups: [] } });
  await open.process().mkdir('/root-only', 0o700);
  await user.mkdir('/root-only/x');
  assert.equal((await user.stat('/root-only/x')).uid, 1000, 'new files still get the caller as owner');
  const checked = await Vfs.create(new MemFileSystem(), { permissions: true });
  await checked.process().mkdir('/root-only', 0o700);
  await assert.rejects(checked.process({ creds: { uid: 1000, gid: 1000, groups: [] } }).mkdir('/root-only/x'), { code: 'EACCES' });
});

async function names(p: import('./process.js').VfsProcess, dir: string): Promise<string[]> {
  const fd = await p.open(dir, O_RDONLY | O_DIRECTORY);
  const out: string[] = [];
  for (let b = await p.getdents(fd); b.length; b = await p.getdents(fd)) out.push(...b.map((e) => e.name).filter((n) => n !== '.' && n !== '..'));
  await p.close(fd);
  return out.sort();
}

test('capabilities: a driver that declares less gets the right errno before it is called', async () => {
  const fs = new MemFileSystem();
  Object.defineProperty(fs, 'capabilities', {
    value: {
      ...fs.capabilities, symlinks: false, hardlinks: false, posixPermissions: false, specialFiles: false,
      xattrNamespaces: ['user'], renameExchange: false, maxNameLength: 11, maxFileSize: 100,
    },
  });
  const p = (await Vfs.create(fs)).process();
  await writeFile(p, '/f', 'x');
  await assert.rejects(p.symlink('f', '/l'), { code: 'EPERM', syscall: 'symlink' });
  await assert.rejects(p.link('/f', '/g'), { code: 'EPERM' });
  await assert.rejects(p.chmod('/f', 0o600), { code: 'EPERM' });
  await assert.rejects(p.chown('/f', 1, 1), { code: 'EPERM' });
  await assert.rejects(p.mknod('/p', 0o010644), { code: 'EPERM' });
  await assert.rejects(p.setxattr('/f', 'trusted.x', enc('v')), { code: 'EOPNOTSUPP' });
  await p.setxattr('/f', 'user.x', enc('v'));
  await writeFile(p, '/g', 'y');
  await assert.rejects(p.rename('/f', '/g', 2), { code: 'EINVAL' }, 'RENAME_EXCHANGE is not among its capabilities');
  await assert.rejects(p.mkdir('/twelve-chars'), { code: 'ENAMETOOLONG' });
  await p.mkdir('/eleven-char');
  const fd = await p.open('/f', O_WRONLY);
  await assert.rejects(p.write(fd, new Uint8Array(10), 95), { code: 'EFBIG' });
  await p.close(fd);
  await assert.rejects(p.truncate('/f', 101), { code: 'EFBIG' });
});

/** open(2): creation, truncation, flags and every errno (pjdfstest open/*). */
import { O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../../../src/fs/flags.js';
import { S_IFREG } from '../../../src/fs/mode.js';
import { assert, errnoTable, expectErrno, group, readAll, type CaseContext } from '../case.js';
import { str } from '../target.js';
import { dir, file, symlink } from '../tree.js';

const USER = { uid: 1000, gid: 1000 };
const long = 'x'.repeat(256);

export default [
  ...group('open', { needs: ['write'] }, {
    'O_CREAT makes a regular file with mode & ~umask, owned by the caller': async ({ t }) => {
      const fd = await t.open('f', O_CREAT | O_WRONLY, 0o666);
      await t.close(fd);
      const s = await t.stat('f');
      assert.equal(s.mode, S_IFREG | 0o644);
      assert.equal(s.size, 0);
      assert.equal(s.nlink, 1);
      assert.equal(s.uid, 0);
    },
    'O_CREAT keeps setuid and sticky bits from the mode': {
      needs: ['permissions'],
      run: async ({ t }) => {
        await t.close(await t.open('f', O_CREAT | O_WRONLY, 0o4755));
        assert.equal((await t.stat('f')).mode & 0o7777, 0o4755);
      },
    },
    'O_CREAT on an existing file opens it without truncating or changing its mode': {
      tree: { f: file('keep', { mode: 0o600 }) },
      run: async ({ t }) => {
        await t.close(await t.open('f', O_CREAT | O_RDWR, 0o777));
        assert.equal((await t.stat('f')).mode & 0o777, 0o600);
        assert.equal(await readAll(t, 'f'), 'keep');
      },
    },
    'O_CREAT through a dangling symlink creates its target': {
      needs: ['symlinks'],
      tree: { l: symlink('target') },
      run: async ({ t }) => {
        await t.close(await t.open('l', O_CREAT | O_WRONLY, 0o644));
        assert.equal((await t.lstat('target')).mode & 0o170000, S_IFREG);
      },
    },
    'O_TRUNC empties an existing file': {
      tree: { f: file('some data') },
      run: async ({ t }) => {
        await t.close(await t.open('f', O_WRONLY | O_TRUNC));
        assert.equal((await t.stat('f')).size, 0);
      },
    },
    'O_TRUNC marks mtime and ctime even when the file was empty': {
      tree: { f: file('', { mtimeNs: 1_000_000_000_000_000_000n }) },
      run: async ({ t }) => {
        const before = await t.stat('f');
        await t.close(await t.open('f', O_WRONLY | O_TRUNC));
        const after = await t.stat('f');
        assert.ok(after.mtimeNs > before.mtimeNs, 'mtime updated');
        assert.ok(after.ctimeNs > before.ctimeNs, 'ctime updated');
      },
    },
    'O_CREAT updates the parent directory mtime and ctime': {
      tree: { d: dir({}, { mtimeNs: 1_000_000_000_000_000_000n }) },
      run: async ({ t }) => {
        const before = await t.stat('d');
        await t.close(await t.open('d/f', O_CREAT | O_WRONLY, 0o644));
        const after = await t.stat('d');
        assert.ok(after.mtimeNs > before.mtimeNs && after.ctimeNs > before.ctimeNs);
      },
    },
    'a new file has atime = mtime = ctime': async ({ t }) => {
      await t.close(await t.open('f', O_CREAT | O_WRONLY, 0o644));
      const s = await t.stat('f');
      assert.equal(s.atimeNs, s.mtimeNs);
      assert.equal(s.mtimeNs, s.ctimeNs);
    },
    'O_APPEND writes at the end, even with an explicit position': {
      tree: { f: file('abc') },
      run: async ({ t }) => {
        const fd = await t.open('f', O_WRONLY | O_APPEND);
        await t.write(fd, 'de');
        await t.write(fd, 'fg', 0);
        await t.close(fd);
        assert.equal(await readAll(t, 'f'), 'abcdefg');
      },
    },
    'O_DIRECTORY opens a directory, also through a symlink': {
      needs: ['symlinks'],
      tree: { d: dir(), l: symlink('d') },
      run: async ({ t }) => {
        await t.close(await t.open('d', O_RDONLY | O_DIRECTORY));
        await t.close(await t.open('l', O_RDONLY | O_DIRECTORY));
      },
    },
    'O_NOFOLLOW follows symlinks before the last component': {
      needs: ['symlinks'],
      tree: { d: dir({ f: file('x') }), l: symlink('d') },
      run: async ({ t }) => {
        await t.close(await t.open('l/f', O_RDONLY | O_NOFOLLOW));
      },
    },
    'a file created in a setgid directory takes the directory group': {
      needs: ['permissions'],
      tree: { d: dir({}, { mode: 0o2777, gid: 1234 }) },
      run: async ({ t }) => {
        await t.close(await t.open('d/f', O_CREAT | O_WRONLY, 0o644));
        assert.equal((await t.stat('d/f')).gid, 1234);
      },
    },
    'a file created by another user belongs to that user': {
      needs: ['credentials'],
      tree: { d: dir({}, { mode: 0o777 }) },
      run: async ({ t }) => {
        const u = await t.as(USER);
        await u.close(await u.open('d/f', O_CREAT | O_WRONLY, 0o644));
        const s = await t.stat('d/f');
        assert.deepEqual([s.uid, s.gid], [1000, 1000]);
      },
    },
    ...errnoTable([
      ['O_CREAT|O_EXCL on an existing file', 'EEXIST', { f: file() }, (t) => t.open('f', O_CREAT | O_EXCL | O_WRONLY, 0o644)],
      ['O_CREAT|O_EXCL on a directory', 'EEXIST', { d: dir() }, (t) => t.open('d', O_CREAT | O_EXCL | O_RDONLY, 0o644)],
      ['O_CREAT|O_EXCL on a dangling symlink', 'EEXIST', { l: symlink('nowhere') }, (t) => t.open('l', O_CREAT | O_EXCL | O_WRONLY, 0o644), ['symlinks']],
      ['O_CREAT on an existing directory', 'EISDIR', { d: dir() }, (t) => t.open('d', O_CREAT | O_RDONLY, 0o644)],
      ['O_CREAT with a trailing slash', 'EISDIR', {}, (t) => t.open('new/', O_CREAT | O_WRONLY, 0o644)],
      ['O_CREAT in a missing directory', 'ENOENT', {}, (t) => t.open('missing/f', O_CREAT | O_WRONLY, 0o644)],
      ['O_CREAT under a regular file', 'ENOTDIR', { f: file() }, (t) => t.open('f/x', O_CREAT | O_WRONLY, 0o644)],
      ['O_CREAT with a 256-byte name', 'ENAMETOOLONG', {}, (t) => t.open(long, O_CREAT | O_WRONLY, 0o644)],
      ['O_CREAT without write permission on the directory', 'EACCES', { d: dir({}, { mode: 0o755 }) },
        async (t) => (await t.as(USER)).open('d/f', O_CREAT | O_WRONLY, 0o644), ['credentials']],
    ]),
  }),
  ...group('open', {}, {
    'O_RDONLY reads a file': {
      tree: { f: file('hello') },
      run: async ({ t }: CaseContext) => {
        const fd = await t.open('f', O_RDONLY);
        assert.equal(str(await t.read(fd, 100)), 'hello');
        await t.close(fd);
      },
    },
    'root may read a file with mode 000': {
      needs: ['permissions'],
      tree: { f: file('secret', { mode: 0 }) },
      run: async ({ t }) => assert.equal(await readAll(t, 'f'), 'secret'),
    },
    ...errnoTable([
      ['a missing file', 'ENOENT', {}, (t) => t.open('missing', O_RDONLY)],
      ['an empty path', 'ENOENT', {}, (t) => t.open('', O_RDONLY)],
      ['a path through a regular file', 'ENOTDIR', { f: file() }, (t) => t.open('f/x', O_RDONLY)],
      ['a regular file with a trailing slash', 'ENOTDIR', { f: file() }, (t) => t.open('f/', O_RDONLY)],
      ['O_DIRECTORY on a regular file', 'ENOTDIR', { f: file() }, (t) => t.open('f', O_RDONLY | O_DIRECTORY)],
      ['O_NOFOLLOW on a symlink', 'ELOOP', { f: file(), l: symlink('f') }, (t) => t.open('l', O_RDONLY | O_NOFOLLOW), ['symlinks']],
      ['a symlink loop', 'ELOOP', { a: symlink('b'), b: symlink('a') }, (t) => t.open('a', O_RDONLY), ['symlinks']],
      ['a symlink to itself', 'ELOOP', { a: symlink('a') }, (t) => t.open('a', O_RDONLY), ['symlinks']],
      ['a dangling symlink', 'ENOENT', { l: symlink('nowhere') }, (t) => t.open('l', O_RDONLY), ['symlinks']],
      ['a directory for writing', 'EISDIR', { d: dir() }, (t) => t.open('d', O_WRONLY)],
      ['a directory for reading and writing', 'EISDIR', { d: dir() }, (t) => t.open('d', O_RDWR)],
      ['a name of 256 bytes', 'ENAMETOOLONG', {}, (t) => t.open(long, O_RDONLY)],
      ['a path of 4096 bytes', 'ENAMETOOLONG', {}, (t) => t.open('a/'.repeat(2048), O_RDONLY)],
      ['reading without read permission', 'EACCES', { f: file('x', { mode: 0o200 }) }, async (t) => (await t.as(USER)).open('f', O_RDONLY), ['credentials']],
      ['writing without write permission', 'EACCES', { f: file('x', { mode: 0o444 }) }, async (t) => (await t.as(USER)).open('f', O_WRONLY), ['credentials', 'write']],
      ['O_TRUNC without write permission', 'EACCES', { f: file('x', { mode: 0o444 }) }, async (t) => (await t.as(USER)).open('f', O_RDONLY | O_TRUNC), ['credentials', 'write']],
      ['without search permission on a directory in the path', 'EACCES', { d: dir({ f: file('x', { mode: 0o644 }) }, { mode: 0o700 }) },
        async (t) => (await t.as(USER)).open('d/f', O_RDONLY), ['credentials']],
      ['the owner without read permission (owner bits win over other bits)', 'EACCES', { f: file('x', { mode: 0o047, uid: 1000, gid: 1000 }) },
        async (t) => (await t.as(USER)).open('f', O_RDONLY), ['credentials']],
    ]),
  }),
  ...group('open', { needs: ['readonly'] }, {
    ...errnoTable([
      ['O_WRONLY on a read-only filesystem', 'EROFS', { f: file('x') }, (t) => t.open('f', O_WRONLY)],
      ['O_RDWR on a read-only filesystem', 'EROFS', { f: file('x') }, (t) => t.open('f', O_RDWR)],
      ['O_TRUNC on a read-only filesystem', 'EROFS', { f: file('x') }, (t) => t.open('f', O_RDONLY | O_TRUNC)],
      ['O_CREAT of a new file on a read-only filesystem', 'EROFS', {}, (t) => t.open('new', O_CREAT | O_WRONLY, 0o644)],
      ['O_CREAT|O_EXCL of an existing file on a read-only filesystem', 'EEXIST', { f: file('x') }, (t) => t.open('f', O_CREAT | O_EXCL | O_RDONLY, 0o644)],
    ]),
    'O_CREAT of an existing file for reading works on a read-only filesystem': {
      tree: { f: file('x') },
      run: async ({ t }) => t.close(await t.open('f', O_CREAT | O_RDONLY, 0o644)),
    },
  }),
  ...group('open', { needs: ['write'] }, {
    'reading a write-only descriptor is EBADF': async ({ t }) => {
      const fd = await t.open('f', O_CREAT | O_WRONLY, 0o644);
      await expectErrno(t.read(fd, 10), 'EBADF');
      await t.close(fd);
    },
    'writing a read-only descriptor is EBADF': {
      tree: { f: file('x') },
      run: async ({ t }) => {
        const fd = await t.open('f', O_RDONLY);
        await expectErrno(t.write(fd, 'y'), 'EBADF');
        await t.close(fd);
      },
    },
  }),
];

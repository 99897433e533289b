/** rename(2) and renameat2(2): replacing, directories, flags, link counts, timestamps, every errno (pjdfstest rename). */
import { RENAME_EXCHANGE, RENAME_NOREPLACE } from '../../../src/fs/filesystem.js';
import { S_IFDIR, S_IFLNK, S_IFREG } from '../../../src/fs/mode.js';
import { assert, errnoTable, exists, group, readAll, typeOf } from '../case.js';
import { dir, file, hardlink, symlink } from '../tree.js';

const OLD = 1_000_000_000_000_000_000n;
const USER = { uid: 1000, gid: 1000 };

export default [
  ...group('rename', { needs: ['write'] }, {
    'moves a file within a directory, keeping its inode': {
      tree: { a: file('data') },
      run: async ({ t }) => {
        const ino = (await t.stat('a')).ino;
        await t.rename('a', 'b');
        assert.equal(await exists(t, 'a'), false);
        assert.equal((await t.stat('b')).ino, ino);
        assert.equal(await readAll(t, 'b'), 'data');
      },
    },
    'moves a file to another directory': {
      tree: { a: file('data'), d: dir() },
      run: async ({ t }) => {
        await t.rename('a', 'd/a');
        assert.deepEqual(await t.readdir('d'), ['a']);
      },
    },
    'replaces an existing file': {
      tree: { a: file('new'), b: file('old') },
      run: async ({ t }) => {
        await t.rename('a', 'b');
        assert.equal(await readAll(t, 'b'), 'new');
        assert.deepEqual(await t.readdir('.'), ['b']);
      },
    },
    'replacing a file drops a link of the replaced inode': {
      needs: ['hardlinks'],
      tree: { a: file('new'), b: file('old'), c: hardlink('b') },
      run: async ({ t }) => {
        await t.rename('a', 'b');
        assert.equal((await t.stat('c')).nlink, 1);
        assert.equal(await readAll(t, 'c'), 'old');
      },
    },
    'renaming one hard link onto another does nothing': {
      needs: ['hardlinks'],
      tree: { a: file('x'), b: hardlink('a') },
      run: async ({ t }) => {
        await t.rename('a', 'b');
        assert.deepEqual(await t.readdir('.'), ['a', 'b']);
        assert.equal((await t.stat('a')).nlink, 2);
      },
    },
    'renaming a file onto itself does nothing': {
      tree: { a: file('x') },
      run: async ({ t }) => {
        await t.rename('a', 'a');
        assert.equal(await readAll(t, 'a'), 'x');
      },
    },
    'moves a directory with its contents': {
      needs: ['rename-dir'],
      tree: { d: dir({ f: file('x'), e: dir({ g: file('y') }) }) },
      run: async ({ t }) => {
        await t.rename('d', 'n');
        assert.equal(await readAll(t, 'n/e/g'), 'y');
        assert.equal(await exists(t, 'd'), false);
      },
    },
    'replaces an empty directory with a directory': {
      needs: ['rename-dir'],
      tree: { a: dir({ f: file() }), b: dir() },
      run: async ({ t }) => {
        await t.rename('a', 'b');
        assert.deepEqual(await t.readdir('b'), ['f']);
      },
    },
    'moving a directory between parents moves its link count': {
      needs: ['stable-ino', 'rename-dir'],
      tree: { p: dir({ d: dir() }), q: dir() },
      run: async ({ t }) => {
        await t.rename('p/d', 'q/d');
        assert.equal((await t.stat('p')).nlink, 2);
        assert.equal((await t.stat('q')).nlink, 3);
        assert.equal((await t.stat('q/d/..')).ino, (await t.stat('q')).ino);
      },
    },
    'updates the moved inode ctime and both parents mtime, not the inode mtime': {
      tree: { p: dir({ f: file('x', { mtimeNs: OLD }) }, { mtimeNs: OLD }), q: dir({}, { mtimeNs: OLD }) },
      run: async ({ t }) => {
        const f0 = await t.stat('p/f');
        await t.rename('p/f', 'q/f');
        const f1 = await t.stat('q/f');
        assert.ok(f1.ctimeNs > f0.ctimeNs);
        assert.equal(f1.mtimeNs, OLD);
        assert.ok((await t.stat('p')).mtimeNs > OLD);
        assert.ok((await t.stat('q')).mtimeNs > OLD);
      },
    },
    'moves a symlink, not its target': {
      needs: ['symlinks'],
      tree: { f: file(), l: symlink('f') },
      run: async ({ t }) => {
        await t.rename('l', 'm');
        assert.equal(typeOf(await t.lstat('m')), S_IFLNK);
        assert.equal(typeOf(await t.lstat('f')), S_IFREG);
      },
    },
    'a directory may be renamed with trailing slashes': {
      needs: ['rename-dir'],
      tree: { d: dir() },
      run: async ({ t }) => {
        await t.rename('d/', 'e/');
        assert.equal(typeOf(await t.stat('e')), S_IFDIR);
      },
    },
    'RENAME_NOREPLACE moves to a free name': {
      needs: ['rename-noreplace'],
      tree: { a: file('x') },
      run: async ({ t }) => {
        await t.rename('a', 'b', RENAME_NOREPLACE);
        assert.equal(await readAll(t, 'b'), 'x');
      },
    },
    'RENAME_EXCHANGE swaps two files': {
      needs: ['rename-exchange'],
      tree: { a: file('A'), b: file('B') },
      run: async ({ t }) => {
        await t.rename('a', 'b', RENAME_EXCHANGE);
        assert.equal(await readAll(t, 'a'), 'B');
        assert.equal(await readAll(t, 'b'), 'A');
      },
    },
    'RENAME_EXCHANGE swaps a file and a directory across parents': {
      needs: ['rename-exchange', 'rename-dir'],
      tree: { p: dir({ f: file('F') }), q: dir({ d: dir({ x: file() }) }) },
      run: async ({ t }) => {
        await t.rename('p/f', 'q/d', RENAME_EXCHANGE);
        assert.equal(await readAll(t, 'q/d'), 'F');
        assert.deepEqual(await t.readdir('p/f'), ['x']);
      },
    },
    'another user may rename their own file in a sticky directory': {
      needs: ['credentials'],
      tree: { s: dir({ f: file('x', { uid: 1000, gid: 1000 }) }, { mode: 0o1777 }) },
      run: async ({ t }) => (await t.as(USER)).rename('s/f', 's/g'),
    },
    ...errnoTable([
      ['a missing source', 'ENOENT', {}, (t) => t.rename('missing', 'b')],
      ['a missing target directory', 'ENOENT', { a: file() }, (t) => t.rename('a', 'missing/b')],
      ['a directory onto a file', 'ENOTDIR', { d: dir(), f: file() }, (t) => t.rename('d', 'f')],
      ['a file onto a directory', 'EISDIR', { f: file(), d: dir() }, (t) => t.rename('f', 'd')],
      ['a directory onto a non-empty directory', 'ENOTEMPTY', { a: dir(), b: dir({ f: file() }) }, (t) => t.rename('a', 'b'), ['rename-dir']],
      ['a directory into itself', 'EINVAL', { d: dir({ e: dir() }) }, (t) => t.rename('d', 'd/e/x')],
      ['a directory into its own child name', 'EINVAL', { d: dir() }, (t) => t.rename('d', 'd/x')],
      ['onto an ancestor of the source', 'ENOTEMPTY', { a: dir({ b: dir({ c: dir() }) }) }, (t) => t.rename('a/b/c', 'a')],
      ["'.' as source", 'EBUSY', { d: dir() }, (t) => t.rename('d/.', 'e')],
      ["'..' as source", 'EBUSY', { d: dir() }, (t) => t.rename('d/..', 'e')],
      ["'.' as target", 'EBUSY', { d: dir(), e: dir() }, (t) => t.rename('d', 'e/.')],
      ['a file with a trailing slash', 'ENOTDIR', { f: file() }, (t) => t.rename('f/', 'g')],
      ['a file onto a new name with a trailing slash', 'ENOTDIR', { f: file() }, (t) => t.rename('f', 'g/')],
      ['a path through a file', 'ENOTDIR', { f: file(), g: file() }, (t) => t.rename('f', 'g/x')],
      ['a 256-byte target name', 'ENAMETOOLONG', { f: file() }, (t) => t.rename('f', 'n'.repeat(256))],
      ['RENAME_NOREPLACE onto an existing file', 'EEXIST', { a: file(), b: file() }, (t) => t.rename('a', 'b', RENAME_NOREPLACE), ['rename-noreplace']],
      ['RENAME_NOREPLACE onto a hard link of itself', 'EEXIST', { a: file(), b: hardlink('a') }, (t) => t.rename('a', 'b', RENAME_NOREPLACE), ['rename-noreplace', 'hardlinks']],
      ['RENAME_EXCHANGE with a missing target', 'ENOENT', { a: file() }, (t) => t.rename('a', 'b', RENAME_EXCHANGE), ['rename-exchange']],
      ['RENAME_EXCHANGE of a directory with its own child', 'EINVAL', { d: dir({ e: dir() }) }, (t) => t.rename('d', 'd/e', RENAME_EXCHANGE), ['rename-exchange']],
      ['RENAME_NOREPLACE together with RENAME_EXCHANGE', 'EINVAL', { a: file(), b: file() }, (t) => t.rename('a', 'b', RENAME_NOREPLACE | RENAME_EXCHANGE), ['rename-noreplace']],
      ['unknown flags', 'EINVAL', { a: file() }, (t) => t.rename('a', 'b', 0x100), ['rename-noreplace']],
      ['without write permission on the source directory', 'EACCES', { p: dir({ f: file() }), w: dir({}, { mode: 0o777 }) },
        async (t) => (await t.as(USER)).rename('p/f', 'w/f'), ['credentials']],
      ['without write permission on the target directory', 'EACCES', { w: dir({ f: file() }, { mode: 0o777 }), p: dir() },
        async (t) => (await t.as(USER)).rename('w/f', 'p/f'), ['credentials']],
      ['a directory to another parent without write permission on it', 'EACCES',
        { w: dir({ d: dir({}, { mode: 0o555, uid: 1000, gid: 1000 }) }, { mode: 0o777 }), v: dir({}, { mode: 0o777 }) },
        async (t) => (await t.as(USER)).rename('w/d', 'v/d'), ['credentials']],
      ["another user's file out of a sticky directory", 'EPERM', { s: dir({ f: file('x', { uid: 2000, gid: 2000 }) }, { mode: 0o1777 }) },
        async (t) => (await t.as(USER)).rename('s/f', 's/g'), ['credentials']],
      ["onto another user's file in a sticky directory", 'EPERM', { s: dir({ f: file('x', { uid: 2000, gid: 2000 }), g: file('y', { uid: 1000, gid: 1000 }) }, { mode: 0o1777 }) },
        async (t) => (await t.as(USER)).rename('s/g', 's/f'), ['credentials']],
    ]),
  }),
  ...group('rename', { needs: ['readonly'] }, errnoTable([
    ['on a read-only filesystem', 'EROFS', { a: file() }, (t) => t.rename('a', 'b')],
    ['of a missing file on a read-only filesystem (EROFS comes first)', 'EROFS', {}, (t) => t.rename('missing', 'b')],
  ])),
];

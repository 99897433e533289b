/** unlink(2) and rmdir(2): link counts, open files, trailing slashes, sticky directories, every errno. */
import { O_RDONLY } from '../../../src/fs/flags.js';
import { assert, errnoTable, exists, group } from '../case.js';
import { str } from '../target.js';
import { dir, file, hardlink, symlink } from '../tree.js';

const OLD = 1_000_000_000_000_000_000n;
const USER = { uid: 1000, gid: 1000 };

export default [
  ...group('unlink', { needs: ['write'] }, {
    'removes the name': {
      tree: { f: file() },
      run: async ({ t }) => {
        await t.unlink('f');
        assert.equal(await exists(t, 'f'), false);
        assert.deepEqual(await t.readdir('.'), []);
      },
    },
    'drops one link of several and updates the inode ctime': {
      needs: ['hardlinks'],
      tree: { f: file('x', { mtimeNs: OLD }), g: hardlink('f') },
      run: async ({ t }) => {
        const before = await t.stat('g');
        await t.unlink('f');
        const after = await t.stat('g');
        assert.equal(after.nlink, 1);
        assert.ok(after.ctimeNs > before.ctimeNs);
      },
    },
    'updates the parent mtime and ctime': {
      tree: { d: dir({ f: file() }, { mtimeNs: OLD }) },
      run: async ({ t }) => {
        await t.unlink('d/f');
        assert.ok((await t.stat('d')).mtimeNs > OLD);
      },
    },
    'removes a symlink, not its target': {
      needs: ['symlinks'],
      tree: { f: file('x'), l: symlink('f') },
      run: async ({ t }) => {
        await t.unlink('l');
        assert.equal(await exists(t, 'l'), false);
        assert.equal(await exists(t, 'f'), true);
      },
    },
    'an open file stays readable after its last name is gone': {
      tree: { f: file('still here') },
      run: async ({ t }) => {
        const fd = await t.open('f', O_RDONLY);
        await t.unlink('f');
        assert.equal(str(await t.read(fd, 100, 0)), 'still here');
        await t.close(fd);
      },
    },
    'an open file whose last name is gone has no links': {
      needs: ['stable-ino'],
      tree: { f: file('x') },
      run: async ({ t }) => {
        const fd = await t.open('f', O_RDONLY);
        await t.unlink('f');
        assert.equal((await t.fstat(fd)).nlink, 0);
        await t.close(fd);
      },
    },
    'the owner of an entry in a sticky directory may remove it': {
      needs: ['credentials'],
      tree: { s: dir({ f: file('x', { uid: 1000, gid: 1000 }) }, { mode: 0o1777 }) },
      run: async ({ t }) => (await t.as(USER)).unlink('s/f'),
    },
    'the owner of a sticky directory may remove any entry': {
      needs: ['credentials'],
      tree: { s: dir({ f: file('x', { uid: 2000, gid: 2000 }) }, { mode: 0o1777, uid: 1000, gid: 1000 }) },
      run: async ({ t }) => (await t.as(USER)).unlink('s/f'),
    },
    ...errnoTable([
      ['a directory', 'EISDIR', { d: dir() }, (t) => t.unlink('d')],
      ['a missing file', 'ENOENT', {}, (t) => t.unlink('missing')],
      ['a file with a trailing slash', 'ENOTDIR', { f: file() }, (t) => t.unlink('f/')],
      ['a directory with a trailing slash', 'EISDIR', { d: dir() }, (t) => t.unlink('d/')],
      ['a missing name with a trailing slash', 'ENOENT', {}, (t) => t.unlink('x/')],
      ["'.'", 'EISDIR', { d: dir() }, (t) => t.unlink('d/.')],
      ['a path through a file', 'ENOTDIR', { f: file() }, (t) => t.unlink('f/x')],
      ['without write permission on the parent', 'EACCES', { d: dir({ f: file('x', { mode: 0o666 }) }) }, async (t) => (await t.as(USER)).unlink('d/f'), ['credentials']],
      ['a directory without write permission on the parent (EACCES comes first)', 'EACCES', { d: dir({ e: dir() }) }, async (t) => (await t.as(USER)).unlink('d/e'), ['credentials']],
      ["another user's file in a sticky directory", 'EPERM', { s: dir({ f: file('x', { uid: 2000, gid: 2000, mode: 0o666 }) }, { mode: 0o1777 }) },
        async (t) => (await t.as(USER)).unlink('s/f'), ['credentials']],
    ]),
  }),
  ...group('unlink', { needs: ['readonly'] }, errnoTable([
    ['on a read-only filesystem', 'EROFS', { f: file() }, (t) => t.unlink('f')],
    ['of a missing name on a read-only filesystem (EROFS comes first)', 'EROFS', {}, (t) => t.unlink('missing')],
  ])),

  ...group('rmdir', { needs: ['write'] }, {
    'removes an empty directory and a link from its parent': {
      needs: ['stable-ino'],
      tree: { p: dir({ d: dir() }) },
      run: async ({ t }) => {
        const before = await t.stat('p');
        await t.rmdir('p/d');
        assert.equal(await exists(t, 'p/d'), false);
        assert.equal((await t.stat('p')).nlink, before.nlink - 1);
      },
    },
    'accepts a trailing slash': {
      tree: { d: dir() },
      run: async ({ t }) => {
        await t.rmdir('d/');
        assert.equal(await exists(t, 'd'), false);
      },
    },
    'updates the parent mtime': {
      tree: { p: dir({ d: dir() }, { mtimeNs: OLD }) },
      run: async ({ t }) => {
        await t.rmdir('p/d');
        assert.ok((await t.stat('p')).mtimeNs > OLD);
      },
    },
    ...errnoTable([
      ['a directory with a file', 'ENOTEMPTY', { d: dir({ f: file() }) }, (t) => t.rmdir('d')],
      ['a directory with a subdirectory', 'ENOTEMPTY', { d: dir({ e: dir() }) }, (t) => t.rmdir('d')],
      ['a regular file', 'ENOTDIR', { f: file() }, (t) => t.rmdir('f')],
      ['a symlink to a directory', 'ENOTDIR', { d: dir(), l: symlink('d') }, (t) => t.rmdir('l'), ['symlinks']],
      ['a symlink to a directory with a trailing slash', 'ENOTDIR', { d: dir(), l: symlink('d') }, (t) => t.rmdir('l/'), ['symlinks']],
      ['a missing directory', 'ENOENT', {}, (t) => t.rmdir('missing')],
      ["'.'", 'EINVAL', { d: dir() }, (t) => t.rmdir('d/.')],
      ["'..'", 'ENOTEMPTY', { d: dir({ e: dir() }) }, (t) => t.rmdir('d/e/..')],
      ['without write permission on the parent', 'EACCES', { p: dir({ d: dir({}, { mode: 0o777 }) }) }, async (t) => (await t.as(USER)).rmdir('p/d'), ['credentials']],
      ["another user's directory in a sticky directory", 'EPERM', { s: dir({ d: dir({}, { uid: 2000, gid: 2000 }) }, { mode: 0o1777 }) },
        async (t) => (await t.as(USER)).rmdir('s/d'), ['credentials']],
    ]),
  }),
  ...group('rmdir', { needs: ['readonly'] }, errnoTable([
    ['on a read-only filesystem', 'EROFS', { d: dir() }, (t) => t.rmdir('d')],
  ])),
];

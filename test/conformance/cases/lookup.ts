/**
 * Lookups that change nothing: stat/lstat, access, readdir, readlink,
 * realpath and path resolution ('.', '..', symlinks, trailing slashes,
 * ELOOP, ENAMETOOLONG). They run on read-only setups too.
 */
import { F_OK, R_OK, W_OK, X_OK } from '../../../src/fs/flags.js';
import { S_IFDIR, S_IFLNK, S_IFREG } from '../../../src/fs/mode.js';
import { assert, errnoTable, group, readAll, typeOf } from '../case.js';
import { dir, file, hardlink, symlink } from '../tree.js';

const USER = { uid: 1000, gid: 1000 };
const chain = (n: number): Record<string, ReturnType<typeof symlink>> => {
  const links: Record<string, ReturnType<typeof symlink>> = {};
  for (let i = 0; i < n; i++) links[`l${i}`] = symlink(i === n - 1 ? 'f' : `l${i + 1}`);
  return links;
};

export default [
  ...group('stat', {}, {
    'a regular file: type, permissions, size, one link': {
      tree: { f: file('hello', { mode: 0o640 }) },
      run: async ({ t }) => {
        const s = await t.stat('f');
        assert.equal(s.mode, S_IFREG | 0o640);
        assert.equal(s.size, 5);
        assert.equal(s.nlink, 1);
      },
    },
    'a directory has 2 + subdirectories links': {
      needs: ['stable-ino'],
      tree: { d: dir({ a: dir(), b: dir(), f: file() }) },
      run: async ({ t }) => {
        const s = await t.stat('d');
        assert.equal(typeOf(s), S_IFDIR);
        assert.equal(s.nlink, 4);
      },
    },
    'a directory size is 40 + 20 per entry (tmpfs)': {
      needs: ['tmpfs-sizes'],
      tree: { d: dir({ a: dir(), f: file(), g: file() }) },
      run: async ({ t }) => assert.equal((await t.stat('d')).size, 100),
    },
    'owner and group as stored': {
      needs: ['permissions'],
      tree: { f: file('x', { uid: 1234, gid: 5678 }) },
      run: async ({ t }) => {
        const s = await t.stat('f');
        assert.deepEqual([s.uid, s.gid], [1234, 5678]);
      },
    },
    'nanosecond timestamps as set': {
      needs: ['ns-timestamps'],
      tree: { f: file('x', { mtimeNs: 1_234_567_890_123_456_789n }) },
      run: async ({ t }) => {
        const s = await t.stat('f');
        assert.equal(s.mtimeNs, 1_234_567_890_123_456_789n);
        assert.equal(s.atimeNs, 1_234_567_890_123_456_789n);
      },
    },
    'lstat of a symlink: the link itself, size = target length': {
      needs: ['symlinks'],
      tree: { f: file('x'), l: symlink('f') },
      run: async ({ t }) => {
        const s = await t.lstat('l');
        assert.equal(typeOf(s), S_IFLNK);
        assert.equal(s.size, 1);
        assert.equal(typeOf(await t.stat('l')), S_IFREG);
      },
    },
    'lstat of a dangling symlink works; stat is ENOENT': {
      needs: ['symlinks'],
      tree: { l: symlink('nowhere') },
      run: async ({ t }) => {
        assert.equal(typeOf(await t.lstat('l')), S_IFLNK);
        await assert.rejects(t.stat('l'), { code: 'ENOENT' });
      },
    },
    'lstat with a trailing slash follows a symlink to a directory': {
      needs: ['symlinks'],
      tree: { d: dir(), l: symlink('d') },
      run: async ({ t }) => assert.equal(typeOf(await t.lstat('l/')), S_IFDIR),
    },
    'hard links share the inode number and count': {
      needs: ['hardlinks'],
      tree: { f: file('x'), g: hardlink('f'), h: file('y') },
      run: async ({ t }) => {
        const [f, g, h] = [await t.stat('f'), await t.stat('g'), await t.stat('h')];
        assert.equal(f.ino, g.ino);
        assert.notEqual(f.ino, h.ino);
        assert.equal(f.nlink, 2);
      },
    },
    "'.' and '..' name the directory and its parent": {
      tree: { d: dir({ e: dir() }) },
      run: async ({ t }) => {
        assert.equal((await t.stat('d/e/..')).ino, (await t.stat('d')).ino);
        assert.equal((await t.stat('d/./e/.')).ino, (await t.stat('d/e')).ino);
        assert.equal((await t.stat('d//e')).ino, (await t.stat('d/e')).ino);
      },
    },
    '.. after a symlink to a directory goes to the target’s parent': {
      needs: ['symlinks'],
      tree: { a: dir({ b: dir() }), l: symlink('a/b') },
      run: async ({ t }) => assert.equal((await t.stat('l/..')).ino, (await t.stat('a')).ino),
    },
    'a chain of 40 symlinks resolves': {
      needs: ['symlinks'],
      tree: { f: file('end'), ...chain(40) },
      run: async ({ t }) => assert.equal(await readAll(t, 'l0'), 'end'),
    },
    'a 255-byte name is allowed': {
      tree: { ['n'.repeat(255)]: file('x') },
      run: async ({ t }) => assert.equal((await t.stat('n'.repeat(255))).size, 1),
    },
    ...errnoTable([
      ['a missing file', 'ENOENT', {}, (t) => t.stat('missing')],
      ['a missing directory in the path', 'ENOENT', {}, (t) => t.stat('missing/f')],
      ['an empty path', 'ENOENT', {}, (t) => t.stat('')],
      ['a path through a regular file', 'ENOTDIR', { f: file() }, (t) => t.stat('f/x')],
      ['a regular file with a trailing slash', 'ENOTDIR', { f: file() }, (t) => t.stat('f/')],
      ['a regular file with a trailing slash and dot', 'ENOTDIR', { f: file() }, (t) => t.stat('f/.')],
      ['lstat of a symlink to a file with a trailing slash', 'ENOTDIR', { f: file(), l: symlink('f') }, (t) => t.lstat('l/'), ['symlinks']],
      ['a chain of 41 symlinks', 'ELOOP', { f: file(), ...chain(41) }, (t) => t.stat('l0'), ['symlinks']],
      ['a symlink loop in the middle of a path', 'ELOOP', { a: symlink('b'), b: symlink('a') }, (t) => t.lstat('a/x'), ['symlinks']],
      ['a 256-byte name', 'ENAMETOOLONG', {}, (t) => t.stat('n'.repeat(256))],
      ['a 4096-byte path', 'ENAMETOOLONG', { d: dir() }, (t) => t.stat('./'.repeat(2048))],
      ['without search permission on the directory', 'EACCES', { d: dir({ f: file() }, { mode: 0o600 }) },
        async (t) => (await t.as(USER)).stat('d/f'), ['credentials']],
    ]),
  }),
  ...group('access', {}, {
    'root may read and write anything, and execute what has an x bit': {
      needs: ['permissions'],
      tree: { f: file('x', { mode: 0 }), x: file('x', { mode: 0o100 }) },
      run: async ({ t }) => {
        await t.access('f', R_OK);
        await t.access('x', X_OK);
      },
    },
    ...errnoTable([
      ['F_OK of a missing file', 'ENOENT', {}, (t) => t.access('missing', F_OK)],
      ['X_OK by root of a file without x bits', 'EACCES', { f: file('x', { mode: 0o644 }) }, (t) => t.access('f', X_OK), ['permissions']],
      ['R_OK by another user without read permission', 'EACCES', { f: file('x', { mode: 0o640 }) },
        async (t) => (await t.as(USER)).access('f', R_OK), ['credentials']],
      ['W_OK by a group member without group write', 'EACCES', { f: file('x', { mode: 0o646, gid: 1000 }) },
        async (t) => (await t.as(USER)).access('f', W_OK), ['credentials', 'write']],
    ]),
  }),
  ...group('access', { needs: ['readonly'] }, errnoTable([
    ['W_OK on a read-only filesystem', 'EROFS', { f: file('x') }, (t) => t.access('f', W_OK)],
  ])),
  ...group('readdir', {}, {
    'lists every entry once, without . and ..': {
      tree: { d: dir({ a: file(), b: dir(), c: file() }) },
      run: async ({ t }) => assert.deepEqual(await t.readdir('d'), ['a', 'b', 'c']),
    },
    'reports entry types': {
      needs: ['symlinks'],
      tree: { d: dir({ a: file(), b: dir(), c: symlink('a') }) },
      run: async ({ t }) => assert.deepEqual(await t.readdirTypes('d'), [['a', 'file'], ['b', 'dir'], ['c', 'symlink']]),
    },
    'an empty directory lists nothing': {
      tree: { d: dir() },
      run: async ({ t }) => assert.deepEqual(await t.readdir('d'), []),
    },
    'a directory of 2000 entries lists all of them': {
      tree: { d: dir(Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`f${String(i).padStart(4, '0')}`, file()]))) },
      run: async ({ t }) => {
        const names = await t.readdir('d');
        assert.equal(names.length, 2000);
        assert.equal(new Set(names).size, 2000);
      },
    },
    'a symlink to a directory lists the directory': {
      needs: ['symlinks'],
      tree: { d: dir({ a: file() }), l: symlink('d') },
      run: async ({ t }) => assert.deepEqual(await t.readdir('l'), ['a']),
    },
    ...errnoTable([
      ['a regular file', 'ENOTDIR', { f: file() }, (t) => t.readdir('f')],
      ['a missing directory', 'ENOENT', {}, (t) => t.readdir('missing')],
      ['without read permission', 'EACCES', { d: dir({}, { mode: 0o711 }) }, async (t) => (await t.as(USER)).readdir('d'), ['credentials']],
    ]),
  }),
  ...group('readlink', { needs: ['symlinks'] }, {
    'returns the target as stored, relative or absolute, without resolving it': {
      tree: { a: symlink('../x/./y'), b: symlink('/abs/path'), c: symlink('dangling') },
      run: async ({ t }) => {
        assert.equal(await t.readlink('a'), '../x/./y');
        assert.equal(await t.readlink('b'), '/abs/path');
        assert.equal(await t.readlink('c'), 'dangling');
      },
    },
    'follows symlinks before the last component': {
      tree: { d: dir({ l: symlink('t') }), m: symlink('d') },
      run: async ({ t }) => assert.equal(await t.readlink('m/l'), 't'),
    },
    ...errnoTable([
      ['a regular file', 'EINVAL', { f: file() }, (t) => t.readlink('f')],
      ['a directory', 'EINVAL', { d: dir() }, (t) => t.readlink('d')],
      ['a missing file', 'ENOENT', {}, (t) => t.readlink('missing')],
      ['a path through a file', 'ENOTDIR', { f: file() }, (t) => t.readlink('f/l')],
    ]),
  }),
  ...group('realpath', {}, {
    "resolves '.', '..' and symlinks": {
      needs: ['symlinks'],
      tree: { a: dir({ b: dir({ f: file() }) }), l: symlink('a/b'), m: symlink('l/../b') },
      run: async ({ t }) => {
        assert.equal(await t.realpath('a/./b/../b/f'), 'a/b/f');
        assert.equal(await t.realpath('l/f'), 'a/b/f');
        assert.equal(await t.realpath('m'), 'a/b');
      },
    },
    ...errnoTable([['a dangling symlink', 'ENOENT', { l: symlink('x') }, (t) => t.realpath('l'), ['symlinks']]]),
  }),
];

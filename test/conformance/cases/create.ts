/** mkdir(2), mknod(2), symlink(2), link(2): what they make and every errno (pjdfstest mkdir, mknod, symlink, link). */
import { S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, makedev } from '../../../src/fs/mode.js';
import { assert, errnoTable, group, readAll, typeOf, writeAll } from '../case.js';
import { dir, file, symlink } from '../tree.js';

const OLD = 1_000_000_000_000_000_000n;
const USER = { uid: 1000, gid: 1000 };
const W = { w: dir({}, { mode: 0o777 }) };

export default [
  ...group('mkdir', { needs: ['write'] }, {
    'makes a directory with mode & ~umask and two links': async ({ t }) => {
      await t.mkdir('d', 0o777);
      const s = await t.stat('d');
      assert.equal(s.mode, S_IFDIR | 0o755);
      assert.equal(s.nlink, 2);
    },
    'keeps the sticky bit, drops setuid and setgid': {
      needs: ['permissions'],
      run: async ({ t }) => {
        await t.mkdir('s', 0o1777);
        await t.mkdir('u', 0o6777);
        assert.equal((await t.stat('s')).mode & 0o7777, 0o1755);
        assert.equal((await t.stat('u')).mode & 0o7777, 0o755);
      },
    },
    'in a setgid directory: inherits the group and the setgid bit': {
      needs: ['permissions'],
      tree: { g: dir({}, { mode: 0o2775, gid: 4321 }) },
      run: async ({ t }) => {
        await t.mkdir('g/d', 0o755);
        const s = await t.stat('g/d');
        assert.equal(s.gid, 4321);
        assert.equal(s.mode & 0o7777, 0o2755);
      },
    },
    'adds a link to the parent and updates its mtime and ctime': {
      needs: ['stable-ino'],
      tree: { p: dir({}, { mtimeNs: OLD }) },
      run: async ({ t }) => {
        const before = await t.stat('p');
        await t.mkdir('p/d');
        const after = await t.stat('p');
        assert.equal(after.nlink, before.nlink + 1);
        assert.ok(after.mtimeNs > before.mtimeNs && after.ctimeNs > before.ctimeNs);
      },
    },
    'accepts trailing slashes': async ({ t }) => {
      await t.mkdir('d/');
      await t.mkdir('d/e//');
      assert.equal(typeOf(await t.stat('d/e')), S_IFDIR);
    },
    'is owned by the caller': {
      needs: ['credentials'],
      tree: W,
      run: async ({ t }) => {
        await (await t.as(USER)).mkdir('w/d');
        assert.equal((await t.stat('w/d')).uid, 1000);
      },
    },
    ...errnoTable([
      ['the name is a file', 'EEXIST', { f: file() }, (t) => t.mkdir('f')],
      ['the name is a directory', 'EEXIST', { d: dir() }, (t) => t.mkdir('d')],
      ['the name is a dangling symlink', 'EEXIST', { l: symlink('x') }, (t) => t.mkdir('l'), ['symlinks']],
      ["the name is '.'", 'EEXIST', {}, (t) => t.mkdir('.')],
      ["the name is '..'", 'EEXIST', { d: dir() }, (t) => t.mkdir('d/..')],
      ['the parent is missing', 'ENOENT', {}, (t) => t.mkdir('missing/d')],
      ['the parent is a file', 'ENOTDIR', { f: file() }, (t) => t.mkdir('f/d')],
      ['a 256-byte name', 'ENAMETOOLONG', {}, (t) => t.mkdir('d'.repeat(256))],
      ['a symlink loop in the path', 'ELOOP', { a: symlink('b'), b: symlink('a') }, (t) => t.mkdir('a/d'), ['symlinks']],
      ['without write permission on the parent', 'EACCES', { p: dir({}, { mode: 0o755 }) }, async (t) => (await t.as(USER)).mkdir('p/d'), ['credentials']],
      ['without search permission on the parent', 'EACCES', { p: dir({}, { mode: 0o776 }) }, async (t) => (await t.as(USER)).mkdir('p/d'), ['credentials']],
    ]),
  }),
  ...group('mkdir', { needs: ['readonly'] }, errnoTable([
    ['a new directory on a read-only filesystem', 'EROFS', {}, (t) => t.mkdir('d')],
    ['an existing name on a read-only filesystem', 'EEXIST', { f: file() }, (t) => t.mkdir('f')],
  ])),

  ...group('mknod', { needs: ['write', 'special-files'] }, {
    'makes a FIFO with mode & ~umask': async ({ t }) => {
      await t.mknod('p', S_IFIFO | 0o666);
      assert.equal((await t.stat('p')).mode, S_IFIFO | 0o644);
    },
    'a mode without type makes a regular file': async ({ t }) => {
      await t.mknod('f', 0o644);
      assert.equal(typeOf(await t.stat('f')), S_IFREG);
    },
    'root makes a character device with its device number': {
      needs: ['devices'],
      run: async ({ t }) => {
        await t.mknod('c', S_IFCHR | 0o600, makedev(1, 3));
        const s = await t.stat('c');
        assert.equal(typeOf(s), S_IFCHR);
        assert.equal(s.rdev, makedev(1, 3));
      },
    },
    'a device number with a minor above 255 is kept': {
      needs: ['devices'],
      run: async ({ t }) => {
        await t.mknod('c', S_IFCHR | 0o600, makedev(240, 300));
        assert.equal((await t.lstat('c')).rdev, makedev(240, 300));
      },
    },
    ...errnoTable([
      ['the name exists', 'EEXIST', { f: file() }, (t) => t.mknod('f', S_IFIFO | 0o644)],
      ['a trailing slash on a new name', 'ENOENT', {}, (t) => t.mknod('p/', S_IFIFO | 0o644)],
      ['a directory type', 'EPERM', {}, (t) => t.mknod('d', S_IFDIR | 0o755)],
      ['an invalid type', 'EINVAL', {}, (t) => t.mknod('x', 0o170000 | 0o644)],
      ['a device node by another user', 'EPERM', W, async (t) => (await t.as(USER)).mknod('w/c', S_IFCHR | 0o600, makedev(1, 3)), ['credentials']],
      ['without write permission on the parent', 'EACCES', { p: dir() }, async (t) => (await t.as(USER)).mknod('p/f', S_IFIFO | 0o644), ['credentials']],
    ]),
  }),
  ...group('mknod', { needs: ['readonly', 'special-files'] }, errnoTable([
    ['a FIFO on a read-only filesystem', 'EROFS', {}, (t) => t.mknod('p', S_IFIFO | 0o644)],
  ])),

  ...group('symlink', { needs: ['write', 'symlinks'] }, {
    'makes a link with mode 0777 whose target reads back': async ({ t }) => {
      await t.symlink('some/target', 'l');
      const s = await t.lstat('l');
      assert.equal(s.mode, S_IFLNK | 0o777);
      assert.equal(await t.readlink('l'), 'some/target');
    },
    'a dangling target is allowed and can be created later': async ({ t }) => {
      await t.symlink('later', 'l');
      await writeAll(t, 'later', 'now');
      assert.equal(await readAll(t, 'l'), 'now');
    },
    'a target of 4095 bytes is allowed': async ({ t }) => {
      const target = 'a/'.repeat(2047) + 'b';
      await t.symlink(target, 'l');
      assert.equal((await t.lstat('l')).size, 4095);
    },
    'is owned by the caller': {
      needs: ['credentials'],
      tree: W,
      run: async ({ t }) => {
        await (await t.as(USER)).symlink('x', 'w/l');
        assert.equal((await t.lstat('w/l')).uid, 1000);
      },
    },
    ...errnoTable([
      ['the name is a file', 'EEXIST', { f: file() }, (t) => t.symlink('x', 'f')],
      ['the name is a dangling symlink', 'EEXIST', { l: symlink('x') }, (t) => t.symlink('y', 'l')],
      ['an empty target', 'ENOENT', {}, (t) => t.symlink('', 'l')],
      ['a trailing slash on a new name', 'ENOENT', {}, (t) => t.symlink('x', 'l/')],
      ['a trailing slash on an existing directory', 'EEXIST', { d: dir() }, (t) => t.symlink('x', 'd/')],
      ['the parent is a file', 'ENOTDIR', { f: file() }, (t) => t.symlink('x', 'f/l')],
      ['a target of 4096 bytes', 'ENAMETOOLONG', {}, (t) => t.symlink('a/'.repeat(2048), 'l')],
      ['without write permission on the parent', 'EACCES', { p: dir() }, async (t) => (await t.as(USER)).symlink('x', 'p/l'), ['credentials']],
    ]),
  }),
  ...group('symlink', { needs: ['readonly', 'symlinks'] }, errnoTable([
    ['on a read-only filesystem', 'EROFS', {}, (t) => t.symlink('x', 'l')],
  ])),

  ...group('link', { needs: ['write', 'hardlinks'] }, {
    'both names reach one inode with two links': {
      tree: { f: file('data') },
      run: async ({ t }) => {
        await t.link('f', 'g');
        const [f, g] = [await t.stat('f'), await t.stat('g')];
        assert.equal(f.ino, g.ino);
        assert.equal(f.nlink, 2);
        await writeAll(t, 'g', 'changed');
        assert.equal(await readAll(t, 'f'), 'changed');
      },
    },
    'updates the inode ctime and the new parent mtime': {
      tree: { f: file('x', { mtimeNs: OLD }), d: dir({}, { mtimeNs: OLD }) },
      run: async ({ t }) => {
        const [f0, d0] = [await t.stat('f'), await t.stat('d')];
        await t.link('f', 'd/g');
        const [f1, d1] = [await t.stat('f'), await t.stat('d')];
        assert.ok(f1.ctimeNs > f0.ctimeNs);
        assert.equal(f1.mtimeNs, f0.mtimeNs);
        assert.ok(d1.mtimeNs > d0.mtimeNs);
      },
    },
    'links the symlink itself, not its target': {
      needs: ['symlinks'],
      tree: { f: file(), l: symlink('f') },
      run: async ({ t }) => {
        await t.link('l', 'm');
        assert.equal(typeOf(await t.lstat('m')), S_IFLNK);
        assert.equal((await t.lstat('m')).ino, (await t.lstat('l')).ino);
      },
    },
    'another user may link a file they can read and write': {
      needs: ['credentials'],
      tree: { w: dir({ f: file('x', { mode: 0o666 }) }, { mode: 0o777 }) },
      run: async ({ t }) => (await t.as(USER)).link('w/f', 'w/g'),
    },
    ...errnoTable([
      ['the new name exists', 'EEXIST', { f: file(), g: file() }, (t) => t.link('f', 'g')],
      ['the source is a directory', 'EPERM', { d: dir() }, (t) => t.link('d', 'e')],
      ['the source is missing', 'ENOENT', {}, (t) => t.link('missing', 'g')],
      ['the new parent is missing', 'ENOENT', { f: file() }, (t) => t.link('f', 'missing/g')],
      ['a trailing slash on the new name', 'ENOENT', { f: file() }, (t) => t.link('f', 'g/')],
      ['a trailing slash on a file source', 'ENOTDIR', { f: file() }, (t) => t.link('f/', 'g')],
      ['the new parent is a file', 'ENOTDIR', { f: file(), g: file() }, (t) => t.link('f', 'g/h')],
      ['without write permission on the new parent', 'EACCES', { f: file('x', { mode: 0o666 }), p: dir() },
        async (t) => (await t.as(USER)).link('f', 'p/g'), ['credentials']],
      ['of a file the caller cannot write (protected_hardlinks)', 'EPERM', { w: dir({ f: file('x', { mode: 0o644 }) }, { mode: 0o777 }) },
        async (t) => (await t.as(USER)).link('w/f', 'w/g'), ['credentials']],
    ]),
  }),
  ...group('link', { needs: ['readonly', 'hardlinks'] }, errnoTable([
    ['on a read-only filesystem', 'EROFS', { f: file() }, (t) => t.link('f', 'g')],
  ])),
];

/** getxattr, listxattr, setxattr, removexattr (and the l* forms): namespaces, flags, limits, permissions. */
import { XATTR_CREATE, XATTR_REPLACE } from '../../../src/fs/filesystem.js';
import { assert, errnoTable, group } from '../case.js';
import { str } from '../target.js';
import { dir, file, symlink } from '../tree.js';

const USER = { uid: 1000, gid: 1000 };

export default [
  ...group('xattr', { needs: ['write', 'xattr-user'] }, {
    'set, get, list and remove a user attribute': {
      tree: { f: file() },
      run: async ({ t }) => {
        await t.setxattr('f', 'user.a', 'one');
        await t.setxattr('f', 'user.b', new Uint8Array([0, 1, 2, 255]));
        assert.equal(str(await t.getxattr('f', 'user.a')), 'one');
        assert.deepEqual([...(await t.getxattr('f', 'user.b'))], [0, 1, 2, 255]);
        assert.deepEqual(await t.listxattr('f'), ['user.a', 'user.b']);
        await t.removexattr('f', 'user.a');
        assert.deepEqual(await t.listxattr('f'), ['user.b']);
      },
    },
    'an empty value is a value': {
      tree: { f: file() },
      run: async ({ t }) => {
        await t.setxattr('f', 'user.empty', '');
        assert.equal((await t.getxattr('f', 'user.empty')).length, 0);
      },
    },
    'replacing a value and XATTR_REPLACE': {
      tree: { f: file('', { xattrs: { 'user.a': 'old' } }) },
      run: async ({ t }) => {
        await t.setxattr('f', 'user.a', 'new', XATTR_REPLACE);
        assert.equal(str(await t.getxattr('f', 'user.a')), 'new');
      },
    },
    'attributes on directories': {
      tree: { d: dir() },
      run: async ({ t }) => {
        await t.setxattr('d', 'user.x', 'y');
        assert.equal(str(await t.getxattr('d', 'user.x')), 'y');
      },
    },
    'a 64 KiB value': {
      tree: { f: file() },
      run: async ({ t }) => {
        const v = new Uint8Array(65536).fill(7);
        await t.setxattr('f', 'user.big', v);
        assert.equal((await t.getxattr('f', 'user.big')).length, 65536);
      },
    },
    'a 255-byte name': {
      tree: { f: file() },
      run: async ({ t }) => {
        const name = 'user.' + 'n'.repeat(250);
        await t.setxattr('f', name, 'v');
        assert.equal(str(await t.getxattr('f', name)), 'v');
      },
    },
    'setxattr updates ctime': {
      tree: { f: file() },
      run: async ({ t }) => {
        const before = await t.stat('f');
        await t.setxattr('f', 'user.a', 'b');
        assert.ok((await t.stat('f')).ctimeNs > before.ctimeNs);
      },
    },
    'through a symlink, attributes go to the target': {
      needs: ['symlinks'],
      tree: { f: file(), l: symlink('f') },
      run: async ({ t }) => {
        await t.setxattr('l', 'user.a', 'v');
        assert.equal(str(await t.getxattr('f', 'user.a')), 'v');
        assert.deepEqual(await t.listxattr('l', true), []);
      },
    },
    'trusted attributes: root sets and lists them, other users see none': {
      needs: ['xattr-trusted', 'credentials'],
      tree: { f: file('', { mode: 0o666 }) },
      run: async ({ t }) => {
        await t.setxattr('f', 'trusted.t', 'v');
        await t.setxattr('f', 'user.u', 'w');
        assert.deepEqual(await t.listxattr('f'), ['trusted.t', 'user.u']);
        const u = await t.as(USER);
        assert.deepEqual(await u.listxattr('f'), ['user.u']);
        await assert.rejects(u.getxattr('f', 'trusted.t'), { code: 'ENODATA' });
      },
    },
    'even the owner needs write permission to set user attributes': {
      needs: ['credentials'],
      tree: { f: file('', { uid: 1000, gid: 1000, mode: 0o444 }) },
      run: async ({ t }) => {
        await assert.rejects((await t.as(USER)).setxattr('f', 'user.a', 'b'), { code: 'EACCES' });
      },
    },
    ...errnoTable([
      ['getxattr of a missing attribute', 'ENODATA', { f: file() }, (t) => t.getxattr('f', 'user.missing')],
      ['removexattr of a missing attribute', 'ENODATA', { f: file() }, (t) => t.removexattr('f', 'user.missing')],
      ['XATTR_CREATE of an existing attribute', 'EEXIST', { f: file('', { xattrs: { 'user.a': 'x' } }) }, (t) => t.setxattr('f', 'user.a', 'y', XATTR_CREATE)],
      ['XATTR_REPLACE of a missing attribute', 'ENODATA', { f: file() }, (t) => t.setxattr('f', 'user.a', 'y', XATTR_REPLACE)],
      ['an unknown namespace', 'EOPNOTSUPP', { f: file() }, (t) => t.setxattr('f', 'bogus.a', 'y')],
      ['a name without namespace', 'EOPNOTSUPP', { f: file() }, (t) => t.setxattr('f', 'plain', 'y')],
      ['an empty name', 'ERANGE', { f: file() }, (t) => t.setxattr('f', '', 'y')],
      ['a 256-byte name', 'ERANGE', { f: file() }, (t) => t.setxattr('f', 'user.' + 'n'.repeat(251), 'y')],
      ['a value over 64 KiB', 'E2BIG', { f: file() }, (t) => t.setxattr('f', 'user.a', new Uint8Array(65537))],
      ['a user attribute on a symlink itself', 'EPERM', { f: file(), l: symlink('f') }, (t) => t.setxattr('l', 'user.a', 'y', 0, true), ['symlinks']],
      ['reading a user attribute of a symlink itself', 'ENODATA', { f: file(), l: symlink('f') }, (t) => t.getxattr('l', 'user.a', true), ['symlinks']],
      ['a missing file', 'ENOENT', {}, (t) => t.getxattr('missing', 'user.a')],
      ['setting without write permission', 'EACCES', { f: file('', { mode: 0o644 }) }, async (t) => (await t.as(USER)).setxattr('f', 'user.a', 'b'), ['credentials']],
      ['reading without read permission', 'EACCES', { f: file('', { mode: 0o600, xattrs: { 'user.a': 'b' } }) }, async (t) => (await t.as(USER)).getxattr('f', 'user.a'), ['credentials']],
      ['a trusted attribute set by another user', 'EPERM', { f: file('', { mode: 0o666 }) }, async (t) => (await t.as(USER)).setxattr('f', 'trusted.a', 'b'), ['credentials', 'xattr-trusted']],
    ]),
  }),
  ...group('xattr', { needs: ['readonly', 'xattr-user'] }, {
    'attributes read back on a read-only filesystem': {
      tree: { f: file('', { xattrs: { 'user.a': 'v' } }) },
      run: async ({ t }) => assert.equal(str(await t.getxattr('f', 'user.a')), 'v'),
    },
    ...errnoTable([
      ['setxattr on a read-only filesystem', 'EROFS', { f: file() }, (t) => t.setxattr('f', 'user.a', 'b')],
      ['removexattr on a read-only filesystem', 'EROFS', { f: file('', { xattrs: { 'user.a': 'v' } }) }, (t) => t.removexattr('f', 'user.a')],
    ]),
  }),
];

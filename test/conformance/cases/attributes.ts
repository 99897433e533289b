/** chmod(2), chown(2), truncate(2), utimensat(2): who may change what, side effects on setuid and times, errnos. */
import { S_IFDIR, S_IFLNK, S_IFREG } from '../../../src/fs/mode.js';
import { assert, errnoTable, group, perms, readAll, typeOf } from '../case.js';
import { dir, file, symlink } from '../tree.js';

const OLD = 1_000_000_000_000_000_000n;
const USER = { uid: 1000, gid: 1000 };
const MINE = { uid: 1000, gid: 1000 };

export default [
  ...group('chmod', { needs: ['write', 'permissions'] }, {
    'sets the permission bits and keeps the type': {
      tree: { f: file('x'), d: dir() },
      run: async ({ t }) => {
        await t.chmod('f', 0o4751);
        await t.chmod('d', 0o1777);
        assert.equal((await t.stat('f')).mode, S_IFREG | 0o4751);
        assert.equal((await t.stat('d')).mode, S_IFDIR | 0o1777);
      },
    },
    'updates ctime, not mtime': {
      tree: { f: file('x', { mtimeNs: OLD }) },
      run: async ({ t }) => {
        const before = await t.stat('f');
        await t.chmod('f', 0o600);
        const after = await t.stat('f');
        assert.ok(after.ctimeNs > before.ctimeNs);
        assert.equal(after.mtimeNs, OLD);
      },
    },
    'follows a symlink': {
      needs: ['symlinks'],
      tree: { f: file('x', { mode: 0o644 }), l: symlink('f') },
      run: async ({ t }) => {
        await t.chmod('l', 0o600);
        assert.equal(perms(await t.stat('f')), 0o600);
        assert.equal(perms(await t.lstat('l')), 0o777);
      },
    },
    'the owner may chmod': {
      needs: ['credentials'],
      tree: { f: file('x', { ...MINE, mode: 0o644 }) },
      run: async ({ t }) => {
        await (await t.as(USER)).chmod('f', 0o600);
        assert.equal(perms(await t.stat('f')), 0o600);
      },
    },
    'the owner outside the file group loses setgid silently': {
      needs: ['credentials'],
      tree: { f: file('x', { uid: 1000, gid: 3000, mode: 0o644 }) },
      run: async ({ t }) => {
        await (await t.as(USER)).chmod('f', 0o2755);
        assert.equal(perms(await t.stat('f')), 0o755);
      },
    },
    'the owner in a supplementary group keeps setgid': {
      needs: ['credentials'],
      tree: { f: file('x', { uid: 1000, gid: 3000, mode: 0o644 }) },
      run: async ({ t }) => {
        await (await t.as({ ...USER, groups: [3000] })).chmod('f', 0o2755);
        assert.equal(perms(await t.stat('f')), 0o2755);
      },
    },
    ...errnoTable([
      ['a missing file', 'ENOENT', {}, (t) => t.chmod('missing', 0o644)],
      ['a path through a file', 'ENOTDIR', { f: file() }, (t) => t.chmod('f/x', 0o644)],
      ['by a user who does not own the file', 'EPERM', { f: file('x', { mode: 0o666 }) }, async (t) => (await t.as(USER)).chmod('f', 0o600), ['credentials']],
    ]),
  }),
  ...group('chmod', { needs: ['readonly', 'permissions'] }, errnoTable([
    ['on a read-only filesystem', 'EROFS', { f: file() }, (t) => t.chmod('f', 0o600)],
  ])),

  ...group('chown', { needs: ['write', 'permissions'] }, {
    'root sets owner and group; -1 keeps one': {
      tree: { f: file('x') },
      run: async ({ t }) => {
        await t.chown('f', 1234, 5678);
        await t.chown('f', -1, 42);
        const s = await t.stat('f');
        assert.deepEqual([s.uid, s.gid], [1234, 42]);
      },
    },
    'clears setuid, and setgid when group-executable, even for root': {
      tree: { a: file('x', { mode: 0o6755 }), b: file('x', { mode: 0o6745 }) },
      run: async ({ t }) => {
        await t.chown('a', 1, 1);
        await t.chown('b', 1, 1);
        assert.equal(perms(await t.stat('a')), 0o755);
        assert.equal(perms(await t.stat('b')), 0o2745);
      },
    },
    'with -1 and -1 still clears setuid and updates ctime': {
      tree: { f: file('x', { mode: 0o4755 }) },
      run: async ({ t }) => {
        const before = await t.stat('f');
        await t.chown('f', -1, -1);
        const after = await t.stat('f');
        assert.equal(perms(after), 0o755);
        assert.ok(after.ctimeNs > before.ctimeNs);
      },
    },
    'keeps setuid and setgid on directories': {
      tree: { d: dir({}, { mode: 0o6755 }) },
      run: async ({ t }) => {
        await t.chown('d', 5, 5);
        assert.equal(perms(await t.stat('d')), 0o6755);
      },
    },
    'updates ctime, not mtime': {
      tree: { f: file('x', { mtimeNs: OLD }) },
      run: async ({ t }) => {
        const before = await t.stat('f');
        await t.chown('f', 7, 7);
        const after = await t.stat('f');
        assert.ok(after.ctimeNs > before.ctimeNs);
        assert.equal(after.mtimeNs, OLD);
      },
    },
    'lchown changes the symlink, chown its target': {
      needs: ['symlinks'],
      tree: { f: file('x'), l: symlink('f') },
      run: async ({ t }) => {
        await t.lchown('l', 11, 11);
        assert.equal((await t.lstat('l')).uid, 11);
        assert.equal((await t.stat('f')).uid, 0);
        await t.chown('l', 12, 12);
        assert.equal((await t.stat('f')).uid, 12);
        assert.equal((await t.lstat('l')).uid, 11);
      },
    },
    'the owner may change the group to one of its groups': {
      needs: ['credentials'],
      tree: { f: file('x', MINE) },
      run: async ({ t }) => {
        await (await t.as({ ...USER, groups: [3000] })).chown('f', -1, 3000);
        assert.equal((await t.stat('f')).gid, 3000);
      },
    },
    'the owner may "change" the owner to itself': {
      needs: ['credentials'],
      tree: { f: file('x', MINE) },
      run: async ({ t }) => (await t.as(USER)).chown('f', 1000, -1),
    },
    ...errnoTable([
      ['a missing file', 'ENOENT', {}, (t) => t.chown('missing', 1, 1)],
      ['the owner giving the file away', 'EPERM', { f: file('x', MINE) }, async (t) => (await t.as(USER)).chown('f', 2000, -1), ['credentials']],
      ['the owner changing to a group it is not in', 'EPERM', { f: file('x', MINE) }, async (t) => (await t.as(USER)).chown('f', -1, 3000), ['credentials']],
      ['a non-owner changing the group', 'EPERM', { f: file('x', { uid: 2000, gid: 1000 }) }, async (t) => (await t.as(USER)).chown('f', -1, 1000), ['credentials']],
    ]),
  }),
  ...group('chown', { needs: ['readonly', 'permissions'] }, errnoTable([
    ['on a read-only filesystem', 'EROFS', { f: file() }, (t) => t.chown('f', 1, 1)],
  ])),

  ...group('truncate', { needs: ['write'] }, {
    'shrinks and extends with zeros': {
      tree: { f: file('0123456789') },
      run: async ({ t }) => {
        await t.truncate('f', 3);
        assert.equal(await readAll(t, 'f'), '012');
        await t.truncate('f', 5);
        assert.equal(await readAll(t, 'f'), '012\0\0');
      },
    },
    'updates mtime and ctime when the size changes': {
      tree: { f: file('0123', { mtimeNs: OLD }) },
      run: async ({ t }) => {
        const before = await t.stat('f');
        await t.truncate('f', 2);
        const after = await t.stat('f');
        assert.ok(after.mtimeNs > OLD && after.ctimeNs > before.ctimeNs);
      },
    },
    'updates mtime and ctime even when the size does not change (Linux, unlike POSIX)': {
      tree: { f: file('0123', { mtimeNs: OLD }) },
      run: async ({ t }) => {
        const before = await t.stat('f');
        await t.truncate('f', 4);
        const after = await t.stat('f');
        assert.ok(after.mtimeNs > OLD && after.ctimeNs > before.ctimeNs);
      },
    },
    'follows a symlink': {
      needs: ['symlinks'],
      tree: { f: file('0123'), l: symlink('f') },
      run: async ({ t }) => {
        await t.truncate('l', 1);
        assert.equal((await t.stat('f')).size, 1);
      },
    },
    'by another user with write permission clears setuid': {
      needs: ['credentials'],
      tree: { f: file('0123', { mode: 0o4777 }) },
      run: async ({ t }) => {
        await (await t.as(USER)).truncate('f', 1);
        assert.equal(perms(await t.stat('f')), 0o777);
      },
    },
    ...errnoTable([
      ['a directory', 'EISDIR', { d: dir() }, (t) => t.truncate('d', 0)],
      ['a missing file', 'ENOENT', {}, (t) => t.truncate('missing', 0)],
      ['without write permission', 'EACCES', { f: file('x', { mode: 0o644 }) }, async (t) => (await t.as(USER)).truncate('f', 0), ['credentials']],
    ]),
  }),
  ...group('truncate', { needs: ['readonly'] }, errnoTable([
    ['on a read-only filesystem', 'EROFS', { f: file('x') }, (t) => t.truncate('f', 0)],
  ])),

  ...group('utimensat', { needs: ['write'] }, {
    'sets atime and mtime to the nanosecond, and ctime to now': {
      needs: ['ns-timestamps'],
      tree: { f: file('x') },
      run: async ({ t }) => {
        const before = await t.stat('f');
        await t.utimens('f', 1_100_000_000_123_456_789n, 1_200_000_000_987_654_321n);
        const s = await t.stat('f');
        assert.equal(s.atimeNs, 1_100_000_000_123_456_789n);
        assert.equal(s.mtimeNs, 1_200_000_000_987_654_321n);
        assert.ok(s.ctimeNs > before.ctimeNs);
      },
    },
    'times before 1970 are kept': {
      needs: ['ns-timestamps'],
      tree: { f: file('x') },
      run: async ({ t }) => {
        await t.utimens('f', -1_000_000_000n, -86_400_000_000_001n);
        const s = await t.stat('f');
        assert.equal(s.atimeNs, -1_000_000_000n);
        assert.equal(s.mtimeNs, -86_400_000_000_001n);
      },
    },
    'UTIME_NOW sets the current time': {
      tree: { f: file('x', { mtimeNs: OLD }) },
      run: async ({ t }) => {
        const now = BigInt(Date.now() - 60_000) * 1_000_000n;
        await t.utimens('f', 'now', 'now');
        const s = await t.stat('f');
        assert.ok(s.mtimeNs > now && s.atimeNs > now);
      },
    },
    'UTIME_OMIT leaves that time alone': {
      tree: { f: file('x', { mtimeNs: OLD }) },
      run: async ({ t }) => {
        await t.utimens('f', 'omit', OLD + 5n);
        const s = await t.stat('f');
        assert.equal(s.atimeNs, OLD);
        assert.equal(s.mtimeNs, OLD + 5n);
      },
    },
    'both UTIME_OMIT changes nothing, not even ctime, and does not look at the path': {
      tree: { f: file('x') },
      run: async ({ t }) => {
        const before = await t.stat('f');
        await t.utimens('f', 'omit', 'omit');
        await t.utimens('missing', 'omit', 'omit');
        assert.equal((await t.stat('f')).ctimeNs, before.ctimeNs);
      },
    },
    'AT_SYMLINK_NOFOLLOW sets the times of the link itself': {
      needs: ['symlinks'],
      tree: { f: file('x', { mtimeNs: OLD }), l: symlink('f') },
      run: async ({ t }) => {
        await t.utimens('l', OLD + 7n, OLD + 7n, true);
        assert.equal((await t.lstat('l')).mtimeNs, OLD + 7n);
        assert.equal((await t.stat('f')).mtimeNs, OLD);
      },
    },
    'another user with write permission may set the times to now': {
      needs: ['credentials'],
      tree: { f: file('x', { mode: 0o666, mtimeNs: OLD }) },
      run: async ({ t }) => {
        await (await t.as(USER)).utimens('f', 'now', 'now');
        assert.ok((await t.stat('f')).mtimeNs > OLD);
      },
    },
    ...errnoTable([
      ['a missing file', 'ENOENT', {}, (t) => t.utimens('missing', 'now', 'now')],
      ['explicit times by a non-owner with write permission', 'EPERM', { f: file('x', { mode: 0o666 }) }, async (t) => (await t.as(USER)).utimens('f', OLD, OLD), ['credentials']],
      ['now by a non-owner without write permission', 'EACCES', { f: file('x', { mode: 0o644 }) }, async (t) => (await t.as(USER)).utimens('f', 'now', 'now'), ['credentials']],
    ]),
  }),
  ...group('utimensat', { needs: ['readonly'] }, errnoTable([
    ['on a read-only filesystem', 'EROFS', { f: file() }, (t) => t.utimens('f', 'now', 'now')],
  ])),
  ...group('unlink', { needs: ['write'] }, {
    'a symlink outlives its target': {
      needs: ['symlinks'],
      tree: { f: file('x'), l: symlink('f') },
      run: async ({ t }) => {
        await t.unlink('f');
        assert.equal(typeOf(await t.lstat('l')), S_IFLNK);
      },
    },
  }),
];

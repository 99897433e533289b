/**
 * Overlay semantics (in the spirit of unionmount-testsuite): every tree is
 * in the lower layer, so each case exercises copy-up, whiteouts, opaque
 * directories and merged directories. With 'overlay-upper' the case also
 * checks the upper layer's layout, which must match the kernel's (a
 * whiteout is a 0/0 character device; an opaque directory has
 * trusted.overlay.opaque=y), so an upper written by one works for the other.
 */
import { O_APPEND, O_CREAT, O_EXCL, O_WRONLY } from '../../../src/fs/flags.js';
import { RENAME_EXCHANGE } from '../../../src/fs/filesystem.js';
import { S_IFCHR, S_IFDIR, S_IFREG } from '../../../src/fs/mode.js';
import { assert, exists, expectErrno, group, perms, readAll, typeOf, writeAll, type CaseContext } from '../case.js';
import { str, type Target } from '../target.js';
import { dir, file, hardlink, symlink } from '../tree.js';

const OLD = 1_000_000_000_000_000_000n;

async function append(t: Target, path: string, data: string): Promise<void> {
  const fd = await t.open(path, O_WRONLY | O_APPEND);
  await t.write(fd, data);
  await t.close(fd);
}

async function isWhiteout(upper: Target, path: string): Promise<boolean> {
  const s = await upper.lstat(path);
  return typeOf(s) === S_IFCHR && s.rdev === 0;
}

async function checkUpper(ctx: CaseContext, fn: (upper: Target) => Promise<void>): Promise<void> {
  if (ctx.upper) await fn(ctx.upper);
}

export default [
  ...group('overlay', { needs: ['overlay', 'write'] }, {
    'a lower file reads through': {
      tree: { f: file('lower data') },
      run: async ({ t }) => assert.equal(await readAll(t, 'f'), 'lower data'),
    },
    'writing a lower file copies it up whole': {
      tree: { f: file('lower') },
      run: async (ctx) => {
        await append(ctx.t, 'f', '+upper');
        assert.equal(await readAll(ctx.t, 'f'), 'lower+upper');
        await checkUpper(ctx, async (u) => assert.equal(await readAll(u, 'f'), 'lower+upper'));
      },
    },
    'copy-up keeps mode, owner, mtime and xattrs': {
      needs: ['permissions', 'xattr-user'],
      tree: { f: file('data', { mode: 0o640, uid: 1000, gid: 2000, mtimeNs: OLD, xattrs: { 'user.k': 'v' } }) },
      run: async (ctx) => {
        await ctx.t.close(await ctx.t.open('f', O_WRONLY));
        const s = await ctx.t.stat('f');
        assert.deepEqual([perms(s), s.uid, s.gid, s.mtimeNs], [0o640, 1000, 2000, OLD]);
        assert.equal(str(await ctx.t.getxattr('f', 'user.k')), 'v');
        await checkUpper(ctx, async (u) => {
          const us = await u.stat('f');
          assert.deepEqual([perms(us), us.uid, us.gid, us.mtimeNs], [0o640, 1000, 2000, OLD]);
          assert.equal(str(await u.getxattr('f', 'user.k')), 'v');
        });
      },
    },
    'the inode number does not change on copy-up': {
      tree: { f: file('x'), d: dir({ g: file('y') }) },
      run: async ({ t }) => {
        const [f, d] = [(await t.stat('f')).ino, (await t.stat('d')).ino];
        await append(t, 'f', 'z');
        await append(t, 'd/g', 'z');
        assert.equal((await t.stat('f')).ino, f);
        assert.equal((await t.stat('d')).ino, d);
      },
    },
    'chmod of a lower file keeps its data and mtime': {
      needs: ['permissions'],
      tree: { f: file('content', { mode: 0o644, mtimeNs: OLD }) },
      run: async ({ t }) => {
        await t.chmod('f', 0o600);
        const s = await t.stat('f');
        assert.equal(perms(s), 0o600);
        assert.equal(s.mtimeNs, OLD);
        assert.equal(s.size, 7);
        assert.equal(await readAll(t, 'f'), 'content');
      },
    },
    'chmod of a lower file copies up metadata only': {
      needs: ['permissions', 'overlay-metacopy', 'overlay-upper'],
      tree: { f: file('content', { mode: 0o644 }) },
      run: async (ctx) => {
        await ctx.t.chmod('f', 0o600);
        const u = ctx.upper!;
        assert.ok((await u.listxattr('f')).includes('trusted.overlay.metacopy'));
        assert.equal(await readAll(ctx.t, 'f'), 'content');
        await append(ctx.t, 'f', '!');
        assert.ok(!(await u.listxattr('f')).includes('trusted.overlay.metacopy'));
        assert.equal(await readAll(u, 'f'), 'content!');
      },
    },
    'unlinking a lower file leaves a whiteout in the upper layer': {
      tree: { f: file('x'), g: file('y') },
      run: async (ctx) => {
        await ctx.t.unlink('f');
        assert.equal(await exists(ctx.t, 'f'), false);
        assert.deepEqual(await ctx.t.readdir('.'), ['g']);
        await checkUpper(ctx, async (u) => assert.ok(await isWhiteout(u, 'f')));
      },
    },
    'a file made where a lower file was unlinked holds only the new data': {
      tree: { f: file('old lower data') },
      run: async ({ t }) => {
        await t.unlink('f');
        await t.close(await t.open('f', O_CREAT | O_EXCL | O_WRONLY, 0o644));
        await writeAll(t, 'f', 'new');
        assert.equal(await readAll(t, 'f'), 'new');
      },
    },
    'rmdir of an empty lower directory leaves a whiteout': {
      tree: { d: dir() },
      run: async (ctx) => {
        await ctx.t.rmdir('d');
        assert.equal(await exists(ctx.t, 'd'), false);
        await checkUpper(ctx, async (u) => assert.ok(await isWhiteout(u, 'd')));
      },
    },
    'a directory made where a lower tree was removed is empty and opaque': {
      tree: { d: dir({ f: file(), e: dir() }) },
      run: async (ctx) => {
        await ctx.t.unlink('d/f');
        await ctx.t.rmdir('d/e');
        await ctx.t.rmdir('d');
        await ctx.t.mkdir('d');
        assert.deepEqual(await ctx.t.readdir('d'), []);
        await checkUpper(ctx, async (u) => assert.equal(str(await u.getxattr('d', 'trusted.overlay.opaque')), 'y'));
      },
    },
    'a merged directory lists upper and lower entries once each': {
      tree: { d: dir({ a: file('a'), b: file('b') }) },
      run: async ({ t }) => {
        await writeAll(t, 'd/c', 'c');
        await append(t, 'd/a', '!');
        assert.deepEqual(await t.readdir('d'), ['a', 'b', 'c']);
        assert.deepEqual(await t.readdirTypes('d'), [['a', 'file'], ['b', 'file'], ['c', 'file']]);
      },
    },
    'whiteouts are hidden from readdir': {
      tree: { d: dir({ a: file(), b: file(), c: dir() }) },
      run: async ({ t }) => {
        await t.unlink('d/a');
        await t.rmdir('d/c');
        assert.deepEqual(await t.readdir('d'), ['b']);
      },
    },
    'removing an upper file from a merged directory leaves no whiteout': {
      tree: { d: dir({ a: file() }) },
      run: async (ctx) => {
        await writeAll(ctx.t, 'd/b', 'x');
        await ctx.t.unlink('d/b');
        assert.deepEqual(await ctx.t.readdir('d'), ['a']);
        await checkUpper(ctx, async (u) => assert.equal(await exists(u, 'd/b'), false));
      },
    },
    'rmdir of a merged directory with lower entries is ENOTEMPTY until they are gone': {
      tree: { d: dir({ a: file() }) },
      run: async ({ t }) => {
        await expectErrno(t.rmdir('d'), 'ENOTEMPTY');
        await t.unlink('d/a');
        await t.rmdir('d');
        assert.equal(await exists(t, 'd'), false);
      },
    },
    'renaming a lower file copies it up and whites out the old name': {
      tree: { f: file('data') },
      run: async (ctx) => {
        await ctx.t.rename('f', 'g');
        assert.equal(await readAll(ctx.t, 'g'), 'data');
        assert.equal(await exists(ctx.t, 'f'), false);
        await checkUpper(ctx, async (u) => assert.ok(await isWhiteout(u, 'f')));
      },
    },
    'renaming onto a lower file replaces it': {
      tree: { a: file('A'), b: file('B') },
      run: async ({ t }) => {
        await t.rename('a', 'b');
        assert.equal(await readAll(t, 'b'), 'A');
        assert.deepEqual(await t.readdir('.'), ['b']);
      },
    },
    'RENAME_EXCHANGE of two lower files': {
      needs: ['rename-exchange'],
      tree: { a: file('A'), b: file('B') },
      run: async ({ t }) => {
        await t.rename('a', 'b', RENAME_EXCHANGE);
        assert.equal(await readAll(t, 'a'), 'B');
        assert.equal(await readAll(t, 'b'), 'A');
      },
    },
    'renaming a lower directory is EXDEV (no redirect_dir)': {
      needs: ['overlay-no-redirect'],
      tree: { d: dir({ f: file() }) },
      run: async ({ t }) => expectErrno(t.rename('d', 'e'), 'EXDEV'),
    },
    'renaming a merged directory is EXDEV': {
      needs: ['overlay-no-redirect'],
      tree: { d: dir({ f: file() }) },
      run: async ({ t }) => {
        await writeAll(t, 'd/g', 'x');
        await expectErrno(t.rename('d', 'e'), 'EXDEV');
      },
    },
    'a directory made in the overlay can be renamed': {
      tree: { p: dir() },
      run: async ({ t }) => {
        await t.mkdir('p/n');
        await writeAll(t, 'p/n/f', 'x');
        await t.rename('p/n', 'm');
        assert.equal(await readAll(t, 'm/f'), 'x');
      },
    },
    'a directory renamed over a lower empty directory becomes opaque': {
      tree: { target: dir() },
      run: async (ctx) => {
        await ctx.t.mkdir('n');
        await ctx.t.rename('n', 'target');
        assert.deepEqual(await ctx.t.readdir('target'), []);
        await writeAll(ctx.t, 'target/x', 'x');
        assert.deepEqual(await ctx.t.readdir('target'), ['x']);
      },
    },
    'hard links stay linked after copy-up': {
      needs: ['hardlinks', 'overlay-index'],
      tree: { a: file('shared'), b: hardlink('a') },
      run: async ({ t }) => {
        await append(t, 'a', '+');
        assert.equal(await readAll(t, 'b'), 'shared+');
        const [a, b] = [await t.stat('a'), await t.stat('b')];
        assert.equal(a.ino, b.ino);
        assert.equal(a.nlink, 2);
        await append(t, 'b', '!');
        assert.equal(await readAll(t, 'a'), 'shared+!');
      },
    },
    'unlinking one name of a lower hard-linked file leaves the other with one link': {
      needs: ['hardlinks', 'overlay-index'],
      tree: { a: file('shared'), b: hardlink('a') },
      run: async ({ t }) => {
        await t.unlink('a');
        const s = await t.stat('b');
        assert.equal(s.nlink, 1);
        assert.equal(await readAll(t, 'b'), 'shared');
      },
    },
    'a third name for a lower hard-linked file counts in every name': {
      needs: ['hardlinks', 'overlay-index'],
      tree: { a: file('shared'), b: hardlink('a') },
      run: async ({ t }) => {
        await t.link('a', 'c');
        assert.deepEqual([(await t.stat('a')).nlink, (await t.stat('b')).nlink, (await t.stat('c')).nlink], [3, 3, 3]);
        assert.equal((await t.stat('b')).ino, (await t.stat('c')).ino);
      },
    },
    'renaming onto a whited-out name': {
      tree: { a: file('A'), b: file('B') },
      run: async ({ t }) => {
        await t.unlink('b');
        await t.rename('a', 'b');
        assert.equal(await readAll(t, 'b'), 'A');
        assert.deepEqual(await t.readdir('.'), ['b']);
      },
    },
    'a lower symlink replaced by a file': {
      needs: ['symlinks'],
      tree: { l: symlink('somewhere') },
      run: async ({ t }) => {
        await t.unlink('l');
        await writeAll(t, 'l', 'file now');
        assert.equal(typeOf(await t.lstat('l')), S_IFREG);
      },
    },
    'a new hard link to a lower file shares the inode': {
      needs: ['hardlinks'],
      tree: { f: file('x') },
      run: async ({ t }) => {
        await t.link('f', 'g');
        const [f, g] = [await t.stat('f'), await t.stat('g')];
        assert.equal(f.ino, g.ino);
        assert.equal(f.nlink, 2);
        await append(t, 'g', 'y');
        assert.equal(await readAll(t, 'f'), 'xy');
      },
    },
    'mkdir over a lower file is EEXIST': {
      tree: { f: file() },
      run: async ({ t }) => expectErrno(t.mkdir('f'), 'EEXIST'),
    },
    'creating in a lower directory copies the directory up with its owner and mode': {
      needs: ['permissions'],
      tree: { d: dir({}, { mode: 0o750, uid: 1000, gid: 1000 }) },
      run: async (ctx) => {
        await writeAll(ctx.t, 'd/f', 'x');
        const s = await ctx.t.stat('d');
        assert.deepEqual([perms(s), s.uid, s.gid], [0o750, 1000, 1000]);
        await checkUpper(ctx, async (u) => {
          const us = await u.stat('d');
          assert.deepEqual([perms(us), us.uid], [0o750, 1000]);
        });
      },
    },
    'a deep copy-up creates every parent with its attributes': {
      needs: ['permissions'],
      tree: { a: dir({ b: dir({ c: dir({ f: file('deep') }, { mode: 0o711 }) }, { mode: 0o700 }) }, { mode: 0o751 }) },
      run: async ({ t }) => {
        await append(t, 'a/b/c/f', '!');
        assert.deepEqual([perms(await t.stat('a')), perms(await t.stat('a/b')), perms(await t.stat('a/b/c'))], [0o751, 0o700, 0o711]);
        assert.equal(await readAll(t, 'a/b/c/f'), 'deep!');
      },
    },
    'a lower symlink reads and can be lchowned': {
      needs: ['symlinks', 'permissions'],
      tree: { l: symlink('target') },
      run: async ({ t }) => {
        await t.lchown('l', 5, 5);
        assert.equal((await t.lstat('l')).uid, 5);
        assert.equal(await t.readlink('l'), 'target');
      },
    },
    'xattrs of a lower file can be read, added and removed': {
      needs: ['xattr-user'],
      tree: { f: file('', { xattrs: { 'user.a': '1' } }) },
      run: async ({ t }) => {
        assert.equal(str(await t.getxattr('f', 'user.a')), '1');
        await t.setxattr('f', 'user.b', '2');
        await t.removexattr('f', 'user.a');
        assert.deepEqual(await t.listxattr('f'), ['user.b']);
      },
    },
    'truncating a lower file': {
      tree: { f: file('0123456789') },
      run: async ({ t }) => {
        await t.truncate('f', 4);
        assert.equal(await readAll(t, 'f'), '0123');
      },
    },
    'utimens on a lower file': {
      tree: { f: file('x') },
      run: async ({ t }) => {
        await t.utimens('f', OLD, OLD + 1n);
        assert.equal((await t.stat('f')).mtimeNs, OLD + 1n);
        assert.equal(await readAll(t, 'f'), 'x');
      },
    },
    'a lower directory replaced by a file': {
      tree: { d: dir({ x: file() }) },
      run: async (ctx) => {
        await ctx.t.unlink('d/x');
        await ctx.t.rmdir('d');
        await writeAll(ctx.t, 'd', 'now a file');
        assert.equal(typeOf(await ctx.t.stat('d')), S_IFREG);
        assert.equal(await readAll(ctx.t, 'd'), 'now a file');
        await checkUpper(ctx, async (u) => assert.equal(typeOf(await u.lstat('d')), S_IFREG));
      },
    },
    'a lower file replaced by a directory': {
      tree: { f: file('x') },
      run: async ({ t }) => {
        await t.unlink('f');
        await t.mkdir('f');
        assert.equal(typeOf(await t.stat('f')), S_IFDIR);
        assert.deepEqual(await t.readdir('f'), []);
      },
    },
    'a lower file that is never written is not copied up': {
      needs: ['overlay-upper'],
      tree: { f: file('x'), d: dir({ g: file('y') }) },
      run: async (ctx) => {
        await readAll(ctx.t, 'f');
        await readAll(ctx.t, 'd/g');
        await ctx.t.readdir('d');
        assert.equal(await exists(ctx.upper!, 'f'), false);
        assert.equal(await exists(ctx.upper!, 'd'), false);
      },
    },
  }),
  ...group('overlay', { needs: ['overlay'] }, {
    'lower entries of a merged directory list with their types': {
      needs: ['symlinks'],
      tree: { d: dir({ f: file(), e: dir(), l: symlink('f') }) },
      run: async ({ t }) => assert.deepEqual(await t.readdirTypes('d'), [['e', 'dir'], ['f', 'file'], ['l', 'symlink']]),
    },
  }),
];

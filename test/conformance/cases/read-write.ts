/** read(2), write(2), ftruncate(2): data, holes, sizes, timestamps, setuid clearing. */
import { O_CREAT, O_RDONLY, O_RDWR, O_WRONLY } from '../../../src/fs/flags.js';
import { assert, expectErrno, group, readAll, writeAll } from '../case.js';
import { str } from '../target.js';
import { dir, file } from '../tree.js';

const OLD = 1_000_000_000_000_000_000n;
const USER = { uid: 1000, gid: 1000 };

export default [
  ...group('read', {}, {
    'reads what is there, then 0 bytes at the end': {
      tree: { f: file('0123456789') },
      run: async ({ t }) => {
        const fd = await t.open('f', O_RDONLY);
        assert.equal(str(await t.read(fd, 4)), '0123');
        assert.equal(str(await t.read(fd, 100)), '456789');
        assert.equal((await t.read(fd, 100)).length, 0);
        await t.close(fd);
      },
    },
    'pread reads at a position without moving the offset': {
      tree: { f: file('0123456789') },
      run: async ({ t }) => {
        const fd = await t.open('f', O_RDONLY);
        assert.equal(str(await t.read(fd, 3, 5)), '567');
        assert.equal(str(await t.read(fd, 3)), '012');
        assert.equal((await t.read(fd, 3, 100)).length, 0);
        await t.close(fd);
      },
    },
    'a file of 1 MiB reads back whole': {
      tree: { f: file('abcdefgh'.repeat(131072)) },
      run: async ({ t }) => {
        const s = await readAll(t, 'f');
        assert.equal(s.length, 1048576);
        assert.equal(s.slice(1048570), 'cdefgh');
      },
    },
    'a sparse file reads zeros in its hole': {
      tree: { f: file('end', { size: 8192 }) },
      run: async ({ t }) => {
        const fd = await t.open('f', O_RDONLY);
        const b = await t.read(fd, 8192, 0);
        assert.equal(str(b.subarray(0, 3)), 'end');
        assert.ok(b.subarray(3).every((x) => x === 0));
        await t.close(fd);
      },
    },
    'reading a directory is EISDIR': {
      tree: { d: dir() },
      run: async ({ t }) => {
        const fd = await t.open('d', O_RDONLY);
        await expectErrno(t.read(fd, 10), 'EISDIR');
        await t.close(fd);
      },
    },
    'a read updates atime when it is older than mtime (relatime)': {
      needs: ['atime', 'write'],
      tree: { f: file('x') },
      run: async ({ t }) => {
        await t.utimens('f', OLD, OLD + 1000n);
        await readAll(t, 'f');
        assert.ok((await t.stat('f')).atimeNs > OLD + 1000n);
      },
    },
  }),
  ...group('write', { needs: ['write'] }, {
    'writes extend the file and read back': async ({ t }) => {
      await writeAll(t, 'f', 'hello world');
      assert.equal(await readAll(t, 'f'), 'hello world');
      assert.equal((await t.stat('f')).size, 11);
    },
    'pwrite overwrites in place without moving the offset': {
      tree: { f: file('aaaaaaaa') },
      run: async ({ t }) => {
        const fd = await t.open('f', O_RDWR);
        await t.write(fd, 'XY', 3);
        await t.write(fd, 'b');
        await t.close(fd);
        assert.equal(await readAll(t, 'f'), 'baaXYaaa');
      },
    },
    'writing past the end leaves a hole of zeros': async ({ t }) => {
      const fd = await t.open('f', O_CREAT | O_RDWR, 0o644);
      await t.write(fd, 'x', 10000);
      const b = await t.read(fd, 20000, 0);
      await t.close(fd);
      assert.equal(b.length, 10001);
      assert.ok(b.subarray(0, 10000).every((x) => x === 0));
      assert.equal((await t.stat('f')).size, 10001);
    },
    'a hole allocates no blocks: 1 byte at 1 MiB uses one 4 KiB page': {
      needs: ['sparse'],
      run: async ({ t }) => {
        const fd = await t.open('f', O_CREAT | O_WRONLY, 0o644);
        await t.write(fd, 'x', 1048576);
        await t.close(fd);
        const s = await t.stat('f');
        assert.equal(s.size, 1048577);
        assert.equal(s.blocks, 8);
      },
    },
    'blocks count written pages, in 512-byte units': {
      needs: ['sparse'],
      run: async ({ t }) => {
        await writeAll(t, 'f', 'x'.repeat(10000));
        assert.equal((await t.stat('f')).blocks, 24);
      },
    },
    'a write updates mtime and ctime': {
      tree: { f: file('x', { mtimeNs: OLD }) },
      run: async ({ t }) => {
        const before = await t.stat('f');
        const fd = await t.open('f', O_WRONLY);
        await t.write(fd, 'y');
        await t.close(fd);
        const after = await t.stat('f');
        assert.ok(after.mtimeNs > before.mtimeNs && after.ctimeNs > before.ctimeNs);
      },
    },
    'a write by another user clears setuid': {
      needs: ['credentials'],
      tree: { f: file('x', { mode: 0o4777 }) },
      run: async ({ t }) => {
        const u = await t.as(USER);
        const fd = await u.open('f', O_WRONLY);
        await u.write(fd, 'y');
        await u.close(fd);
        assert.equal((await t.stat('f')).mode & 0o7777, 0o777);
      },
    },
    'a write by root keeps setuid': {
      needs: ['permissions'],
      tree: { f: file('x', { mode: 0o4755 }) },
      run: async ({ t }) => {
        const fd = await t.open('f', O_WRONLY);
        await t.write(fd, 'y');
        await t.close(fd);
        assert.equal((await t.stat('f')).mode & 0o7777, 0o4755);
      },
    },
  }),
  ...group('ftruncate', { needs: ['write'] }, {
    'shrinks and extends with zeros': {
      tree: { f: file('0123456789') },
      run: async ({ t }) => {
        const fd = await t.open('f', O_RDWR);
        await t.ftruncate(fd, 4);
        await t.ftruncate(fd, 8);
        const b = await t.read(fd, 100, 0);
        await t.close(fd);
        assert.deepEqual([...b], [48, 49, 50, 51, 0, 0, 0, 0]);
      },
    },
    'updates mtime and ctime even when the size does not change': {
      tree: { f: file('0123', { mtimeNs: OLD }) },
      run: async ({ t }) => {
        const before = await t.stat('f');
        const fd = await t.open('f', O_RDWR);
        await t.ftruncate(fd, 4);
        await t.close(fd);
        const after = await t.stat('f');
        assert.ok(after.mtimeNs > OLD && after.ctimeNs > before.ctimeNs);
      },
    },
    'fstat sees the new size': {
      tree: { f: file('0123456789') },
      run: async ({ t }) => {
        const fd = await t.open('f', O_RDWR);
        await t.ftruncate(fd, 3);
        assert.equal((await t.fstat(fd)).size, 3);
        await t.close(fd);
      },
    },
    'a read-only descriptor is EINVAL': {
      tree: { f: file('x') },
      run: async ({ t }) => {
        const fd = await t.open('f', O_RDONLY);
        await expectErrno(t.ftruncate(fd, 0), 'EINVAL');
        await t.close(fd);
      },
    },
  }),
];

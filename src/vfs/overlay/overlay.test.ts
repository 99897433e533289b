// Overlay specifics the kernel comparison cannot reach: several lower layers, whiteout forms, readdir handles, hostile layers, concurrency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OverlayFileSystem } from './overlay.js';
import { MemFileSystem } from '../memfs/memfs.js';
import { ReadOnlyFileSystem } from '../../fs/readonly.js';
import { Vfs } from '../vfs.js';
import type { VfsProcess } from '../process.js';
import { O_CREAT, O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY, SEEK_SET } from '../../fs/flags.js';
import { S_IFCHR } from '../../fs/mode.js';
import { POSIX_CAPABILITIES } from '../../fs/capabilities.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

async function write(p: VfsProcess, path: string, data: string): Promise<void> {
  const fd = await p.open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644);
  await p.write(fd, enc(data));
  await p.close(fd);
}

async function read(p: VfsProcess, path: string): Promise<string> {
  const fd = await p.open(path, O_RDONLY);
  const b = new Uint8Array(65536);
  const n = await p.read(fd, b);
  await p.close(fd);
  return dec(b.subarray(0, n));
}

async function list(p: VfsProcess, path: string): Promise<string[]> {
  const fd = await p.open(path, O_RDONLY | O_DIRECTORY);
  const out: string[] = [];
  for (let b = await p.getdents(fd); b.length; b = await p.getdents(fd)) out.push(...b.map((e) => e.name).filter((n) => n !== '.' && n !== '..'));
  await p.close(fd);
  return out.sort();
}

/** A memfs with a tree made through its own Vfs. */
async function layer(build: (p: VfsProcess) => Promise<void>): Promise<MemFileSystem> {
  const fs = new MemFileSystem();
  await build((await Vfs.create(fs)).process());
  return fs;
}

test('several lower layers: the top one wins; a whiteout in a middle layer hides what is below it', async () => {
  const bottom = await layer(async (p) => {
    await write(p, '/both', 'bottom');
    await write(p, '/onlybottom', 'b');
    await write(p, '/hidden', 'should not show');
    await p.mkdir('/d');
    await write(p, '/d/fromBottom', 'x');
    await p.mkdir('/o');
    await write(p, '/o/belowOpaque', 'x');
  });
  const top = await layer(async (p) => {
    await write(p, '/both', 'top');
    await p.mknod('/hidden', S_IFCHR, 0);
    await p.mkdir('/d');
    await write(p, '/d/fromTop', 'y');
    await p.mkdir('/o');
    await p.setxattr('/o', 'trusted.overlay.opaque', enc('y'));
    await write(p, '/o/inOpaque', 'y');
  });
  const ovl = await OverlayFileSystem.create({ lowers: [top, bottom] });
  const p = (await Vfs.create(ovl)).process();
  assert.equal(await read(p, '/both'), 'top');
  assert.equal(await read(p, '/onlybottom'), 'b');
  await assert.rejects(p.stat('/hidden'), { code: 'ENOENT' });
  assert.deepEqual(await list(p, '/'), ['both', 'd', 'o', 'onlybottom']);
  assert.deepEqual(await list(p, '/d'), ['fromBottom', 'fromTop']);
  assert.deepEqual(await list(p, '/o'), ['inOpaque']);
  await assert.rejects(p.mkdir('/x'), { code: 'EROFS' }, 'no upper layer: read-only');
  assert.deepEqual(await p.listxattr('/o'), [], "the lower layer's overlay xattrs are not shown");
});

test('the xattr form of whiteouts (zero-size file with overlay.whiteout in an opaque=x directory) is honoured in lower layers', async () => {
  const bottom = await layer(async (p) => {
    await p.mkdir('/d');
    await write(p, '/d/gone', 'bottom data');
    await write(p, '/d/kept', 'k');
  });
  const top = await layer(async (p) => {
    await p.mkdir('/d');
    await p.setxattr('/d', 'trusted.overlay.opaque', enc('x'));
    await write(p, '/d/gone', '');
    await p.setxattr('/d/gone', 'trusted.overlay.whiteout', new Uint8Array(0));
  });
  const p = (await Vfs.create(await OverlayFileSystem.create({ lowers: [top, bottom] }))).process();
  assert.deepEqual(await list(p, '/d'), ['kept']);
  await assert.rejects(p.stat('/d/gone'), { code: 'ENOENT' });
});

test('merged readdir: a handle keeps its list (stable cookies) until it rewinds to cookie 0', async () => {
  const lower = await layer(async (p) => {
    await p.mkdir('/d');
    for (const n of ['a', 'b', 'c', 'd', 'e']) await write(p, `/d/${n}`, n);
  });
  const p = (await Vfs.create(await OverlayFileSystem.create({ lowers: [lower], upper: new MemFileSystem() }))).process();
  await write(p, '/d/f', 'upper');
  const fd = await p.open('/d', O_RDONLY | O_DIRECTORY);
  const first = await p.getdents(fd, 4);
  await p.unlink('/d/e');
  await write(p, '/d/g', 'new');
  const rest = await p.getdents(fd, 100);
  const names = [...first, ...rest].map((e) => e.name).filter((n) => n !== '.' && n !== '..');
  assert.deepEqual(names.sort(), ['a', 'b', 'c', 'd', 'e', 'f'], 'the list made when reading began');
  await p.lseek(fd, 0, SEEK_SET);
  const again: string[] = [];
  for (let b = await p.getdents(fd, 3); b.length; b = await p.getdents(fd, 3)) again.push(...b.map((e) => e.name));
  assert.deepEqual(again.filter((n) => n !== '.' && n !== '..').sort(), ['a', 'b', 'c', 'd', 'f', 'g']);
  await p.close(fd);
});

test('concurrent writes to one lower file copy it up once', async () => {
  const lower = await layer((p) => write(p, '/f', 'x'.repeat(100000)));
  const p = (await Vfs.create(await OverlayFileSystem.create({ lowers: [lower], upper: new MemFileSystem() }))).process();
  const [a, b] = await Promise.all([p.open('/f', O_WRONLY), p.open('/f', O_WRONLY)]);
  await Promise.all([p.write(a, enc('A'), 0), p.write(b, enc('B'), 99999)]);
  await p.close(a);
  await p.close(b);
  const fd = await p.open('/f', O_RDONLY);
  const buf = new Uint8Array(100000);
  assert.equal(await p.read(fd, buf), 100000);
  await p.close(fd);
  assert.equal(buf[0], 65);
  assert.equal(buf[99999], 66);
});

test('O_TRUNC copies up an empty file without reading the lower data', async () => {
  const lower = await layer((p) => write(p, '/big', 'y'.repeat(1 << 20)));
  let reads = 0;
  const counting = new Proxy(lower, {
    get(t, prop, r) {
      const v = Reflect.get(t, prop, r);
      if (prop === 'read') return (...args: unknown[]) => ((reads++), (v as (...a: unknown[]) => unknown).apply(t, args));
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
  const upper = new MemFileSystem();
  const p = (await Vfs.create(await OverlayFileSystem.create({ lowers: [counting], upper }))).process();
  await write(p, '/big', 'small');
  assert.equal(reads, 0);
  assert.equal(await read(p, '/big'), 'small');
  const up = (await Vfs.create(upper)).process();
  assert.deepEqual(await up.listxattr('/big'), []);
});

test('inode numbers stay the same after the cache forgets and looks up again', async () => {
  const lower = await layer(async (p) => {
    await p.mkdir('/d');
    for (let i = 0; i < 300; i++) await write(p, `/d/f${i}`, 'x');
  });
  const vfs = await Vfs.create(await OverlayFileSystem.create({ lowers: [lower], upper: new MemFileSystem() }), { maxDentries: 50 });
  const p = vfs.process();
  const before = (await p.stat('/d/f7')).ino;
  await write(p, '/d/f7', 'copied up');
  for (let i = 0; i < 300; i++) await p.stat(`/d/f${i}`);
  assert.equal((await p.stat('/d/f7')).ino, before);
  const inos = new Set<number>();
  for (let i = 0; i < 300; i++) inos.add((await p.stat(`/d/f${i}`)).ino);
  assert.equal(inos.size, 300, 'distinct files, distinct numbers');
});

test('hostile layers: a metadata-only upper file without lower data is EIO; unusable upper layers are refused up front', async () => {
  const lower = await layer(async () => {});
  const upper = await layer(async (p) => {
    await write(p, '/orphan', '');
    await p.setxattr('/orphan', 'trusted.overlay.metacopy', new Uint8Array(0));
  });
  const p = (await Vfs.create(await OverlayFileSystem.create({ lowers: [lower], upper }))).process();
  await assert.rejects(p.stat('/orphan'), { code: 'EIO' });
  await assert.rejects(OverlayFileSystem.create({ lowers: [lower], upper: new ReadOnlyFileSystem(new MemFileSystem()) }), { code: 'EROFS' });
  const noXattrs = Object.assign(new MemFileSystem(), {});
  Object.defineProperty(noXattrs, 'capabilities', { value: { ...POSIX_CAPABILITIES, xattrNamespaces: [] } });
  await assert.rejects(OverlayFileSystem.create({ lowers: [lower], upper: noXattrs }), { code: 'EOPNOTSUPP' });
  await assert.rejects(OverlayFileSystem.create({ lowers: [] }), { code: 'EINVAL' });
});

test('the overlay hides and refuses its own xattrs', async () => {
  const lower = await layer((p) => write(p, '/f', 'x'));
  const p = (await Vfs.create(await OverlayFileSystem.create({ lowers: [lower], upper: new MemFileSystem() }))).process();
  await p.chmod('/f', 0o600);
  assert.deepEqual(await p.listxattr('/f'), [], 'the metacopy marker is not shown');
  await assert.rejects(p.setxattr('/f', 'trusted.overlay.opaque', enc('y')), { code: 'EPERM' });
  await assert.rejects(p.getxattr('/f', 'trusted.overlay.metacopy'), { code: 'ENODATA' });
});

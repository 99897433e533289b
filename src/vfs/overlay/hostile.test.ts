// Hostile layers and paths: random trees full of overlay markers in the wrong places, random path strings. Only FsErrors, never a crash or a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../../test/helpers/fuzz.js';
import { FsError } from '../../errors.js';
import { O_APPEND, O_CREAT, O_DIRECTORY, O_RDONLY, O_WRONLY } from '../../fs/flags.js';
import { S_IFCHR, S_IFIFO } from '../../fs/mode.js';
import { MemFileSystem } from '../memfs/memfs.js';
import { Vfs } from '../vfs.js';
import type { VfsProcess } from '../process.js';
import { OverlayFileSystem } from './overlay.js';

const MARKERS = ['trusted.overlay.opaque', 'trusted.overlay.whiteout', 'trusted.overlay.metacopy', 'trusted.overlay.redirect', 'trusted.overlay.origin', 'user.overlay.opaque'];
const VALUES = ['y', 'x', '', 'n', '/etc/passwd', '../../..', '\0\xff'];

/** A random layer: files, directories, symlinks (some looping), whiteout devices, FIFOs, overlay xattrs anywhere. */
async function randomLayer(rand: () => number): Promise<MemFileSystem> {
  const fs = new MemFileSystem();
  const p = (await Vfs.create(fs)).process();
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const dirs = ['/'];
  for (let i = 0; i < 60; i++) {
    const dir = pick(dirs);
    const path = `${dir === '/' ? '' : dir}/${pick(['a', 'b', 'c', 'd', 'e'])}`;
    try {
      const r = rand();
      if (r < 0.3) {
        const fd = await p.open(path, O_CREAT | O_WRONLY, 0o644);
        if (rand() < 0.7) await p.write(fd, new Uint8Array(Math.floor(rand() * 3000)).fill(7), Math.floor(rand() * 5000));
        await p.close(fd);
      } else if (r < 0.55) {
        await p.mkdir(path);
        dirs.push(path);
      } else if (r < 0.65) await p.symlink(pick(['a', '..', '/', 'a/b/c', path, '../../x']), path);
      else if (r < 0.8) await p.mknod(path, S_IFCHR | 0o644, rand() < 0.7 ? 0 : 5);
      else if (r < 0.85) await p.mknod(path, S_IFIFO | 0o644);
      if (rand() < 0.5) await p.setxattr(path, pick(MARKERS), new TextEncoder().encode(pick(VALUES)), 0, false);
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
    }
  }
  return fs;
}

/** Walks everything visible and touches it: stat, readdir, read, readlink, and a few writes. */
async function exercise(p: VfsProcess, rand: () => number): Promise<void> {
  const queue = ['/'];
  let visited = 0;
  while (queue.length && visited < 500) {
    const dir = queue.shift()!;
    visited++;
    let names: string[] = [];
    try {
      const fd = await p.open(dir, O_RDONLY | O_DIRECTORY);
      for (let b = await p.getdents(fd, 7); b.length; b = await p.getdents(fd, 7)) names.push(...b.map((e) => e.name));
      await p.close(fd);
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
    }
    names = names.filter((n) => n !== '.' && n !== '..');
    for (const n of names) {
      const path = `${dir === '/' ? '' : dir}/${n}`;
      for (const op of [
        () => p.lstat(path),
        () => p.stat(path),
        () => p.readlink(path),
        () => p.listxattr(path, false),
        async () => {
          const fd = await p.open(path, O_RDONLY);
          await p.read(fd, new Uint8Array(8192), 0);
          await p.close(fd);
        },
        async () => {
          if (rand() < 0.3) {
            const fd = await p.open(path, O_WRONLY | O_APPEND);
            await p.write(fd, new Uint8Array([1]));
            await p.close(fd);
          }
        },
        async () => {
          if (rand() < 0.2) await p.chmod(path, 0o600);
        },
        async () => {
          if (rand() < 0.15) await p.rename(path, `${path}.moved`);
        },
        async () => {
          if (rand() < 0.1) await p.unlink(path);
        },
      ]) {
        try {
          await op();
        } catch (e) {
          if (!(e instanceof FsError)) throw e;
        }
      }
      try {
        if (((await p.lstat(path)).mode & 0o170000) === 0o040000) queue.push(path);
      } catch (e) {
        if (!(e instanceof FsError)) throw e;
      }
    }
  }
}

test('overlays of random hostile layers answer only with FsErrors', async () => {
  const start = Date.now();
  let cases = 0;
  for (let seed = 1; seed <= 40 && Date.now() - start < 8000; seed++) {
    const rand = prng(seed);
    const lowers = [await randomLayer(rand), await randomLayer(rand)];
    const upper = await randomLayer(rand);
    let overlay: OverlayFileSystem;
    try {
      overlay = await OverlayFileSystem.create({ lowers, upper });
    } catch (e) {
      assert.ok(e instanceof FsError, `seed ${seed}: ${String(e)}`);
      continue;
    }
    const p = (await Vfs.create(overlay)).process();
    try {
      await exercise(p, rand);
    } catch (e) {
      assert.fail(`seed ${seed}: a non-FsError escaped: ${(e as Error).stack}`);
    }
    cases++;
  }
  assert.ok(cases >= 5, `only ${cases} cases ran`);
});

test('random path strings give FsErrors, never crashes', async () => {
  const fs = new MemFileSystem();
  const p = (await Vfs.create(fs)).process();
  await p.mkdir('/a');
  await p.symlink('/a/../a/./', '/l');
  await p.symlink('l/l', '/a/l');
  const rand = prng(7);
  const pieces = ['a', '.', '..', '', 'l', 'x'.repeat(300), '\0', 'é', '//', 'a/'.repeat(3000)];
  for (let i = 0; i < 3000; i++) {
    const n = 1 + Math.floor(rand() * 6);
    let path = rand() < 0.5 ? '/' : '';
    for (let j = 0; j < n; j++) path += pieces[Math.floor(rand() * pieces.length)] + (rand() < 0.7 ? '/' : '');
    for (const op of [() => p.stat(path), () => p.lstat(path), () => p.open(path, O_CREAT | O_WRONLY, 0o644).then((fd) => p.close(fd)), () => p.mkdir(path), () => p.rename(path, '/a/z')]) {
      try {
        await op();
      } catch (e) {
        assert.ok(e instanceof FsError, `${JSON.stringify(path)}: ${String(e)}`);
      }
    }
  }
});

// extractTree copies several files at once. These cases make the files
// finish out of order on purpose (reads delayed per file) and check what
// must not depend on that order: the warnings and skip list come out in walk
// order, identical from run to run; every hardlink joins its first copy;
// every file's bytes, mode and time are right; directory times are set last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsError } from '../errors.js';
import type { FileSystem, Ino } from '../fs/filesystem.js';
import { S_IFREG } from '../fs/mode.js';
import { MemFileSystem } from '../vfs/memfs/memfs.js';
import { extractTree } from './extract.js';

const caller = { uid: 0, gid: 0 };

async function file(fs: MemFileSystem, dir: Ino, name: string, data: Uint8Array, mode = 0o644): Promise<Ino> {
  const { entry, fh } = await fs.create(dir, name, S_IFREG | mode, 1, caller);
  if (data.length) await fs.write(entry.ino, fh, data, 0);
  await fs.release(entry.ino, fh);
  return entry.ino;
}

/** memfs whose reads of some inodes are slow (ms) or fail with EIO. */
function slowView(fs: MemFileSystem, delays: Map<Ino, number>, failing: Set<Ino>): FileSystem {
  return new Proxy(fs, {
    get(target, prop) {
      if (prop === 'read') {
        return async (ino: Ino, fh: number, buf: Uint8Array, pos: number) => {
          const ms = delays.get(ino);
          if (ms) await new Promise((r) => setTimeout(r, ms));
          if (failing.has(ino)) throw new FsError('EIO', `test: inode ${ino} cannot be read`);
          return target.read(ino, fh, buf, pos);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as unknown as FileSystem;
}

interface Tree {
  fs: MemFileSystem;
  contents: Map<string, Uint8Array>;
  /** Inodes in walk order, with their paths. */
  files: Array<{ ino: Ino; path: string }>;
  linked: Ino;
}

/** 3 directories × 20 files (sizes from 0 to 1.5 MiB), some names that must be rewritten, one file with three names. */
async function tree(): Promise<Tree> {
  const fs = new MemFileSystem();
  const contents = new Map<string, Uint8Array>();
  const files: Tree['files'] = [];
  let linked = 0;
  for (let d = 0; d < 3; d++) {
    const dir = await fs.mkdir(fs.rootIno, `d${d}`, 0o755, caller);
    for (let i = 0; i < 20; i++) {
      const size = i % 7 === 0 ? (1 << 20) + 4096 * i : i * 97;
      const data = new Uint8Array(size).map((_, k) => (k * 31 + i + d) & 0xff);
      // Control characters: the name is rewritten and reported.
      const name = i % 9 === 4 ? `bad\u0007${i}` : `f${String(i).padStart(2, '0')}`;
      const ino = await file(fs, dir.ino, name, data, 0o600 + i);
      await fs.setattr(ino, { mtime: { sec: 1_000_000_000 + d * 100 + i, nsec: 0 } });
      contents.set(`d${d}/${name.replace(/\u0007/g, '_')}`, data);
      files.push({ ino, path: `/d${d}/${name}` });
      if (d === 0 && i === 7) linked = ino;
    }
  }
  await fs.link(linked, (await fs.lookup(fs.rootIno, 'd1')).ino, 'link-a');
  await fs.link(linked, (await fs.lookup(fs.rootIno, 'd2')).ino, 'link-b');
  return { fs, contents, files, linked };
}

test('extract: files finishing out of order give the same warnings, in walk order, every time', async () => {
  const t = await tree();
  const root = await mkdtemp(join(tmpdir(), 'anymount-extract-conc-'));
  try {
    // Unreadable files spread through the tree; the first files are the slowest, so later ones finish first.
    const failing = new Set(t.files.filter((_, k) => k % 11 === 3).map((f) => f.ino));
    const runs: string[][] = [];
    for (const [n, slowFirst] of [[0, true], [1, false]] as const) {
      const delays = new Map(t.files.map((f, k) => [f.ino, slowFirst ? Math.max(0, 30 - k) : k % 5]));
      const warnings: string[] = [];
      const stats = await extractTree(slowView(t.fs, delays, failing), t.fs.rootIno, '/', join(root, `run${n}`), { onWarning: (w) => warnings.push(w) });
      runs.push(warnings);
      assert.deepEqual(
        stats.skipped.map((s) => s.path),
        t.files.filter((f) => failing.has(f.ino)).map((f) => f.path),
        'skips in walk order',
      );
      assert.equal(stats.renamed.length, t.files.filter((f) => f.path.includes('\u0007')).length);
    }
    assert.deepEqual(runs[0], runs[1], 'warnings do not depend on which file finished first');
    // Walk order: every warning names a path, and the paths come in the order the walk met them.
    const order = t.files.map((f) => f.path);
    const at = runs[0]!.map((w) => order.findIndex((p) => w.includes(JSON.stringify(p)) || w.startsWith(`${p}:`)));
    assert.ok(at.every((i) => i >= 0), `every warning names a file: ${runs[0]!.join(' | ')}`);
    assert.deepEqual(at, [...at].sort((a, b) => a - b));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('extract: contents, modes and times of concurrently copied files; hardlinks join their first copy', async () => {
  const t = await tree();
  const root = await mkdtemp(join(tmpdir(), 'anymount-extract-conc-'));
  try {
    // The first name of the linked file is the slowest to copy: its other names must wait for it.
    const delays = new Map<Ino, number>([[t.linked, 80]]);
    const stats = await extractTree(slowView(t.fs, delays, new Set()), t.fs.rootIno, '/', root);
    assert.equal(stats.files, 60);
    assert.equal(stats.hardlinks, 2);
    for (const [path, data] of t.contents) {
      assert.deepEqual(new Uint8Array(await readFile(join(root, path))), data, path);
    }
    for (const [d, i] of [[0, 3], [1, 14], [2, 19]] as const) {
      const st = await stat(join(root, `d${d}/f${String(i).padStart(2, '0')}`));
      assert.equal(st.mode & 0o777, 0o600 + i);
      assert.equal(st.mtime.getTime(), (1_000_000_000 + d * 100 + i) * 1000);
    }
    const first = await stat(join(root, 'd0/f07'));
    for (const other of ['d1/link-a', 'd2/link-b']) assert.equal((await stat(join(root, other))).ino, first.ino, other);
    assert.equal(first.nlink, 3);
    assert.equal((await stat(join(root, 'd1'))).mode & 0o777, 0o755, 'directory modes set after their contents');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

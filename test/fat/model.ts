/**
 * A seeded random sequence of operations run through the FAT driver and
 * through an in-memory model of what the volume must then hold; the test
 * compares the model with what mtools, 7-Zip and fsck.fat find on the
 * image afterwards.
 */
import assert from 'node:assert/strict';
import type { FileSystem } from '../../src/fs/filesystem.js';
import { RENAME_NOREPLACE } from '../../src/fs/filesystem.js';
import { isFsError } from '../../src/errors.js';
import { prng } from '../helpers/fuzz.js';

export interface ModelFile {
  kind: 'file';
  name: string;
  data: Uint8Array;
  mtime: number;
}
export interface ModelDir {
  kind: 'dir';
  name: string;
  children: Map<string, ModelNode>;
  mtime: number;
}
export type ModelNode = ModelFile | ModelDir;

const CALLER = { uid: 0, gid: 0 };
const fold = (s: string): string => s.toLowerCase();

/** Names of every kind FAT stores differently: 8.3 upper and lower, mixed case, long, Unicode, long-only characters. */
export function nameMaker(rand: () => number): () => string {
  let n = 0;
  const kinds: Array<(i: number) => string> = [
    (i) => `FILE${i}.TXT`,
    (i) => `data${i}.bin`,
    (i) => `Report ${i}.Doc`,
    (i) => `a long name number ${i} with spaces and more text.txt`,
    (i) => `naïve café ${i}.txt`,
    (i) => `Ωmega ${i}`,
    (i) => `a+b,c;d=[${i}]`,
    (i) => `.config${i}`,
    (i) => `${'x'.repeat(230)}${i}.long`,
    (i) => `UP${i}`,
    (i) => `many.dots.${i}.tar.gz`,
  ];
  return () => kinds[Math.floor(rand() * kinds.length)]!(n++);
}

export interface ModelRunOptions {
  seed: number;
  ops: number;
  /** Largest single write. */
  maxWrite: number;
  /** Called before every operation; returns the clock's seconds for it. */
  tick: () => number;
  /** Bytes of a zero-filled 'filler.bin' written first, to start nearly full. */
  prefill?: number;
  /** Called after each completed operation (crash tests snapshot here). */
  after?: (i: number) => Promise<void>;
}

export interface ModelResult {
  root: ModelDir;
  counts: Record<string, number>;
}

export async function runModel(fs: FileSystem, o: ModelRunOptions): Promise<ModelResult> {
  const rand = prng(o.seed);
  const int = (k: number) => Math.floor(rand() * k);
  const newName = nameMaker(rand);
  const root: ModelDir = { kind: 'dir', name: '', children: new Map(), mtime: 0 };
  const counts: Record<string, number> = {};
  const count = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  const fat2 = (sec: number) => Math.floor(sec / 2) * 2;

  const dirs = (): Array<[string, ModelDir]> => {
    const out: Array<[string, ModelDir]> = [];
    const walk = (d: ModelDir, path: string) => {
      out.push([path, d]);
      for (const c of d.children.values()) if (c.kind === 'dir') walk(c, path ? `${path}/${c.name}` : c.name);
    };
    walk(root, '');
    return out;
  };
  const files = (): Array<[ModelDir, string, ModelFile]> => {
    const out: Array<[ModelDir, string, ModelFile]> = [];
    for (const [p, d] of dirs()) for (const c of d.children.values()) if (c.kind === 'file' && c !== filler) out.push([d, p, c]);
    return out;
  };
  const inoOf = async (path: string): Promise<number> => {
    let ino = fs.rootIno;
    for (const part of path.split('/').filter(Boolean)) ino = (await fs.lookup(ino, part)).ino;
    return ino;
  };
  const randomData = (n: number): Uint8Array => {
    const b = new Uint8Array(n);
    let x = int(0x7fffffff) | 1;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      b[i] = x & 0xff;
    }
    return b;
  };
  /** Runs a driver call; ENOSPC leaves the model as it was. */
  const attempt = async (what: string, fn: () => Promise<void>, apply: () => void): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      if (isFsError(e, 'ENOSPC')) {
        count(`${what} ENOSPC`);
        return;
      }
      throw e;
    }
    apply();
    count(what);
  };

  let filler: ModelFile | undefined;
  if (o.prefill) {
    const now = o.tick();
    const { entry } = await fs.create!(fs.rootIno, 'filler.bin', 0o644, 0o101, CALLER);
    const data = new Uint8Array(o.prefill);
    await fs.setattr!(entry.ino, { size: o.prefill });
    await fs.release?.(entry.ino, 0);
    filler = { kind: 'file', name: 'filler.bin', data, mtime: fat2(now) };
    root.children.set('filler.bin', filler);
  }
  for (let i = 0; i < o.ops; i++) {
    const now = o.tick();
    const ds = dirs();
    const [dpath, dir] = ds[int(ds.length)]!;
    const fl = files();
    const op = int(100);
    if (op < 22 || fl.length === 0) {
      const name = newName();
      const existing = dir.children.get(fold(name));
      const dino = await inoOf(dpath);
      if (existing) {
        await assert.rejects(fs.create!(dino, name, 0o644, 0o101, CALLER), { code: 'EEXIST' });
        continue;
      }
      const size = int(4) === 0 ? 0 : 1 + int(o.maxWrite);
      const data = randomData(size);
      await attempt('create', async () => {
        const { entry } = await fs.create!(dino, name, 0o644, 0o101, CALLER);
        try {
          if (size) await fs.write!(entry.ino, 0, data, 0);
        } catch (e) {
          // The name exists now, empty: keep the model in step before passing ENOSPC on.
          dir.children.set(fold(name), { kind: 'file', name, data: new Uint8Array(0), mtime: fat2(now) });
          if (dpath) dir.mtime = fat2(now);
          throw e;
        } finally {
          await fs.release?.(entry.ino, 0);
        }
      }, () => {
        dir.children.set(fold(name), { kind: 'file', name, data, mtime: fat2(now) });
        if (dpath) dir.mtime = fat2(now);
      });
    } else if (op < 45) {
      // Write at a random offset: inside, at the end, or past the end (zero-filled gap).
      const [, p, f] = fl[int(fl.length)]!;
      const path = p ? `${p}/${f.name}` : f.name;
      const pos = int(3) === 0 ? f.data.length + int(5000) : int(f.data.length + 1);
      const data = randomData(1 + int(o.maxWrite));
      const ino = await inoOf(path);
      await attempt('write', () => fs.write!(ino, 0, data, pos).then(() => {}), () => {
        const next = new Uint8Array(Math.max(f.data.length, pos + data.length));
        next.set(f.data);
        next.set(data, pos);
        f.data = next;
        f.mtime = fat2(now);
      });
    } else if (op < 55) {
      const [, p, f] = fl[int(fl.length)]!;
      const path = p ? `${p}/${f.name}` : f.name;
      const size = int(2) ? int(f.data.length + 1) : f.data.length + int(o.maxWrite);
      const ino = await inoOf(path);
      await attempt('truncate', () => fs.setattr!(ino, { size }).then(() => {}), () => {
        const next = new Uint8Array(size);
        next.set(f.data.subarray(0, Math.min(size, f.data.length)));
        f.data = next;
        f.mtime = fat2(now);
      });
    } else if (op < 70) {
      // Rename a file or directory, within or across directories, sometimes over a file.
      const cands = [...dir.children.values()].filter((c) => c !== filler);
      if (cands.length === 0) continue;
      const src = cands[int(cands.length)]!;
      const [tpath, tdir] = ds[int(ds.length)]!;
      if (src.kind === 'dir' && (tpath === (dpath ? `${dpath}/${src.name}` : src.name) || tpath.startsWith(dpath ? `${dpath}/${src.name}/` : `${src.name}/`))) continue;
      const others = [...tdir.children.values()].filter((c) => c.kind === src.kind && c !== src && c !== filler && (c.kind === 'file' || c.children.size === 0));
      const over = others.length && int(3) === 0 ? others[int(others.length)]! : undefined;
      const name = over ? (int(2) ? over.name : over.name.toUpperCase() === over.name ? over.name.toLowerCase() : over.name.toUpperCase()) : int(4) === 0 ? src.name.toUpperCase() : newName();
      if (tdir === dir && name === src.name) continue; // renaming onto itself does nothing
      const clash = tdir.children.get(fold(name));
      if (clash && clash !== src && clash !== over) continue; // a clash of generated names: skip
      const [sino, tino] = [await inoOf(dpath), await inoOf(tpath)];
      if (over && int(4) === 0) {
        await assert.rejects(fs.rename!(sino, src.name, tino, name, RENAME_NOREPLACE), { code: 'EEXIST' });
        continue;
      }
      await attempt('rename', () => fs.rename!(sino, src.name, tino, name, 0), () => {
        dir.children.delete(fold(src.name));
        if (over) tdir.children.delete(fold(over.name));
        // Replacing an entry spelled the same keeps that spelling; otherwise the new name is stored as given.
        src.name = over && over.name === name ? over.name : name;
        tdir.children.set(fold(src.name), src);
        if (dpath) dir.mtime = fat2(now);
        if (tpath) tdir.mtime = fat2(now);
      });
    } else if (op < 80) {
      const name = newName();
      if (dir.children.has(fold(name)) || ds.length > 40) continue;
      const dino = await inoOf(dpath);
      await attempt('mkdir', () => fs.mkdir!(dino, name, 0o755, CALLER).then(() => {}), () => {
        dir.children.set(fold(name), { kind: 'dir', name, children: new Map(), mtime: fat2(now) });
        if (dpath) dir.mtime = fat2(now);
      });
    } else if (op < 92) {
      const [d, p, f] = fl[int(fl.length)]!;
      await fs.unlink!(await inoOf(p), f.name);
      d.children.delete(fold(f.name));
      if (p) d.mtime = fat2(now);
      count('unlink');
    } else if (op < 97) {
      const sub = [...dir.children.values()].find((c) => c.kind === 'dir');
      if (!sub || sub.kind !== 'dir') continue;
      const dino = await inoOf(dpath);
      if (sub.children.size) {
        await assert.rejects(fs.rmdir!(dino, sub.name), { code: 'ENOTEMPTY' });
        continue;
      }
      await fs.rmdir!(dino, sub.name);
      dir.children.delete(fold(sub.name));
      if (dpath) dir.mtime = fat2(now);
      count('rmdir');
    } else {
      await fs.fsync?.(fs.rootIno, 0, false);
      count('fsync');
    }
    await o.after?.(i);
  }
  return { root, counts };
}

/** The model as 'a/b/c' → type, size, content, mtime. */
export function flattenModel(root: ModelDir): Map<string, { type: 'file' | 'dir'; data?: Uint8Array; mtime: number }> {
  const out = new Map<string, { type: 'file' | 'dir'; data?: Uint8Array; mtime: number }>();
  const walk = (d: ModelDir, prefix: string) => {
    for (const c of d.children.values()) {
      const path = prefix + c.name;
      if (c.kind === 'dir') {
        out.set(path, { type: 'dir', mtime: c.mtime });
        walk(c, `${path}/`);
      } else out.set(path, { type: 'file', data: c.data, mtime: c.mtime });
    }
  };
  walk(root, '');
  return out;
}

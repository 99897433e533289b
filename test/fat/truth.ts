/**
 * FAT test helpers: walking a FileSystem into a flat listing, and reading
 * what the real tools say is inside an image — an `mcopy -s -m` extraction
 * (names, contents, mtimes) and a `7z l -slt` listing (times to 10 ms,
 * access dates, attributes, short names).
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileSystem, Stat } from '../../src/fs/filesystem.js';
import { DT_DIR } from '../../src/fs/mode.js';
import { spawnSync } from 'node:child_process';
import { run, toolEnv } from '../helpers/tools.js';

export interface Listed {
  type: 'file' | 'dir';
  size: number;
  sha256: string;
  stat: Stat;
  ino: number;
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Reads a whole file through the driver in chunks of `chunk` bytes. */
export async function readWhole(fs: FileSystem, ino: number, size: number, chunk = 1 << 20): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  for (let pos = 0; pos < size; ) {
    const n = await fs.read(ino, 0, out.subarray(pos, Math.min(size, pos + chunk)), pos);
    if (n === 0) throw new Error(`short read at ${pos} of ${size}`);
    pos += n;
  }
  return out;
}

/**
 * Every entry under the root as 'a/b/c' → what the driver says, bounded by
 * `maxEntries` and `maxDepth` (hostile images may loop).
 */
export async function walkFs(fs: FileSystem, opts: { maxEntries?: number; maxDepth?: number; contents?: boolean } = {}): Promise<Map<string, Listed>> {
  const out = new Map<string, Listed>();
  const maxEntries = opts.maxEntries ?? 100_000;
  const maxDepth = opts.maxDepth ?? 64;
  const walk = async (dirIno: number, prefix: string, depth: number): Promise<void> => {
    let cookie = 0;
    for (;;) {
      const batch = await fs.readdir(dirIno, 0, cookie, 128);
      if (batch.length === 0) break;
      for (const e of batch) {
        cookie = e.next;
        if (e.name === '.' || e.name === '..') continue;
        if (out.size >= maxEntries) return;
        const entry = await fs.lookup(dirIno, e.name);
        const path = prefix + e.name;
        const isDir = e.type === DT_DIR;
        let sha = '';
        if (!isDir && opts.contents !== false) sha = sha256(await readWhole(fs, entry.ino, entry.attr.size));
        out.set(path, { type: isDir ? 'dir' : 'file', size: isDir ? 0 : entry.attr.size, sha256: sha, stat: entry.attr, ino: entry.ino });
        if (isDir && depth < maxDepth) await walk(entry.ino, `${path}/`, depth + 1);
      }
    }
  };
  await walk(fs.rootIno, '', 0);
  return out;
}

export interface Extracted {
  type: 'file' | 'dir';
  size: number;
  sha256: string;
  mtimeSec: number;
}

/** A directory tree on the host (an mcopy extraction) as 'a/b/c' → type, size, hash, mtime. */
export async function walkHost(root: string): Promise<Map<string, Extracted>> {
  const out = new Map<string, Extracted>();
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const p = join(dir, name);
      const st = await lstat(p);
      const path = prefix + name;
      if (st.isDirectory()) {
        out.set(path, { type: 'dir', size: 0, sha256: '', mtimeSec: Math.floor(st.mtimeMs / 1000) });
        await walk(p, `${path}/`);
      } else {
        out.set(path, { type: 'file', size: st.size, sha256: sha256(await readFile(p)), mtimeSec: Math.floor(st.mtimeMs / 1000) });
      }
    }
  };
  await walk(root, '');
  return out;
}

/** Extracts a whole FAT image with mtools into `dest` (which must exist). */
export async function mcopyOut(image: string, dest: string): Promise<void> {
  await run('bash', ['-c', `export LC_ALL=C.UTF-8; mcopy -s -m -n -i "$1" '::/*' "$2/"`, 'x', image, dest]);
}

export interface SevenZipEntry {
  path: string;
  folder: boolean;
  size: number;
  modified: string;
  created: string;
  accessed: string;
  attributes: string;
  shortName: string;
}

/** Parses `7z l -slt` output (after the archive's own block). */
export function parse7z(text: string): Map<string, SevenZipEntry> {
  const out = new Map<string, SevenZipEntry>();
  const body = text.split(/^----------$/m)[1] ?? '';
  for (const block of body.split(/\n\s*\n/)) {
    const f: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const m = /^([A-Za-z ]+?) = ?(.*)$/.exec(line);
      if (m) f[m[1]!] = m[2]!;
    }
    if (f.Path === undefined) continue;
    out.set(f.Path, {
      path: f.Path,
      folder: f.Folder === '+',
      size: Number(f.Size || 0),
      modified: f.Modified ?? '',
      created: f.Created ?? '',
      accessed: f.Accessed ?? '',
      attributes: f.Attributes ?? '',
      shortName: f['Short Name'] ?? '',
    });
  }
  return out;
}

/** '2020-05-06 07:08:08' (7-Zip's format, UTC) for seconds since the epoch. */
export function fmt7z(sec: number, cs?: number): string {
  const s = new Date(sec * 1000).toISOString().replace('T', ' ').slice(0, 19);
  return cs === undefined ? s : `${s}.${String(cs).padStart(2, '0')}`;
}

/** `7z l -slt IMAGE` parsed. */
export async function sevenZip(image: string): Promise<Map<string, SevenZipEntry>> {
  return parse7z(await run('7z', ['l', '-slt', image]));
}

/** `fsck.fat -n IMAGE`: exit status (0 clean, 1 errors found) and everything it printed. */
export function fsckFat(image: string): { status: number; output: string } {
  const r = spawnSync('fsck.fat', ['-n', image], { env: toolEnv(), encoding: 'utf8' });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

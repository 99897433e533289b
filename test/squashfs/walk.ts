/**
 * Walks a FileSystem from its root: every entry's stat, symlink target,
 * content hash and xattrs, with a depth and entry budget (hostile images
 * may loop). Used by the squashfs tests against unsquashfs and the kernel.
 */
import { createHash } from 'node:crypto';
import type { FileSystem, Stat } from '../../src/fs/filesystem.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../src/fs/mode.js';

export interface WalkedEntry {
  path: string;
  stat: Stat;
  /** DT_* type readdir gave. */
  dtype: number;
  target?: string;
  sha256?: string;
  xattrs?: Record<string, string>;
}

export interface WalkOptions {
  maxDepth?: number;
  maxEntries?: number;
  /** Read size for file contents. */
  chunk?: number;
  /** Read contents (default true). */
  contents?: boolean;
  xattrs?: boolean;
  /** readdir page size, to exercise cookies. */
  pageSize?: number;
  /** Stop reading a file after this many bytes (hostile images declare huge sizes). */
  maxFileBytes?: number;
}

export async function walk(fs: FileSystem, options: WalkOptions = {}): Promise<Map<string, WalkedEntry>> {
  const maxDepth = options.maxDepth ?? 64;
  const maxEntries = options.maxEntries ?? 100_000;
  const chunk = options.chunk ?? 1 << 20;
  const out = new Map<string, WalkedEntry>();
  const buf = new Uint8Array(chunk);
  const rootStat = await fs.getattr(fs.rootIno);
  out.set('', { path: '', stat: rootStat, dtype: 4, ...(options.xattrs ? { xattrs: await xattrsOf(fs, fs.rootIno) } : {}) });
  const visiting = new Set<number>([fs.rootIno]);

  const visit = async (dirIno: number, prefix: string, depth: number): Promise<void> => {
    if (depth > maxDepth) return;
    let cookie = 0;
    for (;;) {
      const page = await fs.readdir(dirIno, 0, cookie, options.pageSize);
      if (page.length === 0) break;
      for (const e of page) {
        cookie = e.next;
        if (e.name === '.' || e.name === '..') continue;
        if (out.size >= maxEntries) return;
        const path = prefix ? `${prefix}/${e.name}` : e.name;
        const entry = await fs.lookup(dirIno, e.name);
        const st = await fs.getattr(entry.ino);
        const w: WalkedEntry = { path, stat: st, dtype: e.type };
        const type = st.mode & S_IFMT;
        if (type === S_IFLNK) w.target = await fs.readlink(entry.ino);
        if (type === S_IFREG && options.contents !== false) {
          const h = createHash('sha256');
          let pos = 0;
          const limit = options.maxFileBytes ?? Infinity;
          while (pos < limit) {
            const n = await fs.read(entry.ino, 0, buf, pos);
            if (n === 0) break;
            h.update(buf.subarray(0, n));
            pos += n;
          }
          w.sha256 = h.digest('hex');
        }
        if (options.xattrs) w.xattrs = await xattrsOf(fs, entry.ino);
        out.set(path, w);
        if (type === S_IFDIR && !visiting.has(entry.ino)) {
          visiting.add(entry.ino);
          await visit(entry.ino, path, depth + 1);
          visiting.delete(entry.ino);
        }
      }
    }
  };
  await visit(fs.rootIno, '', 1);
  return out;
}

async function xattrsOf(fs: FileSystem, ino: number): Promise<Record<string, string>> {
  const x: Record<string, string> = {};
  if (!fs.listxattr || !fs.getxattr) return x;
  for (const name of await fs.listxattr(ino)) x[name] = Buffer.from(await fs.getxattr(ino, name)).toString('hex');
  return x;
}

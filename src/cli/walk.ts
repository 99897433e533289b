/**
 * Walking a tree inside an image for ls -R, find, du and tree: depth-first,
 * entries sorted by name, symlinks never followed, a directory that is its
 * own ancestor (a corrupt image) reported instead of looped into. Errors on
 * one directory are reported and the walk goes on, like find(1).
 */
import type { BigIntStats } from '../api/stats.js';
import type { OpenedFs } from '../node/open.js';

export interface WalkEntry {
  /** Path inside the image. */
  path: string;
  name: string;
  stat: BigIntStats;
  /** 0 for the starting point. */
  depth: number;
}

export interface WalkOptions {
  maxDepth?: number;
  /** Include names starting with '.' (default true; ls hides them without -a). */
  hidden?: boolean;
  onError?: (path: string, error: unknown) => void;
  /** Called after a directory's entries (post-order), for du and tree. */
  onLeaveDir?: (entry: WalkEntry) => void;
}

export function joinImagePath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function* walk(fs: OpenedFs, start: string, options: WalkOptions = {}): AsyncGenerator<WalkEntry> {
  const top = await fs.lstat(start, { bigint: true });
  const name = start === '/' ? '/' : start.replace(/\/+$/, '').split('/').pop() ?? start;
  yield* visit(fs, { path: start, name, stat: top, depth: 0 }, new Set<bigint>(), options);
}

async function* visit(fs: OpenedFs, entry: WalkEntry, ancestors: Set<bigint>, options: WalkOptions): AsyncGenerator<WalkEntry> {
  yield entry;
  if (!entry.stat.isDirectory()) return;
  if (options.maxDepth !== undefined && entry.depth >= options.maxDepth) return;
  const key = entry.stat.ino;
  if (ancestors.has(key)) {
    options.onError?.(entry.path, new Error('directory is its own ancestor (corrupt image); not entered'));
    return;
  }
  let names: string[];
  try {
    names = (await fs.readdir(entry.path)).sort(compareNames);
  } catch (e) {
    options.onError?.(entry.path, e);
    return;
  }
  ancestors.add(key);
  for (const n of names) {
    if (options.hidden === false && n.startsWith('.')) continue;
    const path = joinImagePath(entry.path, n);
    let stat: BigIntStats;
    try {
      stat = await fs.lstat(path, { bigint: true });
    } catch (e) {
      options.onError?.(path, e);
      continue;
    }
    yield* visit(fs, { path, name: n, stat, depth: entry.depth + 1 }, ancestors, options);
  }
  ancestors.delete(key);
  options.onLeaveDir?.(entry);
}

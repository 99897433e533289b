/**
 * The driver inode behind a path in an opened source, for the commands that
 * work on the FileSystem directly (extract, cp out): the path is resolved
 * like the API does (symlinks in the middle followed), then looked up
 * component by component. `release` drops the lookups again.
 */
import type { Ino } from '../fs/filesystem.js';
import type { OpenedFs } from '../node/open.js';

export async function inodeAt(fs: OpenedFs, path: string, followLast: boolean): Promise<{ ino: Ino; release: () => void }> {
  const driver = fs.source.fs;
  let resolved: string;
  if (followLast) resolved = await fs.realpath(path);
  else {
    const slash = path.replace(/\/+$/, '').lastIndexOf('/');
    const parent = slash <= 0 ? '/' : path.slice(0, slash);
    const base = path.replace(/\/+$/, '').slice(slash + 1);
    const dir = await fs.realpath(parent);
    resolved = base === '' ? dir : dir === '/' ? `/${base}` : `${dir}/${base}`;
    await fs.lstat(resolved); // ENOENT with the path, like Node
  }
  const looked: Ino[] = [];
  let ino = driver.rootIno;
  try {
    for (const part of resolved.split('/').filter(Boolean)) {
      ino = (await driver.lookup(ino, part)).ino;
      looked.push(ino);
    }
  } catch (e) {
    for (const i of looked) driver.forget?.(i, 1);
    throw e;
  }
  return { ino, release: () => looked.forEach((i) => driver.forget?.(i, 1)) };
}

/**
 * Listing an overlay directory. A directory that lives in one layer only is
 * read straight from it (its own cookies, whiteouts filtered). A merged
 * directory is listed like overlayfs does: upper first, then each lower
 * directory in order; a name already seen is not added again, whiteouts hide
 * the name below them, and the list is kept per open handle so its cookies
 * (positions in the list) stay valid until the handle is closed or the
 * listing restarts at cookie 0.
 */
import type { DirEntry, Ino } from '../../fs/filesystem.js';
import { DT_DIR } from '../../fs/mode.js';
import { Layer, type Opacity } from './layer.js';

export interface LayerDir {
  layer: Layer;
  ino: Ino;
  opacity: Opacity;
}

/** Every entry of one layer's directory ('.' and '..' left out). */
export async function readWholeDir(layer: Layer, ino: Ino): Promise<DirEntry[]> {
  const fs = layer.fs;
  const fh = fs.opendir ? await fs.opendir(ino) : 0;
  try {
    const out: DirEntry[] = [];
    for (let cookie = 0; ; ) {
      const batch = await fs.readdir(ino, fh, cookie, 4096);
      if (batch.length === 0) break;
      for (const e of batch) if (e.name !== '.' && e.name !== '..') out.push(e);
      cookie = batch[batch.length - 1]!.next;
    }
    return out;
  } finally {
    await fs.releasedir?.(ino, fh);
  }
}

/** Is the entry `name` of layer directory `dir` a whiteout? Only asks the layer when the type allows it. */
export async function entryIsWhiteout(dir: LayerDir, e: DirEntry): Promise<boolean> {
  if (!Layer.mayBeWhiteout(e.type, dir.opacity)) return false;
  const entry = await dir.layer.lookup(dir.ino, e.name);
  if (!entry) return false;
  try {
    return await dir.layer.isWhiteout(entry, dir.opacity);
  } finally {
    dir.layer.drop(entry.ino);
  }
}

export interface MergedEntry {
  name: string;
  type: number;
  /** The layer the entry comes from and its inode there. */
  layer: Layer;
  ino: Ino;
  /** For an upper directory: the lower directory it merges with, if any (its inode number decides the overlay's). */
  lowerDir?: { layer: Layer; ino: Ino };
}

/** Merges the listings of `dirs` (upper first) into one, as overlayfs readdir does. */
export async function mergeDirs(dirs: LayerDir[]): Promise<MergedEntry[]> {
  const seen = new Map<string, MergedEntry | null>();
  const order: string[] = [];
  for (const dir of dirs) {
    const entries = await readWholeDir(dir.layer, dir.ino);
    for (const e of entries) {
      const prior = seen.get(e.name);
      if (prior !== undefined) {
        // An upper directory over a lower directory: remember the lower one for the inode number.
        if (prior && prior.type === DT_DIR && e.type === DT_DIR && !prior.lowerDir && prior.layer.isUpper) {
          prior.lowerDir = { layer: dir.layer, ino: e.ino };
        }
        continue;
      }
      if (await entryIsWhiteout(dir, e)) {
        seen.set(e.name, null);
        continue;
      }
      seen.set(e.name, { name: e.name, type: e.type, layer: dir.layer, ino: e.ino });
      order.push(e.name);
    }
  }
  const out: MergedEntry[] = [];
  for (const name of order) {
    const m = seen.get(name);
    if (m) out.push(m);
  }
  return out;
}

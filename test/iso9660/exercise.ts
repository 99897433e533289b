/**
 * Exercising a possibly corrupt ISO 9660 image: open it, walk the whole
 * tree within a budget (entries, depth), stat, readlink and read every
 * file. Each failing operation must be an FsError; anything else (a
 * TypeError, a RangeError) is rethrown and fails the test.
 */
import { FsError } from '../../src/errors.js';
import type { FileSystem } from '../../src/fs/filesystem.js';
import { MemoryDevice } from '../../src/block/memory.js';
import { Iso9660FileSystem } from '../../src/fs/iso9660/filesystem.js';
import type { Iso9660Options } from '../../src/fs/iso9660/options.js';

export interface ExerciseResult {
  entries: number;
  errors: FsError[];
}

async function tolerate<T>(errors: FsError[], fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof FsError) {
      errors.push(e);
      return undefined;
    }
    throw e;
  }
}

export async function exercise(fs: FileSystem, budget = { entries: 3000, depth: 40, readBytes: 1 << 18 }): Promise<ExerciseResult> {
  const errors: FsError[] = [];
  let entries = 0;
  const buf = new Uint8Array(budget.readBytes);
  const visit = async (ino: number, depth: number): Promise<void> => {
    if (depth > budget.depth) return;
    for (let cookie = 0; entries < budget.entries; ) {
      const batch = await tolerate(errors, () => fs.readdir(ino, 0, cookie, 64));
      if (!batch || batch.length === 0) break;
      cookie = batch[batch.length - 1]!.next;
      for (const e of batch) {
        if (e.name === '.' || e.name === '..') continue;
        if (++entries > budget.entries) return;
        const entry = await tolerate(errors, () => fs.lookup(ino, e.name));
        if (!entry) continue;
        await tolerate(errors, () => fs.getattr(entry.ino));
        const type = entry.attr.mode & 0o170000;
        if (type === 0o120000) await tolerate(errors, () => fs.readlink(entry.ino));
        if (type === 0o100000) await tolerate(errors, () => fs.read(entry.ino, 0, buf, 0));
        if (type === 0o040000) await visit(entry.ino, depth + 1);
        fs.forget?.(entry.ino, 1);
      }
    }
  };
  await visit(fs.rootIno, 0);
  await tolerate(errors, () => fs.statfs());
  return { entries, errors };
}

/** Opens `bytes` as an ISO and exercises it; an FsError from open is returned as the only error. */
export async function exerciseBytes(bytes: Uint8Array, options: Iso9660Options = {}): Promise<ExerciseResult & { fs?: Iso9660FileSystem }> {
  let fs: Iso9660FileSystem;
  try {
    fs = await Iso9660FileSystem.open(new MemoryDevice(bytes, { readOnly: true }), options);
  } catch (e) {
    if (e instanceof FsError) return { entries: 0, errors: [e] };
    throw e;
  }
  return { ...(await exercise(fs)), fs };
}

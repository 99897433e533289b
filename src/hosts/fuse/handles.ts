/**
 * HandleTable: the fh numbers the kernel gets from OPEN, CREATE and
 * OPENDIR, each standing for a driver handle plus what we need to know
 * about the open (its inode, flags, directory or file). Our own numbers,
 * so a stale or bogus fh from the kernel is EBADF here and never reaches a
 * driver as someone else's handle.
 */
import { FsError } from '../../errors.js';
import type { Ino } from '../../fs/filesystem.js';

export interface OpenHandle {
  readonly ino: Ino;
  /** The driver's handle (0 when the driver keeps no per-open state). */
  readonly fh: number;
  /** O_* flags of the open. */
  readonly flags: number;
  readonly dir: boolean;
}

export class HandleTable {
  private readonly open = new Map<number, OpenHandle>();
  private next = 1;

  add(h: OpenHandle): number {
    const id = this.next++;
    this.open.set(id, h);
    return id;
  }

  /** The open handle `id` of that kind, or undefined. */
  find(id: number, dir: boolean): OpenHandle | undefined {
    const h = this.open.get(id);
    return h && h.dir === dir ? h : undefined;
  }

  get(id: number, dir: boolean, what: string): OpenHandle {
    const h = this.find(id, dir);
    if (!h) throw new FsError('EBADF', `fuse: ${what}: no open ${dir ? 'directory' : 'file'} handle ${id}`);
    return h;
  }

  remove(id: number): OpenHandle | undefined {
    const h = this.open.get(id);
    this.open.delete(id);
    return h;
  }

  get size(): number {
    return this.open.size;
  }

  /** Every handle still open (for teardown), removing them. */
  drain(): OpenHandle[] {
    const all = [...this.open.values()];
    this.open.clear();
    return all;
  }
}

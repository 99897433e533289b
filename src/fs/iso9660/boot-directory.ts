/**
 * The El Torito boot images as a virtual directory in the root, the way
 * 7-Zip shows them: '[BOOT]/Boot-NoEmul.img' and so on (names and sizes
 * from el-torito.ts). If the root already has an entry called '[BOOT]',
 * the directory is '[BOOT]-2' (then -3 …), so no real name is hidden.
 * Inode numbers are small even numbers, below any directory record:
 * BOOT_DIR_INO for the directory, bootFileIno(i) for entry i.
 */
import { FsError } from '../../errors.js';
import type { BlockDevice } from '../../block/device.js';
import type { DirEntry, Ino, Stat } from '../filesystem.js';
import { DT_DIR, DT_REG, S_IFDIR, S_IFREG } from '../mode.js';
import { EPOCH, type Timespec } from '../time.js';
import type { BootEntry } from './el-torito.js';

export const BOOT_DIR_INO = 2;
export const BOOT_DIR_NAME = '[BOOT]';

export function bootFileIno(index: number): Ino {
  return 4 + 2 * index;
}

export function bootDirectoryName(taken: (name: string) => boolean): string {
  if (!taken(BOOT_DIR_NAME)) return BOOT_DIR_NAME;
  for (let i = 2; ; i++) if (!taken(`${BOOT_DIR_NAME}-${i}`)) return `${BOOT_DIR_NAME}-${i}`;
}

export class BootDirectory {
  private readonly time: Timespec;

  constructor(
    readonly name: string,
    readonly entries: readonly BootEntry[],
    private readonly rootIno: Ino,
    private readonly blockSize: number,
    time: Timespec | undefined,
  ) {
    this.time = time ?? EPOCH;
  }

  /** True for the directory and its files. */
  owns(ino: Ino): boolean {
    return ino === BOOT_DIR_INO || this.index(ino) !== undefined;
  }

  private index(ino: Ino): number | undefined {
    const i = (ino - 4) / 2;
    return Number.isInteger(i) && i >= 0 && i < this.entries.length ? i : undefined;
  }

  stat(ino: Ino): Stat {
    const times = { atime: this.time, mtime: this.time, ctime: this.time };
    if (ino === BOOT_DIR_INO) {
      return { ino, mode: S_IFDIR | 0o555, nlink: 2, uid: 0, gid: 0, rdev: 0, size: 0, blocks: 0, blksize: this.blockSize, ...times };
    }
    const e = this.entries[this.index(ino)!]!;
    return { ino, mode: S_IFREG | 0o444, nlink: 1, uid: 0, gid: 0, rdev: 0, size: e.size, blocks: Math.ceil(e.size / 512), blksize: this.blockSize, ...times };
  }

  lookup(name: string): Ino {
    const i = this.entries.findIndex((e) => e.name === name);
    if (i < 0) throw new FsError('ENOENT', `iso9660: no '${name}' in ${this.name}`);
    return bootFileIno(i);
  }

  /** The listing, '.' and '..' first; cookies are entry indexes + 1. */
  readdir(cookie: number, limit: number): DirEntry[] {
    const all: Array<{ name: string; ino: Ino; type: number }> = [
      { name: '.', ino: BOOT_DIR_INO, type: DT_DIR },
      { name: '..', ino: this.rootIno, type: DT_DIR },
      ...this.entries.map((e, i) => ({ name: e.name, ino: bootFileIno(i), type: DT_REG })),
    ];
    return all.slice(cookie, cookie + limit).map((e, k) => ({ ...e, next: cookie + k + 1 }));
  }

  async read(dev: BlockDevice, ino: Ino, buf: Uint8Array, pos: number): Promise<number> {
    if (ino === BOOT_DIR_INO) throw new FsError('EISDIR', `iso9660: ${this.name} is a directory`);
    const e = this.entries[this.index(ino)!]!;
    if (pos >= e.size) return 0;
    const n = Math.min(buf.length, e.size - pos);
    await dev.read(buf.subarray(0, n), e.offset + pos);
    return n;
  }
}

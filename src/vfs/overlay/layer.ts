/**
 * One layer of an overlay: a FileSystem plus how overlayfs marks things in
 * it. A whiteout is a character device 0/0, or a zero-size regular file
 * with the `overlay.whiteout` xattr inside a directory whose
 * `overlay.opaque` is "x"; an opaque directory has `overlay.opaque` = "y".
 * The xattr prefix is "trusted.overlay." as in the kernel (or
 * "user.overlay." when a layer only has user xattrs, like userxattr).
 */
import { isFsError } from '../../errors.js';
import type { Entry, FileSystem, Ino } from '../../fs/filesystem.js';
import { S_IFCHR, S_IFMT, S_IFREG } from '../../fs/mode.js';

export type Opacity = 'none' | 'opaque' | 'has-xattr-whiteouts';

export class Layer {
  readonly fs: FileSystem;
  /** 0 is the upper layer; lower layers count from 1, top first. */
  readonly index: number;
  readonly prefix: string;

  constructor(fs: FileSystem, index: number, prefix: string) {
    this.fs = fs;
    this.index = index;
    this.prefix = prefix;
  }

  get isUpper(): boolean {
    return this.index === 0;
  }

  /** lookup, with absence as null; the caller owns the lookup reference. */
  async lookup(dir: Ino, name: string): Promise<Entry | null> {
    try {
      return await this.fs.lookup(dir, name);
    } catch (e) {
      if (isFsError(e, 'ENOENT')) return null;
      throw e;
    }
  }

  /** Gives back one lookup reference. */
  drop(ino: Ino): void {
    this.fs.forget?.(ino, 1);
  }

  async xattr(ino: Ino, name: string): Promise<string | null> {
    if (!this.fs.getxattr) return null;
    try {
      return new TextDecoder().decode(await this.fs.getxattr(ino, this.prefix + name));
    } catch (e) {
      if (isFsError(e, 'ENODATA') || isFsError(e, 'EOPNOTSUPP') || isFsError(e, 'ENOTSUP')) return null;
      throw e;
    }
  }

  /** Whether a directory stops the merge below it ('opaque') or may hold xattr whiteouts. */
  async opacity(dir: Ino): Promise<Opacity> {
    const v = await this.xattr(dir, 'opaque');
    return v === 'y' ? 'opaque' : v === 'x' ? 'has-xattr-whiteouts' : 'none';
  }

  /** Is this entry a whiteout? `parentOpacity` says whether the xattr form can occur. */
  async isWhiteout(entry: Entry, parentOpacity: Opacity): Promise<boolean> {
    const type = entry.attr.mode & S_IFMT;
    if (type === S_IFCHR) return entry.attr.rdev === 0;
    if (type === S_IFREG && entry.attr.size === 0 && parentOpacity === 'has-xattr-whiteouts') {
      return (await this.xattr(entry.ino, 'whiteout')) !== null;
    }
    return false;
  }

  /** Same question from a readdir entry's type alone: can it be a whiteout at all? */
  static mayBeWhiteout(dtype: number, parentOpacity: Opacity): boolean {
    return dtype === 2 /* DT_CHR */ || (dtype === 8 /* DT_REG */ && parentOpacity === 'has-xattr-whiteouts') || dtype === 0;
  }
}

/** The overlay's own xattrs (`trusted.overlay.*`) are hidden from and refused to users. */
export function isPrivateXattr(name: string): boolean {
  return name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.');
}

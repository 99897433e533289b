/**
 * OvlInode: what the overlay knows about one of its objects — where it
 * lives in the upper layer (if copied up or created there) and in the
 * lower layers (the stack merged for a directory; the origin for
 * anything else) — and the overlay inode number it shows.
 *
 * Inode numbers are made like overlayfs's xino: layer index in the low
 * part, the layer's own inode number above it (ino × layers + layer), so
 * they are unique without a table and the same after a remount. A copied-up
 * object keeps its origin's number, so st_ino does not change on copy-up.
 */
import { FsError } from '../../errors.js';
import type { Ino } from '../../fs/filesystem.js';
import { S_IFDIR } from '../../fs/mode.js';

export interface LowerRef {
  /** Lower layer index (1 = top lower). */
  readonly layer: number;
  readonly ino: Ino;
}

export class OvlInode {
  readonly ino: Ino;
  readonly type: number;
  /** Inode in the upper layer, once copied up or created there. */
  upper: Ino | null;
  /** Directories: the lower directories merged under the upper one, top first. Others: the origin, if any. */
  lowers: LowerRef[];
  /** Directory whose upper part hides everything below (created over a whiteout, or marked opaque). */
  opaque = false;
  /** Regular file copied up for metadata only: its data is still read from lowers[0]. */
  metacopy = false;
  /** One name of this object (for copy-up, which needs the path): parent and name. */
  parent: OvlInode | null;
  name: string;
  /** References handed to our caller (lookup counts). */
  nlookup = 0;
  /** Open handles. */
  opens = 0;
  /** References we hold on the layers' inodes, given back when this inode goes. */
  upperRefs = 0;
  lowerRefs = new Map<string, number>();
  /** A copy-up in progress, so concurrent operations wait for it instead of racing. */
  copying?: Promise<void>;

  constructor(ino: Ino, type: number, upper: Ino | null, lowers: LowerRef[], parent: OvlInode | null, name: string) {
    this.ino = ino;
    this.type = type;
    this.upper = upper;
    this.lowers = lowers;
    this.parent = parent;
    this.name = name;
  }

  get isDir(): boolean {
    return this.type === S_IFDIR;
  }

  /** A directory with both an upper part and lower parts to merge. */
  get merged(): boolean {
    return this.isDir && this.upper !== null && this.lowers.length > 0 && !this.opaque;
  }
}

/** The overlay inode number for inode `ino` of layer `layer` among `layers`. */
export function overlayIno(ino: Ino, layer: number, layers: number): Ino {
  const n = ino * layers + layer;
  if (!Number.isSafeInteger(n)) throw new FsError('EOVERFLOW', `overlay: inode ${ino} of layer ${layer} is too large to number`);
  return n;
}

export function lowerKey(ref: LowerRef): string {
  return `${ref.layer}:${ref.ino}`;
}

/**
 * FAT has no inodes: a file is its directory entry. An inode number here is
 * the byte offset of the file's short entry on the device (the root is 1),
 * so the same file gets the same number every time it is opened.
 *
 * While the caller holds an inode (lookup references or open handles), it
 * keeps its number even when rename moves its entry elsewhere, as Linux
 * keeps i_ino. The table records the few exceptions: an entry whose number
 * is not its offset (`inoAt`), and natural numbers held by an inode that
 * moved away or was unlinked while open (`taken`), so a new entry at that
 * offset gets a fresh number (from 2^52 up) instead of a duplicate. Both
 * shrink again when the inode is forgotten, so the table is bounded by
 * what the caller holds.
 */
import type { Timespec } from '../time.js';
import type { ClusterChain } from './chain.js';
import type { ShortEntry } from './dirent.js';

export const ROOT_INO = 1;
const FIRST_SYNTHETIC = 2 ** 52;

/** Where an entry lives: its directory (by first cluster, 0 for a fixed root) and slots. */
export interface EntryLocation {
  dirKey: number;
  /** Slot of the short entry and of the first LFN slot (same when there is no long name). */
  slot: number;
  first: number;
  /** Byte offset of the short entry on the device. */
  offset: number;
}

export interface FatNode {
  readonly ino: number;
  readonly isDir: boolean;
  /** The short entry as on disk (the root's is synthetic). */
  entry: ShortEntry;
  /** Inode number of the directory holding the entry. */
  parent: number;
  /** Undefined for the root and for files unlinked while open. */
  loc: EntryLocation | undefined;
  name: string;
  nlookup: number;
  open: number;
  unlinked: boolean;
  /** FAT keeps no change time: it lives in memory (from the mtime) while the inode does. */
  ctime: Timespec;
  /** Lazily mapped clusters (files; directories use the directory cache). */
  chain: ClusterChain | undefined;
}

export class InodeTable {
  private readonly nodes = new Map<number, FatNode>();
  private readonly inoAt = new Map<number, number>();
  private readonly taken = new Set<number>();
  private nextSynthetic = FIRST_SYNTHETIC;

  get size(): number {
    return this.nodes.size;
  }

  get(ino: number): FatNode | undefined {
    return this.nodes.get(ino);
  }

  values(): IterableIterator<FatNode> {
    return this.nodes.values();
  }

  /** The inode number of the entry whose short slot is at device offset `offset`. */
  inoFor(offset: number): number {
    const mapped = this.inoAt.get(offset);
    if (mapped !== undefined) return mapped;
    if (!this.taken.has(offset)) return offset;
    const fresh = this.nextSynthetic++;
    this.inoAt.set(offset, fresh);
    return fresh;
  }

  add(node: FatNode): void {
    this.nodes.set(node.ino, node);
  }

  /** The entry of `node` moved from one offset to another (rename). */
  moved(node: FatNode, from: number, to: number): void {
    if (this.inoAt.get(from) === node.ino) this.inoAt.delete(from);
    if (node.ino === to) {
      this.taken.delete(to);
      this.inoAt.delete(to);
    } else {
      if (node.ino === from) this.taken.add(from);
      this.inoAt.set(to, node.ino);
    }
  }

  /** The entry of `node` at `offset` was deleted; the node lives on while held. */
  unlinked(node: FatNode, offset: number): void {
    if (this.inoAt.get(offset) === node.ino) this.inoAt.delete(offset);
    if (node.ino < FIRST_SYNTHETIC) this.taken.add(node.ino);
    node.loc = undefined;
    node.unlinked = true;
  }

  /** An entry was deleted at `offset` while no node held it. */
  entryGone(offset: number): void {
    this.inoAt.delete(offset);
  }

  /** The caller holds the node no more: drop it and any exception it caused. */
  drop(node: FatNode): void {
    this.nodes.delete(node.ino);
    if (node.loc && this.inoAt.get(node.loc.offset) === node.ino) this.inoAt.delete(node.loc.offset);
    this.taken.delete(node.ino);
  }
}

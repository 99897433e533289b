/**
 * NodeTable: the kernel's nodeids ↔ the driver's inode numbers, with the
 * lookup count the kernel keeps for each (every LOOKUP, CREATE, MKNOD,
 * MKDIR, SYMLINK, LINK reply and READDIRPLUS entry adds one; FORGET and
 * BATCH_FORGET take them back). A node lives exactly as long as the kernel
 * holds it; then the driver is told with `forget`, which the driver counts
 * the same way (one per lookup), so the counts pass straight through.
 *
 * Nodeids are handed out in increasing order and never reused, so with
 * generation 0 a (nodeid, generation) pair names one inode for the life of
 * the mount, as NFS export (EXPORT_SUPPORT) needs.
 */
import type { Ino } from '../../fs/filesystem.js';
import { FUSE_ROOT_ID } from './protocol.js';

export interface FuseNode {
  readonly nodeid: number;
  readonly ino: Ino;
  /** Lookups the kernel holds on this node. The root is never forgotten. */
  nlookup: number;
  /** Of those, lookups the driver did not count (export lookups of '.' and '..'). */
  uncounted: number;
  /** The directory it was last found in (for '..' lookups of exported directories). */
  parent: number;
}

export class NodeTable {
  private readonly byId = new Map<number, FuseNode>();
  private readonly byIno = new Map<Ino, FuseNode>();
  private nextId = FUSE_ROOT_ID + 1;
  readonly root: FuseNode;

  constructor(rootIno: Ino) {
    this.root = { nodeid: FUSE_ROOT_ID, ino: rootIno, nlookup: 1, uncounted: 0, parent: FUSE_ROOT_ID };
    this.byId.set(FUSE_ROOT_ID, this.root);
    this.byIno.set(rootIno, this.root);
  }

  get(nodeid: number): FuseNode | undefined {
    return this.byId.get(nodeid);
  }

  /** The node of an inode the kernel already holds, if any. */
  ofIno(ino: Ino): FuseNode | undefined {
    return this.byIno.get(ino);
  }

  /**
   * Counts one kernel lookup of `ino`, found in directory node `parent`;
   * returns its node. `counted` is false when the driver was not asked
   * (so it must not be told to forget this one).
   */
  remember(ino: Ino, parent: number, counted = true): FuseNode {
    let node = this.byIno.get(ino);
    if (!node) {
      node = { nodeid: this.nextId++, ino, nlookup: 0, uncounted: 0, parent };
      this.byId.set(node.nodeid, node);
      this.byIno.set(ino, node);
    }
    node.parent = parent;
    node.nlookup++;
    if (!counted) node.uncounted++;
    return node;
  }

  /**
   * The kernel drops `n` lookups. Returns how many the driver should drop
   * (0 for the root and for unknown nodes); the node goes away at zero.
   */
  forget(nodeid: number, n: number): { ino: Ino; n: number } | undefined {
    const node = this.byId.get(nodeid);
    if (!node || node === this.root) return undefined;
    const driverBefore = node.nlookup - node.uncounted;
    node.nlookup -= Math.min(n, node.nlookup);
    node.uncounted = Math.min(node.uncounted, node.nlookup);
    if (node.nlookup === 0) {
      this.byId.delete(nodeid);
      if (this.byIno.get(node.ino) === node) this.byIno.delete(node.ino);
    }
    const forward = driverBefore - (node.nlookup - node.uncounted);
    return forward > 0 ? { ino: node.ino, n: forward } : undefined;
  }

  /** Nodes the kernel holds, the root included. */
  get size(): number {
    return this.byId.size;
  }

  /** Every node but the root, with its count (for teardown). */
  *held(): IterableIterator<FuseNode> {
    for (const n of this.byId.values()) if (n !== this.root) yield n;
  }
}

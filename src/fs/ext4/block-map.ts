/**
 * The ext2/ext3 block map: i_block holds 12 direct block pointers, then
 * one indirect, one double-indirect and one triple-indirect pointer; an
 * indirect block is an array of blockSize/4 pointers. A zero pointer is a
 * hole (for a whole subtree when it is an indirect pointer).
 */
import { FsError } from '../../errors.js';
import type { Ext4Blocks } from './blocks.js';
import type { BlockMapper, BlockRun } from './block-run.js';
import type { Ext4Inode } from './inode.js';

const DIRECT = 12;

export class BlockMapMapper implements BlockMapper {
  private readonly inode: Ext4Inode;
  private readonly blocks: Ext4Blocks;
  private readonly firstFileBlock: number;
  /** Pointers per indirect block. */
  private readonly per: number;
  private readonly root: DataView;

  constructor(inode: Ext4Inode, blocks: Ext4Blocks, firstFileBlock: number) {
    this.inode = inode;
    this.blocks = blocks;
    this.firstFileBlock = firstFileBlock;
    this.per = blocks.blockSize / 4;
    this.root = new DataView(inode.i_block.buffer, inode.i_block.byteOffset, 60);
  }

  private check(p: number, what: string): number {
    if (p !== 0 && (p < this.firstFileBlock || p >= this.blocks.blocksCount)) {
      throw new FsError('EIO', `ext4: inode ${this.inode.ino}: ${what} points at block ${p}, outside the volume's data area`);
    }
    return p;
  }

  async map(lblk: number, max: number): Promise<BlockRun> {
    const per = this.per;
    if (lblk < DIRECT) return this.runIn(this.root, lblk, Math.min(DIRECT - lblk, max), lblk, 'direct pointer');
    // Which tree (single, double, triple) lblk falls in, and its position there.
    let rel = lblk - DIRECT;
    let treeSpan = per;
    for (let level = 1; level <= 3; level++, rel -= treeSpan, treeSpan *= per) {
      if (rel >= treeSpan) continue;
      const name = ['indirect', 'double-indirect', 'triple-indirect'][level - 1]!;
      let p = this.check(this.root.getUint32((DIRECT + level - 1) * 4, true), `${name} pointer`);
      let under = treeSpan; // logical blocks under p
      let offset = rel; // lblk's position under p
      for (let d = level; d >= 1; d--) {
        // A zero pointer: everything under it, from lblk on, is a hole.
        if (p === 0) return hole(lblk, Math.min(under - offset, max));
        const block = await this.blocks.block(p, `inode ${this.inode.ino}: ${name} block`);
        const view = new DataView(block.buffer, block.byteOffset, block.length);
        under /= per;
        const index = Math.floor(offset / under);
        offset -= index * under;
        if (d === 1) return this.runIn(view, index, Math.min(per - index, max), lblk, `${name} block entry`);
        p = this.check(view.getUint32(index * 4, true), `${name} block entry`);
      }
    }
    return hole(lblk, max); // beyond what a block map can address: nothing stored
  }

  /** The run of contiguous (or all-zero) pointers from `index` in `view`. */
  private runIn(view: DataView, index: number, limit: number, lblk: number, what: string): BlockRun {
    const first = this.check(view.getUint32(index * 4, true), what);
    let n = 1;
    while (n < limit) {
      const p = view.getUint32((index + n) * 4, true);
      if (first === 0 ? p !== 0 : p !== first + n) break;
      this.check(p, what);
      n++;
    }
    return first === 0 ? hole(lblk, n) : { logical: lblk, length: n, physical: first, unwritten: false };
  }
}

function hole(lblk: number, length: number): BlockRun {
  return { logical: lblk, length: Math.max(1, length), physical: 0, unwritten: false };
}

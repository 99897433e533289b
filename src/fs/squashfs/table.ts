/**
 * Lookup tables (ids, fragments, export, xattr ids): fixed-size entries
 * packed into metadata blocks, 8 KiB of entries per block, and an index of
 * u64 disk positions of those blocks stored (uncompressed) at the table's
 * start. Entry i lives in block floor(i·size / 8192) at offset i·size mod
 * 8192. The index is read in full when opening (it is small: 8 bytes per
 * 8 KiB of entries), the blocks on demand through the metadata cache.
 */
import { corrupt } from '../../block/corrupt.js';
import { readStructure, type BlockDevice } from '../../block/device.js';
import type { MetadataBlock, MetadataReader } from './metadata.js';
import { METADATA_SIZE } from './superblock.js';

export class LookupTable {
  private constructor(
    private readonly name: string,
    private readonly meta: MetadataReader,
    private readonly blocks: number[],
    readonly count: number,
    private readonly entrySize: number,
  ) {}

  /**
   * Reads the index of a table of `count` entries of `entrySize` bytes whose
   * index starts at `start`. Every block position must lie before `indexStart`
   * (blocks come before their index) and inside the image.
   */
  static async open(device: BlockDevice, meta: MetadataReader, name: string, start: number, count: number, entrySize: number, lowest: number): Promise<LookupTable> {
    const perBlock = METADATA_SIZE / entrySize;
    const nblocks = Math.ceil(count / perBlock);
    const bytes = await readStructure(device, start, nblocks * 8, `squashfs: ${name} table index`).catch((e) => {
      throw corrupt('squashfs', `${name} table index`, start, (e as Error).message);
    });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const blocks: number[] = [];
    for (let i = 0; i < nblocks; i++) {
      const pos = view.getUint32(i * 8 + 4, true) * 0x1_0000_0000 + view.getUint32(i * 8, true);
      if (pos < lowest || pos >= start) throw corrupt('squashfs', `${name} table index`, start + i * 8, `block ${i} at ${pos} is outside [${lowest}, ${start})`);
      blocks.push(pos);
    }
    return new LookupTable(name, meta, blocks, count, entrySize);
  }

  /** The bytes of entry `i` (a view into the cached metadata block). */
  async entry(i: number): Promise<Uint8Array> {
    const blk = await this.meta.block(this.locate(i));
    return this.slice(i, blk);
  }

  /** Entry `i` if its block is cached, else undefined (no I/O). */
  entrySync(i: number): Uint8Array | undefined {
    const blk = this.meta.peek(this.locate(i));
    return blk && this.slice(i, blk);
  }

  /** Disk position of the block holding entry `i` (checked against the count). */
  private locate(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw corrupt('squashfs', `${this.name} table`, undefined, `index ${i} is out of range (${this.count} entries)`);
    return this.blocks[Math.floor((i * this.entrySize) / METADATA_SIZE)]!;
  }

  private slice(i: number, blk: MetadataBlock): Uint8Array {
    const off = (i * this.entrySize) % METADATA_SIZE;
    if (off + this.entrySize > blk.data.length) {
      throw corrupt('squashfs', `${this.name} table block`, this.locate(i), `entry ${i} lies past the ${blk.data.length}-byte block`);
    }
    return blk.data.subarray(off, off + this.entrySize);
  }
}

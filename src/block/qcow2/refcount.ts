/**
 * Refcounts (QEMU's qcow2-refcount.c): a two-level table giving each host
 * cluster its number of references; 0 is free. The refcount table (one
 * contiguous area, kept whole in memory while writing) points at refcount
 * blocks of one cluster each, holding entries of refcount_bits = 1 << order
 * (1..64) bits; sub-byte entries start at the least significant bit.
 *
 * Allocation searches free clusters from a hint, like QEMU's
 * free_cluster_index. A missing refcount block is created inside the range
 * it covers when it can (so it counts itself); a full refcount table is
 * replaced by a larger one placed at the end of the file together with the
 * blocks that cover it, after which the header is switched over and the old
 * table freed.
 *
 * Order on disk: a new block is written before the table entry that points
 * at it; the new table (and its blocks) are written and flushed before the
 * header points at it. Changes to existing blocks wait in the cache until
 * `flush()`, which the writer calls before writing anything that relies on them.
 */
import { dataView, setU64be } from '../../binary/reader.js';
import { FsError } from '../../errors.js';
import { corrupt } from '../corrupt.js';
import { readStructure, type ResizableDevice } from '../device.js';
import { TableCache } from './cache.js';
import { HEADER_FIELD, MAX_REFTABLE_BYTES, type Qcow2Header } from './header.js';

const TWO32 = 0x1_0000_0000;
const F = 'qcow2';

export class Refcounts {
  readonly clusterSize: number;
  readonly bits: number;
  /** Refcount entries per block. */
  readonly perBlock: number;
  readonly max: number;
  readonly blocks: TableCache;
  tableOffset: number;
  tableClusters: number;
  private table: Uint8Array;
  private view: DataView;
  /** Host offsets of all refcount blocks, for overlap checks. */
  readonly blockOffsets = new Set<number>();
  /** No cluster below this one is free (a search hint). */
  private freeHint = 1;
  /** Called for each cluster whose refcount drops to 0 (caches drop it). */
  onFree: ((host: number) => void) | undefined;

  private constructor(
    private readonly file: ResizableDevice,
    private readonly header: Qcow2Header,
    table: Uint8Array,
  ) {
    this.clusterSize = header.clusterSize;
    this.bits = 2 ** header.refcount_order;
    this.perBlock = (this.clusterSize * 8) / this.bits;
    this.max = 2 ** this.bits - 1;
    this.blocks = new TableCache(file, this.clusterSize, 4 << 20, 'qcow2: refcount block');
    this.tableOffset = header.refcount_table_offset;
    this.tableClusters = header.refcount_table_clusters;
    this.table = table;
    this.view = dataView(table);
    for (let i = 0; i < this.tableEntries; i++) {
      const off = this.entry(i);
      if (off) this.blockOffsets.add(off);
    }
  }

  /** Reads and checks the refcount table (needed only for writing). */
  static async load(file: ResizableDevice, h: Qcow2Header): Promise<Refcounts> {
    const cs = h.clusterSize;
    const bytes = h.refcount_table_clusters * cs;
    if (h.refcount_table_clusters === 0) throw corrupt(F, 'header', 56, 'the image has no refcount table (refcount_table_clusters is 0)');
    if (bytes > MAX_REFTABLE_BYTES) throw new FsError('EOPNOTSUPP', `qcow2: refcount table of ${bytes} bytes exceeds the 8 MiB limit`);
    if (h.refcount_table_offset % cs !== 0 || h.refcount_table_offset === 0) {
      throw corrupt(F, 'refcount table', h.refcount_table_offset, 'offset is not a cluster-aligned offset after the header');
    }
    // The table's last cluster may be cut short by the end of the file; missing entries are 0.
    const inFile = Math.max(0, Math.min(bytes, file.size - h.refcount_table_offset));
    if (inFile === 0) throw corrupt(F, 'refcount table', h.refcount_table_offset, `lies beyond the end of the file (${file.size} bytes)`);
    const table = new Uint8Array(bytes);
    table.set(await readStructure(file, h.refcount_table_offset, inFile, 'qcow2: refcount table'));
    return new Refcounts(file, h, table);
  }

  get tableEntries(): number {
    return (this.tableClusters * this.clusterSize) / 8;
  }

  get tableBytes(): number {
    return this.tableClusters * this.clusterSize;
  }

  /** Offset of refcount block `ti`, or 0 when it is not allocated (or past the table). */
  private entry(ti: number): number {
    if (ti >= this.tableEntries) return 0;
    const hi = this.view.getUint32(ti * 8, false);
    const lo = this.view.getUint32(ti * 8 + 4, false);
    return hi * TWO32 + lo;
  }

  private async block(ti: number): Promise<{ offset: number; bytes: Uint8Array } | undefined> {
    const offset = this.entry(ti);
    if (offset === 0) return undefined;
    if (offset % this.clusterSize !== 0) {
      throw corrupt(F, `refcount table entry ${ti}`, this.tableOffset + ti * 8, `refcount block offset 0x${offset.toString(16)} is not cluster-aligned`);
    }
    if (offset + this.clusterSize > this.file.size) {
      throw corrupt(F, `refcount table entry ${ti}`, this.tableOffset + ti * 8, `refcount block at 0x${offset.toString(16)} lies beyond the end of the file`);
    }
    // Updating a "block" that is really the table or the L1 table would destroy them.
    const h = this.header;
    if (
      (offset < this.tableOffset + this.tableBytes && offset + this.clusterSize > this.tableOffset) ||
      (offset < h.l1_table_offset + h.l1_size * 8 && offset + this.clusterSize > h.l1_table_offset)
    ) {
      throw corrupt(F, `refcount table entry ${ti}`, this.tableOffset + ti * 8, `refcount block at 0x${offset.toString(16)} overlaps the refcount table or the L1 table`);
    }
    return { offset, bytes: await this.blocks.get(offset) };
  }

  private read(b: Uint8Array, i: number): number {
    switch (this.bits) {
      case 8:
        return b[i]!;
      case 16:
        return (b[i * 2]! << 8) | b[i * 2 + 1]!;
      case 32:
        return dataView(b).getUint32(i * 4, false);
      case 64: {
        const v = dataView(b);
        return v.getUint32(i * 8, false) * TWO32 + v.getUint32(i * 8 + 4, false);
      }
      default: {
        const bit = i * this.bits;
        return (b[bit >> 3]! >> (bit & 7)) & (this.max);
      }
    }
  }

  private write(b: Uint8Array, i: number, value: number): void {
    switch (this.bits) {
      case 8:
        b[i] = value;
        return;
      case 16:
        b[i * 2] = value >> 8;
        b[i * 2 + 1] = value & 0xff;
        return;
      case 32:
        dataView(b).setUint32(i * 4, value, false);
        return;
      case 64:
        setU64be(dataView(b), i * 8, value);
        return;
      default: {
        const bit = i * this.bits;
        const shift = bit & 7;
        b[bit >> 3] = (b[bit >> 3]! & ~(this.max << shift)) | (value << shift);
      }
    }
  }

  /** Refcount of host cluster `cluster` (an index, not an offset). */
  async get(cluster: number): Promise<number> {
    const blk = await this.block(Math.floor(cluster / this.perBlock));
    return blk ? this.read(blk.bytes, cluster % this.perBlock) : 0;
  }

  private async set(cluster: number, value: number): Promise<void> {
    const ti = Math.floor(cluster / this.perBlock);
    const blk = await this.block(ti);
    if (!blk) throw new FsError('EIO', `qcow2: internal error: no refcount block for cluster ${cluster}`);
    this.write(blk.bytes, cluster % this.perBlock, value);
    this.blocks.markDirty(blk.offset, blk.bytes);
  }

  /** Cluster index of the first run of `n` free clusters at or after the hint. */
  private async findFree(n: number, from = this.freeHint): Promise<number> {
    let start = -1;
    let count = 0;
    let c = from;
    for (;;) {
      const ti = Math.floor(c / this.perBlock);
      const blockEnd = (ti + 1) * this.perBlock;
      const blk = await this.block(ti);
      if (!blk) {
        if (start < 0) start = c;
        count += blockEnd - c;
        if (count >= n) return start;
        c = blockEnd;
        continue;
      }
      for (; c < blockEnd; c++) {
        if (this.read(blk.bytes, c - ti * this.perBlock) === 0) {
          if (start < 0) start = c;
          if (++count >= n) return start;
        } else {
          start = -1;
          count = 0;
        }
      }
    }
  }

  /**
   * Allocates `n` contiguous free clusters (refcount 1), growing the file to
   * hold them, and returns the host offset of the first.
   */
  async allocate(n: number): Promise<number> {
    // Each round either succeeds or creates one refcount block (or a larger table), so this ends.
    for (let round = 0; round < 1 << 20; round++) {
      const start = await this.findFree(n);
      const missing = this.missingBlock(start, start + n);
      if (missing === undefined) {
        for (let c = start; c < start + n; c++) await this.set(c, 1);
        this.freeHint = start + n;
        await this.ensureFileSize((start + n) * this.clusterSize);
        return start * this.clusterSize;
      }
      await this.createBlock(missing);
    }
    throw new FsError('EIO', 'qcow2: cluster allocation did not converge');
  }

  private missingBlock(from: number, to: number): number | undefined {
    for (let ti = Math.floor(from / this.perBlock); ti <= Math.floor((to - 1) / this.perBlock); ti++) {
      if (this.entry(ti) === 0) return ti;
    }
    return undefined;
  }

  /** Creates one refcount block: for `ti`, or for whatever the first free cluster needs first. */
  private async createBlock(ti: number): Promise<void> {
    if (ti >= this.tableEntries) return this.growTable(ti);
    const f = await this.findFree(1);
    const fi = Math.floor(f / this.perBlock);
    if (fi >= this.tableEntries) return this.growTable(fi);
    const cs = this.clusterSize;
    const bytes = new Uint8Array(cs);
    let target = ti;
    if (this.entry(fi) === 0) {
      // The free cluster's own range has no block: put that block there, counting itself.
      target = fi;
      this.write(bytes, f - fi * this.perBlock, 1);
    } else {
      // The free cluster is counted by an existing block: count it there first.
      await this.set(f, 1);
      await this.blocks.flush();
    }
    await this.ensureFileSize((f + 1) * cs);
    await this.file.write(bytes, f * cs);
    this.blocks.put(f * cs, bytes);
    await this.setTableEntry(target, f * cs);
  }

  private async setTableEntry(ti: number, offset: number): Promise<void> {
    setU64be(this.view, ti * 8, offset);
    this.blockOffsets.add(offset);
    await this.ensureFileSize(this.tableOffset + ti * 8 + 8); // the table's last cluster may be cut short
    await this.file.write(this.table.subarray(ti * 8, ti * 8 + 8), this.tableOffset + ti * 8);
  }

  /**
   * Replaces the refcount table with a larger one that has an entry for
   * block `needed`, placed at the end of the file after everything else,
   * followed by new blocks covering the new table and themselves.
   */
  private async growTable(needed: number): Promise<void> {
    const cs = this.clusterSize;
    const oldEntries = this.tableEntries;
    let entries = Math.max(needed + 1, oldEntries + Math.ceil(oldEntries / 2));
    let p = Math.ceil(this.file.size / cs);
    let tableClusters = 0;
    let missing: number[] = [];
    for (let round = 0; ; round++) {
      if (round > 10000) throw new FsError('EIO', 'qcow2: refcount table growth did not converge');
      tableClusters = Math.ceil((entries * 8) / cs);
      let b = missing.length;
      const end = p + tableClusters + b;
      missing = [];
      for (let ti = Math.floor(p / this.perBlock); ti <= Math.floor((end - 1) / this.perBlock); ti++) {
        if (this.entry(ti) === 0) missing.push(ti);
      }
      const top = Math.max(needed, ...missing) + 1;
      if (top > entries) {
        entries = top;
        continue;
      }
      if (missing.length !== b) continue;
      // Everything in the area must be free; skip past anything counted there.
      let busy = -1;
      for (let c = p; c < end; c++) if ((await this.get(c)) !== 0) busy = c;
      if (busy >= 0) {
        p = busy + 1;
        continue;
      }
      b = missing.length;
      break;
    }
    const tableBytes = tableClusters * cs;
    if (tableBytes > MAX_REFTABLE_BYTES) {
      throw new FsError('ENOSPC', `qcow2: the refcount table would need ${tableBytes} bytes, beyond the 8 MiB limit`);
    }
    const areaEnd = p + tableClusters + missing.length;
    const table = new Uint8Array(tableBytes);
    table.set(this.table.subarray(0, Math.min(this.table.length, tableBytes)));
    const tview = dataView(table);
    const newBlocks = new Uint8Array(missing.length * cs);
    const newBlockOf = new Map<number, number>();
    missing.forEach((ti, k) => {
      newBlockOf.set(ti, k);
      setU64be(tview, ti * 8, (p + tableClusters + k) * cs);
    });
    // Count every cluster of the area: in a new block, or in the existing one.
    for (let c = p; c < areaEnd; c++) {
      const ti = Math.floor(c / this.perBlock);
      const k = newBlockOf.get(ti);
      if (k !== undefined) this.write(newBlocks.subarray(k * cs, (k + 1) * cs), c % this.perBlock, 1);
      else await this.set(c, 1);
    }
    await this.ensureFileSize(areaEnd * cs);
    if (newBlocks.length) await this.file.write(newBlocks, (p + tableClusters) * cs);
    await this.blocks.flush();
    await this.file.write(table, p * cs);
    // The new table and everything it points at must be durable before the header names it.
    await this.file.flush();
    const field = new Uint8Array(12);
    const fview = dataView(field);
    setU64be(fview, 0, p * cs);
    fview.setUint32(8, tableClusters, false);
    await this.file.write(field, HEADER_FIELD.refcount_table_offset);
    await this.file.flush();
    const oldOffset = this.tableOffset;
    const oldClusters = this.tableClusters;
    this.table = table;
    this.view = tview;
    this.tableOffset = p * cs;
    this.tableClusters = tableClusters;
    this.header.refcount_table_offset = this.tableOffset;
    this.header.refcount_table_clusters = tableClusters;
    missing.forEach((_, k) => {
      const off = (p + tableClusters + k) * cs;
      this.blocks.put(off, newBlocks.slice(k * cs, (k + 1) * cs));
      this.blockOffsets.add(off);
    });
    await this.release(oldOffset, oldClusters * cs);
    await this.blocks.flush();
  }

  /** Drops one reference from each cluster overlapping [offset, offset+length). */
  async release(offset: number, length: number): Promise<void> {
    const first = Math.floor(offset / this.clusterSize);
    const last = Math.floor((offset + length - 1) / this.clusterSize);
    for (let c = first; c <= last; c++) {
      const v = await this.get(c);
      if (v === 0) throw corrupt(F, 'refcount', c * this.clusterSize, 'freeing a cluster whose refcount is already 0');
      await this.set(c, v - 1);
      if (v === 1) {
        if (c < this.freeHint) this.freeHint = c;
        this.onFree?.(c * this.clusterSize);
      }
    }
  }

  private async ensureFileSize(end: number): Promise<void> {
    if (this.file.size < end) await this.file.resize(end);
  }

  /** Writes changed refcount blocks. */
  flush(): Promise<void> {
    return this.blocks.flush();
  }

  /** True if [offset, offset+length) touches the refcount table or a refcount block. */
  overlaps(offset: number, length: number): boolean {
    if (offset < this.tableOffset + this.tableBytes && offset + length > this.tableOffset) return true;
    const cs = this.clusterSize;
    for (let c = Math.floor(offset / cs) * cs; c < offset + length; c += cs) if (this.blockOffsets.has(c)) return true;
    return false;
  }
}

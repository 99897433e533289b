/**
 * SparseExtent: one hosted sparse extent ('KDMV' file) mapped through its
 * grain directory and grain tables. Grain tables are read on demand and kept
 * in a bounded cache; compressed grains (streamOptimized) are inflated on
 * demand and the last few are kept, since readers often take a grain in
 * several smaller pieces.
 */
import { BinaryReader } from '../../binary/reader.js';
import { getCodec } from '../../codecs/index.js';
import { corrupt } from '../corrupt.js';
import { readStructure, type BlockDevice } from '../device.js';
import { AsyncCache } from '../mapped/cache.js';
import type { Run } from '../mapped/device.js';
import { PagedTable } from '../mapped/table.js';
import {
  FLAG_COMPRESSED,
  FLAG_MARKERS,
  FLAG_ZERO_GRAIN,
  GD_AT_END,
  SECTOR,
  parseSparseHeader,
  readFooterHeader,
  validateSparseHeader,
  type SparseExtentHeader,
} from './header.js';
import { descriptorText } from './descriptor.js';

/** Grain marker: lba (u64) and size (u32) before the compressed bytes. */
const MARKER_HEADER = 12;
/** Compressed grains are read through windows of this size. */
const READ_AHEAD = 1 << 20;

export class SparseExtent {
  readonly header: SparseExtentHeader;
  /** Header as found at offset 0 (differs from `header` when the footer was used). */
  readonly footerUsed: boolean;
  readonly file: BlockDevice;
  readonly name: string;
  private readonly grainBytes: number;
  private readonly gd: PagedTable;
  private readonly gtBytes: number;
  private readonly gts = new AsyncCache<number, Uint32Array>(256);
  private readonly grains: AsyncCache<number, Uint8Array>;
  private readonly compressed: boolean;
  private readonly markers: boolean;
  private windows: Array<{ start: number; length: number; bytes: Promise<Uint8Array> }> = [];

  private constructor(file: BlockDevice, name: string, header: SparseExtentHeader, footerUsed: boolean) {
    this.file = file;
    this.name = name;
    this.header = header;
    this.footerUsed = footerUsed;
    this.grainBytes = header.grainSize * SECTOR;
    this.gtBytes = header.numGTEsPerGT * 4;
    this.compressed = (header.flags & FLAG_COMPRESSED) !== 0;
    this.markers = (header.flags & FLAG_MARKERS) !== 0;
    const grains = Math.ceil(header.capacity / header.grainSize);
    const gdEntries = Math.ceil(grains / header.numGTEsPerGT);
    this.gd = new PagedTable({ format: 'vmdk', what: `${name}: grain directory`, file, offset: header.gdOffset * SECTOR, count: gdEntries, entryBytes: 4, pageBytes: 16384 });
    this.grains = new AsyncCache(64);
  }

  static async open(file: BlockDevice, name: string): Promise<SparseExtent> {
    const first = await readStructure(file, 0, SECTOR, `vmdk: ${name}: sparse extent header`);
    let header = parseSparseHeader(first, 0, `${name}: sparse extent header`);
    let footerUsed = false;
    if (header.gdOffset === GD_AT_END) {
      header = await readFooterHeader(file);
      footerUsed = true;
      if (header.gdOffset === GD_AT_END) throw corrupt('vmdk', `${name}: footer`, file.size - 2 * SECTOR, 'footer also says the grain directory is at the end');
    }
    validateSparseHeader(header, file.size, footerUsed ? file.size - 2 * SECTOR : 0);
    return new SparseExtent(file, name, header, footerUsed);
  }

  /** The descriptor embedded in the extent, or undefined if it has none. */
  async embeddedDescriptor(): Promise<string | undefined> {
    const { descriptorOffset, descriptorSize } = this.header;
    if (descriptorOffset === 0 || descriptorSize === 0) return undefined;
    if (descriptorSize > 2048) throw corrupt('vmdk', `${this.name}: sparse extent header`, 0, `descriptorSize ${descriptorSize} sectors is over 1 MiB`);
    const bytes = await readStructure(this.file, descriptorOffset * SECTOR, descriptorSize * SECTOR, `vmdk: ${this.name}: embedded descriptor`);
    return descriptorText(bytes);
  }

  /** Sectors the extent header says it holds. */
  get capacityBytes(): number {
    return this.header.capacity * SECTOR;
  }

  /** Maps [offset, offset+maxLength) inside the extent; 'parent' means not allocated here. */
  async map(offset: number, maxLength: number): Promise<Run> {
    const grain = Math.floor(offset / this.grainBytes);
    const inGrain = offset - grain * this.grainBytes;
    const length = Math.min(maxLength, this.grainBytes - inGrain);
    const perGt = this.header.numGTEsPerGT;
    const gdIndex = Math.floor(grain / perGt);
    if (gdIndex >= this.gd.count) return { kind: 'parent', length };
    const gtSector = await this.gd.get(gdIndex);
    if (gtSector === 0) {
      // The whole grain table is absent: say so for the rest of its span at once.
      const spanEnd = (gdIndex + 1) * perGt * this.grainBytes;
      return { kind: 'parent', length: Math.min(maxLength, spanEnd - offset) };
    }
    const gt = await this.gts.get(gtSector, () => this.loadGt(gdIndex, gtSector));
    const gte = gt[grain - gdIndex * perGt]!;
    if (gte === 0) return { kind: 'parent', length };
    if (gte === 1 && this.header.flags & FLAG_ZERO_GRAIN) return { kind: 'zero', length };
    const at = gte * SECTOR;
    // Grains live after the metadata (header, descriptor, grain directories: overHead sectors).
    if (gte < Math.max(1, this.header.overHead) || at >= this.file.size) {
      throw corrupt('vmdk', `${this.name}: grain table ${gdIndex}`, gtSector * SECTOR, `entry ${grain - gdIndex * perGt} points to sector ${gte}, outside the grain area (overHead ${this.header.overHead} sectors, file ${this.file.size} bytes)`);
    }
    if (this.compressed) {
      return { kind: 'bytes', length, offset: inGrain, load: () => this.grains.get(at, () => this.loadCompressed(at, grain)) };
    }
    if (at + inGrain + length > this.file.size) {
      throw corrupt('vmdk', `${this.name}: grain ${grain}`, at, `extends past the end of the file (${this.file.size} bytes)`);
    }
    return { kind: 'data', length, file: this.file, fileOffset: at + inGrain };
  }

  private async loadGt(gdIndex: number, gtSector: number): Promise<Uint32Array> {
    const at = gtSector * SECTOR;
    const bytes = await readStructure(this.file, at, this.gtBytes, `vmdk: ${this.name}: grain table ${gdIndex}`).catch((e) => {
      throw corrupt('vmdk', `${this.name}: grain directory entry ${gdIndex}`, this.header.gdOffset * SECTOR + gdIndex * 4, (e as Error).message);
    });
    const r = new BinaryReader(bytes, 'vmdk grain table');
    const out = new Uint32Array(this.header.numGTEsPerGT);
    for (let i = 0; i < out.length; i++) out[i] = r.u32le(i * 4);
    return out;
  }

  /**
   * `n` bytes at `at`, served from a read-ahead window: compressed grains
   * lie back to back, so one 1 MiB read feeds many of them, and grains asked
   * for together (one large read) share the window while it is in flight.
   */
  private windowBytes(at: number, n: number): Promise<Uint8Array> {
    for (const w of this.windows) {
      if (at >= w.start && at + n <= w.start + w.length) return w.bytes.then((b) => b.subarray(at - w.start, at - w.start + n));
    }
    const length = Math.min(Math.max(n, READ_AHEAD), this.file.size - at);
    if (length < n) return Promise.reject(corrupt('vmdk', `${this.name}: compressed grain`, at, `needs ${n} bytes, the file ends after ${this.file.size - at}`));
    const bytes = readStructure(this.file, at, length, `vmdk: ${this.name}: compressed grains`);
    this.windows.unshift({ start: at, length, bytes });
    if (this.windows.length > 4) this.windows.pop();
    return bytes.then((b) => b.subarray(0, n));
  }

  /** A compressed grain: with markers, {lba u64, size u32} then zlib data; without, zlib data padded to sectors. */
  private async loadCompressed(at: number, grain: number): Promise<Uint8Array> {
    const what = `${this.name}: compressed grain ${grain}`;
    const room = this.file.size - at;
    let data: Uint8Array;
    if (this.markers) {
      const head = await this.windowBytes(at, MARKER_HEADER);
      if (head.length < MARKER_HEADER) throw corrupt('vmdk', what, at, 'truncated grain marker');
      const size = new DataView(head.buffer, head.byteOffset).getUint32(8, true);
      if (size === 0 || size > 2 * this.grainBytes + 4096 || MARKER_HEADER + size > room) {
        throw corrupt('vmdk', what, at, `grain marker size ${size} is impossible (grain ${this.grainBytes} bytes, ${room} bytes left in file)`);
      }
      data = (await this.windowBytes(at, MARKER_HEADER + size)).subarray(MARKER_HEADER);
    } else {
      data = await this.windowBytes(at, Math.min(room, 2 * this.grainBytes));
    }
    try {
      return await getCodec('zlib', 'vmdk')(data, this.grainBytes, { partial: !this.markers });
    } catch (e) {
      throw corrupt('vmdk', what, at, (e as Error).message);
    }
  }
}

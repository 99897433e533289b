/**
 * QedDevice: two-level lookup (L1 table → L2 table → data cluster), every
 * table `table_size` clusters of 64-bit offsets. An entry of 0 means "not
 * here" (backing file, or zeros), 1 in an L2 table means a zero cluster.
 * L2 tables are read on demand into a bounded cache.
 */
import { corrupt } from '../corrupt.js';
import { readStructure, type BlockDevice, type DeviceDescription } from '../device.js';
import { AsyncCache } from '../mapped/cache.js';
import { MappedDevice, type Run } from '../mapped/device.js';
import { PagedTable } from '../mapped/table.js';
import { formatSize } from '../../util/units.js';
import { QED_CLUSTER_ZERO, QED_F_BACKING_FORMAT_NO_PROBE, QED_F_NEED_CHECK, type QedHeader } from './header.js';

const TWO32 = 0x1_0000_0000;

export interface QedInfo {
  backingName?: string;
  backingDescription?: DeviceDescription;
  warnings: string[];
}

export class QedDevice extends MappedDevice {
  private readonly file: BlockDevice;
  private readonly h: QedHeader;
  private readonly info: QedInfo;
  private readonly l1: PagedTable;
  private readonly tableBytes: number;
  private readonly entries: number;
  private readonly l2s: AsyncCache<number, Float64Array>;

  constructor(file: BlockDevice, h: QedHeader, info: QedInfo, backing: BlockDevice | undefined) {
    super(backing ? { format: 'qed', size: h.imageSize, parent: backing, owned: [file, backing] } : { format: 'qed', size: h.imageSize, owned: [file] });
    this.file = file;
    this.h = h;
    this.info = info;
    this.tableBytes = h.tableSize * h.clusterSize;
    this.entries = this.tableBytes / 8;
    this.l1 = new PagedTable({ format: 'qed', what: 'L1 table', file, offset: h.l1TableOffset, count: this.entries, entryBytes: 8 });
    // L2 tables are 32 KiB to 4 MiB each: bound the cache in bytes (8 MiB).
    this.l2s = new AsyncCache(Math.max(this.tableBytes, 8 << 20), () => this.tableBytes);
  }

  /** A table offset must be cluster aligned, after the header and inside the file. */
  private checkOffset(off: number, bytes: number): boolean {
    return off % this.h.clusterSize === 0 && off >= this.h.headerSize * this.h.clusterSize && off + bytes <= this.file.size;
  }

  protected async mapRun(offset: number, maxLength: number): Promise<Run> {
    const cs = this.h.clusterSize;
    const cluster = Math.floor(offset / cs);
    const inCluster = offset - cluster * cs;
    const l1Index = Math.floor(cluster / this.entries);
    const l2Index = cluster - l1Index * this.entries;
    const l2Offset = await this.l1.get(l1Index);
    if (l2Offset === 0) {
      const spanEnd = (l1Index + 1) * this.entries * cs;
      return { kind: 'parent', length: Math.min(maxLength, spanEnd - offset) };
    }
    if (!this.checkOffset(l2Offset, this.tableBytes)) {
      throw corrupt('qed', `L1 entry ${l1Index}`, this.h.l1TableOffset + l1Index * 8, `L2 table offset ${l2Offset} is invalid (file ${this.file.size} bytes)`);
    }
    const l2 = await this.l2s.get(l2Offset, () => this.loadL2(l2Offset));
    const entry = l2[l2Index]!;
    const length = Math.min(maxLength, cs - inCluster);
    if (entry === 0) return { kind: 'parent', length };
    if (entry === QED_CLUSTER_ZERO) return { kind: 'zero', length };
    if (entry % cs !== 0 || entry < this.h.headerSize * cs || entry >= this.file.size) {
      throw corrupt('qed', `L2 table at ${l2Offset}`, l2Offset + l2Index * 8, `entry ${l2Index}: cluster offset ${entry} is invalid (file ${this.file.size} bytes)`);
    }
    // QEMU reads a cluster that the file cut short as zeros past the end.
    const stored = Math.min(length, this.file.size - (entry + inCluster));
    if (stored <= 0) return { kind: 'zero', length };
    return { kind: 'data', length: stored, file: this.file, fileOffset: entry + inCluster };
  }

  private async loadL2(at: number): Promise<Float64Array> {
    const b = await readStructure(this.file, at, this.tableBytes, 'qed: L2 table');
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const out = new Float64Array(this.entries);
    for (let i = 0; i < this.entries; i++) out[i] = v.getUint32(i * 8 + 4, true) * TWO32 + v.getUint32(i * 8, true);
    return out;
  }

  describe(): DeviceDescription {
    const h = this.h;
    const details: Record<string, unknown> = {
      virtualSize: this.size,
      clusterSize: h.clusterSize,
      tableSize: h.tableSize,
      needCheck: (h.features & QED_F_NEED_CHECK) !== 0n,
    };
    if (this.info.backingName !== undefined) {
      details.backingFile = this.info.backingName;
      details.backingFormat = h.features & QED_F_BACKING_FORMAT_NO_PROBE ? 'raw' : 'probed';
    }
    let summary = `qed, ${formatSize(this.size)} virtual`;
    if (this.info.backingName) summary += `, backing ${this.info.backingName}`;
    const d: DeviceDescription = { format: 'qed', summary, details };
    if (this.info.backingDescription) d.backing = { ...this.info.backingDescription, name: this.info.backingName! };
    if (this.info.warnings.length) d.warnings = [...this.info.warnings];
    return d;
  }
}

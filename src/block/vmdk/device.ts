/**
 * VmdkDevice: the virtual disk made of a descriptor's extents, laid end to
 * end — flat (a window of a raw file), sparse (a KDMV extent) or zero —
 * reading through to the parent where a sparse extent has no grain.
 */
import { formatSize } from '../../util/units.js';
import type { BlockDevice, DeviceDescription } from '../device.js';
import { MappedDevice, type Run } from '../mapped/device.js';
import type { SparseExtent } from './sparse-extent.js';

export type Extent =
  | { kind: 'flat'; start: number; length: number; file: BlockDevice; fileOffset: number; name: string }
  | { kind: 'sparse'; start: number; length: number; sparse: SparseExtent; name: string }
  | { kind: 'zero'; start: number; length: number };

export interface VmdkInfo {
  createType: string;
  cid?: string;
  parentCid?: string;
  parentHint?: string;
  adapterType?: string;
  hwVersion?: string;
  parentName?: string;
  parentDescription?: DeviceDescription;
  warnings: string[];
}

export class VmdkDevice extends MappedDevice {
  private readonly extents: Extent[];
  private readonly info: VmdkInfo;
  private last = 0; // index of the extent that served the previous lookup

  constructor(extents: Extent[], info: VmdkInfo, parent: BlockDevice | undefined, owned: BlockDevice[]) {
    const size = extents.reduce((n, e) => n + e.length, 0);
    super(parent ? { format: 'vmdk', size, parent, owned } : { format: 'vmdk', size, owned });
    this.extents = extents;
    this.info = info;
  }

  protected async mapRun(offset: number, maxLength: number): Promise<Run> {
    const e = this.find(offset);
    const inExt = offset - e.start;
    const length = Math.min(maxLength, e.length - inExt);
    if (e.kind === 'zero') return { kind: 'zero', length };
    if (e.kind === 'flat') return { kind: 'data', length, file: e.file, fileOffset: e.fileOffset + inExt };
    // Past the sparse extent's own capacity (descriptor says more): nothing stored.
    if (inExt >= e.sparse.capacityBytes) return { kind: 'parent', length };
    return e.sparse.map(inExt, Math.min(length, e.sparse.capacityBytes - inExt));
  }

  private find(offset: number): Extent {
    const xs = this.extents;
    const hint = xs[this.last]!;
    if (offset >= hint.start && offset < hint.start + hint.length) return hint;
    let lo = 0;
    let hi = xs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (xs[mid]!.start <= offset) lo = mid;
      else hi = mid - 1;
    }
    this.last = lo;
    return xs[lo]!;
  }

  describe(): DeviceDescription {
    const sparse = this.extents.find((e) => e.kind === 'sparse') as Extent & { kind: 'sparse' } | undefined;
    const h = sparse?.sparse.header;
    const details: Record<string, unknown> = {
      createType: this.info.createType,
      extents: this.extents.length,
      virtualSize: this.size,
    };
    if (h) {
      details.version = h.version;
      details.grainSize = h.grainSize * 512;
      details.compressed = (h.flags & 0x10000) !== 0;
    }
    if (this.info.cid !== undefined) details.cid = this.info.cid;
    if (this.info.parentCid !== undefined) details.parentCid = this.info.parentCid;
    if (this.info.adapterType !== undefined) details.adapterType = this.info.adapterType;
    if (this.info.hwVersion !== undefined) details.hwVersion = this.info.hwVersion;
    const files = this.extents.flatMap((e) => (e.kind === 'zero' ? [] : [e.name]));
    details.extentFiles = files;
    let summary = `vmdk ${this.info.createType}, ${formatSize(this.size)} virtual`;
    if (this.info.parentHint) summary += `, parent ${this.info.parentName ?? this.info.parentHint}`;
    const d: DeviceDescription = { format: 'vmdk', summary, details };
    if (this.info.parentDescription) d.backing = { ...this.info.parentDescription, ...(this.info.parentName ? { name: this.info.parentName } : {}) };
    if (this.info.warnings.length) d.warnings = [...this.info.warnings];
    return d;
  }
}

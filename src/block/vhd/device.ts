/**
 * VhdDevice: fixed disks map straight onto the file; dynamic and
 * differencing disks go through the BAT (one 32-bit sector number per
 * block) and each block's sector bitmap, read lazily and cached.
 *
 * A clear bitmap bit means "not stored here": zeros for a dynamic disk,
 * the parent's sector for a differencing disk. (QEMU ignores the bitmap of
 * dynamic disks; the images it writes set every bit, so both read alike.)
 */
import { corrupt } from '../corrupt.js';
import { readStructure, type BlockDevice, type DeviceDescription } from '../device.js';
import { AsyncCache } from '../mapped/cache.js';
import { MappedDevice, type Run } from '../mapped/device.js';
import { PagedTable } from '../mapped/table.js';
import { formatSize } from '../../util/units.js';
import { DISK_DIFFERENCING, DISK_FIXED, DISK_TYPE_NAMES, uuidString, type DynamicHeader, type VhdFooter } from './footer.js';

const UNALLOCATED = 0xffffffff;

interface Bitmap {
  bits: Uint8Array;
  allSet: boolean;
}

export interface VhdInfo {
  footer: VhdFooter;
  dynamic?: DynamicHeader;
  sizeSource: 'chs' | 'currentSize';
  parentName?: string;
  parentLocator?: string;
  parentDescription?: DeviceDescription;
  warnings: string[];
}

export class VhdDevice extends MappedDevice {
  private readonly file: BlockDevice;
  private readonly info: VhdInfo;
  private readonly bat: PagedTable | undefined;
  private readonly blockSize: number;
  private readonly bitmapBytes: number;
  private readonly bitmaps = new AsyncCache<number, Bitmap>(128);
  private readonly missing: 'zero' | 'parent';

  constructor(file: BlockDevice, size: number, info: VhdInfo, parent: BlockDevice | undefined) {
    super(parent ? { format: 'vpc', size, parent, owned: [file, parent] } : { format: 'vpc', size, owned: [file] });
    this.file = file;
    this.info = info;
    const d = info.dynamic;
    this.missing = info.footer.diskType === DISK_DIFFERENCING ? 'parent' : 'zero';
    if (d) {
      this.blockSize = d.blockSize;
      this.bitmapBytes = Math.ceil(d.blockSize / 512 / 8 / 512) * 512;
      this.bat = new PagedTable({ format: 'vhd', what: 'BAT', file, offset: d.tableOffset, count: d.maxTableEntries, entryBytes: 4, bigEndian: true });
    } else {
      this.blockSize = 0;
      this.bitmapBytes = 0;
    }
  }

  protected async mapRun(offset: number, maxLength: number): Promise<Run> {
    if (!this.bat) return { kind: 'data', length: maxLength, file: this.file, fileOffset: offset };
    const block = Math.floor(offset / this.blockSize);
    const inBlock = offset - block * this.blockSize;
    const length = Math.min(maxLength, this.blockSize - inBlock);
    if (block >= this.bat.count) return { kind: this.missing, length };
    const sector = await this.bat.get(block);
    if (sector === UNALLOCATED) return { kind: this.missing, length };
    const blockAt = sector * 512;
    const dataAt = blockAt + this.bitmapBytes;
    if (blockAt < 512 || dataAt + inBlock + length > this.file.size) {
      throw corrupt('vhd', `BAT entry ${block}`, this.info.dynamic!.tableOffset + block * 4, `block at sector ${sector} lies outside the file (${this.file.size} bytes)`);
    }
    const bm = await this.bitmaps.get(block, () => this.loadBitmap(blockAt));
    if (bm.allSet) return { kind: 'data', length, file: this.file, fileOffset: dataAt + inBlock };
    // Walk the bits from this sector while they agree.
    const first = Math.floor(inBlock / 512);
    const bit = (s: number) => (bm.bits[s >> 3]! >> (7 - (s & 7))) & 1; // sector 0 is the high bit
    const set = bit(first);
    const endSector = Math.ceil((inBlock + length) / 512);
    let s = first + 1;
    while (s < endSector && bit(s) === set) s++;
    const runLength = Math.min(length, s * 512 - inBlock);
    return set ? { kind: 'data', length: runLength, file: this.file, fileOffset: dataAt + inBlock } : { kind: this.missing, length: runLength };
  }

  private async loadBitmap(at: number): Promise<Bitmap> {
    const bits = await readStructure(this.file, at, this.bitmapBytes, 'vhd: sector bitmap');
    const need = this.blockSize / 512 / 8;
    let allSet = true;
    for (let i = 0; i < need; i++) {
      if (bits[i] !== 0xff) {
        allSet = false;
        break;
      }
    }
    return { bits, allSet };
  }

  describe(): DeviceDescription {
    const f = this.info.footer;
    const type = DISK_TYPE_NAMES[f.diskType] ?? String(f.diskType);
    const details: Record<string, unknown> = {
      diskType: type,
      virtualSize: this.size,
      currentSize: f.currentSize,
      sizeSource: this.info.sizeSource,
      geometry: { cylinders: f.cylinders, heads: f.heads, sectorsPerTrack: f.sectorsPerTrack },
      creatorApplication: f.creatorApplication,
      creatorHostOs: f.creatorHostOs,
      uniqueId: uuidString(f.uniqueId),
    };
    if (this.info.dynamic) {
      details.blockSize = this.blockSize;
      details.maxTableEntries = this.info.dynamic.maxTableEntries;
    }
    if (f.diskType === DISK_DIFFERENCING && this.info.dynamic) {
      details.parentUniqueId = uuidString(this.info.dynamic.parentUniqueId);
      if (this.info.parentLocator) details.parentLocator = this.info.parentLocator;
    }
    let summary = `vhd ${type}, ${formatSize(this.size)} virtual`;
    if (this.info.parentName) summary += `, parent ${this.info.parentName}`;
    const d: DeviceDescription = { format: 'vpc', summary, details };
    if (this.info.parentDescription) d.backing = { ...this.info.parentDescription, ...(this.info.parentName ? { name: this.info.parentName } : {}) };
    if (this.info.warnings.length) d.warnings = [...this.info.warnings];
    return d;
  }

  get isFixed(): boolean {
    return this.info.footer.diskType === DISK_FIXED;
  }
}

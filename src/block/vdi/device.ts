/**
 * VdiDevice: the block map holds one 32-bit entry per block: the index of
 * the block in the data area, or ~0 (never written: zeros) or ~1 (discarded:
 * zeros). Blocks are block_extra + block_size bytes in the data area.
 */
import { corrupt } from '../corrupt.js';
import type { BlockDevice, DeviceDescription } from '../device.js';
import { MappedDevice, type Run } from '../mapped/device.js';
import { PagedTable } from '../mapped/table.js';
import { formatSize } from '../../util/units.js';
import { VDI_DISCARDED, VDI_UNALLOCATED, typeName, uuidString, type VdiHeader } from './header.js';

export class VdiDevice extends MappedDevice {
  private readonly file: BlockDevice;
  private readonly h: VdiHeader;
  private readonly bmap: PagedTable;
  private readonly stride: number;

  constructor(file: BlockDevice, h: VdiHeader) {
    super({ format: 'vdi', size: h.diskSize, owned: [file] });
    this.file = file;
    this.h = h;
    this.stride = h.blockExtra + h.blockSize;
    this.bmap = new PagedTable({ format: 'vdi', what: 'block map', file, offset: h.offsetBmap, count: h.blocksInImage, entryBytes: 4 });
  }

  protected async mapRun(offset: number, maxLength: number): Promise<Run> {
    const bs = this.h.blockSize;
    const block = Math.floor(offset / bs);
    const inBlock = offset - block * bs;
    const length = Math.min(maxLength, bs - inBlock);
    const entry = await this.bmap.get(block);
    if (entry === VDI_UNALLOCATED || entry === VDI_DISCARDED) return { kind: 'zero', length };
    const at = this.h.offsetData + entry * this.stride + this.h.blockExtra + inBlock;
    if (entry >= this.h.blocksInImage || at + length > this.file.size) {
      throw corrupt('vdi', `block map entry ${block}`, this.h.offsetBmap + block * 4, `block ${entry} lies outside the data area (file ${this.file.size} bytes)`);
    }
    return { kind: 'data', length, file: this.file, fileOffset: at };
  }

  describe(): DeviceDescription {
    const h = this.h;
    return {
      format: 'vdi',
      summary: `vdi ${typeName(h.imageType)}, ${formatSize(this.size)} virtual`,
      details: {
        version: '1.1',
        imageType: typeName(h.imageType),
        virtualSize: this.size,
        blockSize: h.blockSize,
        blocksInImage: h.blocksInImage,
        blocksAllocated: h.blocksAllocated,
        uuidImage: uuidString(h.uuidImage),
        description: h.description,
        geometry: { cylinders: h.cylinders, heads: h.heads, sectors: h.sectors },
      },
    };
  }
}

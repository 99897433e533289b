/**
 * VhdxDevice: payload blocks through the BAT, whose entries interleave one
 * sector-bitmap entry after every `chunkRatio` payload entries. A payload
 * entry's state says where the block's bytes are: here (fully present),
 * partly here (per-sector bitmap, the rest from the parent), zeros, or the
 * parent's.
 */
import { corrupt } from '../corrupt.js';
import { readStructure, type BlockDevice, type DeviceDescription } from '../device.js';
import { AsyncCache } from '../mapped/cache.js';
import { MappedDevice, type Run } from '../mapped/device.js';
import { PagedTable } from '../mapped/table.js';
import { formatSize } from '../../util/units.js';
import { MiB, type Region, type VhdxHeader } from './header.js';
import type { VhdxMetadata } from './metadata.js';

export const PAYLOAD_BLOCK_NOT_PRESENT = 0;
export const PAYLOAD_BLOCK_UNDEFINED = 1;
export const PAYLOAD_BLOCK_ZERO = 2;
export const PAYLOAD_BLOCK_UNMAPPED = 3;
export const PAYLOAD_BLOCK_FULLY_PRESENT = 6;
export const PAYLOAD_BLOCK_PARTIALLY_PRESENT = 7;
export const SB_BLOCK_PRESENT = 6;

const TWO32 = 0x1_0000_0000;

export interface VhdxInfo {
  creator: string;
  header: VhdxHeader;
  metadata: VhdxMetadata;
  logEntriesReplayed: number;
  parentName?: string;
  parentDescription?: DeviceDescription;
  warnings: string[];
}

export class VhdxDevice extends MappedDevice {
  private readonly file: BlockDevice;
  private readonly info: VhdxInfo;
  private readonly bat: PagedTable;
  private readonly batRegion: Region;
  private readonly blockSize: number;
  private readonly chunkRatio: number;
  private readonly bitmapBytesPerBlock: number;
  private readonly bitmaps = new AsyncCache<number, Uint8Array>(256);
  private readonly hasParent: boolean;

  /** `file` is the image as it reads after log replay (the overlay, when there was a log). */
  constructor(file: BlockDevice, batRegion: Region, info: VhdxInfo, parent: BlockDevice | undefined, owned: BlockDevice[]) {
    const md = info.metadata;
    super(parent ? { format: 'vhdx', size: md.virtualDiskSize, sectorSize: md.logicalSectorSize, parent, owned } : { format: 'vhdx', size: md.virtualDiskSize, sectorSize: md.logicalSectorSize, owned });
    this.file = file;
    this.info = info;
    this.batRegion = batRegion;
    this.blockSize = md.blockSize;
    this.hasParent = md.hasParent;
    this.chunkRatio = (2 ** 23 * md.logicalSectorSize) / md.blockSize;
    this.bitmapBytesPerBlock = md.blockSize / md.logicalSectorSize / 8;
    const dataBlocks = Math.ceil(md.virtualDiskSize / md.blockSize);
    const sbBlocks = Math.ceil(dataBlocks / this.chunkRatio);
    const entries = md.hasParent ? sbBlocks * (this.chunkRatio + 1) : dataBlocks + Math.floor((dataBlocks - 1) / this.chunkRatio);
    if (entries * 8 > batRegion.length) {
      throw corrupt('vhdx', 'BAT region', batRegion.fileOffset, `${batRegion.length} bytes cannot hold the ${entries} entries a ${md.virtualDiskSize}-byte disk needs`);
    }
    this.bat = new PagedTable({ format: 'vhdx', what: 'BAT', file, offset: batRegion.fileOffset, count: entries, entryBytes: 8 });
  }

  private async entry(index: number): Promise<{ state: number; offset: number }> {
    const v = await this.bat.get(index);
    const lo = v % TWO32;
    const hi = Math.floor(v / TWO32);
    // FileOffsetMB is bits 20..63.
    return { state: lo & 7, offset: (hi * 4096 + (lo >>> 20)) * MiB };
  }

  protected async mapRun(offset: number, maxLength: number): Promise<Run> {
    const bs = this.blockSize;
    const block = Math.floor(offset / bs);
    const inBlock = offset - block * bs;
    const length = Math.min(maxLength, bs - inBlock);
    const index = block + Math.floor(block / this.chunkRatio);
    const { state, offset: at } = await this.entry(index);
    const where = this.batRegion.fileOffset + index * 8;
    switch (state) {
      case PAYLOAD_BLOCK_NOT_PRESENT:
      case PAYLOAD_BLOCK_UNDEFINED:
        return { kind: this.hasParent ? 'parent' : 'zero', length };
      case PAYLOAD_BLOCK_ZERO:
      case PAYLOAD_BLOCK_UNMAPPED:
        return { kind: 'zero', length };
      case PAYLOAD_BLOCK_FULLY_PRESENT:
        this.checkBlock(at, inBlock + length, block, where);
        return { kind: 'data', length, file: this.file, fileOffset: at + inBlock };
      case PAYLOAD_BLOCK_PARTIALLY_PRESENT: {
        if (!this.hasParent) throw corrupt('vhdx', `BAT entry ${index}`, where, 'partially present block in a disk without a parent');
        this.checkBlock(at, inBlock + length, block, where);
        const bits = await this.bitmaps.get(block, () => this.loadBitmap(block));
        const lss = this.sectorSize;
        const bit = (s: number) => (bits[s >> 3]! >> (s & 7)) & 1; // sector 0 is the low bit
        const first = Math.floor(inBlock / lss);
        const set = bit(first);
        const endSector = Math.ceil((inBlock + length) / lss);
        let s = first + 1;
        while (s < endSector && bit(s) === set) s++;
        const runLength = Math.min(length, s * lss - inBlock);
        return set ? { kind: 'data', length: runLength, file: this.file, fileOffset: at + inBlock } : { kind: 'parent', length: runLength };
      }
      default:
        throw corrupt('vhdx', `BAT entry ${index}`, where, `unknown payload block state ${state}`);
    }
  }

  private checkBlock(at: number, needed: number, block: number, where: number): void {
    if (at < MiB || at + needed > this.file.size) {
      throw corrupt('vhdx', `BAT entry for block ${block}`, where, `block at ${at} lies outside the file's data area (${this.file.size} bytes)`);
    }
  }

  private async loadBitmap(block: number): Promise<Uint8Array> {
    const chunk = Math.floor(block / this.chunkRatio);
    const index = chunk * (this.chunkRatio + 1) + this.chunkRatio;
    const { state, offset } = await this.entry(index);
    const where = this.batRegion.fileOffset + index * 8;
    if (state !== SB_BLOCK_PRESENT) throw corrupt('vhdx', `sector bitmap BAT entry ${index}`, where, `state ${state}, but block ${block} is partially present`);
    if (offset < MiB) throw corrupt('vhdx', `sector bitmap BAT entry ${index}`, where, `offset ${offset} lies in the header section`);
    const at = offset + (block % this.chunkRatio) * this.bitmapBytesPerBlock;
    return readStructure(this.file, at, this.bitmapBytesPerBlock, `vhdx: sector bitmap for block ${block}`);
  }

  describe(): DeviceDescription {
    const { metadata: md, header: h } = this.info;
    const kind = md.hasParent ? 'differencing' : 'dynamic';
    const details: Record<string, unknown> = {
      virtualSize: this.size,
      blockSize: md.blockSize,
      logicalSectorSize: md.logicalSectorSize,
      physicalSectorSize: md.physicalSectorSize,
      hasParent: md.hasParent,
      leaveBlocksAllocated: md.leaveBlocksAllocated,
      page83Data: md.page83Data,
      dataWriteGuid: h.dataWriteGuid,
      fileWriteGuid: h.fileWriteGuid,
      creator: this.info.creator,
      logReplayed: this.info.logEntriesReplayed,
    };
    let summary = `vhdx ${kind}, ${formatSize(this.size)} virtual`;
    if (this.info.parentName) summary += `, parent ${this.info.parentName}`;
    const d: DeviceDescription = { format: 'vhdx', summary, details };
    if (this.info.parentDescription) d.backing = { ...this.info.parentDescription, ...(this.info.parentName ? { name: this.info.parentName } : {}) };
    if (this.info.warnings.length) d.warnings = [...this.info.warnings];
    return d;
  }
}

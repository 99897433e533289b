/** SliceDevice: a window [start, start+size) of another device, e.g. a partition. */
import { checkRange, readOnlyError, type BlockDevice, type BlockStatus } from './device.js';

export class SliceDevice implements BlockDevice {
  readonly parent: BlockDevice;
  readonly start: number;
  readonly size: number;
  readonly readOnly: boolean;

  constructor(parent: BlockDevice, start: number, size: number, options: { readOnly?: boolean } = {}) {
    checkRange('slice', parent.size, start, size);
    this.parent = parent;
    this.start = start;
    this.size = size;
    this.readOnly = parent.readOnly || (options.readOnly ?? false);
  }

  get sectorSize(): number {
    return this.parent.sectorSize;
  }

  read(buf: Uint8Array, offset: number): Promise<void> {
    checkRange('slice', this.size, offset, buf.length);
    return this.parent.read(buf, this.start + offset);
  }

  write(buf: Uint8Array, offset: number): Promise<void> {
    if (this.readOnly) return Promise.reject(readOnlyError('slice'));
    checkRange('slice', this.size, offset, buf.length);
    return this.parent.write(buf, this.start + offset);
  }

  async blockStatus(offset: number, length: number): Promise<BlockStatus> {
    checkRange('slice', this.size, offset, length);
    if (this.parent.blockStatus) return this.parent.blockStatus(this.start + offset, length);
    return { kind: 'data', length };
  }

  flush(): Promise<void> {
    return this.parent.flush();
  }

  /** A slice does not own its parent. */
  async close(): Promise<void> {}
}

/** MemoryDevice: a BlockDevice over a byte array, for tests, small images and the browser. */
import { checkRange, readOnlyError, type DeviceDescription, type ResizableDevice } from './device.js';

export class MemoryDevice implements ResizableDevice {
  readonly sectorSize: number;
  readonly readOnly: boolean;
  private bytes: Uint8Array;

  constructor(bytes: Uint8Array, options: { readOnly?: boolean; sectorSize?: number } = {}) {
    this.bytes = bytes;
    this.readOnly = options.readOnly ?? false;
    this.sectorSize = options.sectorSize ?? 512;
  }

  /** A new zero-filled device of `size` bytes. */
  static zeroed(size: number): MemoryDevice {
    return new MemoryDevice(new Uint8Array(size));
  }

  get size(): number {
    return this.bytes.length;
  }

  /** The backing array (not a copy). */
  get contents(): Uint8Array {
    return this.bytes;
  }

  async read(buf: Uint8Array, offset: number): Promise<void> {
    checkRange('memory', this.bytes.length, offset, buf.length);
    buf.set(this.bytes.subarray(offset, offset + buf.length));
  }

  async write(buf: Uint8Array, offset: number): Promise<void> {
    if (this.readOnly) throw readOnlyError('memory');
    checkRange('memory', this.bytes.length, offset, buf.length);
    this.bytes.set(buf, offset);
  }

  /** Grows (zero-filled) or shrinks the device; used by image writers building files in memory. */
  async resize(size: number): Promise<void> {
    if (this.readOnly) throw readOnlyError('memory');
    if (size === this.bytes.length) return;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, Math.min(size, this.bytes.length)));
    this.bytes = next;
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}

  describe(): DeviceDescription {
    return { format: 'memory', summary: `memory, ${this.bytes.length} bytes` };
  }
}

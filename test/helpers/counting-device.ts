/**
 * A read-only BlockDevice that counts the reads and bytes asked of the one
 * it wraps: tests of lazy drivers check how few device requests a lookup
 * or a read costs.
 */
import type { BlockDevice } from '../../src/block/device.js';

export class CountingDevice implements BlockDevice {
  reads = 0;
  bytes = 0;
  constructor(private readonly inner: BlockDevice) {}
  get size(): number {
    return this.inner.size;
  }
  get sectorSize(): number {
    return this.inner.sectorSize;
  }
  get readOnly(): boolean {
    return true;
  }
  read(buf: Uint8Array, offset: number): Promise<void> {
    this.reads++;
    this.bytes += buf.length;
    return this.inner.read(buf, offset);
  }
  write(): Promise<void> {
    return Promise.reject(new Error('CountingDevice is read-only'));
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

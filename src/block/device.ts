/**
 * BlockDevice: a fixed-size array of bytes that can be read (and maybe
 * written). Every source (file, memory, URL), container (qcow2, vmdk …) and
 * partition is one, and they stack: http → qcow2 → gpt[2] → ext4.
 */
import { FsError } from '../errors.js';

export interface BlockDevice {
  /** Size in bytes. Exact up to 2^53 (8 PiB), which no image reaches. */
  readonly size: number;
  /** Logical sector size in bytes (512 unless the format says otherwise). */
  readonly sectorSize: number;
  /** True when writes are refused with EROFS. */
  readonly readOnly: boolean;
  /**
   * Fills all of `buf` from `offset`. The range must lie inside the device:
   * a read past the end is EINVAL, never a short read (use `readClamped`).
   */
  read(buf: Uint8Array, offset: number): Promise<void>;
  /** Writes all of `buf` at `offset` (inside the device). EROFS if read-only. */
  write(buf: Uint8Array, offset: number): Promise<void>;
  /** Makes every completed write durable and the image consistent on disk. */
  flush(): Promise<void>;
  /** Flushes and releases everything this device opened (not devices it was given). */
  close(): Promise<void>;
  /**
   * Optional: what the range at `offset` is, like QEMU's block_status, so
   * copies can skip holes. Returns the kind of the first run and its length
   * (at least 1 byte, at most `length`).
   */
  blockStatus?(offset: number, length: number): Promise<BlockStatus>;
  /** Optional: what this layer is, for `anymount info`. */
  describe?(): DeviceDescription;
}

/**
 * A device whose size can change: the file under an image format that grows
 * as it allocates (qcow2, vhd dynamic …). Writes must still lie inside the
 * current size; call `resize` first to grow.
 */
export interface ResizableDevice extends BlockDevice {
  resize(size: number): Promise<void>;
}

export function isResizable(dev: BlockDevice): dev is ResizableDevice {
  return typeof (dev as Partial<ResizableDevice>).resize === 'function';
}

export interface BlockStatus {
  /** data: stored bytes; zero: reads as zeros (hole, zero cluster, unallocated). */
  kind: 'data' | 'zero';
  length: number;
}

/** A layer's self-description: stable field names for `--json`, and a one-line summary. */
export interface DeviceDescription {
  /** Catalogue id of the format ('qcow2', 'vmdk', 'raw' …). */
  format: string;
  /** Human summary without the name, e.g. "qcow2 v3, 20 GiB virtual, backing base.qcow2". */
  summary: string;
  /** Format-specific facts with stable names (version, clusterSize, compression …). */
  details?: Record<string, unknown>;
  /** The image this one reads through to (backing file, parent disk), if any. */
  backing?: DeviceDescription & { name?: string };
  /** Things the user should know (fallback to a backup header, dirty image …). */
  warnings?: string[];
}

/** EINVAL unless [offset, offset+length) lies inside a device of `size` bytes. */
export function checkRange(what: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new FsError('EINVAL', `${what}: access of ${length} bytes at offset ${offset} is outside the device (size ${size})`);
  }
}

export function readOnlyError(what: string): FsError {
  return new FsError('EROFS', `${what}: device is read-only`);
}

/** Reads `length` bytes at `offset` into a new array. */
export async function readBytes(dev: BlockDevice, offset: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  await dev.read(buf, offset);
  return buf;
}

/** Reads up to `length` bytes at `offset`, fewer if the device ends first (empty past the end). */
export async function readClamped(dev: BlockDevice, offset: number, length: number): Promise<Uint8Array> {
  if (offset >= dev.size || offset < 0) return new Uint8Array(0);
  const n = Math.min(length, dev.size - offset);
  return readBytes(dev, offset, n);
}

/**
 * Reads a structure an image points at, checking first that it lies inside
 * the file, so a corrupt pointer becomes a clear EIO rather than EINVAL.
 */
export async function readStructure(dev: BlockDevice, offset: number, length: number, what: string): Promise<Uint8Array> {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0 || offset + length > dev.size) {
    throw new FsError('EIO', `${what} at offset ${offset} (${length} bytes) lies beyond the end of the image (${dev.size} bytes)`);
  }
  return readBytes(dev, offset, length);
}

/**
 * FileDevice: a local file or block device (/dev/sdX, /dev/loopN) with
 * positional I/O. Read-only unless opened for writing.
 */
import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { FsError, toFsError } from '../errors.js';
import { checkRange, readOnlyError, type DeviceDescription, type ResizableDevice } from '../block/device.js';
import { formatSize } from '../util/units.js';
import { blockDeviceGeometry } from './block-geometry.js';

/**
 * Whether reads on this thread block instead of going through the libuv
 * threadpool. For worker threads that do nothing else (extraction
 * workers): a read the page cache answers takes microseconds in place,
 * while a threadpool round trip leaves the thread waiting far longer.
 */
let syncReads = false;

/** Makes FileDevice reads on this thread synchronous (see syncReads); returns the previous setting. */
export function preferSyncReads(on: boolean): boolean {
  const was = syncReads;
  syncReads = on;
  return was;
}

export interface FileDeviceOptions {
  /** Open for writing (default read-only). */
  write?: boolean;
}

export class FileDevice implements ResizableDevice {
  readonly path: string;
  readonly size: number;
  readonly sectorSize: number;
  readonly readOnly: boolean;
  readonly isBlockDevice: boolean;
  private handle: FileHandle | undefined;

  private constructor(path: string, handle: FileHandle, size: number, sectorSize: number, readOnly: boolean, isBlockDevice: boolean) {
    this.path = path;
    this.handle = handle;
    this.size = size;
    this.sectorSize = sectorSize;
    this.readOnly = readOnly;
    this.isBlockDevice = isBlockDevice;
  }

  static async open(path: string, options: FileDeviceOptions = {}): Promise<FileDevice> {
    const write = options.write ?? false;
    let handle: FileHandle;
    try {
      handle = await open(path, write ? 'r+' : 'r');
    } catch (e) {
      throw toFsError(e, `open ${path}`);
    }
    try {
      const st = await handle.stat();
      if (st.isDirectory()) throw new FsError('EISDIR', `${path}: is a directory, not an image`);
      if (st.isBlockDevice()) {
        const { size, sectorSize } = await blockDeviceGeometry(handle, st.rdev);
        return new FileDevice(path, handle, size, sectorSize, !write, true);
      }
      return new FileDevice(path, handle, st.size, 512, !write, false);
    } catch (e) {
      await handle.close().catch(() => {});
      throw toFsError(e, `open ${path}`);
    }
  }

  private fh(): FileHandle {
    if (!this.handle) throw new FsError('EBADF', `${this.path}: device is closed`);
    return this.handle;
  }

  async read(buf: Uint8Array, offset: number): Promise<void> {
    checkRange(this.path, this.size, offset, buf.length);
    const fh = this.fh();
    let done = 0;
    while (done < buf.length) {
      let n: number;
      try {
        if (syncReads) n = readSync(fh.fd, buf, done, buf.length - done, offset + done);
        else ({ bytesRead: n } = await fh.read(buf, done, buf.length - done, offset + done));
      } catch (e) {
        throw toFsError(e, `${this.path}: read at ${offset + done}`);
      }
      if (n === 0) throw new FsError('EIO', `${this.path}: unexpected end of file at ${offset + done} (file shrank?)`);
      done += n;
    }
  }

  async write(buf: Uint8Array, offset: number): Promise<void> {
    if (this.readOnly) throw readOnlyError(this.path);
    checkRange(this.path, this.size, offset, buf.length);
    await this.writeRaw(buf, offset);
  }

  private async writeRaw(buf: Uint8Array, offset: number): Promise<void> {
    if (this.readOnly) throw readOnlyError(this.path);
    const fh = this.fh();
    let done = 0;
    while (done < buf.length) {
      try {
        const { bytesWritten } = await fh.write(buf, done, buf.length - done, offset + done);
        done += bytesWritten;
      } catch (e) {
        throw toFsError(e, `${this.path}: write at ${offset + done}`);
      }
    }
  }

  /** Sets the length of a regular file (image formats that grow or shrink their file). */
  async resize(size: number): Promise<void> {
    if (this.readOnly) throw readOnlyError(this.path);
    if (this.isBlockDevice) throw new FsError('EINVAL', `${this.path}: cannot resize a block device`);
    if (!Number.isSafeInteger(size) || size < 0) throw new FsError('EINVAL', `${this.path}: cannot resize to ${size} bytes`);
    try {
      await this.fh().truncate(size);
    } catch (e) {
      throw toFsError(e, `${this.path}: resize to ${size}`);
    }
    (this as { size: number }).size = size;
  }

  async flush(): Promise<void> {
    if (this.readOnly || !this.handle) return;
    try {
      await this.handle.datasync();
    } catch (e) {
      throw toFsError(e, `${this.path}: flush`);
    }
  }

  /** Flushes and closes; the handle is released even if the flush fails (the error still surfaces). */
  async close(): Promise<void> {
    const h = this.handle;
    if (!h) return;
    try {
      await this.flush();
    } finally {
      this.handle = undefined;
      await h.close().catch(() => {});
    }
  }

  describe(): DeviceDescription {
    return {
      format: 'raw',
      summary: this.isBlockDevice ? `block device, ${formatSize(this.size)}, ${this.sectorSize}-byte sectors` : `raw, ${formatSize(this.size)}`,
      details: { path: this.path, name: basename(this.path), blockDevice: this.isBlockDevice },
    };
  }
}

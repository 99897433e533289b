/**
 * FileDevice: a local file or block device (/dev/sdX, /dev/loopN) with
 * positional I/O. Read-only unless opened for writing.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { FsError, toFsError } from '../errors.js';
import { checkRange, readOnlyError, type DeviceDescription, type ResizableDevice } from '../block/device.js';

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
        ({ bytesRead: n } = await fh.read(buf, done, buf.length - done, offset + done));
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
    await this.fh().truncate(size);
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

  async close(): Promise<void> {
    const h = this.handle;
    if (!h) return;
    await this.flush();
    this.handle = undefined;
    await h.close();
  }

  describe(): DeviceDescription {
    return {
      format: 'raw',
      summary: this.isBlockDevice ? `block device, ${this.size} bytes` : `raw, ${this.size} bytes`,
      details: { path: this.path, name: basename(this.path), blockDevice: this.isBlockDevice },
    };
  }
}

/**
 * fstat says 0 for a block device; sysfs knows its size in 512-byte units
 * whatever the logical sector size. Without sysfs (containers), probe the end
 * by reading: pread at or past the end returns 0 bytes.
 */
async function blockDeviceGeometry(handle: FileHandle, rdev: number): Promise<{ size: number; sectorSize: number }> {
  // glibc's gnu_dev_major/gnu_dev_minor on a 64-bit dev_t.
  const major = (Math.floor(rdev / 256) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | (Math.floor(rdev / 4096) & 0xffffff00);
  const sys = `/sys/dev/block/${major}:${minor}`;
  try {
    const sectors = Number((await readFile(`${sys}/size`, 'utf8')).trim());
    let sectorSize = 512;
    try {
      sectorSize = Number((await readFile(`${sys}/queue/logical_block_size`, 'utf8')).trim()) || 512;
    } catch {
      // Partitions have no queue/ of their own; 512 is right for nearly all disks.
    }
    if (Number.isSafeInteger(sectors)) return { size: sectors * 512, sectorSize };
  } catch {
    // fall through to probing
  }
  return { size: await probeEnd(handle), sectorSize: 512 };
}

async function probeEnd(handle: FileHandle): Promise<number> {
  const one = new Uint8Array(1);
  const readable = async (pos: number) => (await handle.read(one, 0, 1, pos)).bytesRead === 1;
  if (!(await readable(0))) return 0;
  let lo = 0; // readable
  let hi = 1;
  while (await readable(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > 2 ** 52) throw new FsError('EIO', 'block device size probe did not find an end');
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await readable(mid)) lo = mid;
    else hi = mid;
  }
  return lo + 1;
}

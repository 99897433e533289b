/**
 * MappedDevice: the read path shared by the sparse container formats (vmdk,
 * vhd, vhdx, vdi, qed). A format only says what lies at a virtual offset —
 * a run of stored bytes in some file, zeros, the parent's bytes, or bytes it
 * produced itself (a decompressed grain) — and this class turns a read into
 * as few, as large underlying reads as it can: neighbouring runs that are
 * contiguous in the same file become one read, and independent reads (and
 * decompressions) run concurrently. A sequential reader (each read starting
 * where the last ended) also gets the decodes after its read started
 * (READ_AHEAD_BYTES), so decompression workers never drain between reads;
 * the format's own cache keeps what they produce.
 */
import { FsError } from '../../errors.js';
import { checkRange, readOnlyError, type BlockDevice, type BlockStatus, type DeviceDescription } from '../device.js';

/** Underlying reads and decodes one `read` keeps going at once. */
const MAX_JOBS_IN_FLIGHT = 64;
/** A sequential reader gets the decodes of up to this many bytes after its read started early. */
const READ_AHEAD_BYTES = 2 << 20;
/** …and at most this many of them. */
const READ_AHEAD_LOADS = 32;

export type Run =
  /** `length` stored bytes at `fileOffset` of `file`. */
  | { kind: 'data'; length: number; file: BlockDevice; fileOffset: number }
  /** Reads as zeros whatever lies below (zero cluster, hole without parent). */
  | { kind: 'zero'; length: number }
  /** Not stored here: the parent's bytes (zeros when there is no parent or it is shorter). */
  | { kind: 'parent'; length: number }
  /** Bytes the format makes (a decompressed grain): `length` bytes from `offset` of what `load` returns. */
  | { kind: 'bytes'; length: number; offset: number; load: () => Promise<Uint8Array> };

export interface MappedDeviceOptions {
  /** Catalogue id, for messages ('vmdk'). */
  format: string;
  size: number;
  sectorSize?: number;
  /** The image this one reads through to (backing file, parent disk). */
  parent?: BlockDevice;
  /** Everything this device opened and closes with it (the image file, extents, parent). */
  owned: BlockDevice[];
}

export abstract class MappedDevice implements BlockDevice {
  readonly format: string;
  readonly size: number;
  readonly sectorSize: number;
  readonly readOnly = true;
  protected readonly parent: BlockDevice | undefined;
  protected readonly owned: BlockDevice[];
  private closed = false;
  /** Where the last read ended (for read-ahead). */
  private lastEnd = -1;

  constructor(options: MappedDeviceOptions) {
    this.format = options.format;
    this.size = options.size;
    this.sectorSize = options.sectorSize ?? 512;
    this.parent = options.parent;
    this.owned = options.owned;
  }

  /**
   * What lies at `offset` (inside the device): a run of at least 1 and at
   * most `maxLength` bytes. Corrupt metadata throws FsError(EIO).
   */
  protected abstract mapRun(offset: number, maxLength: number): Promise<Run>;

  abstract describe(): DeviceDescription;

  async read(buf: Uint8Array, offset: number): Promise<void> {
    checkRange(this.format, this.size, offset, buf.length);
    if (this.closed) throw new FsError('EBADF', `${this.format}: device is closed`);
    const jobs: Promise<void>[] = [];
    let done = 0;
    let pending: Run | undefined; // a data run still growing
    let pendingAt = 0;
    const flushPending = () => {
      if (!pending || pending.kind !== 'data') return;
      const { file, fileOffset, length } = pending;
      jobs.push(file.read(buf.subarray(pendingAt, pendingAt + length), fileOffset));
      pending = undefined;
    };
    while (done < buf.length) {
      const want = buf.length - done;
      const run = await this.mapRun(offset + done, want);
      const n = run.length;
      if (!(n >= 1 && n <= want)) throw new FsError('EIO', `${this.format}: internal error: run of ${n} bytes at ${offset + done}`);
      if (run.kind === 'data') {
        if (pending && pending.kind === 'data' && pending.file === run.file && pending.fileOffset + pending.length === run.fileOffset) {
          pending = { ...pending, length: pending.length + n };
        } else {
          flushPending();
          pending = run;
          pendingAt = done;
        }
      } else {
        flushPending();
        const at = done;
        const part = buf.subarray(at, at + n);
        if (run.kind === 'zero') part.fill(0);
        else if (run.kind === 'parent') jobs.push(this.readParent(part, offset + at));
        else jobs.push(run.load().then((bytes) => copyOut(this.format, part, bytes, run.offset)));
      }
      done += n;
      // Bound the work in flight (a 1 GiB read of compressed grains must not inflate 16384 at once).
      if (jobs.length >= MAX_JOBS_IN_FLIGHT) await settle(jobs.splice(0));
    }
    flushPending();
    const end = offset + buf.length;
    if ((offset === this.lastEnd || offset === 0) && end < this.size) void this.readAhead(end, Math.min(buf.length, READ_AHEAD_BYTES));
    this.lastEnd = end;
    await settle(jobs);
  }

  /** Starts the decodes of [offset, offset+length) ('bytes' runs only). Errors are dropped: the real read meets them. */
  private async readAhead(offset: number, length: number): Promise<void> {
    const stop = Math.min(this.size, offset + length);
    let loads = 0;
    try {
      for (let at = offset; at < stop && loads < READ_AHEAD_LOADS && !this.closed; ) {
        const run = await this.mapRun(at, stop - at);
        if (!(run.length >= 1)) return;
        if (run.kind === 'bytes') {
          run.load().catch(() => {});
          loads++;
        }
        at += run.length;
      }
    } catch {
      // Corrupt metadata ahead: the read that gets there reports it.
    }
  }

  /** Parent bytes for [offset, offset+buf.length); zeros where there is no parent or it ends first. */
  protected async readParent(buf: Uint8Array, offset: number): Promise<void> {
    const p = this.parent;
    const have = p ? Math.max(0, Math.min(buf.length, p.size - offset)) : 0;
    if (p && have > 0) await p.read(buf.subarray(0, have), offset);
    buf.fill(0, have);
  }

  async blockStatus(offset: number, length: number): Promise<BlockStatus> {
    checkRange(this.format, this.size, offset, length);
    if (length === 0) return { kind: 'data', length: 0 };
    let kind: BlockStatus['kind'] | undefined;
    let done = 0;
    while (done < length) {
      const run = await this.mapRun(offset + done, length - done);
      let k: BlockStatus['kind'];
      let n = run.length;
      if (run.kind === 'zero') k = 'zero';
      else if (run.kind === 'parent') {
        const st = await this.parentStatus(offset + done, n);
        k = st.kind;
        n = st.length;
      } else k = 'data';
      if (kind === undefined) kind = k;
      else if (k !== kind) break;
      done += n;
    }
    return { kind: kind ?? 'data', length: done };
  }

  private async parentStatus(offset: number, length: number): Promise<BlockStatus> {
    const p = this.parent;
    if (!p || offset >= p.size) return { kind: 'zero', length };
    const n = Math.min(length, p.size - offset);
    if (!p.blockStatus) return { kind: 'data', length: n };
    return p.blockStatus(offset, n);
  }

  async write(): Promise<void> {
    throw readOnlyError(this.format);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: unknown[] = [];
    for (const d of this.owned) {
      try {
        await d.close();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length) throw errors[0];
  }
}

function copyOut(format: string, part: Uint8Array, bytes: Uint8Array, from: number): void {
  if (from + part.length > bytes.length) {
    throw new FsError('EIO', `${format}: decoded block holds ${bytes.length} bytes, needed ${from + part.length}`);
  }
  part.set(bytes.subarray(from, from + part.length));
}

/** Waits for every job (so none is left running on the caller's buffer), then throws the first failure. */
async function settle(jobs: Promise<void>[]): Promise<void> {
  if (jobs.length === 0) return;
  if (jobs.length === 1) return jobs[0];
  const results = await Promise.allSettled(jobs);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

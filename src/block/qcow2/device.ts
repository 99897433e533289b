/**
 * Qcow2Device: the virtual disk inside a qcow2 image, as a BlockDevice.
 *
 * Reads map the range through L1/L2 into runs (mapping.ts), then do each run
 * at once: contiguous host clusters in one read of the file, holes and zero
 * clusters as fills, unallocated runs from the backing file (zeros past its
 * end), compressed clusters grouped and decompressed in parallel. Writes go
 * to Qcow2Writer (write.ts).
 */
import { FsError } from '../../errors.js';
import { formatSize } from '../../util/units.js';
import type { OpenContext } from '../container.js';
import { corrupt } from '../corrupt.js';
import { checkRange, isResizable, type BlockDevice, type BlockStatus, type DeviceDescription, type ResizableDevice } from '../device.js';
import { CompressedReader } from './compressed.js';
import { INCOMPAT_CORRUPT, INCOMPAT_DIRTY, COMPAT_LAZY_REFCOUNTS, readHeader, type Qcow2Header } from './header.js';
import { BACKING, ClusterMap, COMPRESSED, DATA, ZERO, type Extent } from './mapping.js';
import { readSnapshotTable, type Qcow2Snapshot } from './snapshot.js';
import { Qcow2Writer } from './write.js';

export interface Qcow2OpenOptions {
  /** Bytes of L2 table slices to cache (default 32 MiB). */
  l2CacheBytes?: number;
  /** Bytes of decompressed clusters to cache for partial reads and read-ahead (default 16 MiB). */
  compressedCacheBytes?: number;
}

const F = 'qcow2';

export class Qcow2Device implements BlockDevice {
  readonly size: number;
  readonly sectorSize = 512;
  readonly readOnly: boolean;
  readonly file: BlockDevice;
  readonly header: Qcow2Header;
  readonly map: ClusterMap;
  readonly compressed: CompressedReader;
  /** The opened backing image, if the header names one. */
  readonly backing: BlockDevice | undefined;
  /** The backing image's resolved name (as the host reported it). */
  readonly backingName: string | undefined;
  readonly snapshots: Qcow2Snapshot[];
  /** Bytes of the snapshot table, for overlap checks. */
  readonly snapshotTableBytes: number;
  readonly warnings: string[];
  /** Why writes are refused, when they are. */
  readonly readOnlyReason: string | undefined;
  private writer: Qcow2Writer | undefined;
  private closed = false;
  /** Where the last read ended: the next read starting there is sequential. */
  private lastReadEnd = -1;

  private constructor(init: {
    file: BlockDevice;
    header: Qcow2Header;
    options: Qcow2OpenOptions;
    backing?: BlockDevice;
    backingName?: string;
    snapshots: Qcow2Snapshot[];
    snapshotTableBytes: number;
    warnings: string[];
    readOnlyReason?: string;
  }) {
    this.file = init.file;
    this.header = init.header;
    this.size = init.header.size;
    this.map = new ClusterMap(init.file, init.header, { l2CacheBytes: init.options.l2CacheBytes });
    this.compressed = new CompressedReader(init.file, init.header.clusterSize, init.header.compression, init.options.compressedCacheBytes);
    this.backing = init.backing;
    this.backingName = init.backingName;
    this.snapshots = init.snapshots;
    this.snapshotTableBytes = init.snapshotTableBytes;
    this.warnings = init.warnings;
    this.readOnlyReason = init.readOnlyReason;
    this.readOnly = init.readOnlyReason !== undefined;
  }

  /**
   * Opens the qcow2 image in `file` (taking ownership of it). The backing
   * file, if any, is opened through `ctx.openRelated`, which resolves the name
   * and guards against loops; we only pass the name through.
   */
  static async open(file: BlockDevice, ctx: OpenContext, options: Qcow2OpenOptions = {}): Promise<Qcow2Device> {
    const header = await readHeader(file);
    const warnings: string[] = [];
    let readOnlyReason: string | undefined;
    const refuse = (why: string) => {
      readOnlyReason ??= why;
    };
    if (ctx.readOnly) refuse('opened read-only');
    else if (file.readOnly) refuse('the image file is read-only');
    else if (!isResizable(file)) refuse('the image file cannot grow');
    if (header.incompatible_features & INCOMPAT_CORRUPT) {
      warnings.push('the image is marked corrupt (corrupt bit set): reads may return wrong data; repair it with qemu-img check -r all');
      readOnlyReason = 'the image is marked corrupt (corrupt bit set); repair it with qemu-img check -r all before writing';
    }
    if (header.incompatible_features & INCOMPAT_DIRTY) {
      const lazy = header.compatible_features & COMPAT_LAZY_REFCOUNTS ? ' (lazy refcounts were in use)' : '';
      warnings.push(`the image was not closed cleanly${lazy}: its refcounts may be stale; reading is safe`);
      readOnlyReason ??= `the image is dirty${lazy}: its refcounts must be rebuilt first (qemu-img check -r all)`;
    }
    let snapshots: Qcow2Snapshot[] = [];
    let snapshotTableBytes = 0;
    try {
      ({ snapshots, byteLength: snapshotTableBytes } = await readSnapshotTable(file, header));
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
      // The active image does not need the snapshot table; keep it readable, refuse writes.
      warnings.push(`snapshot table unreadable: ${e.message}`);
      readOnlyReason ??= `the snapshot table is corrupt (${e.message})`;
    }

    let backing: BlockDevice | undefined;
    let backingName: string | undefined;
    if (header.backingFile !== undefined) {
      if (!ctx.openRelated) {
        throw new FsError('EOPNOTSUPP', `qcow2: the image needs its backing file '${header.backingFile}', and this host cannot open other files`);
      }
      const related = await ctx.openRelated(header.backingFile, {
        ...(header.backingFormat ? { format: header.backingFormat } : {}),
        readOnly: true,
        role: 'qcow2 backing file',
      });
      backing = related.device;
      backingName = related.name;
    }
    return new Qcow2Device({ file, header, options, backing, backingName, snapshots, snapshotTableBytes, warnings, readOnlyReason });
  }

  async read(buf: Uint8Array, offset: number): Promise<void> {
    checkRange(F, this.size, offset, buf.length);
    if (buf.length === 0) return;
    const extents = await this.map.extents(offset, buf.length);
    const tasks: Promise<void>[] = [];
    let compressed: Extent[] | undefined;
    for (const e of extents) {
      const sub = buf.subarray(e.guest - offset, e.guest - offset + e.length);
      switch (e.kind) {
        case DATA:
          tasks.push(this.readHost(sub, e.host, e.guest));
          break;
        case ZERO:
          sub.fill(0);
          break;
        case BACKING:
          tasks.push(this.readBacking(sub, e.guest));
          break;
        case COMPRESSED:
          (compressed ??= []).push(e);
          break;
      }
    }
    if (compressed) tasks.push(this.compressed.read(compressed, buf, offset));
    const end = offset + buf.length;
    if (compressed && offset === this.lastReadEnd) this.readAhead(end, buf.length);
    this.lastReadEnd = end;
    await Promise.all(tasks);
  }

  /** A sequential reader of compressed clusters: start on the ones it reads next. */
  private readAhead(from: number, length: number): void {
    const window = Math.min(this.compressed.readAheadBytes, Math.max(4 * length, 1 << 20));
    const to = Math.min(this.size, from + window);
    if (to <= from) return;
    this.map.extents(from, to - from).then(
      (extents) => this.compressed.readAhead(extents.filter((e) => e.kind === COMPRESSED && e.length === this.header.clusterSize)),
      () => {},
    );
  }

  /** Reads data clusters; bytes past the end of the file read as zeros, as in QEMU. */
  async readHost(buf: Uint8Array, host: number, guest: number): Promise<void> {
    const fileSize = this.file.size;
    if (host >= fileSize) {
      throw corrupt(F, `data cluster for guest offset ${guest}`, host, `lies beyond the end of the file (${fileSize} bytes)`);
    }
    const n = Math.min(buf.length, fileSize - host);
    await this.file.read(n === buf.length ? buf : buf.subarray(0, n), host);
    if (n < buf.length) buf.fill(0, n);
  }

  /** Reads what the backing file holds at `guest`: zeros past its end, or without one. */
  async readBacking(buf: Uint8Array, guest: number): Promise<void> {
    const b = this.backing;
    const n = b ? Math.max(0, Math.min(buf.length, b.size - guest)) : 0;
    if (n > 0) await b!.read(n === buf.length ? buf : buf.subarray(0, n), guest);
    if (n < buf.length) buf.fill(0, n);
  }

  async blockStatus(offset: number, length: number): Promise<BlockStatus> {
    checkRange(F, this.size, offset, length);
    if (length === 0) return { kind: 'zero', length: 0 };
    const extents = await this.map.extents(offset, length, 64);
    let kind: BlockStatus['kind'] | undefined;
    let total = 0;
    const add = (k: BlockStatus['kind'], n: number): boolean => {
      kind ??= k;
      if (k !== kind) return false;
      total += n;
      return true;
    };
    for (const e of extents) {
      if (e.kind === DATA || e.kind === COMPRESSED) {
        if (!add('data', e.length)) break;
        continue;
      }
      if (e.kind === ZERO) {
        if (!add('zero', e.length)) break;
        continue;
      }
      // Unallocated here: whatever the backing file has, zeros past its end.
      const b = this.backing;
      const inBacking = b ? Math.max(0, Math.min(e.length, b.size - e.guest)) : 0;
      if (inBacking > 0) {
        const st: BlockStatus = b!.blockStatus ? await b!.blockStatus(e.guest, inBacking) : { kind: 'data', length: inBacking };
        if (!add(st.kind, st.length)) break;
        if (st.length < inBacking) break; // the backing file changes kind here
      }
      if (inBacking < e.length && !add('zero', e.length - inBacking)) break;
    }
    return { kind: kind ?? 'zero', length: Math.max(1, Math.min(total, length)) };
  }

  async write(buf: Uint8Array, offset: number): Promise<void> {
    if (this.readOnlyReason !== undefined) throw new FsError('EROFS', `qcow2: cannot write: ${this.readOnlyReason}`);
    checkRange(F, this.size, offset, buf.length);
    if (buf.length === 0) return;
    this.writer ??= new Qcow2Writer(this, this.file as ResizableDevice);
    await this.writer.write(buf, offset);
  }

  async flush(): Promise<void> {
    if (this.writer) await this.writer.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      await this.file.close();
      await this.backing?.close();
    }
  }

  describe(): DeviceDescription {
    const h = this.header;
    const parts = [`qcow2 v${h.version}`, `${formatSize(h.size)} virtual`];
    if (h.backingFile !== undefined) parts.push(`backing ${h.backingFile}`);
    if (this.snapshots.length) parts.push(`${this.snapshots.length} snapshot${this.snapshots.length > 1 ? 's' : ''}`);
    const d: DeviceDescription = {
      format: 'qcow2',
      summary: parts.join(', '),
      details: {
        version: h.version,
        virtualSize: h.size,
        clusterSize: h.clusterSize,
        compressionType: h.compression,
        extendedL2: h.extendedL2,
        refcountBits: 2 ** h.refcount_order,
        backingFile: h.backingFile,
        backingFormat: h.backingFormat,
        snapshots: this.snapshots.map((s) => ({
          id: s.id,
          name: s.name,
          date: new Date(s.date_sec * 1000).toISOString(),
          vmStateSize: s.vm_state_size,
          ...(s.disk_size !== undefined ? { virtualSize: s.disk_size } : {}),
        })),
        dirty: (h.incompatible_features & INCOMPAT_DIRTY) !== 0n,
        corrupt: (h.incompatible_features & INCOMPAT_CORRUPT) !== 0n,
        lazyRefcounts: (h.compatible_features & COMPAT_LAZY_REFCOUNTS) !== 0n,
        bitmaps: h.bitmaps?.nb_bitmaps ?? 0,
        encrypted: false,
      },
    };
    if (this.backing) {
      const b = this.backing.describe?.() ?? { format: 'unknown', summary: `${formatSize(this.backing.size)}` };
      d.backing = { ...b, ...(this.backingName !== undefined ? { name: this.backingName } : {}) };
    }
    if (this.warnings.length) d.warnings = [...this.warnings];
    return d;
  }
}

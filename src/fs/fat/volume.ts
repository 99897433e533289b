/**
 * FatVolume: one opened FAT volume below the FileSystem interface — the
 * device, the geometry from the boot sector, the FAT, FSInfo, the options,
 * and the clean/dirty state. Data moves through `readChain`/`writeChain`,
 * which turn a byte range of a cluster chain into as few device requests
 * as the clusters' contiguity allows.
 */
import { corrupt } from '../../block/corrupt.js';
import { readStructure, type BlockDevice } from '../../block/device.js';
import { FsError } from '../../errors.js';
import { realtimeClock, type Clock } from '../time.js';
import { BPB_STATE_DIRTY, parseBootSector, type FatGeometry } from './boot-sector.js';
import type { ClusterChain } from './chain.js';
import { OemCodepage } from './codepage.js';
import { FatTable } from './fat-table.js';
import { RwLock } from './lock.js';

const F = 'fat';
const FSI_LEAD_SIG = 0x41615252;
const FSI_STRUC_SIG = 0x61417272;
const FSI_TRAIL_SIG = 0xaa550000;
/** Largest single device request when reading or writing file data. */
export const MAX_IO = 4 << 20;
/** Warnings kept (the rest are counted). */
const MAX_WARNINGS = 100;

export interface FatOptions {
  /** Owner and group of every file (default 0). */
  uid?: number;
  gid?: number;
  /** Permission bits taken away from files / directories (default umask 022, like Linux's default). */
  umask?: number;
  fmask?: number;
  dmask?: number;
  /** Minutes east of UTC that on-disk local times are in (default 0, UTC). */
  tz?: number;
  /** OEM code page of short names (default 437). */
  codepage?: string;
  /** Clock for new timestamps (tests pin it). */
  clock?: Clock;
  /**
   * Before the first change, walk every directory and chain to find clusters
   * shared by two files ('auto': on volumes up to 4 Mi clusters; 'always';
   * 'never'). Files found cross-linked are then refused writes.
   */
  crossCheck?: 'auto' | 'always' | 'never';
  /** Bytes of FAT cached (default 4 MiB). */
  fatCacheBytes?: number;
}

export class FatVolume {
  readonly dev: BlockDevice;
  readonly geo: FatGeometry;
  readonly fat: FatTable;
  readonly cp: OemCodepage;
  readonly tz: number;
  readonly clock: Clock;
  readonly uid: number;
  readonly gid: number;
  readonly fmask: number;
  readonly dmask: number;
  readonly writable: boolean;
  readonly crossCheck: 'auto' | 'always' | 'never';
  readonly lock = new RwLock();
  readonly warnings: string[] = [];
  private warningCount = 0;
  /** FSInfo sector offset when its signatures are valid. */
  private readonly fsInfoOffset: number | undefined;
  /** The volume was marked dirty (or erroneous) before we opened it: leave the marks alone, like Linux. */
  wasDirty: boolean;
  /** We marked it dirty and have not cleaned it yet. */
  private markedDirty = false;
  private readonly bootState: number;

  private constructor(dev: BlockDevice, geo: FatGeometry, boot: Uint8Array, fsInfo: Uint8Array | undefined, options: FatOptions, writable: boolean) {
    this.dev = dev;
    this.geo = geo;
    this.fat = new FatTable(dev, geo, options.fatCacheBytes !== undefined ? { cacheBytes: options.fatCacheBytes } : {});
    this.cp = OemCodepage.get(options.codepage ?? '437');
    this.tz = options.tz ?? 0;
    this.clock = options.clock ?? realtimeClock;
    const umask = options.umask ?? 0o022;
    this.uid = options.uid ?? 0;
    this.gid = options.gid ?? 0;
    this.fmask = options.fmask ?? umask;
    this.dmask = options.dmask ?? umask;
    this.writable = writable;
    this.crossCheck = options.crossCheck ?? 'auto';
    for (const w of geo.warnings) this.warn(w);
    this.bootState = geo.stateOffset !== undefined ? boot[geo.stateOffset]! : 0;
    if (fsInfo) {
      const v = new DataView(fsInfo.buffer, fsInfo.byteOffset, fsInfo.byteLength);
      if (v.getUint32(0, true) === FSI_LEAD_SIG && v.getUint32(484, true) === FSI_STRUC_SIG && v.getUint32(508, true) === FSI_TRAIL_SIG) {
        this.fsInfoOffset = geo.FSInfo * geo.BytsPerSec;
        const free = v.getUint32(488, true);
        const next = v.getUint32(492, true);
        if (free <= geo.clusterCount) this.fat.freeCount = free;
        if (next >= 2 && next < this.fat.limit) this.fat.nextFree = next;
      } else this.warn('FSInfo sector signatures are wrong; free cluster count will be counted');
    }
    this.wasDirty = (this.bootState & BPB_STATE_DIRTY) !== 0;
  }

  static async open(dev: BlockDevice, options: FatOptions & { write?: boolean } = {}): Promise<FatVolume> {
    if (dev.size < 512) throw corrupt(F, 'boot sector', 0, `the device has only ${dev.size} bytes`);
    const boot = await readStructure(dev, 0, 512, 'fat: boot sector');
    const geo = parseBootSector(boot);
    const writable = options.write === true;
    if (writable && dev.readOnly) throw new FsError('EROFS', `${F}: the device is read-only`);
    let fsInfo: Uint8Array | undefined;
    if (geo.fatType === 32 && geo.FSInfo && (geo.FSInfo + 1) * geo.BytsPerSec <= dev.size) {
      fsInfo = await readStructure(dev, geo.FSInfo * geo.BytsPerSec, 512, 'fat: FSInfo sector');
    }
    const vol = new FatVolume(dev, geo, boot, fsInfo, options, writable);
    vol.fat.checkFits(writable);
    if (!geo.fatType || geo.rootDirOffset + geo.rootDirBytes > dev.size) {
      throw corrupt(F, 'root directory', geo.rootDirOffset, `ends past the end of the image (${dev.size} bytes)`);
    }
    const fat1 = await vol.fat.get(1);
    const bits = vol.fat.statusBits;
    if (bits && (!(fat1 & bits.clean) || !(fat1 & bits.noError))) {
      vol.wasDirty = true;
    }
    if (vol.wasDirty) vol.warn('the volume was not cleanly unmounted (dirty bit set); run fsck.fat');
    if (writable && dev.size < geo.TotSec * geo.BytsPerSec) {
      vol.warn(`the image (${dev.size} bytes) is shorter than the volume (${geo.TotSec * geo.BytsPerSec} bytes); clusters past its end are not used`);
    }
    return vol;
  }

  warn(message: string): void {
    this.warningCount++;
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message);
  }

  get clusterSize(): number {
    return this.geo.clusterSize;
  }

  /** Byte offset of cluster `c` (2 .. clusterCount + 1). */
  clusterOffset(c: number): number {
    return this.geo.dataOffset + (c - 2) * this.geo.clusterSize;
  }

  /**
   * Reads `buf.length` bytes at byte `pos` of a chain (mapped far enough by
   * the caller's ensure). Contiguous clusters are one device request.
   */
  async readChain(chain: ClusterChain, pos: number, buf: Uint8Array): Promise<void> {
    const cs = this.geo.clusterSize;
    let done = 0;
    while (done < buf.length) {
      const at = pos + done;
      const m = chain.lookup(Math.floor(at / cs));
      if (!m) throw corrupt(F, chain.what, undefined, `cluster chain ends before byte ${at}`);
      const within = at % cs;
      const n = Math.min(buf.length - done, m.run * cs - within, MAX_IO);
      const off = this.clusterOffset(m.cluster) + within;
      if (off + n > this.dev.size) {
        throw corrupt(F, chain.what, off, `cluster ${m.cluster + Math.floor((this.dev.size - this.clusterOffset(m.cluster)) / cs)} lies past the end of the image`);
      }
      await this.dev.read(buf.subarray(done, done + n), off);
      done += n;
    }
  }

  /** Writes `data` at byte `pos` of a chain already long enough. */
  async writeChain(chain: ClusterChain, pos: number, data: Uint8Array): Promise<void> {
    const cs = this.geo.clusterSize;
    let done = 0;
    while (done < data.length) {
      const at = pos + done;
      const m = chain.lookup(Math.floor(at / cs));
      if (!m) throw corrupt(F, chain.what, undefined, `cluster chain ends before byte ${at}`);
      const within = at % cs;
      const n = Math.min(data.length - done, m.run * cs - within, MAX_IO);
      const off = this.clusterOffset(m.cluster) + within;
      if (off + n > this.dev.size) throw corrupt(F, chain.what, off, 'cluster lies past the end of the image');
      await this.dev.write(data.subarray(done, done + n), off);
      done += n;
    }
  }

  /** Writes `length` zero bytes at byte `pos` of a chain. */
  async zeroChain(chain: ClusterChain, pos: number, length: number): Promise<void> {
    const zeros = new Uint8Array(Math.min(length, MAX_IO));
    for (let done = 0; done < length; ) {
      const n = Math.min(zeros.length, length - done);
      await this.writeChain(chain, pos + done, zeros.subarray(0, n));
      done += n;
    }
  }

  /** EROFS unless opened for writing. */
  assertWritable(op: string): void {
    if (!this.writable) throw new FsError('EROFS', `${F}: ${op}: read-only file system`);
  }

  /**
   * Marks the volume in use before its first change (boot sector state bit,
   * FAT[1] clean bit cleared, like Linux and Windows), and makes that
   * durable before anything else is written, so a crash leaves a volume
   * fsck.fat knows to check. Also counts free clusters if nobody has.
   */
  async beginChange(): Promise<void> {
    if (this.markedDirty) return;
    await this.fat.countFree();
    if (!this.wasDirty) {
      await this.setState(true);
      await this.dev.flush();
    }
    this.markedDirty = true;
  }

  private async setState(dirty: boolean): Promise<void> {
    const bits = this.fat.statusBits;
    if (bits) {
      const v = await this.fat.get(1);
      await this.fat.set(1, dirty ? v & ~bits.clean : v | bits.clean);
      await this.fat.commit();
    }
    if (this.geo.stateOffset !== undefined) {
      const state = dirty ? this.bootState | BPB_STATE_DIRTY : this.bootState & ~BPB_STATE_DIRTY;
      await this.dev.write(Uint8Array.of(state), this.geo.stateOffset);
    }
  }

  /**
   * Writes everything out: both FATs, FSInfo, then clears the dirty marks
   * (unless the volume came dirty) with a device flush on either side.
   */
  async flush(): Promise<void> {
    if (!this.writable) return;
    await this.fat.commit();
    if (!this.markedDirty) {
      await this.dev.flush();
      return;
    }
    await this.writeFsInfo();
    await this.dev.flush();
    if (!this.wasDirty) {
      await this.setState(false);
      await this.dev.flush();
    }
    this.markedDirty = false;
  }

  private async writeFsInfo(): Promise<void> {
    if (this.fsInfoOffset === undefined) return;
    const b = new Uint8Array(8);
    const v = new DataView(b.buffer);
    v.setUint32(0, this.fat.freeCount ?? 0xffffffff, true);
    v.setUint32(4, this.fat.nextFree, true);
    await this.dev.write(b, this.fsInfoOffset + 488);
  }

  /** The volume label: the root directory's label entry wins over the boot sector's, as in Windows and blkid. */
  labelFrom(rootLabel: Uint8Array | undefined): string | undefined {
    const raw = rootLabel ?? this.geo.bootLabel;
    if (!raw) return undefined;
    const bytes = raw.slice(0, 11);
    if (bytes[0] === 0x05) bytes[0] = 0xe5;
    const text = this.cp.decode(bytes).replace(/[ \0]+$/, '');
    if (!rootLabel && text === 'NO NAME') return undefined;
    return text || undefined;
  }
}

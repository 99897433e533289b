/**
 * Qcow2Writer: allocating writes with copy-on-write, one request at a time.
 *
 * For each L2 table a request touches, every guest cluster is either written
 * in place (COPIED: its refcount is exactly one) or given a new cluster whose
 * other bytes come from where the guest saw them before: the old cluster
 * (shared with a snapshot), the decompressed cluster, zeros, or the backing
 * file. With extended L2 entries only the touched subclusters are filled and
 * marked allocated; the rest keep their state.
 *
 * Order on disk, so that a process dying between any two writes leaves an
 * image with at worst leaked clusters, never a reference to a cluster that is
 * free or holds the wrong data:
 *   1. refcount increments for new clusters (and new refcount blocks) — in cache
 *   2. guest data (with copy-on-write fill) into the new / in-place clusters
 *   3. refcount blocks written
 *   4. L2 table: the changed slices in place, or a whole new table
 *   5. L1 entry for a new L2 table
 *   6. references dropped from replaced clusters (old data, compressed, shared L2), written
 * `flush()` then makes it durable (fdatasync of the file).
 */
import { dataView } from '../../binary/reader.js';
import { FsError } from '../../errors.js';
import { corrupt } from '../corrupt.js';
import { readStructure, type ResizableDevice } from '../device.js';
import type { Qcow2Device } from './device.js';
import { HEADER_FIELD } from './header.js';
import { ALL_SUBCLUSTERS, decodeL2Entry, emptyDescriptor, encodeL1Entry, encodeL2Entry, OFLAG_COPIED, type ClusterDescriptor } from './l2.js';
import { COMPRESSED, type Extent } from './mapping.js';
import { Refcounts } from './refcount.js';

/** Guest bytes handled per round (COW buffers stay bounded by this). */
const MAX_BATCH = 8 << 20;

interface ClusterPlan {
  /** Guest offset of the cluster. */
  start: number;
  /** Index of the entry in its L2 table. */
  index: number;
  /** Written range inside the cluster [a, b). */
  a: number;
  b: number;
  old: ClusterDescriptor;
  next: ClusterDescriptor;
  /** Write into a new cluster (else into old.host). */
  fresh: boolean;
  /** The new cluster's offset, once allocated. */
  target: number;
}

export class Qcow2Writer {
  private refcounts: Refcounts | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Set after a failure left memory and disk out of step: no more writes. */
  private broken: FsError | undefined;

  constructor(
    private readonly dev: Qcow2Device,
    private readonly file: ResizableDevice,
  ) {}

  /** Runs `fn` after every earlier request: metadata changes never interleave. */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  write(buf: Uint8Array, offset: number): Promise<void> {
    return this.serialize(async () => {
      if (this.broken) throw this.broken;
      try {
        await this.prepare();
        const l2Span = this.dev.map.l2Span;
        let pos = offset;
        const end = offset + buf.length;
        while (pos < end) {
          const next = Math.min(end, (Math.floor(pos / l2Span) + 1) * l2Span, pos + Math.max(MAX_BATCH, this.dev.map.clusterSize));
          await this.writeInTable(buf.subarray(pos - offset, next - offset), pos);
          pos = next;
        }
      } catch (e) {
        if (e instanceof FsError && (e.code === 'EROFS' || e.code === 'ENOSPC')) throw e;
        this.broken = e instanceof FsError ? e : new FsError('EIO', `qcow2: write failed: ${(e as Error).message}`);
        throw this.broken;
      }
    });
  }

  flush(): Promise<void> {
    return this.serialize(async () => {
      if (this.refcounts) await this.refcounts.flush();
      await this.dev.map.l2.flush();
      await this.file.flush();
    });
  }

  /** First write: load refcounts, clear autoclear bits we do not maintain (the spec's rule). */
  private async prepare(): Promise<void> {
    if (this.refcounts) return;
    const h = this.dev.header;
    const rc = await Refcounts.load(this.file, h);
    rc.onFree = (host) => {
      const map = this.dev.map;
      for (let s = 0; s < map.clusterSize; s += map.sliceBytes) map.l2.drop(host + s);
      this.dev.compressed.forget(host);
    };
    if (h.version >= 3 && h.autoclear_features !== 0n) {
      // Bitmaps (bit 0) are not updated by us: clearing the bit tells QEMU they are stale.
      await this.file.write(new Uint8Array(8), HEADER_FIELD.autoclear_features);
      await this.file.flush();
      h.autoclear_features = 0n;
    }
    this.refcounts = rc;
  }

  private async writeInTable(data: Uint8Array, guest: number): Promise<void> {
    const dev = this.dev;
    const map = dev.map;
    const rc = this.refcounts!;
    const cs = map.clusterSize;
    const l1i = Math.floor(guest / map.l2Span);
    const tableStart = l1i * map.l2Span;
    const l1e = await map.l1Entry(l1i);

    // Can the L2 table be changed in place? COPIED says so; without the flag, ask the refcount.
    let l2InPlace = false;
    if (l1e.l2 !== 0) {
      const refs = l1e.copied ? 1 : await rc.get(l1e.l2 / cs);
      if (refs === 0) throw corrupt('qcow2', `L2 table (L1 entry ${l1i})`, l1e.l2, 'has refcount 0');
      l2InPlace = refs === 1;
      // Changing a "table" that is really other metadata would destroy it.
      if (l2InPlace && this.isMetadata(l1e.l2, cs)) {
        throw corrupt('qcow2', `L1 entry ${l1i}`, dev.header.l1_table_offset + l1i * 8, `L2 table at 0x${l1e.l2.toString(16)} overlaps image metadata; refusing to write`);
      }
    }

    // Plan each touched cluster.
    const end = guest + data.length;
    const plans: ClusterPlan[] = [];
    for (let start = Math.floor(guest / cs) * cs; start < end; start += cs) {
      const index = (start - tableStart) / cs;
      const old = emptyDescriptor();
      if (l1e.l2 !== 0) {
        const si = Math.floor(index / map.sliceEntries);
        const slice = await map.l2Slice(l1e.l2, si);
        decodeL2Entry(dataView(slice), index - si * map.sliceEntries, map.format, l1e.l2 + si * map.sliceBytes, old);
        if (!l2InPlace) old.copied = false; // a shared table's clusters are shared too
      }
      const a = Math.max(guest, start) - start;
      const b = Math.min(end, start + cs) - start;
      let fresh = true;
      if (!old.compressed && old.host !== 0 && l2InPlace) {
        if (old.copied) fresh = false;
        else {
          const refs = await rc.get(old.host / cs);
          if (refs === 0) throw corrupt('qcow2', `data cluster for guest offset ${start}`, old.host, 'is referenced but has refcount 0');
          fresh = refs !== 1;
        }
      }
      const touched = this.touchedMask(a, b);
      const next: ClusterDescriptor = {
        compressed: false,
        host: fresh ? 0 : old.host,
        copied: true,
        csize: 0,
        alloc: old.compressed ? this.allMask() : (old.alloc | touched) >>> 0,
        zero: old.compressed ? 0 : (old.zero & ~touched) >>> 0,
      };
      plans.push({ start, index, a, b, old, next, fresh, target: fresh ? 0 : old.host });
    }

    // 1. Allocate: a new L2 table if needed, then the new data clusters in one run.
    const newTable = !l2InPlace;
    const l2Offset = newTable ? await rc.allocate(1) : l1e.l2;
    const freshCount = plans.filter((p) => p.fresh).length;
    if (freshCount) {
      let host = await rc.allocate(freshCount);
      for (const p of plans) {
        if (!p.fresh) continue;
        p.target = host;
        p.next.host = host;
        host += cs;
      }
    }

    // 2. Guest data and copy-on-write fill.
    await this.writeData(plans, data, guest);
    // 3. Refcounts of everything new, before anything points at it.
    await rc.flush();

    // 4. L2 entries.
    if (newTable) {
      const table = new Uint8Array(cs);
      if (l1e.l2 !== 0) {
        table.set(await readStructure(this.file, l1e.l2, cs, 'qcow2: L2 table'));
        const view = dataView(table);
        // The copy's clusters are still shared with the old table's other owners.
        for (let i = 0; i < map.l2Entries; i++) {
          const at = i * map.entryBytes;
          view.setUint32(at, (view.getUint32(at, false) & ~OFLAG_COPIED) >>> 0, false);
        }
      }
      const view = dataView(table);
      for (const p of plans) encodeL2Entry(view, p.index, map.format, p.next);
      await this.file.write(table, l2Offset);
      for (let s = 0; s < cs; s += map.sliceBytes) map.l2.put(l2Offset + s, table.subarray(s, s + map.sliceBytes));
    } else {
      for (const p of plans) {
        // Overwriting allocated data in place changes no entry: no metadata write at all.
        if (!p.old.compressed && p.old.host === p.next.host && p.old.copied && p.old.alloc === p.next.alloc && p.old.zero === p.next.zero) continue;
        const si = Math.floor(p.index / map.sliceEntries);
        const slice = await map.l2Slice(l2Offset, si);
        encodeL2Entry(dataView(slice), p.index - si * map.sliceEntries, map.format, p.next);
        map.l2.markDirty(l2Offset + si * map.sliceBytes, slice);
      }
      await map.l2.flush();
    }

    // 5. L1 entry (also when only its COPIED flag was missing).
    if (newTable || !l1e.copied) {
      const entry = new Uint8Array(8);
      encodeL1Entry(dataView(entry), 0, l2Offset, true);
      await this.file.write(entry, dev.header.l1_table_offset + l1i * 8);
      map.l1Updated(l1i, entry);
    }

    // 6. Drop the references the old mapping held.
    if (newTable && l1e.l2 !== 0) await rc.release(l1e.l2, cs);
    for (const p of plans) {
      if (!p.fresh) continue;
      if (p.old.compressed) {
        await rc.release(p.old.host, p.old.csize);
        dev.compressed.forget(p.old.host);
      } else if (p.old.host !== 0) await rc.release(p.old.host, cs);
    }
    await rc.flush();
  }

  private allMask(): number {
    return this.dev.map.subclusterSize === this.dev.map.clusterSize ? 1 : ALL_SUBCLUSTERS;
  }

  /** Subclusters (bit mask) that [a, b) touches. */
  private touchedMask(a: number, b: number): number {
    const scs = this.dev.map.subclusterSize;
    const first = Math.floor(a / scs);
    const last = Math.floor((b - 1) / scs);
    let m = 0;
    for (let s = first; s <= last; s++) m |= 1 << s;
    return m >>> 0;
  }

  /**
   * Writes each cluster's new bytes: the caller's data plus, around it, what
   * the guest saw before in every subcluster that becomes allocated.
   */
  private async writeData(plans: ClusterPlan[], data: Uint8Array, guest: number): Promise<void> {
    const map = this.dev.map;
    const cs = map.clusterSize;
    const scs = map.subclusterSize;
    const writes: Array<{ host: number; bytes: Uint8Array }> = [];
    for (const p of plans) {
      const user = data.subarray(p.start + p.a - guest, p.start + p.b - guest);
      // The span to write: from the first to the last subcluster that must hold bytes.
      let lo = p.a;
      let hi = p.b;
      const firstSc = Math.floor(p.a / scs);
      const lastSc = Math.floor((p.b - 1) / scs);
      const wasAllocated = (sc: number) => !p.old.compressed && ((p.old.alloc >>> sc) & 1) === 1;
      if (p.fresh && (p.old.compressed || (p.old.host !== 0 && p.old.alloc !== 0))) {
        // The new cluster takes over every allocated subcluster of the old one.
        const mask = p.next.alloc;
        lo = Math.min(lo, lowestBit(mask) * scs);
        hi = Math.max(hi, (highestBit(mask) + 1) * scs);
      }
      if (!wasAllocated(firstSc)) lo = Math.min(lo, firstSc * scs);
      if (!wasAllocated(lastSc)) hi = Math.max(hi, (lastSc + 1) * scs);
      hi = Math.min(hi, cs);
      if (lo === p.a && hi === p.b) {
        writes.push({ host: p.target + p.a, bytes: user });
        continue;
      }
      const span = new Uint8Array(hi - lo);
      if (p.old.compressed) {
        const whole = await this.dev.compressed.cluster(compressedExtent(p));
        span.set(whole.subarray(lo, hi));
      } else if (p.fresh && p.old.host !== 0 && p.old.alloc !== 0) {
        await this.dev.readHost(span, p.old.host + lo, p.start + lo);
      }
      // Edge subclusters that were not allocated: their unwritten part comes from zeros or the backing file.
      for (const sc of firstSc === lastSc ? [firstSc] : [firstSc, lastSc]) {
        if (wasAllocated(sc) || p.old.compressed) continue;
        const s0 = sc * scs;
        const s1 = Math.min(cs, s0 + scs);
        const zero = ((p.old.zero >>> sc) & 1) === 1;
        for (const [x, y] of [[s0, Math.min(s1, p.a)], [Math.max(s0, p.b), s1]] as const) {
          if (y <= x) continue;
          const part = span.subarray(x - lo, y - lo);
          if (zero) part.fill(0);
          else await this.dev.readBacking(part, p.start + x);
        }
      }
      span.set(user, p.a - lo);
      writes.push({ host: p.target + lo, bytes: span });
    }
    await this.checkOverlap(plans);
    // A cluster written in place may end past the end of a file cut short; the file grows to hold it.
    const end = writes.reduce((m, w) => Math.max(m, w.host + w.bytes.length), 0);
    if (end > this.file.size) await this.file.resize(end);
    // Merge writes that are contiguous in the file.
    writes.sort((x, y) => x.host - y.host);
    const runs: Array<{ host: number; parts: Uint8Array[]; length: number }> = [];
    for (const w of writes) {
      const last = runs[runs.length - 1];
      if (last && last.host + last.length === w.host) {
        last.parts.push(w.bytes);
        last.length += w.bytes.length;
      } else runs.push({ host: w.host, parts: [w.bytes], length: w.bytes.length });
    }
    await Promise.all(runs.map((r) => this.file.write(joinContiguous(r.parts, r.length), r.host)));
  }

  /** Refuses to write guest data over metadata we know of (a corrupt L2 entry would make us). */
  private async checkOverlap(plans: ClusterPlan[]): Promise<void> {
    const cs = this.dev.map.clusterSize;
    for (const p of plans) {
      if (!p.fresh && this.isMetadata(p.target, cs)) {
        throw corrupt('qcow2', `L2 entry for guest offset ${p.start}`, p.target, 'points at image metadata (header, L1 table, refcount structure or snapshot table); refusing to write');
      }
    }
  }

  /** True if [host, host+length) holds the header, the L1 table, a refcount structure or the snapshot table. */
  private isMetadata(host: number, length: number): boolean {
    const h = this.dev.header;
    const overlaps = (start: number, bytes: number) => bytes > 0 && host < start + bytes && host + length > start;
    return (
      overlaps(0, h.clusterSize) ||
      overlaps(h.l1_table_offset, h.l1_size * 8) ||
      overlaps(h.snapshots_offset, this.dev.snapshotTableBytes) ||
      this.refcounts!.overlaps(host, length)
    );
  }
}

function compressedExtent(p: ClusterPlan): Extent {
  return { kind: COMPRESSED, guest: p.start, length: 0, host: p.old.host, csize: p.old.csize, cluster: p.start };
}

function lowestBit(m: number): number {
  return 31 - Math.clz32(m & -m);
}

function highestBit(m: number): number {
  return 31 - Math.clz32(m);
}

/** Parts that are neighbouring views of one buffer are returned as one view; others are copied together. */
function joinContiguous(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const first = parts[0]!;
  let contiguous = true;
  let at = first.byteOffset + first.length;
  for (let i = 1; i < parts.length && contiguous; i++) {
    const q = parts[i]!;
    contiguous = q.buffer === first.buffer && q.byteOffset === at;
    at += q.length;
  }
  if (contiguous) return new Uint8Array(first.buffer, first.byteOffset, length);
  const out = new Uint8Array(length);
  let o = 0;
  for (const q of parts) {
    out.set(q, o);
    o += q.length;
  }
  return out;
}

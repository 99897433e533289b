/**
 * The internal snapshot table: nb_snapshots variable-length entries at
 * snapshots_offset, each 8-byte aligned. We read it to list snapshots and to
 * know which clusters hold snapshot L1 tables; the active image never needs it.
 */
import { BinaryReader } from '../../binary/reader.js';
import { corrupt } from '../corrupt.js';
import { readBytes, type BlockDevice } from '../device.js';
import { MAX_L1_BYTES, type Qcow2Header } from './header.js';

/** QEMU's limits: a snapshot table of at most 64 MiB, extra data of at most 1 KiB. */
const MAX_TABLE_BYTES = 64 << 20;
const MAX_EXTRA_DATA = 1024;

export interface Qcow2Snapshot {
  id: string;
  name: string;
  l1_table_offset: number;
  l1_size: number;
  /** Seconds since the epoch, with nanoseconds. */
  date_sec: number;
  date_nsec: number;
  vm_clock_nsec: number;
  vm_state_size: number;
  /** Virtual disk size when the snapshot was taken (v3 extra data), if stored. */
  disk_size?: number;
}

export interface SnapshotTable {
  snapshots: Qcow2Snapshot[];
  /** Bytes the table occupies from snapshots_offset. */
  byteLength: number;
}

export async function readSnapshotTable(file: BlockDevice, h: Qcow2Header): Promise<SnapshotTable> {
  if (h.nb_snapshots === 0) return { snapshots: [], byteLength: 0 };
  const start = h.snapshots_offset;
  const limit = Math.min(MAX_TABLE_BYTES, file.size - start);
  if (limit < 40) throw corrupt('qcow2', 'snapshot table', start, `lies beyond the end of the file (${file.size} bytes)`);
  // Grow the window as entries need it: the table's length is only known by walking it.
  let window = await readBytes(file, start, Math.min(limit, 64 << 10));
  const need = async (end: number): Promise<BinaryReader> => {
    if (end > limit) throw corrupt('qcow2', 'snapshot table', start, `runs past ${end > MAX_TABLE_BYTES ? 'the 64 MiB limit' : 'the end of the file'}`);
    if (end > window.length) window = await readBytes(file, start, Math.min(limit, Math.max(end, window.length * 2)));
    return new BinaryReader(window, 'qcow2 snapshot table');
  };
  const snapshots: Qcow2Snapshot[] = [];
  let p = 0;
  for (let i = 0; i < h.nb_snapshots; i++) {
    let r = await need(p + 40);
    const idLen = r.u16be(p + 12);
    const nameLen = r.u16be(p + 14);
    const extra = r.u32be(p + 36);
    if (extra > MAX_EXTRA_DATA) throw corrupt('qcow2', `snapshot ${i}`, start + p, `extra_data_size ${extra} exceeds ${MAX_EXTRA_DATA}`);
    // The padding after the last entry may be missing at the end of the file.
    const used = 40 + extra + idLen + nameLen;
    const entryLen = Math.ceil(used / 8) * 8;
    r = await need(p + used);
    const s: Qcow2Snapshot = {
      l1_table_offset: r.u64be(p),
      l1_size: r.u32be(p + 8),
      date_sec: r.u32be(p + 16),
      date_nsec: r.u32be(p + 20),
      vm_clock_nsec: r.u64be(p + 24),
      vm_state_size: r.u32be(p + 32),
      id: r.utf8(p + 40 + extra, idLen),
      name: r.utf8(p + 40 + extra + idLen, nameLen),
    };
    if (extra >= 8) s.vm_state_size = r.u64be(p + 40);
    if (extra >= 16) s.disk_size = r.u64be(p + 48);
    if (s.l1_table_offset % h.clusterSize !== 0 || s.l1_size * 8 > MAX_L1_BYTES || s.l1_table_offset + s.l1_size * 8 > file.size) {
      throw corrupt('qcow2', `snapshot ${i} ('${s.name}') L1 table`, s.l1_table_offset, `${s.l1_size} entries: misaligned, too large or past the end of the file`);
    }
    snapshots.push(s);
    p += entryLen;
  }
  return { snapshots, byteLength: p };
}

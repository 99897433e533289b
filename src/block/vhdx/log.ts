/**
 * VHDX log replay, in memory. A writer that crashed (or Hyper-V still
 * holding the disk) may leave metadata updates only in the log: the header's
 * LogGuid is then non-zero and the active log sequence must be applied
 * before the BAT and metadata are right. We never write the image, so the
 * replayed sectors become an overlay over the file: LogOverlayDevice.
 *
 * The active sequence: among valid entries (signature, CRC-32C, LogGuid,
 * consistent descriptor and data sectors), the one with the highest
 * sequence number whose Tail leads, entry after entry with consecutive
 * sequence numbers, back to it. Entries may wrap around the log's end.
 */
import { BinaryReader } from '../../binary/reader.js';
import { corrupt, unsupported } from '../corrupt.js';
import { checkRange, readOnlyError, readStructure, type BlockDevice } from '../device.js';
import { crc32c } from '../../util/crc32.js';
import { guidAt, type VhdxHeader } from './header.js';

const PAGE = 4096;
/** Logs are 1 MiB in practice; reading more than this into memory is refused. */
const MAX_LOG_BYTES = 64 << 20;
/** Bound on the sequence search, so a log full of crafted entries cannot take long. */
const MAX_SEARCH_STEPS = 1 << 20;

interface Descriptor {
  kind: 'zero' | 'data';
  fileOffset: number;
  /** zero: bytes to zero; data: the 4 KiB page to write. */
  zeroLength: number;
  page?: Uint8Array;
}

interface Entry {
  at: number;
  length: number;
  tail: number;
  seq: bigint;
  descriptors: Descriptor[];
}

export interface LogReplay {
  overlay: LogOverlayDevice;
  entries: number;
  sequence: bigint;
}

/** Replays the log if it holds an active sequence; undefined if there is nothing to apply. */
export async function replayLog(file: BlockDevice, h: VhdxHeader): Promise<LogReplay | undefined> {
  if (h.logLength > MAX_LOG_BYTES) throw unsupported('vhdx', `log of ${h.logLength} bytes needs replay (over the ${MAX_LOG_BYTES}-byte limit of in-memory replay)`);
  const log = await readStructure(file, h.logOffset, h.logLength, 'vhdx: log');
  const L = log.length;
  const circ = (off: number, n: number): Uint8Array => {
    if (off + n <= L) return log.subarray(off, off + n);
    const out = new Uint8Array(n);
    out.set(log.subarray(off));
    out.set(log.subarray(0, n - (L - off)), L - off);
    return out;
  };
  const entries = new Map<number, Entry>();
  for (let off = 0; off < L; off += PAGE) {
    const e = parseEntry(circ, off, L, h.logGuid);
    if (e) entries.set(off, e);
  }
  // Try heads from the highest sequence number down; the first complete sequence is the active one.
  const heads = [...entries.values()].sort((a, b) => (a.seq < b.seq ? 1 : a.seq > b.seq ? -1 : 0));
  let steps = 0;
  for (const head of heads) {
    const seqList: Entry[] = [];
    let cur = entries.get(head.tail);
    let prev: bigint | undefined;
    while (cur) {
      if (++steps > MAX_SEARCH_STEPS) throw corrupt('vhdx', 'log', h.logOffset, 'too many entries to search for the active sequence');
      if (prev !== undefined && cur.seq !== prev + 1n) break;
      seqList.push(cur);
      if (cur === head) break;
      if (seqList.length > L / PAGE) break;
      prev = cur.seq;
      cur = entries.get((cur.at + cur.length) % L);
    }
    if (seqList[seqList.length - 1] !== head) continue;
    return { overlay: buildOverlay(file, seqList), entries: seqList.length, sequence: head.seq };
  }
  return undefined;
}

function parseEntry(circ: (off: number, n: number) => Uint8Array, at: number, L: number, logGuid: string): Entry | undefined {
  const hdr = new BinaryReader(circ(at, 64), 'vhdx log entry');
  if (hdr.ascii(0, 4) !== 'loge') return undefined;
  const length = hdr.u32le(8);
  const tail = hdr.u32le(12);
  const seq = hdr.big64le(16);
  const count = hdr.u32le(24);
  if (length < PAGE || length % PAGE !== 0 || length > L || tail % PAGE !== 0 || tail >= L) return undefined;
  if (guidAt(hdr, 32) !== logGuid) return undefined;
  const descSectors = Math.ceil((64 + 32 * count) / PAGE);
  if (descSectors * PAGE > length) return undefined;
  const bytes = circ(at, length).slice();
  const stored = hdr.u32le(4);
  bytes.fill(0, 4, 8);
  if (crc32c(bytes) !== stored) return undefined;
  const r = new BinaryReader(bytes, 'vhdx log entry');
  const descriptors: Descriptor[] = [];
  let dataSector = descSectors;
  for (let i = 0; i < count; i++) {
    const o = 64 + 32 * i;
    const sig = r.ascii(o, 4);
    if (r.big64le(o + 24) !== seq) return undefined;
    const fileOffset = r.u64le(o + 16);
    if (fileOffset % PAGE !== 0) return undefined;
    if (sig === 'zero') {
      const zeroLength = r.u64le(o + 8);
      if (zeroLength % PAGE !== 0) return undefined;
      descriptors.push({ kind: 'zero', fileOffset, zeroLength });
    } else if (sig === 'desc') {
      const so = dataSector * PAGE;
      if (so + PAGE > length || r.ascii(so, 4) !== 'data') return undefined;
      if (BigInt(r.u32le(so + 4)) !== seq >> 32n || BigInt(r.u32le(so + PAGE - 4)) !== (seq & 0xffffffffn)) return undefined;
      const page = new Uint8Array(PAGE);
      page.set(bytes.subarray(o + 8, o + 16), 0); // LeadingBytes
      page.set(bytes.subarray(so + 8, so + PAGE - 4), 8);
      page.set(bytes.subarray(o + 4, o + 8), PAGE - 4); // TrailingBytes
      descriptors.push({ kind: 'data', fileOffset, zeroLength: 0, page });
      dataSector++;
    } else return undefined;
  }
  if (dataSector * PAGE !== length) return undefined;
  return { at, length, tail, seq, descriptors };
}

function buildOverlay(file: BlockDevice, seq: Entry[]): LogOverlayDevice {
  const pages = new Map<number, Uint8Array>();
  const zeros: Array<[start: number, end: number]> = [];
  for (const e of seq) {
    for (const d of e.descriptors) {
      if (d.kind === 'data') {
        pages.set(d.fileOffset / PAGE, d.page!);
      } else {
        const start = d.fileOffset;
        const end = d.fileOffset + d.zeroLength;
        if (!Number.isSafeInteger(end) || end > 2 ** 50) throw corrupt('vhdx', 'log zero descriptor', start, `length ${d.zeroLength} is absurd`);
        // A zero descriptor overrides earlier pages; pages written later override it (they stay in the map).
        for (const p of [...pages.keys()]) if (p * PAGE >= start && p * PAGE < end) pages.delete(p);
        zeros.push([start, end]);
      }
    }
  }
  return new LogOverlayDevice(file, pages, zeros);
}

/** The image file as it reads after log replay: replayed pages over the file, never written back. */
export class LogOverlayDevice implements BlockDevice {
  readonly size: number;
  readonly sectorSize: number;
  readonly readOnly = true;

  constructor(
    private readonly file: BlockDevice,
    private readonly pages: Map<number, Uint8Array>,
    private readonly zeros: Array<[number, number]>,
  ) {
    let end = file.size;
    for (const p of pages.keys()) end = Math.max(end, (p + 1) * PAGE);
    for (const [, e] of zeros) end = Math.max(end, Math.min(e, file.size));
    this.size = end;
    this.sectorSize = file.sectorSize;
  }

  get patchedPages(): number {
    return this.pages.size;
  }

  async read(buf: Uint8Array, offset: number): Promise<void> {
    checkRange('vhdx log overlay', this.size, offset, buf.length);
    const end = offset + buf.length;
    const have = Math.max(0, Math.min(buf.length, this.file.size - offset));
    if (have > 0) await this.file.read(buf.subarray(0, have), offset);
    buf.fill(0, have);
    for (const [s, e] of this.zeros) {
      const a = Math.max(s, offset);
      const b = Math.min(e, end);
      if (a < b) buf.fill(0, a - offset, b - offset);
    }
    if (this.pages.size === 0) return;
    for (let p = Math.floor(offset / PAGE); p * PAGE < end; p++) {
      const page = this.pages.get(p);
      if (!page) continue;
      const a = Math.max(p * PAGE, offset);
      const b = Math.min((p + 1) * PAGE, end);
      buf.set(page.subarray(a - p * PAGE, b - p * PAGE), a - offset);
    }
  }

  async write(): Promise<void> {
    throw readOnlyError('vhdx log overlay');
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {
    await this.file.close();
  }
}

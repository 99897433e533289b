/**
 * Handlers for open files: OPEN, READ, WRITE, FLUSH, RELEASE, FSYNC,
 * LSEEK, FALLOCATE, COPY_FILE_RANGE.
 */
import { FsError } from '../../errors.js';
import { O_TRUNC, wantsWrite } from '../../fs/flags.js';
import { isReg } from '../../fs/mode.js';
import { readOnlyError } from '../../fs/readonly.js';
import type { Body } from './opcodes.js';
import {
  FOPEN_DIRECT_IO, FOPEN_KEEP_CACHE, FUSE_LSEEK_OUT_SIZE, FUSE_OPEN_OUT_SIZE, FUSE_RELEASE_FLUSH, FUSE_FSYNC_FDATASYNC, FUSE_WRITE_OUT_SIZE,
  encodeOpenOut, setU64,
  type fuse_copy_file_range_in, type fuse_fallocate_in, type fuse_fsync_in, type fuse_lseek_in, type fuse_open_in, type fuse_read_in,
  type fuse_release_in, type fuse_write_in,
} from './protocol.js';
import { safeOffset, type FuseRequest, type FuseSession } from './session.js';

const SEEK_DATA = 3;
const SEEK_HOLE = 4;
const FALLOC_FL_KEEP_SIZE = 0x01;
const FALLOC_FL_PUNCH_HOLE = 0x02;
const FALLOC_FL_ZERO_RANGE = 0x10;
const CHUNK = 1 << 20;
/** Reads above this size reuse pooled buffers instead of allocating (and zeroing) each time. */
const POOLED = 64 << 10;
const POOL_MAX = 16;
const pool: Uint8Array[] = [];

function takeBuffer(size: number, r: FuseRequest): Uint8Array {
  if (size <= POOLED) return new Uint8Array(size);
  let buf = pool.pop();
  if (!buf || buf.length < size) buf = new Uint8Array(Math.max(size, CHUNK));
  const b = buf;
  r.after = () => {
    if (pool.length < POOL_MAX) pool.push(b);
  };
  return buf;
}

export function openOut(s: FuseSession, fh: number, mode: number): Uint8Array[] {
  let flags = 0;
  if (isReg(mode) && s.cache.keepCache) flags |= FOPEN_KEEP_CACHE;
  if (s.directIo) flags |= FOPEN_DIRECT_IO;
  const out = new Uint8Array(FUSE_OPEN_OUT_SIZE);
  encodeOpenOut(new DataView(out.buffer), 0, fh, flags);
  return [out];
}

/** The handle a request names; with zero-message opens the kernel sends fh 0 and we read by inode. */
function fileHandle(s: FuseSession, r: FuseRequest, fh: number, what: string): { ino: number; fh: number } {
  if (fh === 0 && s.noOpen) return { ino: s.node(r.header.nodeid).ino, fh: 0 };
  return s.handles.get(fh, false, what);
}

export async function open(s: FuseSession, r: FuseRequest, a: fuse_open_in): Promise<Body> {
  if (s.noOpen) throw new FsError('ENOSYS', 'fuse: opens need no message here');
  const node = s.node(r.header.nodeid);
  const write = wantsWrite(a.flags) || (a.flags & O_TRUNC) !== 0;
  if (write && s.readOnly) throw new FsError('EROFS', `fuse: open for writing: read-only mount`);
  const fh = s.fs.open ? await s.fs.open(node.ino, a.flags) : 0;
  let attr;
  try {
    // ATOMIC_O_TRUNC: the truncation is ours; Linux sets mtime and ctime even when the file was empty.
    if (a.flags & O_TRUNC && wantsWrite(a.flags)) {
      if (!s.fs.setattr) throw readOnlyError(s.fs, 'truncate');
      attr = await s.fs.setattr(node.ino, { size: 0, mtime: 'now', ctime: 'now' }, fh);
    } else attr = await s.fs.getattr(node.ino, fh);
  } catch (e) {
    await s.fs.release?.(node.ino, fh).catch(() => undefined);
    throw e;
  }
  const id = s.handles.add({ ino: node.ino, fh, flags: a.flags, dir: false });
  r.undo = () => {
    s.handles.remove(id);
    void s.fs.release?.(node.ino, fh).catch(() => undefined);
  };
  return openOut(s, id, attr.mode);
}

export async function read(s: FuseSession, r: FuseRequest, a: fuse_read_in): Promise<Body> {
  const h = fileHandle(s, r, a.fh, 'read');
  const size = Math.min(a.size, s.maxWrite);
  const pos = safeOffset(a.offset, 'read offset');
  const buf = takeBuffer(size, r);
  const n = await s.fs.read(h.ino, h.fh, buf.subarray(0, size), pos);
  return [buf.subarray(0, n)];
}

function writeOut(n: number): Body {
  const out = new Uint8Array(FUSE_WRITE_OUT_SIZE);
  new DataView(out.buffer).setUint32(0, n, true);
  return [out];
}

export async function write(s: FuseSession, r: FuseRequest, a: fuse_write_in): Promise<Body> {
  const h = s.handles.get(a.fh, false, 'write');
  if (r.rest.length < a.size) throw new FsError('EINVAL', `fuse: WRITE says ${a.size} bytes, carries ${r.rest.length}`);
  const pos = safeOffset(a.offset, 'write offset');
  if (!s.fs.write) throw readOnlyError(s.fs, 'write');
  return writeOut(await s.fs.write(h.ino, h.fh, r.rest.subarray(0, a.size), pos));
}

/** Nothing to do at close: ENOSYS, which the kernel remembers, saves a round trip per close(2). */
export async function flush(): Promise<Body> {
  throw new FsError('ENOSYS', 'fuse: flush has nothing to do');
}

export async function release(s: FuseSession, _r: FuseRequest, a: fuse_release_in): Promise<Body> {
  const h = s.handles.remove(a.fh);
  if (h && !h.dir) {
    if (a.release_flags & FUSE_RELEASE_FLUSH && wantsWrite(h.flags)) await s.fs.fsync?.(h.ino, h.fh, true);
    await s.fs.release?.(h.ino, h.fh);
  }
  return [];
}

export async function fsync(s: FuseSession, r: FuseRequest, a: fuse_fsync_in): Promise<Body> {
  const node = s.node(r.header.nodeid);
  const fh = s.handles.find(a.fh, false)?.fh ?? 0;
  await s.fs.fsync?.(node.ino, fh, (a.fsync_flags & FUSE_FSYNC_FDATASYNC) !== 0);
  return [];
}

/**
 * SEEK_DATA and SEEK_HOLE (the kernel handles SET, CUR and END itself).
 * Drivers do not report holes, so a file is data up to its size and one
 * hole after it, as Linux's generic_file_llseek says.
 */
export async function lseek(s: FuseSession, r: FuseRequest, a: fuse_lseek_in): Promise<Body> {
  const node = s.node(r.header.nodeid);
  if (a.whence !== SEEK_DATA && a.whence !== SEEK_HOLE) throw new FsError('EINVAL', `fuse: lseek whence ${a.whence}`);
  const { size } = await s.fs.getattr(node.ino, a.fh ? s.handles.get(a.fh, false, 'lseek').fh : undefined);
  if (a.offset < 0 || a.offset >= size) throw new FsError('ENXIO', `fuse: lseek: offset ${a.offset} is at or past the end (${size})`);
  const out = new Uint8Array(FUSE_LSEEK_OUT_SIZE);
  setU64(new DataView(out.buffer), 0, a.whence === SEEK_DATA ? a.offset : size);
  return [out];
}

/** Writes zeros over [from, to), a chunk at a time. */
async function zeroRange(s: FuseSession, ino: number, fh: number, from: number, to: number): Promise<void> {
  const zeros = new Uint8Array(Math.min(CHUNK, Math.max(0, to - from)));
  for (let at = from; at < to; at += zeros.length) await s.fs.write!(ino, fh, zeros.subarray(0, Math.min(zeros.length, to - at)), at);
}

/**
 * fallocate: drivers cannot reserve space, so mode 0 only makes the size
 * right, KEEP_SIZE alone is a no-op, and PUNCH_HOLE / ZERO_RANGE write
 * zeros (the bytes read back right; the space is not given back).
 */
export async function fallocate(s: FuseSession, r: FuseRequest, a: fuse_fallocate_in): Promise<Body> {
  const h = s.handles.get(a.fh, false, 'fallocate');
  const from = safeOffset(a.offset, 'fallocate offset');
  const end = safeOffset(a.offset + a.length, 'fallocate end');
  if (!s.fs.write || !s.fs.setattr) throw readOnlyError(s.fs, 'fallocate');
  const keep = (a.mode & FALLOC_FL_KEEP_SIZE) !== 0;
  const { size } = await s.fs.getattr(h.ino, h.fh);
  const kind = a.mode & ~FALLOC_FL_KEEP_SIZE;
  if (kind === 0) {
    if (!keep && end > size) await s.fs.setattr(h.ino, { size: end }, h.fh);
  } else if (kind === FALLOC_FL_PUNCH_HOLE && keep) {
    await zeroRange(s, h.ino, h.fh, from, Math.min(end, size));
  } else if (kind === FALLOC_FL_ZERO_RANGE) {
    await zeroRange(s, h.ino, h.fh, from, keep ? Math.min(end, size) : end);
  } else {
    throw new FsError('EOPNOTSUPP', `fuse: fallocate mode 0x${a.mode.toString(16)} is not supported`);
  }
  return [];
}

/** Copies inside the process instead of through the caller's buffers. */
export async function copyFileRange(s: FuseSession, r: FuseRequest, a: fuse_copy_file_range_in): Promise<Body> {
  const src = s.handles.get(a.fh_in, false, 'copy_file_range');
  const dst = s.handles.get(a.fh_out, false, 'copy_file_range');
  if (!s.fs.write) throw readOnlyError(s.fs, 'copy_file_range');
  let from = safeOffset(a.off_in, 'copy_file_range offset');
  let to = safeOffset(a.off_out, 'copy_file_range offset');
  // The reply's count is 32 bits; the kernel loops for the rest.
  let left = Math.min(a.len, 1 << 30);
  const buf = new Uint8Array(Math.min(CHUNK, left));
  let copied = 0;
  while (left > 0) {
    const n = await s.fs.read(src.ino, src.fh, buf.subarray(0, Math.min(buf.length, left)), from);
    if (n === 0) break;
    await s.fs.write(dst.ino, dst.fh, buf.subarray(0, n), to);
    from += n;
    to += n;
    left -= n;
    copied += n;
  }
  return writeOut(copied);
}

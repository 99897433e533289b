/**
 * Handlers for the session and for inodes as such: INIT, DESTROY,
 * INTERRUPT, LOOKUP, FORGET, BATCH_FORGET, GETATTR, SETATTR, READLINK,
 * STATFS, ACCESS.
 */
import { FsError, isFsError } from '../../errors.js';
import type { SetattrRequest } from '../../fs/filesystem.js';
import { readOnlyError } from '../../fs/readonly.js';
import { utf8Encoder } from '../../binary/reader.js';
import { validity } from './attr.js';
import type { Body } from './opcodes.js';
import {
  FATTR_ATIME, FATTR_ATIME_NOW, FATTR_CTIME, FATTR_FH, FATTR_GID, FATTR_MODE, FATTR_MTIME, FATTR_MTIME_NOW, FATTR_SIZE, FATTR_UID,
  FUSE_ASYNC_DIO, FUSE_ASYNC_READ, FUSE_ATOMIC_O_TRUNC, FUSE_ATTR_OUT_SIZE, FUSE_AUTO_INVAL_DATA, FUSE_BIG_WRITES, FUSE_CACHE_SYMLINKS,
  FUSE_DO_READDIRPLUS, FUSE_ENTRY_OUT_SIZE, FUSE_EXPORT_SUPPORT, FUSE_FORGET_ONE_SIZE, FUSE_GETATTR_FH, FUSE_INIT_EXT, FUSE_INIT_OUT_SIZE,
  FUSE_KERNEL_MINOR_VERSION, FUSE_KERNEL_VERSION, FUSE_MAX_PAGES, FUSE_NO_OPENDIR_SUPPORT, FUSE_NO_OPEN_SUPPORT, FUSE_PARALLEL_DIROPS, FUSE_READDIRPLUS_AUTO, FUSE_STATFS_OUT_SIZE,
  FUSE_WRITEBACK_CACHE, encodeAttrOut, encodeEntryOut, encodeInitOut, encodeStatfsOut, getU64,
  type fuse_access_in, type fuse_batch_forget_in, type fuse_forget_in, type fuse_getattr_in, type fuse_init_in, type fuse_setattr_in,
} from './protocol.js';
import { safeOffset, type FuseRequest, type FuseSession } from './session.js';

const PAGE = 4096;

export async function init(s: FuseSession, _r: FuseRequest, a: fuse_init_in): Promise<Body> {
  if (a.major !== FUSE_KERNEL_VERSION) throw new FsError('EPROTO', `fuse: kernel speaks protocol ${a.major}.${a.minor}, we speak 7.x`);
  s.minor = Math.min(a.minor, FUSE_KERNEL_MINOR_VERSION);
  let want = FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_EXPORT_SUPPORT | FUSE_BIG_WRITES | FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO
    | FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES | FUSE_ASYNC_DIO | FUSE_INIT_EXT;
  // Data that changes only through us stays valid in the page cache; otherwise let size/mtime changes drop it.
  if (!s.cache.keepCache) want |= FUSE_AUTO_INVAL_DATA;
  if (s.cache.cacheDirs) want |= FUSE_CACHE_SYMLINKS;
  if (s.writebackCache) want |= FUSE_WRITEBACK_CACHE;
  // Zero-message opens where opening means nothing to the driver and the data never changes.
  const immutable = s.readOnly && s.fs.capabilities.consistency === 'immutable';
  if (immutable && !s.directIo && !s.fs.open && !s.fs.release) want |= FUSE_NO_OPEN_SUPPORT;
  if (immutable && !s.fs.opendir && !s.fs.releasedir) want |= FUSE_NO_OPENDIR_SUPPORT;
  const flags = (want & a.flags) >>> 0;
  s.noOpen = (flags & FUSE_NO_OPEN_SUPPORT) !== 0;
  s.noOpendir = (flags & FUSE_NO_OPENDIR_SUPPORT) !== 0;
  const maxPages = Math.max(1, Math.min(256, Math.floor(s.maxWrite / PAGE)));
  const out = new Uint8Array(FUSE_INIT_OUT_SIZE);
  encodeInitOut(new DataView(out.buffer), 0, {
    major: FUSE_KERNEL_VERSION,
    minor: s.minor,
    max_readahead: Math.min(a.max_readahead, maxPages * PAGE),
    flags,
    max_background: 64,
    congestion_threshold: 48,
    max_write: maxPages * PAGE,
    time_gran: 1,
    max_pages: maxPages,
    flags2: 0,
  });
  s.debug?.(`fuse: INIT kernel ${a.major}.${a.minor} flags 0x${a.flags.toString(16)}, agreed 7.${s.minor} flags 0x${flags.toString(16)}`);
  return [out];
}

export async function destroy(s: FuseSession): Promise<Body> {
  s.destroyed = true;
  await s.teardown();
  await s.fs.destroy?.();
  return [];
}

export async function interrupt(): Promise<Body> {
  // Driver calls cannot be cancelled; they finish and reply normally.
  return null;
}

export async function lookup(s: FuseSession, r: FuseRequest): Promise<Body> {
  const parent = s.node(r.header.nodeid);
  const name = r.names[0]!;
  // Lookups of '.' and '..' come only from NFS export (EXPORT_SUPPORT); drivers never see them.
  if (name === '.' || name === '..') {
    const target = name === '.' ? parent : s.node(parent.parent);
    const attr = await s.fs.getattr(target.ino);
    return s.entryOut(r, target.parent, { ino: target.ino, attr }, false);
  }
  try {
    const entry = await s.fs.lookup(parent.ino, name);
    return s.entryOut(r, parent.nodeid, entry);
  } catch (e) {
    if (isFsError(e, 'ENOENT') && s.cache.negativeTimeout > 0) return negativeEntry(s);
    throw e;
  }
}

function negativeEntry(s: FuseSession): Body {
  const out = new Uint8Array(FUSE_ENTRY_OUT_SIZE);
  encodeEntryOut(new DataView(out.buffer), 0, {
    nodeid: 0, generation: 0, entry_valid: validity(s.cache.negativeTimeout), attr_valid: validity(0),
    attr: { ino: 0, size: 0, blocks: 0, atime: 0, mtime: 0, ctime: 0, atimensec: 0, mtimensec: 0, ctimensec: 0, mode: 0, nlink: 0, uid: 0, gid: 0, rdev: 0, blksize: 0 },
  });
  return [out];
}

export async function forget(s: FuseSession, r: FuseRequest, a: fuse_forget_in): Promise<Body> {
  s.forget(r.header.nodeid, a.nlookup);
  return null;
}

export async function batchForget(s: FuseSession, r: FuseRequest, a: fuse_batch_forget_in): Promise<Body> {
  const count = Math.min(a.count, Math.floor(r.rest.length / FUSE_FORGET_ONE_SIZE));
  const v = new DataView(r.rest.buffer, r.rest.byteOffset, r.rest.byteLength);
  for (let i = 0; i < count; i++) s.forget(getU64(v, i * FUSE_FORGET_ONE_SIZE), getU64(v, i * FUSE_FORGET_ONE_SIZE + 8));
  return null;
}

function attrOut(s: FuseSession, st: Parameters<FuseSession['attr']>[0]): Body {
  const out = new Uint8Array(FUSE_ATTR_OUT_SIZE);
  encodeAttrOut(new DataView(out.buffer), 0, validity(s.cache.attrTimeout), s.attr(st));
  return [out];
}

export async function getattr(s: FuseSession, r: FuseRequest, a: fuse_getattr_in): Promise<Body> {
  const node = s.node(r.header.nodeid);
  const fh = a.getattr_flags & FUSE_GETATTR_FH ? s.handles.find(a.fh, false)?.fh : undefined;
  return attrOut(s, await s.fs.getattr(node.ino, fh));
}

export async function setattr(s: FuseSession, r: FuseRequest, a: fuse_setattr_in): Promise<Body> {
  const node = s.node(r.header.nodeid);
  const changes: SetattrRequest = {};
  if (a.valid & FATTR_MODE) changes.mode = a.mode & 0o7777;
  if (a.valid & FATTR_UID) changes.uid = a.uid;
  if (a.valid & FATTR_GID) changes.gid = a.gid;
  if (a.valid & FATTR_SIZE) {
    changes.size = safeOffset(a.size, 'truncate size');
    // The kernel leaves mtime out for ftruncate and expects the filesystem to set it, as Linux
    // filesystems do on every truncate, even to the same size.
    if (!(a.valid & FATTR_MTIME)) changes.mtime = 'now';
  }
  if (a.valid & FATTR_ATIME) changes.atime = a.valid & FATTR_ATIME_NOW ? 'now' : { sec: a.atime, nsec: a.atimensec };
  if (a.valid & FATTR_MTIME) changes.mtime = a.valid & FATTR_MTIME_NOW ? 'now' : { sec: a.mtime, nsec: a.mtimensec };
  if (a.valid & FATTR_CTIME) changes.ctime = { sec: a.ctime, nsec: a.ctimensec };
  const fh = a.valid & FATTR_FH ? s.handles.find(a.fh, false)?.fh : undefined;
  if (!s.fs.setattr) throw readOnlyError(s.fs, 'setattr');
  if (Object.keys(changes).length === 0) return attrOut(s, await s.fs.getattr(node.ino, fh));
  return attrOut(s, await s.fs.setattr(node.ino, changes, fh));
}

export async function readlink(s: FuseSession, r: FuseRequest): Promise<Body> {
  return [utf8Encoder.encode(await s.fs.readlink(s.node(r.header.nodeid).ino))];
}

export async function statfs(s: FuseSession): Promise<Body> {
  const st = await s.fs.statfs();
  const out = new Uint8Array(FUSE_STATFS_OUT_SIZE);
  encodeStatfsOut(new DataView(out.buffer), 0, {
    blocks: st.blocks, bfree: st.bfree, bavail: st.bavail, files: st.files, ffree: st.ffree,
    bsize: st.bsize, namelen: st.namemax, frsize: st.frsize,
  });
  return [out];
}

/**
 * With default_permissions (always on) the kernel checks permissions and
 * never sends ACCESS; if it does, existence is all we can add.
 */
export async function access(s: FuseSession, r: FuseRequest, a: fuse_access_in): Promise<Body> {
  await s.fs.getattr(s.node(r.header.nodeid).ino);
  if (a.mask & 2 && s.readOnly) throw new FsError('EROFS', 'fuse: access: read-only mount');
  return [];
}

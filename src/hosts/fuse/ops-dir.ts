/**
 * Handlers for directories: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR,
 * FSYNCDIR. The kernel's readdir offset is the driver's cookie: each
 * fuse_dirent carries the cookie that resumes after it, so a listing
 * continues exactly where the kernel's buffer ran full.
 */
import { FsError, isFsError } from '../../errors.js';
import type { DirEntry } from '../../fs/filesystem.js';
import { utf8Encoder } from '../../binary/reader.js';
import { validity } from './attr.js';
import type { Body } from './opcodes.js';
import {
  FOPEN_CACHE_DIR, FUSE_DIRENTPLUS_HEADER_SIZE, FUSE_DIRENT_HEADER_SIZE, FUSE_ENTRY_OUT_SIZE, FUSE_OPEN_OUT_SIZE, alignDirent,
  encodeDirent, encodeEntryOut, encodeOpenOut, type fuse_open_in, type fuse_read_in, type fuse_release_in,
} from './protocol.js';
import { safeOffset, type FuseRequest, type FuseSession } from './session.js';

export async function opendir(s: FuseSession, r: FuseRequest, a: fuse_open_in): Promise<Body> {
  if (s.noOpendir) throw new FsError('ENOSYS', 'fuse: opendir needs no message here');
  const node = s.node(r.header.nodeid);
  const fh = s.fs.opendir ? await s.fs.opendir(node.ino) : 0;
  const id = s.handles.add({ ino: node.ino, fh, flags: a.flags, dir: true });
  r.undo = () => {
    s.handles.remove(id);
    void s.fs.releasedir?.(node.ino, fh).catch(() => undefined);
  };
  const out = new Uint8Array(FUSE_OPEN_OUT_SIZE);
  encodeOpenOut(new DataView(out.buffer), 0, id, s.cache.cacheDirs ? FOPEN_CACHE_DIR : 0);
  return [out];
}

/** Entries after `cookie`, as many as could fit in `size` bytes at `minEntry` bytes each. */
async function entries(s: FuseSession, r: FuseRequest, a: fuse_read_in, minEntry: number): Promise<{ dirIno: number; list: DirEntry[] }> {
  const h = a.fh === 0 && s.noOpendir ? { ino: s.node(r.header.nodeid).ino, fh: 0 } : s.handles.get(a.fh, true, 'readdir');
  const cookie = safeOffset(a.offset, 'readdir offset');
  const limit = Math.max(1, Math.floor(a.size / minEntry));
  return { dirIno: h.ino, list: await s.fs.readdir(h.ino, h.fh, cookie, limit) };
}

export async function readdir(s: FuseSession, r: FuseRequest, a: fuse_read_in): Promise<Body> {
  const { list } = await entries(s, r, a, FUSE_DIRENT_HEADER_SIZE + 8);
  const out = new Uint8Array(a.size);
  const v = new DataView(out.buffer);
  let used = 0;
  for (const e of list) {
    const name = utf8Encoder.encode(e.name);
    const size = alignDirent(FUSE_DIRENT_HEADER_SIZE + name.length);
    if (used + size > out.length) break;
    used += encodeDirent(v, used, e.ino, e.next, e.type, name);
  }
  return [out.subarray(0, used)];
}

/**
 * READDIRPLUS: each entry with its inode and attributes, so `ls -l` needs
 * no LOOKUP per name. Each entry with a nodeid is a lookup the kernel
 * counts (except '.' and '..', sent with nodeid 0, which it skips); an
 * entry whose lookup fails (a corrupt inode) goes out with nodeid 0 too,
 * and the kernel's own LOOKUP then gets the error for that name alone.
 */
export async function readdirplus(s: FuseSession, r: FuseRequest, a: fuse_read_in): Promise<Body> {
  const { dirIno, list } = await entries(s, r, a, FUSE_DIRENTPLUS_HEADER_SIZE + 8);
  const dirNode = s.node(r.header.nodeid);
  const out = new Uint8Array(a.size);
  const v = new DataView(out.buffer);
  const counted: number[] = [];
  const entryValid = validity(s.cache.entryTimeout);
  const attrValid = validity(s.cache.attrTimeout);
  // What fits is known from the names alone; then the lookups run side by side.
  const fit: Array<{ e: DirEntry; name: Uint8Array }> = [];
  let total = 0;
  for (const e of list) {
    const name = utf8Encoder.encode(e.name);
    const size = alignDirent(FUSE_DIRENTPLUS_HEADER_SIZE + name.length);
    if (total + size > out.length) break;
    total += size;
    fit.push({ e, name });
  }
  // On an immutable image an inode number from readdir stays valid for good, so its attributes come
  // straight from getattr; a lookup would search the directory again for every name (linear
  // directories make that quadratic). Such nodes are not counted for the driver's forget.
  const byIno = s.readOnly && s.fs.capabilities.consistency === 'immutable';
  const found = await Promise.all(fit.map(({ e }) => {
    if (e.name === '.' || e.name === '..') return null;
    const got = byIno && e.ino > 0
      ? s.fs.getattr(e.ino).then((attr) => ({ ino: e.ino, attr, counted: false }))
      : s.fs.lookup(dirIno, e.name).then((entry) => ({ ...entry, counted: true }));
    return got.catch((err: unknown) => {
      if (isFsError(err)) return null;
      throw err;
    });
  }));
  let used = 0;
  for (let i = 0; i < fit.length; i++) {
    const { e, name } = fit[i]!;
    const entry = found[i];
    if (entry) {
      const node = s.nodes.remember(entry.ino, dirNode.nodeid, entry.counted);
      counted.push(node.nodeid);
      encodeEntryOut(v, used, {
        nodeid: node.nodeid, generation: 0, entry_valid: entryValid, attr_valid: attrValid, attr: s.attr(entry.attr),
      });
    } // else the entry_out stays all zero (nodeid 0): `out` is a new buffer
    encodeDirent(v, used + FUSE_ENTRY_OUT_SIZE, entry ? entry.ino : e.ino, e.next, e.type, name);
    used += alignDirent(FUSE_DIRENTPLUS_HEADER_SIZE + name.length);
  }
  r.undo = () => {
    for (const id of counted) s.forget(id, 1);
  };
  return [out.subarray(0, used)];
}

export async function releasedir(s: FuseSession, _r: FuseRequest, a: fuse_release_in): Promise<Body> {
  const h = s.handles.remove(a.fh);
  if (h && h.dir) await s.fs.releasedir?.(h.ino, h.fh);
  return [];
}

export async function fsyncdir(s: FuseSession, r: FuseRequest): Promise<Body> {
  await s.fs.fsync?.(s.node(r.header.nodeid).ino, 0, false);
  return [];
}

/**
 * Copy-up helpers: making an upper copy of a lower object with the same
 * metadata — mode (setuid included), owner, atime and mtime, xattrs except
 * the overlay's own — and, for regular files, the data, read in 1 MiB
 * pieces with all-zero pieces left as holes so sparse files stay sparse.
 */
import type { FileSystem, Ino, Stat } from '../../fs/filesystem.js';
import { O_RDONLY } from '../../fs/flags.js';
import { S_IALLUGO } from '../../fs/mode.js';
import { isPrivateXattr } from './layer.js';

const CHUNK = 1 << 20;

function isZero(b: Uint8Array): boolean {
  // Compare 4 bytes at a time where alignment allows: this runs over every copied byte.
  if (b.byteOffset % 4 === 0 && b.length % 4 === 0) {
    const w = new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
    return true;
  }
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** Copies `size` bytes of data from one file to another (the target already exists and is empty or sparse). */
export async function copyData(from: FileSystem, fromIno: Ino, to: FileSystem, toIno: Ino, toFh: number, size: number): Promise<void> {
  const fh = from.open ? await from.open(fromIno, O_RDONLY) : 0;
  try {
    const buf = new Uint8Array(Math.min(CHUNK, Math.max(size, 1)));
    for (let pos = 0; pos < size; ) {
      const want = Math.min(buf.length, size - pos);
      const piece = buf.subarray(0, want);
      const n = await from.read(fromIno, fh, piece, pos);
      if (n <= 0) break;
      const got = piece.subarray(0, n);
      if (!isZero(got)) await to.write!(toIno, toFh, got, pos);
      pos += n;
    }
    // Holes at the end, and files that shrank under us, still get the right size.
    await to.setattr!(toIno, { size });
  } finally {
    await from.release?.(fromIno, fh);
  }
}

/** Copies every xattr but the overlay's own; namespaces the upper cannot hold are skipped. */
export async function copyXattrs(from: FileSystem, fromIno: Ino, to: FileSystem, toIno: Ino): Promise<void> {
  if (!from.listxattr || !from.getxattr || !to.setxattr) return;
  for (const name of await from.listxattr(fromIno)) {
    if (isPrivateXattr(name)) continue;
    const ns = name.slice(0, name.indexOf('.'));
    if (!to.capabilities.xattrNamespaces.includes(ns)) continue;
    await to.setxattr(toIno, name, await from.getxattr(fromIno, name), 0);
  }
}

/** Sets mode, owner and times of a copy to those of the original (after everything else, so they stick). */
export async function copyAttributes(to: FileSystem, toIno: Ino, src: Stat): Promise<void> {
  await to.setattr!(toIno, { uid: src.uid, gid: src.gid });
  await to.setattr!(toIno, { mode: src.mode & S_IALLUGO, atime: src.atime, mtime: src.mtime });
}


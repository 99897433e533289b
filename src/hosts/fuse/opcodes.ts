/**
 * The opcode table: per FUSE opcode its kernel name, the size of its fixed
 * input struct and decoder, how many NUL-terminated names follow, whether
 * it changes anything (EROFS on a read-only mount), and its handler.
 * Opcodes not listed (GETLK/SETLK: the kernel does locking locally without
 * POSIX_LOCKS; BMAP, IOCTL, POLL, mappings, TMPFILE, STATX, SYNCFS) get
 * ENOSYS, which the kernel remembers.
 */
import * as P from './protocol.js';
import * as dir from './ops-dir.js';
import * as file from './ops-file.js';
import * as ns from './ops-namespace.js';
import * as node from './ops-node.js';
import * as xattr from './ops-xattr.js';
import type { FuseRequest, FuseSession } from './session.js';

/** A reply's body parts (after the header); null: this request gets no reply. */
export type Body = Uint8Array[] | null;

export interface Opcode<T = unknown> {
  readonly opcode: number;
  readonly name: string;
  readonly inSize: number;
  readonly decode: (v: DataView, o: number) => T;
  readonly names: number;
  /** How many of the names are file names (limited to the driver's maxNameLength); the rest are a symlink target or an xattr name. */
  readonly fileNames: number;
  readonly writes: boolean;
  readonly handler: (s: FuseSession, r: FuseRequest, arg: T) => Promise<Body>;
}

const none = (): undefined => undefined;

function op<T>(
  opcode: number, name: string, inSize: number, decode: (v: DataView, o: number) => T, names: number, writes: boolean,
  handler: (s: FuseSession, r: FuseRequest, arg: T) => Promise<Body>,
): Opcode {
  const fileNames = /XATTR/.test(name) ? 0 : name === 'SYMLINK' ? 1 : names;
  return { opcode, name, inSize, decode, names, fileNames, writes, handler } as Opcode;
}

const TABLE: Opcode[] = [
  op(P.FUSE_INIT, 'INIT', P.fuse_init_in_size, P.decodeInitIn, 0, false, node.init),
  op(P.FUSE_DESTROY, 'DESTROY', 0, none, 0, false, node.destroy),
  op(P.FUSE_INTERRUPT, 'INTERRUPT', P.fuse_interrupt_in_size, P.decodeInterruptIn, 0, false, node.interrupt),
  op(P.FUSE_LOOKUP, 'LOOKUP', 0, none, 1, false, node.lookup),
  op(P.FUSE_FORGET, 'FORGET', P.fuse_forget_in_size, P.decodeForgetIn, 0, false, node.forget),
  op(P.FUSE_BATCH_FORGET, 'BATCH_FORGET', P.fuse_batch_forget_in_size, P.decodeBatchForgetIn, 0, false, node.batchForget),
  op(P.FUSE_GETATTR, 'GETATTR', P.fuse_getattr_in_size, P.decodeGetattrIn, 0, false, node.getattr),
  op(P.FUSE_SETATTR, 'SETATTR', P.fuse_setattr_in_size, P.decodeSetattrIn, 0, true, node.setattr),
  op(P.FUSE_READLINK, 'READLINK', 0, none, 0, false, node.readlink),
  op(P.FUSE_STATFS, 'STATFS', 0, none, 0, false, node.statfs),
  op(P.FUSE_ACCESS, 'ACCESS', P.fuse_access_in_size, P.decodeAccessIn, 0, false, node.access),

  op(P.FUSE_MKNOD, 'MKNOD', P.fuse_mknod_in_size, P.decodeMknodIn, 1, true, ns.mknod),
  op(P.FUSE_MKDIR, 'MKDIR', P.fuse_mkdir_in_size, P.decodeMkdirIn, 1, true, ns.mkdir),
  op(P.FUSE_SYMLINK, 'SYMLINK', 0, none, 2, true, ns.symlink),
  op(P.FUSE_LINK, 'LINK', P.fuse_link_in_size, P.decodeLinkIn, 1, true, ns.link),
  op(P.FUSE_UNLINK, 'UNLINK', 0, none, 1, true, ns.unlink),
  op(P.FUSE_RMDIR, 'RMDIR', 0, none, 1, true, ns.rmdir),
  op(P.FUSE_RENAME, 'RENAME', P.fuse_rename_in_size, P.decodeRenameIn, 2, true, ns.rename),
  op(P.FUSE_RENAME2, 'RENAME2', P.fuse_rename2_in_size, P.decodeRename2In, 2, true, ns.rename2),
  op(P.FUSE_CREATE, 'CREATE', P.fuse_create_in_size, P.decodeCreateIn, 1, true, ns.create),

  op(P.FUSE_OPEN, 'OPEN', P.fuse_open_in_size, P.decodeOpenIn, 0, false, file.open),
  op(P.FUSE_READ, 'READ', P.fuse_read_in_size, P.decodeReadIn, 0, false, file.read),
  op(P.FUSE_WRITE, 'WRITE', P.fuse_write_in_size, P.decodeWriteIn, 0, true, file.write),
  op(P.FUSE_FLUSH, 'FLUSH', P.fuse_flush_in_size, P.decodeFlushIn, 0, false, file.flush),
  op(P.FUSE_RELEASE, 'RELEASE', P.fuse_release_in_size, P.decodeReleaseIn, 0, false, file.release),
  op(P.FUSE_FSYNC, 'FSYNC', P.fuse_fsync_in_size, P.decodeFsyncIn, 0, false, file.fsync),
  op(P.FUSE_LSEEK, 'LSEEK', P.fuse_lseek_in_size, P.decodeLseekIn, 0, false, file.lseek),
  op(P.FUSE_FALLOCATE, 'FALLOCATE', P.fuse_fallocate_in_size, P.decodeFallocateIn, 0, true, file.fallocate),
  op(P.FUSE_COPY_FILE_RANGE, 'COPY_FILE_RANGE', P.fuse_copy_file_range_in_size, P.decodeCopyFileRangeIn, 0, true, file.copyFileRange),

  op(P.FUSE_OPENDIR, 'OPENDIR', P.fuse_open_in_size, P.decodeOpenIn, 0, false, dir.opendir),
  op(P.FUSE_READDIR, 'READDIR', P.fuse_read_in_size, P.decodeReadIn, 0, false, dir.readdir),
  op(P.FUSE_READDIRPLUS, 'READDIRPLUS', P.fuse_read_in_size, P.decodeReadIn, 0, false, dir.readdirplus),
  op(P.FUSE_RELEASEDIR, 'RELEASEDIR', P.fuse_release_in_size, P.decodeReleaseIn, 0, false, dir.releasedir),
  op(P.FUSE_FSYNCDIR, 'FSYNCDIR', P.fuse_fsync_in_size, P.decodeFsyncIn, 0, false, dir.fsyncdir),

  op(P.FUSE_GETXATTR, 'GETXATTR', P.fuse_getxattr_in_size, P.decodeGetxattrIn, 1, false, xattr.getxattr),
  op(P.FUSE_LISTXATTR, 'LISTXATTR', P.fuse_getxattr_in_size, P.decodeGetxattrIn, 0, false, xattr.listxattr),
  op(P.FUSE_SETXATTR, 'SETXATTR', P.fuse_setxattr_in_size, P.decodeSetxattrIn, 1, true, xattr.setxattr),
  op(P.FUSE_REMOVEXATTR, 'REMOVEXATTR', 0, none, 1, true, xattr.removexattr),
];

export const OPCODES: ReadonlyMap<number, Opcode> = new Map(TABLE.map((o) => [o.opcode, o]));

/** Kernel names of every opcode we know of, implemented or not (for logs). */
export const OPCODE_NAMES: ReadonlyMap<number, string> = new Map([
  ...TABLE.map((o): [number, string] => [o.opcode, o.name]),
  [P.FUSE_GETLK, 'GETLK'], [P.FUSE_SETLK, 'SETLK'], [P.FUSE_SETLKW, 'SETLKW'], [P.FUSE_BMAP, 'BMAP'], [P.FUSE_IOCTL, 'IOCTL'],
  [P.FUSE_POLL, 'POLL'], [P.FUSE_NOTIFY_REPLY, 'NOTIFY_REPLY'], [P.FUSE_SETUPMAPPING, 'SETUPMAPPING'],
  [P.FUSE_REMOVEMAPPING, 'REMOVEMAPPING'], [P.FUSE_SYNCFS, 'SYNCFS'], [P.FUSE_TMPFILE, 'TMPFILE'], [P.FUSE_STATX, 'STATX'],
]);

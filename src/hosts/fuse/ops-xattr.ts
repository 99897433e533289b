/**
 * Handlers for extended attributes: SETXATTR, GETXATTR, LISTXATTR,
 * REMOVEXATTR. A size of 0 asks for the length only; a value longer than
 * the size asked for is ERANGE, as getxattr(2) says. A driver with no
 * xattr support answers ENOSYS, which the kernel remembers (it stops
 * asking, e.g. for security.capability before every write) and turns
 * into EOPNOTSUPP for the caller.
 */
import { FsError } from '../../errors.js';
import { utf8Encoder } from '../../binary/reader.js';
import type { Body } from './opcodes.js';
import { FUSE_GETXATTR_OUT_SIZE, type fuse_getxattr_in, type fuse_setxattr_in } from './protocol.js';
import type { FuseRequest, FuseSession } from './session.js';

function unsupported(s: FuseSession, op: string): FsError {
  return new FsError('ENOSYS', `${s.fs.name}: ${op}: extended attributes are not supported`);
}

function sized(value: Uint8Array, size: number, what: string): Body {
  if (size === 0) {
    const out = new Uint8Array(FUSE_GETXATTR_OUT_SIZE);
    new DataView(out.buffer).setUint32(0, value.length, true);
    return [out];
  }
  if (value.length > size) throw new FsError('ERANGE', `fuse: ${what} is ${value.length} bytes, the buffer ${size}`);
  return [value];
}

export async function getxattr(s: FuseSession, r: FuseRequest, a: fuse_getxattr_in): Promise<Body> {
  if (!s.fs.getxattr) throw unsupported(s, 'getxattr');
  return sized(await s.fs.getxattr(s.node(r.header.nodeid).ino, r.names[0]!), a.size, `xattr ${r.names[0]}`);
}

export async function listxattr(s: FuseSession, r: FuseRequest, a: fuse_getxattr_in): Promise<Body> {
  if (!s.fs.listxattr) throw unsupported(s, 'listxattr');
  let names = await s.fs.listxattr(s.node(r.header.nodeid).ino);
  // Linux lists trusted.* only to CAP_SYS_ADMIN, inside each filesystem's listxattr; uid 0 stands in for it.
  if (r.header.uid !== 0) names = names.filter((n) => !n.startsWith('trusted.'));
  return sized(utf8Encoder.encode(names.map((n) => n + '\0').join('')), a.size, 'xattr list');
}

export async function setxattr(s: FuseSession, r: FuseRequest, a: fuse_setxattr_in): Promise<Body> {
  if (!s.fs.setxattr) throw unsupported(s, 'setxattr');
  if (r.rest.length < a.size) throw new FsError('EINVAL', `fuse: SETXATTR says ${a.size} bytes, carries ${r.rest.length}`);
  await s.fs.setxattr(s.node(r.header.nodeid).ino, r.names[0]!, r.rest.slice(0, a.size), a.flags);
  return [];
}

export async function removexattr(s: FuseSession, r: FuseRequest): Promise<Body> {
  if (!s.fs.removexattr) throw unsupported(s, 'removexattr');
  await s.fs.removexattr(s.node(r.header.nodeid).ino, r.names[0]!);
  return [];
}

/**
 * POSIX ACLs: ext4 stores system.posix_acl_* in a compact form (version 1,
 * 4-byte entries for the owner/group/mask/other entries and 8-byte ones
 * for named users and groups); getxattr returns the generic form
 * (version 2, every entry {tag u16, perm u16, id u32}, id 0xFFFFFFFF where
 * there is none). This converts, as the kernel does on the way out.
 */
import { FsError } from '../../errors.js';

const EXT4_ACL_VERSION = 1;
const POSIX_ACL_XATTR_VERSION = 2;
const ACL_USER_OBJ = 0x01;
const ACL_USER = 0x02;
const ACL_GROUP_OBJ = 0x04;
const ACL_GROUP = 0x08;
const ACL_MASK = 0x10;
const ACL_OTHER = 0x20;
const ACL_UNDEFINED_ID = 0xffffffff;

export function aclFromDisk(value: Uint8Array, what: string): Uint8Array {
  const fail = (detail: string): FsError => new FsError('EIO', `ext4: ${what}: ACL ${detail}`);
  if (value.length < 4) throw fail('shorter than its header');
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  if (dv.getUint32(0, true) !== EXT4_ACL_VERSION) throw fail(`version ${dv.getUint32(0, true)} is not 1`);
  const entries: Array<[number, number, number]> = [];
  for (let off = 4; off < value.length; ) {
    if (off + 4 > value.length) throw fail(`entry at ${off} is truncated`);
    const tag = dv.getUint16(off, true);
    const perm = dv.getUint16(off + 2, true);
    switch (tag) {
      case ACL_USER_OBJ:
      case ACL_GROUP_OBJ:
      case ACL_MASK:
      case ACL_OTHER:
        entries.push([tag, perm, ACL_UNDEFINED_ID]);
        off += 4;
        break;
      case ACL_USER:
      case ACL_GROUP:
        if (off + 8 > value.length) throw fail(`entry at ${off} is truncated`);
        entries.push([tag, perm, dv.getUint32(off + 4, true)]);
        off += 8;
        break;
      default:
        throw fail(`entry at ${off} has unknown tag 0x${tag.toString(16)}`);
    }
  }
  const out = new Uint8Array(4 + entries.length * 8);
  const ov = new DataView(out.buffer);
  ov.setUint32(0, POSIX_ACL_XATTR_VERSION, true);
  entries.forEach(([tag, perm, id], i) => {
    ov.setUint16(4 + i * 8, tag, true);
    ov.setUint16(6 + i * 8, perm, true);
    ov.setUint32(8 + i * 8, id, true);
  });
  return out;
}

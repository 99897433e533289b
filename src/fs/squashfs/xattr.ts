/**
 * Extended attributes. The superblock's xattr_id_table_start points at
 * { xattr_table_start u64, xattr_ids u32, unused u32 } followed by the index
 * of a lookup table of 16-byte ids { xattr (u64 reference into the xattr
 * metadata at xattr_table_start), count, size }. An extended inode's xattr
 * field indexes those ids. At the reference lie `count` pairs: key { type
 * u16 (0 user, 1 trusted, 2 security; 0x100 = value stored out of line),
 * name_size u16, name } and value { vsize u32, value }; an out-of-line
 * value is an 8-byte reference to the real { vsize, value } elsewhere.
 */
import { corrupt } from '../../block/corrupt.js';
import { readStructure, type BlockDevice } from '../../block/device.js';
import type { MetadataReader } from './metadata.js';
import { LookupTable } from './table.js';

const PREFIXES = ['user.', 'trusted.', 'security.'];
const XATTR_OOL = 0x100;
/** Linux's limits: XATTR_NAME_MAX and XATTR_SIZE_MAX. */
const NAME_MAX = 255;
const VALUE_MAX = 65536;
/** More pairs than any Linux filesystem lets one inode hold. */
const MAX_PAIRS = 65536;

export interface Xattr {
  name: string;
  value: Uint8Array;
}

export class XattrTable {
  private constructor(
    private readonly meta: MetadataReader,
    private readonly ids: LookupTable,
    private readonly tableStart: number,
  ) {}

  static async open(device: BlockDevice, meta: MetadataReader, start: number, bytesUsed: number, lowest: number): Promise<XattrTable> {
    const head = await readStructure(device, start, 16, 'squashfs: xattr id table header').catch((e) => {
      throw corrupt('squashfs', 'xattr id table header', start, (e as Error).message);
    });
    const v = new DataView(head.buffer, head.byteOffset, 16);
    const tableStart = v.getUint32(4, true) * 0x1_0000_0000 + v.getUint32(0, true);
    const count = v.getUint32(8, true);
    if (tableStart < lowest || tableStart >= start || tableStart >= bytesUsed) {
      throw corrupt('squashfs', 'xattr id table header', start, `xattr_table_start ${tableStart} is outside [${lowest}, ${start})`);
    }
    const ids = await LookupTable.open(device, meta, 'xattr id', start + 16, count, 16, tableStart);
    return new XattrTable(meta, ids, tableStart);
  }

  /** The id's `size` (bytes of its key/value pairs): the kernel counts it in st_blocks. */
  async size(index: number): Promise<number> {
    const id = await this.ids.entry(index);
    return new DataView(id.buffer, id.byteOffset, 16).getUint32(12, true);
  }

  async list(index: number, inodeNumber: number): Promise<Xattr[]> {
    const what = `inode ${inodeNumber} xattrs`;
    const id = await this.ids.entry(index);
    const v = new DataView(id.buffer, id.byteOffset, 16);
    const ref = v.getUint32(4, true) * 0x1_0000_0000 + v.getUint32(0, true);
    const count = v.getUint32(8, true);
    // A lying count reads on until the xattr metadata runs out (EIO); cap it so that cannot take long.
    if (count > MAX_PAIRS) throw corrupt('squashfs', what, undefined, `xattr id ${index} claims ${count} pairs`);
    const cursor = { block: this.tableStart + Math.floor(ref / 65536), offset: ref % 65536 };
    const out: Xattr[] = [];
    for (let i = 0; i < count; i++) {
      const k = await this.meta.read(cursor, 4, what);
      const type = k[0]! | (k[1]! << 8);
      const nameSize = k[2]! | (k[3]! << 8);
      const prefix = PREFIXES[type & 0xff];
      if (!prefix || (type & ~(0xff | XATTR_OOL)) !== 0) throw corrupt('squashfs', what, undefined, `pair ${i} has type 0x${type.toString(16)}`);
      if (nameSize === 0 || nameSize + prefix.length > NAME_MAX) throw corrupt('squashfs', what, undefined, `pair ${i} name of ${nameSize} bytes`);
      const name = prefix + new TextDecoder().decode(await this.meta.read(cursor, nameSize, what));
      const vs = await this.meta.read(cursor, 4, what);
      let vsize = (vs[0]! | (vs[1]! << 8) | (vs[2]! << 16) | (vs[3]! << 24)) >>> 0;
      let value: Uint8Array;
      if (type & XATTR_OOL) {
        if (vsize !== 8) throw corrupt('squashfs', what, undefined, `pair ${i}: out-of-line reference of ${vsize} bytes`);
        const r = await this.meta.read(cursor, 8, what);
        const rv = new DataView(r.buffer, r.byteOffset, 8);
        const oref = rv.getUint32(4, true) * 0x1_0000_0000 + rv.getUint32(0, true);
        const oc = { block: this.tableStart + Math.floor(oref / 65536), offset: oref % 65536 };
        const os = await this.meta.read(oc, 4, what);
        vsize = (os[0]! | (os[1]! << 8) | (os[2]! << 16) | (os[3]! << 24)) >>> 0;
        if (vsize > VALUE_MAX) throw corrupt('squashfs', what, undefined, `pair ${i}: value of ${vsize} bytes`);
        value = (await this.meta.read(oc, vsize, what)).slice();
      } else {
        if (vsize > VALUE_MAX) throw corrupt('squashfs', what, undefined, `pair ${i}: value of ${vsize} bytes`);
        value = (await this.meta.read(cursor, vsize, what)).slice();
      }
      out.push({ name, value });
    }
    return out;
  }
}

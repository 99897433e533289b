/**
 * Apple filesystems: HFS (Master Directory Block 'BD' at 1024), HFS+ and
 * HFSX (volume header 'H+'/'HX' at 1024), APFS (container superblock with
 * 'NXSB' at 32 of block 0). All big-endian except APFS.
 */
import type { FormatEntry } from '../types.js';

const MDB = 1024;

export const FILESYSTEMS_APPLE = [
  {
    id: 'hfs',
    kind: 'filesystem',
    name: 'Apple HFS',
    endian: 'be',
    signatures: [
      {
        checks: [
          { at: MDB, ascii: 'BD' },
          // An HFS wrapper around an embedded HFS+ volume is HFS+.
          { not: { any: [{ at: MDB + 0x7c, ascii: 'H+' }, { at: MDB + 0x7c, ascii: 'HX' }] } },
          { u32: MDB + 20, mask: 0x1ff, is: 0 },
          { u32: MDB + 20, min: 512 },
        ],
      },
    ],
    fields: {
      label: { at: MDB + 37, len: { and: [{ u8: MDB + 36 }, 0x1f] }, enc: 'latin1' },
      blockSize: { u32: MDB + 20 },
      size: { mul: [{ u16: MDB + 18 }, { u32: MDB + 20 }] },
    },
    drivers: { guest: 'hfs' },
    aka: { blkid: 'hfs' },
  },
  {
    id: 'hfsplus',
    kind: 'filesystem',
    name: 'Apple HFS+',
    endian: 'be',
    signatures: [
      { checks: [{ at: MDB, ascii: 'H+' }, { u16: MDB + 2, is: 4 }, { u32: MDB + 40, powerOf2: true, min: 512 }], fields: { version: 'HFS+' } },
      { checks: [{ at: MDB, ascii: 'HX' }, { u16: MDB + 2, is: 5 }, { u32: MDB + 40, powerOf2: true, min: 512 }], fields: { version: 'HFSX' } },
    ],
    fields: { blockSize: { u32: MDB + 40 }, size: { mul: [{ u32: MDB + 44 }, { u32: MDB + 40 }] } },
    drivers: { guest: 'hfsplus' },
    aka: { blkid: 'hfsplus' },
  },
  {
    id: 'apfs',
    kind: 'filesystem',
    name: 'Apple File System container',
    signatures: [{ checks: [{ at: 32, ascii: 'NXSB' }, { u16le: 24, is: 1 }, { u16le: 28, is: 0 }, { u16le: 30, is: 0 }, { u32le: 36, is: 4096 }] }],
    fields: { uuid: { at: 72, format: 'uuid' }, blockSize: { u32le: 36 }, size: { mul: [{ u64le: 40 }, { u32le: 36 }] } },
    aka: { blkid: 'apfs' },
  },
] as const satisfies readonly FormatEntry[];

/**
 * Filesystems of home computers: AmigaDOS (OFS/FFS and variants, 'DOS'
 * plus a type byte in the boot block) and Acorn ADFS (old-map discs with
 * 'Hugo' directories; new-map hard discs with a checksummed boot block at
 * 0xc00). No Debian tool writes these: tests use hand-built images.
 */
import type { FormatEntry } from '../types.js';

export const FILESYSTEMS_RETRO = [
  {
    id: 'affs',
    kind: 'filesystem',
    name: 'Amiga Fast/Old File System',
    endian: 'be',
    signatures: [{ checks: [{ at: 0, ascii: 'DOS' }, { u8: 3, max: 7 }] }],
    fields: {
      version: {
        num: { u8: 3 },
        names: { 0: 'OFS', 1: 'FFS', 2: 'OFS-INTL', 3: 'FFS-INTL', 4: 'OFS-DC', 5: 'FFS-DC', 6: 'OFS-LNFS', 7: 'FFS-LNFS' },
      },
      details: { rootBlock: { u32: 8 } },
    },
    refine: 'amigaBootChecksum',
    drivers: { guest: 'affs' },
    aka: { file: 'Amiga' },
  },
  {
    id: 'adfs',
    kind: 'filesystem',
    name: 'Acorn ADFS',
    signatures: [
      // Old map (S/M/L): the root directory at 0x400, 'Hugo' at its start and in its tail.
      { checks: [{ at: 0x401, ascii: 'Hugo' }, { at: 0x8fb, ascii: 'Hugo' }], fields: { version: 'old map' } },
      { checks: [{ at: 0x401, ascii: 'Nick' }, { at: 0xbfb, ascii: 'Nick' }], fields: { version: 'old map (big directories)' } },
      // New map hard disc (E+/F+): a boot block at 0xc00 whose disc record (at +0x1c0) is sane.
      {
        base: 0xc00,
        checks: [{ u8: 0x1c0, oneOf: [8, 9, 10, 11] }, { u8: 0x1c1, min: 1 }, { u8: 0x1c4, min: 1 }],
        fields: {
          version: 'new map',
          label: { at: 0x1c0 + 0x16, len: 10 },
          blockSize: { shl: [1, { u8: 0x1c0 }] },
          size: { u32le: 0x1c0 + 0x10 },
        },
        confidence: 0.3,
      },
    ],
    refine: 'adfs',
    drivers: { guest: 'adfs' },
  },
] as const satisfies readonly FormatEntry[];

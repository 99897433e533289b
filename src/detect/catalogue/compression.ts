/**
 * Compressed streams: one file compressed, which may itself be an archive
 * or an image (.tar.gz, .img.xz). Magic numbers from each format's spec.
 */
import type { FormatEntry } from '../types.js';

export const COMPRESSION = [
  {
    id: 'gzip',
    kind: 'compression',
    name: 'gzip',
    // Method 8 (deflate); the reserved flag bits are zero.
    signatures: [{ checks: [{ at: 0, hex: '1f 8b 08' }, { u8: 3, noBits: 0xe0 }] }],
    fields: { details: { flags: { flags: { u8: 3 }, names: { 1: 'text', 2: 'hcrc', 4: 'extra', 8: 'name', 16: 'comment' } } } },
    aka: { file: 'gzip compressed' },
  },
  {
    id: 'xz',
    kind: 'compression',
    name: 'xz',
    signatures: [{ checks: [{ at: 0, hex: 'fd 37 7a 58 5a 00' }, { u8: 6, is: 0 }] }],
    fields: { details: { check: { num: { and: [{ u8: 7 }, 0x0f] }, names: { 0: 'none', 1: 'crc32', 4: 'crc64', 10: 'sha256' } } } },
    aka: { file: 'XZ compressed' },
  },
  {
    id: 'bzip2',
    kind: 'compression',
    name: 'bzip2',
    signatures: [
      { checks: [{ at: 0, ascii: 'BZh' }, { u8: 3, min: 0x31, max: 0x39 }, { at: 4, hex: '31 41 59 26 53 59' }] },
      { checks: [{ at: 0, ascii: 'BZh' }, { u8: 3, min: 0x31, max: 0x39 }, { at: 4, hex: '17 72 45 38 50 90' }], fields: { details: { empty: 'yes' } } },
    ],
    fields: { blockSize: { mul: [{ sub: [{ u8: 3 }, 0x30] }, 100000] } },
    aka: { file: 'bzip2 compressed' },
  },
  {
    id: 'zstd',
    kind: 'compression',
    name: 'Zstandard',
    signatures: [
      { checks: [{ u32le: 0, is: 0xfd2fb528 }, { u8: 4, noBits: 0x08 }] },
      // A skippable frame (0x184D2A5?) first, as pzstd and seekable archives write.
      { checks: [{ u32le: 0, mask: 0xfffffff0, is: 0x184d2a50 }], fields: { version: 'skippable frame' }, confidence: 0.5 },
    ],
    aka: { file: 'Zstandard compressed' },
  },
  {
    id: 'lz4',
    kind: 'compression',
    name: 'LZ4',
    signatures: [
      { checks: [{ u32le: 0, is: 0x184d2204 }, { u8: 4, mask: 0xc0, is: 0x40 }], fields: { version: 'frame' } },
      { checks: [{ u32le: 0, is: 0x184c2102 }], fields: { version: 'legacy' } },
    ],
    aka: { file: 'LZ4 compressed' },
  },
  {
    id: 'lzma',
    kind: 'compression',
    name: 'LZMA (alone)',
    // No magic: properties byte (lc+lp*9+pb*45 < 225; 0x5d by default), a dictionary size,
    // then the uncompressed size or all ones.
    signatures: [
      {
        checks: [
          { u8: 0, is: 0x5d },
          { u32le: 1, min: 4096, max: 0x60000000 },
          { any: [{ u64le: 5, is: 2 ** 64 - 1 }, { u32le: 9, max: 0xff }] },
        ],
        confidence: 0.35,
      },
    ],
    fields: { size: { u64le: 5 }, details: { dictionary: { u32le: 1 } } },
    aka: { file: 'LZMA compressed' },
  },
  {
    id: 'lzip',
    kind: 'compression',
    name: 'lzip',
    signatures: [{ checks: [{ at: 0, ascii: 'LZIP' }, { u8: 4, is: 1 }] }],
    fields: { version: { u8: 4 } },
    aka: { file: 'lzip compressed' },
  },
  {
    id: 'compress',
    kind: 'compression',
    name: 'Unix compress (.Z)',
    signatures: [{ checks: [{ at: 0, hex: '1f 9d' }, { u8: 2, mask: 0x1f, min: 9, max: 16 }] }],
    fields: { details: { bits: { and: [{ u8: 2 }, 0x1f] } } },
    aka: { file: "compress'd data" },
  },
  {
    id: 'lzop',
    kind: 'compression',
    name: 'lzop',
    signatures: [{ checks: [{ at: 0, hex: '89 4c 5a 4f 00 0d 0a 1a 0a' }] }],
    fields: { version: { hex: { u16be: 9 }, digits: 4 } },
    aka: { file: 'lzop compressed' },
  },
] as const satisfies readonly FormatEntry[];

/**
 * Archives: files that hold files. `aka.file` is a pattern `file -b`
 * prints for them. Some archives only have a trailer (self-extracting zips)
 * or no magic at all (v7 tar: the header checksum is the signature).
 */
import type { FormatEntry } from '../types.js';

export const ARCHIVES = [
  {
    id: 'tar',
    kind: 'archive',
    name: 'tar archive',
    signatures: [
      { checks: [{ at: 257, ascii: 'ustar\x0000' }], fields: { version: 'ustar' } },
      { checks: [{ at: 257, ascii: 'ustar  \0' }], fields: { version: 'gnu' } },
      // v7: no magic; the name must start with a printable byte, the mode and checksum
      // fields are octal text, the type flag a v7 one. The checksum (refine) decides.
      {
        checks: [
          { u8: 0, min: 0x21, max: 0x7e },
          { at: 257, hex: '00 00 00 00 00' },
          { u8: 156, oneOf: [0, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37] },
          { u8: 100, oneOf: [0x20, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37] },
          { u8: 148, oneOf: [0x20, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37] },
        ],
        fields: { version: 'v7' },
        confidence: 0.3,
      },
    ],
    fields: { details: { firstName: { at: 0, len: 100, enc: 'utf8' } } },
    refine: 'tar',
    drivers: { native: 'tar' },
    aka: { file: 'tar archive' },
  },
  {
    id: 'zip',
    kind: 'archive',
    name: 'ZIP archive',
    signatures: [
      { checks: [{ at: 0, hex: '50 4b 03 04' }], fields: { version: { join: [{ u8: 4 }, '.', { u8: 5 }] } } },
      { checks: [{ at: 0, hex: '50 4b 07 08 50 4b 03 04' }], fields: { version: 'spanned' } },
      // An empty archive is only its end record.
      { checks: [{ at: 0, hex: '50 4b 05 06' }, { minSize: 22 }], fields: { version: 'empty' } },
      // Self-extracting archives (a program, then the zip): the end record closes the
      // file when there is no archive comment. With a comment it sits up to 64 KiB
      // earlier, which a fixed offset cannot find.
      { base: { end: 22 }, checks: [{ at: 0, hex: '50 4b 05 06' }, { u16le: 20, is: 0 }], fields: { version: 'end record' }, confidence: 0.45 },
    ],
    drivers: { native: 'zip' },
    aka: { file: 'Zip archive' },
  },
  {
    id: '7z',
    kind: 'archive',
    name: '7-Zip archive',
    signatures: [{ checks: [{ at: 0, hex: '37 7a bc af 27 1c' }] }],
    fields: { version: { join: [{ u8: 6 }, '.', { u8: 7 }] } },
    aka: { file: '7-zip archive' },
  },
  {
    id: 'rar',
    kind: 'archive',
    name: 'RAR archive',
    signatures: [
      { checks: [{ at: 0, hex: '52 61 72 21 1a 07 01 00' }], fields: { version: '5' } },
      { checks: [{ at: 0, hex: '52 61 72 21 1a 07 00' }], fields: { version: '4' } },
    ],
    aka: { file: 'RAR archive' },
  },
  {
    id: 'cpio',
    kind: 'archive',
    name: 'cpio archive',
    signatures: [
      { checks: [{ at: 0, ascii: '070701' }], fields: { version: 'newc' } },
      { checks: [{ at: 0, ascii: '070702' }], fields: { version: 'crc' } },
      { checks: [{ at: 0, ascii: '070707' }], fields: { version: 'odc' } },
      // Old binary headers: the magic 070707 as a 16-bit word, either order, then a name size.
      { checks: [{ u16le: 0, is: 0o70707 }, { u16le: 20, min: 1, max: 4096 }], fields: { version: 'bin (little-endian)' } },
      { checks: [{ u16be: 0, is: 0o70707 }, { u16be: 20, min: 1, max: 4096 }], fields: { version: 'bin (big-endian)' } },
    ],
    drivers: { native: 'cpio' },
    aka: { file: 'cpio archive' },
  },
  {
    id: 'ar',
    kind: 'archive',
    name: 'ar archive',
    signatures: [
      { checks: [{ at: 0, ascii: '!<arch>\ndebian-binary' }], fields: { version: 'deb' } },
      { checks: [{ at: 0, ascii: '!<arch>\n' }] },
    ],
    aka: { file: 'ar archive|Debian binary package' },
  },
  {
    id: 'xar',
    kind: 'archive',
    name: 'XAR archive',
    signatures: [{ checks: [{ at: 0, ascii: 'xar!' }, { u16be: 4, min: 28 }] }],
    fields: { version: { u16be: 6 } },
    aka: { file: 'xar archive' },
  },
  {
    id: 'cab',
    kind: 'archive',
    name: 'Microsoft Cabinet',
    signatures: [{ checks: [{ at: 0, ascii: 'MSCF\0\0\0\0' }, { u8: 25, is: 1 }] }],
    fields: { version: { join: [{ u8: 25 }, '.', { u8: 24 }] }, size: { u32le: 8 } },
    aka: { file: 'Microsoft Cabinet' },
  },
  {
    id: 'lha',
    kind: 'archive',
    name: 'LHA archive',
    // Header: size, checksum, then the method '-lh5-' (or -lz?-, -pm?-) at 2.
    signatures: [
      {
        checks: [
          { at: 2, ascii: '-l' },
          { u8: 4, oneOf: [0x68, 0x7a] },
          { u8: 6, is: 0x2d },
          { u8: 20, max: 3 },
        ],
      },
    ],
    fields: { version: { join: ['level ', { u8: 20 }] }, details: { method: { at: 2, len: 5 } } },
    aka: { file: 'LHa|LHarc' },
  },
  {
    id: 'arj',
    kind: 'archive',
    name: 'ARJ archive',
    signatures: [{ checks: [{ at: 0, hex: '60 ea' }, { u16le: 2, min: 1, max: 2600 }] }],
    aka: { file: 'ARJ archive' },
  },
  {
    id: 'zoo',
    kind: 'archive',
    name: 'Zoo archive',
    signatures: [{ checks: [{ at: 0, ascii: 'ZOO ' }, { u32le: 20, is: 0xfdc4a7dc }] }],
    aka: { file: 'Zoo archive' },
  },
  {
    id: 'wim',
    kind: 'archive',
    name: 'Windows Imaging Format',
    signatures: [{ checks: [{ at: 0, ascii: 'MSWIM\0\0\0' }] }],
    fields: { version: { u32le: 12 } },
    aka: { file: 'Windows imaging' },
  },
  {
    id: 'rpm',
    kind: 'archive',
    name: 'RPM package',
    signatures: [{ checks: [{ at: 0, hex: 'ed ab ee db' }, { u8: 4, oneOf: [3, 4] }] }],
    fields: { version: { join: [{ u8: 4 }, '.', { u8: 5 }] }, details: { name: { at: 10, len: 66 } } },
    aka: { file: 'RPM' },
  },
] as const satisfies readonly FormatEntry[];

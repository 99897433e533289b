/**
 * DOS and Windows filesystems. FAT12/16/32 is one entry: which one is a
 * matter of the cluster count (refine 'fat'); the label blkid reports comes
 * from the root directory. The magic strings are the ones libblkid accepts.
 */
import type { Check, FormatEntry } from '../types.js';

const bootSignature: Check = { at: 510, hex: '55 aa' };

export const FILESYSTEMS_DOS = [
  {
    id: 'vfat',
    kind: 'filesystem',
    name: 'FAT',
    signatures: [
      { checks: [{ any: [{ at: 0x52, ascii: 'MSWIN' }, { at: 0x52, ascii: 'FAT32   ' }] }] },
      { checks: [{ any: [{ at: 0x36, ascii: 'MSDOS' }, { at: 0x36, ascii: 'FAT16   ' }, { at: 0x36, ascii: 'FAT12   ' }, { at: 0x36, ascii: 'FAT     ' }] }] },
      // Old floppies: no magic string, only a jump and the boot signature; OS/2 puts
      // FAT-like BPBs in front of JFS and HPFS, so those are ruled out.
      {
        checks: [
          { u8: 0, oneOf: [0xeb, 0xe9] },
          bootSignature,
          { not: { at: 0x36, ascii: 'JFS     ' } },
          { not: { at: 0x36, ascii: 'HPFS    ' } },
        ],
        confidence: 0.3,
      },
    ],
    refine: 'fat',
    drivers: { native: 'fat', guest: 'vfat' },
    aka: { blkid: 'vfat' },
  },
  {
    id: 'exfat',
    kind: 'filesystem',
    name: 'exFAT',
    signatures: [{ checks: [{ at: 0, hex: 'eb 76 90' }, { at: 3, ascii: 'EXFAT   ' }, bootSignature] }],
    fields: {
      uuid: { at: 100, format: 'serial4' },
      version: { join: [{ u8: 105 }, '.', { u8: 104 }] },
    },
    refine: 'exfat',
    drivers: { guest: 'exfat' },
    aka: { blkid: 'exfat' },
  },
  {
    id: 'ntfs',
    kind: 'filesystem',
    name: 'NTFS',
    signatures: [{ checks: [{ at: 3, ascii: 'NTFS    ' }] }],
    fields: { uuid: { at: 0x48, format: 'serial8' } },
    refine: 'ntfs',
    drivers: { guest: 'ntfs3' },
    aka: { blkid: 'ntfs' },
  },
  {
    id: 'hpfs',
    kind: 'filesystem',
    name: 'OS/2 HPFS',
    // Superblock at sector 16, spare superblock at 17.
    signatures: [{ checks: [{ at: 0x2000, hex: '49 e8 95 f9' }, { at: 0x2200, hex: '49 18 91 f9' }] }],
    fields: { version: { u8: 0x2008 }, label: { at: 0x2b, len: 11 }, uuid: { at: 0x27, format: 'serial4' } },
    drivers: { guest: 'hpfs' },
    aka: { blkid: 'hpfs' },
  },
  {
    id: 'refs',
    kind: 'filesystem',
    name: 'ReFS',
    signatures: [{ checks: [{ at: 0, hex: '00 00 00 52 65 46 53 00' }, { at: 16, ascii: 'FSRS' }] }],
    fields: { version: { join: [{ u8: 40 }, '.', { u8: 41 }] }, uuid: { at: 0x38, format: 'serial8' } },
    aka: { blkid: 'ReFS' },
  },
] as const satisfies readonly FormatEntry[];

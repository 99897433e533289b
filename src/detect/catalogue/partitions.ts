/**
 * Partition tables. `aka.blkid` is blkid's PTTYPE. An MBR is only an MBR
 * when sector 0 is not a FAT/exFAT/NTFS boot sector (they end in 55AA too)
 * and has no 0xEE protective entry (then it is GPT's): the same rules as
 * libblkid's dos prober.
 */
import type { Check, FormatEntry } from '../types.js';

/** The four MBR entries start at 446, 16 bytes each: boot flag at +0, type at +4. */
const MBR_ENTRIES = [446, 462, 478, 494] as const;
const protectiveEntry: Check = { any: MBR_ENTRIES.map((e) => ({ u8: { abs: e + 4 }, is: 0xee })) };
const emptyMbr: Check = { all: MBR_ENTRIES.map((e) => ({ u8: e + 4, is: 0 })) };

export const PARTITIONS = [
  {
    id: 'gpt',
    kind: 'partition-table',
    name: 'GUID partition table',
    // Header at LBA 1 behind a protective MBR; the backup header at the last LBA when the primary is damaged.
    signatures: [
      { base: 'sectorSize', checks: [{ at: 0, ascii: 'EFI PART' }, { at: { abs: 510 }, hex: '55 aa' }, protectiveEntry] },
      { base: { end: 'sectorSize' }, checks: [{ at: 0, ascii: 'EFI PART' }, { at: { abs: 510 }, hex: '55 aa' }, protectiveEntry] },
    ],
    fields: { uuid: { at: 56, format: 'guid' }, version: { join: [{ u16le: 10 }, '.', { u16le: 8 }] } },
    refine: 'gpt',
    aka: { blkid: 'gpt' },
  },
  {
    id: 'mbr',
    kind: 'partition-table',
    name: 'DOS/MBR partition table',
    signatures: [
      {
        checks: [
          { at: 510, hex: '55 aa' },
          ...MBR_ENTRIES.map((e): Check => ({ u8: e, oneOf: [0, 0x80] })),
          { not: protectiveEntry },
          // AIX physical volumes start with 'IBMA' (EBCDIC) and may end in 55AA.
          { not: { u32be: 0, is: 0xc9c2d4c1 } },
          { not: { format: 'vfat' } },
          { not: { format: 'exfat' } },
          { not: { format: 'ntfs' } },
          // A stored zip member can put 55AA at 510 behind a 'PK\3\4' header (and zeros for entries).
          { not: { format: 'zip' } },
          // An empty MBR in front of an LVM PV is LVM's (people boot from PVs that way).
          { not: { all: [emptyMbr, { format: 'lvm2' }] } },
        ],
      },
    ],
    fields: {
      uuid: { at: 440, format: 'hex32le' },
      details: { partitionTypes: { join: [{ u8: 450 }, ',', { u8: 466 }, ',', { u8: 482 }, ',', { u8: 498 }] } },
    },
    aka: { blkid: 'dos' },
  },
  {
    id: 'apm',
    kind: 'partition-table',
    name: 'Apple partition map',
    // Driver descriptor 'ER' with the block size at 2; the map's first entry 'PM' in block 1.
    endian: 'be',
    signatures: [{ checks: [{ at: 0, ascii: 'ER' }, { u16: 2, oneOf: [512, 1024, 2048, 4096] }, { at: { u16: 2 }, ascii: 'PM' }] }],
    fields: { blockSize: { u16: 2 }, details: { entries: { u32: { add: [{ u16: 2 }, 4] } } } },
    aka: { blkid: 'mac', parted: 'mac' },
  },
  {
    id: 'bsd',
    kind: 'partition-table',
    name: 'BSD disklabel',
    // struct disklabel: d_magic at 0 and d_magic2 at 132 (0x82564557), d_npartitions at 138.
    signatures: [512, 64, 128].map((at) => ({
      base: at,
      checks: [{ u32le: 0, is: 0x82564557 }, { u32le: 132, is: 0x82564557 }, { u16le: 138, max: 22 }],
      fields: { details: { partitions: { u16le: 138 }, sectorSize: { u32le: 40 } }, label: { at: 24, len: 16 } },
    })),
    aka: { blkid: 'bsd' },
  },
  {
    id: 'sun',
    kind: 'partition-table',
    name: 'Sun disk label',
    endian: 'be',
    signatures: [{ checks: [{ u16: 508, is: 0xdabe }] }],
    fields: { label: { at: 0, len: 128 } },
    refine: 'sunChecksum',
    aka: { blkid: 'sun' },
  },
  {
    id: 'sgi',
    kind: 'partition-table',
    name: 'SGI disk volume header',
    endian: 'be',
    signatures: [{ checks: [{ u32: 0, is: 0x0be5a941 }] }],
    aka: { blkid: 'sgi' },
  },
  {
    id: 'rdb',
    kind: 'partition-table',
    name: 'Amiga rigid disk block',
    endian: 'be',
    // 'RDSK' may sit in any of the first 16 blocks; SummedLongs longs sum to 0.
    signatures: Array.from({ length: 16 }, (_, i) => ({
      base: i * 512,
      checks: [{ at: 0, ascii: 'RDSK' }, { u32: 4, min: 2, max: 128 }],
      fields: { blockSize: { u32: 16 }, details: { block: i } },
    })),
    refine: 'amigaBlockChecksum',
    aka: { parted: 'amiga' },
  },
  {
    id: 'aix',
    kind: 'partition-table',
    name: 'AIX physical volume',
    signatures: [{ checks: [{ u32be: 0, is: 0xc9c2d4c1 }] }],
    aka: { blkid: 'aix' },
  },
] as const satisfies readonly FormatEntry[];

/**
 * Volumes: things that hold a block device rather than files — encrypted
 * (LUKS, BitLocker), members of a volume group or array (LVM2, Linux md,
 * ZFS, bcache) — and swap. `aka.blkid` is blkid's TYPE.
 */
import type { Check, FormatEntry, Join, Signature } from '../types.js';

const LUKS2_SECONDARY = [0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000, 0x400000];

/** md 0.90: 4 uuid words (word 5, then 13–15) printed as one UUID. */
const md090Uuid = {
  join: [
    { hex: { u32: 20 }, digits: 8 },
    '-',
    { hex: { div: [{ u32: 52 }, 0x10000] }, digits: 4 },
    '-',
    { hex: { and: [{ u32: 52 }, 0xffff] }, digits: 4 },
    '-',
    { hex: { div: [{ u32: 56 }, 0x10000] }, digits: 4 },
    '-',
    { hex: { and: [{ u32: 56 }, 0xffff] }, digits: 4 },
    { hex: { u32: 60 }, digits: 8 },
  ],
} as const satisfies Join;

function md1(base: Signature['base'], version: string): Signature {
  return {
    base,
    checks: [
      { u32le: 0, is: 0xa92b4efc },
      { u32le: 4, is: 1 },
      // super_offset (sectors) must name where we found it.
      { num: { u64le: 144 }, is: { div: [{ var: 'base' }, 512] } },
      { u32le: 220, max: 384 },
    ],
    fields: { version, uuid: { at: 16, format: 'uuid' }, label: { at: 32, len: 32 }, details: { level: { u32le: 72 }, deviceUuid: { at: 168, format: 'uuid' } } },
  };
}

const swapVersion1: Check = { u32le: 1024, is: 1 };

export const VOLUMES = [
  {
    id: 'luks',
    kind: 'volume',
    name: 'LUKS encrypted volume',
    endian: 'be',
    signatures: [
      { checks: [{ at: 0, hex: '4c 55 4b 53 ba be' }, { u16: 6, is: 1 }], fields: { version: '1', details: { cipher: { at: 8, len: 32 }, cipherMode: { at: 40, len: 32 }, hash: { at: 72, len: 32 } } } },
      { checks: [{ at: 0, hex: '4c 55 4b 53 ba be' }, { u16: 6, is: 2 }, { u64: 256, is: 0 }], fields: { version: '2', label: { at: 24, len: 48 }, details: { subsystem: { at: 208, len: 48 } } } },
      // A LUKS2 volume whose primary header was wiped: its secondary copy at a known offset.
      ...LUKS2_SECONDARY.map(
        (at): Signature => ({
          base: at,
          checks: [{ at: 0, hex: '53 4b 55 4c ba be' }, { u16: 6, is: 2 }, { u64: 256, is: at }],
          fields: { version: '2', label: { at: 24, len: 48 }, details: { header: 'secondary' } },
        }),
      ),
    ],
    fields: { uuid: { at: 168, len: 40, format: 'text' } },
    aka: { blkid: 'crypto_LUKS', qemu: 'luks', file: 'LUKS encrypted file' },
  },
  {
    id: 'lvm2',
    kind: 'volume',
    name: 'LVM2 physical volume',
    // 'LABELONE' in one of the first four sectors; sector_xl names that sector.
    signatures: [0, 1, 2, 3].map((n) => ({
      base: n * 512,
      checks: [{ at: 0, ascii: 'LABELONE' }, { u64le: 8, is: n }, { at: 24, ascii: 'LVM2 001' }],
      fields: { uuid: { at: { u32le: 20 }, format: 'lvm' } },
    })),
    fields: { version: 'LVM2 001' },
    aka: { blkid: 'LVM2_member', file: 'LVM2 PV' },
  },
  {
    id: 'linux_raid',
    kind: 'volume',
    name: 'Linux md RAID member',
    signatures: [
      // 0.90: in the last 64 KiB-aligned 64 KiB of the device, either byte order.
      ...(['le', 'be'] as const).map(
        (endian): Signature => ({
          base: { abs: { sub: [{ alignDown: ['size', 0x10000] }, 0x10000] } },
          endian,
          checks: [{ minSize: 0x20000 }, { u32: 0, is: 0xa92b4efc }, { u32: 4, is: 0 }, { num: { mul: [{ u32: 32 }, 1024] }, max: { var: 'base' } }],
          fields: { version: { join: [{ u32: 4 }, '.', { u32: 8 }, '.', { u32: 12 }] }, uuid: md090Uuid, details: { level: { u32: 28 } } },
        }),
      ),
      md1({ abs: { sub: [{ alignDown: ['size', 0x1000] }, 0x2000] } }, '1.0'),
      md1(0, '1.1'),
      md1(0x1000, '1.2'),
    ],
    refine: 'md1Checksum',
    aka: { blkid: 'linux_raid_member' },
  },
  {
    id: 'bcache',
    kind: 'volume',
    name: 'bcache device',
    signatures: [{ base: 4096, checks: [{ at: 24, hex: 'c6 85 73 f6 4e 1a 45 ca 82 65 f5 7f 48 ba 6d 81' }, { u64le: 8, is: 8 }] }],
    fields: { version: { u64le: 16 }, uuid: { at: 40, format: 'uuid' }, label: { at: 72, len: 32 }, blockSize: { mul: [{ u16le: 0xd8 + 0 }, 1] } },
    aka: { blkid: 'bcache' },
  },
  {
    id: 'zfs',
    kind: 'volume',
    name: 'ZFS pool member',
    // Four 256 KiB labels (two at the start, two at the end); each has an XDR nvlist
    // at +16 KiB and an uberblock ring at +128 KiB (magic 0x00bab10c, either order).
    signatures: [0, 0x40000, { end: 0x80000 }, { end: 0x40000 }].flatMap((base) =>
      (['le', 'be'] as const).map(
        (endian): Signature => ({
          base,
          endian,
          checks: [{ minSize: 64 << 20 }, { u8: 0x4000, is: 1 }, { u8: 0x4001, max: 1 }, { u64: 0x20000, is: 0x00bab10c }],
          fields: { version: { u64: 0x20008 } },
        }),
      ),
    ),
    aka: { blkid: 'zfs_member' },
  },
  {
    id: 'bitlocker',
    kind: 'volume',
    name: 'BitLocker encrypted volume',
    signatures: [
      { checks: [{ at: 0, hex: 'eb 52 90' }, { at: 3, ascii: '-FVE-FS-' }], fields: { version: 'Vista' } },
      { checks: [{ at: 0, hex: 'eb 58 90' }, { at: 3, ascii: '-FVE-FS-' }], fields: { version: '7' } },
      { checks: [{ at: 0, hex: 'eb 58 90' }, { at: 3, ascii: 'MSWIN4.1' }, { at: 424, ascii: '-FVE-FS-' }], fields: { version: 'To Go' } },
    ],
    aka: { blkid: 'BitLocker' },
  },
  {
    id: 'swap',
    kind: 'other',
    name: 'Linux swap',
    // The signature ends the first page; pages of 4 to 64 KiB.
    signatures: [0x1000, 0x2000, 0x4000, 0x8000, 0x10000].flatMap((page): Signature[] => [
      {
        checks: [{ at: page - 10, ascii: 'SWAPSPACE2' }, swapVersion1, { not: { at: 1024, hex: 'ed c3 02 e9 98 56 e5 0c' } }],
        fields: { version: '1', label: { at: 1024 + 28, len: 16 }, uuid: { at: 1024 + 12, format: 'uuid' }, blockSize: page, size: { mul: [{ add: [{ u32le: 1028 }, 1] }, page] } },
      },
      { checks: [{ at: page - 10, ascii: 'SWAP-SPACE' }], fields: { version: '0', blockSize: page } },
    ]),
    drivers: {},
    aka: { blkid: 'swap', file: 'swap file' },
  },
  {
    id: 'swsuspend',
    kind: 'other',
    name: 'Linux hibernation image',
    signatures: [
      { checks: [{ at: 0, hex: 'ed c3 02 e9 98 56 e5 0c' }], fields: { version: 'TuxOnIce' } },
      ...[0x1000, 0x2000, 0x4000, 0x8000, 0x10000].flatMap((page): Signature[] =>
        (['S1SUSPEND', 'S2SUSPEND', 'ULSUSPEND', 'LINHIB0001'] as const).map((magic) => ({
          checks: [{ at: page - 10, ascii: magic }],
          fields: { version: magic === 'LINHIB0001' ? 'LINHIB0001' : magic.slice(0, 2) },
        })),
      ),
    ],
    aka: { blkid: 'swsuspend' },
  },
] as const satisfies readonly FormatEntry[];

/**
 * Filesystems of other Unix systems: BSD UFS1/UFS2, System V and Xenix,
 * SCO BFS, Veritas VxFS, BeOS BFS, QNX6. Many exist in both byte orders;
 * a signature per order keeps the fields right.
 */
import type { FormatEntry, Signature } from '../types.js';

const UFS_MAGIC_AT = 1372;
const UFS1_MAGICS = [0x00011954, 0x00195612, 0x00095014, 0x00612195, 0x05231994];

function ufs(): Signature[] {
  const out: Signature[] = [];
  for (const base of [0, 8192, 65536, 262144]) {
    for (const endian of ['le', 'be'] as const) {
      const id = { join: [{ hex: { u32: 144 }, digits: 8 }, { hex: { u32: 148 }, digits: 8 }] };
      out.push({
        base,
        endian,
        checks: [{ u32: UFS_MAGIC_AT, is: 0x19540119 }],
        fields: { version: '2', label: { at: 680, len: 32 }, uuid: id, blockSize: { u32: 52 }, size: { mul: [{ u64: 1080 }, { u32: 52 }] } },
      });
      out.push({
        base,
        endian,
        checks: [{ u32: UFS_MAGIC_AT, oneOf: UFS1_MAGICS }],
        fields: { version: '1', uuid: id, blockSize: { u32: 52 }, size: { mul: [{ u32: 36 }, { u32: 52 }] } },
      });
    }
  }
  return out;
}

export const FILESYSTEMS_UNIX = [
  {
    id: 'ufs',
    kind: 'filesystem',
    name: 'Unix File System (UFS1/UFS2)',
    // The superblock is at 0, 8, 64 or 256 KiB depending on the system; fs_magic at 1372.
    signatures: ufs(),
    drivers: { guest: 'ufs' },
    aka: { blkid: 'ufs' },
  },
  {
    id: 'sysv',
    kind: 'filesystem',
    name: 'System V filesystem',
    // Superblock in the second half of block 0, 9, 15 or 18 (1 KiB blocks); s_magic at 504.
    signatures: [0, 9, 15, 18].flatMap((block) =>
      (['le', 'be'] as const).map((endian): Signature => ({ base: block * 1024 + 512, endian, checks: [{ u32: 504, is: 0xfd187e20 }] })),
    ),
    fields: { label: { at: 440, len: 6 }, details: { type: { u32: 508 } } },
    drivers: { guest: 'sysv' },
    aka: { blkid: 'sysv' },
  },
  {
    id: 'xenix',
    kind: 'filesystem',
    name: 'Xenix filesystem',
    // Superblock at 1 KiB; s_magic at 0x3f8 of it (Linux fs/sysv).
    signatures: (['le', 'be'] as const).map((endian): Signature => ({ base: 1024, endian, checks: [{ u32: 0x3f8, is: 0x2b5544 }, { u32: 0x3fc, oneOf: [1, 2] }] })),
    fields: { label: { at: 632, len: 6 } },
    drivers: { guest: 'sysv' },
    aka: { blkid: 'xenix' },
  },
  {
    id: 'bfs',
    kind: 'filesystem',
    name: 'SCO UnixWare boot filesystem',
    signatures: [{ checks: [{ u32le: 0, is: 0x1badface }, { num: { u32le: 8 }, max: 'size' }] }],
    fields: { size: { add: [{ u32le: 8 }, 1] } },
    drivers: { guest: 'bfs' },
    aka: { blkid: 'bfs' },
  },
  {
    id: 'vxfs',
    kind: 'filesystem',
    name: 'Veritas File System',
    signatures: [
      { base: 1024, endian: 'le', checks: [{ u32: 0, is: 0xa501fcf5 }] },
      { base: 8192, endian: 'be', checks: [{ u32: 0, is: 0xa501fcf5 }] },
    ],
    fields: { version: { u32: 4 }, blockSize: { u32: 32 } },
    drivers: { guest: 'vxfs' },
    aka: { blkid: 'vxfs' },
  },
  {
    id: 'befs',
    kind: 'filesystem',
    name: 'Be File System',
    // Superblock at 0 (PPC) or 512 (x86, behind a boot block); both magics, either order.
    signatures: [0, 512].flatMap((base) =>
      (['le', 'be'] as const).map((endian): Signature => ({ base, endian, checks: [{ u32: 32, is: 0x42465331 }, { u32: 68, is: 0xdd121031 }] })),
    ),
    fields: { label: { at: 0, len: 32, enc: 'utf8' }, blockSize: { u32: 40 }, size: { mul: [{ u64: 48 }, { u32: 40 }] } },
    drivers: { guest: 'befs' },
    aka: { blkid: 'befs' },
  },
  {
    id: 'qnx6',
    kind: 'filesystem',
    name: 'QNX6 filesystem',
    // Superblock after an 8 KiB boot area (or at 0 on "mmi" images); either order.
    signatures: [0x2000, 0].flatMap((base) =>
      (['le', 'be'] as const).map((endian): Signature => ({ base, endian, checks: [{ u32: 0, is: 0x68191122 }, { u32: 48, oneOf: [512, 1024, 2048, 4096] }] })),
    ),
    fields: { blockSize: { u32: 48 }, size: { mul: [{ u32: 56 }, { u32: 48 }] } },
    drivers: { guest: 'qnx6' },
  },
] as const satisfies readonly FormatEntry[];

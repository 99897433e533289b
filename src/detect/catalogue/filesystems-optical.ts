/**
 * Optical-disc filesystems. Both start with a volume recognition sequence of
 * 2 KiB descriptors at 32 KiB; ISO 9660's primary descriptor is 'CD001',
 * UDF adds 'BEA01' … 'NSR02'/'NSR03' and an anchor at block 256. A UDF
 * bridge disc has both and blkid (like us) calls it udf, ranking it first.
 */
import type { FormatEntry } from '../types.js';

export const FILESYSTEMS_OPTICAL = [
  {
    id: 'udf',
    kind: 'filesystem',
    name: 'Universal Disk Format',
    signatures: [
      {
        checks: [
          {
            any: ['BEA01', 'NSR02', 'NSR03', 'BOOT2', 'CD001', 'CDW02', 'TEA01'].map((id) => ({ at: 0x8001, ascii: id })),
          },
        ],
      },
    ],
    refine: 'udf',
    drivers: { guest: 'udf' },
    aka: { blkid: 'udf', file: 'UDF filesystem' },
  },
  {
    id: 'iso9660',
    kind: 'filesystem',
    name: 'ISO 9660',
    signatures: [
      // Any descriptor type at 32 KiB: the walk (refine) finds the primary one.
      { checks: [{ at: 0x8001, ascii: 'CD001' }, { u8: 0x8006, is: 1 }, { not: { format: 'udf' } }] },
      { checks: [{ at: 0x8009, ascii: 'CDROM' }, { not: { format: 'udf' } }], fields: { details: { highSierra: 'yes' } } },
    ],
    refine: 'iso9660',
    drivers: { native: 'iso9660', guest: 'iso9660' },
    aka: { blkid: 'iso9660', file: 'ISO 9660' },
  },
] as const satisfies readonly FormatEntry[];

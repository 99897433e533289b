/**
 * Disk image containers: formats that hold a virtual disk. `size` is the
 * virtual disk size; `aka.qemu` is what `qemu-img info` calls the format.
 */
import type { FormatEntry } from '../types.js';

export const CONTAINERS = [
  {
    id: 'qcow2',
    kind: 'container',
    name: 'QEMU copy-on-write v2',
    // QCowHeader (docs/interop/qcow2.txt), big-endian.
    signatures: [{ checks: [{ at: 0, ascii: 'QFI\xfb' }, { u32be: 4, oneOf: [2, 3] }] }],
    fields: {
      version: { join: ['v', { u32be: 4 }] },
      size: { u64be: 24 },
      details: {
        clusterSize: { shl: [1, { u32be: 20 }] },
        backingFile: { at: { u64be: 8 }, len: { u32be: 16 }, enc: 'utf8' },
        encryption: { num: { u32be: 32 }, names: { 0: 'none', 1: 'aes', 2: 'luks' } },
        snapshots: { u32be: 60 },
      },
    },
    drivers: { native: 'qcow2' },
    aka: { qemu: 'qcow2', file: '^QEMU QCOW2? Image' },
  },
  {
    id: 'qcow',
    kind: 'container',
    name: 'QEMU copy-on-write v1',
    signatures: [{ checks: [{ at: 0, ascii: 'QFI\xfb' }, { u32be: 4, is: 1 }] }],
    fields: { version: 'v1', size: { u64be: 24 }, details: { clusterSize: { shl: [1, { u8: 32 }] } } },
    aka: { qemu: 'qcow', file: '^QEMU QCOW' },
  },
  {
    id: 'qed',
    kind: 'container',
    name: 'QEMU enhanced disk',
    signatures: [{ checks: [{ at: 0, ascii: 'QED\0' }, { u32le: 4, powerOf2: true }] }],
    fields: { size: { u64le: 48 }, details: { clusterSize: { u32le: 4 }, tableSize: { u32le: 8 } } },
    aka: { qemu: 'qed' },
  },
  {
    id: 'vmdk',
    kind: 'container',
    name: 'VMware virtual disk',
    signatures: [
      {
        // SparseExtentHeader: capacity in sectors at 12.
        checks: [{ at: 0, ascii: 'KDMV' }, { u32le: 4, oneOf: [1, 2, 3] }],
        fields: {
          version: { join: ['sparse v', { u32le: 4 }] },
          size: { mul: [{ u64le: 12 }, 512] },
          details: { grainSize: { mul: [{ u64le: 20 }, 512] }, compression: { num: { u16le: 77 }, names: { 0: 'none', 1: 'deflate' } } },
        },
      },
      { checks: [{ at: 0, ascii: 'COWD' }, { u32le: 4, is: 1 }], fields: { version: 'cowd', size: { mul: [{ u32le: 12 }, 512] } } },
      // A text descriptor naming extent files; its size is the sum of the extent lines.
      { checks: [{ at: 0, ascii: '# Disk DescriptorFile' }], fields: { version: 'descriptor' } },
    ],
    aka: { qemu: 'vmdk', file: 'VMware|VMDK' },
  },
  {
    id: 'vpc',
    kind: 'container',
    name: 'Virtual PC / Hyper-V VHD',
    // The footer (512 bytes, big-endian) is at the end of every VHD; dynamic and
    // differencing disks also keep a copy at 0, followed by the 'cxsparse' header.
    signatures: [
      { checks: [{ at: 0, ascii: 'conectix' }, { u32be: 60, oneOf: [3, 4] }] },
      { base: { end: 512 }, checks: [{ at: 0, ascii: 'conectix' }, { u32be: 60, oneOf: [2, 3, 4] }] },
    ],
    fields: {
      version: { num: { u32be: 60 }, names: { 2: 'fixed', 3: 'dynamic', 4: 'differencing' } },
      size: { u64be: 48 },
      uuid: { at: 68, format: 'uuid' },
      details: { creator: { at: 28, len: 4 } },
    },
    aka: { qemu: 'vpc', file: 'Microsoft Disk Image|Virtual PC' },
  },
  {
    id: 'vhdx',
    kind: 'container',
    name: 'Hyper-V VHDX',
    signatures: [{ checks: [{ at: 0, ascii: 'vhdxfile' }, { at: 0x10000, ascii: 'head' }] }, { checks: [{ at: 0, ascii: 'vhdxfile' }] }],
    fields: { details: { creator: { at: 8, len: 512, enc: 'utf16le' } } },
    aka: { qemu: 'vhdx', file: 'Microsoft Disk Image eXtended' },
  },
  {
    id: 'vdi',
    kind: 'container',
    name: 'VirtualBox disk image',
    // Pre-header: a text line in 64 bytes, then the magic and version.
    signatures: [{ checks: [{ u32le: 64, is: 0xbeda107f }, { u16le: 70, is: 1 }] }],
    fields: {
      version: { join: [{ u16le: 70 }, '.', { u16le: 68 }] },
      size: { u64le: 368 },
      uuid: { at: 392, format: 'guid' },
      details: { type: { num: { u32le: 76 }, names: { 1: 'dynamic', 2: 'fixed', 3: 'undo', 4: 'differencing' } }, blockSize: { u32le: 376 } },
    },
    aka: { qemu: 'vdi', file: 'VirtualBox Disk Image' },
  },
  {
    id: 'parallels',
    kind: 'container',
    name: 'Parallels disk image',
    signatures: [{ checks: [{ any: [{ at: 0, ascii: 'WithoutFreeSpace' }, { at: 0, ascii: 'WithouFreSpacExt' }] }, { u32le: 16, is: 2 }] }],
    fields: { version: 'v2', size: { mul: [{ u64le: 36 }, 512] }, details: { clusterSize: { mul: [{ u32le: 28 }, 512] } } },
    aka: { qemu: 'parallels' },
  },
  {
    id: 'bochs',
    kind: 'container',
    name: 'Bochs growing disk',
    signatures: [
      {
        checks: [{ at: 0, ascii: 'Bochs Virtual HD Image\0' }, { at: 32, ascii: 'Redolog\0' }, { at: 48, ascii: 'Growing\0' }, { u32le: 64, oneOf: [0x10000, 0x20000] }],
      },
    ],
    fields: { size: { u64le: 88 }, version: { num: { u32le: 64 }, names: { 0x10000: 'v1', 0x20000: 'v2' } } },
    aka: { qemu: 'bochs' },
  },
  {
    id: 'cloop',
    kind: 'container',
    name: 'Linux compressed loop image',
    // A shell preamble in the first 128 bytes, then block size and count (big-endian).
    signatures: [{ checks: [{ at: 0, ascii: '#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0' }] }],
    fields: { size: { mul: [{ u32be: 128 }, { u32be: 132 }] }, version: 'v2', details: { blockSize: { u32be: 128 }, blocks: { u32be: 132 } } },
    aka: { qemu: 'cloop' },
  },
  {
    id: 'dmg',
    kind: 'container',
    name: 'Apple disk image (UDIF)',
    // The 512-byte 'koly' trailer at the end, big-endian.
    signatures: [{ base: { end: 512 }, checks: [{ at: 0, ascii: 'koly' }, { u32be: 4, is: 4 }, { u32be: 8, is: 512 }] }],
    fields: { version: { join: ['v', { u32be: 4 }] }, size: { mul: [{ u64be: 492 }, 512] }, uuid: { at: 80, format: 'uuid' } },
    aka: { qemu: 'dmg' },
  },
  {
    id: 'ewf',
    kind: 'container',
    name: 'Expert Witness (EnCase) image',
    signatures: [{ checks: [{ at: 0, hex: '45 56 46 09 0d 0a ff 00' }] }],
    aka: { file: 'EWF|Expert Witness' },
  },
] as const satisfies readonly FormatEntry[];

/**
 * The VHDX metadata region: a 64 KiB table of (item GUID, offset, length,
 * flags) and the items it points at. We read the system items the format
 * defines and refuse an unknown item marked required.
 */
import { BinaryReader } from '../../binary/reader.js';
import { corrupt, unsupported } from '../corrupt.js';
import { readStructure, type BlockDevice } from '../device.js';
import { KiB, MiB, guidAt, type Region } from './header.js';

export const FILE_PARAMETERS = 'CAA16737-FA36-4D43-B3B6-33F0AA44E76B';
export const VIRTUAL_DISK_SIZE = '2FA54224-CD1B-4876-B211-5DBED83BF4B8';
export const PAGE83_DATA = 'BECA12AB-B2E6-4523-93EF-C309E000C746';
export const LOGICAL_SECTOR_SIZE = '8141BF1D-A96F-4709-BA47-F233A8FAAB5F';
export const PHYSICAL_SECTOR_SIZE = 'CDA348C7-445D-4471-9CC9-E9885251C556';
export const PARENT_LOCATOR = 'A8D35F2D-B30B-454D-ABF7-D3D84834AB0C';
export const VHDX_PARENT_LOCATOR_TYPE = 'B04AEFB7-D19E-4A81-B789-25B8E9445913';
const KNOWN = new Set([FILE_PARAMETERS, VIRTUAL_DISK_SIZE, PAGE83_DATA, LOGICAL_SECTOR_SIZE, PHYSICAL_SECTOR_SIZE, PARENT_LOCATOR]);

/** [MS-VHDX] limits: 64 TiB disks, blocks of 1 to 256 MiB. */
export const MAX_DISK_SIZE = 64 * 1024 * 1024 * MiB;

export interface VhdxMetadata {
  blockSize: number;
  leaveBlocksAllocated: boolean;
  hasParent: boolean;
  virtualDiskSize: number;
  logicalSectorSize: number;
  physicalSectorSize: number;
  page83Data: string;
  /** Key/value pairs of the parent locator, when there is one. */
  parentLocator?: Map<string, string>;
}

export async function readMetadata(file: BlockDevice, region: Region): Promise<VhdxMetadata> {
  const base = region.fileOffset;
  const table = await readStructure(file, base, 64 * KiB, 'vhdx: metadata table');
  const r = new BinaryReader(table, 'vhdx metadata table');
  if (r.ascii(0, 8) !== 'metadata') throw corrupt('vhdx', 'metadata table', base, 'no "metadata" signature');
  const count = r.u16le(10);
  if (count > 2047) throw corrupt('vhdx', 'metadata table', base, `entry count ${count} over 2047`);
  const items = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    const o = 32 + i * 32;
    const id = guidAt(r, o);
    const offset = r.u32le(o + 16);
    const length = r.u32le(o + 20);
    const flags = r.u32le(o + 24);
    const isRequired = (flags & 4) !== 0;
    if (!KNOWN.has(id)) {
      if (isRequired) throw unsupported('vhdx', `required metadata item ${id} is unknown`);
      continue;
    }
    if (length === 0) continue;
    if (offset < 64 * KiB || offset + length > region.length || length > MiB) {
      throw corrupt('vhdx', `metadata item ${id}`, base + o, `${length} bytes at region offset ${offset} lie outside the metadata region`);
    }
    items.set(id, await readStructure(file, base + offset, length, `vhdx: metadata item ${id}`));
  }
  const need = (id: string, name: string, bytes: number): BinaryReader => {
    const b = items.get(id);
    if (!b || b.length < bytes) throw corrupt('vhdx', 'metadata table', base, `missing or short ${name} item`);
    return new BinaryReader(b, `vhdx ${name}`);
  };
  const fp = need(FILE_PARAMETERS, 'file parameters', 8);
  const md: VhdxMetadata = {
    blockSize: fp.u32le(0),
    leaveBlocksAllocated: (fp.u32le(4) & 1) !== 0,
    hasParent: (fp.u32le(4) & 2) !== 0,
    virtualDiskSize: need(VIRTUAL_DISK_SIZE, 'virtual disk size', 8).u64le(0),
    logicalSectorSize: need(LOGICAL_SECTOR_SIZE, 'logical sector size', 4).u32le(0),
    physicalSectorSize: need(PHYSICAL_SECTOR_SIZE, 'physical sector size', 4).u32le(0),
    page83Data: items.has(PAGE83_DATA) ? guidAt(new BinaryReader(items.get(PAGE83_DATA)!, 'page83'), 0) : '',
  };
  const bs = md.blockSize;
  if (bs < MiB || bs > 256 * MiB || (bs & (bs - 1)) !== 0) throw corrupt('vhdx', 'file parameters', base, `block size ${bs} is not a power of two between 1 and 256 MiB`);
  if (md.logicalSectorSize !== 512 && md.logicalSectorSize !== 4096) throw corrupt('vhdx', 'logical sector size', base, `${md.logicalSectorSize} (must be 512 or 4096)`);
  if (md.physicalSectorSize !== 512 && md.physicalSectorSize !== 4096) throw corrupt('vhdx', 'physical sector size', base, `${md.physicalSectorSize} (must be 512 or 4096)`);
  const size = md.virtualDiskSize;
  if (size === 0 || size > MAX_DISK_SIZE || size % md.logicalSectorSize !== 0) {
    throw corrupt('vhdx', 'virtual disk size', base, `${size} is not a multiple of the sector size up to 64 TiB`);
  }
  if (md.hasParent) {
    const pl = items.get(PARENT_LOCATOR);
    if (!pl) throw corrupt('vhdx', 'metadata table', base, 'differencing disk without a parent locator');
    md.parentLocator = parseParentLocator(pl, base);
  }
  return md;
}

function parseParentLocator(b: Uint8Array, base: number): Map<string, string> {
  const r = new BinaryReader(b, 'vhdx parent locator');
  const type = guidAt(r, 0);
  if (type !== VHDX_PARENT_LOCATOR_TYPE) throw unsupported('vhdx', `parent locator type ${type}`);
  const count = r.u16le(18);
  if (20 + count * 12 > b.length) throw corrupt('vhdx', 'parent locator', base, `${count} entries do not fit in ${b.length} bytes`);
  const out = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const o = 20 + i * 12;
    const ko = r.u32le(o);
    const vo = r.u32le(o + 4);
    const kl = r.u16le(o + 8);
    const vl = r.u16le(o + 10);
    if (ko + kl > b.length || vo + vl > b.length) throw corrupt('vhdx', 'parent locator', base, `entry ${i} points outside the item`);
    out.set(r.utf16le(ko, kl), r.utf16le(vo, vl));
  }
  r.check();
  return out;
}

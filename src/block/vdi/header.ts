/**
 * The VirtualBox VDI header (version 1.1, little-endian): a 64-byte text
 * pre-header, the signature 0xbeda107f, then the fields below. Names follow
 * VirtualBox's VDIHEADER1 (as QEMU's vdi.c also spells them).
 */
import { BinaryReader } from '../../binary/reader.js';
import { corrupt, unsupported } from '../corrupt.js';

export const VDI_SIGNATURE = 0xbeda107f;
export const VDI_VERSION_1_1 = 0x00010001;
export const VDI_TYPE_DYNAMIC = 1;
export const VDI_TYPE_STATIC = 2;
export const VDI_TYPE_UNDO = 3;
export const VDI_TYPE_DIFF = 4;
export const VDI_UNALLOCATED = 0xffffffff;
export const VDI_DISCARDED = 0xfffffffe;
export const HEADER_BYTES = 512;
const TYPE_NAMES: Record<number, string> = { 1: 'dynamic', 2: 'static', 3: 'undo', 4: 'diff' };

export interface VdiHeader {
  text: string;
  version: number;
  headerSize: number;
  imageType: number;
  imageFlags: number;
  description: string;
  offsetBmap: number;
  offsetData: number;
  cylinders: number;
  heads: number;
  sectors: number;
  sectorSize: number;
  diskSize: number;
  blockSize: number;
  blockExtra: number;
  blocksInImage: number;
  blocksAllocated: number;
  uuidImage: Uint8Array;
  uuidLastSnap: Uint8Array;
  uuidLink: Uint8Array;
  uuidParent: Uint8Array;
}

export function typeName(t: number): string {
  return TYPE_NAMES[t] ?? `type ${t}`;
}

export function parseVdiHeader(b: Uint8Array): VdiHeader {
  const r = new BinaryReader(b, 'vdi header');
  const sig = r.u32le(64);
  r.check();
  if (sig !== VDI_SIGNATURE) throw corrupt('vdi', 'header', 64, `bad signature 0x${sig.toString(16)} (want 0xbeda107f)`);
  const version = r.u32le(68);
  if (version !== VDI_VERSION_1_1) {
    throw unsupported('vdi', `header version ${version >>> 16}.${version & 0xffff} (only 1.1 is supported)`);
  }
  const h: VdiHeader = {
    text: r.ascii(0, 64).replace(/\n$/, ''),
    version,
    headerSize: r.u32le(72),
    imageType: r.u32le(76),
    imageFlags: r.u32le(80),
    description: r.ascii(84, 256),
    offsetBmap: r.u32le(340),
    offsetData: r.u32le(344),
    cylinders: r.u32le(348),
    heads: r.u32le(352),
    sectors: r.u32le(356),
    sectorSize: r.u32le(360),
    diskSize: r.u64le(368),
    blockSize: r.u32le(376),
    blockExtra: r.u32le(380),
    blocksInImage: r.u32le(384),
    blocksAllocated: r.u32le(388),
    uuidImage: r.slice(392, 16).slice(),
    uuidLastSnap: r.slice(408, 16).slice(),
    uuidLink: r.slice(424, 16).slice(),
    uuidParent: r.slice(440, 16).slice(),
  };
  r.check();
  return h;
}

/** Checks what the reader relies on (QEMU's vdi_open checks much the same). */
export function validateVdiHeader(h: VdiHeader, fileSize: number): void {
  const bad = (what: string) => corrupt('vdi', 'header', 0, what);
  if (h.imageType === VDI_TYPE_DIFF || h.imageType === VDI_TYPE_UNDO) {
    throw unsupported('vdi', `${typeName(h.imageType)} image: VirtualBox finds its parent (UUID ${uuidString(h.uuidParent)}) through its media registry, which anymount cannot see`);
  }
  if (h.imageType !== VDI_TYPE_DYNAMIC && h.imageType !== VDI_TYPE_STATIC) throw unsupported('vdi', `image type ${h.imageType}`);
  if (h.headerSize < 0x180) throw bad(`header size ${h.headerSize} is below the 384 bytes of version 1.1`);
  if (h.sectorSize !== 512) throw unsupported('vdi', `sector size ${h.sectorSize} (only 512)`);
  if (h.blockSize < 512 || h.blockSize > (256 << 20) || (h.blockSize & (h.blockSize - 1)) !== 0) throw bad(`block size ${h.blockSize} is not a power of two between 512 and 256 MiB`);
  if (h.blockExtra > (256 << 20) || h.blockExtra % 512 !== 0) throw bad(`block extra ${h.blockExtra} is not a small multiple of 512`);
  if (h.diskSize > h.blocksInImage * h.blockSize) throw bad(`disk size ${h.diskSize} exceeds ${h.blocksInImage} blocks of ${h.blockSize} bytes`);
  if (h.diskSize % 512 !== 0) throw bad(`disk size ${h.diskSize} is not a multiple of 512`);
  if (h.offsetBmap < HEADER_BYTES || h.offsetBmap % 512 !== 0) throw bad(`block map offset ${h.offsetBmap} is not sector aligned after the header`);
  if (h.offsetData % 512 !== 0 || h.offsetData < h.offsetBmap + h.blocksInImage * 4) throw bad(`data offset ${h.offsetData} overlaps the block map`);
  if (h.offsetData > fileSize) throw bad(`data offset ${h.offsetData} is past the end of the file (${fileSize} bytes)`);
}

export function uuidString(b: Uint8Array): string {
  // VirtualBox stores RTUUIDs in the Microsoft layout: first three fields little-endian.
  const x = (i: number) => b[i]!.toString(16).padStart(2, '0');
  const seq = (ids: number[]) => ids.map(x).join('');
  return `${seq([3, 2, 1, 0])}-${seq([5, 4])}-${seq([7, 6])}-${seq([8, 9])}-${seq([10, 11, 12, 13, 14, 15])}`;
}

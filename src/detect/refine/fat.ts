/**
 * FAT12/16/32 cannot be told apart by magic: the cluster count computed
 * from the BPB decides (Microsoft's rule, as blkid and the kernel apply it).
 * The label blkid reports is the volume-label entry of the root directory,
 * not the copy in the boot sector, so we look there (a bounded walk).
 */
import type { Refine } from './index.js';

const FAT12_MAX = 0xff4;
const FAT16_MAX = 0xfff4;
const FAT32_MAX = 0x0ffffff6;
const ATTR_VOLUME_ID = 0x08;
const ATTR_DIR = 0x10;
const ATTR_LONG_NAME = 0x0f;
/** Root directory clusters followed on FAT32 before giving up (blkid: 100). */
const MAX_ROOT_CLUSTERS = 100;

export const refineFat: Refine = async ({ match, scope }) => {
  const bs = await scope.cache.bytes(scope.base, 512);
  if (!bs) return null;
  const v = new DataView(bs.buffer, bs.byteOffset, 512);
  const sectorSize = v.getUint16(0x0b, true);
  const clusterSectors = bs[0x0d]!;
  const reserved = v.getUint16(0x0e, true);
  const fats = bs[0x10]!;
  const dirEntries = v.getUint16(0x11, true);
  const media = bs[0x15]!;
  const fat16Length = v.getUint16(0x16, true);
  const fat32Length = v.getUint32(0x24, true);
  let sectors = v.getUint16(0x13, true);
  if (sectors === 0) sectors = v.getUint32(0x20, true);

  if (fats === 0 || reserved === 0) return null;
  if (!(media >= 0xf8 || media === 0xf0)) return null;
  if (clusterSectors === 0 || (clusterSectors & (clusterSectors - 1)) !== 0) return null;
  if (sectorSize < 512 || sectorSize > 4096 || (sectorSize & (sectorSize - 1)) !== 0) return null;

  const fatLength = fat16Length || fat32Length;
  const fatSize = fatLength * fats;
  const dirSectors = Math.ceil((dirEntries * 32) / sectorSize);
  const dataSectors = sectors - (reserved + fatSize + dirSectors);
  // blkid does this in uint32 arithmetic: a negative count wraps and fails the max test.
  const clusters = dataSectors < 0 ? Infinity : Math.floor(dataSectors / clusterSectors);
  const isFat32 = fat16Length === 0 && fat32Length !== 0;
  const max = isFat32 ? FAT32_MAX : clusters > FAT12_MAX ? FAT16_MAX : FAT12_MAX;
  if (clusters > max) return null;
  // BitLocker volumes carry a FAT-like BPB.
  if (matchBytes(bs, 3, '-FVE-FS-')) return null;

  const out = { ...match, blockSize: sectorSize * clusterSectors, size: sectorSize * sectors };
  const details: Record<string, unknown> = { ...match.details, clusters, sectorSize };
  let label: string | undefined;
  let serial: Uint8Array | undefined;
  let bootLabelAt: number | undefined;

  if (fat16Length !== 0) {
    const version = clusters < FAT12_MAX ? 'FAT12' : clusters < FAT16_MAX ? 'FAT16' : undefined;
    if (version) out.version = version;
    else delete out.version;
    const rootStart = scope.base + (reserved + fatSize) * sectorSize;
    label = await findLabel(scope.cache, rootStart, dirEntries);
    const sign = bs[0x26]!;
    if (sign === 0x29) bootLabelAt = 0x2b;
    if (sign === 0x28 || sign === 0x29) serial = bs.subarray(0x27, 0x2b);
  } else if (fat32Length !== 0) {
    out.version = 'FAT32';
    const clusterBytes = clusterSectors * sectorSize;
    const dataStart = reserved + fatSize;
    const fatEntries = Math.floor((fat32Length * sectorSize) / 4);
    let next = v.getUint32(0x2c, true);
    for (let loops = 0; next && next < fatEntries && loops < MAX_ROOT_CLUSTERS; loops++) {
      const at = scope.base + (dataStart + (next - 2) * clusterSectors) * sectorSize;
      label = await findLabel(scope.cache, at, Math.floor(clusterBytes / 32));
      if (label !== undefined) break;
      const entry = await scope.cache.bytes(scope.base + reserved * sectorSize + next * 4, 4);
      if (!entry) break;
      next = (entry[0]! | (entry[1]! << 8) | (entry[2]! << 16) | (entry[3]! << 24)) & 0x0fffffff;
    }
    if (bs[0x42] === 0x29) bootLabelAt = 0x47;
    serial = bs.subarray(0x43, 0x47);
    // FSInfo must carry its signatures, or be all zero as some formatters leave it.
    const fsinfo = v.getUint16(0x30, true);
    if (fsinfo) {
      const fi = await scope.cache.bytes(scope.base + fsinfo * sectorSize, 512);
      if (!fi) return null;
      const sig1 = String.fromCharCode(...fi.subarray(0, 4));
      const sig2 = String.fromCharCode(...fi.subarray(484, 488));
      if (sig1 !== 'RRaA' && sig1 !== 'RRdA' && sig1 !== '\0\0\0\0') return null;
      if (sig2 !== 'rrAa' && sig2 !== '\0\0\0\0') return null;
    }
  } else {
    return null;
  }

  if (label !== undefined) out.label = label;
  else delete out.label;
  if (serial) {
    const h = (n: number) => serial![n]!.toString(16).padStart(2, '0').toUpperCase();
    out.uuid = `${h(3)}${h(2)}-${h(1)}${h(0)}`;
  }
  if (bootLabelAt !== undefined) {
    const bl = latin1(bs.subarray(bootLabelAt, bootLabelAt + 11)).replace(/[\s\0]+$/, '');
    if (bl && bl !== 'NO NAME') details.bootLabel = bl;
  }
  out.details = details;
  // A FAT BPB that adds up is strong evidence on top of the magic.
  out.confidence = Math.min(1, match.confidence + 0.2);
  return out;
};

async function findLabel(cache: { bytes(o: number, n: number): Promise<Uint8Array | undefined> }, offset: number, entries: number): Promise<string | undefined> {
  const n = Math.min(entries, 4096);
  for (let i = 0; i < n; i++) {
    const e = await cache.bytes(offset + i * 32, 32);
    if (!e || e[0] === 0) return undefined;
    const attr = e[11]!;
    const clusterHigh = e[20]! | (e[21]! << 8);
    const clusterLow = e[26]! | (e[27]! << 8);
    if (e[0] === 0xe5 || clusterHigh !== 0 || clusterLow !== 0 || (attr & 0x3f) === ATTR_LONG_NAME) continue;
    if ((attr & (ATTR_VOLUME_ID | ATTR_DIR)) === ATTR_VOLUME_ID) {
      const name = e.slice(0, 11);
      if (name[0] === 0x05) name[0] = 0xe5;
      const t = latin1(name).replace(/[\s\0]+$/, '');
      return t === '' ? undefined : t;
    }
  }
  return undefined;
}

function matchBytes(b: Uint8Array, at: number, s: string): boolean {
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

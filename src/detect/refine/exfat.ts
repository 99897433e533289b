/**
 * exFAT: the label is a directory entry (type 0x83) in the root directory,
 * which lives in the cluster heap; follow the root's FAT chain a bounded
 * number of clusters, as blkid does.
 */
import type { Refine } from './index.js';

const ENTRY_LABEL = 0x83;
const ENTRY_EOD = 0x00;
const MAX_ENTRIES = 10000;

export const refineExfat: Refine = async ({ match, scope }) => {
  const b = await scope.cache.bytes(scope.base, 512);
  if (!b) return null;
  const v = new DataView(b.buffer, b.byteOffset, 512);
  const sectorShift = b[108]!;
  const clusterShift = b[109]!;
  if (sectorShift < 9 || sectorShift > 12 || clusterShift > 25 - sectorShift) return null;
  if (b[110]! < 1 || b[110]! > 2) return null;
  for (let i = 11; i < 64; i++) if (b[i] !== 0) return null;
  const sector = 2 ** sectorShift;
  const cluster = sector * 2 ** clusterShift;
  const fatOffset = v.getUint32(80, true);
  const heap = v.getUint32(88, true);
  const clusterCount = v.getUint32(92, true);
  let clusterNo = v.getUint32(96, true);
  const volumeLength = v.getUint32(76, true) * 0x1_0000_0000 + v.getUint32(72, true);
  let label: string | undefined;
  let seen = 0;
  walk: for (let hops = 0; hops < 64 && clusterNo >= 2 && clusterNo < clusterCount + 2; hops++) {
    const at = scope.base + heap * sector + (clusterNo - 2) * cluster;
    for (let off = 0; off < cluster && seen < MAX_ENTRIES; off += 32, seen++) {
      const e = await scope.cache.bytes(at + off, 32);
      if (!e || e[0] === ENTRY_EOD) break walk;
      if (e[0] === ENTRY_LABEL) {
        const len = Math.min(e[1]!, 11);
        let s = '';
        for (let i = 0; i < len; i++) s += String.fromCharCode(e[2 + 2 * i]! | (e[3 + 2 * i]! << 8));
        label = s;
        break walk;
      }
    }
    const next = await scope.cache.bytes(scope.base + fatOffset * sector + clusterNo * 4, 4);
    if (!next) break;
    clusterNo = new DataView(next.buffer, next.byteOffset, 4).getUint32(0, true);
  }
  const out = { ...match, blockSize: cluster, size: volumeLength * sector, confidence: Math.min(1, match.confidence + 0.2) };
  if (label) out.label = label;
  return out;
};

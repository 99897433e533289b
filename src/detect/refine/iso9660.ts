/**
 * ISO 9660: walk the volume descriptor set (2 KiB each from 32 KiB, to the
 * terminator) for the primary descriptor, a Joliet supplementary one (escape
 * sequence %/@, %/C or %/E) and a boot record — as blkid does. The label
 * is the Joliet name merged with the PVD's (Joliet keeps case, the PVD keeps
 * length), the "UUID" the PVD modification date (creation date if unset).
 */
import type { Refine } from './index.js';

const VD_START = 0x8000;
const VD_SIZE = 2048;
const VD_MAX = 16;

export const refineIso9660: Refine = async ({ match, scope }) => {
  const highSierra = match.details?.highSierra === 'yes';
  const skip = highSierra ? 8 : 0;
  let pvd: Uint8Array | undefined;
  let joliet: Uint8Array | undefined;
  let boot: Uint8Array | undefined;
  for (let i = 0; i < VD_MAX && (!pvd || !boot || (!highSierra && !joliet)); i++) {
    const d = await scope.cache.bytes(VD_START + i * VD_SIZE + skip, 2048 - skip);
    if (!d || d[0] === 0xff) break;
    if (!boot && d[0] === 0) boot = d;
    else if (!pvd && d[0] === 1) pvd = d;
    else if (!highSierra && !joliet && d[0] === 2) {
      const esc = String.fromCharCode(d[88]!, d[89]!, d[90]!);
      if (esc === '%/@' || esc === '%/C' || esc === '%/E') joliet = d;
    }
  }
  if (!pvd) return null;
  const dv = new DataView(pvd.buffer, pvd.byteOffset, pvd.length);
  const blockSize = dv.getUint16(128, true);
  const blocks = dv.getUint32(80, true);
  if (blockSize === 0) return null;
  // The root directory's first record must be "." pointing at itself (blkid's false-positive guard).
  const rootLba = dv.getUint32(156 + 2, true);
  const rootLen = dv.getUint32(156 + 10, true);
  if (rootLen < 34) return null;
  const root = await scope.cache.bytes(rootLba * blockSize, 34);
  if (!root || root[0]! < 34 || root[32] !== 1 || root[33] !== 0) return null;
  if (new DataView(root.buffer, root.byteOffset, 34).getUint32(2, true) !== rootLba) return null;

  const out = { ...match, blockSize, size: blocks * blockSize };
  const details: Record<string, unknown> = { ...match.details };
  delete details.highSierra;
  const pvdLabel = latin1(pvd.subarray(40, 72));
  let label: string | undefined;
  if (joliet) {
    label = mergeJoliet(joliet.subarray(40, 72), pvd.subarray(40, 72)) ?? utf16be(joliet.subarray(40, 72));
    out.version = 'Joliet Extension';
  } else {
    label = pvdLabel;
    if (highSierra) out.version = 'High Sierra';
  }
  label = label.replace(/[\s\0]+$/, '');
  if (label) out.label = label;
  else delete out.label;
  // ISO: dates at 813 (created) and 830 (modified), 17 bytes each; High Sierra: 16 bytes at 805/821.
  const [createdAt, modifiedAt, dateLen] = highSierra ? [805, 821, 16] : [813, 830, 17];
  const uuid = isoDate(pvd.subarray(modifiedAt, modifiedAt + dateLen)) ?? isoDate(pvd.subarray(createdAt, createdAt + dateLen));
  if (uuid) out.uuid = uuid;
  const systemId = latin1(pvd.subarray(8, 40)).trim();
  if (systemId) details.systemId = systemId;
  const appId = latin1(pvd.subarray(574, 702)).trim();
  if (appId) details.applicationId = appId;
  if (boot) {
    const bootId = latin1(boot.subarray(7, 39)).replace(/[\s\0]+$/, '');
    if (bootId) details.bootSystemId = bootId;
  }
  out.details = details;
  out.confidence = Math.min(1, match.confidence + 0.2);
  return out;
};

function isoDate(d: Uint8Array): string | undefined {
  const t = latin1(d.subarray(0, 16));
  const offset = d.length > 16 ? d[16]! : 0;
  if (/^0{16}$/.test(t) && offset === 0) return undefined;
  return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}-${t.slice(8, 10)}-${t.slice(10, 12)}-${t.slice(12, 14)}-${t.slice(14, 16)}`;
}

/**
 * Joliet names are UTF-16BE and at most 16 characters; the PVD name is upper-case
 * ASCII up to 32 with '_' for what it cannot hold. Where one is a prefix of the
 * other, take Joliet's characters and the PVD's tail (blkid's reconstruction).
 */
function mergeJoliet(utf16: Uint8Array, ascii: Uint8Array): string | undefined {
  const len = ascii.length;
  const out: number[] = [];
  let a = 0;
  let u = 0;
  for (; u + 1 < len && a < len; a++, u += 2) {
    if (utf16[u]! >= 0xd8 && utf16[u]! <= 0xdb && u + 3 < len && utf16[u + 2]! >= 0xdc && utf16[u + 2]! <= 0xdf) {
      out.push((utf16[u]! << 8) | utf16[u + 1]!);
      u += 2;
    }
    const hi = utf16[u]!;
    const lo = utf16[u + 1]!;
    const c = ascii[a]!;
    if (c === 0x5f) out.push((hi << 8) | lo);
    else if (hi === 0 && lo === 0x5f) out.push(c);
    else if (hi === 0 && upper(c) === upper(lo)) out.push(c >= 0x41 && c <= 0x5a ? lo : c);
    else return undefined;
  }
  for (; a < len; a++) out.push(ascii[a]!);
  let end = out.indexOf(0);
  if (end < 0) end = out.length;
  return String.fromCharCode(...out.slice(0, end));
}

function upper(c: number): number {
  return c >= 0x61 && c <= 0x7a ? c - 32 : c;
}

function utf16be(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 1 < b.length; i += 2) {
    const c = (b[i]! << 8) | b[i + 1]!;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) {
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

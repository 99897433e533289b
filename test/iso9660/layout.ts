/**
 * A small reader of the ISO 9660 layout, independent of the driver, for
 * tests that need to find structures in a real image (to break them, or to
 * aim fuzzing at them): directory records by ISO identifier, SUSP entries.
 */
import assert from 'node:assert/strict';

export interface Rec {
  offset: number;
  len: number;
  id: string;
  extent: number;
  size: number;
  flags: number;
  /** Offset of the system use area. */
  su: number;
}

export const le32 = (b: Uint8Array, o: number): number => new DataView(b.buffer, b.byteOffset).getUint32(o, true);
export function both32(b: Uint8Array, o: number, v: number): void {
  const d = new DataView(b.buffer, b.byteOffset);
  d.setUint32(o, v, true);
  d.setUint32(o + 4, v, false);
}

export function records(img: Uint8Array, extent: number, size: number): Rec[] {
  const out: Rec[] = [];
  for (let p = extent * 2048; p < extent * 2048 + size; ) {
    const len = img[p]!;
    if (len === 0) {
      p = (Math.floor(p / 2048) + 1) * 2048;
      continue;
    }
    const nl = img[p + 32]!;
    const id = String.fromCharCode(...img.subarray(p + 33, p + 33 + nl));
    out.push({ offset: p, len, id, extent: le32(img, p + 2), size: le32(img, p + 10), flags: img[p + 25]!, su: p + 33 + nl + (nl % 2 ? 0 : 1) });
    p += len;
  }
  return out;
}

export const rootRec = (img: Uint8Array): Rec => records(img, le32(img, 32768 + 156 + 2), le32(img, 32768 + 156 + 10))[0]!;

/** The record of `path` (ISO identifiers without ';1', upper case). */
export function find(img: Uint8Array, ...path: string[]): Rec {
  let cur = rootRec(img);
  for (const part of path) {
    const next = records(img, cur.extent, cur.size).find((r) => r.id.replace(/;1$/, '').replace(/\.$/, '') === part);
    assert.ok(next, `no ${part} in the image`);
    cur = next;
  }
  return cur;
}

/** Offset of the SUSP entry `sig` in a record. */
export function suspEntry(img: Uint8Array, r: Rec, sig: string): number {
  for (let p = r.su; p + 4 <= r.offset + r.len; p += img[p + 2]!) {
    if (String.fromCharCode(img[p]!, img[p + 1]!) === sig) return p;
    if (img[p + 2]! < 4) break;
  }
  assert.fail(`no ${sig} entry in ${r.id}`);
}

/** Byte ranges of the volume descriptors, every directory's first block and the boot catalogue. */
export function hotspots(img: Uint8Array): Array<[number, number]> {
  const spots: Array<[number, number]> = [[32768, 32768 + 4 * 2048]];
  for (let s = 16; s < 32 && (s + 1) * 2048 <= img.length; s++) {
    if (img[s * 2048] === 0 && img[s * 2048 + 1] === 0x43) spots.push([le32(img, s * 2048 + 0x47) * 2048, le32(img, s * 2048 + 0x47) * 2048 + 128]);
    if (img[s * 2048] === 255) break;
  }
  const seen = new Set<number>();
  const walk = (extent: number, size: number, depth: number): void => {
    if (seen.has(extent) || depth > 12 || extent * 2048 + size > img.length) return;
    seen.add(extent);
    spots.push([extent * 2048, extent * 2048 + Math.min(size, 2048)]);
    for (const r of records(img, extent, size)) if (r.flags & 2 && r.id !== '\0' && r.id !== '\x01') walk(r.extent, r.size, depth + 1);
  };
  const root = rootRec(img);
  walk(root.extent, root.size, 0);
  return spots;
}

/**
 * GUIDs as GPT stores them: the first three fields little-endian, the last
 * two as bytes ("mixed endian"). Written lowercase, as the kernel and
 * libblkid write PARTUUIDs.
 */
const hex = (b: number) => b.toString(16).padStart(2, '0');

export function formatGuid(b: Uint8Array): string {
  if (b.length < 16) return '';
  const h = (i: number) => hex(b[i]!);
  return (
    h(3) + h(2) + h(1) + h(0) + '-' + h(5) + h(4) + '-' + h(7) + h(6) + '-' + h(8) + h(9) + '-' +
    h(10) + h(11) + h(12) + h(13) + h(14) + h(15)
  );
}

export function isZeroGuid(b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (b[i] !== 0) return false;
  return true;
}

/** The 16 on-disk bytes of a GUID written as text (inverse of formatGuid). */
export function parseGuid(text: string): Uint8Array {
  const s = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(s)) throw new TypeError(`not a GUID: ${text}`);
  const raw = new Uint8Array(16);
  for (let i = 0; i < 16; i++) raw[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  const out = new Uint8Array(16);
  order.forEach((from, to) => (out[to] = raw[from]!));
  return out;
}

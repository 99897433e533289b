/**
 * Joliet: a supplementary volume descriptor whose directory tree has
 * names in UCS-2 big-endian (writers today store UTF-16, so surrogate
 * pairs are decoded as such). The level (1, 2, 3) only says which UCS-2
 * subset is used; we read them all alike. Names get Linux's treatment
 * (fs/isofs/joliet.c): a trailing ';1' version and trailing dots go.
 */

/** Joliet level from the SVD's escape sequences field (offset 88), 0 if not Joliet. */
export function jolietLevel(escapes: Uint8Array): number {
  if (escapes[0] !== 0x25 || escapes[1] !== 0x2f) return 0; // '%/'
  switch (escapes[2]) {
    case 0x40: // '@'
      return 1;
    case 0x43: // 'C'
      return 2;
    case 0x45: // 'E'
      return 3;
    default:
      return 0;
  }
}

/** UTF-16BE to a string, stopping at a NUL code unit; an odd last byte is dropped. */
export function decodeUcs2(b: Uint8Array): string {
  const units: number[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) {
    const c = (b[i]! << 8) | b[i + 1]!;
    if (c === 0) break;
    units.push(c);
  }
  let s = '';
  for (let i = 0; i < units.length; i += 4096) s += String.fromCharCode(...units.slice(i, i + 4096));
  return s;
}

/** A Joliet file identifier as Linux shows it; `raw` keeps the stored name. */
export function jolietName(identifier: Uint8Array, raw = false): string {
  let s = decodeUcs2(identifier);
  if (raw) return s;
  if (s.length > 2 && s.endsWith(';1')) s = s.slice(0, -2);
  let end = s.length;
  while (end >= 2 && s[end - 1] === '.') end--;
  return s.slice(0, end);
}

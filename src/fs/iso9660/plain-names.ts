/**
 * Names of the plain ISO 9660 tree (no Rock Ridge, no Joliet), mapped the
 * way Linux's default `map=normal` does (isofs_name_translate): upper case
 * folded to lower case, a trailing ';1' or '.;1' dropped, any other ';'
 * (and a '/', seen on broken Acorn images) turned into '.', and the name
 * cut at a NUL. `map=off` keeps the stored identifier ('README.TXT;1').
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes of a stored name as a string: UTF-8 when they are valid UTF-8
 * (what Rock Ridge writers store today), otherwise Latin-1, so every byte
 * sequence gets a distinct, stable name.
 */
export function decodeName(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    let s = '';
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
}

export type NameMapping = 'normal' | 'off';

export function plainName(identifier: Uint8Array, map: NameMapping): string {
  if (map === 'off') return decodeName(identifier);
  const len = identifier.length;
  const out: number[] = [];
  for (let i = 0; i < len; i++) {
    let c = identifier[i]!;
    if (c === 0) break;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c === 0x2e && i === len - 3 && identifier[i + 1] === 0x3b && identifier[i + 2] === 0x31) break;
    if (c === 0x3b && i === len - 2 && identifier[i + 1] === 0x31) break;
    if (c === 0x3b || c === 0x2f) c = 0x2e;
    out.push(c);
  }
  return decodeName(Uint8Array.from(out));
}

/**
 * Case-insensitive directories (casefold feature, EXT4_CASEFOLD_FL). The
 * kernel compares and hashes names after utf8 "nfdicf": canonical
 * decomposition plus full Unicode case folding (its tables are Unicode
 * 12.1). We approximate that with the engine's own Unicode data: NFD, then
 * upper- and lower-casing each code point (which folds ß→ss, ς→σ, ſ→s, ligatures …). The
 * few code points where that differs from case folding (Cherokee, a
 * handful of others) hash differently; lookups then still find the name by
 * a linear search with the same folding (see filesystem.ts).
 */
import { utf8Encoder } from '../../binary/reader.js';

/** s_encoding value for utf8 (Unicode 12.1). */
export const EXT4_ENC_UTF8_12_1 = 1;

export function casefold(name: string): string {
  let out = '';
  // One code point at a time: whole-string lowercasing applies context rules
  // (a final Σ becomes ς) that case folding does not have.
  for (const c of name.normalize('NFD')) out += c.toUpperCase().toLowerCase();
  return out.replace(/ß/g, 'ss').normalize('NFD');
}

/** The bytes the kernel hashes for `name` in a casefolded directory; names that are not valid UTF-8 hash as they are. */
export function casefoldBytes(name: string, raw: Uint8Array): Uint8Array {
  if (name.includes('\ufffd')) return raw;
  return utf8Encoder.encode(casefold(name));
}

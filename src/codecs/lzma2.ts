/**
 * LZMA2 (the xz filter 0x21): a sequence of chunks, each a control byte
 * and sizes (big-endian), then either stored bytes or an LZMA chunk with a
 * fresh range coder, resetting the dictionary, the state or the properties
 * as the control byte says. Control 0 ends the stream.
 */
import { LzmaDecoder, parseLzmaProperties } from './lzma-decoder.js';

/** Decodes LZMA2 from input[start, end) into `dec`; returns where the stream ended (after the 0x00). */
export function decodeLzma2(dec: LzmaDecoder, input: Uint8Array, start: number, end: number): number {
  let p = start;
  let needDictReset = true;
  let needProps = true;
  for (;;) {
    if (p >= end) throw dec.fail('LZMA2 stream ends without an end chunk');
    const control = input[p++]!;
    if (control === 0x00) return p;
    if (control === 0x01 || control === 0x02) {
      if (p + 2 > end) throw dec.fail('LZMA2 stored chunk header cut short');
      const size = ((input[p]! << 8) | input[p + 1]!) + 1;
      p += 2;
      if (control === 0x01) {
        dec.resetDictionary();
        needDictReset = false;
      } else if (needDictReset) throw dec.fail('LZMA2 first chunk does not reset the dictionary');
      if (p + size > end) throw dec.fail('LZMA2 stored chunk runs past the input');
      dec.copyUncompressed(input.subarray(p, p + size));
      p += size;
      continue;
    }
    if (control < 0x80) throw dec.fail(`LZMA2 control byte 0x${control.toString(16)} is invalid`);
    if (p + 4 > end) throw dec.fail('LZMA2 chunk header cut short');
    const unpacked = (control & 0x1f) * 0x10000 + ((input[p]! << 8) | input[p + 1]!) + 1;
    const packed = ((input[p + 2]! << 8) | input[p + 3]!) + 1;
    p += 4;
    const reset = (control >>> 5) & 3;
    if (reset === 3) {
      dec.resetDictionary();
      needDictReset = false;
    } else if (needDictReset) throw dec.fail('LZMA2 first chunk does not reset the dictionary');
    if (reset >= 2) {
      if (p >= end) throw dec.fail('LZMA2 properties byte missing');
      const props = parseLzmaProperties(input[p++]!);
      if (!props || props.lc + props.lp > 4) throw dec.fail('LZMA2 properties out of range');
      dec.setProperties(props);
      needProps = false;
    } else if (needProps) throw dec.fail('LZMA2 chunk without properties');
    if (reset >= 1) dec.resetState();
    if (p + packed > end) throw dec.fail('LZMA2 chunk runs past the input');
    dec.decode(input, p, p + packed, unpacked);
    p += packed;
  }
}

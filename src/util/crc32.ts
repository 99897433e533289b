/** CRC-32 (IEEE 802.3, reflected, as zlib and GPT use it) and CRC-32C (Castagnoli, as ext4 and VHDX use it). */

function makeTable(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

const IEEE = makeTable(0xedb88320);
const CASTAGNOLI = makeTable(0x82f63b78);

function update(table: Uint32Array, crc: number, data: Uint8Array): number {
  let c = crc;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

/** CRC-32 of data, optionally continuing from a previous result. */
export function crc32(data: Uint8Array, previous = 0): number {
  return (update(IEEE, previous ^ 0xffffffff, data) ^ 0xffffffff) >>> 0;
}

/** CRC-32C of data, optionally continuing from a previous result. */
export function crc32c(data: Uint8Array, previous = 0): number {
  return (update(CASTAGNOLI, previous ^ 0xffffffff, data) ^ 0xffffffff) >>> 0;
}

/** Raw CRC-32C register update without the final inversion (ext4's `ext4_chksum` convention). */
export function crc32cRaw(crc: number, data: Uint8Array): number {
  return update(CASTAGNOLI, crc >>> 0, data) >>> 0;
}

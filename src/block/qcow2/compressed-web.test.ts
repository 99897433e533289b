// Compressed clusters through the browser-safe codecs (DecompressionStream
// for deflate, zstddec for zstd): this file does not load src/node/codecs.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needTools } from '../../../test/helpers/tools.js';
import { firstDifference } from '../../../test/qcow2/bytes.js';
import { MemoryDevice } from '../memory.js';
import { Qcow2Device } from './device.js';

const skip = needTools('qemu-img', 'qemu-io') ?? (typeof DecompressionStream === 'undefined' ? 'no DecompressionStream' : undefined);
const dir = skip ? '' : await fixture('qcow2/read.sh');

for (const name of ['zlib', 'zlib-4k', 'zstd', 'zstd-io']) {
  test(`qcow2 ${name} through the web codecs equals qemu-img convert -O raw`, { skip }, async () => {
    const dev = await Qcow2Device.open(new MemoryDevice(new Uint8Array(await readFile(join(dir, `${name}.qcow2`))), { readOnly: true }), { readOnly: true });
    const truth = new Uint8Array(await readFile(join(dir, `${name}.raw`)));
    const got = new Uint8Array(dev.size);
    for (let off = 0; off < dev.size; off += 1 << 20) await dev.read(got.subarray(off, Math.min(dev.size, off + (1 << 20))), off);
    assert.equal(firstDifference(got, truth), -1);
  });
}

// The write order keeps the image consistent when the process dies between
// any two writes to the file: we stop the file accepting writes after the
// N-th one, for many N, and ask `qemu-img check` — leaks are allowed (QEMU's
// own rule), corruptions are not, and bytes no write touched are unchanged.
import '../../node/codecs.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needTools, run } from '../../../test/helpers/tools.js';
import { prng } from '../../../test/helpers/fuzz.js';
import { randomBytes, randomWrite } from '../../../test/qcow2/bytes.js';
import { testContext } from '../../../test/qcow2/open-context.js';
import { qemuCheck } from '../../../test/qcow2/qemu-check.js';
import { FileDevice } from '../../node/file-device.js';
import type { ResizableDevice } from '../device.js';
import { Qcow2Device } from './device.js';

const skip = needTools('qemu-img', 'qemu-io');
const dir = skip ? '' : await fixture('qcow2/write.sh');

/** A file that dies after `crashAt` writes: every later write, resize or flush fails. */
class DyingFile implements ResizableDevice {
  writes = 0;
  dead = false;
  constructor(
    readonly inner: FileDevice,
    readonly crashAt: number,
  ) {}
  get size() {
    return this.inner.size;
  }
  get sectorSize() {
    return this.inner.sectorSize;
  }
  get readOnly() {
    return this.inner.readOnly;
  }
  read(buf: Uint8Array, offset: number) {
    return this.inner.read(buf, offset);
  }
  private alive(): void {
    if (this.dead) throw new Error('simulated crash');
  }
  async write(buf: Uint8Array, offset: number) {
    this.alive();
    if (++this.writes > this.crashAt) {
      this.dead = true;
      this.alive();
    }
    return this.inner.write(buf, offset);
  }
  async resize(size: number) {
    this.alive();
    return this.inner.resize(size);
  }
  async flush() {
    this.alive();
  }
  async close() {}
}

const WORKLOADS = [
  { image: 'snap.qcow2', backing: [] as string[], seed: 1 },
  { image: 'zlib.qcow2', backing: [], seed: 2 },
  { image: 'extl2.qcow2', backing: ['base.raw'], seed: 3 },
  { image: 'small.qcow2', backing: [], seed: 4, big: true },
];

async function workload(dev: Qcow2Device, seed: number, big: boolean, touched: Uint8Array): Promise<void> {
  const rand = prng(seed);
  const cs = dev.header.clusterSize;
  for (let i = 0; i < 24; i++) {
    const w = big && i < 4 ? { offset: i * (1 << 20), length: 1 << 20 } : randomWrite(rand, dev.size, cs);
    touched.fill(1, w.offset, w.offset + w.length);
    await dev.write(randomBytes(rand, w.length), w.offset);
  }
}

for (const wl of WORKLOADS) {
  test(`qcow2 crash consistency ${wl.image}: dying after any write leaves no corruption`, { skip, timeout: 120_000 }, async () => {
    const original = new Uint8Array(await readFile(join(dir, wl.image.replace(/\.qcow2$/, '.raw'))));
    // How many writes the whole workload makes.
    const total = await (async () => {
      const tmp = await mkdtemp(join(tmpdir(), 'qcow2-crash-'));
      try {
        for (const f of [wl.image, ...wl.backing]) await copyFile(join(dir, f), join(tmp, f));
        const path = join(tmp, wl.image);
        const file = new DyingFile(await FileDevice.open(path, { write: true }), Infinity);
        const dev = await Qcow2Device.open(file, testContext(path, false));
        await workload(dev, wl.seed, wl.big ?? false, new Uint8Array(dev.size));
        await dev.close();
        await file.inner.close();
        return file.writes;
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    })();
    assert.ok(total > 20, `${wl.image}: the workload writes (${total})`);
    const points = new Set<number>();
    for (let k = 0; k < 12; k++) points.add(1 + Math.floor((k * (total - 2)) / 11));
    for (const crashAt of points) {
      const tmp = await mkdtemp(join(tmpdir(), 'qcow2-crash-'));
      try {
        for (const f of [wl.image, ...wl.backing]) await copyFile(join(dir, f), join(tmp, f));
        const path = join(tmp, wl.image);
        const file = new DyingFile(await FileDevice.open(path, { write: true }), crashAt);
        const dev = await Qcow2Device.open(file, testContext(path, false));
        const touched = new Uint8Array(dev.size);
        await assert.rejects(workload(dev, wl.seed, wl.big ?? false, touched), /simulated crash/);
        await dev.backing?.close();
        await file.inner.close();
        const check = qemuCheck(path);
        assert.equal(check.corruptions + check.checkErrors, 0, `${wl.image} dying after write ${crashAt}/${total}: ${check.output}`);
        const raw = join(tmp, 'out.raw');
        await run('qemu-img', ['convert', '-O', 'raw', path, raw]);
        const got = await readFile(raw);
        for (let i = 0; i < original.length; i++) {
          if (!touched[i] && got[i] !== original[i]) assert.fail(`${wl.image} dying after write ${crashAt}: untouched byte ${i} changed`);
        }
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }
  });
}

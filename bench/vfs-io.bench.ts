/**
 * 1 GiB of sequential writes, then reads, in 1 MiB pieces through the
 * fs/promises API (FileHandle.write/read) into memfs, against the same
 * calls of node:fs/promises on tmpfs (/dev/shm) in the same run.
 */
import * as nodeFs from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createFs } from '../src/api/fs.js';
import { MemFileSystem } from '../src/vfs/memfs/memfs.js';
import { median, mibps, peakRssMiB, report, timeIt } from './harness.js';

const MiB = 1 << 20;
const SIZE = 1024 * MiB;
const CHUNK = MiB;
const ROUNDS = 3;

type Handle = { write(b: Uint8Array, o: number, l: number, p: number): Promise<unknown>; read(b: Uint8Array, o: number, l: number, p: number): Promise<{ bytesRead: number }>; close(): Promise<void> };

async function writeAll(h: Handle, buf: Uint8Array): Promise<void> {
  for (let pos = 0; pos < SIZE; pos += CHUNK) await h.write(buf, 0, CHUNK, pos);
}

async function readAll(h: Handle, buf: Uint8Array): Promise<void> {
  for (let pos = 0; pos < SIZE; ) {
    const { bytesRead } = await h.read(buf, 0, CHUNK, pos);
    if (bytesRead === 0) throw new Error('short file');
    pos += bytesRead;
  }
}

async function main(): Promise<void> {
  const buf = new Uint8Array(CHUNK);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
  const path = join('/dev/shm', `anymount-bench-io-${process.pid}`);
  const w: [number[], number[]] = [[], []];
  const r: [number[], number[]] = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    const fs = await createFs(new MemFileSystem());
    const ours = (await fs.open('/big', 'w+')) as unknown as Handle;
    w[0].push(await timeIt(1, () => writeAll(ours, buf)));
    r[0].push(await timeIt(1, () => readAll(ours, buf)));
    await ours.close();
    await fs.close();
    globalThis.gc?.();
    const theirs = (await nodeFs.open(path, 'w+')) as unknown as Handle;
    w[1].push(await timeIt(1, () => writeAll(theirs, buf)));
    r[1].push(await timeIt(1, () => readAll(theirs, buf)));
    await theirs.close();
    rmSync(path, { force: true });
  }
  report('1 GiB sequential write, 1 MiB pieces (vs node:fs/promises on tmpfs)', mibps(SIZE, median(w[0])), mibps(SIZE, median(w[1])), median(w[1]) / median(w[0]));
  report('1 GiB sequential read, 1 MiB pieces (vs node:fs/promises on tmpfs)', mibps(SIZE, median(r[0])), mibps(SIZE, median(r[1])), median(r[1]) / median(r[0]));
  console.log(`peak RSS ${peakRssMiB().toFixed(0)} MiB`);
}

await main();

// CodecPool: every codec through the worker threads gives back what the real
// tools (xz, zstd, gzip, python3's zlib) compressed; errors keep their
// errno; a burst of jobs is batched; a dead worker fails only its jobs; an
// idle pool never keeps a process alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodecName } from '../codecs/index.js';
import { FsError } from '../errors.js';
import { needTools } from '../../test/helpers/tools.js';
import { CodecPool } from './codec-pool.js';

const FORCE_WORKERS = { 'deflate-raw': 0, zlib: 0, gzip: 0, zstd: 0, xz: 0, lzma: 0, lz4: 0, lzo: 0 };
const skip = needTools('xz', 'zstd', 'gzip', 'python3');

/** The bytes alone (node:zlib hands back Buffers, the workers Uint8Arrays). */
function bytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** A pool whose workers take every job, started before the first. */
async function workerPool(workers: number): Promise<CodecPool> {
  const pool = new CodecPool({ workers, inlineBelow: FORCE_WORKERS });
  await pool.start();
  return pool;
}

/** 300 KiB of text that compresses, cut into blocks like an image's. */
function sample(): Uint8Array {
  const lines: string[] = [];
  for (let i = 0; lines.join('').length < 300 << 10; i++) lines.push(`${i} the quick brown fox ${(i * 2654435761) % 100003} jumps over the lazy dog\n`);
  return new TextEncoder().encode(lines.join('')).subarray(0, 300 << 10);
}

/** The sample compressed by the real tools, one stream per codec. */
async function compressed(text: Uint8Array): Promise<Array<[CodecName, Uint8Array]>> {
  const dir = await mkdtemp(join(tmpdir(), 'anymount-codec-pool-'));
  try {
    const src = join(dir, 'in');
    await writeFile(src, text);
    const run = (cmd: string, args: string[]) => new Uint8Array(execFileSync(cmd, args, { maxBuffer: 64 << 20 }));
    const py = (wbits: number) => run('python3', ['-c', `import sys, zlib; c = zlib.compressobj(6, zlib.DEFLATED, ${wbits}); sys.stdout.buffer.write(c.compress(open(sys.argv[1], 'rb').read()) + c.flush())`, src]);
    return [
      ['deflate-raw', py(-15)],
      ['zlib', py(15)],
      ['gzip', run('gzip', ['-c', src])],
      ['zstd', run('zstd', ['-q', '-c', src])],
      ['xz', run('xz', ['-c', src])],
      ['lzma', run('xz', ['--format=lzma', '-c', src])],
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('codec pool: every codec on the workers gives back the bytes the tools compressed, as inline does', { skip }, async () => {
  const text = sample();
  const pool = await workerPool(2);
  const inline = new CodecPool({ workers: 0 });
  try {
    for (const [codec, data] of await compressed(text)) {
      assert.deepEqual(bytes(await pool.decompress(codec, data, text.length)), text, `${codec} on a worker`);
      assert.deepEqual(bytes(await inline.decompress(codec, data, text.length)), text, `${codec} inline`);
    }
    assert.deepEqual([pool.stats.pooled, pool.stats.inline, pool.stats.warmup], [6, 0, 0]);
    assert.equal(inline.stats.pooled, 0);
  } finally {
    await pool.close();
  }
});

test('codec pool: corrupt and oversized input fail with EIO from the worker, other jobs unharmed', { skip }, async () => {
  const text = sample();
  const pool = await workerPool(2);
  try {
    const streams = await compressed(text);
    const jobs = streams.flatMap(([codec, data]) => {
      const flipped = data.slice();
      flipped[flipped.length >> 1] ^= 0x55;
      return [
        { codec, what: 'good', p: pool.decompress(codec, data, text.length) },
        { codec, what: 'too small', p: pool.decompress(codec, data, 1000) },
        { codec, what: 'cut short', p: pool.decompress(codec, data.subarray(0, data.length >> 1), text.length) },
        // Raw deflate and .lzma carry no checksum: a flipped byte may decode to other bytes without error.
        ...(codec === 'deflate-raw' || codec === 'lzma' ? [] : [{ codec, what: 'flipped', p: pool.decompress(codec, flipped, text.length) }]),
      ];
    });
    const results = await Promise.allSettled(jobs.map((j) => j.p));
    jobs.forEach((j, i) => {
      const r = results[i]!;
      if (j.what === 'good') assert.deepEqual(r.status === 'fulfilled' && bytes(r.value), text, `${j.codec} good`);
      else assert.ok(r.status === 'rejected' && r.reason instanceof FsError && r.reason.code === 'EIO', `${j.codec} ${j.what}: ${r.status === 'rejected' ? r.reason : 'decoded'}`);
    });
  } finally {
    await pool.close();
  }
});

test('codec pool: a burst of jobs is shared out in batches and every result is right', { skip }, async () => {
  const text = sample();
  const blocks: Uint8Array[] = [];
  const raw: Uint8Array[] = [];
  const { deflateRawSync } = await import('node:zlib');
  for (let i = 0; i + 4096 <= text.length; i += 4096) {
    raw.push(text.subarray(i, i + 4096));
    blocks.push(new Uint8Array(deflateRawSync(text.subarray(i, i + 4096))));
  }
  const pool = await workerPool(2);
  try {
    const outs = await Promise.all(blocks.map((b) => pool.decompress('deflate-raw', b, 4096)));
    outs.forEach((o, i) => assert.deepEqual(bytes(o), raw[i], `block ${i}`));
    assert.equal(pool.stats.pooled, blocks.length);
    assert.ok(pool.stats.batches < blocks.length, `${blocks.length} jobs in ${pool.stats.batches} batches`);
  } finally {
    await pool.close();
  }
});

test('codec pool: a worker that dies fails its jobs with EIO, and the pool goes on', { skip }, async () => {
  const text = sample();
  const [, xz] = (await compressed(text)).find(([c]) => c === 'xz')!;
  const pool = await workerPool(1);
  try {
    assert.deepEqual(bytes(await pool.decompress('xz', xz, text.length)), text);
    const inFlight = Array.from({ length: 8 }, () => pool.decompress('xz', xz, text.length));
    await new Promise((r) => setImmediate(r));
    await pool.killWorkerForTest();
    const settled = await Promise.allSettled(inFlight);
    for (const r of settled) {
      if (r.status === 'fulfilled') assert.deepEqual(bytes(r.value), text);
      else assert.ok(r.reason instanceof FsError && r.reason.code === 'EIO' && /worker/.test(r.reason.message), String(r.reason));
    }
    assert.ok(settled.some((r) => r.status === 'rejected'), 'jobs of the killed worker fail');
    assert.equal(pool.stats.workerDeaths, 1);
    assert.deepEqual(bytes(await pool.decompress('xz', xz, text.length)), text, 'a new worker takes over');
  } finally {
    await pool.close();
  }
});

test('codec pool: a process using it exits on its own once its work is done', async () => {
  const url = new URL('./codecs.js', import.meta.url).href;
  const script = `
    import { getCodec } from ${JSON.stringify(new URL('../codecs/index.js', import.meta.url).href)};
    import ${JSON.stringify(url)};
    import { deflateRawSync } from 'node:zlib';
    const data = new Uint8Array(1 << 20).fill(7);
    const out = await Promise.all(Array.from({ length: 16 }, () => getCodec('deflate-raw', 'test')(deflateRawSync(data), data.length)));
    console.log(out.every((o) => o.length === data.length) ? 'ok' : 'bad');
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, cwd: fileURLToPath(new URL('.', import.meta.url)) });
  assert.equal(r.error, undefined, 'the process ended by itself (no timeout)');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'ok');
});

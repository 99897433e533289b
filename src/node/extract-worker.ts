/**
 * An extraction worker: opens its own instance of the image extractTree is
 * copying (openSource, same address and options), then copies the batches
 * of leaves the walking thread sends, by file handle (extract-batch.ts),
 * and answers each batch with its results. Decompression runs on this
 * thread (no codec pool of its own: the workers already fill the cores).
 *
 * Messages in: { type: 'batch', batch, items } and { type: 'close' }.
 * Messages out: { type: 'ready' } or { type: 'init-failed', error } once,
 * then { type: 'batch', batch, results } per batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FsError } from '../errors.js';
import { useZstdModule } from './codec-sync.js';
import { configureCodecPool } from './codecs.js';
import { copyBatch, failedBatch, type LeafBatch } from './extract-batch.js';
import { HostFileIo } from './extract-io.js';
import { LeafCopier, type LeafOptions } from './extract-leaf.js';
import { preferSyncReads } from './file-device.js';
import { openSource, type OpenedSource } from './open-source.js';
import type { ExtractSource } from './extract-workers.js';
import { serializeError } from './worker-error.js';

export interface WorkerInit {
  source: ExtractSource;
  leaf: LeafOptions;
  /** The walking thread's compiled zstd WebAssembly module, if it has one (compiled and optimised once, not per worker). */
  zstdModule?: WebAssembly.Module;
}

export type ToWorker = { type: 'batch'; batch: number; items: LeafBatch } | { type: 'close' };

const port = parentPort;
if (!port) throw new Error('extract-worker.js runs as a worker thread');
const init = workerData as WorkerInit;

configureCodecPool({ workers: 0 });
useZstdModule(init.zstdModule);
// Nothing else runs on this thread: reading the image in place beats waiting for the threadpool.
preferSyncReads(true);
let opened: OpenedSource | undefined;
try {
  opened = await openSource(init.source.address, { ...init.source.options, write: false });
  if (!opened.fs.decodeHandle) throw new FsError('EOPNOTSUPP', `${opened.type}: no file handles`);
} catch (e) {
  await opened?.close().catch(() => {});
  opened = undefined;
  port.postMessage({ type: 'init-failed', error: serializeError(e) });
  port.close();
}

if (opened) {
  const source = opened;
  const bytes = { n: 0 };
  const copier = new LeafCopier(source.fs, new HostFileIo(true), init.leaf, (n) => (bytes.n += n));
  // Batches run one after another, in arrival order.
  let chain = Promise.resolve();
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'close') {
      chain = chain.then(async () => {
        await source.close().catch(() => {});
        port.close();
      });
      return;
    }
    chain = chain.then(async () => {
      try {
        const results = await copyBatch(source.fs, copier, msg.items, bytes);
        port.postMessage({ type: 'batch', batch: msg.batch, results }, [results.status.buffer as ArrayBuffer, results.bytes.buffer as ArrayBuffer]);
      } catch (e) {
        // Every batch gets an answer: the walking thread waits for it.
        port.postMessage({ type: 'batch', batch: msg.batch, results: failedBatch(msg.items.count, e) });
      }
    });
  });
  port.postMessage({ type: 'ready' });
}

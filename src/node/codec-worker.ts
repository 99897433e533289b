/**
 * The codec worker: runs batches of decompression jobs synchronously (see
 * codec-pool.ts for the protocol). Inputs arrive packed in one transferred
 * ArrayBuffer; each output goes back in an ArrayBuffer of its own,
 * transferred, so nothing is copied on the way back.
 */
import { parentPort } from 'node:worker_threads';
import { codecReady, decompressSync, prepareCodec } from './codec-sync.js';
import type { BatchRequest, BatchResponse, JobResult, WORKER_READY } from './codec-pool.js';
import { serializeError } from './worker-error.js';

const port = parentPort;
if (!port) throw new Error('codec-worker.js runs as a worker thread');

async function run(req: BatchRequest): Promise<void> {
  const results: JobResult[] = [];
  const transfer: ArrayBuffer[] = [];
  const data = new Uint8Array(req.data);
  for (const job of req.jobs) {
    try {
      if (!codecReady(job.codec)) await prepareCodec(job.codec);
      let out = decompressSync(job.codec, data.subarray(job.offset, job.offset + job.length), job.maxOutput, job.partial);
      // Only a whole, unshared ArrayBuffer can be transferred (small Buffers live in Node's shared pool).
      if (out.byteOffset !== 0 || out.byteLength !== out.buffer.byteLength || !(out.buffer instanceof ArrayBuffer)) out = out.slice();
      results.push({ id: job.id, out });
      transfer.push(out.buffer as ArrayBuffer);
    } catch (e) {
      results.push({ id: job.id, error: serializeError(e) });
    }
  }
  const res: BatchResponse = { batch: req.batch, results };
  port!.postMessage(res, transfer);
}

/** A batch that could not be run or answered still gets an answer: the pool would wait for it forever. */
function answerAll(req: BatchRequest, e: unknown): void {
  const message = `decompression worker failed on a batch (${(e as Error)?.message ?? String(e)})`;
  const results: JobResult[] = req.jobs.map((j) => ({ id: j.id, error: { fsError: true, code: 'EIO', name: 'FsError', message } }));
  port!.postMessage({ batch: req.batch, results } satisfies BatchResponse);
}

// Batches run one after another, in arrival order (zstd's first use waits for its module).
let chain = Promise.resolve();
port.on('message', (req: BatchRequest) => {
  chain = chain.then(() => run(req)).catch((e: unknown) => answerAll(req, e));
});
port.postMessage('ready' satisfies typeof WORKER_READY);

// Backoff shape and the retry loop's bookkeeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, sleep, TransientError, withRetries, type RetryPolicy } from './retry.js';
import { CloseSignal } from './close-signal.js';
import { FsError } from '../errors.js';

const policy: RetryPolicy = { retries: 4, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };

test('backoff doubles, is capped, and keeps at least half of each step (equal jitter)', () => {
  for (const r of [0, 0.5, 0.999]) {
    const delays = [1, 2, 3, 4, 5, 6, 40].map((n) => backoffDelay(policy, n, () => r));
    const steps = [100, 200, 400, 800, 1000, 1000, 1000];
    delays.forEach((d, i) => {
      assert.ok(d >= steps[i]! / 2 && d <= steps[i]!, `retry ${i + 1}: ${d} not in [${steps[i]! / 2}, ${steps[i]}]`);
    });
  }
});

test('Retry-After lengthens the wait, up to its cap', () => {
  assert.equal(backoffDelay(policy, 1, () => 0, 3000), 3000);
  assert.equal(backoffDelay(policy, 1, () => 0, 60_000), 5000);
  assert.equal(backoffDelay(policy, 3, () => 1, 10), 400, 'a shorter Retry-After does not shorten the backoff');
});

test('withRetries: transient failures are retried; the last becomes an FsError with its errno', async () => {
  let calls = 0;
  const fast = { ...policy, baseDelayMs: 1, maxDelayMs: 1 };
  assert.equal(await withRetries(fast, 'x', async () => (++calls < 3 ? Promise.reject(new TransientError('EIO', 'flaky')) : 'ok')), 'ok');
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(
    withRetries(fast, 'http://h/f: bytes=0-9', async () => {
      calls++;
      throw new TransientError('ECONNREFUSED', 'connection refused');
    }),
    (e: unknown) => e instanceof FsError && e.code === 'ECONNREFUSED' && e.message === 'http://h/f: bytes=0-9: connection refused (gave up after 5 attempts)',
  );
  assert.equal(calls, 5);
  calls = 0;
  await assert.rejects(
    withRetries(fast, 'x', async () => {
      calls++;
      throw new FsError('ENOENT', 'gone');
    }),
    (e: unknown) => e instanceof FsError && e.code === 'ENOENT',
  );
  assert.equal(calls, 1, 'final errors are not retried');
});

test('a close cuts a backoff wait short', async () => {
  const closing = new CloseSignal();
  const t0 = Date.now();
  const p = sleep(10_000, closing);
  setTimeout(() => closing.close(new FsError('ECANCELED', 'closed')), 10);
  await assert.rejects(p, (e: unknown) => e instanceof FsError && e.code === 'ECANCELED');
  assert.ok(Date.now() - t0 < 1000);
  await assert.rejects(sleep(1, closing), (e: unknown) => e instanceof FsError);
});

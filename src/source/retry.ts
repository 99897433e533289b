/**
 * Retries with exponential backoff and jitter, for requests that fail for
 * reasons that may pass (a dropped connection, 503, 429, a timeout).
 *
 * An attempt signals "try again" by throwing a TransientError; an FsError
 * is final and passes straight through. After the last attempt the
 * TransientError becomes an FsError with its errno, naming what was tried.
 */
import { FsError, type ErrnoCode } from '../errors.js';
import type { CloseSignal } from './close-signal.js';

export interface RetryPolicy {
  /** Attempts after the first (0: no retries). */
  retries: number;
  /** Backoff before retry n (1-based) is about baseDelayMs × 2^(n-1), half of it random. */
  baseDelayMs: number;
  /** Backoff never exceeds this. */
  maxDelayMs: number;
  /** A server's Retry-After is honoured up to this many milliseconds. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 5,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 30_000,
};

/** A failure worth another attempt. `code` is the errno if it turns out to be the last. */
export class TransientError extends Error {
  readonly code: ErrnoCode;
  /** The server asked us to wait this long (Retry-After). */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrnoCode, message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'TransientError';
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * The wait before retry number `retry` (1-based): exponential, capped, with
 * "equal jitter" (half fixed, half random) so many clients hitting one
 * failing server spread out, yet no wait collapses to zero.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random, retryAfterMs?: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(30, retry - 1));
  const jittered = exp / 2 + random() * (exp / 2);
  if (retryAfterMs === undefined) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, policy.maxRetryAfterMs));
}

/** Resolves after `ms`, or rejects with the close reason as soon as `closing` closes. */
export function sleep(ms: number, closing?: CloseSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (closing?.closed) {
      reject(closing.reason);
      return;
    }
    const unsubscribe = closing?.subscribe((reason) => {
      clearTimeout(timer);
      reject(reason);
    });
    const timer = setTimeout(() => {
      unsubscribe?.();
      resolve();
    }, ms);
  });
}

/**
 * Runs `attempt` until it succeeds, throws something other than a
 * TransientError, or has failed `policy.retries + 1` times. `what` names the
 * request in the final error ("https://host/f: bytes=0-262143").
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  what: string,
  attempt: (n: number) => Promise<T>,
  options: { closing?: CloseSignal; random?: () => number } = {},
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (!(e instanceof TransientError)) throw e;
      if (n >= policy.retries) {
        const tries = n + 1;
        throw new FsError(e.code, `${what}: ${e.message} (gave up after ${tries} attempt${tries === 1 ? '' : 's'})`, { cause: e });
      }
      await sleep(backoffDelay(policy, n + 1, options.random, e.retryAfterMs), options.closing);
    }
  }
}

/**
 * Timestamps with nanoseconds, as the kernel keeps them (struct timespec):
 * whole seconds since the epoch (may be negative) and 0 ≤ nsec < 1e9.
 * Two numbers instead of a bigint: they map straight onto FUSE and 9P
 * attributes and cost nothing to compare.
 */

export interface Timespec {
  readonly sec: number;
  readonly nsec: number;
}

export const EPOCH: Timespec = Object.freeze({ sec: 0, nsec: 0 });

export function timespec(sec: number, nsec = 0): Timespec {
  const extra = Math.floor(nsec / 1e9);
  return { sec: sec + extra, nsec: nsec - extra * 1e9 };
}

export function fromMs(ms: number): Timespec {
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.round((ms - sec * 1000) * 1e6) % 1e9 };
}

export function toMs(t: Timespec): number {
  return t.sec * 1000 + t.nsec / 1e6;
}

export function fromNs(ns: bigint): Timespec {
  let sec = ns / 1_000_000_000n;
  let nsec = ns % 1_000_000_000n;
  if (nsec < 0n) {
    nsec += 1_000_000_000n;
    sec -= 1n;
  }
  return { sec: Number(sec), nsec: Number(nsec) };
}

export function toNs(t: Timespec): bigint {
  return BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
}

export function compareTime(a: Timespec, b: Timespec): number {
  return a.sec !== b.sec ? a.sec - b.sec : a.nsec - b.nsec;
}

/** Rounds down to a granularity in nanoseconds (FAT keeps 2 s, ext4 1 ns …). */
export function truncateTime(t: Timespec, granularityNs: number): Timespec {
  if (granularityNs <= 1) return t;
  if (granularityNs < 1e9) return { sec: t.sec, nsec: t.nsec - (t.nsec % granularityNs) };
  const g = granularityNs / 1e9;
  return { sec: Math.floor(t.sec / g) * g, nsec: 0 };
}

/** A source of the current time; drivers take one so tests and benches can pin it. */
export type Clock = () => Timespec;

let last: Timespec = EPOCH;

/**
 * Wall-clock time with sub-millisecond resolution (performance.now() over
 * timeOrigin), never going backwards and strictly increasing between calls,
 * so "this changed after that" is always visible in timestamps, like Linux's
 * fine-grained ctime on query.
 */
export const realtimeClock: Clock = () => {
  const ms = performance.timeOrigin + performance.now();
  let t = fromMs(ms);
  if (compareTime(t, last) <= 0) t = timespec(last.sec, last.nsec + 1);
  last = t;
  return t;
};

/**
 * RangeClient: what HttpDevice needs from HTTP — learn a resource's size
 * and validators (`probe`), then fetch byte ranges of it (`readRange`),
 * checking every answer: status, Content-Range, Content-Length, validators
 * and the number of body bytes. Transient failures are retried with
 * backoff, and a retry resumes at the first byte not yet received.
 */
import { FsError } from '../errors.js';
import type { CloseSignal } from './close-signal.js';
import { exchange, type Exchange, type FetchFunction, type RequestContext } from './http-request.js';
import {
  ifRangeValue,
  parseContentLength,
  parseContentRange,
  parseRetryAfter,
  parseUnsatisfiedRange,
  validatorChange,
  validatorsOf,
  type Validators,
} from './http-headers.js';
import { TransientError, withRetries, type RetryPolicy } from './retry.js';

export interface RangeClientOptions {
  headers: Record<string, string>;
  fetch: FetchFunction;
  timeoutMs: number;
  minBytesPerSecond: number;
  retry: RetryPolicy;
  /** Aborts every request and backoff wait when the device closes. */
  closing: CloseSignal;
}

/** What a probe learnt about the resource. */
export interface ResourceInfo {
  size: number;
  /** Where redirects ended (the URL without credentials). */
  finalUrl: string;
  validators: Validators;
  /** The server's Accept-Ranges header, if it sent one. */
  acceptRanges: string | undefined;
}

export class RangeClient {
  /** The URL as given, minus credentials (those travel in the Authorization header). */
  readonly url: string;
  private requestUrl: string;
  private readonly headers: Record<string, string>;
  private readonly retry: RetryPolicy;
  private readonly ctx: RequestContext;
  private info: ResourceInfo | undefined;
  /** Once the resource is seen to change, every later read fails the same way. */
  private changed: FsError | undefined;

  constructor(url: string, options: RangeClientOptions) {
    const { bare, authorization } = splitCredentials(url);
    this.url = bare;
    this.requestUrl = bare;
    this.headers = { ...options.headers };
    if (authorization && !Object.keys(this.headers).some((k) => k.toLowerCase() === 'authorization')) {
      this.headers['Authorization'] = authorization;
    }
    // Content-Range counts the bytes as stored; a compressed answer would not match it.
    if (!Object.keys(this.headers).some((k) => k.toLowerCase() === 'accept-encoding')) this.headers['Accept-Encoding'] = 'identity';
    this.retry = options.retry;
    this.ctx = { fetch: options.fetch, timeoutMs: options.timeoutMs, minBytesPerSecond: options.minBytesPerSecond, closing: options.closing };
  }

  /** The URL for messages: where redirects ended once known, else the one given. */
  get displayUrl(): string {
    return this.info?.finalUrl ?? this.url;
  }

  /**
   * Finds the size: a HEAD first (one request when the server says
   * `Accept-Ranges: bytes` and gives a Content-Length); else, or if HEAD is
   * refused (405, or 403 from URLs signed for GET only), `Range: bytes=0-0`,
   * whose Content-Range carries the total and proves ranges work.
   */
  async probe(): Promise<ResourceInfo> {
    const head = await withRetries(this.retry, `${this.url}: HEAD`, () => this.tryHead(), { closing: this.ctx.closing });
    let info: ResourceInfo;
    if (head && head.size !== undefined && head.acceptRanges?.trim().toLowerCase() === 'bytes') {
      info = { size: head.size, finalUrl: head.finalUrl, validators: head.validators, acceptRanges: head.acceptRanges };
    } else {
      if (head?.acceptRanges?.trim().toLowerCase() === 'none') {
        throw new FsError('EOPNOTSUPP', `${head.finalUrl}: server does not support Range requests (Accept-Ranges: none); download the file first`);
      }
      const probe = await withRetries(this.retry, `${this.url}: bytes=0-0`, () => this.tryRangeProbe(), { closing: this.ctx.closing });
      info = { ...probe, acceptRanges: head?.acceptRanges ?? probe.acceptRanges };
    }
    this.info = info;
    this.requestUrl = this.chooseRequestUrl(info.finalUrl);
    return info;
  }

  /** HEAD: the size and validators if the server answers 2xx, undefined if it refuses. */
  private async tryHead(): Promise<(Omit<ResourceInfo, 'size'> & { size: number | undefined }) | undefined> {
    const ex = await this.send(this.url, 'HEAD', {});
    try {
      const res = ex.response;
      if (!res.ok) {
        const failure = statusFailure(res, `${this.url}: HEAD`);
        if (failure instanceof TransientError) throw failure;
        return undefined;
      }
      const finalUrl = stripCredentials(res.url || this.url);
      checkEncoding(res, finalUrl);
      return {
        size: sizeFromHeader(res.headers.get('content-length'), `${finalUrl}: HEAD: Content-Length`),
        finalUrl,
        validators: validatorsOf(res.headers),
        acceptRanges: res.headers.get('accept-ranges') ?? undefined,
      };
    } finally {
      ex.close();
    }
  }

  private async tryRangeProbe(): Promise<ResourceInfo> {
    const what = `${this.url}: bytes=0-0`;
    const ex = await this.send(this.url, 'GET', { Range: 'bytes=0-0' });
    try {
      const res = ex.response;
      const finalUrl = stripCredentials(res.url || this.url);
      const where = `${finalUrl}: bytes=0-0`;
      const validators = validatorsOf(res.headers);
      const acceptRanges = res.headers.get('accept-ranges') ?? undefined;
      if (res.status === 200) throw ignoresRange(finalUrl, 'bytes=0-0');
      if (res.status === 416) {
        // Only an empty file has no byte 0.
        const r = parseUnsatisfiedRange(res.headers.get('content-range'));
        if (r?.complete === 0) return { size: 0, finalUrl, validators, acceptRanges };
        throw new FsError('EIO', `${where}: 416 Range Not Satisfiable for byte 0, Content-Range ${quote(res.headers.get('content-range'))}`);
      }
      if (res.status !== 206) throw statusFailure(res, what);
      checkEncoding(res, finalUrl);
      const cr = parseContentRange(res.headers.get('content-range'));
      if (!cr) throw badContentRange(res, where);
      if (cr.first !== 0 || cr.last !== 0) throw new FsError('EIO', `${where}: server answered ${res.headers.get('content-range')} to bytes=0-0`);
      if (cr.complete === undefined) throw new FsError('EOPNOTSUPP', `${where}: server does not give the size (Content-Range ${res.headers.get('content-range')})`);
      return { size: cr.complete, finalUrl, validators, acceptRanges };
    } finally {
      ex.close();
    }
  }

  /**
   * Fetches bytes [start, end) and hands them to `sink` in order, each byte
   * once, even across retries. Throws an FsError naming the URL and range.
   */
  async readRange(start: number, end: number, sink: (chunk: Uint8Array) => void): Promise<void> {
    const info = this.info;
    if (!info) throw new FsError('EINVAL', `${this.url}: readRange before probe`);
    if (start >= end) return;
    const what = `${info.finalUrl}: bytes=${start}-${end - 1}`;
    let pos = start;
    await withRetries(
      this.retry,
      what,
      async () => {
        if (this.changed) throw this.changed;
        const range = `bytes=${pos}-${end - 1}`;
        const extra: Record<string, string> = { Range: range };
        const ifRange = ifRangeValue(info.validators);
        if (ifRange !== undefined) extra['If-Range'] = ifRange;
        const ex = await this.send(this.requestUrl, 'GET', extra, end - pos);
        try {
          this.checkRangeAnswer(ex.response, info, pos, end, range);
          for (;;) {
            const chunk = await ex.next();
            if (!chunk) break;
            const room = end - pos;
            if (chunk.length > room) throw new FsError('EIO', `${info.finalUrl}: ${range}: server sent more bytes than the ${end - start} asked for`);
            if (chunk.length === 0) continue;
            pos += chunk.length;
            sink(chunk);
          }
          if (pos < end) throw new TransientError('EIO', `response ended ${end - pos} bytes short`);
        } finally {
          ex.close();
        }
      },
      { closing: this.ctx.closing },
    );
  }

  /** Everything a 206 must satisfy before its body is believed. */
  private checkRangeAnswer(res: Response, info: ResourceInfo, pos: number, end: number, range: string): void {
    const where = `${info.finalUrl}: ${range}`;
    if (res.status === 200) {
      // With If-Range a 200 means a new version; without a change in validators it means no Range support.
      const change = validatorChange(info.validators, validatorsOf(res.headers));
      if (change) throw this.markChanged(`${where}: remote file changed (${change})`);
      throw ignoresRange(info.finalUrl, range);
    }
    if (res.status === 416) {
      const r = parseUnsatisfiedRange(res.headers.get('content-range'));
      throw this.markChanged(`${where}: remote file changed: 416 Range Not Satisfiable${r ? ` (size now ${r.complete}, was ${info.size})` : ''}`);
    }
    if (res.status !== 206) throw statusFailure(res, where);
    checkEncoding(res, info.finalUrl);
    const raw = res.headers.get('content-range');
    const cr = parseContentRange(raw);
    if (!cr) throw badContentRange(res, where);
    if (cr.complete !== undefined && cr.complete !== info.size) {
      throw this.markChanged(`${where}: remote file changed (size was ${info.size}, Content-Range says ${cr.complete})`);
    }
    if (cr.first !== pos || cr.last !== end - 1) throw new FsError('EIO', `${where}: server answered ${raw}`);
    const change = validatorChange(info.validators, validatorsOf(res.headers));
    if (change) throw this.markChanged(`${where}: remote file changed (${change})`);
    const rawLength = res.headers.get('content-length');
    if (rawLength !== null && parseContentLength(rawLength) !== end - pos) {
      throw new FsError('EIO', `${where}: Content-Length ${quote(rawLength)} does not match Content-Range ${raw}`);
    }
  }

  private markChanged(message: string): FsError {
    this.changed = new FsError('EIO', message);
    return this.changed;
  }

  private send(url: string, method: string, extra: Record<string, string>, expectedBytes = 0): Promise<Exchange> {
    return exchange(this.ctx, url, { method, headers: { ...this.headers, ...extra } }, expectedBytes);
  }

  /**
   * Later requests go straight to where redirects ended (saving a round trip
   * each), unless that is another origin and we carry credentials: fetch
   * drops Authorization on a cross-origin redirect, and so do we by asking
   * the original URL each time.
   */
  private chooseRequestUrl(finalUrl: string): string {
    if (finalUrl === this.url) return this.url;
    const sameOrigin = safeOrigin(finalUrl) === safeOrigin(this.url);
    const sensitive = Object.keys(this.headers).some((k) => ['authorization', 'cookie', 'proxy-authorization'].includes(k.toLowerCase()));
    return sameOrigin || !sensitive ? finalUrl : this.url;
  }
}

function ignoresRange(url: string, range: string): FsError {
  return new FsError('EOPNOTSUPP', `${url}: server ignores Range requests (answered 200 to ${range}); download the file first`);
}

function badContentRange(res: Response, where: string): FsError {
  const raw = res.headers.get('content-range');
  // In a browser a cross-origin server must expose the header, or fetch hides it.
  const hint = raw === null ? ' (a cross-origin server must list it in Access-Control-Expose-Headers)' : '';
  return new FsError('EIO', `${where}: 206 with ${raw === null ? 'no' : 'a malformed'} Content-Range ${raw === null ? '' : quote(raw)}${hint}`.replace('  ', ' '));
}

function checkEncoding(res: Response, url: string): void {
  const enc = res.headers.get('content-encoding');
  if (enc !== null && enc.trim() !== '' && enc.trim().toLowerCase() !== 'identity') {
    throw new FsError('EOPNOTSUPP', `${url}: server sends the file encoded (Content-Encoding: ${enc}), so byte ranges do not match the file`);
  }
}

/** A size header: undefined if absent, an error if unusable (garbage, or beyond 2^53 like 2^60). */
function sizeFromHeader(raw: string | null, what: string): number | undefined {
  if (raw === null) return undefined;
  const n = parseContentLength(raw);
  if (n !== undefined) return n;
  if (/^\s*\d+\s*$/.test(raw)) throw new FsError('EFBIG', `${what} ${raw.trim()} is beyond 2^53 bytes`);
  throw new FsError('EIO', `${what} ${quote(raw)} is not a number`);
}

/** A non-success status as a final FsError or a TransientError to retry. */
export function statusFailure(res: Response, where: string): FsError | TransientError {
  const s = res.status;
  const text = `${s}${res.statusText ? ` ${res.statusText}` : ''}`;
  if (s === 404 || s === 410) return new FsError('ENOENT', `${where}: ${text}`);
  if (s === 401 || s === 403 || s === 407) return new FsError('EACCES', `${where}: ${text}`);
  if (s === 408 || s === 425 || s === 429 || (s >= 500 && s !== 501 && s !== 505)) {
    return new TransientError('EIO', `server answered ${text}`, parseRetryAfter(res.headers.get('retry-after')));
  }
  return new FsError('EIO', `${where}: unexpected answer ${text}`);
}

function quote(v: string | null): string {
  if (v === null) return '(none)';
  return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function stripCredentials(url: string): string {
  return splitCredentials(url).bare;
}

/**
 * fetch refuses URLs with user:password; they become a Basic Authorization
 * header instead, and messages show the URL without them.
 */
export function splitCredentials(url: string): { bare: string; authorization: string | undefined } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new FsError('EINVAL', `not a URL: ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new FsError('EINVAL', `${u.protocol} URLs are not HTTP(S): ${url}`);
  if (!u.username && !u.password) return { bare: u.href, authorization: undefined };
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return { bare: u.href, authorization: `Basic ${base64(new TextEncoder().encode(`${user}:${pass}`))}` };
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/**
 * A small real HTTP server on loopback that serves one byte array with
 * Range support (RFC 9110) and can be told to misbehave: ignore Range,
 * fail the first N requests with a status or a reset, cut bodies short,
 * delay answers, change its ETag, refuse HEAD, redirect, want a header.
 * It logs every request, so tests check caching and coalescing by count.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RangeServerBehaviour {
  /** Answer range requests with 200 and the whole body. */
  ignoreRange?: boolean;
  /** Answer the first N GETs with `failStatus` (default 503) and `retryAfter`. */
  failFirst?: number;
  failStatus?: number;
  retryAfter?: string;
  /** Destroy the connection of the first N GETs before answering. */
  resetFirst?: number;
  /** For the first N GETs, send the headers and half the body, then destroy the connection. */
  truncateFirst?: number;
  /** Wait this long before answering each request. */
  delayMs?: number;
  /** Answer HEAD with this status (e.g. 405) instead of the headers. */
  headStatus?: number;
  /** Leave out Accept-Ranges (servers that support ranges without saying so). */
  noAcceptRanges?: boolean;
  /** ETag (default a quoted hash-like tag) and Last-Modified sent with every answer. */
  etag?: string;
  lastModified?: string;
  /** After this many range GETs the ETag changes (the file "changed" under the reader). */
  changeEtagAfter?: number;
  /** Honour If-Range (default true): a stale validator gets 200 and the whole body. */
  honourIfRange?: boolean;
  /** Require this Authorization header value, else 401. */
  authorization?: string;
}

export interface LoggedRequest {
  method: string;
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
  headers: IncomingMessage['headers'];
  /** Body bytes written before the response finished or was torn down. */
  bytesSent: number;
  /** True if the client went away before the whole body was sent. */
  aborted: boolean;
}

export class RangeServer {
  readonly content: Uint8Array;
  behaviour: RangeServerBehaviour;
  readonly log: LoggedRequest[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private gets = 0;
  private rangeGets = 0;
  private port = 0;

  private constructor(content: Uint8Array, behaviour: RangeServerBehaviour) {
    this.content = content;
    this.behaviour = behaviour;
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(content: Uint8Array, behaviour: RangeServerBehaviour = {}): Promise<RangeServer> {
    const s = new RangeServer(content, behaviour);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(0, '127.0.0.1', () => resolve());
    });
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  /** URL of the served file (any path serves it, except /redirect and /missing). */
  get url(): string {
    return `http://127.0.0.1:${this.port}/file.img`;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests seen, optionally only those of one method. */
  count(method?: string): number {
    return method ? this.log.filter((r) => r.method === method).length : this.log.length;
  }

  /** The Range headers of the GETs, in order. */
  ranges(): string[] {
    return this.log.filter((r) => r.method === 'GET' && r.range).map((r) => r.range!);
  }

  resetLog(): void {
    this.log.length = 0;
  }

  currentEtag(): string {
    const base = this.behaviour.etag ?? '"v1-abc"';
    const after = this.behaviour.changeEtagAfter;
    return after !== undefined && this.rangeGets > after ? base.replace(/"$/, '-changed"') : base;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const b = this.behaviour;
    const entry: LoggedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      range: header(req, 'range'),
      ifRange: header(req, 'if-range'),
      headers: req.headers,
      bytesSent: 0,
      aborted: false,
    };
    this.log.push(entry);
    if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));

    if (entry.path === '/redirect') {
      res.writeHead(302, { Location: '/file.img' }).end();
      return;
    }
    if (entry.path === '/missing') {
      res.writeHead(404).end('not here');
      return;
    }
    if (b.authorization !== undefined && req.headers.authorization !== b.authorization) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' }).end();
      return;
    }

    const isGet = req.method === 'GET';
    const isHead = req.method === 'HEAD';
    if (!isGet && !isHead) {
      res.writeHead(405).end();
      return;
    }
    const getNo = isGet ? ++this.gets : 0;
    if (isGet && getNo <= (b.resetFirst ?? 0)) {
      req.socket.destroy();
      return;
    }
    if (isGet && getNo <= (b.failFirst ?? 0)) {
      const h: Record<string, string> = {};
      if (b.retryAfter !== undefined) h['Retry-After'] = b.retryAfter;
      res.writeHead(b.failStatus ?? 503, h).end('try later');
      return;
    }
    if (isHead && b.headStatus !== undefined) {
      res.writeHead(b.headStatus).end();
      return;
    }

    const size = this.content.length;
    if (isGet && entry.range) this.rangeGets++;
    const etag = this.currentEtag();
    const common: Record<string, string> = { ETag: etag, 'Content-Type': 'application/octet-stream' };
    if (b.lastModified) common['Last-Modified'] = b.lastModified;
    if (!b.noAcceptRanges) common['Accept-Ranges'] = 'bytes';

    const range = entry.range && !b.ignoreRange ? parseRange(entry.range, size) : undefined;
    const ifRangeOk = entry.ifRange === undefined || (b.honourIfRange ?? true) === false || entry.ifRange === etag || entry.ifRange === b.lastModified;
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...common, 'Content-Range': `bytes */${size}` }).end();
      return;
    }
    if (range && ifRangeOk) {
      const [first, last] = range;
      res.writeHead(206, { ...common, 'Content-Length': String(last - first + 1), 'Content-Range': `bytes ${first}-${last}/${size}` });
      if (isHead) return void res.end();
      await this.send(res, entry, this.content.subarray(first, last + 1), getNo);
      return;
    }
    res.writeHead(200, { ...common, 'Content-Length': String(size) });
    if (isHead) return void res.end();
    await this.send(res, entry, this.content, getNo);
  }

  /** Writes the body in 64 KiB pieces, respecting backpressure and noticing the client leaving. */
  private async send(res: ServerResponse, entry: LoggedRequest, body: Uint8Array, getNo: number): Promise<void> {
    const truncate = getNo <= (this.behaviour.truncateFirst ?? 0);
    const limit = truncate ? Math.floor(body.length / 2) : body.length;
    let gone = false;
    res.on('close', () => {
      if (!res.writableFinished) {
        gone = true;
        entry.aborted = true;
      }
    });
    for (let at = 0; at < limit && !gone; at += 65536) {
      const piece = body.subarray(at, Math.min(limit, at + 65536));
      entry.bytesSent += piece.length;
      if (!res.write(piece)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    if (gone) return;
    if (truncate) {
      // Let the partial body reach the client, then drop the connection mid-response.
      await new Promise((r) => setTimeout(r, 5));
      res.socket?.destroy();
      return;
    }
    res.end();
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A single `bytes=a-b`, `bytes=a-` or `bytes=-n` range, clamped; 'unsatisfiable' or undefined (ignore) otherwise. */
function parseRange(text: string, size: number): [number, number] | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(text.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return [Math.max(0, size - n), size - 1];
  }
  const first = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (first >= size) return 'unsatisfiable';
  if (last < first) return undefined;
  return [first, last];
}

/**
 * Parsing the few HTTP response headers a range reader depends on
 * (RFC 9110: Content-Range §14.4, Content-Length §8.6, Retry-After §10.2.3,
 * ETag §8.8.3, If-Range §13.1.5). Every parser returns undefined for
 * anything malformed; callers turn that into an error naming the URL.
 */

/** A `Content-Range: bytes first-last/complete` answer; `complete` undefined for `/*`. */
export interface ContentRange {
  first: number;
  last: number;
  complete: number | undefined;
}

/** The answer to an unsatisfiable range (416: "bytes", an asterisk, "/" and the size): only the size. */
export interface UnsatisfiedRange {
  complete: number;
}

const DIGITS = /^\d{1,16}$/;

/** A non-negative decimal that fits a safe integer; undefined otherwise (2^60, "-1", "1e3", ""). */
export function parseDecimal(text: string | null | undefined): number | undefined {
  if (text == null) return undefined;
  const t = text.trim();
  if (!DIGITS.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Content-Length: one decimal (a repeated identical value, "5, 5", is allowed by RFC 9110). */
export function parseContentLength(text: string | null | undefined): number | undefined {
  if (text == null) return undefined;
  const parts = text.split(',').map((p) => p.trim());
  const n = parseDecimal(parts[0]);
  if (n === undefined || parts.some((p) => p !== parts[0])) return undefined;
  return n;
}

/** `bytes 0-499/1234` or `bytes 0-499/*`; undefined if malformed or first > last. */
export function parseContentRange(text: string | null | undefined): ContentRange | undefined {
  if (text == null) return undefined;
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(text);
  if (!m) return undefined;
  const first = parseDecimal(m[1]);
  const last = parseDecimal(m[2]);
  const complete = m[3] === '*' ? undefined : parseDecimal(m[3]);
  if (first === undefined || last === undefined || first > last) return undefined;
  if (m[3] !== '*' && (complete === undefined || last >= complete)) return undefined;
  return { first, last, complete };
}

// The Content-Range of a 416 Range Not Satisfiable: "bytes", an asterisk, "/1234".
export function parseUnsatisfiedRange(text: string | null | undefined): UnsatisfiedRange | undefined {
  if (text == null) return undefined;
  const m = /^\s*bytes\s+\*\/(\d+)\s*$/i.exec(text);
  const complete = m ? parseDecimal(m[1]) : undefined;
  return complete === undefined ? undefined : { complete };
}

/** Retry-After: delay-seconds or an HTTP-date, as milliseconds from `now` (never negative). */
export function parseRetryAfter(text: string | null | undefined, now = Date.now()): number | undefined {
  if (text == null) return undefined;
  const t = text.trim();
  const seconds = parseDecimal(t);
  if (seconds !== undefined) return seconds * 1000;
  if (!/[a-z]/i.test(t)) return undefined;
  const when = Date.parse(t);
  if (Number.isNaN(when)) return undefined;
  return Math.max(0, when - now);
}

/** The resource's identity as the server reported it, to notice it changing under us. */
export interface Validators {
  etag: string | undefined;
  lastModified: string | undefined;
}

export function validatorsOf(headers: Headers): Validators {
  return { etag: headers.get('etag') ?? undefined, lastModified: headers.get('last-modified') ?? undefined };
}

/** ETags compared weakly (RFC 9110 §8.8.3.2): `W/"x"` and `"x"` name the same version. */
function opaqueTag(etag: string): string {
  return etag.trim().replace(/^W\//, '');
}

/**
 * What changed between the validators we opened with and a response's, or
 * undefined if nothing we can see did. A validator the response leaves out
 * proves nothing either way.
 */
export function validatorChange(ours: Validators, theirs: Validators): string | undefined {
  if (ours.etag !== undefined && theirs.etag !== undefined && opaqueTag(ours.etag) !== opaqueTag(theirs.etag)) {
    return `ETag was ${ours.etag}, now ${theirs.etag}`;
  }
  if (ours.lastModified !== undefined && theirs.lastModified !== undefined && ours.lastModified.trim() !== theirs.lastModified.trim()) {
    return `Last-Modified was ${ours.lastModified}, now ${theirs.lastModified}`;
  }
  return undefined;
}

/**
 * The If-Range value for our validators: a strong ETag, else the
 * Last-Modified date (If-Range must not carry a weak ETag). With it a server
 * answers a range of a changed file with 200 and the new version, which we
 * then recognise by its validators instead of mixing two versions' bytes.
 */
export function ifRangeValue(v: Validators): string | undefined {
  if (v.etag !== undefined && !v.etag.trim().startsWith('W/')) return v.etag.trim();
  return v.lastModified?.trim();
}

// Header parsing against the examples of RFC 9110 (§14.4 Content-Range,
// §10.2.3 Retry-After, §8.8.3 ETag comparison) and hostile variants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ifRangeValue,
  parseContentLength,
  parseContentRange,
  parseRetryAfter,
  parseUnsatisfiedRange,
  validatorChange,
} from './http-headers.js';

test('Content-Range: the RFC 9110 examples', () => {
  assert.deepEqual(parseContentRange('bytes 42-1233/1234'), { first: 42, last: 1233, complete: 1234 });
  assert.deepEqual(parseContentRange('bytes 42-1233/*'), { first: 42, last: 1233, complete: undefined });
  assert.deepEqual(parseUnsatisfiedRange('bytes */1234'), { complete: 1234 });
});

test('Content-Range: invalid forms are rejected', () => {
  for (const bad of [
    'bytes 5-4/10', // last before first
    'bytes 0-10/10', // last not inside the complete length (RFC 9110 §14.4)
    'bytes 0-1/1152921504606846976', // beyond 2^53
    'bytes -1-5/10',
    'bytes 1-2',
    'items 0-1/2',
    'bytes 0x1-2/3',
    '',
    'bytes 1e3-2e3/5e3',
  ]) {
    assert.equal(parseContentRange(bad), undefined, bad);
  }
  assert.equal(parseContentRange(null), undefined);
  assert.equal(parseUnsatisfiedRange('bytes */abc'), undefined);
});

test('Content-Length: digits only, repeated equal values allowed (RFC 9110 §8.6)', () => {
  assert.equal(parseContentLength('3495'), 3495);
  assert.equal(parseContentLength('42, 42'), 42);
  assert.equal(parseContentLength('42, 43'), undefined);
  assert.equal(parseContentLength('-1'), undefined);
  assert.equal(parseContentLength('1152921504606846976'), undefined);
  assert.equal(parseContentLength('9007199254740991'), 2 ** 53 - 1);
  assert.equal(parseContentLength('12abc'), undefined);
});

test('Retry-After: seconds or an HTTP date', () => {
  assert.equal(parseRetryAfter('120'), 120_000);
  const now = Date.parse('Fri, 31 Dec 1999 23:59:00 GMT');
  assert.equal(parseRetryAfter('Fri, 31 Dec 1999 23:59:59 GMT', now), 59_000);
  assert.equal(parseRetryAfter('Fri, 31 Dec 1999 23:58:00 GMT', now), 0, 'a date in the past means now');
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter('-5'), undefined);
});

test('validators: weak comparison of ETags; If-Range never carries a weak one', () => {
  assert.equal(validatorChange({ etag: '"xyzzy"', lastModified: undefined }, { etag: 'W/"xyzzy"', lastModified: undefined }), undefined);
  assert.match(validatorChange({ etag: '"a"', lastModified: undefined }, { etag: '"b"', lastModified: undefined })!, /ETag was "a", now "b"/);
  assert.equal(validatorChange({ etag: '"a"', lastModified: undefined }, { etag: undefined, lastModified: 'x' }), undefined, 'missing proves nothing');
  assert.equal(ifRangeValue({ etag: '"a"', lastModified: 'Tue, 15 Nov 1994 12:45:26 GMT' }), '"a"');
  assert.equal(ifRangeValue({ etag: 'W/"a"', lastModified: 'Tue, 15 Nov 1994 12:45:26 GMT' }), 'Tue, 15 Nov 1994 12:45:26 GMT');
  assert.equal(ifRangeValue({ etag: 'W/"a"', lastModified: undefined }), undefined);
});

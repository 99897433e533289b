import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddress, parseAddress } from './address.js';
import { FsError } from '../errors.js';

const files = new Set(['disk.qcow2', 'odd:name.img', 'odd:name.img:p1', '/abs/dir:x/disk.img', 'a:b']);
const exists = (p: string) => files.has(p);

test('plain sources, partitions and paths', () => {
  assert.deepEqual(parseAddress('disk.qcow2', exists), { source: 'disk.qcow2', selectors: [] });
  assert.deepEqual(parseAddress('disk.qcow2:p2', exists), { source: 'disk.qcow2', selectors: ['p2'] });
  assert.deepEqual(parseAddress('disk.qcow2:p2:/etc/fstab', exists), { source: 'disk.qcow2', selectors: ['p2'], path: '/etc/fstab' });
  assert.deepEqual(parseAddress('disk.qcow2:/', exists), { source: 'disk.qcow2', selectors: [], path: '/' });
  assert.deepEqual(parseAddress('disk.qcow2:p2:p1', exists), { source: 'disk.qcow2', selectors: ['p2', 'p1'] });
  assert.deepEqual(parseAddress('disk.qcow2:p1:/a:b/c', exists), { source: 'disk.qcow2', selectors: ['p1'], path: '/a:b/c' });
});

test('colons in file names: the longest existing file wins', () => {
  assert.deepEqual(parseAddress('odd:name.img:p1', exists), { source: 'odd:name.img:p1', selectors: [] });
  assert.deepEqual(parseAddress('odd:name.img:p1:p2', exists), { source: 'odd:name.img:p1', selectors: ['p2'] });
  assert.deepEqual(parseAddress('odd:name.img:p3', exists), { source: 'odd:name.img', selectors: ['p3'] });
  assert.deepEqual(parseAddress('/abs/dir:x/disk.img:p1', exists), { source: '/abs/dir:x/disk.img', selectors: ['p1'] });
  assert.deepEqual(parseAddress('a:b:/x', exists), { source: 'a:b', selectors: [], path: '/x' });
});

test('URLs: scheme and port colons are not separators', () => {
  assert.deepEqual(parseAddress('https://example.com/disk.vmdk'), { source: 'https://example.com/disk.vmdk', selectors: [] });
  assert.deepEqual(parseAddress('http://127.0.0.1:8080/d/disk.qcow2:p2:/etc'), { source: 'http://127.0.0.1:8080/d/disk.qcow2', selectors: ['p2'], path: '/etc' });
  assert.deepEqual(parseAddress('http://host:81/x.img:/'), { source: 'http://host:81/x.img', selectors: [], path: '/' });
});

test('missing sources and bad selectors are ENOENT naming the file', () => {
  assert.throws(() => parseAddress('missing.img:p2', exists), (e: unknown) => e instanceof FsError && e.code === 'ENOENT' && /missing\.img: no such file/.test(e.message));
  assert.throws(() => parseAddress('disk.qcow2:q2', exists), (e: unknown) => e instanceof FsError && e.code === 'ENOENT');
  assert.throws(() => parseAddress('', exists), (e: unknown) => e instanceof FsError && e.code === 'EINVAL');
});

test('formatAddress round-trips', () => {
  for (const text of ['disk.qcow2', 'disk.qcow2:p2', 'disk.qcow2:p2:/etc/fstab', 'odd:name.img:p1:p2']) {
    assert.equal(formatAddress(parseAddress(text, exists)), text);
  }
});

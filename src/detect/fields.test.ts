// How ids and text are printed: blkid's formats, checked against what blkid printed
// for real images in test/detect/real-tools.test.ts; here the edge cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeText, formatUuid } from './fields.js';
import { checkBits, confidenceFromBits } from './evaluate.js';

const bytes = (...b: number[]) => new Uint8Array(b);

test('uuid formats', () => {
  const u = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  assert.equal(formatUuid(u, 'uuid'), '01020304-0506-0708-090a-0b0c0d0e0f10');
  assert.equal(formatUuid(u, 'guid'), '04030201-0605-0807-090a-0b0c0d0e0f10');
  assert.equal(formatUuid(new Uint8Array(16), 'uuid'), undefined);
  assert.equal(formatUuid(bytes(0xcd, 0xab, 0x34, 0x12), 'serial4'), '1234-ABCD');
  assert.equal(formatUuid(bytes(1, 2, 3, 4, 5, 6, 7, 0x8a), 'serial8'), '8A07060504030201');
  assert.equal(formatUuid(bytes(0xcd, 0xab, 0x34, 0x12), 'hex32le'), '1234abcd');
  assert.equal(formatUuid(new TextEncoder().encode('2024010203040500'), 'isodate'), '2024-01-02-03-04-05-00');
  assert.equal(formatUuid(new TextEncoder().encode('0000000000000000'), 'isodate'), undefined);
  assert.equal(formatUuid(new TextEncoder().encode('abcdefghijklmnopqrstuvwxyz012345'), 'lvm'), 'abcdef-ghij-klmn-opqr-stuv-wxyz-012345');
  assert.equal(formatUuid(u, 'md'), '01020304:05060708:090a0b0c:0d0e0f10');
});

test('text decoding stops at NUL and keeps UTF-16', () => {
  assert.equal(decodeText(bytes(0x41, 0x42, 0, 0x43), 'ascii'), 'AB');
  assert.equal(decodeText(bytes(0x41, 0, 0xe9, 0, 0, 0, 0x42, 0), 'utf16le'), 'A\u00e9');
  assert.equal(decodeText(bytes(0, 0x41, 0x26, 0x3a), 'utf16be'), 'A\u263a');
  assert.equal(decodeText(bytes(0xc3, 0xa9, 0), 'utf8'), '\u00e9');
});

test('confidence grows with evidence and is capped', () => {
  assert.equal(checkBits({ at: 0, ascii: 'QFI\xfb' }), 32);
  assert.equal(checkBits({ u16le: 1080, is: 0xef53 }), 16);
  assert.equal(checkBits({ u32le: 96, mask: 0x80, is: 0x80 }), 1);
  assert.equal(checkBits({ not: { at: 0, ascii: 'X' } }), 0);
  assert.ok(confidenceFromBits(64) > confidenceFromBits(32));
  assert.equal(confidenceFromBits(1000), 0.9);
  assert.equal(confidenceFromBits(0), 0.2);
});

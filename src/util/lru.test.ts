import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LruCache } from './lru.js';

test('entries used since they were added outlive those that were not', () => {
  const evicted: string[] = [];
  const c = new LruCache<string, number>(3, { onEvict: (k) => evicted.push(k) });
  c.set('a', 1);
  c.set('b', 2);
  c.set('c', 3);
  assert.equal(c.get('a'), 1);
  c.set('d', 4);
  assert.deepEqual(evicted, ['b'], 'b was the oldest unused');
  assert.deepEqual([...c.keys()].sort(), ['a', 'c', 'd']);
  c.set('e', 5);
  assert.deepEqual(evicted, ['b', 'c']);
});

test('cost bounds the total; an entry larger than the budget stays alone', () => {
  const c = new LruCache<number, string>(100);
  for (let i = 0; i < 10; i++) c.set(i, 'x', 30);
  assert.ok(c.cost <= 100);
  assert.equal(c.size, 3);
  c.set(99, 'big', 500);
  assert.equal(c.size, 1);
  assert.equal(c.get(99), 'big');
  assert.equal(c.cost, 500);
});

test('replacing and deleting keep the cost right; peek does not count as a use', () => {
  const c = new LruCache<string, number>(2);
  c.set('a', 1, 1);
  c.set('a', 2, 1);
  assert.equal(c.cost, 1);
  c.set('b', 3, 1);
  assert.equal(c.peek('a'), 2);
  c.set('c', 4, 1);
  assert.equal(c.has('a'), false, 'peeked, not used: evicted first');
  assert.equal(c.delete('b'), true);
  assert.equal(c.cost, 1);
  c.clear();
  assert.equal(c.size, 0);
  assert.equal(c.cost, 0);
});

test('when every entry was used, eviction still makes room', () => {
  const c = new LruCache<number, number>(4);
  for (let i = 0; i < 4; i++) c.set(i, i);
  for (let i = 0; i < 4; i++) c.get(i);
  c.set(4, 4);
  assert.equal(c.size, 4);
  assert.equal(c.get(4), 4);
});

test('many deletes and replacements keep the age order, the size and the cost right', () => {
  const c = new LruCache<number, number>(10);
  for (let i = 0; i < 5000; i++) {
    c.set(i, i);
    if (i % 3 === 0) c.delete(i);
    else if (i % 3 === 1) c.set(i, -i);
  }
  const kept = [];
  for (let i = 0; i < 5000; i++) if (i % 3 !== 0) kept.push(i);
  assert.deepEqual([...c.keys()].sort((a, b) => a - b), kept.slice(-10), 'the ten newest live entries');
  assert.equal(c.cost, 10);
  assert.equal(c.get(4999), -4999);
});

// Hand-made corruptions of small real images (xorriso, genisoimage):
// each must give an FsError with an errno and a message naming the
// structure and where, or be skipped with a warning — never a crash, a
// hang or an unbounded allocation.
import '../../node/codecs.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FsError } from '../../errors.js';
import { MemoryDevice } from '../../block/memory.js';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needTools } from '../../../test/helpers/tools.js';
import { exercise, exerciseBytes } from '../../../test/iso9660/exercise.js';
import { both32, find, le32, records, rootRec, suspEntry } from '../../../test/iso9660/layout.js';
import { Iso9660FileSystem } from './filesystem.js';
import type { Iso9660Options } from './options.js';

const skip = needTools('xorriso', 'genisoimage', 'python3');
const dir = skip ? '' : await fixture('iso9660/small.sh');
const image = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));

async function open(img: Uint8Array, options: Iso9660Options = {}): Promise<Iso9660FileSystem> {
  return Iso9660FileSystem.open(new MemoryDevice(img, { readOnly: true }), options);
}

async function path(fs: Iso9660FileSystem, p: string): Promise<number> {
  let ino = fs.rootIno;
  for (const part of p.split('/')) ino = (await fs.lookup(ino, part)).ino;
  return ino;
}

async function names(fs: Iso9660FileSystem, p = ''): Promise<string[]> {
  const ino = p ? await path(fs, p) : fs.rootIno;
  return (await fs.readdir(ino, 0, 0)).map((e) => e.name).filter((n) => n !== '.' && n !== '..');
}

async function expectFsError(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof FsError, `an FsError, not ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

// ----- volume descriptors -----

test('iso9660 hostile: volume descriptors', { skip }, async () => {
  const zeroed = image('small-rr.iso');
  zeroed.fill(0, 32768, 34816);
  await expectFsError(open(zeroed), 'EINVAL', /no 'CD001' signature at sector 16/);

  await expectFsError(open(image('small-rr.iso').slice(0, 32768 + 100)), 'EINVAL', /no volume descriptor at sector 16/);

  const truncated = image('small-rr.iso').slice(0, 40960);
  const r = await exerciseBytes(truncated);
  assert.ok(r.errors.length > 0 && r.errors.every((e) => e instanceof FsError));

  const bs = image('small-rr.iso');
  bs[32768 + 128] = 0x00;
  bs[32768 + 129] = 0x10;
  await expectFsError(open(bs), 'EIO', /logical block size 4096/);

  const root0 = image('small-rr.iso');
  both32(root0, 32768 + 156 + 2, 0);
  // The Joliet tree still names a good root; force the primary tree.
  await expectFsError(open(root0, { namespace: 'plain' }), 'EIO', /root directory record .*system area/);

  for (const vss of [0xffffffff, 1, 0]) {
    const lie = image('small-rr.iso');
    both32(lie, 32768 + 80, vss);
    const fs = await open(lie);
    assert.ok((await names(fs)).includes('hello.txt'), `volume space size ${vss}`);
    assert.equal((await fs.statfs()).blocks, vss);
  }

  const noTerminator = image('small-rr.iso');
  for (let s = 17; s < 24; s++) if (noTerminator[s * 2048] === 255) noTerminator.fill(0x41, s * 2048, s * 2048 + 2048);
  assert.ok((await names(await open(noTerminator))).includes('hello.txt'), 'a set without terminator still reads');
});

// ----- directory records -----

test('iso9660 hostile: a zero length byte in mid-block skips to the next block, as ECMA-119 says', { skip }, async () => {
  const img = image('small-rr.iso');
  const many = find(img, 'MANY');
  const recs = records(img, many.extent, many.size);
  const firstBlock = recs.filter((r) => r.offset < many.extent * 2048 + 2048);
  const cut = firstBlock[6]!;
  img[cut.offset] = 0;
  const lost = firstBlock.slice(6).length;
  const fs = await open(img);
  const listed = await names(fs, 'many');
  assert.equal(listed.length, 40 - lost);
  assert.ok(lost > 3 && listed.includes('entry-with-a-long-name-40.txt'), 'later blocks are still read');
});

test('iso9660 hostile: record lengths below 34 or past the directory are EIO naming the record', { skip }, async () => {
  const short = image('small-rr.iso');
  const many = find(short, 'MANY');
  const r = records(short, many.extent, many.size)[5]!;
  short[r.offset] = 20;
  await expectFsError(names(await open(short), 'many'), 'EIO', new RegExp(`directory record at offset ${r.offset} .*length 20 is shorter than 34`));

  const odd = image('small-rr.iso');
  const m2 = find(odd, 'MANY');
  const recs = records(odd, m2.extent, m2.size);
  both32(odd, recs[0]!.offset + 10, recs[3]!.offset - m2.extent * 2048 + 40); // '.' says the directory ends inside the 4th record
  await expectFsError(names(await open(odd), 'many'), 'EIO', /directory record at offset \d+ .*runs past the end of the directory/);

  const nameLen = image('small-rr.iso');
  const m3 = find(nameLen, 'MANY');
  const r3 = records(nameLen, m3.extent, m3.size)[4]!;
  nameLen[r3.offset + 32] = 250;
  await expectFsError(names(await open(nameLen), 'many'), 'EIO', /identifier length 250 does not fit/);
});

test('iso9660 hostile: extents past the end of the image', { skip }, async () => {
  const file = image('small-rr.iso');
  both32(file, find(file, 'HELLO.TXT').offset + 2, 0x00ffffff);
  const fs = await open(file);
  const ino = await path(fs, 'hello.txt');
  assert.equal((await fs.getattr(ino)).size, 6);
  await expectFsError(fs.read(ino, 0, new Uint8Array(10), 0), 'EIO', /file at record offset \d+ .*runs past the end of the image/);

  const d = image('small-rr.iso');
  both32(d, find(d, 'DIR').offset + 2, 0x00ffffff);
  const fs2 = await open(d);
  assert.ok(!(await names(fs2)).includes('dir'));
  assert.ok(fs2.warnings.some((w) => /'dir' .*past the end of the image/.test(w)), fs2.warnings.join('\n'));
});

test('iso9660 hostile: directories that contain themselves or an ancestor are left out', { skip }, async () => {
  const img = image('small-rr.iso');
  const root = rootRec(img);
  both32(img, find(img, 'DIR').offset + 2, root.extent);
  const fs = await open(img);
  assert.ok(!(await names(fs)).includes('dir'));
  assert.ok(fs.warnings.some((w) => /'dir' .*a loop/.test(w)));
  const r = await exercise(fs);
  assert.ok(r.entries < 100);

  // genisoimage relocated a/b/c/d/e/f/g/h: point its CL at 'a' (an ancestor).
  const gen = image('small-gen.iso');
  const h = find(gen, 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H');
  const cl = suspEntry(gen, h, 'CL');
  both32(gen, cl + 4, find(gen, 'A').extent);
  const fs2 = await open(gen);
  assert.deepEqual(await names(fs2, 'a/b/c/d/e/f/g'), []);
  assert.ok(fs2.warnings.some((w) => /'h' .*a loop/.test(w)), fs2.warnings.join('\n'));

  // The untouched image reads the relocated directory through CL, and hides it in rr_moved.
  const fs3 = await open(image('small-gen.iso'));
  assert.deepEqual(await names(fs3, 'a/b/c/d/e/f/g/h/i/j'), ['deep.txt']);
  assert.deepEqual(await names(fs3, 'rr_moved'), []);
  const hIno = await path(fs3, 'a/b/c/d/e/f/g/h');
  const dots = await fs3.readdir(hIno, 0, 0);
  assert.equal(dots[1]!.ino, await path(fs3, 'a/b/c/d/e/f/g'), "'..' of a relocated directory is its logical parent (PL)");
});

test('iso9660 hostile: nesting deeper than 1000 directories is ELOOP', { skip }, async () => {
  const fs = await open(image('deep.iso'));
  let ino = fs.rootIno;
  let depth = 0;
  await expectFsError(
    (async () => {
      for (;;) {
        await fs.readdir(ino, 0, 0);
        ino = (await fs.lookup(ino, 'd')).ino;
        depth++;
      }
    })(),
    'ELOOP',
    /nested more than 1000 levels/,
  );
  assert.equal(depth, 1001);
});

test('iso9660 hostile: a directory without its "." record', { skip }, async () => {
  const img = image('small-rr.iso');
  const d = find(img, 'DIR');
  img[d.extent * 2048 + 33] = 0x58;
  const fs = await open(img);
  await expectFsError(fs.lookup(fs.rootIno, 'dir'), 'EIO', /directory at offset \d+ .*does not start with a '\.' record/);
});

// ----- SUSP and Rock Ridge -----

test('iso9660 hostile: CE loops and huge CE lengths keep the entry, warn, and make readlink EIO', { skip }, async () => {
  for (const kind of ['loop', 'huge']) {
    const img = image('small-rr.iso');
    const link = find(img, 'LONGLINK');
    const ce = suspEntry(img, link, 'CE');
    if (kind === 'loop') {
      // A continuation area that is the CE entry itself.
      both32(img, ce + 4, Math.floor(ce / 2048));
      both32(img, ce + 12, ce % 2048);
      both32(img, ce + 20, 28);
    } else both32(img, ce + 20, 0xffffffff);
    const fs = await open(img);
    const ino = await path(fs, 'longlink');
    await expectFsError(fs.readlink(ino), 'EIO', kind === 'loop' ? /more than 32 CE entries/ : /continuation area of 4294967295 bytes/);
    assert.ok(fs.warnings.length > 0);
    assert.equal(await fs.readlink(await path(fs, 'shortlink')), 'hello.txt');
  }
});

test("iso9660 hostile: NM names with '/', NUL, '..' or the PARENT flag are skipped with a warning", { skip }, async () => {
  const cases: Array<[string, (img: Uint8Array, nm: number) => void]> = [
    ['slash', (img, nm) => (img[nm + 8] = 0x2f)],
    ['nul', (img, nm) => (img[nm + 6] = 0)],
    ['dotdot', (img, nm) => {
      img[nm + 2] = 7;
      img[nm + 5] = 0x2e;
      img[nm + 6] = 0x2e;
      img.fill(0x50, nm + 7, nm + 14); // the rest becomes a PD-like filler entry
      img[nm + 7] = 0x50;
      img[nm + 8] = 0x44;
      img[nm + 9] = 7;
      img[nm + 10] = 1;
    }],
    ['parent-flag', (img, nm) => (img[nm + 4] = 4)],
  ];
  for (const [what, patch] of cases) {
    const img = image('small-rr.iso');
    const hello = find(img, 'HELLO.TXT');
    patch(img, suspEntry(img, hello, 'NM'));
    const fs = await open(img);
    const listed = await names(fs);
    assert.ok(!listed.includes('hello.txt') && !listed.includes('..') && !listed.some((n) => n.includes('/') || n.includes('\0')), `${what}: ${listed.join(', ')}`);
    assert.ok(fs.warnings.some((w) => /skipped/.test(w)), `${what}: ${fs.warnings.join('\n')}`);
  }
});

test('iso9660 hostile: PX that calls a file record a directory shows a regular file', { skip }, async () => {
  const img = image('small-rr.iso');
  const px = suspEntry(img, find(img, 'HELLO.TXT'), 'PX');
  both32(img, px + 4, 0o40755);
  const fs = await open(img);
  const st = await fs.getattr(await path(fs, 'hello.txt'));
  assert.equal(st.mode, 0o100755);
  assert.ok(fs.warnings.some((w) => /does not fit a file record/.test(w)));
});

test("iso9660 hostile: plain names with '/' are skipped with map=off and mapped to '.' with map=normal", { skip }, async () => {
  const img = image('small-rr.iso');
  const hello = find(img, 'HELLO.TXT');
  img[hello.offset + 33 + 2] = 0x2f; // 'HE/LO.TXT;1'
  const off = await open(img, { namespace: 'plain', map: 'off' });
  assert.ok(!(await names(off)).some((n) => n.includes('/')));
  assert.ok(off.warnings.some((w) => /is not a file name/.test(w)));
  const normal = await open(img, { namespace: 'plain' });
  assert.ok((await names(normal)).includes('he.lo.txt'));
});

test('iso9660 hostile: a multi-extent chain without its final record', { skip }, async () => {
  const img = image('small-rr.iso');
  img[find(img, 'HELLO.TXT').offset + 25] |= 0x80;
  const fs = await open(img);
  const data = new Uint8Array(6);
  await fs.read(await path(fs, 'hello.txt'), 0, data, 0);
  assert.equal(new TextDecoder().decode(data), 'hello\n');
  assert.ok(fs.warnings.some((w) => /multi-extent file .* ends without its final extent/.test(w)));
});

// ----- El Torito -----

test('iso9660 hostile: boot catalogues with absurd counts, bad checksums or past the end', { skip }, async () => {
  const catalogOf = (img: Uint8Array): number => {
    for (let s = 17; s < 32; s++) if (img[s * 2048] === 0) return le32(img, s * 2048 + 0x47);
    assert.fail('no boot record');
  };
  const counts = image('small-rr.iso');
  const cat = catalogOf(counts) * 2048;
  new DataView(counts.buffer).setUint16(cat + 32 + 6, 0xffff, true); // initial entry: 65535 sectors
  counts.set([0x91, 0, 0xff, 0xff], cat + 64); // a final section header claiming 65535 entries
  const fs = await open(counts);
  const boot = fs.boot!;
  assert.ok(boot.entries.length <= 64, `${boot.entries.length} entries`);
  assert.ok(boot.entries[0]!.size <= counts.length - boot.entries[0]!.offset);
  assert.ok(fs.warnings.some((w) => /El Torito/.test(w)));
  await exercise(fs);

  const sum = image('small-rr.iso');
  sum[catalogOf(sum) * 2048 + 5] ^= 0x55;
  const fs2 = await open(sum);
  assert.equal(fs2.boot, undefined);
  assert.ok(fs2.warnings.some((w) => /checksum/.test(w)));

  const far = image('small-rr.iso');
  for (let s = 17; s < 32; s++) if (far[s * 2048] === 0) both32(far, s * 2048 + 0x47, 0x7fffffff);
  const fs3 = await open(far);
  assert.equal(fs3.boot, undefined);
  assert.ok(fs3.warnings.some((w) => /past the end/.test(w)));
});

// ----- zisofs -----

test('iso9660 hostile: broken zisofs files are EIO when read', { skip }, async () => {
  const breakers: Array<[string, (img: Uint8Array, data: number, zf: number) => void, RegExp]> = [
    ['magic', (img, data) => (img[data] ^= 1), /zisofs header.*magic/],
    ['pointer past the end', (img, data) => new DataView(img.buffer).setUint32(data + 16 + 4, 0x7fffffff, true), /block pointer 1: value 2147483647 is out of order or past/],
    ['pointers going back', (img, data) => new DataView(img.buffer).setUint32(data + 16 + 8, 20, true), /block pointer 2: value 20 is out of order/],
    ['compressed bytes', (img, data) => img.fill(0xaa, data + 16 + 4 * 8, data + 16 + 4 * 8 + 64), /zisofs block 0: does not decompress/],
    ['block size 2^20', (img, _d, zf) => (img[zf + 7] = 20), /block size 2\^20/],
  ];
  for (const [what, patch, message] of breakers) {
    const img = image('small-zf.iso');
    const rec = find(img, 'TEXT');
    patch(img, rec.extent * 2048, suspEntry(img, rec, 'ZF'));
    const fs = await open(img);
    const ino = await path(fs, 'text');
    await expectFsError(fs.read(ino, 0, new Uint8Array(100_000), 0), 'EIO', message).catch((e: Error) => assert.fail(`${what}: ${e.message}`));
  }
  // The untouched file reads.
  const fs = await open(image('small-zf.iso'));
  const ino = await path(fs, 'text');
  const st = await fs.getattr(ino);
  const data = new Uint8Array(st.size);
  assert.equal(await fs.read(ino, 0, data, 0), st.size);
  assert.match(new TextDecoder().decode(data.subarray(0, 40)), /^line 000000 of a compressible file/);
});

test('iso9660 hostile: errors on wrong operations', { skip }, async () => {
  const fs = await open(image('small-rr.iso'));
  const file = await path(fs, 'hello.txt');
  const d = await path(fs, 'dir');
  await expectFsError(fs.lookup(fs.rootIno, 'nope'), 'ENOENT', /no 'nope'/);
  await expectFsError(fs.lookup(file, 'x'), 'ENOTDIR', /not a directory/);
  await expectFsError(fs.readdir(file, 0, 0), 'ENOTDIR', /not a directory/);
  await expectFsError(fs.read(d, 0, new Uint8Array(1), 0), 'EISDIR', /is a directory/);
  await expectFsError(fs.readlink(file), 'EINVAL', /not a symbolic link/);
  await expectFsError(fs.read(await path(fs, 'chardev'), 0, new Uint8Array(1), 0), 'EINVAL', /not a regular file/);
  await expectFsError(fs.getattr(12345677), 'ESTALE', /not known/);
  await expectFsError(fs.getattr(40001 * 2048 * 64), 'ESTALE', /no inode/);
  await expectFsError(Iso9660FileSystem.open(new MemoryDevice(image('small-rr.iso')), { session: 2 }), 'EINVAL', /session 2/);
  assert.equal(await fs.read(file, 0, new Uint8Array(10), 100), 0, 'reading past the end gives 0');
});

test('iso9660: hidden files are listed, associated files are not (Linux defaults)', { skip }, async () => {
  const img = image('small-rr.iso');
  img[find(img, 'HELLO.TXT').offset + 25] |= 0x01;
  img[find(img, 'SHORTLIN').offset + 25] |= 0x04;
  const listed = await names(await open(img));
  assert.ok(listed.includes('hello.txt'));
  assert.ok(!listed.includes('shortlink'));
});

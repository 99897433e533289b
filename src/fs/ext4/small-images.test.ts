// Volumes the kernel cannot show us, against e2fsprogs: 64 KiB blocks
// (this kernel refuses blocks larger than its pages; debugfs `ls -p` and
// `dump` are the truth), and multiple-mount protection (a clean MMP block
// opens quietly; one that says another node has the volume gives a warning).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryDevice } from '../../block/memory.js';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needTools } from '../../../test/helpers/tools.js';
import { FileDevice } from '../../node/file-device.js';
import { Ext4FileSystem } from './index.js';

const skip = needTools('mke2fs', 'debugfs', 'e2fsck', 'python3');

/** debugfs `ls -p` lines: /ino/mode/uid/gid/name/size/ */
function parseLs(text: string): Array<{ ino: number; mode: number; uid: number; gid: number; name: string; size: string }> {
  return text
    .split('\n')
    .map((l) => /^\/(\d+)\/(\d+)\/(\d+)\/(\d+)\/(.*)\/(\d*)\/$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ ino: Number(m[1]), mode: parseInt(m[2]!, 8), uid: Number(m[3]), gid: Number(m[4]), name: m[5]!, size: m[6]! }));
}

test('ext4 64 KiB blocks: listings, attributes and contents agree with debugfs', { skip }, async () => {
  const dir = await fixture('ext4/small.sh');
  const dev = await FileDevice.open(join(dir, 'b64k.img'));
  try {
    const fs = await Ext4FileSystem.open(dev);
    assert.equal(fs.superblock.blockSize, 65536);
    for (const [path, ls] of [['', 'b64k-root.ls'], ['big-dir', 'b64k-big-dir.ls']] as const) {
      const truth = parseLs(await readFile(join(dir, ls), 'utf8'));
      assert.ok(truth.length > 5);
      const d = path ? (await fs.lookup(fs.rootIno, path)).ino : fs.rootIno;
      const listed = await fs.readdir(d, 0, 0);
      assert.deepEqual(listed.map((e) => `${e.ino} ${e.name}`).sort(), truth.map((t) => `${t.ino} ${t.name}`).sort());
      for (const t of truth) {
        const st = await fs.getattr(t.ino);
        assert.equal(st.mode, t.mode, `${path}/${t.name} mode`);
        assert.deepEqual([st.uid, st.gid], [t.uid, t.gid]);
        if (t.size !== '') assert.equal(String(st.size), t.size, `${path}/${t.name} size`);
      }
    }
    for (const path of ['file', 'data', 'fragmented', 'sub/deeper/leaf']) {
      let ino = fs.rootIno;
      for (const n of path.split('/')) ino = (await fs.lookup(ino, n)).ino;
      const want = new Uint8Array(await readFile(join(dir, `b64k.${path.replace(/\//g, '-')}`)));
      const got = new Uint8Array((await fs.getattr(ino)).size);
      assert.equal(await fs.read(ino, 0, got, 0), got.length);
      assert.deepEqual(got, want, path);
    }
    assert.deepEqual(fs.warnings, []);
  } finally {
    await dev.close();
  }
});

test('ext4 MMP: a clean block opens quietly; one held by another node is a warning, not a refusal', { skip }, async () => {
  const dir = await fixture('ext4/small.sh');
  const base = new Uint8Array(await readFile(join(dir, 'mmp.img')));
  const clean = await Ext4FileSystem.open(new MemoryDevice(base.slice()));
  assert.deepEqual(clean.warnings, []);
  const mmp = clean.superblock.s_mmp_block;
  assert.ok(mmp > 0);
  const b = base.slice();
  const at = mmp * clean.superblock.blockSize;
  new DataView(b.buffer).setUint32(at + 4, 0x1234, true);
  b.set(new TextEncoder().encode('otherhost\0'), at + 0x10);
  const busy = await Ext4FileSystem.open(new MemoryDevice(b));
  assert.match(busy.warnings.join('\n'), /MMP says the volume is in use by node otherhost/);
  assert.ok((await busy.readdir(busy.rootIno, 0, 0)).length > 3);
});

test('ext4 files over 4 GiB: size (i_size_high), the data at the end, holes before it', { skip }, async () => {
  const dir = await fixture('ext4/small.sh');
  const tail = new Uint8Array(await readFile(join(dir, 'huge.tail')));
  for (const name of ['csum4k', 'csum1k', 'gdtcsum', 'ext2', 'inline', 'b64k']) {
    const facts = await readFile(join(dir, `${name}.facts`), 'utf8');
    const size = Number(/^huge-size (\d+)/m.exec(facts)![1]);
    assert.equal(size, 5 * 2 ** 30 + 123, `${name}: debugfs size`);
    const dev = await FileDevice.open(join(dir, `${name}.img`));
    try {
      const fs = await Ext4FileSystem.open(dev);
      const e = await fs.lookup(fs.rootIno, 'huge');
      assert.equal(e.attr.size, size, name);
      const bs = fs.superblock.blockSize;
      assert.ok(e.attr.blocks <= (Math.ceil(tail.length / bs) + 4) * (bs / 512), `${name}: sparse (${e.attr.blocks} sectors)`);
      const buf = new Uint8Array(tail.length + 100);
      assert.equal(await fs.read(e.ino, 0, buf, size - tail.length - 100), tail.length + 100);
      assert.ok(buf.subarray(0, 100).every((x) => x === 0), `${name}: hole before the data`);
      assert.deepEqual(buf.subarray(100), tail, `${name}: the data at the end`);
      const mid = new Uint8Array(1 << 20);
      assert.equal(await fs.read(e.ino, 0, mid, 2 ** 32), mid.length);
      assert.ok(mid.every((x) => x === 0));
    } finally {
      await dev.close();
    }
  }
});

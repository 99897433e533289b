// The FUSE protocol without a device: raw request bytes in, reply bytes out (like go-fuse's protocol-server_test.go).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemFileSystem } from '../../vfs/memfs/memfs.js';
import { ReadOnlyFileSystem } from '../../fs/readonly.js';
import { ERRNO } from '../../errors.js';
import type { FileSystem, Ino, Stat } from '../../fs/filesystem.js';
import * as P from './protocol.js';
import { FakeKernel, parseDirents, readIn, struct } from '../../../test/helpers/fuse-kernel.js';
import { prng } from '../../../test/helpers/fuzz.js';

const enc = new TextEncoder();
const ROOT = P.FUSE_ROOT_ID;

/** memfs that counts what the driver hears of forget. */
function countingMemfs(): MemFileSystem & { forgotten: Map<Ino, number> } {
  const fs = new MemFileSystem({ rootMode: 0o755 }) as MemFileSystem & { forgotten: Map<Ino, number> };
  fs.forgotten = new Map();
  const inner = fs.forget.bind(fs);
  fs.forget = (ino, n) => {
    fs.forgotten.set(ino, (fs.forgotten.get(ino) ?? 0) + n);
    inner(ino, n);
  };
  return fs;
}

async function ready(fs: FileSystem = new MemFileSystem({ rootMode: 0o755 }), options = {}): Promise<FakeKernel> {
  const k = new FakeKernel(fs, options);
  await k.init();
  return k;
}

const mkdirIn = (mode: number) => struct(P.fuse_mkdir_in_size, (v) => v.setUint32(0, mode, true));
const createIn = (flags: number, mode: number) => struct(P.fuse_create_in_size, (v) => {
  v.setUint32(0, flags, true);
  v.setUint32(4, mode, true);
});
const forgetIn = (n: number) => struct(8, (v) => P.setU64(v, 0, n));
const nodeidOf = (r: { view: DataView }) => P.getU64(r.view, 0);
const errno = (name: keyof typeof ERRNO) => -ERRNO[name];

describe('fuse session: INIT', () => {
  test('agrees on minor 38 with a newer kernel, offers only flags the kernel has, 1 MiB requests', async () => {
    const k = new FakeKernel(new MemFileSystem());
    const r = await k.init(45, P.FUSE_ASYNC_READ | P.FUSE_DO_READDIRPLUS | P.FUSE_MAX_PAGES | P.FUSE_POSIX_LOCKS);
    assert.equal(r.view.getUint32(0, true), 7);
    assert.equal(r.view.getUint32(4, true), 38);
    assert.equal(r.view.getUint32(12, true), P.FUSE_ASYNC_READ | P.FUSE_DO_READDIRPLUS | P.FUSE_MAX_PAGES);
    assert.equal(r.view.getUint32(20, true), 1 << 20); // max_write
    assert.equal(r.view.getUint16(28, true), 256); // max_pages
    assert.equal(r.view.getUint32(8, true), 131072); // max_readahead: not more than the kernel's
  });

  test('an older kernel gets its own minor; writeback cache only when asked for on a writable mount', async () => {
    const k = new FakeKernel(new MemFileSystem(), { writebackCache: true });
    const r = await k.init(31);
    assert.equal(r.view.getUint32(4, true), 31);
    assert.ok(r.view.getUint32(12, true) & P.FUSE_WRITEBACK_CACHE);
    const ro = new FakeKernel(new ReadOnlyFileSystem(new MemFileSystem()), { writebackCache: true });
    assert.equal((await ro.init()).view.getUint32(12, true) & P.FUSE_WRITEBACK_CACHE, 0);
  });

  test('requests before INIT fail with EIO; unknown opcodes with ENOSYS; a major other than 7 with EPROTO', async () => {
    const k = new FakeKernel(new MemFileSystem());
    assert.equal((await k.call(P.FUSE_GETATTR, ROOT, new Uint8Array(16)))!.error, errno('EIO'));
    await k.init();
    assert.equal((await k.call(99, ROOT))!.error, errno('ENOSYS'));
    assert.equal((await k.call(P.FUSE_GETLK, ROOT, new Uint8Array(48)))!.error, errno('ENOSYS'));
    const k2 = new FakeKernel(new MemFileSystem());
    const r = await k2.call(P.FUSE_INIT, 0, struct(64, (v) => v.setUint32(0, 8, true)));
    assert.equal(r!.error, errno('EPROTO'));
  });
});

describe('fuse session: lookup counting', () => {
  test('each LOOKUP, MKDIR and CREATE counts one; FORGET and BATCH_FORGET hand exactly those back to the driver', async () => {
    const fs = countingMemfs();
    const k = await ready(fs);
    const d = await k.ok(P.FUSE_MKDIR, ROOT, mkdirIn(0o755), ['d']);
    const dNode = nodeidOf(d);
    const dIno = Number(P.getU64(d.view, 40));
    assert.equal(nodeidOf(await k.ok(P.FUSE_LOOKUP, ROOT, undefined, ['d'])), dNode);
    assert.equal(nodeidOf(await k.ok(P.FUSE_LOOKUP, ROOT, undefined, ['d'])), dNode);
    assert.equal(k.session.nodes.get(dNode)!.nlookup, 3);
    const f = await k.ok(P.FUSE_CREATE, dNode, createIn(0o101, 0o100644), ['f']);
    const fNode = nodeidOf(f);
    assert.notEqual(fNode, dNode);
    assert.equal(await k.call(P.FUSE_FORGET, dNode, forgetIn(2)), undefined, 'FORGET gets no reply');
    assert.equal(fs.forgotten.get(dIno), 2);
    assert.equal(k.session.nodes.get(dNode)!.nlookup, 1);
    const batch = struct(8 + 32, (v) => {
      v.setUint32(0, 2, true);
      P.setU64(v, 8, dNode);
      P.setU64(v, 16, 1);
      P.setU64(v, 24, fNode);
      P.setU64(v, 32, 1);
    });
    await k.call(P.FUSE_BATCH_FORGET, 0, batch);
    assert.equal(fs.forgotten.get(dIno), 3);
    assert.equal(k.session.nodes.get(dNode), undefined);
    assert.equal(k.session.nodes.size, 1);
    // A forgotten nodeid is stale; a forget of the root or of an unknown node changes nothing.
    assert.equal((await k.call(P.FUSE_GETATTR, dNode, new Uint8Array(16)))!.error, errno('ESTALE'));
    await k.call(P.FUSE_FORGET, ROOT, forgetIn(5));
    await k.call(P.FUSE_FORGET, 12345, forgetIn(5));
    assert.equal((await k.ok(P.FUSE_GETATTR, ROOT, new Uint8Array(16))).error, 0);
  });

  test("export lookups of '.' and '..' (EXPORT_SUPPORT) answer the node and its parent without counting on the driver", async () => {
    const fs = countingMemfs();
    const k = await ready(fs);
    const a = nodeidOf(await k.ok(P.FUSE_MKDIR, ROOT, mkdirIn(0o755), ['a']));
    const b = nodeidOf(await k.ok(P.FUSE_MKDIR, a, mkdirIn(0o755), ['b']));
    assert.equal(nodeidOf(await k.ok(P.FUSE_LOOKUP, b, undefined, ['.'])), b);
    assert.equal(nodeidOf(await k.ok(P.FUSE_LOOKUP, b, undefined, ['..'])), a);
    const bIno = k.session.nodes.get(b)!.ino;
    assert.equal(k.session.nodes.get(b)!.nlookup, 2);
    await k.call(P.FUSE_FORGET, b, forgetIn(2));
    assert.equal(fs.forgotten.get(bIno), 1, 'only the MKDIR was the driver\'s to forget');
  });

  test('a LOOKUP reply the kernel never took (interrupted) is not counted', async () => {
    const fs = countingMemfs();
    const k = await ready(fs);
    await k.ok(P.FUSE_MKDIR, ROOT, mkdirIn(0o755), ['d']);
    const node = k.session.nodes.ofIno((await fs.lookup(fs.rootIno, 'd')).ino)!;
    fs.forget(node.ino, 1); // undo our own lookup
    const before = node.nlookup;
    const { bytes, unique } = k.request(P.FUSE_LOOKUP, ROOT, undefined, ['d']);
    k.dropUniques.add(unique);
    await k.session.handle(bytes);
    assert.equal(node.nlookup, before);
    assert.equal(fs.forgotten.get(node.ino), 2);
  });

  test('negative lookups are cached on immutable filesystems only (an entry with nodeid 0)', async () => {
    const ro = await ready(new ReadOnlyFileSystem(new MemFileSystem()));
    const r = await ro.ok(P.FUSE_LOOKUP, ROOT, undefined, ['missing']);
    assert.equal(nodeidOf(r), 0);
    assert.ok(P.getU64(r.view, 16) > 0, 'entry_valid');
    const rw = await ready(new MemFileSystem(), { cache: { negativeTimeout: 0 } });
    assert.equal((await rw.call(P.FUSE_LOOKUP, ROOT, undefined, ['missing']))!.error, errno('ENOENT'));
  });
});

describe('fuse session: directories', () => {
  async function withEntries(n: number): Promise<{ k: FakeKernel; fh: number }> {
    const k = await ready();
    for (let i = 0; i < n; i++) await k.ok(P.FUSE_MKNOD, ROOT, struct(16, (v) => v.setUint32(0, 0o100644, true)), [`file-${i}-${'x'.repeat(i % 40)}`]);
    const open = await k.ok(P.FUSE_OPENDIR, ROOT, new Uint8Array(8));
    return { k, fh: P.getU64(open.view, 0) };
  }

  test('READDIR in small buffers resumes at each entry\'s offset: every name exactly once', async () => {
    const { k, fh } = await withEntries(100);
    const names: string[] = [];
    let offset = 0;
    for (let calls = 0; calls < 1000; calls++) {
      const r = await k.ok(P.FUSE_READDIR, ROOT, readIn(fh, offset, 200));
      const ents = parseDirents(r.body, false);
      if (ents.length === 0) break;
      assert.ok(r.body.length <= 200);
      names.push(...ents.map((e) => e.name));
      offset = ents[ents.length - 1]!.off;
    }
    assert.equal(names.length, 102);
    assert.deepEqual(names.slice(0, 2), ['.', '..']);
    assert.equal(new Set(names).size, 102);
  });

  test('READDIRPLUS sends . and .. with nodeid 0 (uncounted) and counts one lookup per other entry', async () => {
    const { k, fh } = await withEntries(30);
    const r = await k.ok(P.FUSE_READDIRPLUS, ROOT, readIn(fh, 0, 4096));
    const ents = parseDirents(r.body, true);
    assert.deepEqual(ents.slice(0, 2).map((e) => [e.name, e.nodeid]), [['.', 0], ['..', 0]]);
    for (const e of ents.slice(2)) {
      const node = k.session.nodes.get(e.nodeid!)!;
      assert.equal(node.ino, e.ino);
      assert.equal(node.nlookup, 2, 'mknod counted one, readdirplus one more');
    }
    assert.ok(ents.length > 2 && ents.length < 32, 'a 4 KiB buffer holds some, not all');
  });

  test('a bogus directory handle is EBADF; a file handle is not a directory handle', async () => {
    const { k } = await withEntries(1);
    assert.equal((await k.call(P.FUSE_READDIR, ROOT, readIn(999, 0, 4096)))!.error, errno('EBADF'));
    const f = await k.ok(P.FUSE_CREATE, ROOT, createIn(0o101, 0o100644), ['g']);
    const fileFh = P.getU64(f.view, P.FUSE_ENTRY_OUT_SIZE);
    assert.equal((await k.call(P.FUSE_READDIR, ROOT, readIn(fileFh, 0, 4096)))!.error, errno('EBADF'));
  });
});

describe('fuse session: files and errors', () => {
  test('CREATE, WRITE, READ, RELEASE round trip; GETXATTR size 0 gives the length, a short buffer ERANGE', async () => {
    const k = await ready();
    const c = await k.ok(P.FUSE_CREATE, ROOT, createIn(0o102, 0o100644), ['f']);
    const node = nodeidOf(c);
    const fh = P.getU64(c.view, P.FUSE_ENTRY_OUT_SIZE);
    const data = enc.encode('hello, fuse');
    const w = await k.ok(P.FUSE_WRITE, node, struct(P.fuse_write_in_size, (v) => {
      P.setU64(v, 0, fh);
      P.setU64(v, 8, 3);
      v.setUint32(16, data.length, true);
    }), [], data);
    assert.equal(w.view.getUint32(0, true), data.length);
    const r = await k.ok(P.FUSE_READ, node, readIn(fh, 0, 100));
    assert.deepEqual([...r.body], [0, 0, 0, ...data]);
    const value = enc.encode('v'.repeat(10));
    await k.ok(P.FUSE_SETXATTR, node, struct(8, (v) => v.setUint32(0, value.length, true)), ['user.x'], value);
    const len = await k.ok(P.FUSE_GETXATTR, node, struct(8, () => {}), ['user.x']);
    assert.equal(len.view.getUint32(0, true), 10);
    assert.equal((await k.call(P.FUSE_GETXATTR, node, struct(8, (v) => v.setUint32(0, 4, true)), ['user.x']))!.error, errno('ERANGE'));
    await k.ok(P.FUSE_RELEASE, node, struct(P.fuse_release_in_size, (v) => P.setU64(v, 0, fh)));
    assert.equal(k.session.handles.size, 0);
  });

  test('read-only mounts refuse every change with EROFS before the driver sees it', async () => {
    const k = await ready(new MemFileSystem(), { readOnly: true });
    for (const [op, s, names] of [
      [P.FUSE_MKDIR, mkdirIn(0o755), ['d']], [P.FUSE_CREATE, createIn(0o101, 0o644), ['f']], [P.FUSE_UNLINK, undefined, ['x']],
      [P.FUSE_SETATTR, new Uint8Array(88), []], [P.FUSE_SYMLINK, undefined, ['l', 't']],
    ] as Array<[number, Uint8Array | undefined, string[]]>) {
      assert.equal((await k.call(op, ROOT, s, names))!.error, errno('EROFS'), `opcode ${op}`);
    }
  });

  test('malformed requests: wrong length, short body, a name without NUL, a name over 255 bytes, bad UTF-8', async () => {
    const k = await ready();
    const { bytes } = k.request(P.FUSE_GETATTR, ROOT, new Uint8Array(16));
    new DataView(bytes.buffer).setUint32(0, 1000, true);
    await k.session.handle(bytes);
    assert.equal(k.replies.at(-1)!.error, errno('EINVAL'));
    assert.equal((await k.call(P.FUSE_READ, ROOT, new Uint8Array(8)))!.error, errno('EINVAL'));
    assert.equal((await k.call(P.FUSE_LOOKUP, ROOT, undefined, [], enc.encode('no-nul')))!.error, errno('EINVAL'));
    assert.equal((await k.call(P.FUSE_LOOKUP, ROOT, undefined, ['n'.repeat(256)]))!.error, errno('ENAMETOOLONG'));
    assert.equal((await k.call(P.FUSE_LOOKUP, ROOT, undefined, [], new Uint8Array([0xff, 0xfe, 0])))!.error, errno('EILSEQ'));
    await k.session.handle(new Uint8Array(10)); // shorter than a header: dropped, nothing to answer
  });

  test('replies go out in the order the driver finishes, each with its own unique', async () => {
    const fs = new MemFileSystem({ rootMode: 0o755 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: FileSystem = Object.create(fs, {
      getattr: { value: async (ino: Ino): Promise<Stat> => {
        if (ino !== fs.rootIno) await gate;
        return fs.getattr(ino);
      } },
    });
    const k = await ready(slow);
    const d = await k.ok(P.FUSE_MKDIR, ROOT, mkdirIn(0o755), ['d']);
    const first = k.request(P.FUSE_GETATTR, nodeidOf(d), new Uint8Array(16));
    const second = k.request(P.FUSE_GETATTR, ROOT, new Uint8Array(16));
    const p1 = k.session.handle(first.bytes);
    await k.session.handle(second.bytes);
    release();
    await p1;
    const order = k.replies.slice(-2).map((r) => r.unique);
    assert.deepEqual(order, [second.unique, first.unique]);
  });
});

describe('fuse session: attributes and zero-message opens', () => {
  test('times before 1970 go out as signed 64-bit seconds; st_blksize is a power of two; owners map for display', async () => {
    const fs = new MemFileSystem({ rootMode: 0o755 });
    const k = await ready(fs, { owners: { uid: 1234, gid: 99, umask: 0o077 } });
    const f = await k.ok(P.FUSE_CREATE, ROOT, createIn(0o101, 0o100644), ['old']);
    const ino = Number(P.getU64(f.view, 40));
    await fs.setattr(ino, { mtime: { sec: -86400 * 365, nsec: 5 } });
    const r = await k.ok(P.FUSE_GETATTR, nodeidOf(f), new Uint8Array(16));
    const attr = 16;
    assert.equal(P.getI64(r.view, attr + 32), -86400 * 365);
    assert.equal(r.view.getUint32(attr + 52, true), 5);
    assert.equal(r.view.getUint32(attr + 60, true), 0o100600, 'mode with umask 077');
    assert.equal(r.view.getUint32(attr + 68, true), 1234);
    assert.equal(r.view.getUint32(attr + 72, true), 99);
    const blksize = r.view.getUint32(attr + 80, true);
    assert.ok(blksize > 0 && (blksize & (blksize - 1)) === 0);
  });

  test('an immutable driver with no per-open state gets zero-message opens: OPEN is ENOSYS, READ with fh 0 reads by inode', async () => {
    const mem = new MemFileSystem({ rootMode: 0o755 });
    const c = await mem.create(mem.rootIno, 'f', 0o100644, 0o1, { uid: 0, gid: 0 });
    await mem.write(c.entry.ino, c.fh, enc.encode('no open needed'), 0);
    const ro = new ReadOnlyFileSystem(mem);
    // A driver like ext4 or squashfs: no open, release, opendir or releasedir.
    const bare: FileSystem = {
      name: 'bare', capabilities: ro.capabilities, rootIno: ro.rootIno,
      lookup: (d, n) => ro.lookup(d, n), getattr: (i) => ro.getattr(i), readlink: (i) => ro.readlink(i), statfs: () => ro.statfs(),
      read: (i, fh, b, p) => mem.read(i, fh, b, p), readdir: (i, fh, c, l) => ro.readdir(i, fh, c, l),
    };
    const k = new FakeKernel(bare);
    const init = await k.init(45, 0x73fffffb);
    assert.ok(init.view.getUint32(12, true) & P.FUSE_NO_OPEN_SUPPORT);
    assert.ok(init.view.getUint32(12, true) & P.FUSE_NO_OPENDIR_SUPPORT);
    const node = nodeidOf(await k.ok(P.FUSE_LOOKUP, ROOT, undefined, ['f']));
    assert.equal((await k.call(P.FUSE_OPEN, node, new Uint8Array(8)))!.error, errno('ENOSYS'));
    assert.equal(new TextDecoder().decode((await k.ok(P.FUSE_READ, node, readIn(0, 3, 100))).body), 'open needed');
    assert.equal((await k.call(P.FUSE_OPENDIR, ROOT, new Uint8Array(8)))!.error, errno('ENOSYS'));
    const names = parseDirents((await k.ok(P.FUSE_READDIR, ROOT, readIn(0, 0, 4096))).body, false).map((e) => e.name);
    assert.deepEqual(names, ['.', '..', 'f']);
  });
});

test('fuse session fuzz: mutated requests never throw and every reply is well formed', async () => {
  const rand = prng(7);
  const k = await ready();
  await k.ok(P.FUSE_MKDIR, ROOT, mkdirIn(0o755), ['d']);
  const c = await k.ok(P.FUSE_CREATE, ROOT, createIn(0o102, 0o100644), ['f']);
  const fh = P.getU64(c.view, P.FUSE_ENTRY_OUT_SIZE);
  const seeds = [
    k.request(P.FUSE_LOOKUP, ROOT, undefined, ['d']).bytes,
    k.request(P.FUSE_READ, nodeidOf(c), readIn(fh, 0, 4096)).bytes,
    k.request(P.FUSE_WRITE, nodeidOf(c), struct(40, (v) => { P.setU64(v, 0, fh); v.setUint32(16, 5, true); }), [], enc.encode('abcde')).bytes,
    k.request(P.FUSE_SETATTR, nodeidOf(c), struct(88, (v) => { v.setUint32(0, P.FATTR_SIZE, true); P.setU64(v, 16, 10); })).bytes,
    k.request(P.FUSE_RENAME2, ROOT, struct(16, (v) => P.setU64(v, 0, ROOT)), ['f', 'g']).bytes,
    k.request(P.FUSE_BATCH_FORGET, 0, struct(8, (v) => v.setUint32(0, 1000000, true))).bytes,
    k.request(P.FUSE_READDIRPLUS, ROOT, readIn(1, 0, 4096)).bytes,
  ];
  const start = Date.now();
  let cases = 0;
  for (; cases < 3000 && Date.now() - start < 3000; cases++) {
    const base = seeds[Math.floor(rand() * seeds.length)]!;
    const b = base.slice(0, rand() < 0.1 ? Math.floor(rand() * base.length) : base.length);
    for (let i = 0, n = 1 + Math.floor(rand() * 4); i < n; i++) {
      const at = rand() < 0.7 ? Math.floor(rand() * Math.min(b.length, 64)) : Math.floor(rand() * b.length);
      b[at] = rand() < 0.3 ? 0xff : Math.floor(rand() * 256);
    }
    // Keep the length field honest half the time, so bodies get decoded too.
    if (rand() < 0.5 && b.length >= 4) new DataView(b.buffer).setUint32(0, b.length, true);
    await k.session.handle(b); // FakeKernel.receive throws on a reply whose length is wrong
  }
  assert.ok(cases > 100);
  for (const r of k.replies) assert.ok(r.error <= 0 && r.error > -4096);
});

// POSIX behaviour through the mount, with the kernel as the oracle: seeded random operations on a FUSE-mounted memfs
// and on a tmpfs, result by result; and ordinary tools (tar, cp -a, mv, rm, ln, chmod, truncate) run on both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareTargets, randomOps } from '../conformance/differential.js';
import { HostTarget, encode } from '../conformance/setup/host-target.js';
import { canMount, mountTmpfs, unmount } from '../conformance/setup/linux.js';
import { needFuse, serveSpec, type FuseServer } from '../helpers/fuse.js';
import { checksums, listingNoDirSizes, sh } from './truth.js';

const skip = needFuse() ?? canMount();
const SEEDS = [1, 2, 3, 4, 5, 6];
const OPS = 400;
/** Both sides work six levels deep, so '..' means the same on both (see conformance/differential.test.ts). */
const DEEP = 'r/s/t/u/v/w';

async function memfsMount(): Promise<{ server: FuseServer; done: () => Promise<void> }> {
  const tmp = mkdtempSync(join(tmpdir(), 'anymount-fuse-posix-'));
  writeFileSync(join(tmp, 'spec.json'), encode({ kind: 'memfs', cases: [] }));
  const server = await serveSpec(join(tmp, 'spec.json'));
  return { server, done: async () => { await server.stop(); rmSync(tmp, { recursive: true, force: true }); } };
}

for (const seed of SEEDS) {
  test(`memfs through FUSE behaves like tmpfs: ${OPS} random operations, seed ${seed}`, { skip }, async () => {
    const root = mountTmpfs();
    const { server, done } = await memfsMount();
    try {
      process.umask(0o022);
      mkdirSync(join(root, DEEP), { recursive: true, mode: 0o755 });
      mkdirSync(join(server.mountpoint, DEEP), { recursive: true, mode: 0o755 });
      const truth = new HostTarget(join(root, DEEP), 'linux tmpfs');
      const ours = new HostTarget(join(server.mountpoint, DEEP), 'fuse memfs');
      const r = await compareTargets(truth, ours, randomOps(seed, OPS));
      console.log(`# seed ${seed}: ${r.ops} operations, errnos ${JSON.stringify(r.errors)}`);
      await truth.dispose();
      await ours.dispose();
    } finally {
      await done();
      unmount(root);
    }
  });
}

/** Tools on a tree with hard links, symlinks, a sparse file, modes and odd names. */
const SCRIPT = `
set -e
mkdir -p src/a/b src/c
printf 'hello\\n' > src/a/hello.txt
head -c 300000 /dev/zero | tr '\\0' 'x' > src/a/b/big.txt
ln src/a/hello.txt src/c/hard
ln -s ../a/hello.txt src/c/soft
truncate -s 1M src/sparse
printf 'end' >> src/sparse
printf 'odd\\n' > 'src/c/name with spaces é'
chmod 0640 src/a/hello.txt
chmod 1777 src/c
tar -cf t.tar src
mkdir x && tar -xpf t.tar -C x
cp -a src copy
mv copy/a copy/moved
ln -s nowhere copy/dangling
rm -r copy/c
cp -r x/src copy/again
(mkdir deep && cd deep && for i in 1 2 3 4 5 6; do mkdir d$i && cd d$i; done && printf 'deep' > f)
truncate -s 10 copy/moved/b/big.txt
chmod 0700 copy/moved
dd if=/dev/zero of=copy/moved/zeros bs=64k count=16 status=none
cat src/a/hello.txt >> copy/moved/hello.txt
rm t.tar
`;

test('tar, cp -a, mv, rm, ln, chmod, truncate and dd leave the same tree on the mount as on tmpfs', { skip }, async () => {
  const root = mountTmpfs();
  const { server, done } = await memfsMount();
  try {
    sh('sh', ['-c', SCRIPT], root);
    sh('sh', ['-c', SCRIPT], server.mountpoint);
    const fields = '%y %s %m %n %l';
    assert.deepEqual(listingNoDirSizes(server.mountpoint, fields), listingNoDirSizes(root, fields));
    assert.deepEqual(checksums(server.mountpoint), checksums(root));
  } finally {
    await done();
    unmount(root);
  }
});

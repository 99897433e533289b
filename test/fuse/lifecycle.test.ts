// Mount life cycle: killing the server leaves no hung shell and no mount (as root and as a user); unmount while a file
// is open is EBUSY unless lazy, like the kernel; the library API's `closed` resolves on unmount.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, closeSync, copyFileSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture } from '../helpers/fixtures.js';
import { isRoot, needTools } from '../helpers/tools.js';
import { isMounted, needFuse, runAs, serveAddress, testUser, type Creds } from '../helpers/fuse.js';
import { MemFileSystem } from '../../src/vfs/memfs/memfs.js';
import { mountFileSystem } from '../../src/node/fuse/mount.js';
import { unmountPath } from '../../src/node/fuse/unmount.js';
import { isFsError } from '../../src/errors.js';

const skip = needFuse() ?? needTools('mke2fs');

async function waitUnmounted(path: string, ms = 5000): Promise<boolean> {
  for (const start = Date.now(); Date.now() - start < ms; ) {
    if (!isMounted(path)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

async function killTest(as?: Creds): Promise<void> {
  const images = await fixture('fuse/images.sh');
  const dir = mkdtempSync(join(tmpdir(), 'anymount-fuse-kill-'));
  chmodSync(dir, 0o755);
  const image = join(dir, 'ext4.img');
  copyFileSync(join(images, 'ext4.img'), image);
  if (as) spawnSync('chown', ['-R', `${as.uid}:${as.gid}`, dir]);
  const m = await serveAddress(image, [], as);
  try {
    assert.equal(runAs(as, 'head', ['-n', '2', join(m.mountpoint, 'numbers.txt')]).stdout, '1\n2\n');
    m.child.kill('SIGKILL');
    await m.exited;
    assert.ok(await waitUnmounted(m.mountpoint), 'the watcher unmounts the dead server\'s mount');
    // A shell touching the path now gets an answer at once (the plain directory), not a hang.
    const ls = spawnSync('timeout', ['5', 'ls', '-a', m.mountpoint], { encoding: 'utf8' });
    assert.equal(ls.status, 0, ls.stderr);
  } finally {
    await m.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('killing the server (SIGKILL) as root: the mount goes away, nothing hangs', { skip: skip ?? (isRoot ? false : 'needs root') }, () => killTest());

test('killing the server (SIGKILL) as a user: the mount goes away, nothing hangs', { skip: skip ?? (testUser() ? false : 'needs root to create a test user') }, () => killTest(testUser()));

test('unmount with a file open is EBUSY; lazy unmount detaches and the open file still reads', { skip: skip ?? (isRoot ? false : 'needs root') }, async () => {
  const images = await fixture('fuse/images.sh');
  const m = await serveAddress(join(images, 'ext4.img'));
  try {
    const fd = openSync(join(m.mountpoint, 'numbers.txt'), 'r');
    await assert.rejects(unmountPath(m.mountpoint), (e: unknown) => isFsError(e, 'EBUSY'));
    assert.ok(isMounted(m.mountpoint));
    await unmountPath(m.mountpoint, { lazy: true });
    assert.ok(!isMounted(m.mountpoint));
    const buf = Buffer.alloc(6);
    assert.equal(readSync(fd, buf, 0, 6, 0), 6);
    assert.equal(buf.toString(), '1\n2\n3\n');
    // The server lives until the last user of the detached mount leaves.
    assert.equal(m.child.exitCode, null);
    closeSync(fd);
    assert.equal(await m.exited, 0, m.stderr());
  } finally {
    await m.stop();
  }
});

test('mountFileSystem in this process: closed resolves after unmount, and onClose runs', { skip }, async () => {
  const fs = new MemFileSystem({ rootMode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'anymount-fuse-api-'));
  let closedHook = false;
  try {
    const m = await mountFileSystem(fs, dir, { onClose: async () => { closedHook = true; }, readers: 2 });
    await fsp.writeFile(join(dir, 'a.txt'), 'through the kernel');
    assert.equal(await fsp.readFile(join(dir, 'a.txt'), 'utf8'), 'through the kernel');
    const st = await fsp.stat(join(dir, 'a.txt'));
    assert.equal(st.size, 18);
    await m.unmount();
    await m.closed;
    assert.ok(closedHook);
    assert.ok(!isMounted(dir));
    // Every lookup the kernel held was handed back on teardown.
    assert.equal(m.session.nodes.size, 1);
    assert.equal(m.session.handles.size, 0);
  } finally {
    if (isMounted(dir)) spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a process that exits (process.exit, uncaught exception) with the mount up exits at once and takes the mount along', { skip }, async () => {
  const mountJs = new URL('../../src/node/fuse/mount.js', import.meta.url).href;
  const memfsJs = new URL('../../src/vfs/memfs/memfs.js', import.meta.url).href;
  for (const how of ['process.exit(3)', "throw new Error('on purpose')"]) {
    const dir = mkdtempSync(join(tmpdir(), 'anymount-fuse-exit-'));
    const script = `
      import { mountFileSystem } from '${mountJs}';
      import { MemFileSystem } from '${memfsJs}';
      import { writeFile } from 'node:fs/promises';
      await mountFileSystem(new MemFileSystem(), '${dir}', { readers: 2 });
      await writeFile('${dir}/x', 'abc');
      ${how};`;
    const r = spawnSync('timeout', ['20', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, UV_THREADPOOL_SIZE: '8' } });
    assert.notEqual(r.status, 124, `${how}: the process hung at exit`);
    assert.ok(r.status === 3 || r.status === 1, `${how}: exit ${r.status} ${r.stderr}`);
    assert.ok(!isMounted(dir), `${how}: still mounted`);
    rmSync(dir, { recursive: true, force: true });
  }
});

// `anymount mount / list / unmount` as a user runs them: the real CLI in
// child processes, real FUSE mounts, checked with ordinary tools (find,
// stat, sha256sum, cat) against what the image holds (debugfs, mtools,
// qemu-img). Root runs everything; an unprivileged user (via setpriv) mounts
// through fusermount3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, open, readFile, rm, chmod, writeFile, readdir } from 'node:fs/promises';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fixture, repoRoot } from '../helpers/fixtures.js';
import { hasTool, needTools, run, isRoot, toolEnv } from '../helpers/tools.js';
import { isMounted } from '../helpers/fuse.js';

const cliPath = join(repoRoot, 'bin', 'anymount.js');
const skip = needTools('fusermount3', 'mke2fs', 'mkfs.fat', 'qemu-img') ?? (hasTool('fusermount3') && spawnSync('test', ['-c', '/dev/fuse']).status === 0 ? undefined : 'needs /dev/fuse');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in a child process (as `user` when given), with a private state dir. */
function anymount(stateDir: string, args: string[], user?: { uid: number; gid: number }): Run {
  const env = { ...toolEnv(), XDG_RUNTIME_DIR: stateDir };
  const cmd = user ? 'setpriv' : process.execPath;
  const argv = user ? [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', process.execPath, cliPath, ...args] : [cliPath, ...args];
  const r = spawnSync(cmd, argv, { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function scratch(): Promise<{ dir: string; state: string; mp: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'anymount-conductor-'));
  const state = join(dir, 'state');
  const mp = join(dir, 'mnt');
  await mkdir(state, { mode: 0o700 });
  await mkdir(mp);
  return {
    dir,
    state,
    mp,
    cleanup: async () => {
      if (isMounted(mp)) spawnSync('umount', ['-l', mp]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('mount, list, read through the mount, unmount', { skip }, async () => {
  const trees = await fixture('cli/trees.sh');
  const s = await scratch();
  try {
    const img = join(trees, 'ext4.img');
    const m = anymount(s.state, ['mount', img, s.mp]);
    assert.equal(m.code, 0, m.stderr);
    assert.equal(m.stdout, '', 'quiet on success');
    assert.ok(isMounted(s.mp));

    const list = JSON.parse(anymount(s.state, ['list', '--json']).stdout) as Array<{ mountpoint: string; type: string; rw: boolean; pid: number }>;
    assert.equal(list.length, 1);
    assert.equal(list[0]!.mountpoint, s.mp);
    assert.equal(list[0]!.type, 'ext4');
    assert.equal(list[0]!.rw, false);

    // What ordinary tools see through the mount is what debugfs dumps from the image.
    for (const p of ['/big/random.bin', '/docs/hello.txt', '/docs/héllo wörld ✓']) {
      const dumped = join(s.dir, 'dumped');
      await run('debugfs', ['-R', `dump "${p}" ${dumped}`, img]);
      assert.equal(sha(await readFile(join(s.mp, p))), sha(await readFile(dumped)), p);
    }
    const files = (await run('find', [s.mp, '-type', 'f'])).split('\n').filter(Boolean).length;
    assert.ok(files > 600, `find sees ${files} files`);
    assert.equal(spawnSync('touch', [join(s.mp, 'new')]).status !== 0, true, 'read-only mount refuses writes');

    const u = anymount(s.state, ['unmount', s.mp]);
    assert.equal(u.code, 0, u.stderr);
    assert.ok(!isMounted(s.mp));
    assert.deepEqual(JSON.parse(anymount(s.state, ['list', '--json']).stdout), []);
  } finally {
    await s.cleanup();
  }
});

test('a failed mount leaves nothing behind: no mount, no record, no process', { skip }, async () => {
  const s = await scratch();
  try {
    const bad = join(s.dir, 'not-an-image');
    await writeFile(bad, 'just text, no filesystem here\n'.repeat(100));
    for (const args of [
      ['mount', join(s.dir, 'missing.img'), s.mp],
      ['mount', bad, s.mp],
      ['mount', join(repoRoot, 'samples', 'disk.qcow2'), join(s.dir, 'no-such-dir')],
      ['mount', join(repoRoot, 'samples', 'disk.qcow2'), s.mp], // partitioned: must name a partition
    ]) {
      const r = anymount(s.state, args);
      assert.equal(r.code, 1, `${args.join(' ')} fails`);
      assert.match(r.stderr, /^anymount: .+\((E[A-Z]+): /m);
      assert.ok(!isMounted(s.mp));
    }
    assert.deepEqual(JSON.parse(anymount(s.state, ['list', '--json']).stdout), []);
    const leftover = spawnSync('pgrep', ['-f', `${cliPath} mount --foreground.*${s.mp}`]).stdout?.toString().trim();
    assert.equal(leftover, '', 'no orphan mount process');
  } finally {
    await s.cleanup();
  }
});

test('killing the mount process tears the mount down; list cleans the record', { skip }, async () => {
  const trees = await fixture('cli/trees.sh');
  const s = await scratch();
  try {
    assert.equal(anymount(s.state, ['mount', join(trees, 'ext4.img'), s.mp]).code, 0);
    const [rec] = JSON.parse(anymount(s.state, ['list', '--json']).stdout) as Array<{ pid: number }>;
    process.kill(rec!.pid, 'SIGKILL');
    await waitFor(() => !isMounted(s.mp), 10_000, 'the dead mount to go away');
    // No hung shell: the directory answers at once.
    const t0 = Date.now();
    spawnSync('ls', [s.mp], { timeout: 5000 });
    assert.ok(Date.now() - t0 < 5000);
    const list = anymount(s.state, ['list', '--json']);
    assert.deepEqual(JSON.parse(list.stdout), []);
  } finally {
    await s.cleanup();
  }
});

test('unmount of a busy mount is EBUSY unless --lazy; SIGTERM unmounts cleanly', { skip }, async () => {
  const trees = await fixture('cli/trees.sh');
  const s = await scratch();
  try {
    assert.equal(anymount(s.state, ['mount', join(trees, 'ext4.img'), s.mp]).code, 0);
    const fh = await open(join(s.mp, 'docs/hello.txt'), 'r');
    try {
      const busy = anymount(s.state, ['unmount', s.mp]);
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, /EBUSY/);
      assert.ok(isMounted(s.mp));
      const lazy = anymount(s.state, ['unmount', '--lazy', s.mp]);
      assert.equal(lazy.code, 0, lazy.stderr);
      assert.ok(!isMounted(s.mp), 'detached from the namespace at once');
    } finally {
      await fh.close();
    }
    // Again, ended by a signal to the mount process this time.
    assert.equal(anymount(s.state, ['mount', join(trees, 'ext4.img'), s.mp]).code, 0);
    const [rec] = JSON.parse(anymount(s.state, ['list', '--json']).stdout) as Array<{ pid: number }>;
    process.kill(rec!.pid, 'SIGTERM');
    await waitFor(() => !isMounted(s.mp), 10_000, 'SIGTERM to unmount');
    assert.deepEqual(JSON.parse(anymount(s.state, ['list', '--json']).stdout), []);
  } finally {
    await s.cleanup();
  }
});

test('--rw: refused with an overlay hint for read-only drivers; --overlay memory and --overlay FILE.qcow2 keep the image unchanged', { skip: skip ?? needTools('fsck.fat', 'mtype') }, async () => {
  const trees = await fixture('cli/trees.sh');
  const s = await scratch();
  try {
    const ext4 = join(trees, 'ext4.img');
    const refused = anymount(s.state, ['mount', '--rw', ext4, s.mp]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /read-only.*--overlay memory/);

    const before = sha(await readFile(ext4));
    assert.equal(anymount(s.state, ['mount', '--rw', '--overlay', 'memory', ext4, s.mp]).code, 0);
    await writeFile(join(s.mp, 'docs/hello.txt'), 'changed in memory\n');
    assert.equal(await readFile(join(s.mp, 'docs/hello.txt'), 'utf8'), 'changed in memory\n');
    // The memory layer is sized like a default tmpfs: half of RAM, as df sees it through the kernel.
    const df = spawnSync('df', ['-B1', '--output=size', s.mp], { encoding: 'utf8' });
    assert.equal(df.status, 0, df.stderr);
    const size = Number(df.stdout.trim().split('\n').pop());
    assert.ok(Math.abs(size - totalmem() / 2) <= 4096, `df size ${size}, half of RAM ${totalmem() / 2}`);
    assert.equal(anymount(s.state, ['unmount', s.mp]).code, 0);
    assert.equal(sha(await readFile(ext4)), before, 'ext4 image untouched');

    // FAT through a qcow2 overlay file: writes kept in the overlay, base untouched.
    const fat = join(s.dir, 'fat.img');
    await copyFile(join(trees, 'fat.img'), fat);
    const fatBefore = sha(await readFile(fat));
    const overlay = join(s.dir, 'changes.qcow2');
    const m = anymount(s.state, ['mount', '--rw', '--overlay', overlay, fat, s.mp]);
    assert.equal(m.code, 0, m.stderr);
    await writeFile(join(s.mp, 'FROMFUSE.TXT'), 'through the overlay\n');
    await mkdir(join(s.mp, 'NEWDIR'));
    assert.equal(anymount(s.state, ['unmount', s.mp]).code, 0);
    assert.equal(sha(await readFile(fat)), fatBefore, 'FAT base untouched');
    await run('qemu-img', ['check', overlay]);
    const raw = join(s.dir, 'merged.raw');
    await run('qemu-img', ['convert', '-O', 'raw', overlay, raw]);
    await run('fsck.fat', ['-n', raw]);
    assert.equal(await run('mtype', ['-i', raw, '::/FROMFUSE.TXT']), 'through the overlay\n');
  } finally {
    await s.cleanup();
  }
});

test('an unprivileged user mounts and unmounts through fusermount3', { skip: skip ?? (isRoot ? needTools('setpriv') : 'needs root to become another user') }, async () => {
  const trees = await fixture('cli/trees.sh');
  const s = await scratch();
  const user = { uid: 65534, gid: 65534 };
  try {
    const img = join(s.dir, 'user.img');
    await copyFile(join(trees, 'ext4.img'), img);
    await chmod(s.dir, 0o755);
    for (const p of [img, s.mp, s.state]) await run('chown', [`${user.uid}:${user.gid}`, p]);
    const m = anymount(s.state, ['mount', img, s.mp], user);
    assert.equal(m.code, 0, m.stderr);
    assert.ok(isMounted(s.mp));
    const seen = spawnSync('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', 'cat', join(s.mp, 'docs/deep/er/still/file.txt')], { encoding: 'utf8' });
    assert.equal(seen.stdout, 'deep\n', seen.stderr);
    const list = JSON.parse(anymount(s.state, ['list', '--json'], user).stdout) as unknown[];
    assert.equal(list.length, 1);
    const u = anymount(s.state, ['unmount', s.mp], user);
    assert.equal(u.code, 0, u.stderr);
    assert.ok(!isMounted(s.mp));
    assert.deepEqual(await readdir(s.mp), []);
  } finally {
    await s.cleanup();
  }
});

// `anymount overlay create` and writing through the overlay: the base stays
// byte-identical, qemu-img check is clean, and what was written is what
// fsck.fat and mtools read back from the converted image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { repoRoot } from '../helpers/fixtures.js';
import { needTools, run } from '../helpers/tools.js';

const skip = needTools('qemu-img', 'fsck.fat', 'mtype', 'sfdisk');
const sample = join(repoRoot, 'samples', 'disk.qcow2');

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) => new Writable({ write: (c, _e, cb) => (add(c.toString()), cb()) });
  const code = await main(argv, { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) });
  return { code, stdout, stderr };
}

const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');

test('overlay create, then write into a partition of the overlay without touching the base', { skip }, async () => {
  const work = await mkdtemp(join(tmpdir(), 'anymount-overlay-'));
  try {
    const overlay = join(work, 'scratch.qcow2');
    const before = await sha(sample);
    const made = await cli('overlay', 'create', '--json', sample, overlay);
    assert.equal(made.code, 0, made.stderr);
    const info = JSON.parse(await run('qemu-img', ['info', '--output=json', overlay])) as { 'backing-filename': string; 'backing-filename-format': string; 'virtual-size': number };
    assert.equal(info['backing-filename-format'], 'qcow2');
    assert.equal(info['virtual-size'], JSON.parse(await run('qemu-img', ['info', '--output=json', sample]))['virtual-size']);

    const note = join(work, 'note.txt');
    await writeFile(note, 'written through a qcow2 overlay\n'.repeat(5000));
    const cp = await cli('cp', '--rw', note, `${overlay}:p1:/EFI/NOTE.TXT`);
    assert.equal(cp.code, 0, cp.stderr);
    const mk = await cli('mkdir', '--rw', `${overlay}:p1:/NEWDIR`);
    assert.equal(mk.code, 0, mk.stderr);

    assert.equal(await sha(sample), before, 'the base is untouched');
    await run('qemu-img', ['check', overlay]);
    const raw = join(work, 'scratch.raw');
    await run('qemu-img', ['convert', '-O', 'raw', overlay, raw]);
    const [p1] = (JSON.parse(await run('sfdisk', ['--json', raw])) as { partitiontable: { partitions: Array<{ start: number; size: number }> } }).partitiontable.partitions;
    const part = join(work, 'p1.raw');
    await run('dd', [`if=${raw}`, `of=${part}`, 'bs=512', `skip=${p1!.start}`, `count=${p1!.size}`, 'status=none']);
    await run('fsck.fat', ['-n', part]);
    assert.equal(await run('mtype', ['-i', part, '::/EFI/NOTE.TXT']), await readFile(note, 'utf8'));
    assert.match(await run('mdir', ['-i', part, '-b', '::/']), /NEWDIR/);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('overlay create refuses to overwrite, replaces with --force, and leaves nothing behind on failure', { skip }, async () => {
  const work = await mkdtemp(join(tmpdir(), 'anymount-overlay-'));
  try {
    const overlay = join(work, 'o.qcow2');
    assert.equal((await cli('overlay', 'create', sample, overlay)).code, 0);
    const again = await cli('overlay', 'create', sample, overlay);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /EEXIST/);
    assert.equal((await cli('overlay', 'create', '--force', sample, overlay)).code, 0);
    const missing = join(work, 'nothing.qcow2');
    const failed = await cli('overlay', 'create', join(work, 'no-such-base.img'), missing);
    assert.equal(failed.code, 1);
    await assert.rejects(stat(missing), { code: 'ENOENT' });
    assert.equal((await cli('overlay', 'create', sample)).code, 2);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

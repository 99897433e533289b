/**
 * Metadata and small files through FUSE mounts, side by side: ours against
 * the kernel's ext4 (loop device) and fuse2fs, on one ext4 image holding a
 * 3,000-entry directory and a 50,000-entry tree. `ls -l` of the big
 * directory, `find | wc -l` of the tree, `tar -c` of the tree (contents
 * read, piped so tar cannot skip /dev/null), and untar of a 5,000-file
 * source tree into a writable mount (ours: an overlay with a memfs upper
 * over the image; fuse2fs and the kernel: a writable copy of the image).
 * Every round mounts afresh (cold caches in the mount, warm image file).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveAddress, serveSpec, type FuseServer } from '../test/helpers/fuse.js';
import { encode } from '../test/conformance/setup/host-target.js';
import { benchDir, median, report } from './harness.js';

const ROUNDS = 3;

function sh(cmd: string, args: string[], cwd?: string): void {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
  console.log('fuse-metadata: skipped (needs root)');
  process.exit(0);
}

const dir = await benchDir('fuse');
const img = join(dir, 'meta-ext4.img');
const tarball = join(dir, 'source.tar');
if (!existsSync(img)) {
  const src = mkdtempSync(join(tmpdir(), 'anymount-fuse-meta-'));
  // 3,000 entries in one directory; 50 directories of 1,000 small files; a 5,000-file "source tree" for untar.
  sh('python3', ['-c', `
import os, sys
root = sys.argv[1]
os.makedirs(f'{root}/big3000')
for i in range(3000):
    open(f'{root}/big3000/entry-{i:05d}.txt', 'w').write('x' * (i % 200))
for d in range(50):
    p = f'{root}/tree/d{d:02d}'
    os.makedirs(p)
    for i in range(1000):
        open(f'{p}/f{i:04d}.c', 'w').write('int x%d;\\n' % i * (1 + i % 20))
for d in range(100):
    p = f'{root}/source/pkg{d:03d}/src'
    os.makedirs(p)
    for i in range(50):
        open(f'{p}/m{i:02d}.ts', 'w').write('export const v = %d;\\n' % i * (1 + i % 40))
`, src]);
  sh('tar', ['-cf', tarball, '-C', src, 'source']);
  sh('mke2fs', ['-q', '-t', 'ext4', '-N', '80000', '-d', src, `${img}.tmp`, '400M']);
  renameSync(`${img}.tmp`, img);
  rmSync(src, { recursive: true, force: true });
}

const mnt = mkdtempSync(join(tmpdir(), 'anymount-fuse-meta-mnt-'));
const time = (cmd: string, cwd: string): number => {
  const t0 = process.hrtime.bigint();
  sh('sh', ['-c', cmd], cwd);
  return Number(process.hrtime.bigint() - t0) / 1e9;
};

const WORKLOADS: Record<string, string> = {
  'ls -l (3,000 entries)': 'ls -l big3000 > /dev/null',
  'find | wc -l (50,000 entries)': 'find tree | wc -l > /dev/null',
  'tar -c (50,000 small files)': 'tar -cf - tree | cat > /dev/null',
};

async function withOurs(fn: (root: string) => number): Promise<number> {
  const m = await serveAddress(img);
  try {
    return fn(m.mountpoint);
  } finally {
    await m.stop();
  }
}
function withKernel(image: string, ro: boolean, fn: (root: string) => number): number {
  sh('mount', ['-o', `loop${ro ? ',ro' : ''}`, image, mnt]);
  try {
    return fn(mnt);
  } finally {
    sh('umount', [mnt]);
  }
}
function withFuse2fs(image: string, ro: boolean, fn: (root: string) => number): number {
  sh('fuse2fs', ['-o', `${ro ? 'ro,' : ''}fakeroot`, image, mnt]);
  try {
    return fn(mnt);
  } finally {
    sh('umount', [mnt]);
  }
}

sh('sh', ['-c', `cat '${img}' > /dev/null`]);
const t: Record<string, number[]> = {};
const add = (k: string, v: number): void => void (t[k] ??= []).push(v);
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, cmd] of Object.entries(WORKLOADS)) {
    add(`${name} ours`, await withOurs((root) => time(cmd, root)));
    add(`${name} kernel`, withKernel(img, true, (root) => time(cmd, root)));
    add(`${name} fuse2fs`, withFuse2fs(img, true, (root) => time(cmd, root)));
  }
  // Untar into a writable mount.
  const specFile = join(dir, 'overlay-spec.json');
  writeFileSync(specFile, encode({ kind: 'overlay-image', address: img }));
  const m: FuseServer = await serveSpec(specFile);
  try {
    add('untar ours', time(`tar -xf '${tarball}' -C new 2>/dev/null || (mkdir new && tar -xf '${tarball}' -C new)`, m.mountpoint));
  } finally {
    await m.stop();
  }
  const copy = join(dir, 'meta-rw.img');
  copyFileSync(img, copy);
  add('untar kernel', withKernel(copy, false, (root) => time(`mkdir new && tar -xf '${tarball}' -C new && sync -f .`, root)));
  copyFileSync(img, copy);
  add('untar fuse2fs', withFuse2fs(copy, false, (root) => time(`mkdir new && tar -xf '${tarball}' -C new`, root)));
  rmSync(copy, { force: true });
}
rmdirSync(mnt);
const m = (k: string): number => median(t[k] ?? [NaN]);
const s = (x: number): string => `${x.toFixed(3)} s`;
for (const name of [...Object.keys(WORKLOADS), 'untar']) {
  console.log(`${name}: ours ${s(m(`${name} ours`))}, kernel ${s(m(`${name} kernel`))}, fuse2fs ${s(m(`${name} fuse2fs`))} (medians of ${ROUNDS})`);
  report(`fuse ${name} vs fuse2fs`, s(m(`${name} ours`)), s(m(`${name} fuse2fs`)), m(`${name} fuse2fs`) / m(`${name} ours`));
  report(`fuse ${name} vs kernel`, s(m(`${name} ours`)), s(m(`${name} kernel`)), m(`${name} kernel`) / m(`${name} ours`));
}

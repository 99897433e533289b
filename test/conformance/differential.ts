/**
 * Differential testing: one seeded random sequence of operations on short
 * paths (with '.', '..', symlinks, trailing slashes), applied to two
 * targets — the Linux kernel and ours — comparing every result (value or
 * errno) and, at the end, the whole tree. It finds what hand-written cases
 * miss, with the kernel as the oracle.
 */
import assert from 'node:assert/strict';
import { prng } from '../helpers/fuzz.js';
import { O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../../src/fs/flags.js';
import { RENAME_EXCHANGE, RENAME_NOREPLACE } from '../../src/fs/filesystem.js';
import type { Target, TStat } from './target.js';

const NAMES = ['a', 'b', 'c', 'd'];
const ODD = ['.', '..', 'a/', 'b//', 'l', 'm'];

type Op = { what: string; run: (t: Target) => Promise<unknown> };

export function randomOps(seed: number, count: number): Op[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const path = (): string => {
    const depth = 1 + Math.floor(rand() * 3);
    const parts: string[] = [];
    for (let i = 0; i < depth; i++) parts.push(rand() < 0.12 ? pick(ODD) : pick(NAMES));
    let p = parts.join('/');
    if (rand() < 0.05) p += '/';
    return p.replace(/\/{2,}$/, '/');
  };
  const data = (): string => 'x'.repeat(Math.floor(rand() * 5000)) + String(Math.floor(rand() * 1000));
  const ops: Op[] = [];
  for (let i = 0; i < count; i++) {
    const r = rand();
    const p = path();
    const q = path();
    if (r < 0.14) {
      const flags = pick([O_CREAT | O_WRONLY, O_CREAT | O_EXCL | O_WRONLY, O_WRONLY | O_TRUNC, O_RDWR | O_APPEND, O_CREAT | O_WRONLY | O_NOFOLLOW, O_RDONLY | O_DIRECTORY]);
      const d = data();
      ops.push({
        what: `write ${p} flags 0${flags.toString(8)} ${d.length} bytes`,
        run: async (t) => {
          const fd = await t.open(p, flags, 0o644);
          try {
            if (!(flags & O_DIRECTORY)) return await t.write(fd, d);
          } finally {
            await t.close(fd);
          }
        },
      });
    } else if (r < 0.24) ops.push({ what: `mkdir ${p}`, run: (t) => t.mkdir(p, 0o755) });
    else if (r < 0.3) ops.push({ what: `rmdir ${p}`, run: (t) => t.rmdir(p) });
    else if (r < 0.38) ops.push({ what: `unlink ${p}`, run: (t) => t.unlink(p) });
    else if (r < 0.48) {
      const flags = pick([0, 0, 0, RENAME_NOREPLACE, RENAME_EXCHANGE]);
      ops.push({ what: `rename ${p} ${q} ${flags}`, run: (t) => t.rename(p, q, flags) });
    } else if (r < 0.53) ops.push({ what: `link ${p} ${q}`, run: (t) => t.link(p, q) });
    else if (r < 0.59) {
      const target = pick([...NAMES, 'a/b', '../a', '.', 'nowhere', 'l']);
      ops.push({ what: `symlink ${target} ${p}`, run: (t) => t.symlink(target, p) });
    } else if (r < 0.64) {
      const len = Math.floor(rand() * 9000);
      ops.push({ what: `truncate ${p} ${len}`, run: (t) => t.truncate(p, len) });
    } else if (r < 0.68) {
      const mode = pick([0o644, 0o600, 0o755, 0o4755, 0o1777]);
      ops.push({ what: `chmod ${p} 0${mode.toString(8)}`, run: (t) => t.chmod(p, mode) });
    } else if (r < 0.78) ops.push({ what: `stat ${p}`, run: async (t) => summary(await t.stat(p)) });
    else if (r < 0.84) ops.push({ what: `lstat ${p}`, run: async (t) => summary(await t.lstat(p)) });
    else if (r < 0.89) ops.push({ what: `readdir ${p}`, run: (t) => t.readdir(p) });
    else if (r < 0.92) ops.push({ what: `readlink ${p}`, run: (t) => t.readlink(p) });
    else if (r < 0.95) ops.push({ what: `read ${p}`, run: (t) => readText(t, p) });
    else if (r < 0.97) ops.push({ what: `utimens ${p}`, run: (t) => t.utimens(p, 1_000_000_000_000_000_123n, 1_100_000_000_000_000_456n) });
    // Outside the working directory the two sides' paths differ above DEEP: compare from 'r/' on.
    else ops.push({ what: `realpath ${p}`, run: async (t) => (await t.realpath(p)).replace(/^.*?\/r\//, 'r/') });
  }
  return ops;
}

function summary(s: TStat): string {
  return `mode=${s.mode.toString(8)} size=${s.mode & 0o040000 ? '-' : s.size} nlink=${s.mode & 0o040000 ? '-' : s.nlink}`;
}

async function readText(t: Target, p: string): Promise<string> {
  const fd = await t.open(p, O_RDONLY);
  try {
    const b = await t.read(fd, 20000, 0);
    return `${b.length} bytes`;
  } finally {
    await t.close(fd);
  }
}

async function outcome(t: Target, op: Op): Promise<string> {
  try {
    const v = await op.run(t);
    return `ok ${v === undefined ? '' : JSON.stringify(v)}`;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (!code || code.startsWith('ERR_')) throw e;
    return `error ${code}`;
  }
}

/** The whole tree: every path with type, mode, size, link count, symlink target (and, if asked, owner, mtime, content and user xattrs). */
export async function snapshot(t: Target, dir = '.', out: string[] = [], full = false): Promise<string[]> {
  for (const name of await t.readdir(dir)) {
    const p = dir === '.' ? name : `${dir}/${name}`;
    const s = await t.lstat(p);
    let extra = '';
    const type = s.mode & 0o170000;
    if (type === 0o120000) extra = ` -> ${await t.readlink(p)}`;
    if (full) {
      extra += ` owner=${s.uid}:${s.gid}`;
      if (type !== 0o040000) extra += ` mtime=${s.mtimeNs}`;
      if (type === 0o100000) extra += ` data=${hash(await readBytes(t, p))}`;
      if (type === 0o100000 || type === 0o040000) {
        const xs = (await t.listxattr(p)).filter((x) => x.startsWith('user.'));
        for (const x of xs) extra += ` ${x}=${new TextDecoder().decode(await t.getxattr(p, x))}`;
      }
    }
    out.push(`${p} ${summary(s)}${extra}`);
    if (type === 0o040000) await snapshot(t, p, out, full);
  }
  return out;
}

async function readBytes(t: Target, p: string): Promise<Uint8Array> {
  const fd = await t.open(p, O_RDONLY);
  try {
    const parts: number[] = [];
    for (let pos = 0; ; ) {
      const b = await t.read(fd, 1 << 20, pos);
      if (b.length === 0) break;
      parts.push(...b);
      pos += b.length;
    }
    return new Uint8Array(parts);
  } finally {
    await t.close(fd);
  }
}

function hash(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const x of b) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  return `${b.length}:${h.toString(16)}`;
}

/** Applies the same operations to both targets and fails at the first difference. */
export async function compareTargets(truth: Target, ours: Target, ops: Op[]): Promise<{ ops: number; errors: Record<string, number> }> {
  const errors: Record<string, number> = {};
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const want = await outcome(truth, op);
    const got = await outcome(ours, op);
    if (want !== got) {
      const tree = (await snapshot(truth)).join('\n');
      assert.fail(`op ${i} (${op.what}): ${truth.label} says "${want}", ${ours.label} says "${got}"\ntree before the mismatch (from ${truth.label}):\n${tree}`);
    }
    if (want.startsWith('error')) errors[want.slice(6)] = (errors[want.slice(6)] ?? 0) + 1;
  }
  assert.deepEqual(await snapshot(ours), await snapshot(truth), 'final trees differ');
  return { ops: ops.length, errors };
}

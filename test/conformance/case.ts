/**
 * Conformance cases: named tables, one file per operation (cases/*.ts),
 * each case a setup tree, an action and an expectation, and the features
 * it needs. A setup runs every case whose needs it has; the rest are
 * skipped with the missing feature named.
 */
import assert from 'node:assert/strict';
import { concatBytes } from '../../src/binary/reader.js';
import type { Target, TStat } from './target.js';
import type { TreeSpec } from './tree.js';

/**
 * What a case may need from a setup. Writable setups have 'write';
 * read-only ones 'readonly'. The rest follow driver capabilities and what
 * the setup can do (run as other users, look into an overlay's upper layer).
 */
export type Feature =
  | 'write'
  | 'readonly'
  | 'symlinks'
  | 'hardlinks'
  | 'permissions' // modes, owners stored and changeable
  | 'credentials' // the target can act as other users (Target.as) with permission checks
  | 'special-files' // mknod of FIFOs and sockets
  | 'devices' // mknod of device nodes
  | 'xattr-user'
  | 'xattr-trusted'
  | 'rename-noreplace'
  | 'rename-exchange'
  | 'sparse' // holes allocate nothing; st_blocks counts 4 KiB pages like tmpfs
  | 'ns-timestamps' // nanoseconds stored as given
  | 'tmpfs-sizes' // directory sizes like tmpfs (40 + 20 per entry)
  | 'stable-ino' // st_ino and st_nlink stay exact across every change (not overlay without index)
  | 'rename-dir' // directories of the starting tree can be renamed (not overlay without redirect_dir)
  | 'atime' // reads update atime (relatime)
  | 'overlay' // trees are built in a lower layer: overlay semantics apply
  | 'overlay-upper' // the case can look at the upper layer
  | 'overlay-metacopy' // chmod/chown/utimes copy up metadata only
  | 'overlay-index' // hard links stay linked across copy-up
  | 'overlay-no-redirect'; // renaming a lower directory is EXDEV

export interface CaseContext {
  /** The case's own directory, as root. */
  t: Target;
  /** The case's directory in the upper layer (setups with 'overlay-upper'). */
  upper?: Target;
}

export interface ConformanceCase {
  /** 'group: what happens' — unique across the suite. */
  name: string;
  group: string;
  needs: Feature[];
  tree?: TreeSpec;
  run(ctx: CaseContext): Promise<void>;
}

export interface CaseDef {
  needs?: Feature[];
  tree?: TreeSpec;
  run: (ctx: CaseContext) => Promise<unknown>;
}

/**
 * A group of cases for one operation. `defaults.needs` apply to every case
 * (most groups need 'write'); a case adds its own.
 */
export function group(name: string, defaults: { needs?: Feature[] }, cases: Record<string, CaseDef | ((ctx: CaseContext) => Promise<unknown>)>): ConformanceCase[] {
  return Object.entries(cases).map(([what, def]) => {
    const d: CaseDef = typeof def === 'function' ? { run: def } : def;
    return {
      name: `${name}: ${what}`,
      group: name,
      needs: [...new Set([...(defaults.needs ?? []), ...(d.needs ?? [])])],
      ...(d.tree ? { tree: d.tree } : {}),
      run: async (ctx) => {
        await d.run(ctx);
      },
    };
  });
}

/** One row of an errno table: what, the errno, the tree, the call, extra needs. */
export type ErrnoRow = [what: string, errno: string, tree: TreeSpec, call: (t: Target) => Promise<unknown>, needs?: Feature[]];

/** Errno cases in table form: each row is a case expecting that errno. */
export function errnoTable(rows: ErrnoRow[]): Record<string, CaseDef> {
  const out: Record<string, CaseDef> = {};
  for (const [what, errno, tree, call, needs] of rows) {
    out[`${errno} ${what}`] = { tree, needs: needs ?? [], run: ({ t }) => expectErrno(call(t), errno) };
  }
  return out;
}

export async function expectErrno(p: Promise<unknown>, code: string): Promise<void> {
  let result: unknown;
  try {
    result = await p;
  } catch (e) {
    const got = (e as { code?: string }).code;
    if (got === code) return;
    if (code === 'EOPNOTSUPP' && got === 'ENOTSUP') return;
    assert.fail(`expected ${code}, got ${got ?? 'a non-errno error'}: ${(e as Error).message}`);
  }
  assert.fail(`expected ${code}, but the call succeeded${result === undefined ? '' : ` (returned ${String(result)})`}`);
}

export async function exists(t: Target, path: string): Promise<boolean> {
  try {
    await t.lstat(path);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return false;
    throw e;
  }
}

export async function readAll(t: Target, path: string): Promise<string> {
  const fd = await t.open(path, 0);
  try {
    const parts: Uint8Array[] = [];
    for (let pos = 0; ; ) {
      const b = await t.read(fd, 65536, pos);
      if (b.length === 0) break;
      parts.push(b);
      pos += b.length;
    }
    return new TextDecoder().decode(concatBytes(parts));
  } finally {
    await t.close(fd);
  }
}

export async function writeAll(t: Target, path: string, content: string, flags = 0o1101): Promise<void> {
  const fd = await t.open(path, flags, 0o644);
  try {
    await t.write(fd, content);
  } finally {
    await t.close(fd);
  }
}


export const typeOf = (s: TStat): number => s.mode & 0o170000;
export const perms = (s: TStat): number => s.mode & 0o7777;

export { assert };

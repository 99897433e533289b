/**
 * Tree specs: the files a case starts from. Writable setups build them
 * through a Target before the case runs (in the lower layer when the setup
 * is an overlay, so the case exercises copy-up); read-only setups build
 * them into their image before it becomes read-only, so the same read-only
 * cases run against a known tree.
 */
import type { Target } from './target.js';

interface Owner {
  mode?: number;
  uid?: number;
  gid?: number;
  xattrs?: Record<string, string>;
  /** mtime (and atime) in ns since the epoch. */
  mtimeNs?: bigint;
}

export type TreeNode =
  | ({ type: 'file'; content: string | Uint8Array; size?: number } & Owner)
  | ({ type: 'dir'; children: TreeSpec } & Owner)
  | ({ type: 'symlink'; target: string } & Pick<Owner, 'uid' | 'gid'>)
  | { type: 'hardlink'; to: string }
  | ({ type: 'fifo' } & Owner)
  | ({ type: 'chardev'; rdev: number } & Owner);

export type TreeSpec = Record<string, TreeNode>;

export const file = (content: string | Uint8Array = '', opts: Owner & { size?: number } = {}): TreeNode => ({ type: 'file', content, ...opts });
export const dir = (children: TreeSpec = {}, opts: Owner = {}): TreeNode => ({ type: 'dir', children, ...opts });
export const symlink = (target: string, opts: Pick<Owner, 'uid' | 'gid'> = {}): TreeNode => ({ type: 'symlink', target, ...opts });
export const hardlink = (to: string): TreeNode => ({ type: 'hardlink', to });
export const fifo = (opts: Owner = {}): TreeNode => ({ type: 'fifo', ...opts });
export const chardev = (rdev: number, opts: Owner = {}): TreeNode => ({ type: 'chardev', rdev, ...opts });

/** What building a tree needs from the target's system. */
export function treeNeeds(spec: TreeSpec | undefined): Set<string> {
  const needs = new Set<string>();
  const walk = (s: TreeSpec): void => {
    for (const node of Object.values(s)) {
      if (node.type === 'symlink') needs.add('symlinks');
      if (node.type === 'hardlink') needs.add('hardlinks');
      if (node.type === 'fifo') needs.add('special-files');
      if (node.type === 'chardev') needs.add('devices');
      if ('xattrs' in node && node.xattrs) {
        for (const k of Object.keys(node.xattrs)) needs.add(k.startsWith('trusted.') ? 'xattr-trusted' : 'xattr-user');
      }
      if (('uid' in node && node.uid !== undefined) || ('gid' in node && node.gid !== undefined)) needs.add('permissions');
      if (node.type === 'dir') walk(node.children);
    }
  };
  if (spec) walk(spec);
  return needs;
}

/** Builds `spec` under `base` ('' for the target's own directory) through `t`, as root. */
export async function buildTree(t: Target, spec: TreeSpec, base = ''): Promise<void> {
  const later: Array<() => Promise<void>> = [];
  await buildLevel(t, spec, base, later);
  // Times last: creating children changes their directory's mtime.
  for (const fn of later.reverse()) await fn();
}

async function buildLevel(t: Target, spec: TreeSpec, base: string, later: Array<() => Promise<void>>): Promise<void> {
  for (const [name, node] of Object.entries(spec)) {
    const path = base ? `${base}/${name}` : name;
    switch (node.type) {
      case 'file': {
        const fd = await t.open(path, 0o101 | 0o1000, 0o644);
        if (typeof node.content === 'string' ? node.content.length : node.content.length) await t.write(fd, node.content, 0);
        await t.close(fd);
        if (node.size !== undefined) await t.truncate(path, node.size);
        break;
      }
      case 'dir':
        await t.mkdir(path, 0o755);
        await buildLevel(t, node.children, path, later);
        break;
      case 'symlink':
        await t.symlink(node.target, path);
        break;
      case 'hardlink':
        await t.link(base ? `${base}/${node.to}` : node.to, path);
        continue;
      case 'fifo':
        await t.mknod(path, 0o010644);
        break;
      case 'chardev':
        await t.mknod(path, 0o020644, node.rdev);
        break;
    }
    if (node.type === 'symlink') {
      if (node.uid !== undefined || node.gid !== undefined) await t.lchown(path, node.uid ?? -1, node.gid ?? -1);
      continue;
    }
    if (node.uid !== undefined || node.gid !== undefined) await t.chown(path, node.uid ?? -1, node.gid ?? -1);
    if (node.mode !== undefined) await t.chmod(path, node.mode);
    for (const [k, v] of Object.entries(node.xattrs ?? {})) await t.setxattr(path, k, v);
    if (node.mtimeNs !== undefined) {
      const m = node.mtimeNs;
      later.push(() => t.utimens(path, m, m));
    }
  }
}

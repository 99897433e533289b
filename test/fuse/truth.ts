/**
 * Listings of a directory tree made by ordinary tools (find, sha256sum,
 * du, df), so a FUSE mount and its truth (a kernel mount, or the tree
 * extracted by the format's own tool) compare line by line.
 */
import { spawnSync } from 'node:child_process';
import { toolEnv } from '../helpers/tools.js';

export function sh(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: toolEnv(), maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** `find -printf` with the given fields, sorted, one line per entry (the root itself left out). */
export function listing(dir: string, format: string): string[] {
  return sh('find', ['.', '-mindepth', '1', '-printf', `%P\t${format}\n`], dir).split('\n').filter(Boolean).sort();
}

/** Like `listing`, with the size (the first field) dropped for directories, whose sizes are the format's own. */
export function listingNoDirSizes(dir: string, format: string): string[] {
  return listing(dir, format).map((l) => (/\td \d+/.test(l) ? l.replace(/\td \d+/, '\td') : l));
}

/** sha256 of every regular file, by path; four at a time, so a FUSE server gets requests in parallel. */
export function checksums(dir: string): string[] {
  return sh('sh', ['-c', 'find . -type f -print0 | xargs -0 -r -P4 -n8 sha256sum'], dir).split('\n').filter(Boolean)
    .map((l) => `${l.slice(66)} ${l.slice(0, 64)}`).sort();
}

/** du in bytes of allocated space, and apparent size. */
export function du(dir: string): { blocks: string; apparent: string } {
  return {
    blocks: sh('du', ['-s', '--block-size=1', '.'], dir).split('\t')[0]!,
    apparent: sh('du', ['-s', '--apparent-size', '--block-size=1', '.'], dir).split('\t')[0]!,
  };
}

/** df's size, used and available (1K blocks) and inode counts. */
export function df(dir: string): string {
  return sh('df', ['--output=size,used,avail,itotal,iused', dir]).split('\n')[1]!.trim();
}

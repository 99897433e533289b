/**
 * What the real tools say about a squashfs image: `unsquashfs -pf` (a
 * pseudo-file listing of every inode: type, mtime in seconds, mode, uid,
 * gid, size or link target or device numbers, hardlinks), `unsquashfs -d`
 * plus sha256 and `getfattr` for contents and xattrs, `unsquashfs -s` for
 * the superblock, and the kernel's loop mount (inode numbers, nlink,
 * blocks, rdev) as a second opinion.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../helpers/tools.js';

export interface PseudoEntry {
  path: string;
  /** D R S L C B I */
  kind: string;
  mtime: number;
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  target?: string;
  /** For L: the path this is a hardlink of. */
  linkOf?: string;
  major?: number;
  minor?: number;
  /** For I: 'f' (fifo) or 's' (socket). */
  ipc?: string;
}

/** Splits one pseudo-file line: the name has backslash escapes, the rest is space-separated. */
function splitName(line: string): [string, string] {
  let name = '';
  let i = 0;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      name += line[++i];
      continue;
    }
    if (c === ' ') break;
    name += c;
  }
  return [name, line.slice(i + 1)];
}

export async function pseudoTruth(image: string): Promise<Map<string, PseudoEntry>> {
  const dir = await mkdtemp(join(tmpdir(), 'anymount-sqfs-pf-'));
  try {
    const file = join(dir, 'pf');
    await run('unsquashfs', ['-pf', file, image]);
    // File contents follow the listing after a marker; only the listing is text.
    const raw = await readFile(file);
    const marker = raw.indexOf('\n#\n# START OF DATA');
    const text = raw.subarray(0, marker < 0 ? raw.length : marker + 1).toString('utf8');
    const out = new Map<string, PseudoEntry>();
    for (const line of text.split('\n')) {
      if (!line) continue;
      const [rawName, rest] = splitName(line);
      const path = rawName === '/' ? '' : rawName;
      const f = rest.split(' ');
      const kind = f[0]!;
      if (kind === 'L') {
        out.set(path, { path, kind, mtime: 0, mode: 0, uid: 0, gid: 0, linkOf: splitName(rest.slice(2))[0] });
        continue;
      }
      const u32 = (s: string) => Number(s) >>> 0; // unsquashfs prints ids above 2^31 as negative
      const e: PseudoEntry = { path, kind, mtime: u32(f[1]!), mode: parseInt(f[2]!, 8), uid: u32(f[3]!), gid: u32(f[4]!) };
      if (kind === 'R') e.size = Number(f[5]);
      if (kind === 'S') e.target = f.slice(5).join(' ');
      if (kind === 'C' || kind === 'B') {
        e.major = Number(f[5]);
        e.minor = Number(f[6]);
      }
      if (kind === 'I') e.ipc = f[5]!;
      out.set(path, e);
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface ExtractedTruth {
  /** path → sha256 of regular files. */
  hashes: Map<string, string>;
  /** path → xattr name → hex value (only paths that have some). */
  xattrs: Map<string, Record<string, string>>;
}

/** `unsquashfs -d` into a temporary directory, then sha256 of every file and getfattr of every path. */
export async function extractTruth(image: string): Promise<ExtractedTruth> {
  const base = await mkdtemp(join(tmpdir(), 'anymount-sqfs-x-'));
  const dest = join(base, 'root');
  try {
    await run('unsquashfs', ['-q', '-n', '-d', dest, image]);
    const hashes = new Map<string, string>();
    const walkDir = async (rel: string) => {
      for (const e of await readdir(join(dest, rel), { withFileTypes: true })) {
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walkDir(p);
        else if (e.isFile()) hashes.set(p, createHash('sha256').update(await readFile(join(dest, p))).digest('hex'));
      }
    };
    await walkDir('');
    const xattrs = new Map<string, Record<string, string>>();
    const dump = await run('getfattr', ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', dest]);
    let current: Record<string, string> | undefined;
    for (const line of dump.split('\n')) {
      if (line.startsWith('# file: ')) {
        const p = unescapeOctal(line.slice(8)).slice(dest.length + 1);
        current = {};
        xattrs.set(p, current);
      } else if (line && current) {
        const eq = line.indexOf('=');
        const name = eq < 0 ? line : line.slice(0, eq);
        const value = eq < 0 ? '' : line.slice(eq + 1);
        current[name] = value.startsWith('0x') ? value.slice(2) : value === '""' || value === '' ? '' : Buffer.from(value).toString('hex');
      }
    }
    return { hashes, xattrs };
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

function unescapeOctal(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
      bytes.push(parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else bytes.push(...Buffer.from(s[i]!));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `unsquashfs -s`: the superblock facts it prints. */
export async function superblockTruth(image: string): Promise<{ blockSize: number; compression: string; inodes: number; fragments: number; ids: number; bytesUsed: number }> {
  const s = await run('unsquashfs', ['-s', image]);
  const num = (re: RegExp) => Number(re.exec(s)?.[1]);
  return {
    blockSize: num(/Block size (\d+)/),
    compression: /Compression (\w+)/.exec(s)?.[1] ?? '',
    inodes: num(/Number of inodes (\d+)/),
    fragments: num(/Number of fragments (\d+)/),
    ids: num(/Number of ids (\d+)/),
    bytesUsed: num(/Filesystem size (\d+) bytes/),
  };
}

export interface KernelEntry {
  ino: number;
  nlink: number;
  blocks: number;
  rdev: number;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  target?: string;
}

/** The kernel's view through a read-only loop mount (needs root and the kernel's squashfs with this compressor). */
export async function kernelTruth(image: string): Promise<Map<string, KernelEntry>> {
  const mnt = await mkdtemp(join(tmpdir(), 'anymount-sqfs-mnt-'));
  await run('mount', ['-t', 'squashfs', '-o', 'loop,ro', image, mnt]);
  try {
    const out = new Map<string, KernelEntry>();
    const visit = async (rel: string) => {
      const full = rel ? join(mnt, rel) : mnt;
      const st = await lstat(full, { bigint: false });
      const e: KernelEntry = {
        ino: st.ino, nlink: st.nlink, blocks: st.blocks, rdev: st.rdev, size: st.size, mode: st.mode, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000),
      };
      if (st.isSymbolicLink()) e.target = await readlink(full);
      out.set(rel, e);
      if (st.isDirectory()) for (const name of await readdir(full)) await visit(rel ? `${rel}/${name}` : name);
    };
    await visit('');
    return out;
  } finally {
    await run('umount', [mnt]);
    await rm(mnt, { recursive: true, force: true });
  }
}

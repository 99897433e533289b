/**
 * Walking a tree two ways for the ISO 9660 tests: through our driver
 * (readdir in small pages so cookies are exercised, lookup, getattr,
 * readlink, read in chunks) and through node:fs over what a real tool
 * extracted, into the same shape so a test compares them entry by entry.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, constants, lstatSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { FileSystem, Stat } from '../../src/fs/filesystem.js';
import { FileDevice } from '../../src/node/file-device.js';
import { Iso9660FileSystem } from '../../src/fs/iso9660/filesystem.js';
import type { Iso9660Options } from '../../src/fs/iso9660/options.js';
import { fixture, fixturesDir } from '../helpers/fixtures.js';
import { isRoot, needRoot, needTools } from '../helpers/tools.js';

export type NodeType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

export interface TreeNode {
  type: NodeType;
  perms: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  atime: number;
  mtime: number;
  ctime: number;
  ino: number;
  target?: string;
  sha256?: string;
}

const TYPES: Record<number, NodeType> = {
  0o100000: 'file', 0o040000: 'dir', 0o120000: 'symlink', 0o020000: 'char', 0o060000: 'block', 0o010000: 'fifo', 0o140000: 'socket',
};

function typeOf(mode: number): NodeType {
  const t = TYPES[mode & 0o170000];
  assert.ok(t, `unknown file type in mode ${mode.toString(8)}`);
  return t;
}

/** Skip reason for tests that need the ISO tools and root (the tree has owners and device nodes). */
export const isoSkip = needTools('xorriso', 'genisoimage', 'isoinfo', '7z', 'python3') ?? (isRoot ? undefined : needRoot('making the ISO source tree'));

/** The images of images.sh (remade when it or tree.sh changes). */
export async function isoFixtures(): Promise<string> {
  const tree = await readFile(join(fixturesDir, 'iso9660', 'tree.sh'));
  return fixture('iso9660/images.sh', [createHash('sha256').update(tree).digest('hex').slice(0, 12)]);
}

export async function openIso(path: string, options: Iso9660Options = {}): Promise<{ fs: Iso9660FileSystem; close: () => Promise<void> }> {
  const dev = await FileDevice.open(path);
  try {
    const fs = await Iso9660FileSystem.open(dev, options);
    return { fs, close: () => dev.close() };
  } catch (e) {
    await dev.close();
    throw e;
  }
}

export async function readAll(fs: FileSystem, ino: number, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  const chunk = 1 << 20;
  for (let pos = 0; pos < size; ) {
    const n = await fs.read(ino, 0, out.subarray(pos, Math.min(size, pos + chunk)), pos);
    assert.ok(n > 0, `short read at ${pos} of ${size}`);
    pos += n;
  }
  const extra = await fs.read(ino, 0, new Uint8Array(16), size);
  assert.equal(extra, 0, 'read past the end returns 0');
  return out;
}

function fromStat(s: Stat): TreeNode {
  return {
    type: typeOf(s.mode), perms: s.mode & 0o7777, nlink: s.nlink, uid: s.uid, gid: s.gid, rdev: s.rdev, size: s.size,
    atime: s.atime.sec, mtime: s.mtime.sec, ctime: s.ctime.sec, ino: s.ino,
  };
}

/**
 * Every path under the root ('' is the root) through the driver. Checks
 * the driver's own consistency on the way: '.' is the directory, lookup
 * and readdir agree on inode numbers and types, getattr equals lookup.
 */
export async function walkIso(fs: FileSystem, options: { hash?: boolean; page?: number; skip?: (path: string) => boolean } = {}): Promise<Map<string, TreeNode>> {
  const out = new Map<string, TreeNode>();
  const page = options.page ?? 97;
  const root = await fs.getattr(fs.rootIno);
  out.set('', fromStat(root));
  const visit = async (ino: number, path: string, depth: number): Promise<void> => {
    assert.ok(depth < 64, `${path}: deeper than 64 levels`);
    const entries: Array<{ name: string; ino: number; type: number }> = [];
    for (let cookie = 0; ; ) {
      const batch = await fs.readdir(ino, 0, cookie, page);
      if (batch.length === 0) break;
      entries.push(...batch);
      cookie = batch[batch.length - 1]!.next;
    }
    assert.equal(entries[0]?.name, '.', `${path}: first entry is '.'`);
    assert.equal(entries[0]!.ino, ino, `${path}: '.' is the directory itself`);
    assert.equal(entries[1]?.name, '..', `${path}: second entry is '..'`);
    for (const e of entries.slice(2)) {
      const p = path ? `${path}/${e.name}` : e.name;
      if (options.skip?.(p)) continue;
      assert.ok(!out.has(p), `${p}: listed twice`);
      const entry = await fs.lookup(ino, e.name);
      assert.equal(entry.ino, e.ino, `${p}: lookup and readdir give the same inode`);
      assert.equal(e.type, (entry.attr.mode & 0o170000) >> 12, `${p}: readdir type matches the mode`);
      assert.deepEqual(await fs.getattr(entry.ino), entry.attr, `${p}: getattr equals lookup`);
      const node = fromStat(entry.attr);
      if (node.type === 'symlink') node.target = await fs.readlink(entry.ino);
      if (node.type === 'file' && options.hash !== false) {
        node.sha256 = createHash('sha256').update(await readAll(fs, entry.ino, node.size)).digest('hex');
      }
      out.set(p, node);
      if (node.type === 'dir') await visit(entry.ino, p, depth + 1);
      fs.forget?.(entry.ino, 1);
    }
  };
  await visit(fs.rootIno, '', 0);
  return out;
}

/** Reads without touching atime, so the extracted atimes stay the truth for the next run. */
function readNoAtime(path: string): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOATIME);
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The same over a host directory (an extraction by a real tool). */
export function walkHost(dir: string, options: { hash?: boolean } = {}): Map<string, TreeNode> {
  const out = new Map<string, TreeNode>();
  const visit = (abs: string, path: string): void => {
    const s = lstatSync(abs);
    const node: TreeNode = {
      type: typeOf(s.mode), perms: s.mode & 0o7777, nlink: s.nlink, uid: s.uid, gid: s.gid, rdev: s.rdev, size: s.size,
      atime: Math.floor(s.atimeMs / 1000), mtime: Math.floor(s.mtimeMs / 1000), ctime: Math.floor(s.ctimeMs / 1000), ino: s.ino,
    };
    if (node.type === 'symlink') node.target = readlinkSync(abs, 'utf8');
    if (node.type === 'file' && options.hash !== false) node.sha256 = createHash('sha256').update(readNoAtime(abs)).digest('hex');
    out.set(path, node);
    if (node.type === 'dir') for (const name of readdirSync(abs)) visit(join(abs, name), path ? `${path}/${name}` : name);
  };
  visit(dir, '');
  return out;
}

/** The atimes the fixture listed right after extracting (`find -printf '%P\0%A@\0'`), by path. */
export function extractedAtimes(file: string): Map<string, number> {
  const parts = readFileSync(file, 'utf8').split('\0');
  const out = new Map<string, number>();
  for (let i = 0; i + 1 < parts.length; i += 2) out.set(parts[i]!, Math.floor(Number(parts[i + 1])));
  return out;
}

/** Paths grouped by inode number (hard link groups of more than one name). */
export function linkGroups(tree: Map<string, TreeNode>): string[][] {
  const by = new Map<number, string[]>();
  for (const [p, n] of tree) if (n.type !== 'dir') by.set(n.ino, [...(by.get(n.ino) ?? []), p]);
  return [...by.values()].filter((g) => g.length > 1).map((g) => g.sort()).sort();
}

/** One row of `isoinfo -l` output. */
export interface IsoinfoRow {
  dir: string;
  name: string;
  mode: string;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  extent: number;
  /** File flags of the record (2 = directory). */
  flags: number;
  target?: string;
}

/** isoinfo prints the flags byte as a signed number: 0x80 (multi-extent) comes out as 'FFFF' and eats the ']'. */
function flagsOf(text: string): number {
  return text.endsWith(']') ? parseInt(text, 16) : 0x80;
}

/** Parses `isoinfo [-R|-J] -l` listings ('.' and '..' left out). */
export function parseIsoinfo(text: string): IsoinfoRow[] {
  const rows: IsoinfoRow[] = [];
  let dir = '';
  for (const line of text.split('\n')) {
    const h = /^Directory listing of (.*)$/.exec(line);
    if (h) {
      dir = h[1]!.replace(/^\/|\/$/g, '');
      continue;
    }
    const m = /^(\S{10})\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+) \w{3} [ \d]\d \d{4} \[\s*(\d+) ([0-9A-F]{2}\]|[0-9A-F]{3,8}) (?: )?(.*) $/.exec(line);
    if (!m) continue;
    let name = m[8]!;
    let target: string | undefined;
    if (m[1]!.startsWith('l') && name.includes(' -> ')) {
      target = name.slice(name.indexOf(' -> ') + 4);
      name = name.slice(0, name.indexOf(' -> '));
    }
    if (name === '.' || name === '..') continue;
    rows.push({ dir, name, mode: m[1]!, nlink: Number(m[2]), uid: Number(m[3]), gid: Number(m[4]), size: Number(m[5]), extent: Number(m[6]), flags: flagsOf(m[7]!), ...(target !== undefined ? { target } : {}) });
  }
  return rows;
}

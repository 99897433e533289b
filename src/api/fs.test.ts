// The fs/promises API against Node's own node:fs/promises on a real directory: same results, same error objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs/promises';
import { createReadStream as nodeCreateReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeFs } from '../node/fs.js';
import { MemFileSystem } from '../vfs/memfs/memfs.js';

/** What both sides are driven through: the fs/promises surface plus createReadStream. */
type FsLike = typeof nodeFs & { createReadStream(path: string, options?: { start?: number; end?: number }): AsyncIterable<Uint8Array> };

type Script = (fs: FsLike, base: string) => Promise<unknown>;

/** Results as comparable data: bytes as text, stats and dirents by their fields, the base path blanked out. */
function normalize(v: unknown, base: string): unknown {
  if (typeof v === 'string') return v.split(base).join('<base>');
  if (v instanceof Uint8Array) return { bytes: Buffer.isBuffer(v) ? 'Buffer' : 'Uint8Array', text: Buffer.from(v).toString('latin1') };
  if (Array.isArray(v)) return v.map((x) => normalize(x, base));
  if (v && typeof v === 'object' && 'isFile' in v && typeof (v as { isFile: unknown }).isFile === 'function') {
    const o = v as Record<string, unknown> & { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean };
    const out: Record<string, unknown> = { file: o.isFile(), dir: o.isDirectory(), link: o.isSymbolicLink() };
    for (const k of ['name', 'parentPath', 'mode', 'size', 'nlink', 'uid', 'gid']) if (k in o) out[k] = normalize(o[k], base);
    if ('mtimeMs' in o) out.types = [typeof o.mtimeMs, o.mtime instanceof Date, typeof o.ino];
    return out;
  }
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x, base)]));
  return v;
}

async function outcome(fs: FsLike, base: string, script: Script): Promise<unknown> {
  try {
    return { ok: normalize(await script(fs, base), base) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { dest?: string };
    return { error: normalize({ code: err.code, errno: err.errno, syscall: err.syscall, path: err.path, dest: err.dest, message: err.message, isError: e instanceof Error }, base) };
  }
}

const SCRIPTS: Record<string, Script> = {
  'writeFile, readFile as text and as bytes, appendFile': async (fs, b) => {
    await fs.writeFile(`${b}/a.txt`, 'hello');
    await fs.appendFile(`${b}/a.txt`, ' world');
    return [await fs.readFile(`${b}/a.txt`, 'utf8'), await fs.readFile(`${b}/a.txt`), await fs.readFile(`${b}/a.txt`, { encoding: 'base64' })];
  },
  'readFile of a missing file': (fs, b) => fs.readFile(`${b}/missing`),
  'readFile of a directory': (fs, b) => fs.readFile(b),
  'writeFile into a missing directory': (fs, b) => fs.writeFile(`${b}/no/such`, 'x'),
  'mkdir recursive returns the first directory made; again returns undefined': async (fs, b) => [
    await fs.mkdir(`${b}/x/y/z`, { recursive: true }),
    await fs.mkdir(`${b}/x/y/z`, { recursive: true }),
    await fs.mkdir(`${b}/x/y/w`, { recursive: true }),
  ],
  'mkdir of an existing directory': async (fs, b) => {
    await fs.mkdir(`${b}/d`);
    return fs.mkdir(`${b}/d`);
  },
  'mkdir recursive through a file': async (fs, b) => {
    await fs.writeFile(`${b}/f`, '');
    return fs.mkdir(`${b}/f/sub`, { recursive: true });
  },
  'readdir: names, types, recursive': async (fs, b) => {
    await fs.mkdir(`${b}/d/e`, { recursive: true });
    await fs.writeFile(`${b}/d/f`, '');
    await fs.writeFile(`${b}/d/e/g`, '');
    await fs.symlink('f', `${b}/d/l`);
    const sort = <T>(xs: T[], key: (x: T) => string): T[] => xs.sort((x, y) => (key(x) < key(y) ? -1 : 1));
    return [
      (await fs.readdir(`${b}/d`)).sort(),
      sort(await fs.readdir(`${b}/d`, { withFileTypes: true }), (d) => d.name),
      (await fs.readdir(`${b}/d`, { recursive: true })).sort(),
    ];
  },
  'readdir of a file': async (fs, b) => {
    await fs.writeFile(`${b}/f`, '');
    return fs.readdir(`${b}/f`);
  },
  'stat, lstat and bigint stats': async (fs, b) => {
    await fs.writeFile(`${b}/f`, '12345');
    await fs.symlink('f', `${b}/l`);
    const big = await fs.stat(`${b}/f`, { bigint: true });
    return [await fs.stat(`${b}/l`), await fs.lstat(`${b}/l`), typeof big.size, typeof big.mtimeNs, big.size];
  },
  'rename, and its error names both paths': async (fs, b) => {
    await fs.writeFile(`${b}/a`, 'x');
    await fs.rename(`${b}/a`, `${b}/b`);
    return [await fs.readdir(b), await fs.rename(`${b}/a`, `${b}/c`).catch((e) => [e.code, e.path, e.dest, e.message])];
  },
  'link, symlink, readlink, realpath': async (fs, b) => {
    await fs.mkdir(`${b}/d`);
    await fs.writeFile(`${b}/d/f`, 'x');
    await fs.link(`${b}/d/f`, `${b}/g`);
    await fs.symlink('d/f', `${b}/l`);
    return [(await fs.stat(`${b}/g`)).nlink, await fs.readlink(`${b}/l`), await fs.realpath(`${b}/l`), await fs.realpath(`${b}/d/../d/./f`)];
  },
  'symlink onto an existing name': async (fs, b) => {
    await fs.writeFile(`${b}/f`, '');
    return fs.symlink('x', `${b}/f`);
  },
  'rm: file, force on missing, recursive tree': async (fs, b) => {
    await fs.mkdir(`${b}/t/u`, { recursive: true });
    await fs.writeFile(`${b}/t/u/f`, '');
    await fs.writeFile(`${b}/f`, '');
    await fs.rm(`${b}/f`);
    await fs.rm(`${b}/missing`, { force: true });
    await fs.rm(`${b}/t`, { recursive: true });
    return fs.readdir(b);
  },
  'rm of a directory without recursive': async (fs, b) => {
    await fs.mkdir(`${b}/d`);
    return fs.rm(`${b}/d`);
  },
  'rm of a missing file': (fs, b) => fs.rm(`${b}/missing`),
  'rmdir of a non-empty directory': async (fs, b) => {
    await fs.mkdir(`${b}/d`);
    await fs.writeFile(`${b}/d/f`, '');
    return fs.rmdir(`${b}/d`);
  },
  'unlink of a directory': async (fs, b) => {
    await fs.mkdir(`${b}/d`);
    return fs.unlink(`${b}/d`);
  },
  'cp recursive copies files, directories and symlinks': async (fs, b) => {
    await fs.mkdir(`${b}/src/sub`, { recursive: true });
    await fs.writeFile(`${b}/src/sub/f`, 'data');
    await fs.symlink('sub/f', `${b}/src/l`);
    await fs.cp(`${b}/src`, `${b}/dst`, { recursive: true });
    return [(await fs.readdir(`${b}/dst`, { recursive: true })).sort(), await fs.readFile(`${b}/dst/l`, 'utf8'), await fs.readlink(`${b}/dst/l`)];
  },
  'cp of a directory without recursive': async (fs, b) => {
    await fs.mkdir(`${b}/src`);
    return fs.cp(`${b}/src`, `${b}/dst`).catch((e) => Promise.reject(Object.assign(e, { message: 'ignored', path: undefined })));
  },
  'copyFile, and COPYFILE_EXCL onto an existing file': async (fs, b) => {
    await fs.writeFile(`${b}/a`, 'copy me');
    await fs.copyFile(`${b}/a`, `${b}/b`);
    return [await fs.readFile(`${b}/b`, 'utf8'), await fs.copyFile(`${b}/a`, `${b}/b`, 1).catch((e) => e.code)];
  },
  'FileHandle: read, write at positions, stat, truncate': async (fs, b) => {
    await fs.writeFile(`${b}/f`, '0123456789');
    const fh = await fs.open(`${b}/f`, 'r+');
    const buf = Buffer.alloc(4);
    const r = await fh.read(buf, 0, 4, 3);
    const w = await fh.write('AB', 8);
    await fh.truncate(9);
    const size = (await fh.stat()).size;
    await fh.close();
    return [r.bytesRead, buf, w.bytesWritten, size, await fs.readFile(`${b}/f`, 'utf8')];
  },
  "open with 'wx' on an existing file": async (fs, b) => {
    await fs.writeFile(`${b}/f`, '');
    return fs.open(`${b}/f`, 'wx');
  },
  'truncate and utimes': async (fs, b) => {
    await fs.writeFile(`${b}/f`, '0123456789');
    await fs.truncate(`${b}/f`, 3);
    await fs.utimes(`${b}/f`, 1_000_000, new Date(2_000_000_000));
    const s = await fs.stat(`${b}/f`);
    return [s.size, s.atimeMs, s.mtimeMs];
  },
  'access of a missing file, chmod, chown': async (fs, b) => {
    await fs.writeFile(`${b}/f`, '');
    await fs.chmod(`${b}/f`, 0o604);
    await fs.chown(`${b}/f`, 1234, 5678);
    const s = await fs.stat(`${b}/f`);
    return [s.mode & 0o777, s.uid, s.gid, await fs.access(`${b}/nope`).catch((e) => [e.code, e.syscall])];
  },
  'opendir iterates every entry and closes': async (fs, b) => {
    for (const n of ['a', 'b', 'c']) await fs.writeFile(`${b}/${n}`, '');
    const names: string[] = [];
    for await (const d of await fs.opendir(b)) names.push(d.name);
    return names.sort();
  },
  'mkdtemp adds six characters': async (fs, b) => {
    const d = await fs.mkdtemp(`${b}/tmp-`);
    return [d.length - `${b}/tmp-`.length, (await fs.stat(d)).mode & 0o777];
  },
  'createReadStream of a byte range': async (fs, b) => {
    await fs.writeFile(`${b}/f`, 'abcdefghij');
    let s = '';
    for await (const chunk of fs.createReadStream(`${b}/f`, { start: 2, end: 5 })) s += Buffer.from(chunk).toString();
    return s;
  },
};

test('AnymountFs gives what node:fs/promises gives, results and errors, for every script', async () => {
  const realRoot = await nodeFs.mkdtemp(join(tmpdir(), 'anymount-api-'));
  const ours = await createNodeFs(new MemFileSystem(), { creds: { uid: 0, gid: 0, groups: [] }, umask: 0o022 });
  const real = { ...nodeFs, createReadStream: nodeCreateReadStream } as unknown as FsLike;
  const mine = ours as unknown as FsLike;
  process.umask(0o022);
  try {
    let i = 0;
    for (const [name, script] of Object.entries(SCRIPTS)) {
      const base = `${realRoot}/s${i}`;
      const ourBase = `/work/s${i}`;
      i++;
      await nodeFs.mkdir(base);
      await ours.mkdir(ourBase, { recursive: true });
      const want = await outcome(real, base, script);
      const got = await outcome(mine, ourBase, script);
      assert.deepEqual(got, want, name);
    }
  } finally {
    await nodeFs.rm(realRoot, { recursive: true, force: true });
  }
});

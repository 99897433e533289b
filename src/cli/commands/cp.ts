/** `anymount cp`: copy files out of an image, or into one with --rw. */
import { lstat, readdir, readlink, stat, open as hostOpen } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FsError } from '../../errors.js';
import { parseAddress } from '../../node/address.js';
import type { OpenedFs } from '../../node/open.js';
import { EXIT, UsageError, type Command, type CommandIo } from '../command.js';
import { printJson } from '../output.js';
import { ProgressBar } from '../progress.js';
import { addressWithPath, SOURCE_HELP, SOURCE_OPTIONS, withSource } from '../source.js';
import { joinImagePath } from '../walk.js';
import { copyOut } from './extract.js';

const CHUNK = 1 << 20;

export const cpCommand: Command = {
  name: 'cp',
  summary: 'copy files out of an image (or into one with --rw)',
  usage: 'anymount cp [-r] [--rw] SOURCE[:pN]:/path… DEST   |   anymount cp [-r] --rw FILE… SOURCE[:pN]:/dir',
  help: `Copies out of an image when the sources are image paths, and into an image
when the destination is one (this needs --rw; the image is changed in place).
Like cp(1): directories need -r; a destination that is an existing directory
receives the sources by name. Copies out are as safe as 'extract': nothing
is written outside DEST.

  -r, --recursive   copy directories
  --rw              open the destination image for writing
  -v, --verbose     print each path copied
  --json            print a summary
  --no-progress     no progress line (shown only on a terminal)

${SOURCE_HELP}

Examples:
  anymount cp disk.qcow2:p2:/etc/fstab .
  anymount cp -r cd.iso:/docs ./docs
  anymount cp --rw notes.txt floppy.img:/NOTES.TXT`,
  options: {
    recursive: { type: 'boolean', short: 'r' },
    rw: { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
    json: { type: 'boolean' },
    'no-progress': { type: 'boolean' },
    ...SOURCE_OPTIONS,
  },
  async run({ values, positionals }, io) {
    if (positionals.length < 2) throw new UsageError('cp takes SOURCE… and DEST');
    const dest = positionals.at(-1)!;
    const sources = positionals.slice(0, -1);
    const destAddress = imageAddress(dest);
    const progress = !values['no-progress'] && !values.json;
    if (destAddress) {
      if (!values.rw) throw new UsageError('copying into an image changes it: add --rw');
      const summary = await withSource(destAddress, values, true, (fs) => copyIn(fs, sources, destAddress.path, !!values.recursive, io, { verbose: !!values.verbose, progress }));
      if (values.json) printJson(io, summary);
      return EXIT.OK;
    }
    const addresses = sources.map((s) => {
      const a = imageAddress(s);
      if (!a) throw new UsageError(`${s}: neither side is inside an image (write SOURCE:/path)`);
      return a;
    });
    let destIsDir = false;
    try {
      destIsDir = (await stat(dest)).isDirectory();
    } catch {
      // a new name
    }
    if (addresses.length > 1 && !destIsDir) throw new UsageError(`target '${dest}' is not a directory`);
    const all = [];
    let failed = false;
    for (const a of addresses) {
      const stats = await withSource(a, values, false, async (fs) => {
        const st = await fs.stat(a.path);
        if (st.isDirectory() && !values.recursive) throw new FsError('EISDIR', `${a.path}: is a directory (use -r)`);
        const name = a.path === '/' ? basename(a.source) : basename(a.path);
        const target = destIsDir ? join(dest, name) : dest;
        return copyOut(fs, a.path, target, io, { verbose: !!values.verbose, progress });
      });
      if (stats.skipped.length) failed = true;
      all.push(stats);
    }
    if (values.json) printJson(io, all.length === 1 ? all[0] : all);
    return failed ? EXIT.FAILURE : EXIT.OK;
  },
};

/** An argument names a path inside an image when it has a `:/path` part after an existing source. */
function imageAddress(text: string): ReturnType<typeof addressWithPath> | undefined {
  try {
    const a = parseAddress(text);
    return a.path === undefined ? undefined : addressWithPath(text);
  } catch {
    return undefined;
  }
}

interface CopyInSummary {
  files: number;
  directories: number;
  symlinks: number;
  hardlinks: number;
  bytes: number;
}

async function copyIn(fs: OpenedFs, sources: string[], destPath: string, recursive: boolean, io: CommandIo, o: { verbose: boolean; progress: boolean }): Promise<CopyInSummary> {
  const summary: CopyInSummary = { files: 0, directories: 0, symlinks: 0, hardlinks: 0, bytes: 0 };
  let destIsDir = false;
  try {
    destIsDir = (await fs.stat(destPath)).isDirectory();
  } catch {
    // a new name
  }
  if (sources.length > 1 && !destIsDir) throw new FsError('ENOTDIR', `${destPath}: not a directory`);
  const caps = fs.source.fs.capabilities;
  let total = 0;
  if (o.progress) for (const s of sources) total += await hostSize(s);
  const bar = ProgressBar.forTerminal(io.stderr, total, o.progress && (io.stdout as { isTTY?: boolean }).isTTY === true);
  const linked = new Map<string, string>();
  const buf = new Uint8Array(CHUNK);

  const copy = async (host: string, image: string): Promise<void> => {
    const st = await lstat(host);
    if (o.verbose) io.stdout.write(`${image}\n`);
    if (st.isDirectory()) {
      if (!recursive) throw new FsError('EISDIR', `${host}: is a directory (use -r)`);
      try {
        await fs.mkdir(image, { mode: st.mode & 0o7777 });
      } catch (e) {
        if ((e as { code?: string }).code !== 'EEXIST' || !(await fs.stat(image)).isDirectory()) throw e;
      }
      summary.directories++;
      for (const name of (await readdir(host)).sort()) await copy(join(host, name), joinImagePath(image, name));
    } else if (st.isSymbolicLink()) {
      if (!caps.symlinks) {
        io.stderr.write(`anymount: ${host}: skipped: ${fs.source.type} cannot hold symlinks\n`);
        return;
      }
      await fs.symlink(await readlink(host), image);
      summary.symlinks++;
      return;
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? linked.get(key) : undefined;
      if (first !== undefined && caps.hardlinks) {
        await fs.link(first, image);
        summary.hardlinks++;
        return;
      }
      const input = await hostOpen(host, 'r');
      const out = await fs.open(image, 'w', st.mode & 0o777);
      try {
        for (let pos = 0; ; ) {
          const { bytesRead } = await input.read(buf, 0, CHUNK, pos);
          if (bytesRead === 0) break;
          await out.write(buf, 0, bytesRead, pos);
          pos += bytesRead;
          summary.bytes += bytesRead;
          bar?.update(summary.bytes, image);
        }
      } finally {
        await out.close();
        await input.close();
      }
      summary.files++;
      if (st.nlink > 1) linked.set(key, image);
    } else {
      io.stderr.write(`anymount: ${host}: skipped: special files are not copied into images\n`);
      return;
    }
    await fs.utimes(image, st.atime, st.mtime).catch((e: Error) => io.stderr.write(`anymount: ${image}: times not kept (${e.message})\n`));
  };

  try {
    for (const s of sources) {
      const target = destIsDir ? joinImagePath(destPath, basename(s)) : destPath;
      await copy(s, target);
    }
  } finally {
    bar?.done();
  }
  return summary;
}

async function hostSize(path: string): Promise<number> {
  const st = await lstat(path);
  if (st.isFile()) return st.size;
  if (!st.isDirectory()) return 0;
  let n = 0;
  for (const name of await readdir(path)) n += await hostSize(join(path, name));
  return n;
}

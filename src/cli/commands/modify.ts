/** `anymount rm`, `mkdir` and `mv`: change a writable filesystem inside an image (with --rw). */
import { parseAddress } from '../../node/address.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { printError } from '../output.js';
import { addressWithPath, forEachPath, SOURCE_HELP, SOURCE_OPTIONS, withSource } from '../source.js';
import { joinImagePath } from '../walk.js';

const RW_HELP = `The image is changed in place, so these commands need --rw; the
filesystem must be one anymount can write (FAT today; put an overlay in
front of a read-only image to write "into" it without touching it).`;

function requireRw(values: Record<string, unknown>, what: string): void {
  if (!values.rw) throw new UsageError(`${what} changes the image: add --rw`);
}

export const rmCommand: Command = {
  name: 'rm',
  summary: 'remove files inside an image (with --rw)',
  usage: 'anymount rm [-rf] --rw SOURCE[:pN]:/path…',
  help: `Removes files, and with -r directories and their contents, like rm(1).

  -r, --recursive   remove directories and their contents
  -f, --force       no error for paths that do not exist
  --rw              open the image for writing (required)

${RW_HELP}

${SOURCE_HELP}`,
  options: { recursive: { type: 'boolean', short: 'r' }, force: { type: 'boolean', short: 'f' }, rw: { type: 'boolean' }, ...SOURCE_OPTIONS },
  async run({ values, positionals }, io) {
    if (positionals.length === 0) throw new UsageError('rm needs at least one SOURCE:/path');
    requireRw(values, 'rm');
    const failed = await forEachPath(positionals, values, true, io, async (fs, a) => {
      if (a.path === '/') throw new UsageError('refusing to remove the root directory');
      const st = await fs.lstat(a.path).catch((e: { code?: string }) => {
        if (e.code === 'ENOENT' && values.force) return undefined;
        throw e;
      });
      if (!st) return;
      if (st.isDirectory() && !values.recursive) await fs.rmdir(a.path);
      else await fs.rm(a.path, { recursive: !!values.recursive, force: !!values.force });
    });
    return failed ? EXIT.FAILURE : EXIT.OK;
  },
};

export const mkdirCommand: Command = {
  name: 'mkdir',
  summary: 'make directories inside an image (with --rw)',
  usage: 'anymount mkdir [-p] [-m MODE] --rw SOURCE[:pN]:/path…',
  help: `Makes directories, like mkdir(1).

  -p, --parents     make parent directories as needed; no error if it exists
  -m, --mode MODE   permissions (octal), where the filesystem keeps them
  --rw              open the image for writing (required)

${RW_HELP}

${SOURCE_HELP}`,
  options: { parents: { type: 'boolean', short: 'p' }, mode: { type: 'string', short: 'm' }, rw: { type: 'boolean' }, ...SOURCE_OPTIONS },
  async run({ values, positionals }, io) {
    if (positionals.length === 0) throw new UsageError('mkdir needs at least one SOURCE:/path');
    requireRw(values, 'mkdir');
    const mode = values.mode === undefined ? 0o777 : parseInt(String(values.mode), 8);
    if (Number.isNaN(mode) || mode < 0 || mode > 0o7777) throw new UsageError(`bad mode '${values.mode}'`);
    const failed = await forEachPath(positionals, values, true, io, async (fs, a) => {
      await fs.mkdir(a.path, { recursive: !!values.parents, mode });
    });
    return failed ? EXIT.FAILURE : EXIT.OK;
  },
};

export const mvCommand: Command = {
  name: 'mv',
  summary: 'move or rename files inside an image (with --rw)',
  usage: 'anymount mv --rw SOURCE[:pN]:/path… /dest',
  help: `Moves or renames within one filesystem, like mv(1). The destination is a
path in the same filesystem (or the same address written out in full); an
existing directory receives the sources by name.

  --rw              open the image for writing (required)

${RW_HELP}

${SOURCE_HELP}

Example:
  anymount mv --rw floppy.img:/OLD.TXT /NEW.TXT`,
  options: { rw: { type: 'boolean' }, ...SOURCE_OPTIONS },
  async run({ values, positionals }, io) {
    if (positionals.length < 2) throw new UsageError('mv takes SOURCE… and DEST');
    requireRw(values, 'mv');
    const sources = positionals.slice(0, -1).map(addressWithPath);
    const destText = positionals.at(-1)!;
    const first = sources[0]!;
    const key = (a: { source: string; selectors: string[] }) => [a.source, ...a.selectors].join(':');
    if (sources.some((s) => key(s) !== key(first))) throw new UsageError('mv works within one filesystem: all sources must be in the same image');
    let destPath: string;
    if (destText.startsWith('/')) destPath = destText;
    else {
      const d = parseAddress(destText);
      if (d.path === undefined || key(d) !== key(first)) throw new UsageError(`mv: '${destText}' must be a path in ${key(first)} (e.g. /new/name)`);
      destPath = d.path;
    }
    let failed = false;
    await withSource(first, values, true, async (fs) => {
      let destIsDir = false;
      try {
        destIsDir = (await fs.stat(destPath)).isDirectory();
      } catch {
        // a new name
      }
      if (sources.length > 1 && !destIsDir) throw new UsageError(`target '${destPath}' is not a directory`);
      for (const s of sources) {
        try {
          const name = s.path.replace(/\/+$/, '').split('/').pop()!;
          await fs.rename(s.path, destIsDir ? joinImagePath(destPath, name) : destPath);
        } catch (e) {
          printError(io, e);
          failed = true;
        }
      }
    });
    return failed ? EXIT.FAILURE : EXIT.OK;
  },
};

/** `anymount extract`: copy a whole tree out of an image, safely. */
import { mkdir } from 'node:fs/promises';
import { extractTree, type ExtractStats } from '../../node/extract.js';
import { EXIT, UsageError, type Command, type CommandIo } from '../command.js';
import { inodeAt } from '../inode-at.js';
import { printJson } from '../output.js';
import { ProgressBar } from '../progress.js';
import { addressWithPath, SOURCE_HELP, SOURCE_OPTIONS, withSource } from '../source.js';
import { walk } from '../walk.js';
import type { OpenedFs } from '../../node/open.js';

export const extractCommand: Command = {
  name: 'extract',
  summary: 'copy a whole tree out of an image',
  usage: 'anymount extract [-v] [--json] [--no-progress] SOURCE[:pN][:/dir] DEST',
  help: `Copies everything below a directory of the image (the root by default)
into DEST (created if missing), keeping modes, times, symlinks and hardlinks
where this machine allows; owners and setuid bits only when run as root.

Nothing is ever written outside DEST: names with '/', '..', control
characters or NUL are rewritten, symlinks are copied as links and never
written through, and every rewrite or skipped file is reported on stderr.
Sparse files stay sparse.

  -v, --verbose     print each path as it is copied
  --json            print a summary (counts, renamed and skipped entries)
  --no-progress     no progress line (it is shown only on a terminal)

${SOURCE_HELP}

Exit status is 1 if anything could not be copied (the rest still is).

Examples:
  anymount extract disk.qcow2:p2:/home ./home-backup
  anymount extract cd.iso ./cd`,
  options: { verbose: { type: 'boolean', short: 'v' }, json: { type: 'boolean' }, 'no-progress': { type: 'boolean' }, ...SOURCE_OPTIONS },
  async run({ values, positionals }, io) {
    if (positionals.length !== 2) throw new UsageError('extract takes SOURCE and DEST');
    const a = addressWithPath(positionals[0]!);
    const dest = positionals[1]!;
    const stats = await withSource(a, values, false, async (fs) => {
      const st = await fs.stat(a.path);
      if (st.isDirectory()) await mkdir(dest, { recursive: true });
      return copyOut(fs, a.path, dest, io, { verbose: !!values.verbose, progress: !values['no-progress'] && !values.json });
    });
    if (values.json) printJson(io, stats);
    return stats.skipped.length ? EXIT.FAILURE : EXIT.OK;
  },
};

/** Copies `path` of an opened image to host path `dest`, with warnings on stderr and a progress line. Shared by cp. */
export async function copyOut(fs: OpenedFs, path: string, dest: string, io: CommandIo, o: { verbose: boolean; progress: boolean }): Promise<ExtractStats> {
  let bar: ProgressBar | undefined;
  if (o.progress && (io.stdout as { isTTY?: boolean }).isTTY && (io.stderr as { isTTY?: boolean }).isTTY) {
    let total = 0;
    for await (const e of walk(fs, path)) if (e.stat.isFile()) total += Number(e.stat.size);
    bar = ProgressBar.forTerminal(io.stderr, total, true);
  }
  const { ino, release } = await inodeAt(fs, path, true);
  let lastPath = '';
  try {
    return await extractTree(fs.source.fs, ino, path, dest, {
      // Worker threads open the same source and copy files in parallel (drivers with file handles).
      source: { address: { source: fs.source.address.source, selectors: fs.source.address.selectors }, options: fs.source.options },
      onWarning: (w) => {
        bar?.done();
        io.stderr.write(`anymount: ${w}\n`);
      },
      onProgress: (p) => {
        if (o.verbose && p.current !== lastPath) io.stdout.write(`${p.current}\n`);
        lastPath = p.current;
        bar?.update(p.bytes, p.current);
      },
    });
  } finally {
    bar?.done();
    release();
  }
}

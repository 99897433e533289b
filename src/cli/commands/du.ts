/** `anymount du`: disk usage inside an image, like du(1). */
import { EXIT, UsageError, type Command } from '../command.js';
import { humanSize, quoteName } from '../listing.js';
import { printError, printJson } from '../output.js';
import { addressWithPath, SOURCE_HELP, SOURCE_OPTIONS, withSource } from '../source.js';
import { walk } from '../walk.js';

export const duCommand: Command = {
  name: 'du',
  summary: 'show disk usage inside an image',
  usage: 'anymount du [-sah] [--apparent-size] [--json] SOURCE[:pN][:/path]',
  help: `Sums the space files take, per directory, like du(1): in 1024-byte
units from the blocks each file has allocated in the image, each hardlinked
file counted once.

  -s, --summarize       only the total of the path given
  -a, --all             also list files, not just directories
  -h, --human-readable  sizes like 4.0K, 12M
  -b, --apparent-size   count file sizes in bytes instead of allocated blocks
  -d, --max-depth N     print totals only down to depth N
  --json                [{ path, bytes }] (bytes: allocated, or apparent with -b)

${SOURCE_HELP}`,
  options: {
    summarize: { type: 'boolean', short: 's' },
    all: { type: 'boolean', short: 'a' },
    'human-readable': { type: 'boolean', short: 'h' },
    'apparent-size': { type: 'boolean', short: 'b' },
    'max-depth': { type: 'string', short: 'd' },
    json: { type: 'boolean' },
    ...SOURCE_OPTIONS,
  },
  async run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('du takes one SOURCE');
    const maxDepth = values.summarize ? 0 : values['max-depth'] === undefined ? Infinity : Number(values['max-depth']);
    if (Number.isNaN(maxDepth) || maxDepth < 0) throw new UsageError(`bad --max-depth '${values['max-depth']}'`);
    const apparent = !!values['apparent-size'];
    const a = addressWithPath(positionals[0]!);
    const rows: Array<{ path: string; bytes: number }> = [];
    let failed = false;
    await withSource(a, values, false, async (fs) => {
      const seen = new Set<bigint>();
      // Totals of the directories on the current path, innermost last.
      const stack: Array<{ path: string; depth: number; bytes: number }> = [];
      const flush = (downTo: number) => {
        while (stack.length && stack[stack.length - 1]!.depth >= downTo) {
          const d = stack.pop()!;
          if (d.depth <= maxDepth) rows.push({ path: d.path, bytes: d.bytes });
          if (stack.length) stack[stack.length - 1]!.bytes += d.bytes;
        }
      };
      for await (const e of walk(fs, a.path, {
        onError: (path, err) => {
          failed = true;
          printError(io, Object.assign(err instanceof Error ? err : new Error(String(err)), { path }));
        },
      })) {
        flush(e.depth);
        const bytes = apparent ? Number(e.stat.size) : Number(e.stat.blocks) * 512;
        // Like du: a file with several names counts (and is listed) once.
        if (!e.stat.isDirectory() && e.stat.nlink > 1n) {
          if (seen.has(e.stat.ino)) continue;
          seen.add(e.stat.ino);
        }
        if (e.stat.isDirectory()) stack.push({ path: e.path, depth: e.depth, bytes });
        else {
          if (stack.length) stack[stack.length - 1]!.bytes += bytes;
          else rows.push({ path: e.path, bytes });
          if (values.all && e.depth <= maxDepth && stack.length) rows.push({ path: e.path, bytes });
        }
      }
      flush(0);
    });
    if (values.json) printJson(io, rows);
    else {
      for (const r of rows) {
        const size = values['human-readable'] ? humanSize(r.bytes) : apparent ? String(r.bytes) : String(Math.ceil(r.bytes / 1024));
        io.stdout.write(`${size}\t${quoteName(r.path)}\n`);
      }
    }
    return failed ? EXIT.FAILURE : EXIT.OK;
  },
};

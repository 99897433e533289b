/** `anymount find`: search a tree inside an image, like find(1). */
import { fileTypeOf } from '../../fs/mode.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { quoteName, statJson } from '../listing.js';
import { printError, printJson } from '../output.js';
import { addressWithPath, SOURCE_HELP, SOURCE_OPTIONS, withSource } from '../source.js';
import { walk } from '../walk.js';

const TYPE_LETTERS: Record<string, string> = { f: 'file', d: 'directory', l: 'symlink', c: 'char', b: 'block', p: 'fifo', s: 'socket' };

/** A shell glob (*, ?, [...]) as a RegExp over a whole name, like fnmatch(3). */
export function globToRegExp(glob: string, ignoreCase = false): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let cls = glob.slice(i + 1, end);
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, ignoreCase ? 'si' : 's');
}

export const findCommand: Command = {
  name: 'find',
  summary: 'search for files inside an image',
  usage: 'anymount find SOURCE[:pN][:/path] [-name GLOB] [-iname GLOB] [-type f|d|l|c|b|p|s] [-maxdepth N] [-mindepth N] [--json]',
  help: `Walks the tree below a path (the root by default) and prints every path
that matches all the tests given, like find(1). Tests take find's own
single-dash spelling (-name) or the double-dash one (--name).

  -name GLOB        the name matches a shell pattern (* ? [...])
  -iname GLOB       the same, ignoring case
  -type T           f file, d directory, l symlink, c/b device, p fifo, s socket
  -maxdepth N       descend at most N levels
  -mindepth N       do not print entries above level N
  -print0           end each path with NUL instead of a newline
  --json            an array of matching entries with full metadata

${SOURCE_HELP}

Examples:
  anymount find disk.qcow2:p2:/etc -name '*.conf'
  anymount find cd.iso -type f -print0 | xargs -0 …`,
  options: {
    name: { type: 'string' },
    iname: { type: 'string' },
    type: { type: 'string' },
    maxdepth: { type: 'string' },
    mindepth: { type: 'string' },
    print0: { type: 'boolean' },
    json: { type: 'boolean' },
    ...SOURCE_OPTIONS,
  },
  /** find's tests are spelled with one dash: -name → --name before parsing. */
  rewriteArgs: (args: string[]) => args.map((a) => (/^-(name|iname|type|maxdepth|mindepth|print0)$/.test(a) ? `-${a}` : a)),
  async run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('find takes one SOURCE');
    const num = (v: unknown, what: string) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`bad ${what} '${v}'`);
      return n;
    };
    const maxDepth = num(values.maxdepth, '-maxdepth');
    const minDepth = num(values.mindepth, '-mindepth') ?? 0;
    const types = typeof values.type === 'string' ? values.type.split(',') : undefined;
    for (const t of types ?? []) if (!TYPE_LETTERS[t]) throw new UsageError(`bad -type '${t}' (f, d, l, c, b, p, s)`);
    const nameRe = typeof values.name === 'string' ? globToRegExp(values.name) : typeof values.iname === 'string' ? globToRegExp(values.iname, true) : undefined;
    const a = addressWithPath(positionals[0]!);
    const out: Record<string, unknown>[] = [];
    let failed = false;
    await withSource(a, values, false, async (fs) => {
      for await (const e of walk(fs, a.path, {
        ...(maxDepth !== undefined ? { maxDepth } : {}),
        onError: (path, err) => {
          failed = true;
          printError(io, Object.assign(err instanceof Error ? err : new Error(String(err)), { path }));
        },
      })) {
        if (e.depth < minDepth) continue;
        if (nameRe && !nameRe.test(e.name)) continue;
        if (types && !types.some((t) => TYPE_LETTERS[t] === fileTypeOf(Number(e.stat.mode)))) continue;
        if (values.json) out.push(statJson(e.path, e.stat, e.stat.isSymbolicLink() ? await fs.readlink(e.path) : undefined));
        else io.stdout.write(values.print0 ? `${e.path}\0` : `${quoteName(e.path)}\n`);
      }
    });
    if (values.json) printJson(io, out);
    return failed ? EXIT.FAILURE : EXIT.OK;
  },
};

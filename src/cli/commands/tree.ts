/** `anymount tree`: the directory tree inside an image, like tree(1). */
import { EXIT, UsageError, type Command } from '../command.js';
import { quoteName, statJson } from '../listing.js';
import { printError, printJson } from '../output.js';
import { addressWithPath, SOURCE_HELP, SOURCE_OPTIONS, withSource } from '../source.js';
import { walk } from '../walk.js';

export const treeCommand: Command = {
  name: 'tree',
  summary: 'show the directory tree inside an image',
  usage: 'anymount tree [-a] [-L DEPTH] [--json] SOURCE[:pN][:/path]',
  help: `Draws the tree below a path (the root by default), then counts
directories and files, like tree(1).

  -a, --all          include names starting with '.'
  -L, --level DEPTH  descend at most DEPTH levels
  --json             nested { path, type, …, children: [...] } instead

${SOURCE_HELP}`,
  options: { all: { type: 'boolean', short: 'a' }, level: { type: 'string', short: 'L' }, json: { type: 'boolean' }, ...SOURCE_OPTIONS },
  async run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('tree takes one SOURCE');
    const level = values.level === undefined ? undefined : Number(values.level);
    if (level !== undefined && (!Number.isInteger(level) || level < 1)) throw new UsageError(`bad --level '${values.level}'`);
    const a = addressWithPath(positionals[0]!);
    let failed = false;
    await withSource(a, values, false, async (fs) => {
      let dirs = 0;
      let files = 0;
      // For each depth, whether the ancestor at that depth was the last of its siblings (to draw │ or blank).
      const lastAt: boolean[] = [];
      const pending: Array<Record<string, unknown> & { children?: unknown[] }> = [];
      const entries: Array<{ depth: number; name: string; line: string; node?: Record<string, unknown> & { children?: unknown[] } }> = [];
      for await (const e of walk(fs, a.path, {
        hidden: !!values.all,
        ...(level !== undefined ? { maxDepth: level } : {}),
        onError: (path, err) => {
          failed = true;
          printError(io, Object.assign(err instanceof Error ? err : new Error(String(err)), { path }));
        },
      })) {
        const target = e.stat.isSymbolicLink() ? await fs.readlink(e.path) : undefined;
        if (e.depth > 0) {
          if (e.stat.isDirectory()) dirs++;
          else files++;
        }
        const node = values.json ? { ...statJson(e.path, e.stat, target), ...(e.stat.isDirectory() ? { children: [] } : {}) } : undefined;
        entries.push({ depth: e.depth, name: e.depth === 0 ? e.path : e.name, line: target !== undefined ? ` -> ${quoteName(target)}` : '', ...(node ? { node } : {}) });
      }
      if (values.json) {
        // Rebuild nesting from the pre-order walk.
        for (const x of entries) {
          pending.length = x.depth;
          const parent = pending[x.depth - 1];
          if (parent?.children) parent.children.push(x.node);
          pending[x.depth] = x.node!;
        }
        printJson(io, entries[0]?.node ?? null);
        return;
      }
      // A name is the last child when no later entry shares its parent before the walk climbs above it.
      for (let i = 0; i < entries.length; i++) {
        const x = entries[i]!;
        if (x.depth === 0) {
          io.stdout.write(`${quoteName(x.name)}\n`);
          continue;
        }
        let last = true;
        for (let j = i + 1; j < entries.length && entries[j]!.depth >= x.depth; j++) {
          if (entries[j]!.depth === x.depth) {
            last = false;
            break;
          }
        }
        lastAt[x.depth] = last;
        let prefix = '';
        for (let d = 1; d < x.depth; d++) prefix += lastAt[d] ? '    ' : '│   ';
        io.stdout.write(`${prefix}${last ? '└── ' : '├── '}${quoteName(x.name)}${x.line}\n`);
      }
      io.stdout.write(`\n${dirs} director${dirs === 1 ? 'y' : 'ies'}, ${files} file${files === 1 ? '' : 's'}\n`);
    });
    return failed ? EXIT.FAILURE : EXIT.OK;
  },
};

/** `anymount ls`: list directory contents inside an image, like ls(1). */
import type { BigIntStats } from '../../api/stats.js';
import { EXIT, UsageError, type Command, type CommandIo } from '../command.js';
import { formatColumns, formatLong, humanSize, quoteName, statJson, type LongRow } from '../listing.js';
import { printError, printJson } from '../output.js';
import { addressWithPath, groupBySource, SOURCE_HELP, SOURCE_OPTIONS, withSource } from '../source.js';
import { compareNames, joinImagePath } from '../walk.js';
import type { OpenedFs } from '../../node/open.js';

interface LsFlags {
  long: boolean;
  all: boolean;
  almostAll: boolean;
  recursive: boolean;
  human: boolean;
  directory: boolean;
  one: boolean;
  json: boolean;
}

export const lsCommand: Command = {
  name: 'ls',
  summary: 'list directory contents inside an image',
  usage: 'anymount ls [-laRhd1] [--json] SOURCE[:pN][:/path]…',
  help: `Lists files like ls(1). The path defaults to the root of the filesystem.
Owners are shown as numbers (like ls -n): names in the image's own
/etc/passwd mean nothing on this machine.

  -l, --long           long listing: mode, links, owner, group, size, time, name
  -a, --all            include names starting with '.', and . and ..
  -A, --almost-all     include names starting with '.', but not . and ..
  -R, --recursive      list subdirectories too
  -h, --human-readable sizes like 4.0K, 12M
  -d, --directory      list directories themselves, not their contents
  -1                   one name per line (the default when not on a terminal)
  --json               an array of entries with full metadata (nanosecond times)

${SOURCE_HELP}

Examples:
  anymount ls disk.qcow2:p2:/etc
  anymount ls -lh cd.iso:/
  anymount ls -R --json floppy.img`,
  options: {
    long: { type: 'boolean', short: 'l' },
    all: { type: 'boolean', short: 'a' },
    'almost-all': { type: 'boolean', short: 'A' },
    recursive: { type: 'boolean', short: 'R' },
    'human-readable': { type: 'boolean', short: 'h' },
    directory: { type: 'boolean', short: 'd' },
    one: { type: 'boolean', short: '1' },
    json: { type: 'boolean' },
    ...SOURCE_OPTIONS,
  },
  async run({ values, positionals }, io) {
    if (positionals.length === 0) throw new UsageError('ls needs at least one SOURCE');
    const flags: LsFlags = {
      long: !!values.long,
      all: !!values.all,
      almostAll: !!values['almost-all'],
      recursive: !!values.recursive,
      human: !!values['human-readable'],
      directory: !!values.directory,
      one: !!values.one,
      json: !!values.json,
    };
    const addresses = positionals.map(addressWithPath);
    const json: Record<string, unknown>[] = [];
    let failed = false;
    const multiple = addresses.length > 1 || flags.recursive;
    let first = true;
    for (const group of groupBySource(addresses).values()) {
      await withSource(group[0]!, values, false, async (fs) => {
        for (const a of group) {
          try {
            const label = addresses.length > 1 ? `${[a.source, ...a.selectors].join(':')}:${a.path}` : a.path;
            first = await listOperand(fs, a.path, label, flags, io, json, multiple, first);
          } catch (e) {
            printError(io, e);
            failed = true;
          }
        }
      });
    }
    if (flags.json) printJson(io, json);
    return failed ? EXIT.FAILURE : EXIT.OK;
  },
};

async function listOperand(fs: OpenedFs, path: string, label: string, f: LsFlags, io: CommandIo, json: Record<string, unknown>[], multiple: boolean, first: boolean): Promise<boolean> {
  const st = await fs.lstat(path, { bigint: true });
  // Like ls: a symlink operand naming a directory is followed unless -l or -d.
  let dirStat = st;
  if (st.isSymbolicLink() && !f.long && !f.directory) {
    try {
      dirStat = await fs.stat(path, { bigint: true });
    } catch {
      // dangling: list the link itself
    }
  }
  if (!dirStat.isDirectory() || f.directory) {
    const target = st.isSymbolicLink() ? await fs.readlink(path) : undefined;
    emit(io, f, json, [{ name: label, path, stat: st, ...(target !== undefined ? { target } : {}) }]);
    return false;
  }
  const queue = [path];
  while (queue.length) {
    const dir = queue.shift()!;
    if (!f.json) {
      if (!first) io.stdout.write('\n');
      if (multiple) io.stdout.write(`${quoteName(dir === path ? label : dir)}:\n`);
    }
    first = false;
    const rows = await readRows(fs, dir, f);
    emit(io, f, json, rows, true);
    if (f.recursive) {
      const subdirs = rows.filter((r) => r.stat.isDirectory() && r.name !== '.' && r.name !== '..').map((r) => r.path);
      queue.unshift(...subdirs);
    }
  }
  return first;
}

interface Row extends LongRow {
  path: string;
}

async function readRows(fs: OpenedFs, dir: string, f: LsFlags): Promise<Row[]> {
  const names = (await fs.readdir(dir)).sort(compareNames);
  const shown = names.filter((n) => f.all || f.almostAll || !n.startsWith('.'));
  const rows: Row[] = [];
  if (f.all) {
    rows.push({ name: '.', path: dir, stat: await fs.lstat(dir, { bigint: true }) });
    rows.push({ name: '..', path: joinImagePath(dir, '..'), stat: await fs.lstat(joinImagePath(dir, '..'), { bigint: true }) });
  }
  for (const name of shown) {
    const path = joinImagePath(dir, name);
    const stat: BigIntStats = await fs.lstat(path, { bigint: true });
    const row: Row = { name, path, stat };
    if (stat.isSymbolicLink() && (f.long || f.json)) row.target = await fs.readlink(path);
    rows.push(row);
  }
  return rows;
}

function emit(io: CommandIo, f: LsFlags, json: Record<string, unknown>[], rows: Row[], isDirListing = false): void {
  if (f.json) {
    for (const r of rows) json.push({ name: r.name, ...statJson(r.path, r.stat, r.target) });
    return;
  }
  if (f.long) {
    if (isDirListing) {
      const kib = rows.reduce((sum, r) => sum + Number(r.stat.blocks), 0) / 2;
      io.stdout.write(`total ${f.human ? humanSize(kib * 1024) : Math.ceil(kib)}\n`);
    }
    // One write per directory: thousands of small writes cost more than the listing itself.
    const lines = formatLong(rows, f.human);
    if (lines.length) io.stdout.write(lines.join('\n') + '\n');
    return;
  }
  const names = rows.map((r) => r.name);
  const tty = (io.stdout as { isTTY?: boolean; columns?: number }).isTTY === true;
  const lines = f.one || !tty ? names.map(quoteName) : formatColumns(names, (io.stdout as { columns?: number }).columns ?? 80);
  if (lines.length) io.stdout.write(lines.join('\n') + '\n');
}

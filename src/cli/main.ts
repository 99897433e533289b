/** The `anymount` command line: a table of commands, Unix exit codes, help generated from the table. */
import { parseArgs } from 'node:util';
import '../node/codecs.js';
import { EXIT, UsageError, type Command, type CommandIo } from './command.js';
import { printError } from './output.js';
import { infoCommand } from './commands/info.js';
import { lsCommand } from './commands/ls.js';
import { treeCommand } from './commands/tree.js';
import { statCommand } from './commands/stat.js';
import { catCommand } from './commands/cat.js';
import { findCommand } from './commands/find.js';
import { duCommand } from './commands/du.js';
import { cpCommand } from './commands/cp.js';
import { extractCommand } from './commands/extract.js';
import { mkdirCommand, mvCommand, rmCommand } from './commands/modify.js';
import { overlayCreateCommand } from './commands/overlay.js';
import { listCommand, mountCommand, unmountCommand } from './commands/mount.js';

export const COMMANDS: Command[] = [infoCommand, lsCommand, treeCommand, statCommand, catCommand, findCommand, duCommand, cpCommand, extractCommand, rmCommand, mkdirCommand, mvCommand, overlayCreateCommand, mountCommand, listCommand, unmountCommand];

const VERSION = '0.1.0';

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => [c.name, ...(c.path ?? [])].join(' ').length));
  const rows = COMMANDS.map((c) => `  ${[c.name, ...(c.path ?? [])].join(' ').padEnd(width)}  ${c.summary}`);
  return `anymount — open, mount and serve anything that holds files

Usage: anymount COMMAND [OPTIONS] ARGS…

Commands:
${rows.join('\n')}

Addresses: every command names what it works on as SOURCE[:pN][:/path]
  SOURCE is a file, a block device or an http(s) URL; :pN picks a partition;
  :/path a file inside the filesystem (disk.qcow2:p2:/etc/fstab).

Exit codes: 0 success, 1 failure (I/O error, corrupt or unsupported image,
not found), 2 wrong usage.

Run 'anymount COMMAND --help' for a command's options and examples.
`;
}

function commandHelp(c: Command): string {
  return `Usage: ${c.usage}\n\n${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.\n\n${c.help}\n`;
}

function matchCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  // Longest match first, so `overlay create` wins over `overlay`.
  const sorted = [...COMMANDS].sort((a, b) => (b.path?.length ?? 0) - (a.path?.length ?? 0));
  for (const c of sorted) {
    const words = [c.name, ...(c.path ?? [])];
    if (words.every((w, i) => argv[i] === w)) return { command: c, rest: argv.slice(words.length) };
  }
  return undefined;
}

export async function main(argv: string[], io: CommandIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    const topic = argv[0] === 'help' && argv[1] ? matchCommand(argv.slice(1)) : undefined;
    (argv.length === 0 ? io.stderr : io.stdout).write(topic ? commandHelp(topic.command) : overview());
    return argv.length === 0 ? EXIT.USAGE : EXIT.OK;
  }
  if (argv[0] === '--version' || argv[0] === '-V') {
    io.stdout.write(`anymount ${VERSION}\n`);
    return EXIT.OK;
  }
  const found = matchCommand(argv);
  if (!found) {
    io.stderr.write(`anymount: unknown command '${argv[0]}'\nRun 'anymount --help' for the list of commands.\n`);
    return EXIT.USAGE;
  }
  const { command, rest } = found;
  // -h is help unless the command uses it (ls -h, du -h: human-readable sizes).
  const hIsHelp = !Object.values(command.options).some((o) => o.short === 'h');
  if (rest.includes('--help') || (hIsHelp && rest.includes('-h'))) {
    io.stdout.write(commandHelp(command));
    return EXIT.OK;
  }
  try {
    const parsed = parseArgs({ args: command.rewriteArgs ? command.rewriteArgs(rest) : rest, options: command.options, allowPositionals: true, strict: true });
    return await command.run(parsed as { values: Record<string, unknown>; positionals: string[] }, io);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`anymount ${command.name}: ${(e as Error).message}\nUsage: ${command.usage}\n`);
      return EXIT.USAGE;
    }
    printError(io, e);
    return EXIT.FAILURE;
  }
}

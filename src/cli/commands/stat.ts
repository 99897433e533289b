/** `anymount stat`: a file's metadata inside an image, like stat(1). */
import type { BigIntStats } from '../../api/stats.js';
import { devMajor, devMinor, fileTypeOf, modeString } from '../../fs/mode.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { quoteName, statJson } from '../listing.js';
import { printJson } from '../output.js';
import { forEachPath, SOURCE_HELP, SOURCE_OPTIONS } from '../source.js';

const TYPE_WORDS: Record<string, string> = {
  file: 'regular file',
  directory: 'directory',
  symlink: 'symbolic link',
  char: 'character special file',
  block: 'block special file',
  fifo: 'fifo',
  socket: 'socket',
};

export const statCommand: Command = {
  name: 'stat',
  summary: "show a file's metadata inside an image",
  usage: 'anymount stat [-L] [--json] SOURCE[:pN]:/path…',
  help: `Prints what stat(1) prints: size, blocks, inode, links, mode, owner,
and the four times with nanoseconds (birth time where the format keeps it).

  -L, --dereference   follow a symlink
  --json              the same facts as a stable structure

${SOURCE_HELP}`,
  options: { dereference: { type: 'boolean', short: 'L' }, json: { type: 'boolean' }, ...SOURCE_OPTIONS },
  async run({ values, positionals }, io) {
    if (positionals.length === 0) throw new UsageError('stat needs at least one SOURCE:/path');
    const out: Record<string, unknown>[] = [];
    const failed = await forEachPath(positionals, values, false, io, async (fs, a) => {
      const st = values.dereference ? await fs.stat(a.path, { bigint: true }) : await fs.lstat(a.path, { bigint: true });
      const target = st.isSymbolicLink() ? await fs.readlink(a.path) : undefined;
      if (values.json) out.push(statJson(a.path, st, target));
      else io.stdout.write(formatStat(a.path, st, target));
    });
    if (values.json) printJson(io, out);
    return failed ? EXIT.FAILURE : EXIT.OK;
  },
};

function stamp(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const frac = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, '0');
  const off = -d.getTimezoneOffset();
  const tz = `${off >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${frac} ${tz}`;
}

export function formatStat(path: string, st: BigIntStats, target?: string): string {
  const mode = Number(st.mode);
  const type = TYPE_WORDS[fileTypeOf(mode) ?? ''] ?? 'unknown';
  const isDev = st.isCharacterDevice() || st.isBlockDevice();
  const lines = [
    `  File: ${quoteName(path)}${target !== undefined ? ` -> ${quoteName(target)}` : ''}`,
    `  Size: ${String(st.size).padEnd(15)} Blocks: ${String(st.blocks).padEnd(10)} IO Block: ${String(st.blksize).padEnd(6)} ${type}`,
    `Device: ${String(st.dev)}\tInode: ${String(st.ino).padEnd(11)} Links: ${st.nlink}${isDev ? `     Device type: ${devMajor(Number(st.rdev))},${devMinor(Number(st.rdev))}` : ''}`,
    `Access: (${(mode & 0o7777).toString(8).padStart(4, '0')}/${modeString(mode)})  Uid: (${st.uid})   Gid: (${st.gid})`,
    `Access: ${stamp(st.atimeNs)}`,
    `Modify: ${stamp(st.mtimeNs)}`,
    `Change: ${stamp(st.ctimeNs)}`,
    ` Birth: ${st.birthtimeNs !== 0n ? stamp(st.birthtimeNs) : '-'}`,
  ];
  return lines.join('\n') + '\n';
}

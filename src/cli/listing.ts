/**
 * Output the way ls(1), stat(1) and du(1) print it, plus one JSON shape for
 * a file's metadata that every command's `--json` shares.
 */
import type { BigIntStats } from '../api/stats.js';
import { modeString, devMajor, devMinor, fileTypeOf } from '../fs/mode.js';

/** `ls -h` / `du -h` sizes: 1024-based, one decimal below 10 ("4.0K", "12K", "1.5M"). */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return String(bytes);
  const units = ['K', 'M', 'G', 'T', 'P', 'E'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  // Like GNU: round up, so a size is never shown smaller than it is.
  const shown = v < 10 ? Math.ceil(v * 10) / 10 : Math.ceil(v);
  if (shown >= 1024 && u < units.length - 1) return `1.0${units[u + 1]}`;
  return v < 10 ? `${shown.toFixed(1)}${units[u]}` : `${shown}${units[u]}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SIX_MONTHS_MS = 182.5 * 86400 * 1000;

/** ls -l time: "Nov 21 21:45" within six months of now, "Jan  2  2024" otherwise (local time, as ls shows it). */
export function lsTime(ms: number, now = Date.now()): string {
  // Whole listings share a handful of minutes: format each one once.
  const key = Math.floor(ms / 60000);
  const recent = ms <= now && now - ms < SIX_MONTHS_MS;
  const memo = (recent ? recentTimes : oldTimes).get(key);
  if (memo !== undefined) return memo;
  const d = new Date(ms);
  let out: string;
  if (Number.isNaN(d.getTime())) out = '?            ';
  else {
    const day = String(d.getDate()).padStart(2, ' ');
    const tail = recent ? `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}` : ` ${d.getFullYear()}`;
    out = `${MONTHS[d.getMonth()]} ${day} ${tail.padStart(5, ' ')}`;
  }
  const cache = recent ? recentTimes : oldTimes;
  if (cache.size > 4096) cache.clear();
  cache.set(key, out);
  return out;
}

const recentTimes = new Map<number, string>();
const oldTimes = new Map<number, string>();

export interface LongRow {
  stat: BigIntStats;
  name: string;
  target?: string;
}

/** ls -l lines (numeric owners, like ls -n), columns padded to the widest value. */
export function formatLong(rows: LongRow[], human: boolean): string[] {
  const cols = rows.map((r) => {
    const st = r.stat;
    const isDev = st.isCharacterDevice() || st.isBlockDevice();
    const size = isDev ? `${devMajor(Number(st.rdev))}, ${devMinor(Number(st.rdev))}` : human ? humanSize(Number(st.size)) : String(st.size);
    return [modeString(Number(st.mode)), String(st.nlink), String(st.uid), String(st.gid), size, lsTime(Number(st.mtimeMs))];
  });
  const width = (i: number) => Math.max(0, ...cols.map((c) => c[i]!.length));
  const w = [0, 1, 2, 3, 4].map(width);
  return rows.map((r, k) => {
    const c = cols[k]!;
    const name = r.target !== undefined ? `${quoteName(r.name)} -> ${quoteName(r.target)}` : quoteName(r.name);
    return `${c[0]} ${c[1]!.padStart(w[1]!)} ${c[2]!.padStart(w[2]!)} ${c[3]!.padStart(w[3]!)} ${c[4]!.padStart(w[4]!)} ${c[5]} ${name}`;
  });
}

/** Names with control characters would drive the terminal: show them escaped, as ls does (in shell-escape style). */
export function quoteName(name: string): string {
  if (!/[\u0000-\u001f\u007f-\u009f]/.test(name)) return name;
  return `$'${name.replace(/[\u0000-\u001f\u007f-\u009f\\']/g, (c) => (c === '\\' || c === "'" ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))}'`;
}

/** ls -C: names in columns, filled top to bottom, fitting `width`. */
export function formatColumns(names: string[], width: number): string[] {
  if (names.length === 0) return [];
  const shown = names.map(quoteName);
  const lens = shown.map((n) => [...n].length);
  for (let cols = Math.min(shown.length, Math.max(1, Math.floor(width / 3))); cols >= 1; cols--) {
    const rows = Math.ceil(shown.length / cols);
    const colWidths: number[] = [];
    for (let c = 0; c < cols; c++) colWidths.push(Math.max(0, ...lens.slice(c * rows, (c + 1) * rows)));
    const total = colWidths.reduce((a, b) => a + b, 0) + 2 * (cols - 1);
    if (total > width && cols > 1) continue;
    const lines: string[] = [];
    for (let r = 0; r < rows; r++) {
      let line = '';
      for (let c = 0; c < cols; c++) {
        const i = c * rows + r;
        if (i >= shown.length) break;
        const last = c === cols - 1 || (c + 1) * rows + r >= shown.length;
        line += last ? shown[i] : shown[i]! + ' '.repeat(colWidths[c]! - lens[i]! + 2);
      }
      lines.push(line);
    }
    return lines;
  }
  return shown;
}

/** "2024-01-02T15:04:05.123456789Z": ISO 8601 with all nine digits. */
function isoNs(ns: bigint): string {
  let sec = ns / 1_000_000_000n;
  let frac = ns % 1_000_000_000n;
  if (frac < 0n) {
    frac += 1_000_000_000n;
    sec -= 1n;
  }
  const d = new Date(Number(sec) * 1000);
  if (Number.isNaN(d.getTime())) return `@${sec}.${frac.toString().padStart(9, '0')}`;
  return `${d.toISOString().slice(0, 19)}.${frac.toString().padStart(9, '0')}Z`;
}

/** The JSON form of a file's metadata, shared by ls, stat, find and tree. */
export function statJson(path: string, st: BigIntStats, target?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    path,
    type: fileTypeOf(Number(st.mode)) ?? 'unknown',
    mode: Number(st.mode) & 0o7777,
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: Number(st.size),
    blocks: Number(st.blocks),
    ino: Number(st.ino),
    atime: isoNs(st.atimeNs),
    mtime: isoNs(st.mtimeNs),
    ctime: isoNs(st.ctimeNs),
  };
  if (st.birthtimeNs !== 0n) out.btime = isoNs(st.birthtimeNs);
  if (st.isCharacterDevice() || st.isBlockDevice()) out.rdev = { major: devMajor(Number(st.rdev)), minor: devMinor(Number(st.rdev)) };
  if (target !== undefined) out.target = target;
  return out;
}

/**
 * The few syscalls node:fs lacks, made through perl's syscall(): renameat2
 * with flags, mknodat, the xattr calls and utimensat with exact
 * nanoseconds, UTIME_NOW and UTIME_OMIT. Each returns the kernel's answer
 * or throws an Error whose `code` is the errno name.
 */
import { spawnSync } from 'node:child_process';
import { ERRNO } from '../../../src/errors.js';

const NAMES = new Map<number, string>(Object.entries(ERRNO).map(([k, v]) => [v, k]));
const UTIME_NOW = (1 << 30) - 1;
const UTIME_OMIT = (1 << 30) - 2;

/** Runs `body` in perl with syscall.ph loaded; it prints "ok <result>" or "err <errno>". */
function perl(body: string, args: Array<string | number>, input = ''): string {
  const script = `require 'syscall.ph'; my @a = @ARGV; ${body}`;
  const r = spawnSync('perl', ['-e', script, '--', ...args.map(String)], { encoding: 'latin1', input });
  if (r.status !== 0) throw new Error(`perl failed: ${r.stderr}`);
  const out = r.stdout;
  if (out.startsWith('err ')) {
    const n = Number(out.slice(4).trim());
    const err = new Error(`${NAMES.get(n) ?? n}`) as Error & { code?: string; errno?: number };
    err.code = NAMES.get(n) ?? `E${n}`;
    err.errno = -n;
    throw err;
  }
  if (!out.startsWith('ok')) throw new Error(`perl: unexpected output ${out}`);
  return out.slice(3);
}

const RESULT = `if ($r < 0) { print "err ", 0 + $!; } else { print "ok $r"; }`;

export function renameat2(from: string, to: string, flags: number): void {
  perl(`my $r = syscall(&SYS_renameat2, -100, $a[0], -100, $a[1], $a[2] + 0); ${RESULT}`, [from, to, flags]);
}

export function mknod(path: string, mode: number, rdev: number): void {
  perl(`my $r = syscall(&SYS_mknodat, -100, $a[0], $a[1] + 0, $a[2] + 0); ${RESULT}`, [path, mode, rdev]);
}

export function setxattr(path: string, name: string, value: Uint8Array, flags: number, nofollow: boolean): void {
  // The value goes through stdin: as an argument, 64 KiB in hex exceeds Linux's 128 KiB limit per argument.
  const hex = Buffer.from(value).toString('hex');
  const call = nofollow ? 'SYS_lsetxattr' : 'SYS_setxattr';
  perl(`my $h = do { local $/; <STDIN> }; my $v = pack('H*', $h); my $r = syscall(&${call}, $a[0], $a[1], $v, length($v), $a[2] + 0); ${RESULT}`, [path, name, flags], hex);
}

export function getxattr(path: string, name: string, nofollow: boolean): Uint8Array {
  const call = nofollow ? 'SYS_lgetxattr' : 'SYS_getxattr';
  const out = perl(
    `my $b = "\\0" x 65536; my $r = syscall(&${call}, $a[0], $a[1], $b, 65536); if ($r < 0) { print "err ", 0 + $!; } else { print "ok ", unpack('H*', substr($b, 0, $r)); }`,
    [path, name],
  );
  return new Uint8Array(Buffer.from(out.trim(), 'hex'));
}

export function listxattr(path: string, nofollow: boolean): string[] {
  const call = nofollow ? 'SYS_llistxattr' : 'SYS_listxattr';
  const out = perl(
    `my $b = "\\0" x 65536; my $r = syscall(&${call}, $a[0], $b, 65536); if ($r < 0) { print "err ", 0 + $!; } else { print "ok ", unpack('H*', substr($b, 0, $r)); }`,
    [path],
  );
  const raw = Buffer.from(out.trim(), 'hex').toString('utf8');
  return raw.split('\0').filter((s) => s.length > 0);
}

export function removexattr(path: string, name: string, nofollow: boolean): void {
  const call = nofollow ? 'SYS_lremovexattr' : 'SYS_removexattr';
  perl(`my $r = syscall(&${call}, $a[0], $a[1]); ${RESULT}`, [path, name]);
}

function timespecArgs(t: bigint | 'now' | 'omit'): [string, string] {
  if (t === 'now') return ['0', String(UTIME_NOW)];
  if (t === 'omit') return ['0', String(UTIME_OMIT)];
  let sec = t / 1_000_000_000n;
  let nsec = t % 1_000_000_000n;
  if (nsec < 0n) {
    nsec += 1_000_000_000n;
    sec -= 1n;
  }
  return [String(sec), String(nsec)];
}

export function utimensat(path: string, atime: bigint | 'now' | 'omit', mtime: bigint | 'now' | 'omit', nofollow: boolean): void {
  const [as, an] = timespecArgs(atime);
  const [ms, mn] = timespecArgs(mtime);
  perl(
    `my $ts = pack('q q q q', $a[1], $a[2], $a[3], $a[4]); my $r = syscall(&SYS_utimensat, -100, $a[0], $ts, $a[5] + 0); ${RESULT}`,
    [path, as, an, ms, mn, nofollow ? 0x100 : 0],
  );
}

/** truncate(2) itself: node's truncate opens the file and calls ftruncate, which always updates the times. */
export function truncate(path: string, length: number): void {
  perl(`my $r = truncate($a[0], $a[1] + 0) ? 0 : -1; ${RESULT}`, [path, length]);
}

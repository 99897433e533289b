/**
 * The few syscalls node:fs lacks, made through perl's syscall(): renameat2
 * with flags, mknodat, truncate(2) itself (node's truncate opens the file
 * and calls ftruncate, which always updates the times), the xattr calls,
 * and utimensat with exact nanoseconds, UTIME_NOW and UTIME_OMIT.
 *
 * One perl process per Node process serves them all over a pipe (starting
 * perl with syscall.ph costs ~25 ms, too much per call). It inherits the
 * credentials of the process that starts it, so a worker that dropped to
 * another user gets a perl that did too. Each call returns the kernel's
 * answer or throws an Error whose `code` is the errno name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ERRNO } from '../../../src/errors.js';

const NAMES = new Map<number, string>(Object.entries(ERRNO).map(([k, v]) => [v, k]));
const UTIME_NOW = (1 << 30) - 1;
const UTIME_OMIT = (1 << 30) - 2;

// Requests: one line, fields separated by tabs, strings hex-encoded. Replies: "ok <hex>" or "err <errno>".
const SERVER = String.raw`
require 'syscall.ph';
$| = 1;
sub hx { return pack('H*', $_[0]); }
sub done { my ($r, $out) = @_; if ($r < 0) { print "err ", 0 + $!, "\n"; } else { print "ok ", unpack('H*', defined $out ? $out : ''), "\n"; } }
while (my $line = <STDIN>) {
  chomp $line;
  my ($op, @a) = split /\t/, $line, -1;
  if ($op eq 'renameat2') { done(syscall(&SYS_renameat2, -100, hx($a[0]), -100, hx($a[1]), $a[2] + 0)); }
  elsif ($op eq 'mknod') { done(syscall(&SYS_mknodat, -100, hx($a[0]), $a[1] + 0, $a[2] + 0)); }
  elsif ($op eq 'truncate') { done(truncate(hx($a[0]), $a[1] + 0) ? 0 : -1); }
  elsif ($op eq 'setxattr') { my $v = hx($a[2]); done(syscall($a[4] ? &SYS_lsetxattr : &SYS_setxattr, hx($a[0]), hx($a[1]), $v, length($v), $a[3] + 0)); }
  elsif ($op eq 'getxattr') { my $b = "\0" x 65536; my $r = syscall($a[2] ? &SYS_lgetxattr : &SYS_getxattr, hx($a[0]), hx($a[1]), $b, 65536); done($r, $r >= 0 ? substr($b, 0, $r) : ''); }
  elsif ($op eq 'listxattr') { my $b = "\0" x 65536; my $r = syscall($a[1] ? &SYS_llistxattr : &SYS_listxattr, hx($a[0]), $b, 65536); done($r, $r >= 0 ? substr($b, 0, $r) : ''); }
  elsif ($op eq 'removexattr') { done(syscall($a[2] ? &SYS_lremovexattr : &SYS_removexattr, hx($a[0]), hx($a[1]))); }
  elsif ($op eq 'utimensat') { my $ts = pack('q q q q', $a[1], $a[2], $a[3], $a[4]); done(syscall(&SYS_utimensat, -100, hx($a[0]), $ts, $a[5] + 0)); }
  else { print "err 38\n"; }
}
`;

class PerlServer {
  private readonly child: ChildProcess;
  private readonly waiting: Array<{ resolve: (v: Buffer) => void; reject: (e: Error) => void }> = [];

  constructor() {
    this.child = spawn('perl', ['-e', SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.unref();
    this.idle();
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const w = this.waiting.shift();
      if (this.waiting.length === 0) this.idle();
      if (!w) return;
      if (line.startsWith('ok ')) w.resolve(Buffer.from(line.slice(3), 'hex'));
      else {
        const n = Number(line.slice(4));
        w.reject(Object.assign(new Error(NAMES.get(n) ?? `errno ${n}`), { code: NAMES.get(n) ?? `E${n}`, errno: -n }));
      }
    });
  }

  /** Nothing pending: the perl process must not keep the test process alive. */
  private idle(): void {
    (this.child.stdout as unknown as { unref?: () => void }).unref?.();
    (this.child.stdin as unknown as { unref?: () => void }).unref?.();
  }

  call(op: string, args: Array<string | number | Uint8Array>): Promise<Buffer> {
    const fields = args.map((a) => (typeof a === 'number' ? String(a) : Buffer.from(a).toString('hex')));
    (this.child.stdout as unknown as { ref?: () => void }).ref?.();
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin!.write([op, ...fields].join('\t') + '\n');
    });
  }
}

let server: PerlServer | undefined;
const perl = (op: string, args: Array<string | number | Uint8Array>): Promise<Buffer> => (server ??= new PerlServer()).call(op, args);

export async function renameat2(from: string, to: string, flags: number): Promise<void> {
  await perl('renameat2', [from, to, flags]);
}

export async function mknod(path: string, mode: number, rdev: number): Promise<void> {
  await perl('mknod', [path, mode, rdev]);
}

export async function truncate(path: string, length: number): Promise<void> {
  await perl('truncate', [path, length]);
}

export async function setxattr(path: string, name: string, value: Uint8Array, flags: number, nofollow: boolean): Promise<void> {
  await perl('setxattr', [path, name, value, flags, nofollow ? 1 : 0]);
}

export async function getxattr(path: string, name: string, nofollow: boolean): Promise<Uint8Array> {
  return new Uint8Array(await perl('getxattr', [path, name, nofollow ? 1 : 0]));
}

export async function listxattr(path: string, nofollow: boolean): Promise<string[]> {
  const raw = (await perl('listxattr', [path, nofollow ? 1 : 0])).toString('utf8');
  return raw.split('\0').filter((s) => s.length > 0);
}

export async function removexattr(path: string, name: string, nofollow: boolean): Promise<void> {
  await perl('removexattr', [path, name, nofollow ? 1 : 0]);
}

function timespecArgs(t: bigint | 'now' | 'omit'): [number, number] {
  if (t === 'now') return [0, UTIME_NOW];
  if (t === 'omit') return [0, UTIME_OMIT];
  let sec = t / 1_000_000_000n;
  let nsec = t % 1_000_000_000n;
  if (nsec < 0n) {
    nsec += 1_000_000_000n;
    sec -= 1n;
  }
  return [Number(sec), Number(nsec)];
}

export async function utimensat(path: string, atime: bigint | 'now' | 'omit', mtime: bigint | 'now' | 'omit', nofollow: boolean): Promise<void> {
  await perl('utimensat', [path, ...timespecArgs(atime), ...timespecArgs(mtime), nofollow ? 0x100 : 0]);
}

/**
 * The two libc calls Node lacks for receiving a descriptor: socketpair(2)
 * and recvmsg(2) with SCM_RIGHTS, through koffi (an FFI package with
 * prebuilt binaries, so nothing is compiled at install time). Loaded
 * lazily: only unprivileged mounts need it.
 */
import { createRequire } from 'node:module';
import { FsError } from '../../errors.js';

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
/** CMSG_SPACE(sizeof(int)) on 64-bit Linux: a 16-byte cmsghdr, 4 bytes of fd, padding to 8. */
const CONTROL_SIZE = 24;

interface Libc {
  socketpair(domain: number, type: number, protocol: number, sv: Int32Array): number;
  recvmsg(fd: number, msg: Record<string, unknown>, flags: number): number;
  close(fd: number): number;
  poll(fds: Int16Array, n: number, timeout: number): number;
  errno(): number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  let koffi: any;
  try {
    koffi = createRequire(import.meta.url)('koffi');
  } catch (e) {
    throw new FsError('ENOSYS', `fuse: mounting as a user needs the koffi package: ${(e as Error).message}`);
  }
  const lib = koffi.load('libc.so.6');
  const iovec = koffi.struct('anymount_iovec', { iov_base: 'void *', iov_len: 'size_t' });
  const msghdr = koffi.struct('anymount_msghdr', {
    msg_name: 'void *', msg_namelen: 'uint32_t', msg_iov: koffi.pointer(iovec), msg_iovlen: 'size_t',
    msg_control: 'void *', msg_controllen: 'size_t', msg_flags: 'int',
  });
  const errnoLoc = lib.func('int *__errno_location()');
  libc = {
    socketpair: lib.func('int socketpair(int, int, int, _Out_ int *sv)'),
    recvmsg: lib.func('recvmsg', 'intptr_t', ['int', koffi.inout(koffi.pointer(msghdr)), 'int']),
    close: lib.func('int close(int)'),
    // struct pollfd is { int fd; short events; short revents; }: passed as 4 shorts.
    poll: lib.func('int poll(_Inout_ int16_t *fds, unsigned long n, int timeout)'),
    errno: () => koffi.decode(errnoLoc(), 'int'),
  };
  return libc;
}

/** A connected pair of unix stream sockets (close-on-exec). */
export function socketPair(): [number, number] {
  const c = load();
  const sv = new Int32Array(2);
  if (c.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) !== 0) throw new FsError('EIO', `fuse: socketpair failed (errno ${c.errno()})`);
  return [sv[0]!, sv[1]!];
}

/**
 * Waits for one message on `sock` and returns the descriptor it carries.
 * Blocking: call it once the sender has sent (or exited).
 */
export function receiveFd(sock: number): number {
  const c = load();
  const data = new Uint8Array(1);
  const control = new Uint8Array(CONTROL_SIZE);
  const msg: Record<string, unknown> = {
    msg_name: null, msg_namelen: 0, msg_iov: [{ iov_base: data, iov_len: 1 }], msg_iovlen: 1,
    msg_control: control, msg_controllen: CONTROL_SIZE, msg_flags: 0,
  };
  const n = c.recvmsg(sock, msg, 0);
  if (n < 0) throw new FsError('EIO', `fuse: recvmsg failed (errno ${c.errno()})`);
  if (n === 0) throw new FsError('EIO', 'fuse: fusermount3 closed the socket without sending a descriptor');
  const v = new DataView(control.buffer);
  const len = Number(v.getBigUint64(0, true));
  if (len < 20 || v.getInt32(8, true) !== SOL_SOCKET || v.getInt32(12, true) !== SCM_RIGHTS) {
    throw new FsError('EIO', 'fuse: fusermount3 sent no descriptor');
  }
  return v.getInt32(16, true);
}

const POLLIN = 1;

/** True if data (or hang-up) is waiting on `fd`: poll(2) with a zero timeout. */
export function pollIn(fd: number): boolean {
  const c = load();
  const pfd = new Int16Array(4);
  new DataView(pfd.buffer).setInt32(0, fd, true);
  pfd[2] = POLLIN;
  return c.poll(pfd, 1, 0) > 0 && pfd[3] !== 0;
}

export function closeFd(fd: number): void {
  load().close(fd);
}

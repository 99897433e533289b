/** `anymount mount`, `list` and `unmount`: mounts as directories, one background process each. */
import { closeSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { FsError, toFsError } from '../../errors.js';
import { startBackgroundMount, type ReadyMessage } from '../../conductor/spawn.js';
import { findRecord, kernelMounts, listRecords, logPath, processAlive, removeRecord } from '../../conductor/state.js';
import { unmountPath } from '../../node/fuse/unmount.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { printError, printJson } from '../output.js';
import { parseDriverOptions, SOURCE_HELP, SOURCE_OPTIONS } from '../source.js';

function intOption(v: unknown, what: string, radix = 10): number | undefined {
  if (v === undefined) return undefined;
  const n = parseInt(String(v), radix);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`bad ${what} '${v}'`);
  return n;
}

export const mountCommand: Command = {
  name: 'mount',
  summary: 'mount an image (or one partition of it) as a directory',
  usage: 'anymount mount [--rw] [--overlay FILE.qcow2|memory] [--uid N] [--gid N] [--umask MASK] [--allow-other] [--foreground] SOURCE[:pN] MOUNTPOINT',
  help: `Mounts the filesystem SOURCE holds on MOUNTPOINT through FUSE, as any user
(no root needed), and returns once it is ready. Each mount is served by its
own background process; 'anymount list' shows them, 'anymount unmount'
(or plain umount / fusermount3 -u) ends them.

Read-only unless --rw. With --rw the image itself is changed, which needs a
driver that can write (FAT); to write without changing the image:
  --overlay FILE.qcow2  writes go to FILE.qcow2, a qcow2 overlay of the image
                        (made if missing, reused if present); writable drivers
  --overlay memory      writes go to memory and vanish at unmount; any driver

  --rw                  mount read-write
  --uid N, --gid N      show every file as owned by N (default: the image's
                        owners, or you for FAT/ISO without owners)
  --umask MASK          clear these permission bits (octal)
  --allow-other         let other users in (needs user_allow_other in /etc/fuse.conf)
  --foreground          serve in this process until unmounted (Ctrl-C unmounts)
  --debug               log every FUSE request (with --foreground: to stderr)

${SOURCE_HELP}

Examples:
  anymount mount disk.qcow2:p2 ~/mnt
  anymount mount --rw floppy.img /mnt/floppy
  anymount mount --rw --overlay memory cd.iso ~/scratch`,
  options: {
    rw: { type: 'boolean' },
    overlay: { type: 'string' },
    uid: { type: 'string' },
    gid: { type: 'string' },
    umask: { type: 'string' },
    'allow-other': { type: 'boolean' },
    foreground: { type: 'boolean' },
    debug: { type: 'boolean' },
    'ready-fd': { type: 'string' },
    log: { type: 'string' },
    ...SOURCE_OPTIONS,
  },
  async run({ values, positionals }, io) {
    if (positionals.length !== 2) throw new UsageError('mount takes SOURCE and MOUNTPOINT');
    const [source, mountpoint] = positionals as [string, string];
    const uid = intOption(values.uid, '--uid');
    const gid = intOption(values.gid, '--gid');
    const umask = intOption(values.umask, '--umask', 8);
    if (!values.foreground) {
      // Everything but the background-only flags goes to the child as given.
      const args: string[] = [];
      for (const [k, v] of Object.entries(values)) {
        if (k === 'foreground' || k === 'ready-fd' || k === 'log') continue;
        if (v === true) args.push(`--${k}`);
        else if (Array.isArray(v)) for (const x of v) args.push(`--${k}`, String(x));
        else if (typeof v === 'string') args.push(`--${k}`, v);
      }
      await startBackgroundMount([...args, '--', source, mountpoint], mountpoint);
      return EXIT.OK;
    }
    const readyFd = intOption(values['ready-fd'], '--ready-fd');
    const tell = (m: ReadyMessage) => {
      if (readyFd === undefined) return;
      try {
        writeSync(readyFd, JSON.stringify(m) + '\n');
        closeSync(readyFd);
      } catch {
        // the parent went away; keep serving
      }
    };
    const driverOptions = parseDriverOptions(values['fs-option']);
    try {
      // The FUSE host, overlays and memfs load only when a mount is served.
      const { serveMount } = await import('../../conductor/serve.js');
      await serveMount({
        source,
        mountpoint,
        rw: !!values.rw,
        ...(typeof values.fs === 'string' ? { type: values.fs } : {}),
        ...(typeof values.format === 'string' ? { format: values.format } : {}),
        ...(driverOptions ? { driverOptions } : {}),
        ...(typeof values.overlay === 'string' ? { overlay: values.overlay } : {}),
        ...(uid !== undefined ? { uid } : {}),
        ...(gid !== undefined ? { gid } : {}),
        ...(umask !== undefined ? { umask } : {}),
        ...(values['allow-other'] ? { allowOther: true } : {}),
        ...(values.debug ? { debug: (line: string) => io.stderr.write(line + '\n') } : {}),
        log: typeof values.log === 'string' ? values.log : logPath(resolve(mountpoint)),
        onReady: (record) => tell({ ok: true, record }),
      });
      return EXIT.OK;
    } catch (e) {
      const err = toFsError(e);
      tell({ ok: false, code: err.code, message: err.message });
      throw err;
    }
  },
};

export const listCommand: Command = {
  name: 'list',
  summary: 'show the live mounts',
  usage: 'anymount list [--json]',
  help: `Lists every mount made by 'anymount mount' for this user: mountpoint,
source, filesystem, ro/rw, the serving process and how long it has run.
Mounts whose process died are cleaned up (the dead FUSE mount is detached)
and not shown.

  --json    an array of { mountpoint, source, type, rw, overlay, pid, started, log }`,
  options: { json: { type: 'boolean' } },
  async run({ values }, io) {
    const live = await liveMounts(io);
    if (values.json) {
      printJson(io, live.map(({ alive: _a, ...r }) => r));
      return EXIT.OK;
    }
    if (live.length === 0) return EXIT.OK;
    const rows = live.map((r) => [r.mountpoint, r.source, r.type, r.rw ? (r.overlay ? `rw (overlay ${r.overlay})` : 'rw') : 'ro', String(r.pid), uptime(Date.now() - r.started)]);
    const head = ['MOUNTPOINT', 'SOURCE', 'TYPE', 'MODE', 'PID', 'UPTIME'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [head, ...rows]) io.stdout.write(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ') + '\n');
    return EXIT.OK;
  },
};

/** Records of live mounts; stale ones (process gone) are torn down and removed on the way. */
async function liveMounts(io: { stderr: NodeJS.WritableStream }): Promise<Array<Awaited<ReturnType<typeof listRecords>>[number]>> {
  const records = await listRecords();
  const kernel = await kernelMounts();
  const live = [];
  for (const r of records) {
    if (r.alive && kernel.has(r.mountpoint)) {
      live.push(r);
      continue;
    }
    // Stale: the process is gone or its mount is.
    if (kernel.get(r.mountpoint)?.startsWith('fuse')) await unmountPath(r.mountpoint, { lazy: true }).catch(() => {});
    await removeRecord(r.mountpoint);
    io.stderr.write(`anymount: cleaned up stale mount ${r.mountpoint} (process ${r.pid} ${r.alive ? 'no longer mounted' : 'gone'})\n`);
  }
  return live;
}

function uptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

export const unmountCommand: Command = {
  name: 'unmount',
  summary: 'unmount a mount made by anymount mount',
  usage: 'anymount unmount [--lazy] MOUNTPOINT… | anymount unmount -a',
  help: `Unmounts and waits for the serving process to flush and exit. Like
umount(8), a mount with files still open is busy (exit 1) unless --lazy,
which detaches it now and lets it go when the last file closes.

  -a, --all    unmount every mount 'anymount list' shows
  -l, --lazy   detach now even if busy
  --timeout S  how long to wait for the serving process (default 30)`,
  options: { all: { type: 'boolean', short: 'a' }, lazy: { type: 'boolean', short: 'l' }, timeout: { type: 'string' } },
  async run({ values, positionals }, io) {
    if (values.all && positionals.length) throw new UsageError('give mountpoints or -a, not both');
    if (!values.all && positionals.length === 0) throw new UsageError('unmount needs a MOUNTPOINT (or -a)');
    const timeout = (intOption(values.timeout, '--timeout') ?? 30) * 1000;
    const targets = values.all ? (await liveMounts(io)).map((r) => r.mountpoint) : positionals.map((p) => resolve(p));
    let failed = false;
    for (const mp of targets) {
      try {
        const record = await findRecord(mp);
        const kernel = await kernelMounts();
        if (!kernel.has(mp)) {
          if (record) await removeRecord(mp);
          throw new FsError('EINVAL', `${mp}: not mounted`);
        }
        await unmountPath(mp, { lazy: !!values.lazy });
        if (record && !values.lazy) await waitForExit(record.pid, timeout, mp);
      } catch (e) {
        printError(io, e);
        failed = true;
      }
    }
    return failed ? EXIT.FAILURE : EXIT.OK;
  },
};

async function waitForExit(pid: number, timeoutMs: number, mp: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > end) throw new FsError('ETIMEDOUT', `${mp}: unmounted, but its process ${pid} is still flushing after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

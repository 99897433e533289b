/**
 * Starting a mount in the background: one detached process per mount (a
 * crash takes down only its own mount). The parent waits on a pipe until
 * the child says the mount is live or why it failed, so `anymount mount`
 * returns only when the mount works — or with the reason, and nothing left
 * behind.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FsError, ERRNO, type ErrnoCode } from '../errors.js';
import { ensureStateDir, logPath, type MountRecord } from './state.js';

/** What the child writes on fd 3: one JSON line. */
export type ReadyMessage = { ok: true; record: MountRecord } | { ok: false; code: string; message: string };

const CLI = fileURLToPath(new URL('../../../bin/anymount.js', import.meta.url));

/** Runs `anymount mount --foreground …args` detached and resolves with its record once mounted. */
export async function startBackgroundMount(args: string[], mountpoint: string, timeoutMs = 120_000): Promise<MountRecord> {
  await ensureStateDir();
  const log = logPath(mountpoint);
  const logFd = openSync(log, 'a', 0o600);
  const child = spawn(process.execPath, [CLI, 'mount', '--foreground', '--ready-fd', '3', '--log', log, ...args], {
    detached: true,
    stdio: ['ignore', logFd, logFd, 'pipe'],
    env: process.env,
  });
  closeSync(logFd);
  const pipe = child.stdio[3] as NodeJS.ReadableStream;
  let text = '';
  pipe.on('data', (d: Buffer) => (text += d.toString()));
  const outcome = await new Promise<ReadyMessage | undefined>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      resolve({ ok: false, code: 'ETIMEDOUT', message: `the mount did not come up within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      const line = text.split('\n').find((l) => l.trim() !== '');
      try {
        resolve(line ? (JSON.parse(line) as ReadyMessage) : undefined);
      } catch {
        resolve(undefined);
      }
    };
    pipe.on('end', finish);
    child.on('exit', () => setTimeout(finish, 50));
  });
  (pipe as unknown as { destroy?: () => void }).destroy?.();
  if (outcome?.ok) {
    child.unref();
    return outcome.record;
  }
  if (!outcome) {
    const tail = readTail(log);
    throw new FsError('EIO', `the mount process ended without mounting${tail ? `:\n${tail}` : ''}`);
  }
  const code = (outcome.code in ERRNO ? outcome.code : 'EIO') as ErrnoCode;
  throw new FsError(code, outcome.message);
}

function readTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}

/** Printing results and errors the Unix way: quiet on success, one line per error, `--json` for machines. */
import { FsError, describeErrno } from '../errors.js';
import type { CommandIo } from './command.js';

export function printJson(io: CommandIo, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** "anymount: disk.qcow2: qcow2: L2 table at offset … (EIO: input/output error)". */
export function printError(io: CommandIo, e: unknown): void {
  if (e instanceof FsError) {
    const where = e.path && !e.message.includes(e.path) ? `${e.path}: ` : '';
    io.stderr.write(`anymount: ${where}${e.message} (${e.code}: ${describeErrno(e.code)})\n`);
  } else if (e instanceof Error) {
    io.stderr.write(`anymount: ${e.message}\n`);
  } else {
    io.stderr.write(`anymount: ${String(e)}\n`);
  }
}

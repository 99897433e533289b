/**
 * A CLI command is data plus a run function: its name, a one-line summary,
 * usage and help text, and its options in `node:util` parseArgs form. The
 * table in main.ts lists them; help is generated from the same data.
 */
import type { ParseArgsConfig } from 'node:util';

export type OptionsSpec = NonNullable<ParseArgsConfig['options']>;

export interface CommandIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface Command {
  name: string;
  /** Words after `anymount` that select it when more than one (`overlay create`). */
  path?: string[];
  summary: string;
  usage: string;
  /** Longer help: what it does, examples, exit codes if special. */
  help: string;
  options: OptionsSpec;
  /** Turns spellings parseArgs cannot read (find's `-name`) into ones it can, before parsing. */
  rewriteArgs?(args: string[]): string[];
  run(args: { values: Record<string, unknown>; positionals: string[] }, io: CommandIo): Promise<number>;
}

/** Exit codes, documented in `anymount --help`. */
export const EXIT = {
  OK: 0,
  /** The operation failed: I/O error, corrupt or unsupported image, not found. */
  FAILURE: 1,
  /** The command line was wrong. */
  USAGE: 2,
} as const;

export class UsageError extends Error {}

/**
 * Errors across a worker thread's message port (structured clone keeps
 * neither the class nor extra fields): what the codec and extraction
 * workers send back for an error, and how the caller turns it back.
 */
import { FsError, type ErrnoCode } from '../errors.js';

export interface SerializedError {
  fsError: boolean;
  code: string;
  name: string;
  message: string;
}

export function serializeError(e: unknown): SerializedError {
  const err = e as Error;
  return {
    fsError: e instanceof FsError,
    code: typeof (e as FsError)?.code === 'string' ? (e as FsError).code : '',
    name: err?.name ?? 'Error',
    message: err?.message ?? String(e),
  };
}

/**
 * The error as thrown: an FsError keeps its errno; anything else stays a
 * plain Error (a host error keeps its `code`, a bug stays a bug).
 */
export function rebuildError(e: SerializedError): Error {
  if (e.fsError) return new FsError(e.code as ErrnoCode, e.message);
  const err = new Error(e.message) as Error & { code?: string };
  err.name = e.name;
  if (e.code) err.code = e.code;
  return err;
}

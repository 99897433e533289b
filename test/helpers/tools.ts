/** Running the real third-party tools that make test images and tell the truth about them. */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const found = new Map<string, boolean>();

/** True if `tool` is on PATH (or /sbin, /usr/sbin, which non-root PATHs often lack). */
export function hasTool(tool: string): boolean {
  let ok = found.get(tool);
  if (ok === undefined) {
    ok = spawnSync('sh', ['-c', `command -v "$1" >/dev/null 2>&1`, 'sh', tool], { env: toolEnv() }).status === 0;
    found.set(tool, ok);
  }
  return ok;
}

/**
 * A skip reason naming the missing tools, or undefined when all are there:
 * `test('…', { skip: needTools('qemu-img') }, …)`.
 */
export function needTools(...tools: string[]): string | undefined {
  const missing = tools.filter((t) => !hasTool(t));
  return missing.length ? `needs ${missing.join(', ')} (not installed)` : undefined;
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** A skip reason unless running as root. */
export function needRoot(what = 'this test'): string | undefined {
  return isRoot ? undefined : `${what} needs root (loop mounts)`;
}

export function toolEnv(): NodeJS.ProcessEnv {
  const path = process.env.PATH ?? '/usr/bin:/bin';
  return { ...process.env, PATH: `${path}:/usr/sbin:/sbin`, LC_ALL: 'C', TZ: 'UTC' };
}

/** Runs a tool, returning stdout as text; throws with its stderr on failure. */
export async function run(cmd: string, args: string[], options: { input?: string; cwd?: string; maxBuffer?: number } = {}): Promise<string> {
  if (options.input !== undefined) {
    const r = spawnSync(cmd, args, { input: options.input, cwd: options.cwd, env: toolEnv(), maxBuffer: options.maxBuffer ?? 256 << 20, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  }
  try {
    const { stdout } = await execFileP(cmd, args, { cwd: options.cwd, env: toolEnv(), maxBuffer: options.maxBuffer ?? 256 << 20, encoding: 'utf8' });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.stderr || err.message}`);
  }
}

/** Runs a tool and returns stdout as bytes. */
export async function runBytes(cmd: string, args: string[]): Promise<Buffer> {
  const { stdout } = await execFileP(cmd, args, { env: toolEnv(), maxBuffer: 1 << 30, encoding: 'buffer' });
  return stdout;
}

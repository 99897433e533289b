/**
 * Names from an image are data, not paths. Before one becomes a file name on
 * the host it must be a single, ordinary path component: never empty, '.',
 * '..', never containing '/', NUL or control characters (which break
 * terminals and scripts). Such names are rewritten, and the caller reports
 * every rewrite.
 */
import { utf8Length } from '../fs/names.js';

/** Why a name had to change, or undefined when it is safe as it is. */
export function unsafeNameReason(name: string): string | undefined {
  if (name === '') return 'empty name';
  if (name === '.' || name === '..') return `name '${name}'`;
  if (name.includes('/')) return "name contains '/'";
  if (name.includes('\0')) return 'name contains NUL';
  // C0 controls and DEL; C1 controls (U+0080–U+009F) too, since terminals act on them.
  if (/[\u0001-\u001f\u007f-\u009f]/.test(name)) return 'name contains control characters';
  if (utf8Length(name) > 255) return 'name longer than 255 bytes';
  return undefined;
}

/**
 * A safe stand-in for an unsafe name: '/' and controls become '_', '.' and
 * '..' become '_' and '__', over-long names are cut on a character boundary.
 * Always a single component no longer than 255 UTF-8 bytes.
 */
export function safeName(name: string): string {
  if (name === '') return '_';
  if (name === '.') return '_';
  if (name === '..') return '__';
  let s = name.replace(/[/\0\u0001-\u001f\u007f-\u009f]/g, '_');
  while (utf8Length(s) > 255) s = Array.from(s).slice(0, -1).join('');
  return s;
}

/** `name` made unique among `taken` by a `~N` suffix before any extension. */
export function uniqueName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  for (let i = 1; ; i++) {
    const candidate = `${stem}~${i}${ext}`;
    if (!taken.has(candidate)) return candidate;
  }
}

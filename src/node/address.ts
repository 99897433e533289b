/**
 * Addresses: `SOURCE[:SELECTOR…][:/path]` — `disk.qcow2`, `disk.qcow2:p2`,
 * `disk.qcow2:p2:/etc/fstab`, `https://host/disk.vmdk:p1:/`. Every command
 * takes the same syntax.
 *
 * File names may contain ':' themselves, so a local address is split where
 * the part before the colon exists, preferring the longest such file; a URL
 * is split at the first colon after its host.
 */
import { statSync } from 'node:fs';
import { FsError } from '../errors.js';
import { isUrl } from './open-image.js';

export interface Address {
  /** A path or URL naming the image. */
  source: string;
  /** Partition selectors, outermost first (['p2']). */
  selectors: string[];
  /** A path inside the filesystem, always absolute, when given. */
  path?: string;
}

const SELECTOR = /^p[1-9][0-9]*$/;

/** Parses the part after SOURCE: `p2:p1:/a/b`, `/a/b`, `p3`. */
function parseRest(rest: string): Pick<Address, 'selectors' | 'path'> | undefined {
  const selectors: string[] = [];
  let tail = rest;
  for (;;) {
    if (tail.startsWith('/')) return { selectors, path: tail };
    const colon = tail.indexOf(':');
    const head = colon < 0 ? tail : tail.slice(0, colon);
    if (!SELECTOR.test(head)) return undefined;
    selectors.push(head);
    if (colon < 0) return { selectors };
    tail = tail.slice(colon + 1);
  }
}

function defaultExists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

export function parseAddress(text: string, exists: (path: string) => boolean = defaultExists): Address {
  if (text === '') throw new FsError('EINVAL', 'empty address');
  if (isUrl(text)) {
    // Colons in a URL's scheme and host:port are not separators.
    const afterHost = text.indexOf('/', text.indexOf('://') + 3);
    if (afterHost >= 0) {
      for (let i = text.indexOf(':', afterHost); i >= 0; i = text.indexOf(':', i + 1)) {
        const rest = parseRest(text.slice(i + 1));
        if (rest) return { source: text.slice(0, i), ...rest };
      }
    }
    return { source: text, selectors: [] };
  }
  if (exists(text)) return { source: text, selectors: [] };
  const candidates: Address[] = [];
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) {
    if (i === 0) continue;
    const rest = parseRest(text.slice(i + 1));
    if (rest) candidates.push({ source: text.slice(0, i), ...rest });
  }
  // Longest existing source first: `a:p1` the file beats `a` with selector p1 only if it exists.
  for (const c of candidates.reverse()) if (exists(c.source)) return c;
  const guess = candidates.at(-1);
  throw new FsError('ENOENT', `${guess ? guess.source : text}: no such file`, { path: guess ? guess.source : text });
}

/** The address as text again (for messages): `disk.qcow2:p2:/etc`. */
export function formatAddress(a: Address): string {
  return [a.source, ...a.selectors, ...(a.path === undefined ? [] : [a.path])].join(':');
}

/** Driver options (`--fs-option name=value`), checked up front: a typo is EINVAL, not a silent default. */
import { FsError } from '../../errors.js';
import type { NameMapping } from './plain-names.js';
import type { Namespace } from './volume.js';

export interface Iso9660Options {
  /** Which tree to read; default: Rock Ridge, else Joliet, else plain ISO 9660. */
  namespace?: Namespace;
  /** Plain (and Joliet) names: 'normal' maps like Linux, 'off' keeps the stored identifier. */
  map?: NameMapping;
  /** 1-based session to read; default the last one. */
  session?: number;
  /** Show the El Torito boot images in a virtual '[BOOT]' directory (default true). */
  boot?: boolean;
}

export const ISO9660_OPTION_HELP: Readonly<Record<string, string>> = Object.freeze({
  namespace: "which directory tree to read: 'rockridge', 'joliet' or 'plain' (default: Rock Ridge if present, else Joliet, else plain)",
  map: "plain and Joliet names: 'normal' (default; like Linux: lower case, ';1' and a trailing '.' removed) or 'off' (names as stored)",
  session: 'which session of a multisession image to read, counting from 1 (default: the last one)',
  boot: "'on' (default) lists El Torito boot images in a virtual [BOOT] directory, 'off' hides it",
});

function bool(name: string, v: string | boolean): boolean {
  if (typeof v === 'boolean') return v;
  if (['on', 'yes', 'true', '1'].includes(v)) return true;
  if (['off', 'no', 'false', '0'].includes(v)) return false;
  throw new FsError('EINVAL', `iso9660: option ${name}=${v}: expected on or off`);
}

export function parseIso9660Options(raw: Record<string, string | boolean> = {}): Iso9660Options {
  const out: Iso9660Options = {};
  for (const [name, value] of Object.entries(raw)) {
    switch (name) {
      case 'namespace': {
        const v = String(value);
        if (v === 'auto') break;
        if (v !== 'rockridge' && v !== 'joliet' && v !== 'plain') {
          throw new FsError('EINVAL', `iso9660: option namespace=${v}: expected rockridge, joliet or plain`);
        }
        out.namespace = v;
        break;
      }
      case 'map': {
        const v = String(value);
        if (v !== 'normal' && v !== 'off') throw new FsError('EINVAL', `iso9660: option map=${v}: expected normal or off`);
        out.map = v;
        break;
      }
      case 'session': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw new FsError('EINVAL', `iso9660: option session=${String(value)}: expected a session number from 1`);
        out.session = n;
        break;
      }
      case 'boot':
        out.boot = bool(name, value);
        break;
      default:
        throw new FsError('EINVAL', `iso9660: unknown option '${name}' (known: ${Object.keys(ISO9660_OPTION_HELP).join(', ')})`);
    }
  }
  return out;
}

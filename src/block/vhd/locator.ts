/**
 * Where a differencing VHD's parent is: the parent locators in the dynamic
 * header, best first. W2ru (relative, UTF-16LE) and W2ku (absolute,
 * UTF-16LE) are what Windows writes; MacX holds a file:// URL in UTF-8;
 * the old ANSI Wi2r/Wi2k are read as Latin-1. The parent's Unicode name
 * (no path) is the last resort. Windows separators become '/'; the host
 * resolves and confines the names. Each distinct name is tried once.
 */
import { BinaryReader } from '../../binary/reader.js';
import { corrupt } from '../corrupt.js';
import { readStructure, type BlockDevice } from '../device.js';
import type { DynamicHeader } from './footer.js';

const PREFERENCE = ['W2ru', 'W2ku', 'MacX', 'Wi2r', 'Wi2k'];
/** A path longer than this is not a path (the locator's data space is a few sectors). */
const MAX_LOCATOR_BYTES = 65536;

export interface ParentCandidate {
  platformCode: string;
  name: string;
}

export async function parentCandidates(file: BlockDevice, h: DynamicHeader): Promise<ParentCandidate[]> {
  const out: ParentCandidate[] = [];
  const locators = [...h.parentLocators].filter((l) => PREFERENCE.includes(l.platformCode));
  locators.sort((a, b) => PREFERENCE.indexOf(a.platformCode) - PREFERENCE.indexOf(b.platformCode));
  for (const l of locators) {
    if (l.platformDataLength === 0) continue;
    if (l.platformDataLength > MAX_LOCATOR_BYTES) {
      throw corrupt('vhd', `parent locator ${l.platformCode}`, l.platformDataOffset, `data length ${l.platformDataLength} is absurd`);
    }
    const bytes = await readStructure(file, l.platformDataOffset, l.platformDataLength, `vhd: parent locator ${l.platformCode}`);
    const r = new BinaryReader(bytes, 'vhd parent locator');
    let name: string;
    if (l.platformCode === 'W2ru' || l.platformCode === 'W2ku') name = r.utf16le(0, bytes.length);
    else if (l.platformCode === 'MacX') name = fileUrlPath(r.utf8(0, bytes.length));
    else name = r.ascii(0, bytes.length);
    name = windowsToSlashes(name);
    if (name && !out.some((c) => c.name === name)) out.push({ platformCode: l.platformCode, name });
  }
  const last = windowsToSlashes(h.parentUnicodeName);
  if (last && !out.some((c) => c.name === last)) out.push({ platformCode: 'parentUnicodeName', name: last });
  return out;
}

function windowsToSlashes(p: string): string {
  let s = p.replace(/\\/g, '/');
  if (s.startsWith('./')) s = s.slice(2);
  return s;
}

function fileUrlPath(u: string): string {
  const m = /^file:\/\/(?:localhost)?(\/.*)$/i.exec(u);
  if (!m) return u;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return m[1]!;
  }
}

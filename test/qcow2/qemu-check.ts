/** `qemu-img check` as data: QEMU's own verdict on an image's metadata. */
import { spawnSync } from 'node:child_process';
import { toolEnv } from '../helpers/tools.js';

export interface QemuCheck {
  /** 0 consistent, 2 corruptions, 3 leaks only; other values: check failed. */
  status: number;
  corruptions: number;
  leaks: number;
  checkErrors: number;
  output: string;
}

export function qemuCheck(path: string): QemuCheck {
  const r = spawnSync('qemu-img', ['check', '--output=json', path], { env: toolEnv(), encoding: 'utf8' });
  let json: Record<string, number> = {};
  try {
    json = JSON.parse(r.stdout) as Record<string, number>;
  } catch {
    // no JSON: the check could not run
  }
  return {
    status: r.status ?? -1,
    corruptions: json.corruptions ?? 0,
    leaks: json.leaks ?? 0,
    checkErrors: json['check-errors'] ?? 0,
    output: `${r.stdout}${r.stderr}`,
  };
}

/**
 * Worker for HostWorkerTarget: drops to the given credentials (groups,
 * gid, then uid, as a login does), then runs HostOps calls read from stdin
 * (one JSON line each) and answers on stdout, so the kernel checks
 * permissions for that user.
 */
import { createInterface } from 'node:readline';
import { HostOps, decode, encode } from './host-target.js';

const [credsJson] = process.argv.slice(2);
const creds = JSON.parse(credsJson!) as { uid: number; gid: number; groups?: number[] };
process.setgroups!(creds.groups ?? []);
process.setgid!(creds.gid);
process.setuid!(creds.uid);

const byBase = new Map<string, HostOps>();
const rl = createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const { id, base, op, args } = decode(line) as { id: number; base: string; op: string; args: unknown[] };
  let ops = byBase.get(base);
  if (!ops) byBase.set(base, (ops = new HostOps(base)));
  let reply: string;
  try {
    reply = encode({ id, ok: (await (ops as unknown as Record<string, (...a: unknown[]) => unknown>)[op]!(...args)) ?? null });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    reply = encode({ id, err: err.code ?? 'EIO', message: err.message });
  }
  process.stdout.write(reply + '\n');
});
rl.on('close', () => process.exit(0));

/**
 * A throwaway nginx serving a directory on a free loopback port: a temp
 * prefix with its own config, no daemon, one process, so it runs as root
 * (CI) or as a normal user alike. `startNginx(dir)` → `{ url(name), stop() }`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTool, toolEnv } from './tools.js';

export interface NginxServer {
  readonly origin: string;
  /** URL of a file under the served directory. */
  url(name: string): string;
  stop(): Promise<void>;
}

/** A skip reason when nginx is missing, for `test(…, { skip: needNginx() })`. */
export function needNginx(): string | undefined {
  return hasTool('nginx') ? undefined : 'needs nginx (package nginx-light, not installed)';
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startNginx(root: string): Promise<NginxServer> {
  const prefix = await mkdtemp(join(tmpdir(), 'anymount-nginx-'));
  await mkdir(join(prefix, 'tmp'));
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    await writeFile(join(prefix, 'nginx.conf'), config(prefix, root, port));
    const child = spawn('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', 'stderr'], { env: toolEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    exited.then(() => running.delete(child));
    child.once('error', (e) => (stderr += String(e)));
    if (await waitForPort(port, exited)) {
      const origin = `http://127.0.0.1:${port}`;
      return {
        origin,
        url: (name: string) => `${origin}/${name.split('/').map(encodeURIComponent).join('/')}`,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            await exited;
          }
          await rm(prefix, { recursive: true, force: true });
        },
      };
    }
    child.kill('SIGKILL');
    await exited;
    lastError = stderr;
  }
  await rm(prefix, { recursive: true, force: true });
  throw new Error(`nginx did not start: ${lastError}`);
}

function config(prefix: string, root: string, port: number): string {
  // `user` matters only to a master process running as root; with master_process off it is ignored.
  return `daemon off;
master_process off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log stderr error;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** True once something accepts on the port; false if nginx exits first or 5 s pass. */
async function waitForPort(port: number, exited: Promise<void>): Promise<boolean> {
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + 5000;
  while (!dead && Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return !dead;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

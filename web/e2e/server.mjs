// Starts a real postlab on a temporary SQLite file, for the browser tests.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** startPostlab runs the binary at bin; env adds to its environment. */
export async function startPostlab(bin, env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'postlab-e2e-'));
  const port = await freePort();
  const base = { ...process.env, DATABASE_URL: join(dir, 'postlab.db'), POSTLAB_LOG_LEVEL: 'warn', ...env };
  const key = execFileSync(bin, ['workspace', 'create', 'e2e'], { env: base, encoding: 'utf8' }).trim();
  const proc = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`], { env: base, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (b) => (log += b));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (i > 100 || proc.exitCode !== null) throw new Error(`postlab did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    key,
    log: () => log,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** api calls postlab as a script would, to seed data the browser test does not type in. */
export async function call(srv, method, path, body) {
  const res = await fetch(srv.url + path, {
    method,
    headers: { Authorization: `Bearer ${srv.key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

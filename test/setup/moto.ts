/**
 * Vitest global setup: moto's DynamoDB (the machine's system Python, `python3` or NATFLOW_MOTO_PYTHON)
 * on a free loopback port for the whole run, stopped after it. Test files reach it through
 * `inject('motoEndpoint')` (test/helpers/moto.ts); an empty endpoint means moto is not installed, and
 * those files skip — except under CI=true, where a missing moto fails the run here, loudly.
 *
 * moto's own `python3 -m moto.server` serves requests on threads over unlocked dictionaries (its
 * TransactWriteItems deep-copies the tables and restores them on a cancellation, clobbering whatever a
 * concurrent request wrote meanwhile), so racing clients would test moto's races rather than natflow's.
 * The launcher below runs the same moto application single-threaded: one request at a time, which is
 * the atomicity DynamoDB gives each request. Racing transactions still interleave request by request.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

const LAUNCHER = `
import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
app = DomainDispatcherApplication(create_backend_app)
run_simple("127.0.0.1", int(sys.argv[1]), app, threaded=False)
`;

const python = () => process.env.NATFLOW_MOTO_PYTHON?.trim() || 'python3';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(child: ChildProcess, endpoint: string, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`moto exited with ${child.exitCode} before serving: ${stderr().slice(-2000)}`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto did not answer on ${endpoint} within 30 s: ${stderr().slice(-2000)}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const probe = spawnSync(python(), ['-c', 'import moto, werkzeug; print(moto.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0) {
    const why = `moto is not importable by ${python()} (${(probe.stderr || probe.error?.message || '').trim().split('\n').at(-1)}); install it in the system Python (pip install 'moto[server]')`;
    if (process.env.CI === 'true') throw new Error(`the DynamoDB contract suite needs moto: ${why}`);
    console.warn(`[moto] skipping the DynamoDB suites on moto: ${why}`);
    project.provide('motoEndpoint', '');
    return async () => undefined;
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const child = spawn(python(), ['-c', LAUNCHER, String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, MOTO_PORT: String(port) },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8000);
    });
    try {
      await waitUntilUp(child, endpoint, () => stderr);
    } catch (error) {
      lastError = error;
      child.kill('SIGKILL');
      continue;
    }
    project.provide('motoEndpoint', endpoint);
    return async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    };
  }
  throw new Error(`could not start moto: ${String(lastError)}`);
}

/**
 * The load run, as a user would make it: one `natflow up` (a child process, data plane on),
 * then N renamed copies of `examples/reference.plan.yaml` provisioned one after another through
 * `POST /executions`, each waited for until it closes. Prints the throughput, the median of the first
 * and the last tenth (client side: POST sent → closed seen, and server side: startDate → stopDate), their
 * ratio (last / first, client side) and the statuses. The stack's memory is in `npm run bench -- --only
 * scale` (in-process, so it can GC and read the heap).
 *
 *   node soak/api-load.ts                      300 plans
 *   node soak/api-load.ts --count 100 --json   fewer, one JSON document on stdout
 *   node soak/api-load.ts --cpu-prof DIR       the stack runs under `node --cpu-prof --cpu-prof-dir DIR`
 *   node soak/api-load.ts --concurrency 50     50 in flight instead of one after another
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { api, closed, mapLimit, NATFLOW, NODE, percentile, ROOT } from '../test/reliability/support.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '1' },
    'cpu-prof': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const reference = parse(readFileSync(join(ROOT, 'examples/reference.plan.yaml'), 'utf8')) as Record<
  string,
  unknown
>;

const dataDir = mkdtempSync(join(tmpdir(), 'natflow-api-load-'));
const profile = values['cpu-prof'];
const child = spawn(
  NODE,
  [
    '--no-warnings',
    ...(profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : []),
    NATFLOW,
    'up',
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--json',
  ],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } },
);
const url = await new Promise<string>((resolve, reject) => {
  let text = '';
  child.stdout.on('data', (d: Buffer) => {
    text += d.toString();
    const line = text.split('\n').find((l) => l.includes('"type":"stack"'));
    if (line) resolve((JSON.parse(line) as { url: string }).url);
  });
  child.once('exit', (code) => reject(new Error(`natflow up exited ${code}`)));
});

try {
  const started = performance.now();
  const runs = await mapLimit(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      const name = `ref-${String(i).padStart(5, '0')}`;
      const t0 = performance.now();
      const answer = await api(url, '/executions', {
        body: { workflow: 'provision', input: { ...reference, name }, name: `${name}-x` },
      });
      if (answer.status !== 201)
        return { name, status: `HTTP ${answer.status} ${answer.json?.code ?? ''}`, client: 0, server: 0 };
      const done = await closed(url, `${name}-x`, 300_000);
      const server =
        done.startDate && done.stopDate ? Date.parse(done.stopDate) - Date.parse(done.startDate) : Number.NaN;
      return { name, status: done.status, error: done.error, client: performance.now() - t0, server };
    },
  );
  const wallMs = performance.now() - started;
  const tenth = Math.max(1, Math.ceil(count / 10));
  const median = (xs: number[]) => Math.round(percentile(xs, 50));
  const statuses: Record<string, number> = {};
  for (const run of runs) statuses[run.status] = (statuses[run.status] ?? 0) + 1;
  const first = runs.slice(0, tenth);
  const last = runs.slice(-tenth);
  const result = {
    count,
    concurrency,
    wallS: Math.round(wallMs / 100) / 10,
    throughput: Math.round((count / (wallMs / 1000)) * 10) / 10,
    clientMs: {
      firstTenthP50: median(first.map((r) => r.client)),
      lastTenthP50: median(last.map((r) => r.client)),
      p50: median(runs.map((r) => r.client)),
      p99: Math.round(
        percentile(
          runs.map((r) => r.client),
          99,
        ),
      ),
    },
    serverMs: {
      firstTenthP50: median(first.map((r) => r.server)),
      lastTenthP50: median(last.map((r) => r.server)),
    },
    ratio: Math.round((median(last.map((r) => r.client)) / median(first.map((r) => r.client))) * 100) / 100,
    statuses,
    failures: runs.filter((r) => r.status !== 'SUCCEEDED').slice(0, 5),
  };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else console.log(result);
} finally {
  child.kill('SIGINT');
  await new Promise((done) => child.once('exit', done));
  rmSync(dataDir, { recursive: true, force: true });
}

/**
 * `npm run soak` — the long reliability runs, bounded in count and time, loopback only. Prints
 * one table per run and, with `--json`, one JSON document of every figure (docs/reliability.md lists them
 * with this command).
 *
 *   npm run soak                      every run (about 5–8 minutes on 2 cores)
 *   npm run soak -- --only load,fuzz  some of them: faults, races, cli-race, fuzz, hwc, crash, load,
 *                                     retention, caps
 *   npm run soak -- --json            the figures as one JSON document on stdout
 *   npm run soak -- --only load --load parallel   one phase of the load run
 *
 * - faults: test/workflows/faults.test.ts (fault injection at every provisioning step), counted by kind.
 * - races:  5 rounds of 20 concurrent provisionings through the API for one transit IP and port.
 * - cli-race: 10 rounds of 20 `natflow provision` processes at once on one data directory.
 * - fuzz:   test/reliability/fuzz.test.ts with NATFLOW_FUZZ_SCALE=16 (over 10,000 cases).
 * - hwc:    test/huaweicloud-api/fuzz.test.ts with NATFLOW_FUZZ_SCALE=16 (19,200 malformed Huawei API bodies).
 * - crash:  test/reliability/crash.test.ts 3 times (SIGKILL of `natflow up` mid-provisioning, restart).
 * - load:   1,000 generated plans through the API back to back, then 1,000 more 50 at a time; throughput,
 *           p50/p99 latency, RSS and heap before, after, and after a GC and a pause. Meanwhile one client
 *           stalls a request body, to measure when the server gives up on it.
 * - retention: NATFLOW_RETENTION_EXECUTIONS=50, 300 provision + teardown cycles of distinct plans through
 *           the API; asserts the data directory ends no bigger than 1.5× its size after the first 50
 *           executions, with RSS and open descriptors flat (docs/reliability.md#retention).
 * - caps:   the stack's cap of event streams (100) reached with console live streams; asserts the next is
 *           refused 503 OVERLOADED with Retry-After, the open ones keep receiving, and a provisioning
 *           meanwhile takes at most 2× its time without them (docs/http-api.md#caps).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LocalEventBus } from '../src/local-bus/index.ts';
import { systemClock } from '../src/net/clock.ts';
import { createHttpServer } from '../src/stack/http/index.ts';
import { readServerlessConfig } from '../src/stack/serverless-config.ts';
import { startStack } from '../src/stack/stack.ts';
import { prepareRace, RACERS, type RaceOutcome, raceRound } from '../test/reliability/cli-race.ts';
import {
  api,
  closed,
  contenderPlan,
  countByType,
  generatedPlan,
  NODE,
  provisionAll,
  ROOT,
  SHARED_PLAN,
  sharedIdsOf,
  sleep,
} from '../test/reliability/support.ts';

const RUNS = ['faults', 'races', 'cli-race', 'fuzz', 'hwc', 'crash', 'load', 'retention', 'caps'] as const;
type Run = (typeof RUNS)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
    /** The load phases to run: serial (1,000 back to back), parallel (1,000 50 at a time). */
    load: { type: 'string', default: 'serial,parallel' },
  },
});
const selected = new Set<Run>(
  values.only ? (values.only.split(',').map((s) => s.trim()) as Run[]) : [...RUNS],
);
for (const run of selected) {
  if (!RUNS.includes(run)) {
    console.error(`unknown run ${run}; choose from ${RUNS.join(', ')}`);
    process.exit(2);
  }
}

const log = (line: string) => {
  if (!values.json) console.log(line);
  else console.error(line);
};

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const figures: Record<string, unknown> = {
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    node: process.version,
    platform: process.platform,
  },
  date: new Date().toISOString(),
};

/** Runs vitest on one file in a child process; returns its JSON report and stdout. */
async function vitest(
  file: string,
  env: Record<string, string> = {},
): Promise<{ ok: boolean; ms: number; stdout: string; report: VitestReport }> {
  const dir = mkdtempSync(join(tmpdir(), 'natflow-soak-vitest-'));
  const out = join(dir, 'report.json');
  const started = performance.now();
  const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn(
      NODE,
      [
        join(ROOT, 'node_modules/vitest/vitest.mjs'),
        'run',
        file,
        '--reporter=json',
        '--reporter=default',
        `--outputFile.json=${out}`,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, ...env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
    });
    child.stderr.on('data', () => undefined);
    child.on('close', (c) => resolve({ code: c, stdout: text }));
  });
  const ms = Math.round(performance.now() - started);
  const report = JSON.parse(readFileSync(out, 'utf8')) as VitestReport;
  rmSync(dir, { recursive: true, force: true });
  return { ok: code === 0, ms, stdout, report };
}

interface VitestReport {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: {
    assertionResults: { title: string; fullName: string; status: string; duration?: number }[];
  }[];
}

async function faults(): Promise<void> {
  log('\n## faults: test/workflows/faults.test.ts');
  const run = await vitest('test/workflows/faults.test.ts');
  const tests = run.report.testResults.flatMap((r) => r.assertionResults);
  const of = (pattern: RegExp) => tests.filter((t) => pattern.test(t.title));
  const count = (list: typeof tests) => ({
    cases: list.length,
    passed: list.filter((t) => t.status === 'passed').length,
  });
  const permanentBefore = of(/^a permanent fault before /);
  const permanentAfter = of(/^a permanent fault after /);
  const transient = of(/^a transient fault at .* is retried/);
  const steps = new Set(
    permanentBefore.map((t) => t.title.replace(/^a permanent fault before (\S+) .*$/, '$1')),
  );
  const result = {
    ok: run.ok,
    steps: steps.size,
    stepNames: [...steps],
    permanentBefore: count(permanentBefore),
    permanentAfter: count(permanentAfter),
    transient: count(transient),
    exhaustedRetries: count(of(/outlasts the retries/)),
    stopped: count(of(/stopped provisioning/)),
    deadProcess: count(of(/dead process/)),
    total: { cases: run.report.numTotalTests, passed: run.report.numPassedTests },
    ms: run.ms,
  };
  figures.faults = result;
  log(
    `steps ${result.steps}; permanent before ${result.permanentBefore.passed}/${result.permanentBefore.cases} FAILED with 0 orphans; ` +
      `permanent after ${result.permanentAfter.passed}/${result.permanentAfter.cases}; transient ${result.transient.passed}/${result.transient.cases} SUCCEEDED; ` +
      `all ${result.total.passed}/${result.total.cases} in ${result.ms} ms`,
  );
}

async function races(): Promise<void> {
  log('\n## races: 5 rounds × 20 concurrent provisionings through the API, one transit IP and port');
  const dataDir = mkdtempSync(join(tmpdir(), 'natflow-soak-race-'));
  const stack = await startStack({ dataDir, port: 0, dataPlane: false });
  const url = stack.url as string;
  const rounds: Record<string, unknown>[] = [];
  try {
    const shared = await api(url, '/executions', {
      body: { workflow: 'provision', input: SHARED_PLAN, name: 'shared' },
    });
    if (shared.status !== 201 || (await closed(url, 'shared')).status !== 'SUCCEEDED')
      throw new Error('the shared plan did not provision');
    const ids = sharedIdsOf(await stack.store.list({ plan: SHARED_PLAN.name }));
    for (let round = 0; round < 5; round++) {
      const prefix = `r${round}`;
      // Each round wants its own port: rewrite the contenders' port and addresses.
      const plans = Array.from({ length: 20 }, (_, i) => {
        const plan = contenderPlan(i, ids, prefix) as {
          servers: { ip: string; apps: { port: number }[] }[];
          privateNatGateways: { dnatRules: { transitPort: number }[] }[];
        };
        plan.servers[0] = { ...plan.servers[0], ip: `10.0.0.${20 + round * 20 + i}` } as never;
        (plan.privateNatGateways[0]?.dnatRules[0] as { transitPort: number }).transitPort = 9000 + round;
        return plan as unknown as Record<string, unknown>;
      });
      const started = performance.now();
      const answers = await Promise.all(
        plans.map((plan, i) =>
          api(url, '/executions', { body: { workflow: 'provision', input: plan, name: `${prefix}-${i}` } }),
        ),
      );
      const outcomes = await Promise.all(
        answers.map(async (answer, i) =>
          answer.status === 201
            ? { started: true, ...(await closed(url, `${prefix}-${i}`)) }
            : { started: false, status: `HTTP ${answer.status}`, error: answer.json?.code as string },
        ),
      );
      await stack.idle();
      const ms = Math.round(performance.now() - started);
      const rules = (await stack.store.list({ type: 'dnat-rule' })).filter(
        (r) => r.type === 'dnat-rule' && r.transitPort === 9000 + round,
      );
      let leftovers = 0;
      for (let i = 0; i < 20; i++) {
        const owned = await stack.store.list({ plan: `${prefix}-${i}` });
        if (outcomes[i]?.status !== 'SUCCEEDED') leftovers += owned.length;
      }
      const losers = outcomes.filter((o) => o.status !== 'SUCCEEDED');
      rounds.push({
        round,
        succeeded: outcomes.length - losers.length,
        rulesOnPort: rules.length,
        refusedAtValidation: losers.filter((o) => !o.started).length,
        failedAfterRollback: losers.filter((o) => o.started && o.status === 'FAILED').length,
        loserCodes: [...new Set(losers.map((o) => o.error))],
        leftoverResourcesOfLosers: leftovers,
        ms,
      });
      log(JSON.stringify(rounds.at(-1)));
    }
  } finally {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  figures.races = rounds;
}

async function fuzz(): Promise<void> {
  log('\n## fuzz: test/reliability/fuzz.test.ts with NATFLOW_FUZZ_SCALE=16');
  const run = await vitest('test/reliability/fuzz.test.ts', { NATFLOW_FUZZ_SCALE: '16' });
  const line = run.stdout.split('\n').find((l) => l.startsWith('fuzz: ')) ?? '';
  const cases = Number(/fuzz: (\d+) cases/.exec(line)?.[1] ?? Number.NaN);
  const counts = JSON.parse(/\): (\{[^}]*\})/.exec(line)?.[1] ?? '{}') as Record<string, number>;
  const statuses = JSON.parse(/request statuses (\{[^}]*\})/.exec(line)?.[1] ?? '{}') as Record<
    string,
    number
  >;
  figures.fuzz = {
    ok: run.ok,
    cases,
    counts,
    requestStatuses: statuses,
    properties: { total: run.report.numTotalTests, passed: run.report.numPassedTests },
    ms: run.ms,
  };
  log(
    `${run.ok ? 'passed' : 'FAILED'}: ${cases} cases ${JSON.stringify(counts)} in ${run.ms} ms; request statuses ${JSON.stringify(statuses)}`,
  );
}

async function hwc(): Promise<void> {
  log('\n## hwc: test/huaweicloud-api/fuzz.test.ts with NATFLOW_FUZZ_SCALE=16');
  const run = await vitest('test/huaweicloud-api/fuzz.test.ts', { NATFLOW_FUZZ_SCALE: '16' });
  const line = run.stdout.split('\n').find((l) => l.startsWith('huaweicloud fuzz: ')) ?? '';
  const cases = Number(/fuzz: (\d+) cases/.exec(line)?.[1] ?? Number.NaN);
  const statuses = JSON.parse(/statuses (\{[^}]*\})/.exec(line)?.[1] ?? '{}') as Record<string, number>;
  figures.hwc = { ok: run.ok, cases, statuses, ms: run.ms };
  log(
    `${run.ok ? 'passed' : 'FAILED'}: ${cases} cases in ${run.ms} ms; statuses ${JSON.stringify(statuses)}`,
  );
}

async function crash(): Promise<void> {
  log('\n## crash: test/reliability/crash.test.ts, 3 times');
  const runs: { ok: boolean; ms: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const run = await vitest('test/reliability/crash.test.ts');
    runs.push({ ok: run.ok && run.report.numTotalTests > 0 && run.report.numFailedTests === 0, ms: run.ms });
    log(JSON.stringify(runs.at(-1)));
  }
  figures.crash = { runs: runs.length, passed: runs.filter((r) => r.ok).length, ms: runs.map((r) => r.ms) };
}

interface MemoryFigure {
  rssMB: number;
  heapUsedMB: number;
}

function memory(): MemoryFigure {
  const m = process.memoryUsage();
  return { rssMB: Math.round(m.rss / 1e5) / 10, heapUsedMB: Math.round(m.heapUsed / 1e5) / 10 };
}

async function settledMemory(): Promise<MemoryFigure> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(1000);
  }
  gc();
  return memory();
}

/** Holds a request whose body never completes; resolves with when and how the server ended it. */
function stalledBody(url: string): {
  result: Promise<{ closedAfterS: number | null; response: string }>;
  stop(): void;
} {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  const started = performance.now();
  let received = '';
  socket.on('data', (d: Buffer) => {
    received += d.toString();
  });
  socket.on('error', () => undefined);
  socket.write(
    'POST /plans/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"name":',
  );
  let stopped = false;
  const result = new Promise<{ closedAfterS: number | null; response: string }>((resolve) => {
    socket.on('close', () =>
      resolve({
        closedAfterS: stopped ? null : Math.round((performance.now() - started) / 100) / 10,
        response: received.split('\r\n')[0] ?? '',
      }),
    );
  });
  return {
    result,
    stop() {
      stopped = true;
      socket.destroy();
    },
  };
}

async function cliRace(): Promise<void> {
  log('\n## cli-race: 10 rounds of 20 `natflow provision` processes at once on one data directory');
  const dataDir = mkdtempSync(join(tmpdir(), 'natflow-soak-cli-race-'));
  try {
    const ids = await prepareRace(dataDir);
    const rounds: RaceOutcome[] = [];
    for (let round = 1; round <= 10; round++) {
      const outcome = await raceRound(dataDir, ids, round);
      rounds.push(outcome);
      const counts: Record<string, number> = {};
      for (const run of outcome.runs)
        counts[`${run.code}:${run.outcome}`] = (counts[`${run.code}:${run.outcome}`] ?? 0) + 1;
      log(
        `round ${round}: ${JSON.stringify(counts)}; rules ${outcome.rules}; left by losers ${outcome.leftByLosers}; stack.json ${outcome.stackFile}; unexpected ${outcome.unexpected.length}; ${outcome.ms} ms`,
      );
    }
    figures.cliRace = {
      rounds: rounds.length,
      processes: rounds.length * RACERS,
      unexpected: rounds.flatMap((r) =>
        r.unexpected.map(({ code, outcome }) => ({ round: r.round, code, outcome })),
      ),
      oneWinnerEveryRound: rounds.every((r) => r.winners === 1 && r.rules === 1),
      leftByLosers: rounds.reduce((n, r) => n + r.leftByLosers, 0),
      outcomes: rounds.map((r) => r.runs.map((run) => `${run.code}:${run.outcome}`)),
    };
    if (rounds.some((r) => r.unexpected.length > 0 || r.winners !== 1)) process.exitCode = 1;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function load(): Promise<void> {
  log('\n## load: 1,000 plans back to back, then 1,000 more 50 at a time on a fresh stack, through the API');
  const stacks: { stack: Awaited<ReturnType<typeof startStack>>; dataDir: string }[] = [];
  const open = async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'natflow-soak-load-'));
    const stack = await startStack({ dataDir, port: 0, dataPlane: false });
    stacks.push({ stack, dataDir });
    return stack;
  };
  const closeAll = async () => {
    for (const { stack, dataDir } of stacks.splice(0)) {
      await stack.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  const phases = new Set(values.load.split(',').map((p) => p.trim()));
  const result: Record<string, unknown> = {};
  let stall: ReturnType<typeof stalledBody> | undefined;
  let closeServer: () => Promise<void> = async () => undefined;
  try {
    // The stalled client talks to a server of its own (the stacks open and close around it).
    const server = createHttpServer({
      config: readServerlessConfig(),
      bus: new LocalEventBus({ clock: systemClock }),
    });
    await new Promise<void>((done) => server.listen(0, done));
    closeServer = () => new Promise<void>((done) => server.close(() => done()));
    stall = stalledBody(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const warm = await open();
    // Warm up (modules loaded, statements prepared) so "before" is the steady state.
    await provisionAll(warm.url as string, [generatedPlan(4000, 'warm')], 1);
    const before = await settledMemory();
    result.memoryBefore = before;
    log(`memory before: ${JSON.stringify(before)}`);
    for (const [phase, concurrency, offset] of [
      ['serial', 1, 0],
      ['parallel', 50, 1000],
    ] as const) {
      if (!phases.has(phase)) continue;
      // Each phase on a fresh stack (one stack open at a time), so it measures its own concurrency.
      const stack = phase === 'serial' ? warm : await open();
      const run = await provisionAll(
        stack.url as string,
        Array.from({ length: 1000 }, (_, i) => generatedPlan(offset + i, phase)),
        concurrency,
      );
      await stack.idle();
      const after = memory();
      const resources = countByType(await stack.store.list());
      const inFlight = stack.tasks.inFlight();
      log(`${phase}: ${JSON.stringify({ ...run, failures: run.failures.slice(0, 3) })}`);
      await closeAll();
      const settled = await settledMemory();
      log(
        `memory after: ${JSON.stringify(after)}; after closing the stack, a GC and a pause: ${JSON.stringify(settled)}`,
      );
      result[phase] = {
        ...run,
        failures: run.failures.length,
        resources,
        inFlight,
        memory: { after, afterCloseGcAndPause: settled },
      };
    }
    if (!phases.has('serial')) await closeAll();
    // Let the stalled request run out the server's requestTimeout (Node's default 300 s, checked every 30 s).
    const stalled = await Promise.race([
      stall.result,
      sleep(360_000).then(() => ({ closedAfterS: null, response: 'still open after 360 s' })),
    ]);
    result.stalledBody = stalled;
    log(`stalled body: ${JSON.stringify(stalled)}`);
    figures.load = result;
  } finally {
    stall?.stop();
    await closeServer();
    await closeAll();
  }
}

/** The bytes of every file in a directory (the databases, their WAL and shared memory, stack.json). */
function directoryBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    try {
      total += statSync(join(dir, name)).size;
    } catch {
      // gone meanwhile (a WAL truncated and removed)
    }
  }
  return total;
}

/** This process's open file descriptors (Linux: /proc/self/fd). */
function openDescriptors(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return Number.NaN;
  }
}

/** One provisioning and one teardown of `plan` through the API, each waited for. */
async function cycle(url: string, plan: Record<string, unknown>, headers: Record<string, string> = {}) {
  const name = String(plan.name);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const provision = await api(url, '/executions', {
    body: { workflow: 'provision', input: plan, name: `${name}-p` },
    headers,
  });
  if (provision.status !== 201)
    throw new Error(`provision ${name}: HTTP ${provision.status} ${provision.text}`);
  const provisioned = await closed(url, `${name}-p`, 120_000, headers);
  const provisionMs = performance.now() - t0;
  const used = process.cpuUsage(cpu0);
  // This process's CPU while it provisioned (the stack and its client): what other load cannot inflate.
  const provisionCpuMs = (used.user + used.system) / 1000;
  const teardown = await api(url, '/executions', {
    body: { workflow: 'teardown', input: { plan: name }, name: `${name}-t` },
    headers,
  });
  if (teardown.status !== 201) throw new Error(`teardown ${name}: HTTP ${teardown.status} ${teardown.text}`);
  const tornDown = await closed(url, `${name}-t`, 120_000, headers);
  return { provisioned: provisioned.status, tornDown: tornDown.status, provisionMs, provisionCpuMs };
}

async function retention(): Promise<void> {
  const CYCLES = 300;
  const KEEP = 50;
  log(
    `\n## retention: NATFLOW_RETENTION_EXECUTIONS=${KEEP}, ${CYCLES} provision + teardown cycles of distinct plans`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'natflow-soak-retention-'));
  const stack = await startStack({
    dataDir,
    port: 0,
    dataPlane: false,
    env: { ...process.env, NATFLOW_RETENTION_EXECUTIONS: String(KEEP) },
  });
  const url = stack.url as string;
  const samples: { executions: number; dirBytes: number; rssMB: number; fds: number }[] = [];
  const sample = async (executions: number) => {
    await stack.idle();
    gc();
    const point = {
      executions,
      dirBytes: directoryBytes(dataDir),
      rssMB: memory().rssMB,
      fds: openDescriptors(),
    };
    samples.push(point);
    return point;
  };
  const failures: string[] = [];
  const started = performance.now();
  try {
    for (let i = 0; i < CYCLES; i++) {
      const result = await cycle(url, generatedPlan(i, 'retention'));
      if (result.provisioned !== 'SUCCEEDED' || result.tornDown !== 'SUCCEEDED')
        failures.push(`retention-${i}: ${result.provisioned}/${result.tornDown}`);
      const executions = (i + 1) * 2;
      if (executions === KEEP || executions % 100 === 0) log(JSON.stringify(await sample(executions)));
    }
    const first = samples[0] as (typeof samples)[number];
    const last = samples.at(-1) as (typeof samples)[number];
    const stored = stack.sfn.executionCount().count;
    const result = {
      cycles: CYCLES,
      retentionExecutions: KEEP,
      executionsStored: stored,
      failures,
      afterFirst50: first,
      atEnd: last,
      dirRatio: Math.round((last.dirBytes / first.dirBytes) * 100) / 100,
      rssRatio: Math.round((last.rssMB / first.rssMB) * 100) / 100,
      fdsGrowth: last.fds - first.fds,
      samples,
      seconds: Math.round((performance.now() - started) / 1000),
    };
    figures.retention = result;
    log(
      `data dir ${first.dirBytes} B after ${first.executions} executions → ${last.dirBytes} B after ${last.executions} (×${result.dirRatio}); ` +
        `RSS ${first.rssMB} → ${last.rssMB} MB; fds ${first.fds} → ${last.fds}; ${stored} executions stored; ${failures.length} failures`,
    );
    const ok =
      failures.length === 0 &&
      result.dirRatio <= 1.5 &&
      stored <= KEEP + Math.max(1, Math.floor(KEEP / 10)) &&
      result.fdsGrowth <= 2 &&
      result.rssRatio <= 1.5;
    if (!ok) {
      log('retention: FAILED (the directory, the executions, RSS or descriptors grew)');
      process.exitCode = 1;
    }
  } finally {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * A client process holding console live streams, as browser tabs would: its own process, so that reading
 * them costs the stack's process nothing. Commands on stdin, one a line, each answered with one line:
 * `open` opens `count` streams (`opened N`), `close` closes them (`closed`), `count` says how many
 * received a frame since the last `count` (`receiving N`).
 */
const STREAM_CLIENT = `
const [url, count] = process.argv.slice(1);
let streams = [];
const reply = (line) => process.stdout.write(line + '\\n');
const open = async () => {
  streams = await Promise.all(Array.from({ length: Number(count) }, async () => {
    const controller = new AbortController();
    const stream = { controller, received: 0, seen: 0, ok: false };
    const response = await fetch(url + '/console/api/live', { signal: controller.signal });
    if (!response.ok) return stream;
    stream.ok = true;
    const reader = response.body.getReader();
    (async () => { for (;;) { const { done } = await reader.read(); if (done) return; stream.received++; } })().catch(() => {});
    return stream;
  }));
  reply('opened ' + streams.filter((s) => s.ok).length);
};
let queue = Promise.resolve();
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  for (let end = buffer.indexOf('\\n'); end >= 0; end = buffer.indexOf('\\n')) {
    const command = buffer.slice(0, end).trim();
    buffer = buffer.slice(end + 1);
    queue = queue.then(async () => {
      if (command === 'open') await open();
      else if (command === 'close') {
        for (const s of streams) s.controller.abort();
        streams = [];
        reply('closed');
      } else {
        reply('receiving ' + streams.filter((s) => s.received > s.seen).length);
        for (const s of streams) s.seen = s.received;
      }
    });
  }
});
process.stdin.on('end', () => process.exit(0));
`;

function streamClient(url: string, count: number) {
  const child = spawn(NODE, ['--input-type=module', '-e', STREAM_CLIENT, url, String(count)], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  const ask = (command: string) => {
    child.stdin.write(`${command}\n`);
    return new Promise<string>((resolve) => {
      const line = lines.shift();
      if (line !== undefined) resolve(line);
      else waiters.push(resolve);
    });
  };
  return {
    open: async () => Number((await ask('open')).split(' ')[1]),
    close: () => ask('close'),
    receiving: async () => Number((await ask('count')).split(' ')[1]),
    end: () => child.stdin.end(),
  };
}

/** One more stream, refused or not: its status, code and Retry-After. */
async function oneStream(url: string) {
  const controller = new AbortController();
  const response = await fetch(`${url}/console/api/live`, {
    headers: { Accept: 'text/event-stream' },
    signal: controller.signal,
  });
  const code = response.ok ? undefined : ((await response.json()) as { code?: string }).code;
  controller.abort();
  return { status: response.status, code, retryAfter: response.headers.get('retry-after') };
}

async function caps(): Promise<void> {
  log('\n## caps: 100 console live streams (the cap), the 101st refused, a provisioning meanwhile');
  const { createConsole } = await import('../src/console/index.ts');
  const dataDir = mkdtempSync(join(tmpdir(), 'natflow-soak-caps-'));
  const stack = await startStack({ dataDir, port: 0, dataPlane: false, console: createConsole });
  const url = stack.url as string;
  const cap = stack.limits.maxStreams;
  const client = streamClient(url, cap);
  try {
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    await cycle(url, generatedPlan(0, 'caps-warm'));
    // Rounds alternate without and with the streams open, so that whatever else loads the machine
    // weighs on both alike; each provisioning's time (and its teardown, so each plan is new).
    const usual: number[] = [];
    const atCap: number[] = [];
    const usualCpu: number[] = [];
    const atCapCpu: number[] = [];
    let opened = 0;
    let refused: Awaited<ReturnType<typeof oneStream>> | undefined;
    let receiving = 0;
    for (let round = 1; round <= 9; round++) {
      const idle = await cycle(url, generatedPlan(round, 'caps-idle'));
      usual.push(idle.provisionMs);
      usualCpu.push(idle.provisionCpuMs);
      opened = Math.min(opened || cap, await client.open());
      refused ??= await oneStream(url);
      await client.receiving();
      const full = await cycle(url, generatedPlan(round, 'caps-full'));
      atCap.push(full.provisionMs);
      atCapCpu.push(full.provisionCpuMs);
      const moved = await client.receiving();
      receiving = round === 1 ? moved : Math.min(receiving, moved);
      await client.close();
      // The stack counts a stream out when its connection closes: let it see the closes.
      await sleep(200);
    }
    const result = {
      cap,
      opened,
      refused,
      streamsStillReceiving: receiving,
      provisionMs: { usualP50: Math.round(median(usual)), atCapP50: Math.round(median(atCap)) },
      ratio: Math.round((median(atCap) / median(usual)) * 100) / 100,
      stackCpuMs: { usualP50: Math.round(median(usualCpu)), atCapP50: Math.round(median(atCapCpu)) },
      cpuRatio: Math.round((median(atCapCpu) / median(usualCpu)) * 100) / 100,
    };
    figures.caps = result;
    log(JSON.stringify(result));
    const ok =
      opened === cap &&
      refused?.status === 503 &&
      refused.code === 'OVERLOADED' &&
      refused.retryAfter !== null &&
      receiving === cap &&
      result.ratio <= 2;
    if (!ok) {
      log('caps: FAILED');
      process.exitCode = 1;
    }
  } finally {
    client.end();
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const started = performance.now();
for (const run of RUNS) {
  if (!selected.has(run)) continue;
  const t0 = performance.now();
  await { faults, races, 'cli-race': cliRace, fuzz, hwc, crash, load, retention, caps }[run]();
  log(`(${run}: ${Math.round((performance.now() - t0) / 1000)} s)`);
}
figures.totalSeconds = Math.round((performance.now() - started) / 1000);
if (values.json) console.log(JSON.stringify(figures, null, 2));
else log(`\nsoak done in ${figures.totalSeconds} s`);

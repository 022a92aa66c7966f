/**
 * How fast the command line answers (docs/benchmarks.md `cli`, docs/cli.md "Start-up"): the CPU time of
 * a `natflow` process, as a multiple of a bare `node -e 0` measured in the same run, interleaved —
 * the machine's load then weighs on both alike. Each command runs `CLI_REPETITIONS` times, the median
 * is kept.
 *
 * - `help_x`: `natflow --help`; `usage_x`: a usage error (`natflow frob`); goals ≤ 3;
 * - `validate_x`: `natflow validate examples/reference.plan.yaml` (a fresh data directory); goal ≤ 8;
 * - `plan_x`: `natflow plan examples/reference.plan.yaml` (the same); goal ≤ 10;
 * - `probe_analyze_x`: `natflow probe --from ECS-A --to transit-ip-A:80 --protocol http --mode analyze`
 *   on a data directory where the reference plan is provisioned; goal ≤ 10.
 * `node_ms` is the bare start's CPU time, each `*_ms` a command's. A process's CPU time is read from
 * `process.cpuUsage()` as it exits (a tiny CommonJS preload, the same for `node -e 0`). Each command
 * runs once first, unmeasured: what a fresh checkout pays once (the cache of bin/fast-start.js) is not
 * what each command costs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchModule } from './index.ts';

const ROOT = join(import.meta.dirname, '..');
const NODE = process.execPath;
const BIN = join(ROOT, 'bin/natflow.js');
const REFERENCE = join(ROOT, 'examples/reference.plan.yaml');
const REPETITIONS = Number(process.env.CLI_REPETITIONS ?? 9);

const PRELOAD = `process.on('exit', () => {
  const u = process.cpuUsage();
  require('node:fs').appendFileSync(process.env.NATFLOW_BENCH_CPU, process.env.NATFLOW_BENCH_CASE + ' ' + (u.user + u.system) / 1000 + '\\n');
});
`;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

const cli: BenchModule = {
  name: 'cli',
  async run({ log }) {
    const scratch = mkdtempSync(join(tmpdir(), 'natflow-bench-cli-'));
    try {
      const empty = join(scratch, 'empty');
      const provisioned = join(scratch, 'provisioned');
      const preload = join(scratch, 'cpu.cjs');
      const samples = join(scratch, 'cpu.txt');
      writeFileSync(preload, PRELOAD);
      const env = { ...process.env, NATFLOW_CLOUD: '', NATFLOW_TOKEN: '', NO_COLOR: '1' };
      log('bench cli: provisioning the reference plan for the probe');
      const setup = spawnSync(NODE, [BIN, 'provision', REFERENCE, '--data-dir', provisioned, '--json'], {
        cwd: ROOT,
        env,
        encoding: 'utf8',
      });
      if (setup.status !== 0) throw new Error(`natflow provision failed: ${setup.stderr}`);

      const cases: Record<string, string[]> = {
        node: ['-e', '0'],
        help: [BIN, '--help'],
        usage: [BIN, 'frob'],
        validate: [BIN, 'validate', REFERENCE, '--data-dir', empty],
        plan: [BIN, 'plan', REFERENCE, '--data-dir', empty],
        probe_analyze: [
          BIN,
          'probe',
          '--from',
          'ECS-A',
          '--to',
          'transit-ip-A:80',
          '--protocol',
          'http',
          '--mode',
          'analyze',
          '--data-dir',
          provisioned,
        ],
      };
      const runCase = (name: string, args: string[], measured: boolean) =>
        spawnSync(NODE, ['-r', preload, ...args], {
          cwd: ROOT,
          stdio: 'ignore',
          env: {
            ...env,
            NATFLOW_BENCH_CASE: name,
            NATFLOW_BENCH_CPU: measured ? samples : join(scratch, 'warm.txt'),
          },
        });
      for (const [name, args] of Object.entries(cases)) runCase(name, args, false);
      log(`bench cli: ${REPETITIONS} interleaved runs of ${Object.keys(cases).join(', ')}`);
      for (let i = 0; i < REPETITIONS; i++)
        for (const [name, args] of Object.entries(cases)) runCase(name, args, true);

      const byCase = new Map<string, number[]>();
      for (const line of readFileSync(samples, 'utf8').trim().split('\n')) {
        const [name, ms] = line.split(' ');
        byCase.set(name as string, [...(byCase.get(name as string) ?? []), Number(ms)]);
      }
      const ms = Object.fromEntries([...byCase].map(([name, values]) => [name, median(values)]));
      const node = ms.node ?? Number.NaN;
      const ratio = (name: string) => round((ms[name] ?? Number.NaN) / node);
      return {
        cli: {
          help_x: ratio('help'),
          usage_x: ratio('usage'),
          validate_x: ratio('validate'),
          plan_x: ratio('plan'),
          probe_analyze_x: ratio('probe_analyze'),
          node_ms: round(node, 1),
          help_ms: round(ms.help ?? Number.NaN, 1),
          validate_ms: round(ms.validate ?? Number.NaN, 1),
          plan_ms: round(ms.plan ?? Number.NaN, 1),
          probe_analyze_ms: round(ms.probe_analyze ?? Number.NaN, 1),
          repetitions: REPETITIONS,
        },
      };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  },
};

export default cli;

/**
 * Provisioning speed (docs/benchmarks.md `provision`):
 * - `execution_ms`: the reference scenario's provision execution, from StartExecution to SUCCEEDED, in a
 *   warm in-process stack (the median of several runs, each on a fresh data directory so every run
 *   creates all 14 resources; the live data plane on, as `npm start` runs it);
 * - `cold_cli_ms`: `natflow provision examples/reference.plan.yaml` as a user runs it — a new Node
 *   process that loads the CLI, starts an embedded stack, provisions and exits (the median of a few).
 * The goal is an execution under 300 ms; the local engine costs about 10 µs a state.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePlanText } from '../src/plan/plan.ts';
import { startStack } from '../src/stack/stack.ts';
import type { BenchModule } from './index.ts';

const ROOT = join(import.meta.dirname, '..');
const PLAN_FILE = join(ROOT, 'examples/reference.plan.yaml');
const EXECUTIONS = 9;
const CLI_RUNS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

const bench: BenchModule = {
  name: 'provision',
  async run({ log }) {
    const plan = parsePlanText(readFileSync(PLAN_FILE, 'utf8'));
    const executions: number[] = [];
    for (let i = 0; i < EXECUTIONS; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'natflow-bench-'));
      const stack = await startStack({ dataDir });
      try {
        const started = performance.now();
        const { executionArn } = await stack.sfn.startExecution({
          stateMachineArn: stack.stateMachineArn('provision'),
          name: `bench-${i}`,
          input: JSON.stringify(plan),
        });
        const done = await stack.sfn.waitForExecution(executionArn, 60_000);
        if (done.status !== 'SUCCEEDED')
          throw new Error(`provision ${done.status}: ${done.error} ${done.cause}`);
        // The first run also pays module loading and the first handler imports: report it apart.
        if (i > 0) executions.push(performance.now() - started);
        else log(`provision: first execution in a fresh process ${round(performance.now() - started)} ms`);
      } finally {
        await stack.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
    const cold: number[] = [];
    for (let i = 0; i < CLI_RUNS; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'natflow-bench-cli-'));
      const started = performance.now();
      const result = spawnSync(
        join(ROOT, 'node_modules/.bin/node'),
        [join(ROOT, 'bin/natflow.js'), 'provision', PLAN_FILE, '--json', '--data-dir', dataDir],
        {
          cwd: ROOT,
          encoding: 'utf8',
        },
      );
      cold.push(performance.now() - started);
      rmSync(dataDir, { recursive: true, force: true });
      if (result.status !== 0) throw new Error(`natflow provision exited ${result.status}: ${result.stderr}`);
    }
    log(`provision: ${EXECUTIONS - 1} warm executions, ${CLI_RUNS} cold CLI runs`);
    return { provision: { execution_ms: round(median(executions)), cold_cli_ms: round(median(cold)) } };
  },
};

export default bench;

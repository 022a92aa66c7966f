/**
 * Runs the real state machines of statemachines/ through the local runtime, with the real handlers and a
 * real SQLite store in a temporary directory — the integration level of the test pyramid.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { Resource } from '../../src/cloud/resources.ts';
import { parsePlanText } from '../../src/plan/plan.ts';
import { type Stack, type StackOptions, startStack } from '../../src/stack/stack.ts';

export const REFERENCE = readPlan('examples/reference.plan.yaml') as Record<string, unknown>;

export function readPlan(file: string): unknown {
  return parsePlanText(readFileSync(join(import.meta.dirname, '../..', file), 'utf8'));
}

export interface Harness {
  stack: Stack;
  dataDir: string;
  run(workflow: 'provision' | 'verify' | 'teardown', input: unknown, name?: string): Promise<Execution>;
  start(workflow: 'provision' | 'verify' | 'teardown', input: unknown, name?: string): Promise<string>;
  history(executionArn: string): Promise<HistoryEvent[]>;
  resources(plan?: string): Promise<Resource[]>;
  close(): Promise<void>;
}

export interface Execution {
  executionArn: string;
  status: string;
  error?: string | undefined;
  cause?: string | undefined;
  output?: Record<string, unknown> | undefined;
  history: HistoryEvent[];
}

let counter = 0;

export async function openHarness(options: Partial<StackOptions> = {}, dataDir?: string): Promise<Harness> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'natflow-wf-'));
  const stack = await startStack({ dataDir: dir, dataPlane: false, ...options });
  const start = async (workflow: string, input: unknown, name?: string) => {
    const started = await stack.sfn.startExecution({
      stateMachineArn: stack.stateMachineArn(workflow),
      name: name ?? `${workflow}-${process.pid}-${++counter}`,
      input: JSON.stringify(input),
    });
    return started.executionArn;
  };
  const history = async (executionArn: string) => {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await stack.sfn.getExecutionHistory(executionArn, {
        maxResults: 1000,
        ...(nextToken ? { nextToken } : {}),
      });
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  };
  return {
    stack,
    dataDir: dir,
    start,
    history,
    async run(workflow, input, name) {
      const executionArn = await start(workflow, input, name);
      const described = await stack.sfn.waitForExecution(executionArn, 60_000);
      return {
        executionArn,
        status: described.status ?? 'UNKNOWN',
        error: described.error,
        cause: described.cause,
        output: described.output ? (JSON.parse(described.output) as Record<string, unknown>) : undefined,
        history: await history(executionArn),
      };
    },
    resources: (plan) => stack.store.list(plan ? { plan } : {}),
    async close() {
      await stack.close();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The names of the states entered, in order. */
export function statesEntered(history: HistoryEvent[]): string[] {
  return history
    .filter((e) => e.type?.endsWith('StateEntered'))
    .map((e) => e.stateEnteredEventDetails?.name ?? '');
}

/** The reference plan under another name (and optionally changed), for tests that need several. */
export function variant(
  name: string,
  change: (plan: Record<string, unknown>) => void = () => undefined,
): Record<string, unknown> {
  const plan = structuredClone(REFERENCE);
  plan.name = name;
  change(plan);
  return plan;
}

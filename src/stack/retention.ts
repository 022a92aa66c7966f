/**
 * Retention of the local Step Functions service's executions (docs/reliability.md#retention): a closed
 * execution and its history are kept for `retentionDays` (NATFLOW_RETENTION_DAYS, 30) and, newest first,
 * `retentionExecutions` of them at most (NATFLOW_RETENTION_EXECUTIONS, 500); the older ones are pruned and
 * the file gives the space back (the engine's `pruneExecutions`, local-sfn).
 *
 * Never pruned, whatever their age or rank — what a person or natflow may still need:
 * - a RUNNING execution (the engine refuses anyway);
 * - an execution some resource is still recorded to (its ledger): a kept failure's resources, what an
 *   incomplete rollback left behind, a provisioning whose resources still stand;
 * - a kept failure (`onFailure: keep`) that was not rolled back, even one that created nothing: it may
 *   still be redriven;
 * - the latest execution of each plan that still has resources, and the execution its plan record names
 *   (the provisioning that made it what it is). A torn-down plan's executions are prunable like any other.
 * The newest `retentionExecutions` closed within the days are kept, whatever they are (protected ones
 * among them included); an older one is kept only when protected, on top of the bound.
 *
 * When: at start, after every `max(1, retentionExecutions / 10)` closed executions once the bound is
 * passed (so the file oscillates within 10 % of the bound instead of paying a vacuum per execution; when
 * protected executions alone pass it, a batch past what the last sweep kept), and once an hour for age.
 * The rules (`executionsToPrune`) read the store through `RetentionFacts`, so they are tested without a
 * stack.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { Store } from '../cloud/store.ts';
import type { ExecutionRecord, PruneResult, SfnService } from '../local-sfn/index.ts';
import { keptFailureRolledBack } from '../workflow/kept.ts';
import type { StackLimits } from './limits.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const CLOSED_UNSUCCESSFULLY = new Set(['FAILED', 'ABORTED', 'TIMED_OUT']);

/** What the rules ask of the store and the engine about one execution or plan. */
export interface RetentionFacts {
  /** How many resources are recorded to the execution (by ARN or name): its ledger. */
  ledgerSize(execution: ExecutionRecord): Promise<number>;
  /** Whether the plan still has resources. */
  planHasResources(plan: string): Promise<boolean>;
  /** The execution the plan's record names (the provisioning that last made it), if the plan is recorded. */
  recordedExecution(plan: string): Promise<string | undefined>;
  /** The machine key (`provision-keep`, …) of a state machine ARN. */
  machineOf(stateMachineArn: string): string | undefined;
  /** The execution's history, in order. */
  history(executionArn: string): Promise<HistoryEvent[]>;
}

export interface RetentionRules {
  now: number;
  maxAgeMs: number;
  maxExecutions: number;
}

/** The plan an execution is about: a provisioning's plan `name`, a verify's or teardown's `plan`. */
export function planOf(execution: Pick<ExecutionRecord, 'input'>): string | undefined {
  try {
    const input = JSON.parse(execution.input) as { name?: unknown; plan?: unknown };
    if (typeof input?.plan === 'string') return input.plan;
    if (typeof input?.name === 'string') return input.name;
  } catch {
    // not JSON: about no plan
  }
  return undefined;
}

/**
 * The executions to prune, given every stored execution newest first: those past the age or beyond the
 * count, less the protected ones (see the file's comment).
 */
export async function executionsToPrune(
  executions: readonly ExecutionRecord[],
  rules: RetentionRules,
  facts: RetentionFacts,
): Promise<string[]> {
  const prune: string[] = [];
  const seenPlans = new Set<string>();
  let kept = 0;
  for (const execution of executions) {
    const plan = planOf(execution);
    const latestOfPlan = plan !== undefined && !seenPlans.has(plan);
    if (plan !== undefined) seenPlans.add(plan);
    const closedAt = (execution.stopDate ?? execution.startDate).getTime();
    const expired = execution.status !== 'RUNNING' && rules.now - closedAt > rules.maxAgeMs;
    if (!expired && kept < rules.maxExecutions) {
      kept++;
      continue;
    }
    if (await isProtected(execution, plan, latestOfPlan, facts)) {
      kept++;
      continue;
    }
    prune.push(execution.executionArn);
  }
  return prune;
}

async function isProtected(
  execution: ExecutionRecord,
  plan: string | undefined,
  latestOfPlan: boolean,
  facts: RetentionFacts,
): Promise<boolean> {
  if (execution.status === 'RUNNING') return true;
  const ledger = await facts.ledgerSize(execution);
  if (ledger > 0) return true;
  if (
    facts.machineOf(execution.stateMachineArn) === 'provision-keep' &&
    CLOSED_UNSUCCESSFULLY.has(execution.status) &&
    !keptFailureRolledBack(ledger, await facts.history(execution.executionArn))
  )
    return true;
  if (
    plan !== undefined &&
    (latestOfPlan || (await facts.recordedExecution(plan)) === execution.executionArn)
  )
    return facts.planHasResources(plan);
  return false;
}

/** The store's and the engine's answers to the rules' questions. */
export function storeFacts(
  store: Store,
  sfn: Pick<SfnService, 'getExecutionHistory'>,
  machineOf: (stateMachineArn: string) => string | undefined,
): RetentionFacts {
  return {
    async ledgerSize(execution) {
      const byArn = await store.list({ execution: execution.executionArn });
      if (byArn.length > 0) return byArn.length;
      return (await store.list({ execution: execution.name })).length;
    },
    async planHasResources(plan) {
      return (await store.list({ plan })).length > 0;
    },
    async recordedExecution(plan) {
      return (await store.getPlan(plan))?.execution ?? undefined;
    },
    machineOf,
    async history(executionArn) {
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.getExecutionHistory(executionArn, {
          maxResults: 1000,
          ...(nextToken ? { nextToken } : {}),
        });
        events.push(...(page.events ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return events;
    },
  };
}

export interface Retention {
  /** Prunes what the rules allow now (at start, on the timer); `force` even when no bound is passed. */
  sweep(force?: boolean): Promise<PruneResult | undefined>;
  /** An execution closed: prunes once enough have closed past the bound. */
  executionClosed(): Promise<PruneResult | undefined>;
  stop(): void;
}

export interface RetentionOptions {
  sfn: Pick<SfnService, 'pruneExecutions' | 'executionCount' | 'getExecutionHistory'>;
  store: Store;
  limits: Pick<StackLimits, 'retentionDays' | 'retentionExecutions'>;
  now: () => number;
  machineOf: (stateMachineArn: string) => string | undefined;
  /** How often age alone is checked (default an hour); 0: never on a timer. */
  intervalMs?: number;
}

/** Retention for one stack: sweeps at the moments the file's comment gives, one at a time. */
export function createRetention(options: RetentionOptions): Retention {
  const maxAgeMs = options.limits.retentionDays * DAY_MS;
  const maxExecutions = options.limits.retentionExecutions;
  const batch = Math.max(1, Math.floor(maxExecutions / 10));
  const facts = storeFacts(options.store, options.sfn, options.machineOf);
  let running: Promise<PruneResult | undefined> | undefined;
  let stopped = false;
  // How many the last sweep kept: when protected executions alone pass the bound, the next sweep is due
  // only once another batch has closed, not after every execution.
  let lastKept = 0;

  const due = (checkAge: boolean): boolean => {
    const { count, oldestStopDate } = options.sfn.executionCount();
    if (count >= Math.max(maxExecutions, lastKept) + batch) return true;
    return checkAge && oldestStopDate !== undefined && options.now() - oldestStopDate.getTime() > maxAgeMs;
  };
  const sweep = (when: 'always' | 'due' | 'count'): Promise<PruneResult | undefined> => {
    if (stopped) return Promise.resolve(undefined);
    // One sweep at a time: a second caller shares the one under way.
    if (running) return running;
    const work = (async () => {
      if (when !== 'always' && !due(when === 'due')) return undefined;
      const rules = { now: options.now(), maxAgeMs, maxExecutions };
      let listed = 0;
      const result = await options.sfn.pruneExecutions(async (executions) => {
        listed = executions.length;
        return executionsToPrune(executions, rules, facts);
      });
      lastKept = listed - result.executions;
      return result;
    })();
    running = work;
    const done = () => {
      if (running === work) running = undefined;
    };
    work.then(done, done);
    return work;
  };

  const timer =
    options.intervalMs === 0
      ? undefined
      : setInterval(() => void sweep('due').catch(() => undefined), options.intervalMs ?? 60 * 60 * 1000);
  timer?.unref();

  return {
    sweep: (force = false) => sweep(force ? 'always' : 'due'),
    // Cheap when nothing is due: one COUNT over the executions' table; age waits for the timer.
    executionClosed: () => sweep('count'),
    stop() {
      stopped = true;
      if (timer) clearInterval(timer);
    },
  };
}

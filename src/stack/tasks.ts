/**
 * Binds Task states to in-process Lambda handlers, as AWS binds them to functions: the Task's Resource
 * (`{"Fn::GetAtt": ["createNetworks", "Arn"]}`) names a function of serverless.yml, whose `handler`
 * names the module and export to call with `(input, context)`.
 *
 * Two more things live here because they wrap every invocation:
 * - **In-flight tracking.** Rollback must wait until the execution's other handlers have settled (a
 *   failed Parallel branch does not stop its siblings); `settle(executionArn)` waits for every running
 *   handler of that execution except the caller itself (known through AsyncLocalStorage).
 * - **Draining.** Once rollback has begun (it called `settle`), no other step of that execution may
 *   start: on AWS a failed Parallel stops its sibling branches, but the local engine lets them run on,
 *   and a step starting after the rollback would leave what it creates behind. Only the cleanup
 *   functions (rollback, publishEvent) still run; any other invocation fails with
 *   `Natflow.ExecutionDraining` without calling its handler.
 * - **Fault injection** (tests only): `faults` makes a named function or state fail permanently, or
 *   transiently N times (`Natflow.Transient`, which the ASL retries), before or after its handler ran.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { Deps } from '../../functions/lib/deps.ts';
import { lambdaContext } from '../aws/local.ts';
import { NatflowError, TransientError } from '../cloud/errors.ts';
import { loadHandler } from './handlers.ts';
import { type FunctionSpec, functionNameOfResource, type ServerlessConfig } from './serverless-config.ts';

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface TaskContext {
  executionArn: string;
  executionName: string;
  stateName: string;
  functionName: string;
}

/** A fault to inject: at a function (`createGateways`) or a state (`AddDnatRule`). */
export interface FaultSpec {
  /** Function or state name. */
  at: string;
  kind: 'permanent' | 'transient';
  /** For transient faults: how many attempts fail before one succeeds (default 1). */
  times?: number;
  /** Fail before the handler runs (default) or after it ran (its side effects happened). */
  when?: 'before' | 'after';
}

/** A permanent injected fault; its name is a code no Retry matches. */
export class InjectedFaultError extends NatflowError {
  override name = 'Natflow.InjectedFault';
}

/** A step of an execution whose rollback has begun. */
export class ExecutionDrainingError extends NatflowError {
  override name = 'Natflow.ExecutionDraining';
}

/** Functions that still run once an execution is draining. */
export const CLEANUP_FUNCTIONS: readonly string[] = ['rollback', 'publishEvent'];

export class TaskBinder {
  private readonly config: ServerlessConfig;
  private readonly modules = new Map<string, Promise<LambdaHandler>>();
  private readonly running = new Map<string, Map<string, Promise<unknown>>>();
  private readonly current = new AsyncLocalStorage<{ executionArn: string; invocationId: string }>();
  private readonly faults: FaultSpec[];
  private readonly faultCounts = new Map<FaultSpec, number>();
  private readonly draining = new Set<string>();

  private readonly deps: Deps;

  /** `deps`: what every handler this binder builds depends on (the stack's store, cloud, data plane…). */
  constructor(config: ServerlessConfig, options: { deps: Deps; faults?: FaultSpec[] }) {
    this.config = config;
    this.deps = options.deps;
    this.faults = options.faults ?? [];
  }

  /** The function spec a Task resource names; throws for an unknown function. */
  functionOf(resource: unknown): FunctionSpec {
    const name = functionNameOfResource(resource);
    const spec = this.config.functions.get(name);
    if (!spec) throw new Error(`Task resource names function ${name}, which serverless.yml does not declare`);
    return spec;
  }

  /** Builds a function's handler once, with this binder's deps (see `loadHandler`). */
  load(spec: FunctionSpec): Promise<LambdaHandler> {
    let loaded = this.modules.get(spec.name);
    if (!loaded) {
      loaded = loadHandler<LambdaHandler>(spec, this.deps);
      this.modules.set(spec.name, loaded);
    }
    return loaded;
  }

  /** Invokes a function for a Task state, tracked as in flight for its execution. */
  async invoke(spec: FunctionSpec, input: unknown, task: TaskContext): Promise<unknown> {
    const handler = await this.load(spec);
    if (this.draining.has(task.executionArn) && !CLEANUP_FUNCTIONS.includes(spec.name)) {
      throw new ExecutionDrainingError(`${task.stateName} did not start: the execution is rolling back`);
    }
    const invocationId = randomUUID();
    const run = this.current.run({ executionArn: task.executionArn, invocationId }, async () => {
      this.inject(spec.name, task.stateName, 'before');
      const output = await handler(
        input,
        lambdaContext({ functionName: spec.name, requestId: invocationId, timeoutMs: 29_000 }),
      );
      this.inject(spec.name, task.stateName, 'after');
      return output;
    });
    let executions = this.running.get(task.executionArn);
    if (!executions) {
      executions = new Map();
      this.running.set(task.executionArn, executions);
    }
    executions.set(invocationId, run);
    try {
      return await run;
    } finally {
      executions.delete(invocationId);
      if (executions.size === 0) this.running.delete(task.executionArn);
    }
  }

  /**
   * Resolves when every handler of the execution has settled, except the caller's own invocation; from
   * then on the execution is draining (see above).
   */
  async settle(executionArn: string): Promise<void> {
    this.draining.add(executionArn);
    const self = this.current.getStore();
    for (;;) {
      const others = [...(this.running.get(executionArn) ?? new Map()).entries()]
        .filter(([id]) => id !== self?.invocationId)
        .map(([, run]) => run);
      if (others.length === 0) return;
      await Promise.allSettled(others);
    }
  }

  /** Forgets a closed execution's draining mark (called once it has closed and settled). */
  forget(executionArn: string): void {
    this.draining.delete(executionArn);
  }

  /** Replaces the injected faults (tests: the fault is fixed, then the execution is redriven). */
  setFaults(faults: FaultSpec[]): void {
    this.faults.splice(0, this.faults.length, ...faults);
    this.faultCounts.clear();
  }

  /** The execution whose handler is running in the current async context, if any. */
  currentExecution(): string | undefined {
    return this.current.getStore()?.executionArn;
  }

  /** Number of handlers running for an execution (all executions when omitted). */
  inFlight(executionArn?: string): number {
    if (executionArn) return this.running.get(executionArn)?.size ?? 0;
    let total = 0;
    for (const runs of this.running.values()) total += runs.size;
    return total;
  }

  private inject(functionName: string, stateName: string, when: 'before' | 'after'): void {
    for (const fault of this.faults) {
      if (fault.at !== functionName && fault.at !== stateName) continue;
      if ((fault.when ?? 'before') !== when) continue;
      const count = (this.faultCounts.get(fault) ?? 0) + 1;
      this.faultCounts.set(fault, count);
      if (fault.kind === 'permanent') {
        throw new InjectedFaultError(
          `injected permanent fault at ${stateName} (${functionName}, ${when} the handler)`,
        );
      }
      if (count <= (fault.times ?? 1)) {
        throw new TransientError(
          `injected transient fault ${count}/${fault.times ?? 1} at ${stateName} (${functionName})`,
        );
      }
    }
  }
}

/** Parses `NATFLOW_FAULTS` (a JSON array of FaultSpec), used by tests that drive the CLI. */
export function faultsFromEnv(env: NodeJS.ProcessEnv): FaultSpec[] {
  if (!env.NATFLOW_FAULTS) return [];
  const parsed: unknown = JSON.parse(env.NATFLOW_FAULTS);
  if (!Array.isArray(parsed))
    throw new Error('NATFLOW_FAULTS must be a JSON array of {at, kind, times?, when?}');
  return parsed as FaultSpec[];
}

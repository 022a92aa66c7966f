/**
 * The local stack: everything natflow is on AWS, in one process, with no cloud account and no Docker.
 *
 *     serverless.yml ──► functions (in-process handlers) ◄── TaskBinder ◄── SfnService (ASL, SQLite history)
 *                    ──► state machines ──────────────────────────────────────┘      ▲
 *                    ──► event rules ──► LocalEventBus ── StartExecution ─────────────┘
 *     HTTP 127.0.0.1: API routes (same handlers as API Gateway), AWS JSON protocol for Step Functions,
 *                     POST/GET /events, GET /dataplane, /console
 *     DataPlane: the provisioned topology as real loopback sockets
 *
 * Every handler is built by the stack with the stack's own deps (`createHandler(deps)`: its store, cloud,
 * data plane, bus and clock), so stacks in one process share nothing and the environment is never
 * written. The API handlers reach Step Functions through `@aws-sdk/client-sfn` pointed at this stack's
 * own endpoint, exactly as they reach AWS when deployed. A running stack records its URL and data-plane map
 * in `DATA_DIR/stack.json` so CLI commands use it instead of starting their own.
 *
 * On start, executions left RUNNING by a process that died are closed FAILED and their ledger rolled
 * back. Every execution that closes puts its "Execution Status Change" event on the bus, whose rule
 * starts the rollback workflow for a provisioning ABORTED or TIMED_OUT — the path AWS takes too.
 * Nothing is orphaned.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { type ApiDeps, apiDepsOf } from '../../functions/api/lib/deps.ts';
import { sfnClientFor } from '../../functions/api/lib/step-functions.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, localStateMachineArn } from '../aws/local.ts';
import type { Store } from '../cloud/store.ts';
import { createLiveFeed } from '../console/live.ts';
import { LocalEventBus } from '../local-bus/event-bus.ts';
import { DataPlane } from '../local-dataplane/index.ts';
import { syncDataPlane } from '../local-dataplane/store-sync.ts';
import { createHuaweiCloudApi, type HuaweiCloudApi } from '../local-huaweicloud/index.ts';
import { createSfnHandler } from '../local-sfn/server.ts';
import { type ExecutionRecord, SfnService } from '../local-sfn/service.ts';
import { type Clock, systemClock } from '../net/clock.ts';
import { can, DEFAULT_CLOUD, recordedCloud } from '../providers/registry.ts';
import { dataFile } from '../store/data-dir.ts';
import { openSqliteStore } from '../store/sqlite.ts';
import { rollbackInProcess } from '../workflow/deletion-rounds.ts';
import { withKeepVariant } from '../workflow/keep-variant.ts';
import { rollbackProvisioning } from '../workflow/rollback.ts';
import type { Workflow } from '../workflow/workflows.ts';
import { createHttpServer } from './http-server.ts';
import { readServerlessConfig, type ServerlessConfig } from './serverless-config.ts';
import { machineArnsByLogicalId, resolveMachineRefs, statusChangeEntry } from './status-change.ts';
import { type FaultSpec, faultsFromEnv, TaskBinder } from './tasks.ts';

export const REGION = LOCAL_REGION;
export const ACCOUNT = LOCAL_ACCOUNT_ID;

export interface StackOptions {
  dataDir: string;
  /** HTTP port on 127.0.0.1; 0 picks a free one; undefined serves no HTTP (embedded CLI runs). */
  port?: number | undefined;
  clock?: Clock;
  /** Realise the topology as loopback sockets (default true). */
  dataPlane?: boolean;
  /** Run the verify schedule of serverless.yml (default false: tests and one-shot runs). */
  schedule?: boolean;
  /** NATFLOW_TOKEN: a bearer token every API route but /health requires. */
  token?: string | undefined;
  faults?: FaultSpec[];
  /** Factor applied to Wait states and Retry pauses (default 0: locally resources are ACTIVE at once). */
  waitTimeScale?: number;
  /** Serves the console at /console when given. */
  console?: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => boolean;
  config?: ServerlessConfig;
  /** Record this stack in `DATA_DIR/stack.json` for other commands (default true; one-shot CLI runs: false). */
  advertise?: boolean;
}

export interface Stack {
  url: string | undefined;
  dataDir: string;
  store: Store;
  sfn: SfnService;
  bus: LocalEventBus;
  dataPlane: DataPlane | undefined;
  /** What this stack's handlers are built with (its store, cloud, data plane, bus, clock, Step Functions). */
  deps: ApiDeps;
  tasks: TaskBinder;
  config: ServerlessConfig;
  /** `arn:aws:states:…:stateMachine:natflow-provision-dev` by workflow key (`provision-keep` too). */
  stateMachineArn(workflow: string): string;
  /** Executions closed at start because the previous process died while they ran. */
  recovered: ExecutionRecord[];
  /** Resolves when the work the runtime does after executions close (rollback, data-plane sync) is done. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function stateMachineArnOf(name: string): string {
  return localStateMachineArn(name);
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const clock = options.clock ?? systemClock;
  const config = options.config ?? readServerlessConfig();
  const store = openSqliteStore(dataFile(dataDir, 'store'));
  const bus = new LocalEventBus({ clock });
  const dataPlane = options.dataPlane === false ? undefined : new DataPlane({ clock });
  // provision-keep (onFailure: keep) is generated from provision's definition here, never written down.
  const machines = withKeepVariant(config.stateMachines.values());
  const arns = Object.fromEntries(machines.map((m) => [m.key, stateMachineArnOf(m.name)])) as Record<
    Workflow,
    string
  >;
  const { rollback: _rollback, ...apiArns } = arns as Record<Workflow, string> & { rollback?: string };
  // The API handlers call Step Functions through the SDK at this stack's own endpoint, as they reach
  // AWS when deployed; the client exists once the server listens (`url`).
  let url: string | undefined;
  let stepFunctions: SFNClient | undefined;
  const deps = apiDepsOf({
    store,
    clock,
    live: dataPlane,
    publish: (detailType, detail) => bus.publish(detailType, detail),
    settle: (executionArn) => tasks.settle(executionArn),
    stepFunctions: () => {
      if (!url)
        throw new Error('this stack serves no HTTP: its API handlers have no Step Functions endpoint');
      stepFunctions ??= sfnClientFor({ endpoint: url, region: REGION, token: options.token });
      return stepFunctions;
    },
    // Locally the API rolls a kept failure back in process (functions/api/lib/rollback.ts), so that it
    // answers with what it deleted; the rollback machine serves the status-change path here.
    stateMachineArns: () => apiArns,
  });
  // NATFLOW_FAULTS: the test-only fault switch for stacks started by a CLI process (natflow up, embedded).
  const tasks = new TaskBinder(config, { deps, faults: options.faults ?? faultsFromEnv(process.env) });
  const workflowOfArn = new Map<string, string>();
  const pending = new Set<Promise<void>>();
  const track = (work: Promise<void>): Promise<void> => {
    pending.add(work);
    return work.finally(() => pending.delete(work));
  };
  for (const machine of machines) workflowOfArn.set(stateMachineArnOf(machine.name), machine.key);
  const machineArnOfId = machineArnsByLogicalId(config, stateMachineArnOf);

  const sfn = new SfnService({
    db: dataFile(dataDir, 'executions'),
    stateMachines: machines.map((m) => ({ name: m.name, definition: m.definition })),
    resolveTask: (resource) => {
      const spec = tasks.functionOf(resource);
      return (input, context) => tasks.invoke(spec, input, context);
    },
    region: REGION,
    accountId: ACCOUNT,
    waitTimeScale: options.waitTimeScale ?? 0,
    clock,
    onExecutionClosed: (execution) => track(afterClose(execution)),
  });

  /** Rolls an execution's ledger back on the cloud holding it (a real one deletes asynchronously). */
  async function rollbackLedger(executionArn: string): Promise<void> {
    const holder = await recordedCloud(store, { execution: executionArn }, DEFAULT_CLOUD);
    const cloud = await deps.cloud(holder);
    if (can(holder, 'realCloud')) await rollbackInProcess(cloud, store, executionArn);
    else await rollbackProvisioning(cloud, store, executionArn);
  }

  async function afterClose(execution: ExecutionRecord): Promise<void> {
    const workflow = workflowOfArn.get(execution.stateMachineArn);
    // As on AWS: the status change goes on the bus, whose rules (serverless.yml) start the rollback
    // workflow for a provisioning that ended ABORTED or TIMED_OUT.
    const put = await bus.putEvents([statusChangeEntry(execution)]);
    // What the event started (a rollback) is this close's follow-up work: `idle()` waits for it too
    // (tracked apart: waiting for it inside this hook would wait for this hook).
    for (const started of put.Started) {
      const arn = (started.result as { executionArn?: unknown } | undefined)?.executionArn;
      if (typeof arn === 'string') void track(sfn.waitForExecution(arn).then(() => undefined));
      else if (started.error)
        process.emitWarning(`natflow: rule ${started.rule} did not start: ${started.error}`);
    }
    if (
      dataPlane &&
      (workflow === 'provision' ||
        workflow === 'provision-keep' ||
        workflow === 'teardown' ||
        workflow === 'rollback')
    )
      // A provisioning or teardown syncs its plan's scope; a rollback (no plan in its input) all of it.
      await syncDataPlane(dataPlane, store, execution.input);
    await tasks.settle(execution.executionArn);
    tasks.forget(execution.executionArn);
  }

  const recovered = await sfn.recover();
  for (const execution of recovered) {
    if (workflowOfArn.get(execution.stateMachineArn) === 'provision')
      await rollbackLedger(execution.executionArn);
  }
  if (dataPlane) await dataPlane.sync(await store.list());

  for (const machine of config.stateMachines.values()) {
    for (const event of machine.events) {
      if (!event.eventBridge) continue;
      bus.addRule({
        name: `${machine.key}-${Object.values(event.eventBridge.pattern['detail-type'] ?? {}).join('-') || 'rule'}`,
        pattern: resolveMachineRefs(event.eventBridge.pattern, machineArnOfId) as Record<string, unknown>,
        ...(event.eventBridge.inputPath ? { inputPath: event.eventBridge.inputPath } : {}),
        target: (input) =>
          sfn.startExecution({
            stateMachineArn: stateMachineArnOf(machine.name),
            input: JSON.stringify(input ?? {}),
          }),
      });
    }
  }

  const timers: NodeJS.Timeout[] = [];
  if (options.schedule) {
    for (const machine of config.stateMachines.values()) {
      for (const event of machine.events) {
        if (!event.schedule?.enabled) continue;
        const every = rateToMs(event.schedule.rate);
        const timer = setInterval(() => {
          void sfn
            .startExecution({
              stateMachineArn: stateMachineArnOf(machine.name),
              input: JSON.stringify(event.schedule?.input ?? {}),
            })
            .catch((error: unknown) =>
              process.emitWarning(`natflow: the scheduled ${machine.key} did not start: ${String(error)}`),
            );
        }, every);
        timer.unref();
        timers.push(timer);
      }
    }
  }

  let server: Server | undefined;
  // The console's live updates (server-sent events) come from this stack's Step Functions service.
  const live = options.console
    ? createLiveFeed({ subscribe: (listener) => sfn.subscribe(listener) })
    : undefined;
  const consoleHandler = options.console;
  let huaweiCloud: HuaweiCloudApi | undefined;
  if (options.port !== undefined) {
    huaweiCloud = createHuaweiCloudApi({ store, dataPlane, clock });
    server = createHttpServer({
      huaweiCloud: huaweiCloud.handle,
      config,
      deps,
      sfn: createSfnHandler(sfn),
      bus,
      dataPlaneMap: () => dataPlane?.map() ?? { endpoints: [] },
      ...(consoleHandler
        ? { console: (req, res) => live?.handle(req, res) === true || consoleHandler(req, res) }
        : {}),
      ...(options.token ? { token: options.token } : {}),
    });
    await new Promise<void>((done, fail) => {
      server?.once('error', fail);
      server?.listen(options.port, '127.0.0.1', () => done());
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const stackFile = dataFile(dataDir, 'stack');
  const advertised = url !== undefined && options.advertise !== false;
  if (advertised) {
    writeFileSync(
      stackFile,
      `${JSON.stringify({ pid: process.pid, url, dataDir, startedAt: new Date(clock.now()).toISOString(), dataPlane: dataPlane?.map() }, null, 2)}\n`,
    );
  }

  let closed = false;
  return {
    url,
    dataDir,
    store,
    sfn,
    bus,
    dataPlane,
    deps,
    tasks,
    config,
    recovered,
    stateMachineArn(workflow) {
      const machine = machines.find((m) => m.key === workflow);
      if (!machine) throw new Error(`no workflow named ${workflow}`);
      return stateMachineArnOf(machine.name);
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearInterval(timer);
      live?.close();
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((done) => server?.close(() => done()));
        if (advertised) removeStackFile(stackFile);
      }
      await huaweiCloud?.close();
      await sfn.close();
      await dataPlane?.close();
      stepFunctions?.destroy();
      await store.close();
    },
  };
}

/** Removes `stack.json` if it still names this process (a later stack may have replaced it). */
function removeStackFile(file: string): void {
  try {
    if ((JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid === process.pid)
      rmSync(file, { force: true });
  } catch {
    // Missing or unreadable: nothing of ours to remove.
  }
}

/** `rate(5 minutes)` → milliseconds. */
export function rateToMs(rate: string): number {
  const match = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(rate.trim());
  if (!match) throw new Error(`unsupported schedule expression ${rate} (use rate(N minutes|hours|days))`);
  const n = Number(match[1]);
  const unit = match[2]?.startsWith('minute')
    ? 60_000
    : match[2]?.startsWith('hour')
      ? 3_600_000
      : 86_400_000;
  return n * unit;
}

/**
 * The local stack: everything natflow is on AWS, in one process, with no cloud account and no Docker.
 * This file is its composition root: it builds the components and wires them together.
 *
 *     serverless.yml ──► functions (in-process handlers) ◄── TaskBinder ◄── SfnService (ASL, SQLite history)
 *                    ──► state machines ──────────────────────────────────────┘      ▲
 *                    ──► event rules ──► LocalEventBus ── StartExecution ─────────────┘
 *     HTTP 127.0.0.1 (http/): the API routes (the handlers API Gateway runs), Step Functions' and
 *                     EventBridge's AWS JSON protocols, GET /dataplane, the Huawei API, the console
 *     DataPlane: the provisioned topology as real loopback sockets
 *
 * The components — the Step Functions engine (src/local-sfn), the bus (src/local-bus), the data plane
 * (src/local-dataplane), the Huawei Cloud API (src/local-huaweicloud), the console (src/console) — know
 * nothing of each other: what one needs of another is handed in here (the Huawei API's writes sync the
 * data plane; the console's live feed listens to the engine's history).
 *
 * Every handler is built by the stack with the stack's own deps (`createHandler(deps)`: its store, cloud,
 * data plane, bus and clock), so stacks in one process share nothing and the environment is never
 * written. The API handlers reach Step Functions through `@aws-sdk/client-sfn` pointed at this stack's
 * own endpoint, exactly as they reach AWS when deployed. A running stack records its URL and data-plane
 * map in `DATA_DIR/stack.json` (stack-file.ts) so CLI commands use it instead of starting their own.
 *
 * The data directory is private (0700, its files 0600: src/store/data-dir.ts); a looser one is tightened
 * and the stack says so. Its executions are kept within the retention bounds (retention.ts) and its
 * HTTP server within its caps on streams and requests (limits.ts), both settable from the environment.
 *
 * On start, executions left RUNNING by a process that died are closed FAILED and their ledger rolled
 * back (recovery.ts). Every execution that closes puts its "Execution Status Change" event on the bus,
 * whose rule starts the rollback workflow for a provisioning ABORTED or TIMED_OUT — the path AWS takes
 * too (after-close.ts). Nothing is orphaned.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { type ApiDeps, apiDepsOf } from '../../functions/api/lib/deps.ts';
import { sfnClientFor } from '../../functions/api/lib/step-functions.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, localStateMachineArn } from '../aws/local.ts';
import type { Store } from '../cloud/store.ts';
import type { Console, ConsoleOptions } from '../console/index.ts';
import { LocalEventBus } from '../local-bus/index.ts';
import { DataPlane } from '../local-dataplane/index.ts';
import { createHuaweiCloudApi, type HuaweiCloudApi, huaweiCloudConfig } from '../local-huaweicloud/index.ts';
import { createSfnHandler, type ExecutionRecord, type PruneResult, SfnService } from '../local-sfn/index.ts';
import { type Clock, systemClock } from '../net/clock.ts';
import { dataFile, describeTightened, preparePrivateDir, preparePrivateFile } from '../store/data-dir.ts';
import { openSqliteStore } from '../store/sqlite.ts';
import { withKeepVariant } from '../workflow/keep-variant.ts';
import type { Workflow } from '../workflow/workflows.ts';
import { afterClose } from './after-close.ts';
import { CLOUD_SETTINGS_HEADER, CloudSettings } from './cloud-settings.ts';
import { createHttpServer } from './http/index.ts';
import { limitsFromEnv, type StackLimits } from './limits.ts';
import { memberHealthOf } from './member-health.ts';
import { rollBackRecovered } from './recovery.ts';
import { createRetention } from './retention.ts';
import { readServerlessConfig, type ServerlessConfig } from './serverless-config.ts';
import { removeStackFile, writeStackFile } from './stack-file.ts';
import { type FaultSpec, faultsFromEnv, TaskBinder } from './tasks.ts';
import { addEventRules, type StartMachine, startSchedules } from './triggers.ts';

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
  /**
   * TEST KNOB: a factor applied to the engine's Wait states and Retry pauses (0 = no waiting). Default:
   * real time, as on AWS, since every stack can drive a real cloud (docs/real-cloud.md#time); the virtual
   * cloud stays fast because nothing waits when resources are ACTIVE at once. A test sets it, or
   * `NATFLOW_TEST_TIME_SCALE` for a stack a CLI process starts (`timeScaleFromEnv`).
   */
  waitTimeScale?: number;
  /** Serves the console at /console when given: `createConsole` of src/console, called with this stack's parts. */
  console?: ((options: ConsoleOptions) => Console) | undefined;
  config?: ServerlessConfig;
  /** Record this stack in `DATA_DIR/stack.json` for other commands (default true; one-shot CLI runs: false). */
  advertise?: boolean;
  /**
   * Caps and retention (limits.ts); what is not given comes from `env` (NATFLOW_MAX_STREAMS,
   * NATFLOW_MAX_REQUESTS, NATFLOW_RETENTION_DAYS, NATFLOW_RETENTION_EXECUTIONS), else the defaults.
   */
  limits?: Partial<StackLimits> | undefined;
  /** Where the limits are read from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where the stack says what people should know (a tightened data directory); default stderr. */
  warn?: (text: string) => void;
}

export interface Stack {
  url: string | undefined;
  dataDir: string;
  /** This stack's instance id: `GET /health` answers it and `stack.json` records it. */
  instance: string;
  /** The caps and retention it runs with. */
  limits: StackLimits;
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
  /** Prunes executions now, by the retention rules (retention.ts), even when no bound is passed yet. */
  pruneExecutions(): Promise<PruneResult | undefined>;
  close(): Promise<void>;
}

/**
 * `NATFLOW_TEST_TIME_SCALE`: the test-only switch of the time knob for stacks a CLI process starts
 * (`natflow up`, an embedded stack), as `NATFLOW_FAULTS` is for faults. Unset: 1, real time. Never set it
 * against a real cloud: a zeroed Retry polls a slow resource back to back until its deadline.
 */
export function timeScaleFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.NATFLOW_TEST_TIME_SCALE;
  if (raw === undefined || raw.trim() === '') return 1;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale < 0)
    throw new RangeError(`NATFLOW_TEST_TIME_SCALE must be a number ≥ 0 (got ${JSON.stringify(raw)})`);
  return scale;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const dataDir = resolve(options.dataDir);
  const warn = options.warn ?? ((text: string) => process.stderr.write(`natflow: ${text}\n`));
  const limits = { ...limitsFromEnv(options.env ?? process.env), ...definedOf(options.limits) };
  // Private: 0700, its files 0600; a looser directory (an older natflow made it) is tightened, and said.
  for (const entry of preparePrivateDir(dataDir)) warn(describeTightened(entry));
  preparePrivateFile(dataFile(dataDir, 'executions'));
  const instance = randomUUID();
  // The secret of the stack's own clients (its handlers' Step Functions calls): never capped.
  const internalKey = randomBytes(16).toString('hex');
  const clock = options.clock ?? systemClock;
  const config = options.config ?? readServerlessConfig();
  // The local Huawei API's settings before anything opens: a malformed NATFLOW_HWC_SETTLE_MS stops the start.
  const huaweiConfig = options.port === undefined ? undefined : huaweiCloudConfig(process.env);
  const store = openSqliteStore(dataFile(dataDir, 'store'));
  const bus = new LocalEventBus({ clock });
  const dataPlane = options.dataPlane === false ? undefined : new DataPlane({ clock });

  // The state machines: serverless.yml's, provision-keep (onFailure: keep) among them, derived from
  // provision's definition as the packaged template derives it (infra/keep-variant.cjs).
  const machines = withKeepVariant(config.stateMachines.values());
  const arnOfWorkflow = new Map(machines.map((m) => [m.key, localStateMachineArn(m.name)]));
  const workflowOfArn = new Map(machines.map((m) => [localStateMachineArn(m.name), m.key]));
  const workflowOf = (arn: string) => workflowOfArn.get(arn);
  // Locally the API rolls a kept failure back in process (functions/api/lib/rollback.ts), so that it
  // answers with what it deleted; the rollback machine serves the status-change path and the
  // resumption of a rollback that left resources behind.
  const apiArns = Object.fromEntries(arnOfWorkflow) as Record<Workflow, string> & { rollback?: string };

  // The handlers' deps. The API handlers call Step Functions through the SDK at this stack's own
  // endpoint, as they reach AWS when deployed; the client exists once the server listens (`url`).
  let url: string | undefined;
  let stepFunctions: SFNClient | undefined;
  // The settings a command handed in for its executions (cloud-settings.ts), in memory only.
  const cloudSettings = new CloudSettings(process.env);
  const deps = apiDepsOf({
    store,
    clock,
    live: dataPlane,
    publish: (detailType, detail) => bus.publish(detailType, detail),
    settle: (executionArn) => tasks.settle(executionArn),
    stepFunctions: () => {
      if (!url)
        throw new Error('this stack serves no HTTP: its API handlers have no Step Functions endpoint');
      if (!stepFunctions) {
        stepFunctions = sfnClientFor({
          endpoint: url,
          region: LOCAL_REGION,
          token: options.token,
          internalKey,
        });
        // An API route that starts or redrives an execution hands it the settings its caller handed in.
        stepFunctions.middlewareStack.add(
          (next) => async (args) => {
            const header = cloudSettings.currentHeader();
            const request = args.request as { headers?: Record<string, string> };
            if (header && request.headers) request.headers[CLOUD_SETTINGS_HEADER] = header;
            return next(args);
          },
          { step: 'build', name: 'natflowCloudSettings' },
        );
      }
      return stepFunctions;
    },
    stateMachineArns: () => apiArns,
    keptRollbackInProcess: true,
    env: () => cloudSettings.envFor(tasks.currentExecution()),
    instance,
  });
  // NATFLOW_FAULTS: the test-only fault switch for stacks started by a CLI process (natflow up, embedded).
  const tasks = new TaskBinder(config, { deps, faults: options.faults ?? faultsFromEnv(process.env) });

  let closed = false;
  // Work the stack does after executions close, which `idle()` waits for.
  const pending = new Set<Promise<void>>();
  const track = (work: Promise<void>): Promise<void> => {
    pending.add(work);
    return work.finally(() => pending.delete(work));
  };
  const onClose = afterClose({
    bus,
    waitForExecution: (arn) => sfn.waitForExecution(arn),
    workflowOf,
    dataPlane,
    store,
    tasks,
    track,
  });

  // The Step Functions engine runs the machines, its Tasks bound to the handlers.
  const sfn = new SfnService({
    db: dataFile(dataDir, 'executions'),
    stateMachines: machines.map((m) => ({ name: m.name, definition: m.definition })),
    resolveTask: (resource) => {
      const spec = tasks.functionOf(resource);
      return (input, context) => {
        cloudSettings.bind(context.executionArn);
        return tasks.invoke(spec, input, context);
      };
    },
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    waitTimeScale: options.waitTimeScale ?? timeScaleFromEnv(process.env),
    clock,
    onExecutionClosed: (execution) =>
      track(
        onClose(execution)
          .finally(() => cloudSettings.forget(execution.executionArn))
          .then(() => pruned(retention.executionClosed())),
      ),
  });
  // Retention: executions and their history kept within the bounds (retention.ts).
  const retention = createRetention({
    sfn,
    store,
    limits,
    now: () => clock.now(),
    machineOf: (arn) => workflowOf(arn),
  });
  const pruned = (sweep: Promise<unknown>): Promise<void> =>
    sweep.then(
      () => undefined,
      (error: unknown) => {
        if (!closed) process.emitWarning(`natflow: pruning executions failed: ${(error as Error)?.message}`);
      },
    );
  const recovered = await sfn.recover();
  await rollBackRecovered(recovered, { store, deps, workflowOf });
  await pruned(retention.sweep());
  if (dataPlane) await dataPlane.sync(await store.list());

  // What starts workflows besides callers: the bus rules and schedules of serverless.yml.
  const start: StartMachine = (name, input) =>
    sfn.startExecution({ stateMachineArn: localStateMachineArn(name), input: JSON.stringify(input) });
  addEventRules(bus, config, localStateMachineArn, start);
  const stopSchedules = options.schedule ? startSchedules(config, start) : () => {};

  // The HTTP server, each component mounted on it: the Huawei API (its writes sync the data plane)
  // and the console (its live feed listens to the engine's history) beside the stack's own protocols.
  let server: Server | undefined;
  let huaweiCloud: HuaweiCloudApi | undefined;
  let consoleApp: Console | undefined;
  if (options.port !== undefined) {
    huaweiCloud = createHuaweiCloudApi({
      store,
      ...huaweiConfig,
      clock,
      ...(dataPlane
        ? { onWrite: async () => dataPlane.sync(await store.list()), memberHealth: memberHealthOf(dataPlane) }
        : {}),
      // A stack with a token refuses the published default AK/SK (docs/huaweicloud-api.md#authentication).
      refuseDefaultKeys: Boolean(options.token),
    });
    consoleApp = options.console?.({
      stateMachines: () => machines,
      history: { subscribe: (listener) => sfn.subscribe(listener) },
    });
    server = createHttpServer({
      config,
      deps,
      sfn: createSfnHandler(sfn),
      bus,
      dataPlaneMap: () => dataPlane?.map() ?? { endpoints: [] },
      huaweiCloud,
      console: consoleApp?.handle,
      token: options.token,
      caps: { maxStreams: limits.maxStreams, maxRequests: limits.maxRequests },
      internalKey,
      cloudSettings,
    });
    try {
      await new Promise<void>((done, fail) => {
        server?.once('error', fail);
        server?.listen(options.port, '127.0.0.1', () => done());
      });
    } catch (error) {
      // Nothing listens (a port in use): close what was opened, so the caller's process can exit.
      stopSchedules();
      consoleApp?.close();
      await huaweiCloud.close();
      await sfn.close();
      await dataPlane?.close();
      await store.close();
      throw error;
    }
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const stackFile = dataFile(dataDir, 'stack');
  const advertised = url !== undefined && options.advertise !== false;
  if (url !== undefined && advertised)
    writeStackFile(stackFile, {
      url,
      instance,
      dataDir,
      startedAt: new Date(clock.now()),
      dataPlane: dataPlane?.map(),
    });

  return {
    url,
    dataDir,
    instance,
    limits,
    store,
    sfn,
    bus,
    dataPlane,
    deps,
    tasks,
    config,
    recovered,
    stateMachineArn(workflow) {
      const arn = arnOfWorkflow.get(workflow);
      if (arn === undefined) throw new Error(`no workflow named ${workflow}`);
      return arn;
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    pruneExecutions: () => retention.sweep(true),
    async close() {
      if (closed) return;
      closed = true;
      stopSchedules();
      retention.stop();
      consoleApp?.close();
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

/** The fields of a partial object that are set (an explicit `undefined` does not override a default). */
function definedOf<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

import type { Resource } from '../../cloud/resources.ts';
import type { HuaweiCloudConfig } from '../../local-huaweicloud/index.ts';
import type { StackOptions } from '../../stack/stack.ts';
import { CLOUD_FLAG, CLOUD_LIST } from '../cloud.ts';
import {
  type Command,
  dataDirOf,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  type Output,
  parseFlags,
  UsageError,
} from '../io.ts';
import { bold, dim, red, table } from '../render.ts';
import { tokenOf } from '../token.ts';

const usage = `usage: natflow up [PLAN_FILE] ${CLOUD_FLAG} [--port 3000] [--data-dir DIR] [--once]
                 [--schedule] [--json]

Starts the local stack on 127.0.0.1: the HTTP API, the Step Functions endpoint, the event bus, the
console (/console) and the live data plane. With a plan file it provisions it and streams the execution,
then prints what was created, the DNAT translation, the verification and the data-plane map (so you can
run the walkthrough's curl yourself). With --cloud naming a real cloud the plan is provisioned into its
account and verified by analysis of the model read back from it. The clouds:
${CLOUD_LIST}
It keeps serving until Ctrl-C; --once exits after the run (0 on success). --json prints one JSON event
a line. NATFLOW_TOKEN, when set, protects the API.`;

const command: Command = {
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, {
      port: { type: 'string', default: '3000' },
      once: { type: 'boolean', default: false },
      schedule: { type: 'boolean', default: false },
    });
    const [file, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(usage);
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0–65535');
    const dataDir = dataDirOf(values['data-dir'], env);
    // The stack's token (--token, else NATFLOW_TOKEN): its API needs it, and this command's client sends it.
    const token = tokenOf(values.token, env);
    const emit = (event: Record<string, unknown>) => io.out(JSON.stringify(event));
    // A port in use is refused before anything starts (no recovery run on a data directory another
    // stack may be serving, no state opened): exit 2 at once.
    if (port !== 0 && !(await portIsFree(port)))
      throw new UsageError(`port ${port} is in use on 127.0.0.1; pick another with --port`);

    const [
      { startStack },
      { huaweiCloudConfig, usesDefaultKeys },
      { DEPENDENCY_ORDER },
      { shownResources },
      registry,
      cloudFlags,
      planFile,
      run,
    ] = await Promise.all([
      import('../../stack/stack.ts'),
      import('../../local-huaweicloud/index.ts'),
      import('../../cloud/resources.ts'),
      import('../../cloud/intent.ts'),
      import('../../providers/registry.ts'),
      import('../cloud.ts'),
      import('../plan-file.ts'),
      import('../run-workflow.ts'),
    ]);
    // The local Huawei API's settings first: a malformed NATFLOW_HWC_SETTLE_MS stops the start, named.
    let hwc: HuaweiCloudConfig;
    try {
      hwc = huaweiCloudConfig(env);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    // With NATFLOW_TOKEN, the published default AK/SK are refused unless the stack has its own
    // (docs/huaweicloud-api.md).
    const refusesDefaultKeys = Boolean(env.NATFLOW_TOKEN) && usesDefaultKeys(hwc);
    // A plan file that cannot be read, or is no YAML/JSON, is refused before the stack starts.
    if (file) {
      const read = planFile.readPlanFile(file);
      if (!read.ok) {
        if (values.json) emit({ type: 'validate', valid: false, errors: read.errors });
        else planFile.printPlanErrors(io, file, read.errors);
        return EXIT_USAGE;
      }
    }
    const stack = await startStack({
      dataDir,
      port,
      schedule: values.schedule,
      token,
      env,
      warn: (text) => io.err(`natflow: ${text}`),
      console: await consoleFactory(),
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        throw new UsageError(`port ${port} is in use on 127.0.0.1; pick another with --port`);
      throw error;
    });
    const stopped = new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    try {
      if (values.json)
        emit({
          type: 'stack',
          url: stack.url,
          console: `${stack.url}/console`,
          dataDir: stack.dataDir,
          recovered: stack.recovered.length,
          huaweiCloud: {
            endpoint: stack.url,
            ak: hwc.ak,
            projectId: hwc.projectId,
            ...(refusesDefaultKeys ? { refusesDefaultKeys: true } : {}),
          },
        });
      else {
        // With a token, the console's address carries it in its fragment (never sent to the server), so
        // the page opened from this terminal needs no prompt — as Jupyter prints its token URL.
        const consoleUrl = `${stack.url}/console${token ? `#token=${encodeURIComponent(token)}` : ''}`;
        io.out(
          `${bold('natflow')} local stack on ${stack.url}  ${dim(`(console ${consoleUrl}, data ${stack.dataDir})`)}`,
        );
        if (refusesDefaultKeys)
          io.out(
            red(
              `Huawei Cloud API on ${stack.url} refuses the published default AK/SK: NATFLOW_TOKEN protects this stack, so set its own NATFLOW_HWC_AK and NATFLOW_HWC_SK to use it`,
            ),
          );
        else io.out(dim(`Huawei Cloud API on ${stack.url} (AK ${hwc.ak}, project ${hwc.projectId})`));
        for (const r of stack.recovered)
          io.out(
            red(
              `recovered ${r.executionArn}: closed FAILED and rolled back (the previous process died while it ran)`,
            ),
          );
      }
      let exitCode = EXIT_OK;
      if (file) {
        // The cloud: --cloud > the plan's cloud: > NATFLOW_CLOUD (docs/clouds.md); its dry run reads that cloud.
        let cloud: import('../../providers/registry.ts').CloudName = registry.DEFAULT_CLOUD;
        const validation = await planFile.validatePlanFile(async (document) => {
          cloud = cloudFlags.commandCloud(values, env, document);
          return cloudFlags.dryRunSourceOf(cloud, stack.store, env);
        }, file);
        if (!validation.valid || !validation.plan) {
          if (values.json) emit({ type: 'validate', valid: false, errors: validation.errors });
          else planFile.printPlanErrors(io, file, validation.errors);
          return EXIT_USAGE;
        }
        const plan = validation.plan;
        if (!values.json)
          io.out(
            `provisioning ${bold(plan.name)} from ${file}${registry.can(cloud, 'realCloud') ? ` into ${bold(cloud)}` : ''}`,
          );
        const { sfnClient } = await import('../session.ts');
        const sfn = sfnClient(stack.url as string, { token });
        const session = {
          sfn,
          url: stack.url as string,
          stack,
          token,
          stateMachineArn: async (w: string) => stack.stateMachineArn(w),
          close: async () => sfn.destroy(),
        };
        const input = { ...(validation.document as Record<string, unknown>), cloud };
        const { doc, exitCode: code } = await run.runWorkflow(session, {
          workflow: 'provision',
          input,
          name: run.executionName('provision', input),
          json: false,
          jsonLines: values.json,
          wait: true,
          io,
        });
        exitCode = code;
        // An intent a real cloud never confirmed is PENDING with no id (docs/real-cloud.md#failure).
        const resources = shownResources(await stack.store.list({ plan: plan.name }));
        const map = stack.dataPlane?.map();
        if (values.json)
          emit({
            type: 'summary',
            plan: plan.name,
            status: doc.status,
            resources: resources.map(brief),
            dataPlane: map,
          });
        else if (doc.status === 'SUCCEEDED')
          printSummary(io, resources, doc.output as ProvisionOutput, {
            live: await liveResultsOf(session, doc),
            map,
            order: DEPENDENCY_ORDER,
          });
      }
      if (values.once) return exitCode;
      if (!values.json) io.out(dim('serving; Ctrl-C to stop'));
      await stopped;
      return exitCode === EXIT_OK ? EXIT_OK : EXIT_FAILED;
    } finally {
      await stack.close();
    }
  },
};

interface ProvisionOutput {
  translation?: {
    rule: string;
    packet: string;
    verdict: string;
    translated?: { src: string; dst: string };
    reply?: { packet: string; translated?: { src: string; dst: string } };
  }[];
}

/** A verify entry's probe result with its live request (the VerifyConnectivity state's output). */
interface LiveResult {
  entry: { from: string; to: string; protocol: string; port: number };
  live?: {
    status: unknown;
    latencyMs: number;
    responder?: string;
    seen?: { loadBalancer?: string; server?: string };
  };
}

/**
 * The probe's full results of the provisioning's verification, read from its history: the rows of
 * `output.verify` (printed with the execution, docs/real-cloud.md#verification-output) say what was
 * found; these say what each live request saw on its way.
 */
async function liveResultsOf(
  session: import('../session.ts').Session,
  doc: { executionArn: string },
): Promise<LiveResult[]> {
  const { readHistory } = await import('../session.ts');
  const events = await readHistory(session, doc.executionArn);
  const exited = events.findLast(
    (e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'VerifyConnectivity',
  );
  try {
    const state = JSON.parse(exited?.stateExitedEventDetails?.output ?? '{}') as {
      verify?: { results?: LiveResult[] };
    };
    return (state.verify?.results ?? []).filter((r) => r.live);
  } catch {
    return [];
  }
}

/** Creation order of the kinds, then name: VPCs first, rules last. */
function byDependencyOrder(order: readonly string[]): (a: Resource, b: Resource) => number {
  const rank = new Map(order.map((type, i) => [type, i]));
  return (a, b) => (rank.get(a.type) ?? 99) - (rank.get(b.type) ?? 99) || a.name.localeCompare(b.name);
}

/** Whether nothing listens on 127.0.0.1:`port` (a throwaway listener there, closed at once). */
async function portIsFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => done(true)));
  });
}

function brief(resource: Resource): Record<string, unknown> {
  const address =
    'ip' in resource
      ? resource.ip
      : 'downlinkIp' in resource
        ? resource.downlinkIp
        : 'cidr' in resource
          ? resource.cidr
          : undefined;
  return {
    id: resource.id,
    type: resource.type,
    name: resource.name,
    status: resource.status,
    ...(address ? { address } : {}),
  };
}

function printSummary(
  io: Output,
  resources: Resource[],
  output: ProvisionOutput,
  {
    live,
    map,
    order,
  }: {
    live: LiveResult[];
    map: ReturnType<NonNullable<import('../../stack/stack.ts').Stack['dataPlane']>['map']> | undefined;
    order: readonly string[];
  },
) {
  io.out(`\n${bold('created')}`);
  io.out(
    table(
      ['TYPE', 'NAME', 'ID', 'ADDRESS', 'STATUS'],
      [...resources].sort(byDependencyOrder(order)).map((r) => {
        const b = brief(r);
        const extra = r.type === 'load-balancer' ? ` (backend ${r.backendIp})` : '';
        return [r.type, r.name, r.id, `${String(b.address ?? '')}${extra}`, r.status];
      }),
    ),
  );
  if (output?.translation?.length) {
    io.out(`\n${bold('DNAT translation')}`);
    for (const t of output.translation) {
      io.out(
        `  ${t.rule}: ${t.packet}  →  ${t.translated ? `${t.translated.src} > ${t.translated.dst}` : t.verdict}`,
      );
      if (t.reply?.translated)
        io.out(dim(`    reply ${t.reply.packet}  →  ${t.reply.translated.src} > ${t.reply.translated.dst}`));
    }
  }
  if (live.length > 0) {
    io.out(`\n${bold('live requests')} ${dim('(through the local data plane)')}`);
    for (const { entry, live: request } of live) {
      if (!request) continue;
      io.out(
        `  ${entry.from} → ${entry.to}:${entry.port}/${entry.protocol}  ${String(request.status)} in ${request.latencyMs.toFixed(1)} ms${request.responder ? ` from ${request.responder}` : ''}`,
      );
      // Full NAT, seen from inside: each hop names the source address it saw.
      if (request.seen?.loadBalancer)
        io.out(
          dim(
            `      the load balancer saw the client as ${request.seen.loadBalancer} (the gateway's address)`,
          ),
        );
      if (request.seen?.server) {
        const via = request.seen.loadBalancer
          ? "the load balancer's backend address"
          : "the gateway's address";
        io.out(
          dim(`      ${request.responder ?? 'the server'} saw the client as ${request.seen.server} (${via})`),
        );
      }
    }
  }
  if (map) {
    io.out(`\n${bold('data plane')} ${dim('(virtual address → loopback socket)')}`);
    const endpoints =
      (
        map as {
          endpoints?: { vpc?: string; virtual: string; loopback: string; kind: string; name: string }[];
        }
      ).endpoints ?? [];
    io.out(
      table(
        ['KIND', 'NAME', 'VPC', 'VIRTUAL', 'LOOPBACK'],
        endpoints.map((e) => [e.kind, e.name, e.vpc ?? '', e.virtual, e.loopback]),
      ),
    );
    const transit = endpoints.find((e) => e.kind === 'transit-ip');
    if (transit)
      io.out(
        `\ntry the walkthrough's check yourself:  ${bold(`curl http://${transit.loopback}/`)}  ${dim(`(the transit IP ${transit.virtual})`)}`,
      );
  }
}

/** The console's factory (`createConsole`), when the console module is present. */
async function consoleFactory(): Promise<StackOptions['console']> {
  try {
    return (await import('../../console/index.ts')).createConsole;
  } catch {
    return undefined;
  }
}

export default command;

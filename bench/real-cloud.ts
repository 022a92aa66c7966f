/**
 * A real cloud's time (docs/benchmarks.md `real_cloud`, docs/real-cloud.md#time): the reference plan
 * provisioned with `natflow provision --cloud huaweicloud` — a new process, through signed HTTP — into
 * the local Huawei Cloud API served here with per-kind latencies of 20 s or more, as slow as a real
 * account.
 *
 * - `profile`: the latencies (ms per kind): `NATFLOW_HWC_SETTLE_MS` when it is a JSON object (its kinds
 *   over `DEFAULT_PROFILE`), else `DEFAULT_PROFILE`;
 * - `critical_path_ms`: the account's own critical path for the plan: the longest chain of creations
 *   that wait for each other (`criticalPathMs`: the resource graph below, each resource taking its kind's
 *   latency), which no client can beat;
 * - `wall_ms`: the provisioning's wall time, from its StartExecution to its close as Step Functions
 *   reports them (`cli_ms`: the whole `natflow provision` process, its start-up and dry run included);
 * - `ratio`: wall over critical path (the aim: ≤ 1.2);
 * - `states`: how long each top-level state of the execution took (where the time went).
 * - `api_calls`: requests the account answered, in all and per kind (`per_resource` against `aim`: at
 *   most log₁.₅ of the kind's wait in seconds, plus its wait over 10 s divided by 10, plus 2).
 *
 * The resource graph (what the local API refuses to create under a parent that has not settled, and
 * what natflow's steps wait for): subnet ← VPC; server ← subnet; pool ← VPC; member ← pool and its
 * server's subnet (an address in a subnet: Huawei takes it while the server still boots); load
 * balancer ← its subnets; listener ← load balancer, pool; transit IP, gateway ← subnet; DNAT rule ←
 * gateway, transit IP, a load balancer target; SNAT rule ← gateway, transit IP, its source subnet.
 *
 * Runs in `npm run bench` only (minutes, by design), never in `npm test`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../src/cloud/memory-store.ts';
import {
  createHuaweiCloudApi,
  DEFAULT_AK,
  DEFAULT_PROJECT_ID,
  DEFAULT_SK,
  parseSettleEnv,
  SETTLE_KINDS,
  type SettleKind,
} from '../src/local-huaweicloud/index.ts';
import { isExisting, type Plan, PlanSchema, parsePlanText } from '../src/plan/plan.ts';
import type { BenchModule } from './index.ts';

const ROOT = join(import.meta.dirname, '..');
const PLAN_FILE = join(ROOT, 'examples/reference.plan.yaml');

/** A slow account: every kind 20 s or more, an ECS a minute, a load balancer and a gateway half that. */
export const DEFAULT_PROFILE: Readonly<Record<SettleKind, number>> = {
  vpc: 20_000,
  subnet: 20_000,
  server: 60_000,
  loadbalancer: 30_000,
  listener: 20_000,
  pool: 20_000,
  member: 20_000,
  gateway: 30_000,
  transit_ip: 20_000,
  dnat_rule: 20_000,
  snat_rule: 20_000,
};

/** The profile: `NATFLOW_HWC_SETTLE_MS`'s kinds when it is a JSON object, the defaults for the rest. */
export function profileOf(env: NodeJS.ProcessEnv): Record<SettleKind, number> {
  const raw = (env.NATFLOW_HWC_SETTLE_MS ?? '').trim();
  if (!raw.startsWith('{')) return { ...DEFAULT_PROFILE };
  const given = JSON.parse(raw) as Record<string, unknown>;
  const parsed = parseSettleEnv(raw);
  const profile = { ...DEFAULT_PROFILE };
  for (const kind of SETTLE_KINDS) if (kind in given) profile[kind] = parsed[kind];
  return profile;
}

interface Node {
  kind: SettleKind | undefined;
  parents: string[];
}

/**
 * The account's critical path for `plan` under `profile` (ms): the latest time a resource of the plan
 * has settled when each is created the moment its parents have (see the file comment for the graph);
 * `existing:` entries are there already.
 *
 * @example criticalPathMs(referencePlan, DEFAULT_PROFILE) // 100_000: VPC, subnet, then the ECS
 */
export function criticalPathMs(plan: Plan, profile: Readonly<Record<SettleKind, number>>): number {
  const nodes = new Map<string, Node>();
  const add = (key: string, kind: SettleKind | undefined, parents: (string | undefined)[]) => {
    nodes.set(key, { kind, parents: parents.filter((p): p is string => p !== undefined) });
  };
  const vpcOfSubnet = new Map<string, string>();
  const subnetOfServer = new Map<string, string>();
  for (const vpc of plan.vpcs ?? []) {
    add(`vpc:${vpc.name}`, isExisting(vpc) ? undefined : 'vpc', []);
    for (const subnet of vpc.subnets ?? []) {
      vpcOfSubnet.set(subnet.name, vpc.name);
      add(`subnet:${subnet.name}`, isExisting(subnet) ? undefined : 'subnet', [`vpc:${vpc.name}`]);
    }
  }
  const subnet = (name: string | undefined) => (name === undefined ? undefined : `subnet:${name}`);
  for (const server of plan.servers ?? []) {
    if (isExisting(server)) add(`server:${server.name}`, undefined, []);
    else {
      subnetOfServer.set(server.name, server.subnet);
      add(`server:${server.name}`, 'server', [subnet(server.subnet)]);
    }
  }
  for (const group of plan.backendGroups ?? []) {
    const firstSubnet = subnetOfServer.get(group.members?.[0]?.server ?? '');
    const vpc = firstSubnet === undefined ? undefined : vpcOfSubnet.get(firstSubnet);
    add(`pool:${group.name}`, 'pool', [vpc === undefined ? undefined : `vpc:${vpc}`]);
    (group.members ?? []).forEach((member, i) => {
      add(`member:${group.name}:${i}`, 'member', [
        `pool:${group.name}`,
        subnet(subnetOfServer.get(member.server)),
      ]);
    });
  }
  for (const lb of plan.loadBalancers ?? []) {
    if (isExisting(lb)) {
      add(`lb:${lb.name}`, undefined, []);
      continue;
    }
    add(`lb:${lb.name}`, 'loadbalancer', [subnet(lb.frontendSubnet), subnet(lb.backendSubnet)]);
    (lb.listeners ?? []).forEach((listener, i) => {
      add(`listener:${lb.name}:${i}`, 'listener', [`lb:${lb.name}`, `pool:${listener.backendGroup}`]);
    });
  }
  for (const tip of plan.transitIps ?? []) {
    add(
      `tip:${tip.name}`,
      isExisting(tip) ? undefined : 'transit_ip',
      isExisting(tip) ? [] : [subnet(tip.subnet)],
    );
  }
  for (const gateway of plan.privateNatGateways ?? []) {
    add(
      `gw:${gateway.name}`,
      isExisting(gateway) ? undefined : 'gateway',
      isExisting(gateway) ? [] : [subnet(gateway.subnet)],
    );
    (gateway.dnatRules ?? []).forEach((rule, i) => {
      const target = rule.target.loadBalancer === undefined ? undefined : `lb:${rule.target.loadBalancer}`;
      add(`dnat:${gateway.name}:${i}`, 'dnat_rule', [`gw:${gateway.name}`, `tip:${rule.transitIp}`, target]);
    });
    (gateway.snatRules ?? []).forEach((rule, i) => {
      add(`snat:${gateway.name}:${i}`, 'snat_rule', [
        `gw:${gateway.name}`,
        `tip:${rule.transitIp}`,
        vpcOfSubnet.has(rule.source) ? subnet(rule.source) : undefined,
      ]);
    });
  }
  const finish = new Map<string, number>();
  const finishOf = (key: string, depth = 0): number => {
    const known = finish.get(key);
    if (known !== undefined) return known;
    const node = nodes.get(key);
    if (node === undefined || depth > nodes.size) return 0;
    const start = Math.max(0, ...node.parents.map((parent) => finishOf(parent, depth + 1)));
    const done = start + (node.kind === undefined ? 0 : profile[node.kind]);
    finish.set(key, done);
    return done;
  };
  return Math.max(0, ...[...nodes.keys()].map((key) => finishOf(key)));
}

/** The kind a request of the Huawei API is about, by its path. */
export function kindOfRequest(path: string): string {
  const rules: [RegExp, string][] = [
    [/\/pools\/[^/]+\/members/, 'member'],
    [/\/healthmonitors/, 'pool'],
    [/\/pools/, 'pool'],
    [/\/listeners|\/ipgroups/, 'listener'],
    [/\/loadbalancers/, 'loadbalancer'],
    [/\/cloudservers|\/jobs\//, 'server'],
    [/\/security-group/, 'security_group'],
    [/\/subnets/, 'subnet'],
    [/\/vpcs/, 'vpc'],
    [/\/private-nat\/gateways/, 'gateway'],
    [/\/private-nat\/transit-ips/, 'transit_ip'],
    [/\/private-nat\/dnat-rules/, 'dnat_rule'],
    [/\/private-nat\/snat-rules/, 'snat_rule'],
  ];
  return rules.find(([pattern]) => pattern.test(path))?.[1] ?? 'other';
}

/** How many resources of each kind the plan creates (its `existing:` entries excluded). */
function resourcesOf(plan: Plan): Record<string, number> {
  const count: Record<string, number> = {};
  const bump = (kind: string, n = 1) => {
    count[kind] = (count[kind] ?? 0) + n;
  };
  for (const vpc of plan.vpcs ?? []) {
    if (!isExisting(vpc)) bump('vpc');
    for (const subnet of vpc.subnets ?? []) if (!isExisting(subnet)) bump('subnet');
  }
  for (const server of plan.servers ?? []) if (!isExisting(server)) bump('server');
  for (const group of plan.backendGroups ?? []) {
    bump('pool');
    bump('member', (group.members ?? []).length);
  }
  for (const lb of plan.loadBalancers ?? []) {
    if (isExisting(lb)) continue;
    bump('loadbalancer');
    bump('listener', (lb.listeners ?? []).length);
  }
  for (const tip of plan.transitIps ?? []) if (!isExisting(tip)) bump('transit_ip');
  for (const gateway of plan.privateNatGateways ?? []) {
    if (!isExisting(gateway)) bump('gateway');
    bump('dnat_rule', (gateway.dnatRules ?? []).length);
    bump('snat_rule', (gateway.snatRules ?? []).length);
  }
  return count;
}

/** The calls a resource may cost, waiting `ms`: log₁.₅ of its wait in s, plus (wait − 10 s) / 10, plus 2. */
export function callAim(ms: number): number {
  const seconds = ms / 1000;
  const backoff = seconds > 1 ? Math.log(seconds) / Math.log(1.5) : 0;
  return backoff + Math.max(0, seconds - 10) / 10 + 2;
}

/** The local Huawei API on 127.0.0.1 with `profile`, counting the requests it answers by kind. */
async function serveAccount(profile: Record<SettleKind, number>) {
  const api = createHuaweiCloudApi({ store: new MemoryStore(), settle: profile });
  const calls = new Map<string, number>();
  const count = (req: IncomingMessage) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const kind = kindOfRequest(path);
    calls.set(kind, (calls.get(kind) ?? 0) + 1);
  };
  const server: Server = createServer((req, res) => {
    count(req);
    void api.handle(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await api.close();
    },
  };
}

/** `natflow ARGS` as its own process, asynchronously (the account it calls is served by this one). */
function natflow(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/node'), [join(ROOT, 'bin/natflow.js'), ...args], {
      cwd: ROOT,
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The top-level states of an execution, each with when it began and how long it took (s). */
async function statesOf(
  executionArn: string,
  dataDir: string,
  env: NodeJS.ProcessEnv,
): Promise<{ state: string; start_s: number; took_s: number; polls: number }[]> {
  const run = await natflow(['executions', 'history', executionArn, '--json', '--data-dir', dataDir], env);
  if (run.code !== 0) return [];
  const events = (JSON.parse(run.stdout) as { events: HistoryEvent[] }).events;
  const t0 = Date.parse(String(events[0]?.timestamp));
  const rows: { state: string; start_s: number; took_s: number; polls: number }[] = [];
  const open = new Map<string, { at: number; polls: number }>();
  let depth = 0;
  for (const event of events) {
    const at = Date.parse(String(event.timestamp));
    const type = event.type ?? '';
    if (type.endsWith('StateEntered') && depth === 0)
      open.set(event.stateEnteredEventDetails?.name ?? '', { at, polls: 0 });
    if (type === 'ParallelStateEntered') depth++;
    if (type === 'ParallelStateExited') depth--;
    if (
      type === 'LambdaFunctionFailed' &&
      event.lambdaFunctionFailedEventDetails?.error === 'Natflow.NotReady'
    )
      for (const state of open.values()) state.polls++;
    if (type.endsWith('StateExited') && depth === 0) {
      const name = event.stateExitedEventDetails?.name ?? '';
      const entered = open.get(name);
      if (!entered) continue;
      open.delete(name);
      rows.push({
        state: name,
        start_s: Math.round((entered.at - t0) / 100) / 10,
        took_s: Math.round((at - entered.at) / 100) / 10,
        polls: entered.polls,
      });
    }
  }
  return rows;
}

interface HistoryEvent {
  timestamp?: string;
  type?: string;
  stateEnteredEventDetails?: { name?: string };
  stateExitedEventDetails?: { name?: string };
  lambdaFunctionFailedEventDetails?: { error?: string };
}

const bench: BenchModule = {
  name: 'real-cloud',
  async run({ log }) {
    const profile = profileOf(process.env);
    const plan = PlanSchema.parse(parsePlanText(readFileSync(PLAN_FILE, 'utf8')));
    const criticalPath = criticalPathMs(plan, profile);
    log(`real-cloud: profile ${JSON.stringify(profile)}; critical path ${criticalPath / 1000} s`);
    const account = await serveAccount(profile);
    const dataDir = mkdtempSync(join(tmpdir(), 'natflow-bench-real-cloud-'));
    try {
      const cliEnv = {
        ...process.env,
        NATFLOW_CLOUD: '',
        NATFLOW_HWC_SETTLE_MS: '',
        NATFLOW_TEST_TIME_SCALE: '',
        HUAWEICLOUD_ENDPOINT: account.url,
        HUAWEICLOUD_SDK_AK: DEFAULT_AK,
        HUAWEICLOUD_SDK_SK: DEFAULT_SK,
        HUAWEICLOUD_SDK_PROJECT_ID: DEFAULT_PROJECT_ID,
        HUAWEICLOUD_DEFAULT_IMAGE: 'ubuntu-22.04',
        HUAWEICLOUD_DEFAULT_FLAVOR: 's6.small.1',
      };
      const started = performance.now();
      const run = await natflow(
        ['provision', PLAN_FILE, '--cloud', 'huaweicloud', '--json', '--data-dir', dataDir],
        cliEnv,
      );
      const cli = performance.now() - started;
      if (run.code !== 0)
        throw new Error(`natflow provision exited ${run.code}: ${run.stdout} ${run.stderr}`);
      const execution = JSON.parse(run.stdout) as {
        durationMs: number;
        status: string;
        executionArn: string;
      };
      const states = await statesOf(execution.executionArn, dataDir, cliEnv);
      const resources = resourcesOf(plan);
      const perKind = [...account.calls.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([kind, calls]) => {
          const n = resources[kind];
          const wait = profile[kind as SettleKind];
          return {
            kind,
            calls,
            ...(n ? { resources: n, per_resource: Math.round((calls / n) * 10) / 10 } : {}),
            ...(n && wait !== undefined ? { aim: Math.round(callAim(wait) * 10) / 10 } : {}),
          };
        });
      const total = [...account.calls.values()].reduce((sum, n) => sum + n, 0);
      const wall = execution.durationMs;
      log(
        `real-cloud: ${execution.status} in ${wall} ms (the CLI ${Math.round(cli)} ms), ${total} API calls`,
      );
      return {
        real_cloud: {
          profile,
          wall_ms: wall,
          cli_ms: Math.round(cli),
          critical_path_ms: criticalPath,
          ratio: Math.round((wall / criticalPath) * 1000) / 1000,
          api_calls: { total, per_kind: perKind },
          states,
        },
      };
    } finally {
      await account.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
  format(result, { table, formatValue }) {
    const r = result.real_cloud as {
      profile: Record<string, number>;
      wall_ms: number;
      cli_ms: number;
      critical_path_ms: number;
      ratio: number;
      api_calls: { total: number; per_kind: Record<string, unknown>[] };
    };
    return [
      `profile (ms): ${JSON.stringify(r.profile)}`,
      `wall ${formatValue(r.wall_ms)} ms (the CLI ${formatValue(r.cli_ms)} ms) over the critical path ${formatValue(r.critical_path_ms)} ms: ratio ${r.ratio}`,
      `API calls: ${r.api_calls.total}`,
      table(r.api_calls.per_kind),
      table((result.real_cloud as { states: Record<string, unknown>[] }).states),
    ].join('\n');
  },
};

export default bench;

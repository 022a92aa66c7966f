/**
 * What the reliability suite (test/reliability/*.test.ts) and the soak runs (soak/index.ts) share: an
 * HTTP client of the local API, waiting for executions to close, generated plans, and a snapshot of the
 * store. No vitest import here: `node soak/index.ts` loads this file too.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Resource } from '../../src/cloud/resources.ts';
import type { StoreReader } from '../../src/cloud/store.ts';

export const ROOT = join(import.meta.dirname, '../..');
export const NODE = join(ROOT, 'node_modules/.bin/node');
export const NATFLOW = join(ROOT, 'bin/natflow.js');

export interface ApiAnswer {
  status: number;
  type: string | null;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON document read by tests
  json: any;
}

/** One request to the local API; the body is sent as JSON unless `raw` gives the exact bytes. */
export async function api(
  url: string,
  path: string,
  options: {
    method?: string;
    body?: unknown;
    raw?: string;
    contentType?: string | null;
    headers?: Record<string, string>;
  } = {},
): Promise<ApiAnswer> {
  const hasBody = options.body !== undefined || options.raw !== undefined;
  const headers: Record<string, string> = { ...options.headers };
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  if (hasBody && contentType !== null) headers['Content-Type'] = contentType;
  const response = await fetch(`${url}${path}`, {
    method: options.method ?? (hasBody ? 'POST' : 'GET'),
    headers,
    ...(hasBody ? { body: options.raw ?? JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, type: response.headers.get('content-type'), text, json };
}

export interface Closed {
  status: string;
  error?: string;
  cause?: string;
  startDate?: string;
  stopDate?: string;
  output?: unknown;
}

/** Polls GET /executions/{id} until the execution is no longer RUNNING. */
export async function closed(url: string, id: string, timeoutMs = 60_000, headers = {}): Promise<Closed> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await api(url, `/executions/${encodeURIComponent(id)}`, { headers });
    if (answer.status !== 200) throw new Error(`GET /executions/${id}: ${answer.status} ${answer.text}`);
    if (answer.json.status !== 'RUNNING') return answer.json as Closed;
    if (Date.now() > deadline) throw new Error(`execution ${id} still RUNNING after ${timeoutMs} ms`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Runs `fn` over `items` with at most `limit` at a time, results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The store's resources, sorted and serialised: equal snapshots mean an unchanged store. */
export async function snapshot(store: StoreReader): Promise<string> {
  const resources = await store.list();
  return JSON.stringify([...resources].sort((a, b) => a.id.localeCompare(b.id)));
}

/** Resources grouped by type, for assertions on what a run left. */
export function countByType(resources: readonly Resource[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}

/**
 * A small, complete plan with its own addresses: VPC-A 172.(16+i/256).(i%256).0/24 with ECS-A and a
 * transit IP, VPC-B 10.(i/256).(i%256).0/24 with ECS-B (tcp 80) behind a gateway and a DNAT rule tcp 80 →
 * ECS-B:80, and one verify entry. Distinct names and non-overlapping addresses for i < 4096.
 */
export function generatedPlan(i: number, prefix = 'load'): Record<string, unknown> {
  const hi = Math.floor(i / 256);
  const lo = i % 256;
  const a = `172.${16 + hi}.${lo}`;
  const b = `10.${hi}.${lo}`;
  return {
    name: `${prefix}-${i}`,
    vpcs: [
      { name: 'VPC-A', cidr: `${a}.0/24`, subnets: [{ name: 'subnet-A', cidr: `${a}.0/24` }] },
      { name: 'VPC-B', cidr: `${b}.0/24`, subnets: [{ name: 'subnet-B', cidr: `${b}.0/24` }] },
    ],
    servers: [
      { name: 'ECS-A', subnet: 'subnet-A' },
      { name: 'ECS-B', subnet: 'subnet-B', apps: [{ protocol: 'tcp', port: 80 }] },
    ],
    transitIps: [{ name: 'tip', subnet: 'subnet-A' }],
    privateNatGateways: [
      {
        name: 'gw',
        vpc: 'VPC-B',
        subnet: 'subnet-B',
        dnatRules: [
          {
            transitIp: 'tip',
            protocol: 'tcp',
            transitPort: 80,
            internalPort: 80,
            target: { server: 'ECS-B' },
          },
        ],
      },
    ],
    verify: [{ from: 'ECS-A', to: 'tip', protocol: 'tcp', port: 80, expect: 'reachable' }],
  };
}

/** The race's first plan: the shared transit IP (192.168.0.144) and gateway, no rule yet. */
export const SHARED_PLAN = {
  name: 'race-shared',
  vpcs: [
    { name: 'VPC-A', cidr: '192.168.0.0/16', subnets: [{ name: 'subnet-A01', cidr: '192.168.0.0/24' }] },
    { name: 'VPC-B', cidr: '10.0.0.0/16', subnets: [{ name: 'subnet-B01', cidr: '10.0.0.0/24' }] },
  ],
  transitIps: [{ name: 'transit-ip-A', subnet: 'subnet-A01', ip: '192.168.0.144' }],
  privateNatGateways: [{ name: 'gw', vpc: 'VPC-B', subnet: 'subnet-B01', spec: 'Medium' }],
};

export interface SharedIds {
  vpcB: string;
  subnetB: string;
  transitIp: string;
  gateway: string;
}

export function sharedIdsOf(resources: readonly Resource[]): SharedIds {
  const id = (type: string, name: string) => {
    const found = resources.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`the shared plan created no ${type} ${name}`);
    return found.id;
  };
  return {
    vpcB: id('vpc', 'VPC-B'),
    subnetB: id('subnet', 'subnet-B01'),
    transitIp: id('transit-ip', 'transit-ip-A'),
    gateway: id('private-nat-gateway', 'gw'),
  };
}

/**
 * Contender i of the race: a new server 10.0.0.(20+i) in the shared subnet (so a loser has something of
 * its own to roll back) and a DNAT rule tcp 8080 on the shared transit IP → that server.
 */
export function contenderPlan(i: number, ids: SharedIds, prefix = 'race'): Record<string, unknown> {
  return {
    name: `${prefix}-${i}`,
    vpcs: [{ name: 'VPC-B', existing: ids.vpcB, subnets: [{ name: 'subnet-B01', existing: ids.subnetB }] }],
    servers: [
      {
        name: `target-${i}`,
        subnet: 'subnet-B01',
        ip: `10.0.0.${20 + i}`,
        apps: [{ protocol: 'tcp', port: 8080 }],
      },
    ],
    transitIps: [{ name: 'transit-ip-A', existing: ids.transitIp }],
    privateNatGateways: [
      {
        name: 'gw',
        existing: ids.gateway,
        dnatRules: [
          {
            transitIp: 'transit-ip-A',
            protocol: 'tcp',
            transitPort: 8080,
            internalPort: 8080,
            target: { server: `target-${i}` },
          },
        ],
      },
    ],
  };
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `natflow ARGS…` as a child process with the pinned Node. */
export function natflow(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, ['--no-warnings', NATFLOW, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** p-th percentile (0–100) of a list of numbers, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export interface LoadResult {
  count: number;
  concurrency: number;
  wallMs: number;
  /** Executions per second over the wall time. */
  throughput: number;
  /** Per execution, server side: startDate → stopDate. */
  latencyMs: { p50: number; p99: number; max: number };
  /** Per execution, client side: POST /executions sent → SUCCEEDED seen (includes validation, polling). */
  clientMs: { p50: number; p99: number };
  /** Server-side latency p50 of the first and the last tenth of the plans, in order of submission. */
  firstTenthP50: number;
  lastTenthP50: number;
  statuses: Record<string, number>;
  failures: { name: string; status: string; error?: string | undefined; cause?: string | undefined }[];
}

/** Provisions `plans` through POST /executions, `concurrency` at a time, each until it closes. */
export async function provisionAll(
  url: string,
  plans: readonly Record<string, unknown>[],
  concurrency: number,
): Promise<LoadResult> {
  const started = performance.now();
  const runs = await mapLimit(plans, concurrency, async (plan) => {
    const t0 = performance.now();
    const name = `${String(plan.name)}-x`;
    const answer = await api(url, '/executions', { body: { workflow: 'provision', input: plan, name } });
    if (answer.status !== 201)
      return { name, status: `HTTP ${answer.status}`, error: answer.json?.code, ms: 0, client: 0 };
    const done = await closed(url, name, 120_000);
    const ms =
      done.startDate && done.stopDate ? Date.parse(done.stopDate) - Date.parse(done.startDate) : Number.NaN;
    return {
      name,
      status: done.status,
      error: done.error,
      cause: done.cause,
      ms,
      client: performance.now() - t0,
    };
  });
  const wallMs = performance.now() - started;
  const statuses: Record<string, number> = {};
  for (const run of runs) statuses[run.status] = (statuses[run.status] ?? 0) + 1;
  const ok = runs.filter((run) => run.status === 'SUCCEEDED');
  const ms = ok.map((run) => run.ms);
  const client = ok.map((run) => run.client);
  return {
    count: plans.length,
    concurrency,
    wallMs: Math.round(wallMs),
    throughput: Math.round((plans.length / (wallMs / 1000)) * 10) / 10,
    latencyMs: { p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms) },
    clientMs: { p50: Math.round(percentile(client, 50)), p99: Math.round(percentile(client, 99)) },
    firstTenthP50: percentile(
      runs.slice(0, Math.ceil(runs.length / 10)).map((run) => run.ms),
      50,
    ),
    lastTenthP50: percentile(
      runs.slice(-Math.ceil(runs.length / 10)).map((run) => run.ms),
      50,
    ),
    statuses,
    failures: runs
      .filter((run) => run.status !== 'SUCCEEDED')
      .map(({ name, status, error, cause }) => ({ name, status, error, cause })),
  };
}

/**
 * Two natflow stacks, as a user runs them against a Huawei Cloud account: "the account" is a whole
 * natflow stack serving the local Huawei Cloud API, started here in the test process on its own data
 * directory (so a test can stop it and start it again on the same port and data, as an account that
 * goes away and comes back); the client is `natflow` run as its own processes with
 * `HUAWEICLOUD_ENDPOINT` pointing at it, so every provisioning step is a signed HTTP call. What the
 * account holds is read back through its API with the provider's SDK-signed clients (`HcClient`).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK } from '../../../src/local-huaweicloud/index.ts';
import { apisFor } from '../../../src/providers/huaweicloud/apis.ts';
import { readSettings } from '../../../src/providers/huaweicloud/config.ts';
import { type Stack, startStack } from '../../../src/stack/stack.ts';

export const ROOT = join(import.meta.dirname, '../../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const BIN = join(ROOT, 'bin/natflow.js');
export const REFERENCE = join(ROOT, 'examples/reference.plan.yaml');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: () => Record<string, unknown>;
}

/** The account: a natflow stack serving the local Huawei Cloud API on a fixed port once started. */
export class Account {
  stack: (Stack & { url: string }) | undefined;
  private port = 0;
  readonly dataDir: string;

  constructor(dataDir: string) {
    this.dataDir = dataDir;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts it (again, on the same port and data directory after `stop`). */
  async start(): Promise<void> {
    this.stack = (await startStack({ dataDir: this.dataDir, port: this.port, dataPlane: false })) as Stack & {
      url: string;
    };
    this.port = Number(new URL(this.stack.url).port);
  }

  /** Stops it: every connection dropped, nothing answers on its port any more. */
  async stop(): Promise<void> {
    await this.stack?.close();
    this.stack = undefined;
  }

  /** What the account holds, through its API (the provider's SDK-signed clients). */
  api(credentials: { ak: string; sk: string; projectId: string } = DEFAULT_CREDENTIALS) {
    return apisFor(readSettings({ HUAWEICLOUD_ENDPOINT: this.url }), credentials);
  }

  /** Everything the account holds, read back kind by kind through its API. */
  async holdings(): Promise<{ kind: string; name: string; id: string }[]> {
    const api = this.api();
    const found: { kind: string; name: string; id: string }[] = [];
    const add = (kind: string, items: { id: string; name?: string | null }[]) =>
      found.push(...items.map((i) => ({ kind, name: i.name ?? '', id: i.id })));
    add('vpc', await api.vpc.listVpcs());
    add('subnet', await api.vpc.listSubnets());
    add('security-group', await api.vpc.listSecurityGroups());
    add('server', await api.ecs.listServers());
    add('load-balancer', await api.elb.listLoadBalancers());
    add('backend-group', await api.elb.listPools());
    add('private-nat-gateway', await api.nat.listGateways());
    add('transit-ip', await api.nat.listTransitIps());
    add('dnat-rule', await api.nat.listDnatRules());
    return found;
  }
}

export const DEFAULT_CREDENTIALS = { ak: DEFAULT_AK, sk: DEFAULT_SK, projectId: DEFAULT_PROJECT_ID };

/**
 * Runs `natflow ARGS` as its own process against `endpoint`. Asynchronously: the account it calls is
 * served by this very process, whose event loop must keep running meanwhile.
 */
export function natflow(
  options: { dataDir: string; endpoint: string; env?: Record<string, string>; timeoutMs?: number },
  ...args: string[]
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [BIN, ...args, '--data-dir', options.dataDir], {
      cwd: ROOT,
      env: {
        ...process.env,
        NATFLOW_CLOUD: '',
        NATFLOW_HWC_TEST_DROP_RESPONSE: '',
        NATFLOW_HWC_SETTLE_MS: '',
        HUAWEICLOUD_ENDPOINT: options.endpoint,
        HUAWEICLOUD_SDK_AK: DEFAULT_AK,
        HUAWEICLOUD_SDK_SK: DEFAULT_SK,
        HUAWEICLOUD_SDK_PROJECT_ID: DEFAULT_PROJECT_ID,
        HUAWEICLOUD_DEFAULT_IMAGE: 'ubuntu-22.04',
        HUAWEICLOUD_DEFAULT_FLAVOR: 's6.small.1',
        ...options.env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill(), options.timeoutMs ?? 180_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: code ?? -1,
        stdout,
        stderr,
        json: () => JSON.parse(stdout) as Record<string, unknown>,
      });
    });
  });
}

/** Resolves once `check` holds, polling every `everyMs` (a condition of the account, met mid-run). */
export async function until(check: () => Promise<boolean>, everyMs = 20, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the condition never held');
    await new Promise((done) => setTimeout(done, everyMs));
  }
}

/**
 * An in-process local Huawei Cloud on loopback for the tests: a SQLite store in a temporary directory,
 * a live data plane on its own loopback prefix, and the Huawei API server over them; SDK clients
 * (`@huaweicloud/huaweicloud-sdk-vpc`/`-ecs`, the core's `HcClient` for ELB and NAT) pointed at it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { ClientBuilder } from '@huaweicloud/huaweicloud-sdk-core/ClientBuilder.js';
import type { HcClient } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import { Logger4jInstance } from '@huaweicloud/huaweicloud-sdk-core/logger/log4jLogger.js';
import { EcsClient } from '@huaweicloud/huaweicloud-sdk-ecs';
import { VpcClient } from '@huaweicloud/huaweicloud-sdk-vpc';
import type { Store } from '../../src/cloud/store.ts';
import { DataPlane } from '../../src/local-dataplane/index.ts';
import {
  DEFAULT_AK,
  DEFAULT_PROJECT_ID,
  DEFAULT_SK,
  type HuaweiCloudServer,
  type SettleSpec,
  signRequest,
  startHuaweiCloudServer,
} from '../../src/local-huaweicloud/index.ts';
import type { Clock } from '../../src/net/clock.ts';
import { memberHealthOf } from '../../src/stack/member-health.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';

export const AK = DEFAULT_AK;
export const SK = DEFAULT_SK;
export const PROJECT = DEFAULT_PROJECT_ID;

export interface Local {
  url: string;
  store: Store;
  dataPlane: DataPlane | undefined;
  server: HuaweiCloudServer;
  vpc: VpcClient;
  ecs: EcsClient;
  hc: HcClient;
  close(): Promise<void>;
}

export function credentials(ak = AK, sk = SK, project = PROJECT): BasicCredentials {
  return new BasicCredentials().withAk(ak).withSk(sk).withProjectId(project);
}

export async function startLocal(
  options: { dataPlane?: boolean; settleMs?: SettleSpec; prefix?: string; clock?: Clock } = {},
): Promise<Local> {
  const dir = mkdtempSync(join(tmpdir(), 'natflow-hwc-'));
  const store = openSqliteStore(join(dir, 'natflow.sqlite'));
  const dataPlane =
    options.dataPlane === false
      ? undefined
      : new DataPlane({
          loopbackPrefix: options.prefix ?? '127.94',
          remapPrivilegedPorts: true,
          timeoutMs: 1500,
        });
  const server = await startHuaweiCloudServer({
    store,
    // As the local stack composes it: every write syncs the data plane before it is answered, and the
    // members' health comes from the data plane's checks.
    ...(dataPlane
      ? { onWrite: async () => dataPlane.sync(await store.list()), memberHealth: memberHealthOf(dataPlane) }
      : {}),
    settleMs: options.settleMs ?? 0,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const creds = credentials();
  return {
    url: server.url,
    store,
    dataPlane,
    server,
    vpc: VpcClient.newBuilder().withCredential(creds).withEndpoint(server.url).build(),
    ecs: EcsClient.newBuilder().withCredential(creds).withEndpoint(server.url).build(),
    hc: new ClientBuilder((client: HcClient) => client)
      .withCredential(creds)
      .withEndpoint(server.url)
      .build(),
    async close() {
      await server.close();
      await dataPlane?.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The SDK logs every refused request at ERROR level through log4js; the tests assert on them instead. */
(Logger4jInstance as { level: string }).level = 'off';

/** A request through the core's HcClient (ELB and NAT have no npm service client). */
export async function call(
  hc: HcClient,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  data?: unknown,
  queryParams: Record<string, string | number> = {},
): Promise<Record<string, unknown> & { httpStatusCode: number }> {
  return (await hc.sendRequest({
    method,
    url,
    contentType: 'application/json',
    pathParams: {},
    queryParams,
    headers: {},
    ...(data === undefined ? {} : { data }),
  } as never)) as Record<string, unknown> & { httpStatusCode: number };
}

/** The status and body an SDK call failed with. */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ status: number; code: string; body: unknown }> {
  try {
    await promise;
  } catch (error) {
    const e = error as {
      httpStatusCode?: number;
      status?: number;
      errorCode?: string;
      errorMsg?: string;
      originalError?: unknown;
    };
    return { status: e.httpStatusCode ?? e.status ?? 0, code: e.errorCode ?? '', body: e };
  }
  throw new Error('the call succeeded; a refusal was expected');
}

/** A raw signed request (exact body bytes), for what the SDKs cannot send. */
export async function raw(
  url: string,
  method: string,
  path: string,
  body?: string | Buffer,
  options: { ak?: string; sk?: string; now?: number; headers?: Record<string, string>; query?: string } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const host = new URL(url).host;
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  const headers = signRequest(
    {
      method,
      rawPath: path,
      rawQuery: options.query ?? '',
      headers: { host, 'content-type': 'application/json', ...(options.headers ?? {}) },
      body: payload,
    },
    { ak: options.ak ?? AK, sk: options.sk ?? SK },
    options.now ?? Date.now(),
  );
  const response = await fetch(`${url}${path}${options.query ? `?${options.query}` : ''}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: payload }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export const V1 = `/v1/${PROJECT}`;
export const V3 = `/v3/${PROJECT}`;

export interface Base {
  vpcA: string;
  vpcB: string;
  subnetA: string;
  subnetB: string;
  ipv4B: string;
  ecsA: string;
  ecsB: string;
  ecsAPort: string;
  ecsBPort: string;
  lb: string;
  lbPort: string;
  tip: string;
  gateway: string;
}

function field(response: Record<string, unknown>, wrapper: string, name = 'id'): string {
  return String((response[wrapper] as Record<string, unknown>)[name]);
}

/** The walkthrough's resources through the API: VPC-A/B, ECS-A/B (B serves 80), ELB01, 192.168.0.144, a Small gateway in B. */
export async function buildBase(local: Local): Promise<Base> {
  const hc = local.hc;
  const vpcA = field(
    await call(hc, 'POST', `${V1}/vpcs`, { vpc: { name: 'VPC-A', cidr: '192.168.0.0/16' } }),
    'vpc',
  );
  const vpcB = field(
    await call(hc, 'POST', `${V1}/vpcs`, { vpc: { name: 'VPC-B', cidr: '10.0.0.0/16' } }),
    'vpc',
  );
  const subnetA = field(
    await call(hc, 'POST', `${V1}/subnets`, {
      subnet: { name: 'subnet-A01', cidr: '192.168.0.0/24', gateway_ip: '192.168.0.1', vpc_id: vpcA },
    }),
    'subnet',
  );
  const subnetBResponse = await call(hc, 'POST', `${V1}/subnets`, {
    subnet: { name: 'subnet-B01', cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1', vpc_id: vpcB },
  });
  const subnetB = field(subnetBResponse, 'subnet');
  const ipv4B = field(subnetBResponse, 'subnet', 'neutron_subnet_id');
  const server = async (name: string, vpc: string, subnet: string, userData?: string) => {
    const created = await call(hc, 'POST', `${V1}/cloudservers`, {
      server: {
        name,
        imageRef: 'img',
        flavorRef: 's6.small.1',
        vpcid: vpc,
        nics: [{ subnet_id: subnet }],
        root_volume: { volumetype: 'SSD' },
        ...(userData ? { user_data: Buffer.from(userData).toString('base64') } : {}),
      },
    });
    const id = (created.serverIds as string[])[0] as string;
    const shown = (await call(hc, 'GET', `${V1}/cloudservers/${id}`)).server as Record<string, unknown>;
    const addresses =
      Object.values(shown.addresses as Record<string, Array<Record<string, string>>>)[0] ?? [];
    return { id, port: addresses[0]?.['OS-EXT-IPS:port_id'] as string };
  };
  const a = await server('ECS-A', vpcA, subnetA);
  const b = await server('ECS-B', vpcB, subnetB, 'python3 -m http.server 80');
  const lbResponse = await call(hc, 'POST', `${V3}/elb/loadbalancers`, {
    loadbalancer: {
      name: 'ELB01',
      vip_subnet_cidr_id: ipv4B,
      elb_virsubnet_ids: [subnetB],
      availability_zone_list: ['az1'],
    },
  });
  const tip = field(
    await call(hc, 'POST', `${V3}/private-nat/transit-ips`, {
      transit_ip: { virsubnet_id: subnetA, ip_address: '192.168.0.144' },
    }),
    'transit_ip',
  );
  const gateway = field(
    await call(hc, 'POST', `${V3}/private-nat/gateways`, {
      gateway: { name: 'private_nat_gateway', spec: 'Small', downlink_vpcs: [{ virsubnet_id: subnetB }] },
    }),
    'gateway',
  );
  return {
    vpcA,
    vpcB,
    subnetA,
    subnetB,
    ipv4B,
    ecsA: a.id,
    ecsB: b.id,
    ecsAPort: a.port,
    ecsBPort: b.port,
    lb: field(lbResponse, 'loadbalancer'),
    lbPort: field(lbResponse, 'loadbalancer', 'vip_port_id'),
    tip,
    gateway,
  };
}

/** A DNAT rule body. */
export function dnatBody(
  base: Base,
  overrides: Record<string, unknown> = {},
): { dnat_rule: Record<string, unknown> } {
  return {
    dnat_rule: {
      gateway_id: base.gateway,
      transit_ip_id: base.tip,
      network_interface_id: base.lbPort,
      protocol: 'tcp',
      internal_service_port: '80',
      transit_service_port: '80',
      ...overrides,
    },
  };
}

/** Every resource of the store, as a comparable snapshot. */
export async function snapshot(store: Store): Promise<string> {
  return JSON.stringify(await store.list());
}

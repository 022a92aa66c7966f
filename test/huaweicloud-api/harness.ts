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
import { EcsClient } from '@huaweicloud/huaweicloud-sdk-ecs';
import { VpcClient } from '@huaweicloud/huaweicloud-sdk-vpc';
import type { Store } from '../../src/cloud/store.ts';
import { DataPlane } from '../../src/runtime/dataplane/index.ts';
import {
  DEFAULT_AK,
  DEFAULT_PROJECT_ID,
  DEFAULT_SK,
  type HuaweiCloudServer,
  signRequest,
  startHuaweiCloudServer,
} from '../../src/runtime/huaweicloud/index.ts';
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
  options: { dataPlane?: boolean; settleMs?: number; prefix?: string } = {},
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
  const server = await startHuaweiCloudServer({ store, dataPlane, settleMs: options.settleMs ?? 0 });
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
  options: { sk?: string; now?: number; headers?: Record<string, string>; query?: string } = {},
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
    { ak: AK, sk: options.sk ?? SK },
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

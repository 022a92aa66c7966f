/**
 * The signed transport every Huawei client of natflow shares: the SDK core's `HcClient` with
 * `BasicCredentials` (AK/SK, `SDK-HMAC-SHA256`, `X-Security-Token` for temporary credentials), one per
 * service endpoint. No signer of natflow's own.
 *
 * Two adjustments at the edge, both in the SDK's own extension points:
 * - the SDK's `DefaultHttpClient` logs every failed call at ERROR through log4js; natflow maps and reports
 *   the failure itself, so the client gets a silent logger;
 * - the SDK reads error codes from `{error_code, error_msg}` and `{error: {code, message}}` only; VPC v1
 *   answers `{code, message}` and Neutron-style APIs `{NeutronError: {type, message}}`. Those bodies are
 *   normalised to `error_code`/`error_msg` before the SDK builds its exception, so the service's own code
 *   reaches `mapHuaweiError`.
 */
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { HcClient } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import { DefaultHttpClient } from '@huaweicloud/huaweicloud-sdk-core/http/DefaultHttpClient.js';
import type { HuaweiCredentials } from './config.ts';
import { mapHuaweiError } from './errors.ts';

const silent = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => 'error',
  setName() {},
};

/** `{code, message}` and `{NeutronError: {message}}` error bodies as the SDK reads them. */
export function normalizeErrorBody(data: unknown): unknown {
  if (!data || typeof data !== 'object') return data;
  const body = data as Record<string, unknown>;
  if (typeof body.error_code === 'string' || (body.error && typeof body.error === 'object')) return data;
  if (typeof body.code === 'string' && typeof body.message === 'string') {
    return { ...body, error_code: body.code, error_msg: body.message };
  }
  const neutron = body.NeutronError as Record<string, unknown> | undefined;
  if (neutron && typeof neutron.message === 'string') {
    return { ...body, error_code: String(neutron.type ?? 'NeutronError'), error_msg: neutron.message };
  }
  return data;
}

class NormalizingHttpClient extends DefaultHttpClient {
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's request and response types are not exported.
  override async sendRequest(request: any): Promise<any> {
    try {
      return await super.sendRequest(request);
    } catch (error) {
      const failure = error as { data?: unknown };
      if (failure && typeof failure === 'object') failure.data = normalizeErrorBody(failure.data);
      throw error;
    }
  }
}

/** A signed `HcClient` for one service's base URL. */
export function hcClientFor(endpoint: string, credentials: HuaweiCredentials): HcClient {
  const credential = new BasicCredentials()
    .withAk(credentials.ak)
    .withSk(credentials.sk)
    .withProjectId(credentials.projectId);
  if (credentials.securityToken) credential.withSecurityToken(credentials.securityToken);
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's ClientOptions type does not list `logger`.
  const options: any = {
    disableSslVerification: false,
    logger: silent,
    headers: { 'User-Agent': 'huaweicloud-usdk-nodejs/3.0; natflow' },
  };
  const http = new NormalizingHttpClient(options, [endpoint]);
  return new HcClient(http).withCredential(credential).withEndpoints([endpoint]);
}

/** One operation of a thin client: method, path (with `{project_id}` and path parameters), query, body. */
export interface Operation {
  /** `NAT CreatePrivateDnat`: names the call in errors. */
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  pathParams?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: Record<string, unknown>;
}

/**
 * Sends one operation through HcClient; resolves with the JSON body (without the SDK's
 * `httpStatusCode`), rejects with the mapped natflow error.
 */
export async function send<T>(client: HcClient, op: Operation): Promise<T> {
  const queryParams: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(op.query ?? {})) if (v !== undefined) queryParams[k] = v;
  try {
    const response = (await client.sendRequest({
      method: op.method,
      url: op.url,
      contentType: 'application/json;charset=UTF-8',
      queryParams,
      pathParams: op.pathParams ?? {},
      headers: {},
      ...(op.body === undefined ? {} : { data: op.body }),
    })) as Record<string, unknown>;
    const { httpStatusCode: _status, ...body } = response;
    return body as T;
  } catch (error) {
    throw mapHuaweiError(error, op.name);
  }
}

/** Wraps an SDK service client call the same way. */
export async function call<T>(name: string, fn: () => Promise<unknown>): Promise<T> {
  try {
    const response = (await fn()) as Record<string, unknown>;
    const { httpStatusCode: _status, ...body } = response ?? {};
    return body as T;
  } catch (error) {
    throw mapHuaweiError(error, name);
  }
}

/**
 * natflow as a local Huawei Cloud (docs/huaweicloud-api.md): the REST API of VPC v1, ECS, ELB v3 and private NAT v3,
 * served over the virtual cloud on `natflow up`'s port, signed with `SDK-HMAC-SHA256` and verified over
 * the raw bytes received.
 *
 * Entry points (stable; the `huaweicloud` provider's tests use them):
 * - `startStack({ dataDir, port: 0 })` serves it beside natflow's API (`stack.url`), with the keys of
 *   `huaweiCloudConfig(process.env)`;
 * - `startHuaweiCloudServer({ store, onWrite?, port?, ...config })` serves it alone on 127.0.0.1;
 * - `createHuaweiCloudApi(options).handle(req, res)` is the request hook (`true` when it answered), for
 *   the requests `isHuaweiRequest` tells apart.
 *
 * Every request: route (404 `APIGW.0101` for an unknown path) → signature, date and project id (401
 * `APIGW.0301`, nothing changed) → the route → `onWrite` after a write (the stack syncs its data plane).
 * This component knows no other: whoever composes it says what a write sets off.
 * Errors are 4xx in the service's shape; an unexpected failure is a 500 in that shape, never a stack.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Store } from '../cloud/store.ts';
import { type Clock, systemClock } from '../net/clock.ts';
import { verifySignature } from './auth.ts';
import { type ApiRequest, HuaweiContext } from './context.ts';
import { ecsRoutes } from './ecs.ts';
import { elbRoutes } from './elb.ts';
import { errorBody, HuaweiApiError, type HuaweiService, unauthorized } from './errors.ts';
import type { MemberHealthSource } from './health-source.ts';
import { natRoutes } from './nat.ts';
import type { Route } from './routes.ts';
import { ClientGoneError, parseSettleEnv, type SettleSpec, type SettleTimes, settleTimes } from './settle.ts';
import { vpcRoutes } from './vpc.ts';

/** Signs a request as Huawei's SDKs do (the tests' own clients use it). */
export { signRequest } from './auth.ts';
/** What the live data plane knows of a member's health: the composer provides it (`memberHealth`). */
export type { MemberHealthSource } from './health-source.ts';
/** NATFLOW_HWC_SETTLE_MS, per kind (docs/huaweicloud-api.md). */
export {
  parseSettleEnv,
  SETTLE_KINDS,
  type SettleKind,
  type SettleSpec,
  type SettleTimes,
} from './settle.ts';

export const DEFAULT_AK = 'NATFLOWLOCALAK000000';
export const DEFAULT_SK = 'natflowlocalsecretkey000000000000000000';
export const DEFAULT_PROJECT_ID = '0123456789abcdef0123456789abcdef';
const MAX_BODY_BYTES = 256 * 1024;

export interface HuaweiCloudConfig {
  ak: string;
  sk: string;
  projectId: string;
  /** NATFLOW_HWC_SETTLE_MS per kind: how long creations and deletions take to settle (default 0; settle.ts). */
  settle: SettleTimes;
  region: string;
}

/**
 * The configuration from the environment (docs/huaweicloud-api.md names, defaults and settle times). A
 * malformed NATFLOW_HWC_SETTLE_MS throws, naming the variable: a stack refuses to start on it.
 */
export function huaweiCloudConfig(env: NodeJS.ProcessEnv = process.env): HuaweiCloudConfig {
  return {
    ak: env.NATFLOW_HWC_AK || DEFAULT_AK,
    sk: env.NATFLOW_HWC_SK || DEFAULT_SK,
    projectId: env.NATFLOW_HWC_PROJECT_ID || DEFAULT_PROJECT_ID,
    settle: parseSettleEnv(env.NATFLOW_HWC_SETTLE_MS),
    region: env.HUAWEICLOUD_REGION || 'cn-north-4',
  };
}

/** True when the keys in effect include a published default (DEFAULT_AK or DEFAULT_SK). */
export function usesDefaultKeys(config: Pick<HuaweiCloudConfig, 'ak' | 'sk'>): boolean {
  return config.ak === DEFAULT_AK || config.sk === DEFAULT_SK;
}

export interface HuaweiCloudApiOptions extends Partial<Omit<HuaweiCloudConfig, 'settle'>> {
  store: Store;
  /**
   * Called after every write has committed, before it is answered: what the change sets off where this
   * API is composed (the local stack syncs its data plane, so the answer's resources have their sockets).
   */
  onWrite?: (() => Promise<void>) | undefined;
  clock?: Clock;
  /** Settle times: one number for every kind, or some kinds (default: NATFLOW_HWC_SETTLE_MS). */
  settle?: SettleSpec;
  /** The same as `settle` (its older name). */
  settleMs?: SettleSpec;
  /** Members' health from the live data plane (the stack provides it); without it the model decides. */
  memberHealth?: MemberHealthSource | undefined;
  /**
   * A stack started with NATFLOW_TOKEN refuses the published default AK/SK (401, nothing changed) unless
   * its own NATFLOW_HWC_AK/_SK are set (docs/huaweicloud-api.md#authentication).
   */
  refuseDefaultKeys?: boolean;
  /** TEST ONLY: responses to drop after their write committed (see `TestFaults`). */
  faults?: TestFaults;
}

/**
 * TEST ONLY — the crash between a cloud call and natflow's ledger write, injected on the cloud's side:
 * a request matching an armed fault (`POST /v3/{project_id}/private-nat/dnat-rules`, the route's
 * template) is executed and committed, then its connection is destroyed without an answer, as if the
 * caller's Lambda died or the network dropped the response. Each arming drops one response. Armed by a
 * test through `api.faults.dropNextResponse(...)`, or for a whole `natflow up` process by
 * `NATFLOW_HWC_TEST_DROP_RESPONSE` (`;`-separated `METHOD TEMPLATE` entries). Never armed otherwise.
 */
export class TestFaults {
  private readonly armed: string[] = [];

  constructor(spec: string | undefined = undefined) {
    for (const entry of (spec ?? '').split(';')) if (entry.trim()) this.armed.push(entry.trim());
  }

  /** Drops the next response of `METHOD TEMPLATE` once its write has committed. */
  dropNextResponse(method: string, template: string): void {
    this.armed.push(`${method.toUpperCase()} ${template}`);
  }

  /** True (once) when this route's response is to be dropped. */
  consume(method: string, template: string): boolean {
    const at = this.armed.indexOf(`${method} ${template}`);
    if (at < 0) return false;
    this.armed.splice(at, 1);
    return true;
  }
}

export interface HuaweiCloudApi {
  /** Answers a Huawei API request; false when the path is not one (natflow's own routes). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** TEST ONLY: the dropped-response switch. */
  readonly faults: TestFaults;
  readonly config: HuaweiCloudConfig;
  /** True when every request is refused: the keys are the published defaults and the stack has a token. */
  readonly refusesDefaultKeys: boolean;
  readonly context: HuaweiContext;
  /** Resolves when serialised work in flight is done (every write syncs the data plane before it answers). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

const ROUTES: CompiledRoute[] = [...vpcRoutes, ...ecsRoutes, ...elbRoutes, ...natRoutes].map((route) => {
  const names: string[] = [];
  let literals = 0;
  const source = route.path
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const param = /^\{([a-z_]+)\}$/.exec(segment);
      if (!param) {
        literals++;
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      names.push(param[1] as string);
      return '([^/]+)';
    })
    .join('/');
  return { ...route, pattern: new RegExp(`^/${source}/?$`), names, literals } as CompiledRoute & {
    literals: number;
  };
});
// Literal segments win over parameters (`cloudservers/detail` over `cloudservers/{server_id}`).
ROUTES.sort(
  (a, b) => (b as unknown as { literals: number }).literals - (a as unknown as { literals: number }).literals,
);

/** Is this path one of Huawei's (`/v1/…`, `/v1.1/…`, `/v3/…`)? */
function isHuaweiPath(path: string): boolean {
  return /^\/(v1|v1\.1|v3)\//.test(path);
}

/** Is this request one for the Huawei API (by its path), rather than for whatever serves beside it? */
export function isHuaweiRequest(req: IncomingMessage): boolean {
  return isHuaweiPath(requestTarget(req).path);
}

/** The raw path and query of a request, and the path decoded as the routes match it. */
function requestTarget(req: IncomingMessage): { rawPath: string; rawQuery: string; path: string } {
  const target = req.url ?? '/';
  const queryAt = target.indexOf('?');
  const rawPath = queryAt < 0 ? target : target.slice(0, queryAt);
  const rawQuery = queryAt < 0 ? '' : target.slice(queryAt + 1);
  return { rawPath, rawQuery, path: safeDecodePath(rawPath) };
}

function serviceOfPath(path: string): HuaweiService {
  if (/^\/v3\/[^/]+\/elb\//.test(path)) return 'elb';
  if (/^\/v3\/[^/]+\/private-nat\//.test(path)) return 'nat';
  if (/^\/v1(\.1)?\/[^/]+\/(cloudservers|jobs)\b/.test(path)) return 'ecs';
  if (/^\/v1\//.test(path)) return 'vpc';
  return 'apigw';
}

export function createHuaweiCloudApi(options: HuaweiCloudApiOptions): HuaweiCloudApi {
  let fromEnv: HuaweiCloudConfig | undefined;
  const env = () => {
    fromEnv ??= huaweiCloudConfig();
    return fromEnv;
  };
  const settle = options.settle ?? options.settleMs;
  const config: HuaweiCloudConfig = {
    ak: options.ak ?? env().ak,
    sk: options.sk ?? env().sk,
    projectId: options.projectId ?? env().projectId,
    settle: settle === undefined ? env().settle : settleTimes(settle),
    region: options.region ?? env().region,
  };
  const refusesDefaultKeys = options.refuseDefaultKeys === true && usesDefaultKeys(config);
  const clock = options.clock ?? systemClock;
  const faults = options.faults ?? new TestFaults(process.env.NATFLOW_HWC_TEST_DROP_RESPONSE);
  const context = new HuaweiContext({
    store: options.store,
    clock,
    settle: config.settle,
    projectId: config.projectId,
    region: config.region,
    memberHealth: options.memberHealth,
    sync: async () => {
      await options.onWrite?.();
    },
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const { rawPath, rawQuery, path } = requestTarget(req);
    if (!isHuaweiPath(path)) return false;
    const service = serviceOfPath(path);
    const requestId = context.requestId();
    try {
      const body = await readRaw(req);
      if (refusesDefaultKeys) {
        throw unauthorized(
          'this natflow stack is protected by NATFLOW_TOKEN and refuses the published default AK/SK: start it with its own NATFLOW_HWC_AK and NATFLOW_HWC_SK',
        );
      }
      const method = (req.method ?? 'GET').toUpperCase();
      const matches = ROUTES.filter((route) => route.pattern.test(path));
      const route = matches.find((candidate) => candidate.method === method);
      if (!route) {
        // Authentication comes first on the product's gateway too: an unsigned probe learns nothing.
        verifySignature({ method, rawPath, rawQuery, headers: req.headers, body }, config, clock.now());
        throw new HuaweiApiError(
          404,
          'APIGW.0101',
          matches.length > 0
            ? `The API does not exist or has not been published in the environment: ${method} is not allowed on ${path}`
            : `The API does not exist or has not been published in the environment: ${method} ${path}`,
        );
      }
      verifySignature({ method, rawPath, rawQuery, headers: req.headers, body }, config, clock.now());
      const match = route.pattern.exec(path) as RegExpExecArray;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = match[i + 1] as string;
      });
      if (params.project_id !== config.projectId) {
        throw unauthorized(`the project id ${params.project_id} in the path is not this endpoint's project`);
      }
      const headerProject = req.headers['x-project-id'];
      if (headerProject !== undefined && headerProject !== config.projectId) {
        throw unauthorized(`X-Project-Id ${String(headerProject)} is not this endpoint's project`);
      }
      const gone = new AbortController();
      res.once('close', () => {
        if (!res.writableEnded) gone.abort();
      });
      const request: ApiRequest = {
        method,
        params,
        query: new URLSearchParams(rawQuery),
        body: parseBody(route.service, body, method),
        requestId,
        signal: gone.signal,
      };
      await context.reap();
      const result = await route.handler(context, request);
      if (route.write) await context.sync();
      if (route.write && faults.consume(method, route.path)) {
        req.socket.destroy(); // TEST ONLY: committed, never answered (TestFaults)
        return true;
      }
      send(res, result.status, result.body, requestId);
    } catch (error) {
      if (error instanceof ClientGoneError) {
        res.destroy(); // the client left while its create settled: nothing was created, nothing to answer
        return true;
      }
      const answering = error instanceof HuaweiApiError && error.code.startsWith('APIGW') ? 'apigw' : service;
      if (error instanceof HuaweiApiError) {
        send(res, error.status, errorBody(answering, error, requestId), requestId);
      } else {
        process.emitWarning(`natflow Huawei API: ${(error as Error)?.stack ?? String(error)}`);
        const failure = new HuaweiApiError(
          500,
          `${service === 'ecs' ? 'Ecs' : service.toUpperCase()}.0500`,
          'internal error',
        );
        send(res, 500, errorBody(service, failure, requestId), requestId);
      }
    }
    return true;
  }

  return {
    handle,
    faults,
    config,
    refusesDefaultKeys,
    context,
    idle: () => context.idle(),
    close: () => context.close(),
  };
}

function safeDecodePath(rawPath: string): string {
  try {
    return decodeURI(rawPath);
  } catch {
    return rawPath;
  }
}

function parseBody(service: HuaweiService, body: Buffer, method: string): unknown {
  if (body.length === 0 || method === 'GET' || method === 'DELETE') return undefined;
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    const code =
      service === 'nat'
        ? 'NAT.1010'
        : service === 'ecs'
          ? 'Ecs.0005'
          : service === 'elb'
            ? 'ELB.8001'
            : 'VPC.1000';
    throw new HuaweiApiError(
      400,
      code,
      `Request parameter Json parsing failed: ${(error as Error).message}`,
      'VALIDATION_FAILED',
    );
  }
}

function readRaw(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      reject(new HuaweiApiError(413, 'APIGW.0201', `the request body is over ${MAX_BODY_BYTES} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(new HuaweiApiError(413, 'APIGW.0201', `the request body is over ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!failed) reject(error);
    });
  });
}

function send(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'Content-Type': 'application/json;charset=UTF-8' } : {}),
    'Content-Length': Buffer.byteLength(text),
    'X-Request-Id': requestId,
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

export interface HuaweiCloudServer {
  url: string;
  api: HuaweiCloudApi;
  close(): Promise<void>;
}

/** Serves the local Huawei Cloud API alone on 127.0.0.1 (tests, tools): `{ url, api, close }`. */
export async function startHuaweiCloudServer(
  options: HuaweiCloudApiOptions & { port?: number },
): Promise<HuaweiCloudServer> {
  const api = createHuaweiCloudApi(options);
  const server: Server = createServer((req, res) => {
    void api.handle(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            error_code: 'APIGW.0101',
            error_msg: 'The API does not exist or has not been published in the environment',
          }),
        );
      }
    });
  });
  // As the stack's server: idle keep-alive connections live 65 s (an SDK reusing one must not meet a
  // closed socket); a request being received is bounded (Node applies these to it, not to idle time).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => done());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    api,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await api.close();
    },
  };
}

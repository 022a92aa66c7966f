/**
 * The local stack's HTTP server (docs/http-api.md): every protocol the stack speaks, on one port of 127.0.0.1,
 * through one router (`router.ts`). In the order they claim a request:
 *
 *     huaweicloud.ts  /v1/…, /v1.1/…, /v3/…          the local Huawei Cloud API (its own AK/SK)
 *     sfn.ts          X-Amz-Target: AWSStepFunctions.* the local Step Functions engine
 *     events.ts       X-Amz-Target: AWSEvents.PutEvents, POST/GET /events   the local bus
 *     console.ts      /console…                       the console and its live feed
 *     dataplane.ts    GET /dataplane                  the live data plane's map
 *     api-gateway.ts  serverless.yml's http routes    the natflow HTTP API, through the Lambda handlers
 *
 * A component that is not given is not mounted: its requests fall to the next claim, or 404.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ApiDeps } from '../../../functions/api/lib/deps.ts';
import type { LocalEventBus } from '../../local-bus/index.ts';
import type { HuaweiCloudApi } from '../../local-huaweicloud/index.ts';
import type { ServerlessConfig } from '../serverless-config.ts';
import { apiGatewayProtocol } from './api-gateway.ts';
import { consoleProtocol } from './console.ts';
import { dataPlaneProtocol } from './dataplane.ts';
import { eventsProtocol } from './events.ts';
import { huaweiCloudProtocol } from './huaweicloud.ts';
import { createRouter, type Protocol, type RouterCaps } from './router.ts';
import { sfnProtocol } from './sfn.ts';

export { type ApiRoute, apiRoutes, callerIdentity } from './api-gateway.ts';
export type { RouterCaps } from './router.ts';

export interface HttpServerOptions {
  /** serverless.yml: the API routes are its functions' `http` events. */
  config: ServerlessConfig;
  /**
   * What the API handlers are built with: the stack's store, clock, data plane, Step Functions client.
   * A server without (transport tests) answers its API routes 500.
   */
  deps?: ApiDeps | undefined;
  /** The Step Functions engine's request handler (AWS JSON protocol). */
  sfn?: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  bus: Pick<LocalEventBus, 'putEvents' | 'list'>;
  dataPlaneMap?: (() => unknown) | undefined;
  /** The console's request handler: true when it answered. */
  console?: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  /** The local Huawei Cloud API (docs/huaweicloud-api.md): AK/SK, not the token. */
  huaweiCloud?: Pick<HuaweiCloudApi, 'handle'> | undefined;
  /** NATFLOW_TOKEN: when set, every route but /health (and the console's page) needs it. */
  token?: string | undefined;
  /** The API handlers' deadline, as the function's timeout on Lambda (default 29 s). */
  timeoutMs?: number | undefined;
  /** Caps on event streams and requests in flight (docs/http-api.md#caps); none when not given. */
  caps?: RouterCaps | undefined;
  /** What the stack's own clients send as `x-natflow-internal`, so that their calls are never capped. */
  internalKey?: string | undefined;
  /**
   * A command's cloud settings (../cloud-settings.ts): the Step Functions and API requests that carry
   * them are served with them.
   */
  cloudSettings?: { serveWith<T>(header: unknown, serve: () => T): T } | undefined;
}

/** A protocol whose requests are served with the cloud settings they carry. */
function withSettings(protocol: Protocol, settings: HttpServerOptions['cloudSettings']): Protocol {
  if (!settings) return protocol;
  return {
    ...protocol,
    serve: (request) =>
      settings.serveWith(request.req.headers['x-natflow-cloud-settings'], () => protocol.serve(request)),
  };
}

export function createHttpServer(options: HttpServerOptions): Server {
  const protocols: Protocol[] = [
    ...(options.huaweiCloud ? [huaweiCloudProtocol(options.huaweiCloud)] : []),
    ...(options.sfn ? [withSettings(sfnProtocol(options.sfn), options.cloudSettings)] : []),
    eventsProtocol(options.bus),
    ...(options.console ? [consoleProtocol(options.console)] : []),
    dataPlaneProtocol(options.dataPlaneMap),
    withSettings(
      apiGatewayProtocol({ config: options.config, deps: options.deps, timeoutMs: options.timeoutMs }),
      options.cloudSettings,
    ),
  ];
  return createRouter({
    protocols,
    token: options.token,
    caps: options.caps,
    internalKey: options.internalKey,
  });
}

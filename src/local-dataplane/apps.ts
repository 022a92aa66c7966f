/**
 * Server applications as real servers on the server's loopback address:
 * - `http`: answers like `python3 -m http.server` run in an empty directory — `GET /` is a directory
 *   listing (200, `Server: SimpleHTTP/0.6 Python/3.12.3`), any other path the same 404 page, other
 *   methods 501 — plus `X-Natflow-Server` (the server's name) and `X-Natflow-Seen-Source` (the source
 *   address it saw, as a virtual `ip:port`), repeated as a line of the page, so a person's `curl` shows
 *   which hop saw what.
 * - `tcp`: an echo server. `udp`: an echo server.
 * Security groups are enforced here, at the receiving side, by mapping the peer's loopback address back
 * to its virtual (VPC, address): a denied TCP peer is reset, a denied datagram dropped.
 */
import { createSocket } from 'node:dgram';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { Server } from '../cloud/resources.ts';
import { appServing, type ProbeProtocol } from '../probe/policy.ts';
import {
  type DataPlaneContext,
  type EndpointSpec,
  type RunningEndpoint,
  securityGroupAdmits,
  seenSourceOf,
  serveTcp,
  serveUdp,
  TOKEN_PATTERN,
} from './context.ts';
import { sendUdp } from './guard.ts';

export const SERVER_HEADER = 'SimpleHTTP/0.6 Python/3.12.3';

/** Starts the application an endpoint describes, bound on `loopback`. */
export async function startServerApp(
  ctx: DataPlaneContext,
  spec: EndpointSpec,
  loopback: string,
): Promise<RunningEndpoint> {
  if (spec.protocol === 'udp') return startUdpEcho(ctx, spec, loopback);
  return startTcpApp(ctx, spec, loopback);
}

/** The server this endpoint realises, if it still runs the app (the topology may have changed). */
function serverOf(ctx: DataPlaneContext, spec: EndpointSpec): Server | undefined {
  const server = ctx.topology.find('server', spec.resourceId);
  if (!server || server.ip !== spec.ip || server.vpcId !== spec.vpcId) return undefined;
  return appServing(server, spec.protocol as ProbeProtocol, spec.port)?.protocol === spec.protocol
    ? server
    : undefined;
}

async function startTcpApp(
  ctx: DataPlaneContext,
  spec: EndpointSpec,
  loopback: string,
): Promise<RunningEndpoint> {
  const http = spec.protocol === 'http';
  const server = http
    ? createHttpServer({ keepAliveTimeout: 2000 }, (req, res) => answerHttp(ctx, spec, req, res))
    : createTcpServer((socket) => echoTcp(ctx, spec, socket));
  // Security groups decide per connection, before any byte is read.
  server.prependListener('connection', (socket: Socket) => {
    ctx.track(socket);
    socket.once('close', () => ctx.untrack(socket));
    socket.on('error', () => socket.destroy());
    const host = serverOf(ctx, spec);
    if (!host || !securityGroupAdmits(ctx, host, 'tcp', spec.port, socket.remoteAddress))
      socket.resetAndDestroy();
  });
  return serveTcp(ctx, server, spec, loopback);
}

function echoTcp(ctx: DataPlaneContext, spec: EndpointSpec, socket: Socket): void {
  if (socket.destroyed) return;
  const seen = seenSourceOf(ctx, socket.remoteAddress, socket.remotePort).text;
  let first = true;
  socket.on('data', (chunk: Buffer) => {
    if (first) {
      first = false;
      const token = TOKEN_PATTERN.exec(chunk.toString('latin1'))?.[1];
      const host = serverOf(ctx, spec);
      if (token && host) ctx.recordAnswer(token, { server: host.name, seenSource: seen });
    }
    socket.write(chunk);
  });
  socket.on('end', () => socket.end());
}

function answerHttp(
  ctx: DataPlaneContext,
  spec: EndpointSpec,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const host = serverOf(ctx, spec);
  const seen = seenSourceOf(ctx, req.socket.remoteAddress, req.socket.remotePort).text;
  const name = host?.name ?? spec.name;
  const token = TOKEN_PATTERN.exec(req.url ?? '')?.[1];
  if (token) ctx.recordAnswer(token, { server: name, seenSource: seen });
  const forwardedFor = req.headers['x-forwarded-for'];
  const line = `natflow: ${name} (${spec.ip}) served this request; it saw the source ${seen}${
    forwardedFor ? ` (X-Forwarded-For: ${String(forwardedFor)})` : ''
  }`;
  const path = (req.url ?? '/').split('?')[0];
  let status = 200;
  let body: string;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    status = 501;
    body = errorPage(501, `Unsupported method ('${req.method}')`, 'Server does not support this operation.');
  } else if (path !== '/' && path !== '') {
    status = 404;
    body = errorPage(404, 'File not found', 'Nothing matches the given URI.');
  } else {
    body = listingPage(line);
  }
  const payload = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    Server: SERVER_HEADER,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': payload.length,
    'X-Natflow-Server': name,
    'X-Natflow-Seen-Source': seen,
  });
  res.end(req.method === 'HEAD' ? undefined : payload);
}

function listingPage(line: string): string {
  return `<!DOCTYPE HTML>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Directory listing for /</title>
</head>
<body>
<h1>Directory listing for /</h1>
<hr>
<ul>
</ul>
<hr>
<p>${escapeHtml(line)}</p>
</body>
</html>
`;
}

function errorPage(code: number, message: string, explanation: string): string {
  return `<!DOCTYPE HTML>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <title>Error response</title>
    </head>
    <body>
        <h1>Error response</h1>
        <p>Error code: ${code}</p>
        <p>Message: ${escapeHtml(message)}.</p>
        <p>Error code explanation: ${code} - ${escapeHtml(explanation)}</p>
    </body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

async function startUdpEcho(
  ctx: DataPlaneContext,
  spec: EndpointSpec,
  loopback: string,
): Promise<RunningEndpoint> {
  const socket = createSocket('udp4');
  socket.on('error', () => undefined);
  socket.on('message', (message, peer) => {
    const host = serverOf(ctx, spec);
    if (!host || !securityGroupAdmits(ctx, host, 'udp', spec.port, peer.address)) return;
    const token = TOKEN_PATTERN.exec(message.toString('latin1'))?.[1];
    if (token)
      ctx.recordAnswer(token, {
        server: host.name,
        seenSource: seenSourceOf(ctx, peer.address, peer.port).text,
      });
    sendUdp(socket, message, peer.address, peer.port);
  });
  return serveUdp(ctx, socket, spec, loopback);
}

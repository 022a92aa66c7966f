/**
 * The data plane's clients: what a probe sends from a server, and what a load balancer's health check
 * sends to a member. Each binds its socket to the sender's loopback address, so the receiving side maps
 * it back to the sender's virtual address.
 *
 * - HTTP: `GET /` (the probe adds `?natflow-probe=TOKEN`); the status, and the headers naming who answered.
 * - TCP: connect, then send one HTTP/1.0 HEAD request line (an echo server echoes it, an HTTP server
 *   answers it), then wait for the first byte: `connected`. A reset or a close before any byte is
 *   `refused`; nothing within the timeout is `timeout`. Sending a payload, not only connecting, is what
 *   tells "a server took the connection" from "a proxy took it and found no one behind".
 * - UDP: one datagram, and its echo: `echoed`; nothing within the timeout: `timeout`.
 */
import { createSocket } from 'node:dgram';
import { assertLoopback, bindUdp, connectTcp, requestHttp, sendUdp } from './guard.ts';

export interface HttpOutcome {
  status: number | 'refused' | 'timeout';
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function httpGet(options: {
  host: string;
  port: number;
  localAddress: string;
  path: string;
  timeoutMs: number;
}): Promise<HttpOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: HttpOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const request = requestHttp(
      {
        host: options.host,
        port: options.port,
        localAddress: options.localAddress,
        path: options.path,
        method: 'GET',
        agent: false,
        headers: { 'User-Agent': 'natflow-probe', Connection: 'close' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          done({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', () =>
          done({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    const timer = setTimeout(() => {
      done({ status: 'timeout', headers: {}, body: '' });
      request.destroy();
    }, options.timeoutMs);
    request.on('error', () => done({ status: 'refused', headers: {}, body: '' }));
    request.end();
  });
}

export type TcpStatus = 'connected' | 'refused' | 'timeout';

export function tcpPing(options: {
  host: string;
  port: number;
  localAddress: string;
  token?: string;
  timeoutMs: number;
}): Promise<{ status: TcpStatus; data: string }> {
  return new Promise((resolve) => {
    const socket = connectTcp(options);
    let settled = false;
    const done = (status: TcpStatus, data = '') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, data });
    };
    const timer = setTimeout(() => done('timeout'), options.timeoutMs);
    socket.once('connect', () => {
      const query = options.token ? `?natflow-probe=${options.token}` : '';
      socket.write(`HEAD /${query} HTTP/1.0\r\nUser-Agent: natflow-probe\r\n\r\n`);
    });
    socket.once('data', (chunk: Buffer) => done('connected', chunk.toString('latin1')));
    socket.once('end', () => done('refused'));
    socket.once('close', () => done('refused'));
    socket.once('error', () => done('refused'));
  });
}

export type UdpStatus = 'echoed' | 'timeout';

export function udpPing(options: {
  host: string;
  port: number;
  localAddress: string;
  token?: string;
  timeoutMs: number;
}): Promise<{ status: UdpStatus; data: string }> {
  return new Promise((resolve) => {
    assertLoopback(options.host, `send to ${options.host}:${options.port}`);
    assertLoopback(options.localAddress, `bind ${options.localAddress}`);
    const socket = createSocket('udp4');
    let settled = false;
    const payload = options.token ? `natflow-probe=${options.token}` : 'natflow-health';
    const done = (status: UdpStatus, data = '') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // already closed
      }
      resolve({ status, data });
    };
    const timer = setTimeout(() => done('timeout'), options.timeoutMs);
    socket.on('error', () => undefined);
    socket.on('message', (message) => done('echoed', message.toString('latin1')));
    bindUdp(socket, options.localAddress, 0).then(
      () => {
        if (!settled) sendUdp(socket, payload, options.host, options.port);
      },
      () => done('timeout'),
    );
  });
}

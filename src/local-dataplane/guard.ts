/**
 * The data plane's one door to the operating system's sockets. Every bind and every connect of the live
 * data plane goes through these functions, and each asserts first that the address is a loopback
 * address (127.0.0.0/8): the virtual cloud's addresses (10.x, 172.16–31.x, 192.168.x) are data, and no
 * socket of natflow may ever target one — on a developer's machine they are real networks.
 *
 * Binding a virtual port: ports below 1024 need privileges; when binding one fails with EACCES (or the
 * data plane is told to remap them), the endpoint binds `portBase + port` instead, and an address already
 * in use (another natflow process on the same loopback address) falls back to a port the kernel picks.
 * The caller records whichever port it got: that is the map `natflow up` prints.
 */
import type { Socket as UdpSocket } from 'node:dgram';
import {
  type ClientRequest,
  request as httpRequest,
  type IncomingMessage,
  type RequestOptions,
} from 'node:http';
import { connect, type Server, type Socket } from 'node:net';
import { NatflowError } from '../net/errors.ts';
import { isLoopbackIpv4, isPrivateIpv4, tryParseIpv4 } from '../net/ipv4.ts';

/** A socket was about to bind or connect to an address that is not loopback. A bug: never caught. */
export class ForbiddenAddressError extends NatflowError {
  override name = 'FORBIDDEN_ADDRESS';
}

/**
 * Returns `address` when it is a loopback IPv4 address; throws FORBIDDEN_ADDRESS otherwise (and says so
 * loudly for the virtual private ranges).
 *
 * @example assertLoopback('127.77.0.5', 'connect') // '127.77.0.5'
 */
export function assertLoopback(address: string | undefined, purpose: string): string {
  const ip = address === undefined ? undefined : tryParseIpv4(address);
  if (ip !== undefined && isLoopbackIpv4(ip)) return address as string;
  const why =
    ip !== undefined && isPrivateIpv4(ip)
      ? `${address} is a virtual (private-range) address: it is data, and no socket may target it`
      : `${String(address)} is not a loopback address (127.0.0.0/8)`;
  throw new ForbiddenAddressError(`refusing to ${purpose}: ${why}`, { details: { address, purpose } });
}

export interface BindPolicy {
  /** Remap ports below 1024 even when binding them would succeed (running as root). */
  remapPrivileged: boolean;
  /** A privileged port p is remapped to portBase + p. */
  portBase: number;
}

/** Binds a TCP (or HTTP) server on `host:port` following the policy; resolves the port it got. */
export async function listenTcp(
  server: Server,
  host: string,
  port: number,
  policy: BindPolicy,
): Promise<number> {
  assertLoopback(host, `listen on ${host}:${port}`);
  for (const candidate of candidatePorts(port, policy)) {
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.once('error', onError);
        server.listen({ host, port: candidate, exclusive: true }, () => {
          server.off('error', onError);
          resolve();
        });
      });
      const address = server.address();
      if (address && typeof address === 'object') return address.port;
      return candidate;
    } catch (error) {
      if (!isBindRetryable(error)) throw error;
    }
  }
  throw new Error(`could not bind ${host}:${port}`);
}

/** Binds a UDP socket on `host:port` following the policy; resolves the port it got. */
export async function bindUdp(
  socket: UdpSocket,
  host: string,
  port: number,
  policy?: BindPolicy,
): Promise<number> {
  assertLoopback(host, `bind ${host}:${port}`);
  const candidates = policy ? candidatePorts(port, policy) : [port];
  for (const candidate of candidates) {
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        socket.once('error', onError);
        socket.bind({ address: host, port: candidate, exclusive: true }, () => {
          socket.off('error', onError);
          resolve();
        });
      });
      return socket.address().port;
    } catch (error) {
      if (!isBindRetryable(error)) throw error;
    }
  }
  throw new Error(`could not bind ${host}:${port}`);
}

/** Connects a TCP socket from `localAddress` to `host:port`. */
export function connectTcp(options: { host: string; port: number; localAddress: string }): Socket {
  assertLoopback(options.host, `connect to ${options.host}:${options.port}`);
  assertLoopback(options.localAddress, `connect from ${options.localAddress}`);
  return connect({
    host: options.host,
    port: options.port,
    localAddress: options.localAddress,
    noDelay: true,
  });
}

/** Sends a datagram to `host:port`. */
export function sendUdp(socket: UdpSocket, message: Buffer | string, host: string, port: number): void {
  assertLoopback(host, `send to ${host}:${port}`);
  socket.send(message, port, host);
}

/** An HTTP request from `localAddress` to `host:port`. */
export function requestHttp(
  options: RequestOptions & { host: string; port: number; localAddress: string },
  onResponse: (response: IncomingMessage) => void,
): ClientRequest {
  assertLoopback(options.host, `request http://${options.host}:${options.port}`);
  assertLoopback(options.localAddress, `request from ${options.localAddress}`);
  return httpRequest({ ...options, hostname: undefined }, onResponse);
}

function candidatePorts(port: number, policy: BindPolicy): number[] {
  const remapped = policy.portBase + port;
  const remappable = port < 1024 && remapped <= 65535;
  if (remappable && policy.remapPrivileged) return [remapped, 0];
  return remappable ? [port, remapped, 0] : [port, 0];
}

function isBindRetryable(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EACCES' || code === 'EADDRINUSE' || code === 'EPERM';
}

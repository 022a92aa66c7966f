import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoopbackAllocator } from '../../src/local-dataplane/addresses.ts';
import { httpGet, tcpPing, udpPing } from '../../src/local-dataplane/client.ts';
import { assertLoopback, bindUdp, connectTcp, listenTcp } from '../../src/local-dataplane/guard.ts';
import { formatIpv4, type Ipv4 } from '../../src/net/ipv4.ts';

const POLICY = { remapPrivileged: true, portBase: 8000 };
const VIRTUAL = ['10.0.0.7', '172.16.5.4', '192.168.0.144'];

describe('Function: assertLoopback', () => {
  it.each(VIRTUAL)('refuses the virtual address %s', (address) => {
    expect(() => assertLoopback(address, 'connect')).toThrow(
      expect.objectContaining({ name: 'FORBIDDEN_ADDRESS', message: expect.stringContaining('virtual') }),
    );
  });

  it.each(['8.8.8.8', '0.0.0.0', 'localhost', '', undefined])('refuses the non-loopback %s', (address) => {
    expect(() => assertLoopback(address, 'bind')).toThrow(
      expect.objectContaining({ name: 'FORBIDDEN_ADDRESS' }),
    );
  });

  it('accepts exactly the addresses of 127.0.0.0/8', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const address = formatIpv4(n as Ipv4);
        const loopback = n >>> 24 === 127;
        if (loopback) expect(assertLoopback(address, 'bind')).toBe(address);
        else expect(() => assertLoopback(address, 'bind')).toThrow();
      }),
      { numRuns: 2000 },
    );
  });
});

describe('Guarded sockets', () => {
  it.each(VIRTUAL)('never binds or connects to %s', async (address) => {
    // Prepare
    const server = createServer();
    const socket = createSocket('udp4');

    // Act, Assess
    await expect(listenTcp(server, address, 80, POLICY)).rejects.toMatchObject({ name: 'FORBIDDEN_ADDRESS' });
    await expect(bindUdp(socket, address, 53)).rejects.toMatchObject({ name: 'FORBIDDEN_ADDRESS' });
    expect(() => connectTcp({ host: address, port: 80, localAddress: '127.0.0.1' })).toThrow(/virtual/);
    expect(() => connectTcp({ host: '127.0.0.1', port: 80, localAddress: address })).toThrow(/virtual/);
    await expect(
      httpGet({ host: address, port: 80, localAddress: '127.0.0.1', path: '/', timeoutMs: 50 }),
    ).rejects.toMatchObject({
      name: 'FORBIDDEN_ADDRESS',
    });
    await expect(
      tcpPing({ host: address, port: 80, localAddress: '127.0.0.1', timeoutMs: 50 }),
    ).rejects.toMatchObject({
      name: 'FORBIDDEN_ADDRESS',
    });
    await expect(
      udpPing({ host: address, port: 53, localAddress: '127.0.0.1', timeoutMs: 50 }),
    ).rejects.toMatchObject({
      name: 'FORBIDDEN_ADDRESS',
    });
    expect(server.listening).toBe(false);
    socket.close();
  });

  it('remaps a privileged port when told to, and falls back to a free port when it is taken', async () => {
    // Prepare
    const first = createServer();
    const second = createServer();

    // Act
    const port1 = await listenTcp(first, '127.94.0.1', 80, POLICY);
    const port2 = await listenTcp(second, '127.94.0.1', 80, POLICY);

    // Assess
    expect(port1).toBe(8080);
    expect(port2).not.toBe(8080);
    expect(port2).toBeGreaterThan(1023);
    await Promise.all([first, second].map((s) => new Promise((r) => s.close(r))));
  });
});

describe('Class: LoopbackAllocator', () => {
  it('gives each (VPC, address) its own loopback address, in first-seen order, and maps it back', () => {
    // Prepare
    const allocator = new LoopbackAllocator('127.77');

    // Act
    const a = allocator.allocate('vpc-a', '10.0.0.5');
    const b = allocator.allocate('vpc-b', '10.0.0.5');

    // Assess
    expect([a, b]).toEqual(['127.77.0.1', '127.77.0.2']);
    expect(allocator.allocate('vpc-a', '10.0.0.5')).toBe(a);
    expect(allocator.reverse(b)).toEqual({ vpcId: 'vpc-b', ip: '10.0.0.5' });
    expect(allocator.reverse('127.0.0.1')).toBeUndefined();
  });

  it('skips .0 and .255 and never leaves the prefix', () => {
    const allocator = new LoopbackAllocator('127.78');
    const addresses = Array.from({ length: 600 }, (_, i) =>
      allocator.allocate('v', `10.0.${i >> 8}.${i & 255}`),
    );
    expect(new Set(addresses).size).toBe(600);
    for (const a of addresses) expect(a).toMatch(/^127\.78\.\d+\.([1-9]|[1-9]\d|1\d\d|2[0-4]\d|25[0-4])$/);
  });

  it.each(['10.0', '127', '127.300', '128.1'])('refuses the prefix %s', (prefix) => {
    expect(() => new LoopbackAllocator(prefix)).toThrow(RangeError);
  });
});

/**
 * The live data plane's transit-IP forwarder against a direct loopback connection, in the same run
 * (docs/benchmarks.md `forwarder`). One topology: ECS-A in VPC-A; ECS-B (HTTP 80) in VPC-B, reached
 * through transit IP 192.168.0.144 and a TCP 80 rule that targets ECS-B itself (no load balancer, so
 * the difference is the forwarder alone: a DNAT lookup per new flow and a second TCP hop).
 *
 * - `direct_rps` / `forwarded_rps`: HTTP GETs over keep-alive connections, 8 in flight, to ECS-B's
 *   endpoint from ECS-C (a neighbour in VPC-B), and to the transit IP's from ECS-A; each bounded by 3,000 requests or
 *   2 s, whichever comes first;
 * - `added_latency_ms`: mean latency of 300 sequential requests, each on a new connection (so every one
 *   is a new DNAT flow), forwarded minus direct.
 */
import { Agent, request } from 'node:http';
import { DataPlane } from '../src/local-dataplane/index.ts';
import { TopologyBuilder } from '../test/probe/builder.ts';
import type { BenchModule } from './index.ts';

const THROUGHPUT_REQUESTS = 3_000;
const THROUGHPUT_MS = 2_000;
const CONCURRENCY = 8;
const LATENCY_REQUESTS = 300;

function topology() {
  const b = new TopologyBuilder('bench-forwarder');
  const vpcA = b.vpc('VPC-A', '192.168.0.0/16');
  const subnetA = b.subnet(vpcA, 'subnet-A01', '192.168.0.0/24');
  const vpcB = b.vpc('VPC-B', '10.0.0.0/16');
  const subnetB = b.subnet(vpcB, 'subnet-B01', '10.0.0.0/24');
  const ecsA = b.server(subnetA, 'ECS-A', '192.168.0.10');
  const ecsB = b.server(subnetB, 'ECS-B', '10.0.0.7', {
    apps: [{ protocol: 'http', port: 80 }],
    inbound: [{ protocol: 'tcp', ports: 80, source: '0.0.0.0/0' }],
  });
  b.server(subnetB, 'ECS-C', '10.0.0.20');
  const tip = b.transitIp(subnetA, 'transit-ip-A', '192.168.0.144');
  const gateway = b.gateway(subnetB, 'gw', '10.0.0.10');
  b.dnat(gateway, tip, { protocol: 'tcp', transitPort: 80, target: ecsB });
  return { resources: b.resources, ecsA, ecsB, tip, vpcB };
}

function get(
  target: { host: string; port: number },
  localAddress: string,
  agent: Agent | false,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: target.host, port: target.port, localAddress, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function throughput(target: { host: string; port: number }, localAddress: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let sent = 0;
  const started = performance.now();
  const worker = async () => {
    while (sent < THROUGHPUT_REQUESTS && performance.now() - started < THROUGHPUT_MS) {
      sent++;
      await get(target, localAddress, agent);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return Math.round(sent / seconds);
}

async function latency(target: { host: string; port: number }, localAddress: string): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < LATENCY_REQUESTS; i++) await get(target, localAddress, false);
  return (performance.now() - started) / LATENCY_REQUESTS;
}

function endpoint(text: string | undefined): { host: string; port: number } {
  if (!text) throw new Error('endpoint not realised');
  const [host = '', port = ''] = text.split(':');
  return { host, port: Number(port) };
}

const bench: BenchModule = {
  name: 'forwarder',
  async run({ log }) {
    const t = topology();
    const plane = new DataPlane({ loopbackPrefix: '127.99', remapPrivilegedPorts: true });
    try {
      await plane.sync(t.resources);
      const direct = endpoint(plane.loopbackOf(t.vpcB.id, t.ecsB.ip, 'tcp', 80));
      const forwarded = endpoint(plane.loopbackOf(t.tip.vpcId, t.tip.ip, 'tcp', 80));
      // The direct client is ECS-C, in ECS-B's VPC (ECS-A has no route to ECS-B but through the transit IP).
      const addressOf = (name: string) => plane.map().addresses.find((a) => a.name === name)?.loopback ?? '';
      const from = addressOf('ECS-A');
      const neighbour = addressOf('ECS-C');
      log(`forwarder: direct ${direct.host}:${direct.port}, forwarded ${forwarded.host}:${forwarded.port}`);
      await throughput(direct, neighbour); // warm-up of both paths
      await throughput(forwarded, from);
      const directRps = await throughput(direct, neighbour);
      const forwardedRps = await throughput(forwarded, from);
      const directMs = await latency(direct, neighbour);
      const forwardedMs = await latency(forwarded, from);
      return {
        forwarder: {
          direct_rps: directRps,
          forwarded_rps: forwardedRps,
          added_latency_ms: Math.round((forwardedMs - directMs) * 1000) / 1000,
          direct_latency_ms: Math.round(directMs * 1000) / 1000,
        },
      };
    } finally {
      await plane.close();
    }
  },
};

export default bench;

/**
 * The probe's path analysis (docs/benchmarks.md `probe`): milliseconds per analysed path
 *
 * - `reference_ms`: the reference scenario's path (ECS-A → transit IP → DNAT → ELB01 → ECS-B), warm,
 *   averaged over 20 000 analyses;
 * - `topology_10k_ms`: a generated cloud of ~10,000 resources (reference-like VPC pairs, each with its
 *   own transit IP, gateway, rule, load balancer, listener, group, servers and security groups); every
 *   pair's path analysed once, cold (each gateway's rule index is compiled on first use, inside the
 *   figure), averaged; `topology_10k_warm_ms` the same paths again.
 * Goals: under 1 ms and under 10 ms a path. The topology is indexed once before timing
 * (`topology_10k_index_ms` reports that cost).
 */
import { analyze } from '../src/probe/analyze.ts';
import { Topology } from '../src/probe/model.ts';
import { referenceScenario, TopologyBuilder } from '../test/probe/builder.ts';
import type { BenchModule } from './index.ts';

const REFERENCE_RUNS = 20_000;
const TARGET_RESOURCES = 10_000;

function generated(): { topology: Topology; paths: { from: string; to: string }[]; indexMs: number } {
  const b = new TopologyBuilder('bench');
  const paths: { from: string; to: string }[] = [];
  for (let i = 0; b.resources.length < TARGET_RESOURCES; i++) {
    const hi = Math.floor(i / 250);
    const lo = i % 250;
    const vpcA = b.vpc(`A-${i}`, `192.168.0.0/16`);
    const subnetA = b.subnet(vpcA, `a-${i}`, '192.168.0.0/24');
    const vpcB = b.vpc(`B-${i}`, `10.${hi}.0.0/16`);
    const subnetB = b.subnet(vpcB, `b-${i}`, `10.${hi}.${lo}.0/24`);
    const client = b.server(subnetA, `client-${i}`, '192.168.0.10');
    const app = b.server(subnetB, `app-${i}`, `10.${hi}.${lo}.7`, { apps: [{ protocol: 'http', port: 80 }] });
    const group = b.backendGroup(`group-${i}`, 'HTTP', [{ server: app, port: 80 }]);
    const lb = b.loadBalancer(subnetB, `lb-${i}`, `10.${hi}.${lo}.8`, `10.${hi}.${lo}.9`);
    b.listener(lb, 'HTTP', 80, group);
    const tip = b.transitIp(subnetA, `tip-${i}`, '192.168.0.144');
    const gateway = b.gateway(subnetB, `gw-${i}`, `10.${hi}.${lo}.10`);
    b.dnat(gateway, tip, { protocol: 'tcp', transitPort: 80, target: lb });
    paths.push({ from: client.id, to: tip.id });
  }
  const started = performance.now();
  const topology = Topology.from(b.resources);
  return { topology, paths, indexMs: performance.now() - started };
}

function perPath(topology: Topology, paths: readonly { from: string; to: string }[]): number {
  const started = performance.now();
  for (const p of paths) {
    const result = analyze(topology, { ...p, protocol: 'http', port: 80 });
    if (result.verdict !== 'REACHABLE')
      throw new Error(`generated path ${p.from} → ${p.to} is ${result.code}`);
  }
  return (performance.now() - started) / paths.length;
}

const bench: BenchModule = {
  name: 'probe',
  async run({ log }) {
    const reference = referenceScenario().b.topology();
    const request = { from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80 } as const;
    for (let i = 0; i < 2_000; i++) analyze(reference, request);
    const started = performance.now();
    for (let i = 0; i < REFERENCE_RUNS; i++) analyze(reference, request);
    const referenceMs = (performance.now() - started) / REFERENCE_RUNS;

    const { topology, paths, indexMs } = generated();
    log(`probe: ${topology.size} resources, ${paths.length} paths`);
    const coldMs = perPath(topology, paths);
    const warmMs = perPath(topology, paths);
    return {
      probe: {
        reference_ms: round(referenceMs),
        topology_10k_ms: round(coldMs),
        topology_10k_warm_ms: round(warmMs),
        topology_10k_resources: topology.size,
        topology_10k_index_ms: round(indexMs),
      },
    };
  },
};

function round(ms: number): number {
  return Math.round(ms * 10_000) / 10_000;
}

export default bench;

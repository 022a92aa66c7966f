/**
 * The DNAT engine's benchmark (docs/benchmarks.md), every figure from this one run:
 *
 * - `dnat`: for 1, 10³, 10⁵ and 10⁶ rules, packets/s of established flows (32 768 flows to random
 *   rules, cycled; the public `DnatGateway.process` with its result objects; the rule counts measured
 *   in 3 interleaved rounds, best of each, as is the Map.get loop) and new flows/s (fresh tables,
 *   60 000 new flows each: rule lookup, port allocation, session insert);
 * - `linear_baseline`: the same translation with the rules checked in order, as an iptables chain
 *   does (typed arrays, first match wins, the destination uniformly among the rules);
 * - `bytes_per_session`: one million sessions over 64 targets with the spec's cap lifted, measured as
 *   the heap + array-buffer growth after a full GC (and, as `bytes_per_session_arrays`, by the session
 *   table's own byte count);
 * - `map_get_per_s`: a bare `Map.get` loop over as many integer keys as there are established flows.
 *
 * Targets (`dnat_targets`), as ratios of figures of this run: established pps at 10⁶ rules ≥ 0.7 × at 1
 * rule, ≥ 100 × the linear chain at 10⁴ rules and ≥ 0.2 × the Map.get loop; ≤ 256 bytes per session. The clock is a ManualClock advanced 1 ms every 4 096 packets, so timestamps
 * move (sessions change places in their LRU lists) without the cost of Date.now() in the figure.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { DnatRule, PrivateNatGateway } from '../src/cloud/resources.ts';
import { compileRuleIndex, DnatGateway, type RuleIndex } from '../src/dnat/index.ts';
import { KIND_ANY, KIND_TCP, KIND_UDP } from '../src/dnat/rule-index.ts';
import { ManualClock } from '../src/net/clock.ts';
import { formatIpv4, type Ipv4, ipv4FromOctets } from '../src/net/ipv4.ts';
import type { Packet } from '../src/net/packet.ts';
import type { Port } from '../src/net/ports.ts';
import type { BenchContext, BenchModule, FormatTools } from './index.ts';

const RULE_COUNTS = [1, 1_000, 100_000, 1_000_000];
const LINEAR_RULE_COUNTS = [1, 100, 10_000];
const FLOWS = 32_768;
const NEW_FLOWS = 60_000;
const MEASURE_MS = 400;
/** Established pps and the Map.get loop: interleaved rounds, best of each. */
const ROUNDS = 3;
const WARMUP_MS = 150;
const SESSIONS = 1_000_000;
const SESSION_TARGETS = 64;

/** A small deterministic PRNG (mulberry32), so every run draws the same flows. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GATEWAY: PrivateNatGateway = {
  id: 'pnat-bench',
  type: 'private-nat-gateway',
  name: 'bench',
  status: 'ACTIVE',
  createdAt: '2025-01-01T00:00:00.000Z',
  plan: null,
  execution: null,
  clientToken: null,
  vpcId: 'vpc-bench',
  subnetId: 'subnet-bench',
  downlinkIp: '10.0.0.9',
  spec: 'Extra-large',
  allowSharedTransitIp: false,
};

const PORTS_PER_TRANSIT_IP = 4096;

/** Rule i: transit 192.168.x.y port 1…4096 (4 096 per transit IP), target 10.1.a.b (65 536 of them). */
function makeRules(count: number, targets = 65_536): DnatRule[] {
  const transitIps = new Map<number, string>();
  const targetObjects = new Map<number, DnatRule['target']>();
  const rules: DnatRule[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const t = Math.floor(i / PORTS_PER_TRANSIT_IP);
    let transitIp = transitIps.get(t);
    if (transitIp === undefined) {
      transitIp = formatIpv4(ipv4FromOctets(192, 168, t >> 8, t & 255));
      transitIps.set(t, transitIp);
    }
    const k = i % targets;
    let target = targetObjects.get(k);
    if (target === undefined) {
      target = { kind: 'ip', ip: formatIpv4(ipv4FromOctets(10, 1, k >> 8, k & 255)) };
      targetObjects.set(k, target);
    }
    const id = `dnat-${i}`;
    rules[i] = {
      id,
      type: 'dnat-rule',
      name: id,
      status: 'ACTIVE',
      createdAt: GATEWAY.createdAt,
      plan: null,
      execution: null,
      clientToken: null,
      gatewayId: GATEWAY.id,
      transitIpId: `tip-${t}`,
      transitIp,
      protocol: 'tcp',
      transitPort: 1 + (i % PORTS_PER_TRANSIT_IP),
      internalPort: 80,
      target,
    };
  }
  return rules;
}

function transitOf(i: number): { ip: Ipv4; port: Port } {
  const t = Math.floor(i / PORTS_PER_TRANSIT_IP);
  return { ip: ipv4FromOctets(192, 168, t >> 8, t & 255), port: (1 + (i % PORTS_PER_TRANSIT_IP)) as Port };
}

/** Flow f: client 172.16.a.b port 10000–10255, to rule `ruleOf(f)`. */
function makeFlows(count: number, rules: number, seed: number): Packet[] {
  const random = prng(seed);
  const packets: Packet[] = new Array(count);
  for (let f = 0; f < count; f++) {
    const c = f >> 8;
    packets[f] = {
      protocol: 'tcp',
      src: {
        ip: ipv4FromOctets(172, 16 + (c >> 16), (c >> 8) & 255, c & 255),
        port: (10_000 + (f & 255)) as Port,
      },
      dst: transitOf(Math.floor(random() * rules)),
    };
  }
  return packets;
}

/** Runs `step(i)` in rounds of `batch` until `ms` have passed; returns operations per second. */
function rate(ms: number, batch: number, step: (i: number) => void): number {
  let done = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < batch; i++) step(done + i);
    done += batch;
    elapsed = performance.now() - started;
  } while (elapsed < ms);
  return (done / elapsed) * 1000;
}

/**
 * A gateway with `flows` open, and a measurement of its established packets/s that can be repeated:
 * the run interleaves the rule counts over several rounds and keeps each one's best, so a burst of
 * load from elsewhere on the machine does not decide a ratio.
 */
function establishedBench(index: RuleIndex, flows: readonly Packet[]): (ms: number) => number {
  const clock = new ManualClock(0);
  const gateway = new DnatGateway(index, { clock, sessionCapacity: Number.POSITIVE_INFINITY });
  for (const packet of flows) {
    if (gateway.process(packet, 'inbound').verdict !== 'TRANSLATED') throw new Error('a flow did not open');
  }
  const mask = flows.length - 1;
  let sink = 0;
  const step = (i: number) => {
    const result = gateway.process(flows[i & mask] as Packet, 'inbound');
    sink += result.translated?.src.port ?? 0;
    if ((i & 4095) === 4095) clock.advance(1);
  };
  rate(WARMUP_MS, 4096, step);
  return (ms) => {
    const pps = rate(ms, 4096, step);
    if (sink === 0) throw new Error('no packet was translated');
    return pps;
  };
}

function newFlowsPerSecond(index: RuleIndex, flows: readonly Packet[]): number {
  const clock = new ManualClock(0);
  let elapsed = 0;
  let opened = 0;
  let rounds = 0;
  while (elapsed < MEASURE_MS || rounds < 3) {
    const gateway = new DnatGateway(index, { clock, sessionCapacity: Number.POSITIVE_INFINITY });
    const started = performance.now();
    for (const packet of flows) {
      if (gateway.process(packet, 'inbound').verdict === 'TRANSLATED') opened++;
    }
    if (rounds > 0)
      elapsed += performance.now() - started; // the first round warms up
    else opened = 0;
    rounds++;
  }
  return (opened / elapsed) * 1000;
}

/**
 * The baseline: an iptables-style chain. Rules are checked in order (first match wins) on every packet,
 * over typed arrays so the scan is as cheap as a scan gets; the matched rule's translation is built as
 * the engine builds it.
 */
export class LinearChain {
  readonly transitIp: Uint32Array;
  readonly transitPort: Uint16Array;
  /** 1 tcp, 2 udp, 0 any. */
  readonly kind: Uint8Array;
  readonly targetIp: Uint32Array;
  readonly internalPort: Uint16Array;
  readonly ids: readonly string[];
  readonly downlinkIp: Ipv4;

  constructor(index: RuleIndex) {
    this.transitIp = index.transitIp;
    this.transitPort = index.transitPort;
    this.kind = Uint8Array.from(index.rules, (rule) =>
      rule.protocol === 'tcp' ? KIND_TCP : rule.protocol === 'udp' ? KIND_UDP : KIND_ANY,
    );
    this.targetIp = index.targetIp;
    this.internalPort = index.internalPort;
    this.ids = index.rules.map((rule) => rule.id);
    this.downlinkIp = index.downlinkIp;
  }

  process(packet: Packet): { verdict: string; ruleId?: string; translated?: Packet } {
    const ip = packet.dst.ip;
    const port = packet.dst.port;
    const kind = packet.protocol === 'tcp' ? KIND_TCP : KIND_UDP;
    const n = this.transitIp.length;
    for (let i = 0; i < n; i++) {
      if (
        this.transitIp[i] === ip &&
        (this.kind[i] === kind || this.kind[i] === KIND_ANY) &&
        (this.transitPort[i] === port || this.transitPort[i] === 0)
      ) {
        return {
          verdict: 'TRANSLATED',
          ruleId: this.ids[i] as string,
          translated: {
            protocol: packet.protocol,
            src: { ip: this.downlinkIp, port: packet.src.port },
            dst: { ip: this.targetIp[i] as Ipv4, port: (this.internalPort[i] || port) as Port },
            tcpFlags: packet.tcpFlags,
          },
        };
      }
    }
    return { verdict: 'NO_MATCHING_RULE' };
  }
}

function linearPps(index: RuleIndex, flows: readonly Packet[]): number {
  const chain = new LinearChain(index);
  const mask = flows.length - 1;
  let sink = 0;
  const step = (i: number) => {
    sink += chain.process(flows[i & mask] as Packet).translated?.dst.port ?? 0;
  };
  rate(WARMUP_MS / 3, 256, step);
  const pps = rate(MEASURE_MS / 2, 256, step);
  if (sink === 0) throw new Error('the chain translated nothing');
  return pps;
}

function mapGetBench(): (ms: number) => number {
  const random = prng(7);
  const keys = new Int32Array(FLOWS);
  const map = new Map<number, number>();
  for (let i = 0; i < FLOWS; i++) {
    const key = Math.floor(random() * 0x3fffffff);
    keys[i] = key;
    map.set(key, i);
  }
  const mask = FLOWS - 1;
  let sink = 0;
  const step = (i: number) => {
    sink += map.get(keys[i & mask] as number) ?? 0;
  };
  rate(WARMUP_MS, 4096, step);
  return (ms) => {
    const perSecond = rate(ms, 4096, step);
    if (sink < 0) throw new Error('unreachable');
    return perSecond;
  };
}

function collectGarbage(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

function memoryInUse(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function bytesPerSession(log: (text: string) => void): { heap: number | undefined; arrays: number } {
  const gc = collectGarbage();
  const index = compileRuleIndex(GATEWAY, makeRules(SESSION_TARGETS, SESSION_TARGETS));
  const packet = {
    protocol: 'tcp' as const,
    src: { ip: 0 as Ipv4, port: 0 as Port },
    dst: { ip: 0 as Ipv4, port: 0 as Port },
  };
  const transits = Array.from({ length: SESSION_TARGETS }, (_, i) => transitOf(i));
  gc?.();
  const before = memoryInUse();
  const gateway = new DnatGateway(index, { clock: new ManualClock(0), sessionCapacity: SESSIONS });
  for (let i = 0; i < SESSIONS; i++) {
    const c = i >> 8;
    packet.src.ip = ipv4FromOctets(172, 16 + (c >> 16), (c >> 8) & 255, c & 255);
    packet.src.port = (1024 + (i & 255)) as Port;
    const transit = transits[i % SESSION_TARGETS] as { ip: Ipv4; port: Port };
    packet.dst.ip = transit.ip;
    packet.dst.port = transit.port;
    if (gateway.process(packet, 'inbound').verdict !== 'TRANSLATED')
      throw new Error(`session ${i} did not open`);
  }
  gc?.();
  const after = memoryInUse();
  if (gateway.sessionCount !== SESSIONS)
    throw new Error(`expected ${SESSIONS} sessions, have ${gateway.sessionCount}`);
  if (!gc) log("bench: dnat: global.gc unavailable; bytes per session from the table's typed arrays only");
  return {
    heap: gc ? (after - before) / SESSIONS : undefined,
    arrays: gateway.sessionTableBytes / SESSIONS,
  };
}

const round = (n: number) => Math.round(n);
const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;

async function run(context: BenchContext): Promise<Record<string, unknown>> {
  const dnat: { rules: number; established_pps: number; new_flows_per_s: number; compile_ms: number }[] = [];
  const indexes = new Map<number, RuleIndex>();
  const benches: ((ms: number) => number)[] = [];
  for (const count of RULE_COUNTS) {
    const rules = makeRules(count);
    const started = performance.now();
    const index = compileRuleIndex(GATEWAY, rules);
    const compileMs = performance.now() - started;
    indexes.set(count, index);
    benches.push(establishedBench(index, makeFlows(FLOWS, count, count)));
    const newFlows = newFlowsPerSecond(index, makeFlows(NEW_FLOWS, count, count + 1));
    dnat.push({
      rules: count,
      established_pps: 0,
      new_flows_per_s: round(newFlows),
      compile_ms: Math.round(compileMs),
    });
    context.log(`bench: dnat: ${count} rules compiled in ${Math.round(compileMs)} ms`);
  }
  const mapGet = mapGetBench();
  let mapGetBest = 0;
  for (let round = 0; round < ROUNDS; round++) {
    benches.forEach((measure, i) => {
      const row = dnat[i] as (typeof dnat)[number];
      row.established_pps = Math.max(row.established_pps, Math.round(measure(MEASURE_MS)));
    });
    mapGetBest = Math.max(mapGetBest, mapGet(MEASURE_MS));
  }
  context.log(`bench: dnat: established pps ${dnat.map((row) => row.established_pps).join(', ')}`);
  const linear: { rules: number; pps: number }[] = [];
  for (const count of LINEAR_RULE_COUNTS) {
    const index = indexes.get(count) ?? compileRuleIndex(GATEWAY, makeRules(count));
    const flows = makeFlows(FLOWS, count, count + 2);
    linear.push({ rules: count, pps: round(Math.max(linearPps(index, flows), linearPps(index, flows))) });
  }
  indexes.clear();
  const mapGetPerSecond = mapGetBest;
  const bytes = bytesPerSession(context.log);
  const bytesPerSessionFigure = Math.round((bytes.heap ?? bytes.arrays) * 10) / 10;

  const established = (rules: number) =>
    dnat.find((row) => row.rules === rules)?.established_pps ?? Number.NaN;
  const atMillion = established(1_000_000);
  const linear10k = linear.find((row) => row.rules === 10_000)?.pps ?? Number.NaN;
  const targets = {
    established_1m_rules_vs_1_rule: { ratio: ratio(atMillion, established(1)), target: '>= 0.7' },
    established_1m_rules_vs_linear_10k: { ratio: ratio(atMillion, linear10k), target: '>= 100' },
    established_1m_rules_vs_map_get: { ratio: ratio(atMillion, mapGetPerSecond), target: '>= 0.2' },
    bytes_per_session: { ratio: bytesPerSessionFigure, target: '<= 256' },
  };
  const met = {
    established_1m_rules_vs_1_rule: targets.established_1m_rules_vs_1_rule.ratio >= 0.7,
    established_1m_rules_vs_linear_10k: targets.established_1m_rules_vs_linear_10k.ratio >= 100,
    established_1m_rules_vs_map_get: targets.established_1m_rules_vs_map_get.ratio >= 0.2,
    bytes_per_session: bytesPerSessionFigure <= 256,
  };
  return {
    dnat,
    linear_baseline: linear,
    bytes_per_session: bytesPerSessionFigure,
    bytes_per_session_arrays: Math.round(bytes.arrays * 10) / 10,
    map_get_per_s: round(mapGetPerSecond),
    dnat_targets: Object.fromEntries(
      Object.entries(targets).map(([name, t]) => [name, { ...t, met: met[name as keyof typeof met] }]),
    ),
  };
}

function format(result: Record<string, unknown>, { table, formatValue }: FormatTools): string {
  const targets = result.dnat_targets as Record<string, { ratio: number; target: string; met: boolean }>;
  return [
    `DNAT engine (established: ${formatValue(FLOWS)} flows cycled; new flows: ${formatValue(NEW_FLOWS)} per table)`,
    table(result.dnat as Record<string, unknown>[]),
    '',
    'linear baseline (rules checked in order, as an iptables chain)',
    table(result.linear_baseline as Record<string, unknown>[]),
    '',
    `bytes per session at ${formatValue(SESSIONS)} sessions: ${formatValue(result.bytes_per_session)} (heap + array buffers after GC); ` +
      `${formatValue(result.bytes_per_session_arrays)} (session table typed arrays)`,
    `bare Map.get loop over ${formatValue(FLOWS)} keys: ${formatValue(result.map_get_per_s)} /s`,
    '',
    'targets',
    table(
      Object.entries(targets).map(([name, t]) => ({
        target: name,
        value: t.ratio,
        wanted: t.target,
        met: t.met ? 'yes' : 'NO',
      })),
    ),
  ].join('\n');
}

const bench: BenchModule = { name: 'dnat', run, format };
export default bench;

/**
 * The live local data plane (docs/probe.md#the-live-local-data-plane): the virtual cloud realised as real sockets on loopback
 * addresses, so that a probe — or a person with `curl` — sends real packets along the path the analysis
 * walks.
 *
 *     ECS-A 127.77.0.1 ──▶ transit IP 127.77.0.4:80 ──(DnatGateway: TRANSLATED)──▶ from gateway 127.77.0.6
 *         ──▶ ELB01 127.77.0.3:80 (access control, round robin over healthy members) ──▶ from backend 127.77.0.5
 *         ──▶ ECS-B 127.77.0.2:80 (security group, then `python3 -m http.server`-like answer)
 *
 * - Every (VPC, virtual IP) that takes part gets its own loopback address (`addresses.ts`); ports below
 *   1024 are remapped where binding them is not allowed, or when `remapPrivilegedPorts` says so (`guard.ts`).
 * - Server apps are real servers (`apps.ts`), listeners real proxies with real health checks
 *   (`load-balancer.ts`), transit IPs real forwarders asking the DNAT engine per new flow (`forwarder.ts`).
 * - Security groups and access control are enforced where packets arrive, by mapping the loopback source
 *   back to its virtual address, with the same rules the path analysis applies (`src/probe/policy.ts`).
 * - No socket ever binds or connects to a virtual (private-range) address: `guard.ts` asserts it for all.
 *
 * `sync` reconciles the sockets with the resources (idempotent; serialised); it resolves once every
 * endpoint is bound and a first round of health checks has run, so a probe right after it sees a settled
 * data plane.
 */

import { randomUUID } from 'node:crypto';
import type { Socket as UdpSocket } from 'node:dgram';
import type { Server as NetServer, Socket } from 'node:net';
import type { DnatRule, PrivateNatGateway, Resource } from '../cloud/resources.ts';
import { compileRuleIndex, DnatGateway } from '../dnat/index.ts';
import { type Clock, systemClock } from '../net/clock.ts';
import type { Protocol } from '../net/packet.ts';
import type { LiveNetwork, LiveProbe, LiveResult } from '../probe/live.ts';
import { Topology } from '../probe/model.ts';
import { LoopbackAllocator } from './addresses.ts';
import { startServerApp } from './apps.ts';
import { httpGet, tcpPing, udpPing } from './client.ts';
import type { Answer, DataPlaneContext, EndpointSpec, GatewayEngine, RunningEndpoint } from './context.ts';
import { startForwarder } from './forwarder.ts';
import type { BindPolicy } from './guard.ts';
import { HealthChecker, startListener } from './load-balancer.ts';
import {
  byCreation,
  type HealthInputs,
  heldAddresses,
  type ScopeLoad,
  sameResources,
  wantedCheckers,
} from './reconcile.ts';

export interface DataPlaneOptions {
  /** The DNAT engines' clock (session timeouts). */
  clock?: Clock;
  /** A privileged virtual port p that cannot be bound is bound at portBase + p (default 8000: 80 → 8080). */
  portBase?: number;
  /** The first two octets of the loopback addresses (default `127.77`). */
  loopbackPrefix?: string;
  /** Remap privileged ports even when binding them would succeed (default false). */
  remapPrivilegedPorts?: boolean;
  /** How long a probe or proxy waits for an answer (default 2000 ms). */
  timeoutMs?: number;
  /** Admit clients that are no virtual host, such as a person's `curl` (default true). */
  trustHost?: boolean;
}

export interface DataPlaneEndpoint {
  vpc: string;
  vpcId: string;
  /** `ip:port` in the virtual cloud. */
  virtual: string;
  /** `127.x.y.z:port`: where to send real traffic. */
  loopback: string;
  kind: 'server-app' | 'listener' | 'transit-ip';
  name: string;
  protocol: string;
  /** Set when the bound port differs from the virtual one. */
  remapped?: boolean;
}

export interface DataPlaneAddress {
  vpc: string;
  vpcId: string;
  virtual: string;
  loopback: string;
  role: 'server' | 'load-balancer' | 'load-balancer-backend' | 'transit-ip' | 'gateway';
  name: string;
}

export interface DataPlaneMap {
  loopbackPrefix: string;
  endpoints: DataPlaneEndpoint[];
  addresses: DataPlaneAddress[];
  /** The health checks of each load balancer's backend group (the console draws them). */
  health?: {
    loadBalancerId: string;
    backendGroupId: string;
    members: { serverId: string; port: number; healthy: boolean | null }[];
  }[];
}

const MAX_ANSWERS = 1024;

/** The live local data plane; implements the core's `LiveNetwork` port (src/probe/live.ts). */
export class DataPlane implements LiveNetwork {
  readonly #clock: Clock;
  readonly #addresses: LoopbackAllocator;
  readonly #policy: BindPolicy;
  readonly #timeoutMs: number;
  readonly #trustHost: boolean;
  #topology = Topology.from([]);
  /** What the last sync realised, by id (`syncScope` replaces part of it). */
  readonly #resources = new Map<string, Resource>();
  /** A checker's inputs beyond its signature (members' addresses, apps, security groups) at its last round. */
  readonly #reach = new Map<string, string>();
  /** Per health checker: the resource objects its strings were computed from, and the strings. */
  #healthMemo = new Map<string, HealthInputs>();
  readonly #endpoints = new Map<string, RunningEndpoint>();
  /** `vpcId|ip|transport|virtualPort` → bound port. */
  readonly #ports = new Map<string, number>();
  readonly #gateways = new Map<string, { signature: string; engine: GatewayEngine }>();
  readonly #checkers = new Map<string, HealthChecker>();
  readonly #answers = new Map<string, Answer>();
  readonly #handles = new Set<Socket | UdpSocket | NetServer>();
  #syncing: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #context: DataPlaneContext;

  constructor(options: DataPlaneOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#addresses = new LoopbackAllocator(options.loopbackPrefix ?? '127.77');
    this.#policy = {
      remapPrivileged: options.remapPrivilegedPorts ?? false,
      portBase: options.portBase ?? 8000,
    };
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#trustHost = options.trustHost ?? true;
    const self = this;
    this.#context = {
      get topology() {
        return self.#topology;
      },
      addresses: this.#addresses,
      bindPolicy: this.#policy,
      timeoutMs: this.#timeoutMs,
      trustHost: this.#trustHost,
      realPort: (vpcId, ip, transport, port) => this.#ports.get(portKey(vpcId, ip, transport, port)),
      recordAnswer: (token, answer) => {
        if (this.#answers.size >= MAX_ANSWERS)
          this.#answers.delete(this.#answers.keys().next().value as string);
        this.#answers.set(token, answer);
      },
      gatewaysOf: (transitIpId) =>
        this.#topology
          .gatewaysOfTransitIp(transitIpId)
          .map((g) => this.#gateways.get(g.id)?.engine)
          .filter((e): e is GatewayEngine => e !== undefined),
      healthyMembers: (lbId, groupId) => this.#checkers.get(`${lbId}|${groupId}`)?.healthyMembers() ?? [],
      track: (handle) => this.#handles.add(handle),
      untrack: (handle) => this.#handles.delete(handle),
    };
  }

  /** Reconciles the sockets with `resources` (every resource there is); idempotent, serialised. */
  sync(resources: readonly Resource[]): Promise<void> {
    return this.syncFrom(async () => resources);
  }

  /** `sync` with what `load` reads when this sync's turn comes (an earlier snapshot could undo a later sync). */
  syncFrom(load: () => Promise<readonly Resource[]>): Promise<void> {
    return this.#queue(async () => {
      this.#resources.clear();
      for (const r of await load()) this.#resources.set(r.id, r);
      return true;
    });
  }

  /**
   * Reconciles part of the world, read by `load` when this sync's turn comes: what `inScope` selects is
   * replaced by `resources` (one plan's scope, read by indexed queries), the rest stays as the last sync
   * saw it — so one provisioning costs what its plan holds, not what the store holds.
   */
  syncScopeFrom(load: () => Promise<ScopeLoad>): Promise<void> {
    return this.#queue(async () => {
      const { resources, inScope } = await load();
      const before = [...this.#resources.values()].filter(inScope);
      if (sameResources(before, resources, this.#resources)) return false; // nothing to reconcile
      for (const r of before) this.#resources.delete(r.id);
      for (const r of resources) this.#resources.set(r.id, r);
      return true;
    });
  }

  /** Runs `update` then a reconcile (unless `update` says nothing changed), after every sync before it. */
  #queue(update: () => Promise<boolean>): Promise<void> {
    const run = this.#syncing.then(async () => {
      if (this.#closed) throw new Error('the data plane is closed');
      if (await update()) await this.#sync([...this.#resources.values()].sort(byCreation));
    });
    this.#syncing = run.catch(() => undefined);
    return run;
  }

  async #sync(resources: readonly Resource[]): Promise<void> {
    if (this.#closed) throw new Error('the data plane is closed');
    const topology = Topology.from(resources);
    this.#topology = topology;
    this.#allocateAddresses(topology);
    this.#syncGateways(topology);

    const desired = desiredEndpoints(topology);
    for (const [key, running] of [...this.#endpoints]) {
      if (desired.has(key)) continue;
      this.#endpoints.delete(key);
      this.#ports.delete(
        portKey(running.spec.vpcId, running.spec.ip, running.spec.transport, running.spec.port),
      );
      await running.close();
    }
    this.#addresses.retain(heldAddresses(topology)); // give back the addresses no resource holds
    // Applications first, then listeners, then forwarders: each kind finds the ports of the one behind it.
    for (const kind of ['server-app', 'listener', 'transit-ip'] as const) {
      for (const spec of desired.values()) {
        if (spec.kind !== kind || this.#endpoints.has(spec.key)) continue;
        const pk = portKey(spec.vpcId, spec.ip, spec.transport, spec.port);
        if (this.#ports.has(pk)) continue; // two endpoints on one (address, transport, port): the first wins
        const loopback = this.#addresses.allocate(spec.vpcId, spec.ip);
        const start =
          kind === 'server-app' ? startServerApp : kind === 'listener' ? startListener : startForwarder;
        const running = await start(this.#context, spec, loopback);
        this.#endpoints.set(spec.key, running);
        this.#ports.set(pk, running.realPort);
      }
    }
    await this.#syncHealthChecks(topology);
  }

  /** Loopback addresses allocated now (a long-running stack gives back those of removed resources). */
  get loopbackAddresses(): number {
    return this.#addresses.size;
  }

  #allocateAddresses(topology: Topology): void {
    for (const r of topology.resources) {
      if (r.type === 'server' || r.type === 'transit-ip') this.#addresses.allocate(r.vpcId, r.ip);
      else if (r.type === 'load-balancer') {
        this.#addresses.allocate(r.vpcId, r.ip);
        this.#addresses.allocate(r.vpcId, r.backendIp);
      } else if (r.type === 'private-nat-gateway') this.#addresses.allocate(r.vpcId, r.downlinkIp);
    }
  }

  /** One engine per gateway, rebuilt only when the gateway or its rules change (sessions survive otherwise). */
  #syncGateways(topology: Topology): void {
    const seen = new Set<string>();
    for (const gateway of topology.ofType('private-nat-gateway')) {
      seen.add(gateway.id);
      const rules = topology.rulesOfGateway(gateway.id);
      const signature = gatewaySignature(gateway, rules);
      if (this.#gateways.get(gateway.id)?.signature === signature) continue;
      const engine = new DnatGateway(compileRuleIndex(gateway, rules), { clock: this.#clock });
      this.#gateways.set(gateway.id, { signature, engine: { gateway, engine } });
    }
    for (const id of [...this.#gateways.keys()]) if (!seen.has(id)) this.#gateways.delete(id);
  }

  async #syncHealthChecks(topology: Topology): Promise<void> {
    this.#healthMemo = wantedCheckers(topology, this.#healthMemo);
    const wanted = new Map([...this.#healthMemo].map(([key, inputs]) => [key, inputs.signature]));
    for (const [key, checker] of [...this.#checkers]) {
      if (wanted.get(key) === checker.signature) continue;
      checker.stop();
      this.#checkers.delete(key);
      this.#reach.delete(key);
    }
    const rounds: Promise<void>[] = [];
    for (const [key, signature] of wanted) {
      const existing = this.#checkers.get(key);
      const reach = this.#healthMemo.get(key)?.reach ?? '';
      const changed = this.#reach.get(key) !== reach;
      this.#reach.set(key, reach);
      if (existing) {
        // Security groups or apps of the members may have changed: check again now, only then.
        if (changed) rounds.push(existing.runOnce());
        continue;
      }
      const [lbId = '', groupId = ''] = key.split('|');
      const checker = new HealthChecker(this.#context, lbId, groupId, signature);
      this.#checkers.set(key, checker);
      rounds.push(checker.start());
    }
    await Promise.all(rounds);
  }

  /** Every realised endpoint and address, for `GET /dataplane` and `natflow up`. */
  map(): DataPlaneMap {
    const t = this.#topology;
    const vpcName = (id: string) => t.vpcOf(id)?.name ?? id;
    const endpoints = [...this.#endpoints.values()]
      .map(({ spec, loopback, realPort }) => ({
        vpc: vpcName(spec.vpcId),
        vpcId: spec.vpcId,
        virtual: `${spec.ip}:${spec.port}`,
        loopback: `${loopback}:${realPort}`,
        kind: spec.kind,
        name: spec.name,
        protocol: spec.protocol,
        ...(realPort === spec.port ? {} : { remapped: true }),
      }))
      .sort((a, b) => compareLoopback(a.loopback, b.loopback));
    const addresses: DataPlaneAddress[] = [];
    const add = (vpcId: string, ip: string, role: DataPlaneAddress['role'], name: string) => {
      const loopback = this.#addresses.lookup(vpcId, ip);
      if (loopback) addresses.push({ vpc: vpcName(vpcId), vpcId, virtual: ip, loopback, role, name });
    };
    for (const r of t.resources) {
      if (r.type === 'server') add(r.vpcId, r.ip, 'server', r.name);
      else if (r.type === 'transit-ip') add(r.vpcId, r.ip, 'transit-ip', r.name);
      else if (r.type === 'load-balancer') {
        add(r.vpcId, r.ip, 'load-balancer', r.name);
        add(r.vpcId, r.backendIp, 'load-balancer-backend', r.name);
      } else if (r.type === 'private-nat-gateway') add(r.vpcId, r.downlinkIp, 'gateway', r.name);
    }
    const health = [...this.#checkers.values()].map((checker) => ({
      loadBalancerId: checker.lbId,
      backendGroupId: checker.groupId,
      members: checker.memberHealth(),
    }));
    return { loopbackPrefix: this.#addresses.prefix.join('.'), endpoints, addresses, health };
  }

  /** The loopback `ip:port` a virtual endpoint is realised at, if it is. */
  loopbackOf(vpcId: string, ip: string, transport: Protocol, port: number): string | undefined {
    const loopback = this.#addresses.lookup(vpcId, ip);
    const real = this.#ports.get(portKey(vpcId, ip, transport, port));
    return loopback && real !== undefined ? `${loopback}:${real}` : undefined;
  }

  /**
   * Sends a real request from a server: an HTTP GET, a TCP exchange or a UDP echo. The destination is
   * resolved within `to.vpcId`; a destination outside the sender's VPC has no route and nothing is sent.
   */
  async send(probe: LiveProbe): Promise<LiveResult> {
    await this.#syncing;
    const timeoutMs = probe.timeoutMs ?? this.#timeoutMs;
    const server = this.#topology.find('server', probe.fromServerId);
    if (!server) throw new Error(`the data plane has no server ${probe.fromServerId}`);
    const from = this.#addresses.lookup(server.vpcId, server.ip);
    if (!from) throw new Error(`server ${server.name} has no loopback address`);
    if (probe.to.vpcId !== server.vpcId) {
      return {
        ok: false,
        status: 'timeout',
        latencyMs: 0,
        detail: `no route from ${server.name}'s VPC to ${probe.to.ip}: nothing was sent`,
      };
    }
    const transport: Protocol = probe.protocol === 'udp' ? 'udp' : 'tcp';
    const host = this.#addresses.lookup(probe.to.vpcId, probe.to.ip);
    const port = this.#ports.get(portKey(probe.to.vpcId, probe.to.ip, transport, probe.port));
    if (!host) {
      return {
        ok: false,
        status: 'timeout',
        latencyMs: 0,
        detail: `no host holds ${probe.to.ip}: nothing answers`,
      };
    }
    if (port === undefined) {
      const status = transport === 'udp' ? 'timeout' : 'refused';
      return {
        ok: false,
        status,
        latencyMs: 0,
        detail: `nothing listens on ${probe.to.ip}:${probe.port} (${host})`,
      };
    }
    const token = randomUUID();
    const via = { from, to: `${host}:${port}` };
    const started = performance.now();
    const latency = () => Math.round((performance.now() - started) * 1000) / 1000;
    if (probe.protocol === 'http') {
      const outcome = await httpGet({
        host,
        port,
        localAddress: from,
        path: `/?natflow-probe=${token}`,
        timeoutMs,
      });
      const latencyMs = latency();
      const responder = header(outcome.headers['x-natflow-server']);
      const seenLb = header(outcome.headers['x-natflow-lb-seen-source']);
      const seenServer = header(outcome.headers['x-natflow-seen-source']);
      this.#answers.delete(token);
      return {
        ok: responder !== undefined && typeof outcome.status === 'number' && outcome.status < 500,
        status: outcome.status,
        latencyMs,
        ...(responder ? { responder } : {}),
        seen: { ...(seenLb ? { loadBalancer: seenLb } : {}), ...(seenServer ? { server: seenServer } : {}) },
        via,
      };
    }
    const outcome =
      probe.protocol === 'tcp'
        ? await tcpPing({ host, port, localAddress: from, token, timeoutMs })
        : await udpPing({ host, port, localAddress: from, token, timeoutMs });
    const latencyMs = latency();
    const answer = this.#answers.get(token);
    this.#answers.delete(token);
    const answered = answer !== undefined && outcome.status !== 'timeout' && outcome.status !== 'refused';
    // A proxy that answered without any application behind it (an HTTP listener's 503) is no service.
    const status =
      probe.protocol === 'tcp' && !answered && outcome.status === 'connected' ? 'refused' : outcome.status;
    return {
      ok: answered,
      status,
      latencyMs,
      ...(answered ? { responder: answer.server, seen: { server: answer.seenSource } } : {}),
      via,
    };
  }

  /** Health checks every listener's members now (tests; the timers do it every interval). */
  async checkHealth(): Promise<void> {
    await Promise.all([...this.#checkers.values()].map((c) => c.runOnce()));
  }

  /** Stops every endpoint, timer and socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#syncing;
    for (const checker of this.#checkers.values()) checker.stop();
    this.#checkers.clear();
    const running = [...this.#endpoints.values()];
    this.#endpoints.clear();
    this.#ports.clear();
    for (const handle of this.#handles) {
      if ('destroy' in handle && typeof handle.destroy === 'function') handle.destroy();
    }
    await Promise.all(running.map((r) => r.close()));
    this.#handles.clear();
  }
}

function portKey(vpcId: string, ip: string, transport: Protocol, port: number): string {
  return `${vpcId}|${ip}|${transport}|${port}`;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function gatewaySignature(gateway: PrivateNatGateway, rules: readonly DnatRule[]): string {
  return JSON.stringify([
    gateway.status,
    gateway.downlinkIp,
    gateway.spec,
    rules.map((r) => [r.id, r.status, r.transitIp, r.protocol, r.transitPort, r.internalPort, r.target]),
  ]);
}

function compareLoopback(a: string, b: string): number {
  const key = (s: string) =>
    s
      .split(/[.:]/)
      .map((n) => n.padStart(5, '0'))
      .join('.');
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/**
 * The endpoints a topology needs: each server application; each listener; each transit IP's ports —
 * a specific rule's transit port, and for an all-ports rule every port its target listens on (the port is
 * kept, and no forwarder can bind all 65,535).
 */
function desiredEndpoints(topology: Topology): Map<string, EndpointSpec> {
  const specs = new Map<string, EndpointSpec>();
  const add = (spec: Omit<EndpointSpec, 'key'>) => {
    const key = `${spec.kind}|${spec.vpcId}|${spec.ip}|${spec.transport}|${spec.port}|${spec.protocol}|${spec.resourceId}`;
    specs.set(key, { ...spec, key });
  };
  const targetPorts = new Map<string, { transport: Protocol; port: number }[]>();
  const addTargetPort = (vpcId: string, ip: string, transport: Protocol, port: number) => {
    const key = `${vpcId}|${ip}`;
    const list = targetPorts.get(key) ?? [];
    list.push({ transport, port });
    targetPorts.set(key, list);
  };
  for (const server of topology.ofType('server')) {
    for (const app of server.apps) {
      const transport: Protocol = app.protocol === 'udp' ? 'udp' : 'tcp';
      add({
        kind: 'server-app',
        vpcId: server.vpcId,
        ip: server.ip,
        transport,
        port: app.port,
        protocol: app.protocol,
        resourceId: server.id,
        name: server.name,
      });
      addTargetPort(server.vpcId, server.ip, transport, app.port);
    }
  }
  for (const listener of topology.ofType('listener')) {
    const lb = topology.find('load-balancer', listener.loadBalancerId);
    if (!lb) continue;
    const transport: Protocol = listener.protocol === 'UDP' ? 'udp' : 'tcp';
    add({
      kind: 'listener',
      vpcId: lb.vpcId,
      ip: lb.ip,
      transport,
      port: listener.port,
      protocol: listener.protocol,
      resourceId: listener.id,
      name: `${lb.name} ${listener.protocol}:${listener.port}`,
    });
    addTargetPort(lb.vpcId, lb.ip, transport, listener.port);
  }
  for (const tip of topology.ofType('transit-ip')) {
    for (const rule of topology.rulesOfTransitIp(tip.id)) {
      const forward = (transport: Protocol, port: number) =>
        add({
          kind: 'transit-ip',
          vpcId: tip.vpcId,
          ip: tip.ip,
          transport,
          port,
          protocol: transport,
          resourceId: tip.id,
          name: tip.name,
        });
      if (rule.protocol !== 'any') {
        forward(rule.protocol, rule.transitPort);
        continue;
      }
      const gateway = topology.find('private-nat-gateway', rule.gatewayId);
      if (!gateway) continue;
      for (const p of targetPorts.get(`${gateway.vpcId}|${rule.target.ip}`) ?? [])
        forward(p.transport, p.port);
    }
  }
  return specs;
}

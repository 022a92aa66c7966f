/**
 * The live data plane against the path analysis: every scenario of test/probe/scenarios.ts is realised
 * as real loopback sockets and probed in `both` mode — the probe throws PROBE_DISAGREEMENT when the
 * two modes disagree, so each passing case is also an agreement check.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DataPlane } from '../../src/local-dataplane/index.ts';
import { Topology } from '../../src/probe/model.ts';
import { ProbeDisagreementError, probe } from '../../src/probe/probe.ts';
import { REF, referenceScenario } from '../probe/builder.ts';
import { scenarios } from '../probe/scenarios.ts';

const LOOPBACK_PREFIX = '127.93';
const TIMEOUT_MS = 300;

let dataPlane: DataPlane | undefined;
afterEach(async () => {
  await dataPlane?.close();
  dataPlane = undefined;
});

async function realise(resources: Parameters<DataPlane['sync']>[0]): Promise<DataPlane> {
  dataPlane = new DataPlane({
    loopbackPrefix: LOOPBACK_PREFIX,
    remapPrivilegedPorts: true,
    timeoutMs: TIMEOUT_MS,
  });
  await dataPlane.sync(resources);
  return dataPlane;
}

describe('Class: DataPlane, probed in both modes', () => {
  it.each(scenarios().filter((s) => s.live))('$name', async ({ resources, request, verdict, code, live }) => {
    // Prepare
    const plane = await realise(resources);

    // Act
    const report = await probe(Topology.from(resources), { ...request, mode: 'both' }, { dataPlane: plane });

    // Assess
    expect(report.verdict).toBe(verdict);
    expect(report.code).toBe(code);
    expect(report.live?.status).toBe(live?.status);
    expect(report.live?.ok).toBe(verdict === 'REACHABLE');
    if (live?.responder) expect(report.live?.responder).toBe(live.responder);
  });

  it('serves the reference curl like python3 -m http.server, naming the sources each hop saw', async () => {
    // Prepare
    const s = referenceScenario();
    const plane = await realise(s.b.resources);

    // Act
    const report = await probe(
      s.b.topology(),
      { from: 'ECS-A', to: REF.TRANSIT_IP, protocol: 'http', port: 80 },
      { dataPlane: plane },
    );
    const transit = plane.map().endpoints.find((e) => e.kind === 'transit-ip');
    const response = await fetch(`http://${transit?.loopback}/`);
    const body = await response.text();

    // Assess
    expect(report.live).toMatchObject({ ok: true, status: 200, responder: 'ECS-B' });
    expect(report.live?.seen?.loadBalancer?.startsWith(`${REF.GATEWAY_IP}:`)).toBe(true);
    expect(report.live?.seen?.server?.startsWith(`${REF.ELB_BACKEND_IP}:`)).toBe(true);
    expect(response.status).toBe(200);
    expect(response.headers.get('server')).toMatch(/^SimpleHTTP\/0\.6 Python\/3\./);
    expect(body).toContain('<title>Directory listing for /</title>');
    expect(body).toMatch(
      new RegExp(
        `ECS-B \\(${REF.ECS_B_IP}\\) served this request; it saw the source ${REF.ELB_BACKEND_IP}:\\d+`,
      ),
    );
    expect(body).toContain(`X-Forwarded-For: ${REF.GATEWAY_IP}`);
  });

  it('maps every endpoint to a loopback address, never a virtual one', async () => {
    // Prepare
    const s = referenceScenario();
    const plane = await realise(s.b.resources);

    // Act
    const map = plane.map();

    // Assess
    expect(map.endpoints.map((e) => [e.kind, e.name, e.virtual])).toEqual([
      ['server-app', 'ECS-B', `${REF.ECS_B_IP}:80`],
      ['listener', 'ELB01 HTTP:80', `${REF.ELB_IP}:80`],
      ['transit-ip', 'transit-ip-A', `${REF.TRANSIT_IP}:80`],
    ]);
    for (const e of [...map.endpoints.map((x) => x.loopback), ...map.addresses.map((x) => x.loopback)]) {
      expect(e).toMatch(/^127\.93\.\d+\.\d+(:\d+)?$/);
    }
    expect(map.endpoints.every((e) => e.remapped && e.loopback.endsWith(':8080'))).toBe(true);
  });

  it('reconciles idempotently: a second sync keeps the sockets, a changed rule applies at once', async () => {
    // Prepare
    const s = referenceScenario();
    const plane = await realise(s.b.resources);
    const before = plane.map();

    // Act
    await plane.sync(s.b.resources);
    const same = plane.map();
    s.b.replace({ ...s.rule, status: 'FROZEN' });
    await plane.sync(s.b.resources);
    const frozen = await probe(
      s.b.topology(),
      { from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80 },
      { dataPlane: plane },
    );
    s.b.replace({ ...s.rule, status: 'ACTIVE' });
    await plane.sync(s.b.resources);
    const thawed = await probe(
      s.b.topology(),
      { from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80 },
      { dataPlane: plane },
    );

    // Assess
    expect(same).toEqual(before);
    expect(frozen.code).toBe('RULE_INACTIVE');
    expect(thawed.live?.status).toBe(200);
  });

  it('stops the endpoints of removed resources', async () => {
    // Prepare
    const s = referenceScenario();
    const plane = await realise(s.b.resources);

    // Act
    s.b.remove(s.rule.id);
    await plane.sync(s.b.resources);

    // Assess
    expect(plane.map().endpoints.some((e) => e.kind === 'transit-ip')).toBe(false);
  });

  it('balances round robin over healthy members', async () => {
    // Prepare
    const s = referenceScenario();
    const ecsC = s.b.server(s.subnetB, 'ECS-C', '10.0.0.20', { apps: [{ protocol: 'http', port: 80 }] });
    s.b.replace({ ...s.group, members: [...s.group.members, { serverId: ecsC.id, port: 80, weight: 1 }] });
    const plane = await realise(s.b.resources);
    const topology = s.b.topology();

    // Act
    const responders: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await probe(
        topology,
        { from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80 },
        { dataPlane: plane },
      );
      responders.push(r.live?.responder);
    }

    // Assess
    expect(new Set(responders)).toEqual(new Set(['ECS-B', 'ECS-C']));
  });

  it('reports a disagreement between the model and the sockets as PROBE_DISAGREEMENT', async () => {
    // Prepare: the data plane runs the reference; the model handed to the probe has the rule frozen
    const s = referenceScenario();
    const plane = await realise(s.b.resources);
    s.b.replace({ ...s.rule, status: 'FROZEN' });

    // Act
    const act = probe(
      s.b.topology(),
      { from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80 },
      { dataPlane: plane },
    );

    // Assess
    await expect(act).rejects.toBeInstanceOf(ProbeDisagreementError);
    await expect(act).rejects.toMatchObject({ name: 'PROBE_DISAGREEMENT' });
  });
});

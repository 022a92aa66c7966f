/**
 * `previewPlan` / `previewDestroy` (docs/preview.md) against scenario stores: each action, each reachability
 * class, the exit codes, and the store left exactly as it was.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import {
  type PreviewDocument,
  type PreviewResult,
  previewDestroy,
  previewExitCode,
  previewPlan,
} from '../../src/plan/preview.ts';
import { validatePlan } from '../../src/plan/validate.ts';
import { steps } from '../../src/workflow/steps/index.ts';
import { examplePlan, referencePlan } from '../cloud/plans.ts';
import { addRulePlan, allPortsPlan, provision, referenceStore, snapshot } from './scenarios.ts';

function ok(result: PreviewResult): PreviewDocument {
  if (!result.previewable) throw new Error(`not previewable: ${JSON.stringify(result.errors)}`);
  return result.preview;
}

const row = (preview: PreviewDocument, entry: string, kind?: string) => {
  const found = preview.actions.find((a) => a.entry === entry && (kind === undefined || a.kind === kind));
  if (!found) throw new Error(`no action for ${entry} ${kind ?? ''}`);
  return found;
};

const brief = (paths: PreviewDocument['reachability']['opened']) =>
  paths.map((p) => `${p.from} ${p.to} ${p.protocol} ${p.before.code ?? 'R'}→${p.after.code ?? 'R'}`);

describe('previewPlan: actions', () => {
  it('+ create: every entry of the reference on an empty store, implicit resources under their entry', async () => {
    // Prepare
    const store = new MemoryStore();
    // Act
    const preview = ok(await previewPlan(store, referencePlan(), { steps }));
    // Assess
    expect(preview.actions.map((a) => `${a.action} ${a.entry} ${a.kind} ${a.name}`)).toEqual([
      'create vpcs[0] vpc VPC-A',
      'create vpcs[0].subnets[0] subnet subnet-A01',
      'create vpcs[1] vpc VPC-B',
      'create vpcs[1].subnets[0] subnet subnet-B01',
      'create servers[0] server ECS-A',
      'create servers[0] security-group ECS-A-sg',
      'create servers[1] server ECS-B',
      'create servers[1] security-group ECS-B-sg',
      'create backendGroups[0] backend-group backend-server-group-B',
      'create loadBalancers[0] load-balancer ELB01',
      'create loadBalancers[0].listeners[0] listener ELB01/HTTP-80',
      'create transitIps[0] transit-ip transit-ip-A',
      'create privateNatGateways[0] private-nat-gateway private_nat_gateway',
      'create privateNatGateways[0].dnatRules[0] dnat-rule transit-ip-A-tcp-80',
    ]);
    expect(preview.summary).toEqual({
      create: 14,
      unchanged: 0,
      differs: 0,
      conflicts: 0,
      existing: 0,
      destroy: 0,
    });
    // The addresses the dry run predicts, as provisioning would assign them.
    expect(row(preview, 'servers[0]', 'server').address).toBe('192.168.0.2');
    expect(row(preview, 'transitIps[0]').address).toBe('192.168.0.144');
    expect(row(preview, 'servers[0]', 'server').id).toBeUndefined();
    expect(await store.list()).toEqual([]);
  });

  it('= unchanged: a re-run of a provisioned plan replays every entry, auto addresses included', async () => {
    const { store } = await referenceStore();
    const ids = new Map((await store.list()).map((r) => [r.name, r.id]));
    const preview = ok(await previewPlan(store, referencePlan(), { steps }));
    expect(preview.actions.every((a) => a.action === 'unchanged')).toBe(true);
    expect(preview.summary.unchanged).toBe(14);
    expect(row(preview, 'servers[0]', 'server').id).toBe(ids.get('ECS-A'));
    expect(row(preview, 'servers[0]', 'security-group').id).toBe(ids.get('ECS-A-sg'));
    expect(preview.reachability).toEqual({ opened: [], closed: [], stillClosed: [], unchanged: 1 });
  });

  it.each([
    {
      name: 'a server with another explicit address',
      mutate: (p: ReturnType<typeof referencePlan>) => {
        p.servers[0].ip = '192.168.0.50';
      },
      entry: 'servers[0]',
    },
    {
      name: "a server's own security group rules",
      mutate: (p: ReturnType<typeof referencePlan>) => {
        p.servers[1].inbound[0].ports = '80-81';
      },
      entry: 'servers[1]',
    },
    {
      name: 'a rule with another internal port',
      mutate: (p: ReturnType<typeof referencePlan>) => {
        p.privateNatGateways[0].dnatRules[0].internalPort = 8080;
      },
      entry: 'privateNatGateways[0].dnatRules[0]',
    },
  ])('~ differs (PLAN_CHANGED): $name', async ({ mutate, entry }) => {
    const { store } = await referenceStore();
    const plan = referencePlan();
    mutate(plan);
    const result = await previewPlan(store, plan, { steps });
    const preview = ok(result);
    expect(row(preview, entry)).toMatchObject({ action: 'differs', code: 'PLAN_CHANGED' });
    expect(row(preview, entry).errors?.[0]).toMatchObject({ code: 'PLAN_CHANGED', path: entry });
    // The row names the resource that differs (found by the entry's client token).
    expect(row(preview, entry).id).toMatch(/^[a-z]+-[0-9a-f]{12}$/);
    expect(preview.summary.differs).toBeGreaterThanOrEqual(1);
    expect(previewExitCode(result, false)).toBe(1);
  });

  it('· existing and ! conflict: a rule on a port another plan already forwards is DNAT_PORT_CONFLICT', async () => {
    const { store } = await referenceStore();
    const result = await previewPlan(store, addRulePlan({ transitPort: 80 }), { steps });
    const preview = ok(result);
    expect(preview.actions.map((a) => `${a.action} ${a.entry}`)).toEqual([
      'existing vpcs[0]',
      'existing servers[0]',
      'existing transitIps[0]',
      'existing privateNatGateways[0]',
      'conflict privateNatGateways[0].dnatRules[0]',
    ]);
    const rule = row(preview, 'privateNatGateways[0].dnatRules[0]');
    expect(rule.code).toBe('DNAT_PORT_CONFLICT');
    expect(rule.errors).toEqual([
      expect.objectContaining({
        code: 'DNAT_PORT_CONFLICT',
        path: 'privateNatGateways[0].dnatRules[0].transitPort',
      }),
    ]);
    expect(preview.summary).toMatchObject({ conflicts: 1, existing: 4, create: 0 });
    expect(previewExitCode(result, false)).toBe(1);
    expect(previewExitCode(result, true)).toBe(1);
  });

  it.each([
    {
      rule: { protocol: 'any', portType: 'all', transitPort: 0, internalPort: 0 },
      code: 'PORT_TYPE_CONFLICT',
    },
    { rule: { target: { server: 'ECS-A' } }, code: 'NOT_FOUND' },
  ])('! conflict $code', async ({ rule, code }) => {
    const { store } = await referenceStore();
    const plan = addRulePlan(rule);
    if (code === 'NOT_FOUND') plan.servers.push({ name: 'ECS-A', existing: 'ecs-does-not-exist' });
    const preview = ok(await previewPlan(store, plan, { steps }));
    const conflict = preview.actions.find((a) => a.action === 'conflict');
    expect(conflict?.code).toBe(code);
  });

  it('! conflict GATEWAY_NOT_ACTIVE: a rule for a frozen gateway', async () => {
    const { store, cloud } = await referenceStore();
    const gateway = (await store.list({ type: 'private-nat-gateway' }))[0];
    await cloud.freeze(gateway?.id as string);
    const preview = ok(await previewPlan(store, addRulePlan({}), { steps }));
    expect(row(preview, 'privateNatGateways[0].dnatRules[0]')).toMatchObject({
      action: 'conflict',
      code: 'GATEWAY_NOT_ACTIVE',
    });
  });

  it('! conflict on an address already in use, and the entries depending on it are not created', async () => {
    const { store } = await referenceStore();
    const plan = referencePlan();
    plan.name = 'second';
    plan.vpcs = [
      { name: 'VPC-A', existing: 'VPC-A', subnets: [{ name: 'subnet-A01', existing: 'subnet-A01' }] },
    ];
    plan.servers = [{ name: 'ECS-A2', subnet: 'subnet-A01' }];
    plan.backendGroups = [];
    plan.loadBalancers = [];
    plan.transitIps = [{ name: 'tip-2', subnet: 'subnet-A01', ip: '192.168.0.144' }];
    plan.privateNatGateways = [];
    plan.verify = [];
    const preview = ok(await previewPlan(store, plan, { steps }));
    expect(row(preview, 'transitIps[0]')).toMatchObject({ action: 'conflict', code: 'IP_IN_USE' });
    expect(row(preview, 'servers[0]', 'server')).toMatchObject({ action: 'create', address: '192.168.0.3' });
  });

  it('! conflict on a server counts once: its security group is shown as it would be created with it', async () => {
    const { store } = await referenceStore();
    const plan = {
      name: 'third',
      vpcs: [{ name: 'VPC-A', existing: 'VPC-A', subnets: [{ name: 'subnet-A01', existing: 'subnet-A01' }] }],
      servers: [{ name: 'on-the-transit-ip', subnet: 'subnet-A01', ip: '192.168.0.144' }],
    };
    const result = await previewPlan(store, plan, { steps });
    const preview = ok(result);
    expect(row(preview, 'servers[0]', 'server')).toMatchObject({ action: 'conflict', code: 'IP_IN_USE' });
    expect(row(preview, 'servers[0]', 'security-group')).toMatchObject({ action: 'create' });
    expect(row(preview, 'servers[0]', 'security-group').code).toBeUndefined();
    expect(preview.summary).toMatchObject({ conflicts: 1, create: 1, existing: 2 });
    expect(previewExitCode(result, true)).toBe(1);
  });
});

describe('previewPlan: reachability', () => {
  it('opened: a new rule on an existing transit IP, for each server of the transit VPC', async () => {
    const { store } = await referenceStore();
    const plan = referencePlan();
    // A second client in VPC-A, created by another plan.
    await provision(store, {
      name: 'second-client',
      vpcs: [{ name: 'VPC-A', existing: 'VPC-A', subnets: [{ name: 'subnet-A01', existing: 'subnet-A01' }] }],
      servers: [{ name: 'ECS-A2', subnet: 'subnet-A01' }],
    });
    expect(plan.name).toBe('app-a-to-elb01');
    const preview = ok(await previewPlan(store, addRulePlan({}), { steps }));
    expect(brief(preview.reachability.opened)).toEqual([
      'ECS-A 192.168.0.144:8080 tcp NO_MATCHING_RULE→R',
      'ECS-A2 192.168.0.144:8080 tcp NO_MATCHING_RULE→R',
    ]);
    expect(preview.reachability.opened[0]).toMatchObject({
      from: 'ECS-A',
      to: '192.168.0.144:8080',
      protocol: 'tcp',
      port: 8080,
      before: { verdict: 'UNREACHABLE', code: 'NO_MATCHING_RULE' },
      after: { verdict: 'REACHABLE' },
      rule: 'privateNatGateways[0].dnatRules[0]',
    });
    expect(preview.reachability.stillClosed).toEqual([]);
  });

  it('an all-ports rule lists each port its target listens on, the ones nobody verifies too', async () => {
    // service listens on http 80, tcp 22 and udp 53; its group opens everything from its own VPC.
    const plan = allPortsPlan(
      [
        { protocol: 'http', port: 80 },
        { protocol: 'tcp', port: 22 },
        { protocol: 'udp', port: 53 },
      ],
      [{ protocol: 'any', ports: '1-65535', source: '10.9.0.0/16' }],
    );
    const preview = ok(await previewPlan(new MemoryStore(), plan, { steps }));
    expect(brief(preview.reachability.opened)).toEqual([
      'client-1 192.168.20.100:22 tcp NOT_A_TRANSIT_IP→R',
      'client-2 192.168.20.100:22 tcp NOT_A_TRANSIT_IP→R',
      'client-1 192.168.20.100:53 udp NOT_A_TRANSIT_IP→R',
      'client-2 192.168.20.100:53 udp NOT_A_TRANSIT_IP→R',
      'client-1 192.168.20.100:80 tcp NOT_A_TRANSIT_IP→R',
      'client-2 192.168.20.100:80 tcp NOT_A_TRANSIT_IP→R',
    ]);
  });

  it("stillClosed: a path the target's security group denies, with SECURITY_GROUP_DENIED", async () => {
    const preview = ok(
      await previewPlan(new MemoryStore(), examplePlan('examples/all-ports-server.plan.yaml'), { steps }),
    );
    expect(brief(preview.reachability.opened)).toEqual(['client 192.168.10.100:8080 tcp NOT_A_TRANSIT_IP→R']);
    expect(preview.reachability.stillClosed).toEqual([
      expect.objectContaining({
        from: 'client',
        to: '192.168.10.100:9000',
        protocol: 'tcp',
        before: { verdict: 'UNREACHABLE', code: 'NOT_A_TRANSIT_IP' },
        after: { verdict: 'UNREACHABLE', code: 'SECURITY_GROUP_DENIED' },
      }),
    ]);
  });

  it('stillClosed: a rule to a port the target group does not open (SECURITY_GROUP_DENIED)', async () => {
    const { store } = await referenceStore();
    const preview = ok(await previewPlan(store, addRulePlan({ internalPort: 8081 }), { steps }));
    expect(preview.reachability.opened).toEqual([]);
    expect(brief(preview.reachability.stillClosed)).toEqual([
      'ECS-A 192.168.0.144:8080 tcp NO_MATCHING_RULE→SECURITY_GROUP_DENIED',
    ]);
  });

  it('unchanged: paths the plan touches whose verdict and code stay, counted', async () => {
    const { store } = await referenceStore();
    const preview = ok(await previewPlan(store, referencePlan(), { steps }));
    expect(preview.reachability.unchanged).toBe(1);
    expect(preview.reachability.opened).toEqual([]);
  });
});

describe('previewDestroy', () => {
  it('- destroy: every resource the plan created, and the paths its rules closed', async () => {
    const { store } = await referenceStore();
    const result = await previewDestroy(store, 'app-a-to-elb01');
    const preview = ok(result);
    expect(preview.mode).toBe('destroy');
    expect(preview.summary).toMatchObject({ destroy: 14, conflicts: 0 });
    expect(preview.actions[0]).toMatchObject({
      action: 'destroy',
      kind: 'dnat-rule',
      entry: 'privateNatGateways[0].dnatRules[0]',
    });
    expect(row(preview, 'servers[1]', 'security-group').action).toBe('destroy');
    expect(row(preview, 'loadBalancers[0].listeners[0]').name).toBe('ELB01/HTTP-80');
    expect(brief(preview.reachability.closed)).toEqual(['ECS-A 192.168.0.144:80 tcp R→NOT_A_TRANSIT_IP']);
    expect(previewExitCode(result, false)).toBe(0);
    expect(previewExitCode(result, true)).toBe(3);
  });

  it('! conflict DEPENDENCY_VIOLATION while another plan depends on it, and nothing closes', async () => {
    const { store } = await referenceStore();
    await provision(store, addRulePlan({}));
    const result = await previewDestroy(store, 'app-a-to-elb01');
    const preview = ok(result);
    const blocked = preview.actions.filter((a) => a.action === 'conflict');
    expect(blocked.map((a) => a.kind).sort()).toEqual(['private-nat-gateway', 'server', 'transit-ip']);
    expect(blocked.every((a) => a.code === 'DEPENDENCY_VIOLATION')).toBe(true);
    expect(preview.reachability.closed).toEqual([]);
    expect(previewExitCode(result, false)).toBe(1);
  });

  it("closes only its own rule: the other plan's rule on the same transit IP stays", async () => {
    const { store } = await referenceStore();
    await provision(store, addRulePlan({}));
    const preview = ok(await previewDestroy(store, 'add-rule'));
    expect(preview.actions.map((a) => `${a.action} ${a.kind}`)).toEqual([
      'destroy dnat-rule',
      'existing vpc',
      'existing server',
      'existing transit-ip',
      'existing private-nat-gateway',
    ]);
    expect(brief(preview.reachability.closed)).toEqual(['ECS-A 192.168.0.144:8080 tcp R→NO_MATCHING_RULE']);
  });

  it('a plan never provisioned cannot be previewed (NOT_FOUND)', async () => {
    const result = await previewDestroy(new MemoryStore(), 'nothing-here');
    expect(result).toEqual({
      previewable: false,
      errors: [expect.objectContaining({ code: 'NOT_FOUND', path: 'destroy' })],
    });
    expect(previewExitCode(result, true)).toBe(2);
  });
});

describe('previewPlan: not previewable, exit codes, the store', () => {
  it.each([
    { name: 'a shape error', document: { ...referencePlan(), routes: [] }, code: 'VALIDATION_FAILED' },
    { name: 'no plan at all', document: 'hello', code: 'VALIDATION_FAILED' },
    {
      name: 'a duplicate name',
      document: (() => {
        const p = referencePlan();
        p.servers[1].name = 'ECS-A';
        return p;
      })(),
      code: 'DUPLICATE_NAME',
    },
  ])('$name is the validate document, exit 2', async ({ document, code }) => {
    const result = await previewPlan(new MemoryStore(), document, { steps });
    expect(result.previewable).toBe(false);
    if (!result.previewable) expect(result.errors.map((e) => e.code)).toContain(code);
    expect(previewExitCode(result, false)).toBe(2);
  });

  it('exit 0 for a clean plan; 3 with --detailed-exitcode when it creates, 0 when it changes nothing', async () => {
    const fresh = await previewPlan(new MemoryStore(), referencePlan(), { steps });
    expect([previewExitCode(fresh, false), previewExitCode(fresh, true)]).toEqual([0, 3]);
    const { store } = await referenceStore();
    const again = await previewPlan(store, referencePlan(), { steps });
    expect([previewExitCode(again, false), previewExitCode(again, true)]).toEqual([0, 0]);
  });

  it('writes nothing: resources and plan records are the same after every kind of preview', async () => {
    const { store } = await referenceStore();
    await provision(store, addRulePlan({}));
    const before = await snapshot(store);
    await previewPlan(store, referencePlan(), { steps });
    await previewPlan(store, addRulePlan({ transitPort: 80 }), { steps });
    await previewPlan(store, allPortsPlan([{ protocol: 'tcp', port: 22 }], []), { steps });
    await previewDestroy(store, 'add-rule');
    await previewDestroy(store, 'app-a-to-elb01');
    expect(await snapshot(store)).toEqual(before);
  });
});

describe('previewPlan and validatePlan agree', () => {
  it.each([
    { name: 'the reference again', plan: () => referencePlan() },
    { name: 'a new rule', plan: () => addRulePlan({}) },
    { name: 'a port conflict', plan: () => addRulePlan({ transitPort: 80 }) },
    {
      name: 'a port type conflict',
      plan: () => addRulePlan({ protocol: 'any', portType: 'all', transitPort: 0, internalPort: 0 }),
    },
    {
      name: 'a changed entry',
      plan: () => {
        const p = referencePlan();
        p.privateNatGateways[0].dnatRules[0].internalPort = 81;
        return p;
      },
    },
    { name: 'an all-ports plan of its own', plan: () => allPortsPlan([{ protocol: 'tcp', port: 22 }], []) },
  ])('$name: the preview fails exactly when validation does, with the same codes', async ({ plan }) => {
    const { store } = await referenceStore();
    const validation = await validatePlan(store, plan(), { steps });
    const preview = ok(await previewPlan(store, plan(), { steps }));
    expect(previewExitCode({ previewable: true, preview }, false) === 1).toBe(!validation.valid);
    const codes = preview.actions.flatMap((a) => (a.errors ?? []).map((e) => `${e.path} ${e.code}`)).sort();
    expect(codes).toEqual(validation.errors.map((e) => `${e.path} ${e.code}`).sort());
  });
});

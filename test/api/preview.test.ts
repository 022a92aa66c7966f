/**
 * POST /plans/preview (docs/http-api.md, docs/preview.md) through its handler, with API Gateway proxy events: 200 with
 * the preview (conflicts are its content), 422 for what cannot be previewed, 404 for a teardown of a plan
 * that does not exist, and the store left as it was.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/api/preview-plan.ts';
import { depsOf } from '../../functions/lib/deps.ts';
import { PreviewSchema } from '../../src/api/schemas.ts';
import type { MemoryStore } from '../../src/cloud/memory-store.ts';
import { referencePlan } from '../cloud/plans.ts';
import { addRulePlan, referenceStore, snapshot } from '../plan/scenarios.ts';
import { call } from './events.ts';

let store: MemoryStore;

beforeEach(async () => {
  ({ store } = await referenceStore());
});

/** The handler as the local runtime builds it, with this test's store. */
const post = (body: object) =>
  call(createHandler(depsOf({ store })), { method: 'POST', resource: '/plans/preview', body });

describe('POST /plans/preview', () => {
  it('answers 200 with a preview of {plan} that matches its schema, and writes nothing', async () => {
    const before = await snapshot(store);
    const answer = await post({ plan: addRulePlan({}) });
    expect(answer.status).toBe(200);
    const body = PreviewSchema.parse(answer.json);
    expect(body.summary).toMatchObject({ create: 1, existing: 4, conflicts: 0 });
    expect(body.reachability.opened.map((p) => `${p.from} ${p.to}`)).toEqual(['ECS-A 192.168.0.144:8080']);
    expect(await snapshot(store)).toEqual(before);
  });

  it('answers 200 with the conflict and its code (a conflict is the preview, not an error)', async () => {
    const answer = await post({ plan: addRulePlan({ transitPort: 80 }) });
    expect(answer.status).toBe(200);
    expect(PreviewSchema.parse(answer.json).actions.find((a) => a.action === 'conflict')).toMatchObject({
      code: 'DNAT_PORT_CONFLICT',
      entry: 'privateNatGateways[0].dnatRules[0]',
    });
  });

  it('answers 200 with {destroy: NAME}: what the teardown removes and the paths it closes', async () => {
    const answer = await post({ destroy: 'app-a-to-elb01' });
    expect(answer.status).toBe(200);
    const body = PreviewSchema.parse(answer.json);
    expect(body).toMatchObject({ mode: 'destroy', summary: { destroy: 14 } });
    expect(body.reachability.closed).toHaveLength(1);
  });

  it("answers the resources of the picture with topology: true, the plan's own included", async () => {
    const answer = await post({ plan: addRulePlan({}), topology: true });
    expect(answer.status).toBe(200);
    const body = PreviewSchema.parse(answer.json);
    const names = new Set(body.topology?.map((r) => `${r.type}:${r.name}`));
    for (const name of ['server:ECS-A', 'transit-ip:transit-ip-A', 'private-nat-gateway:private_nat_gateway'])
      expect(names.has(name), name).toBe(true);
    expect(body.topology?.filter((r) => r.type === 'dnat-rule')).toHaveLength(2);
    // Without it, no topology.
    expect((await post({ plan: addRulePlan({}) })).json).not.toHaveProperty('topology');
  });

  it('answers 422 listing every problem of a document that is no plan', async () => {
    const plan = referencePlan();
    plan.vpcs[0].cidr = '192.168.0.0/33';
    plan.servers[0].name = 'ECS-B';
    const answer = await post({ plan });
    expect(answer.status).toBe(422);
    expect(answer.json.errors?.map((e) => `${e.path} ${e.code}`)).toContain('vpcs[0].cidr INVALID_CIDR');
  });

  it('answers 422 (not 404) listing every problem of a plan that names a VPC that does not exist', async () => {
    const plan = referencePlan() as unknown as Record<string, Record<string, unknown>[]>;
    for (const lb of plan.loadBalancers ?? []) lb.vpc = 'VPC-NOPE';
    for (const gateway of plan.privateNatGateways ?? []) gateway.vpc = 'VPC-ZZZ';
    const answer = await post({ plan });
    expect(answer.status).toBe(422);
    expect(answer.json.status).toBe(422);
    const problems = answer.json.errors?.map((e) => `${e.path} ${e.code}`).join('\n') ?? '';
    expect(problems).toMatch(/loadBalancers\[0\]\.vpc NOT_FOUND/);
    expect(problems).toMatch(/privateNatGateways\[0\]\.vpc NOT_FOUND/);
  });

  it('answers 404 for the teardown of a plan that was never provisioned', async () => {
    const answer = await post({ destroy: 'never-provisioned' });
    expect(answer).toMatchObject({ status: 404, json: { code: 'NOT_FOUND' } });
  });

  it.each([
    { name: 'both plan and destroy', body: { plan: referencePlan(), destroy: 'x' } },
    { name: 'an unknown field', body: { plans: referencePlan() } },
    { name: 'a destroy name that is no plan name', body: { destroy: 'Not A Name' } },
  ])('answers 422 for $name', async ({ body }) => {
    const answer = await post(body);
    expect(answer.status).toBe(422);
  });
});

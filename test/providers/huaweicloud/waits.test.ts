/**
 * What a provisioning step does against a slow account (docs/real-cloud.md#time), through signed HTTP to
 * natflow's local Huawei Cloud API: it creates every entry whose parents are ready before it waits
 * (both VPCs, not one after the other), fails `Natflow.NotReady` naming what it waits for (the resource,
 * its status in Huawei's words, how long), never reads back what it has just created, and fails
 * CLOUD_TIMEOUT once a resource outlives its kind's deadline — counted by the handler from the
 * resource's own creation, with natflow's clock (a manual one here), whatever the retries.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { lambdaHandler } from '../../../functions/lib/middleware.ts';
import { lambdaContext } from '../../../src/aws/local.ts';
import { NotReadyError } from '../../../src/cloud/errors.ts';
import { MemoryStore } from '../../../src/cloud/memory-store.ts';
import { notReady, waitingOfCause, waitingOfError } from '../../../src/cloud/waiting.ts';
import {
  DEFAULT_AK,
  DEFAULT_PROJECT_ID,
  DEFAULT_SK,
  type HuaweiCloudServer,
  type SettleSpec,
  startHuaweiCloudServer,
} from '../../../src/local-huaweicloud/index.ts';
import { ManualClock } from '../../../src/net/clock.ts';
import { type Plan, PlanSchema, parsePlanText } from '../../../src/plan/plan.ts';
import { apisFor, type HuaweiApis } from '../../../src/providers/huaweicloud/apis.ts';
import { readSettings } from '../../../src/providers/huaweicloud/config.ts';
import { HuaweiCloud } from '../../../src/providers/huaweicloud/provider.ts';
import { applyStep } from '../../../src/workflow/steps/index.ts';

const EXECUTION = 'arn:aws:states:local:000000000000:execution:natflow-provision:waits-1';
const HOUR = 3_600_000;

function referencePlan(): Plan {
  const text = readFileSync(new URL('../../../examples/reference.plan.yaml', import.meta.url), 'utf8');
  return PlanSchema.parse(parsePlanText(text));
}

let server: HuaweiCloudServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The account (settling per `settle`) and a provider driving it with natflow's clock `clock`. */
async function accountWith(settle: SettleSpec, env: Record<string, string> = {}) {
  server = await startHuaweiCloudServer({ store: new MemoryStore(), settleMs: settle });
  const settings = readSettings({
    HUAWEICLOUD_ENDPOINT: server.url,
    HUAWEICLOUD_DEFAULT_IMAGE: 'image-ubuntu-22',
    HUAWEICLOUD_DEFAULT_FLAVOR: 's6.small.1',
    ...env,
  });
  const credentials = { ak: DEFAULT_AK, sk: DEFAULT_SK, projectId: DEFAULT_PROJECT_ID };
  const api: HuaweiApis = apisFor(settings, credentials);
  const clock = new ManualClock(Date.now());
  const cloud = new HuaweiCloud({ store: new MemoryStore(), settings, credentials, apis: api, clock });
  const run = (step: Parameters<typeof applyStep>[2]) =>
    applyStep(cloud, referencePlan(), step, { execution: EXECUTION, now: () => clock.now() });
  return { api, clock, cloud, run };
}

describe('a step against a slow account', () => {
  it('creates every VPC before it waits, and names both in its Natflow.NotReady, in Huawei’s words', async () => {
    // Prepare: VPCs take an hour; everything else is at once.
    const { api, clock, run } = await accountWith({ vpc: HOUR });

    // Act
    const first = await run('networks').catch((error: unknown) => error);
    clock.advance(3_000);
    const second = await run('networks').catch((error: unknown) => error);

    // Assess: VPC-B did not wait for VPC-A; no subnet was asked for while its VPC is CREATING.
    expect(first).toBeInstanceOf(NotReadyError);
    expect((await api.vpc.listVpcs()).map((v) => [v.name, v.status]).sort()).toEqual([
      ['VPC-A', 'CREATING'],
      ['VPC-B', 'CREATING'],
    ]);
    expect(await api.vpc.listSubnets()).toEqual([]);
    expect(waitingOfError(first)).toEqual([
      { name: 'VPC-A', kind: 'vpc', status: 'CREATING', seconds: 0 },
      { name: 'VPC-B', kind: 'vpc', status: 'CREATING', seconds: 0 },
    ]);
    expect((first as Error).message).toBe('waiting for VPC-A: CREATING, 0 s; VPC-B: CREATING, 0 s');
    // The next poll reads them again: still CREATING, three seconds on.
    expect(waitingOfError(second)).toEqual([
      { name: 'VPC-A', kind: 'vpc', status: 'CREATING', seconds: 3 },
      { name: 'VPC-B', kind: 'vpc', status: 'CREATING', seconds: 3 },
    ]);
  });

  it('waits for a subnet of a ready VPC while it creates those it can, then is done once they are ready', async () => {
    // Prepare: subnets take an hour.
    const { api, run } = await accountWith({ subnet: HOUR });

    // Act
    const waiting = await run('networks').catch((error: unknown) => error);

    // Assess: both subnets asked for (UNKNOWN while they settle), and named.
    expect((await api.vpc.listSubnets()).map((s) => [s.name, s.status]).sort()).toEqual([
      ['subnet-A01', 'UNKNOWN'],
      ['subnet-B01', 'UNKNOWN'],
    ]);
    expect(waitingOfError(waiting).map((w) => `${w.name} ${w.status}`)).toEqual([
      'subnet-A01 UNKNOWN',
      'subnet-B01 UNKNOWN',
    ]);
  });

  it.each([
    {
      name: 'the default deadline (15 min)',
      env: {} as Record<string, string>,
      after: 901_000,
      deadline: 900,
    },
    {
      name: 'HUAWEICLOUD_DEADLINE_SECONDS',
      env: { HUAWEICLOUD_DEADLINE_SECONDS: '{"server": 60}' },
      after: 61_000,
      deadline: 60,
    },
  ])(
    'fails CLOUD_TIMEOUT past $name, naming the server, its status and the time waited',
    async ({ env, after, deadline }) => {
      // Prepare: servers boot for an hour; the networks are at once.
      const { clock, run } = await accountWith({ server: HOUR }, env);
      await run('networks');
      await run('servers');
      clock.advance(after - 2_000);
      await expect(run('activateResources')).rejects.toBeInstanceOf(NotReadyError);

      // Act
      clock.advance(2_000);
      const timeout = await run('activateResources').catch((error: unknown) => error);

      // Assess
      expect(timeout).toMatchObject({ name: 'CLOUD_TIMEOUT' });
      expect((timeout as Error).message).toMatch(
        new RegExp(
          `^server ECS-[AB] \\(ecs-[0-9a-f]+\\) is still BUILD on Huawei Cloud after ${after / 1000} s \\(its deadline: ${deadline} s`,
        ),
      );
      expect((timeout as { details?: unknown }).details).toMatchObject({
        name: expect.stringMatching(/^ECS-[AB]$/),
        kind: 'server',
        status: 'BUILD',
        seconds: after / 1000,
        deadline,
      });
    },
  );
});

describe('Function: lambdaHandler (a step that waits)', () => {
  it('leaves the Lambda with the waiting document as its message and no stack', async () => {
    // Prepare
    const handler = lambdaHandler(z.object({}), async () => {
      throw new NotReadyError('waiting for ECS-B: BUILD, 42 s', {
        details: { waiting: [{ name: 'ECS-B', kind: 'server', status: 'BUILD', seconds: 42 }] },
      });
    });

    // Act
    const error = (await handler(
      {},
      lambdaContext({ functionName: 'f', requestId: 'r', timeoutMs: 5_000 }),
    ).catch((e: unknown) => e)) as Error;

    // Assess: what Lambda reports (errorType, errorMessage, trace) carries the document, no trace.
    expect(error.name).toBe('Natflow.NotReady');
    expect(error.stack).toBe('');
    expect(JSON.parse(error.message)).toEqual({
      code: 'Natflow.NotReady',
      message: 'waiting for ECS-B: BUILD, 42 s',
      waiting: { name: 'ECS-B', kind: 'server', status: 'BUILD', seconds: 42 },
    });
    const cause = JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] });
    expect(waitingOfCause(cause)).toEqual([{ name: 'ECS-B', kind: 'server', status: 'BUILD', seconds: 42 }]);
  });

  it('names the first resource in waiting, the others in alsoWaiting, and reads both back', async () => {
    // Prepare
    const ecs = { name: 'ECS-B', kind: 'server', status: 'BUILD', seconds: 42 };
    const vpc = { name: 'VPC-A', kind: 'vpc', status: 'CREATING', seconds: 3 };
    const handler = lambdaHandler(z.object({}), async () => {
      throw notReady([ecs, vpc, ecs]);
    });

    // Act
    const error = (await handler(
      {},
      lambdaContext({ functionName: 'f', requestId: 'r', timeoutMs: 5_000 }),
    ).catch((e: unknown) => e)) as Error;

    // Assess: one object in `waiting` (the console's shape), the rest once each, in the step's order.
    expect(JSON.parse(error.message)).toEqual({
      code: 'Natflow.NotReady',
      message: 'waiting for ECS-B: BUILD, 42 s; VPC-A: CREATING, 3 s',
      waiting: ecs,
      alsoWaiting: [vpc],
    });
    const cause = JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] });
    expect(waitingOfCause(cause)).toEqual([ecs, vpc]);
    expect(waitingOfCause(error.message)).toEqual([ecs, vpc]);
  });

  it('reads nothing from a cause that is not a waiting document', () => {
    expect(waitingOfCause(undefined)).toEqual([]);
    expect(waitingOfCause('not json')).toEqual([]);
    expect(waitingOfCause(JSON.stringify({ errorType: 'X', errorMessage: 'boom', trace: [] }))).toEqual([]);
    expect(waitingOfCause(JSON.stringify({ code: 'Natflow.NotReady', waiting: { name: 'A' } }))).toEqual([]);
  });
});

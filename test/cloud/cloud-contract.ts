/**
 * The cloud port's contract (docs/clouds.md, `src/cloud/cloud.ts`) as a suite every provider runs:
 * `describeCloudContract('huaweicloud', makeWorld)` with a factory answering a fresh, empty cloud (and a
 * way to let time pass, for asynchronous readiness). `cloud-port.test.ts` runs it for every provider of
 * the registry, each through its fixtures there.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Cloud } from '../../src/cloud/cloud.ts';
import { isReady } from '../../src/cloud/cloud.ts';

export interface ContractWorld {
  cloud: Cloud;
  /** Lets the cloud's provisioning time pass (a manual clock, or polling a real one). */
  settle: () => Promise<void>;
  /** Releases what the world holds (a server standing in for the cloud), after each case. */
  close?: () => Promise<void>;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as Error).name;
  }
}

/** A repeat of `refresh` / `destroy` until done, as the workflow's Wait/Choice loops do. */
async function until<T>(step: () => Promise<T>, done: (value: T) => boolean, settle: () => Promise<void>) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const value = await step();
    if (done(value)) return value;
    await settle();
  }
  throw new Error('not done after 20 attempts');
}

/**
 * A create as the workflow's Retry runs it: on a real cloud a child whose parent is still settling (a
 * subnet of a VPC still `CREATING`) is refused with the transient `Natflow.NotReady`, and the Retry calls
 * it again later under the same client token (which the workflow always gives), until the parent is
 * ready. A provider whose parents are ready at once (the virtual cloud) answers on the first call.
 */
async function retried<T>(create: () => Promise<T>, settle: () => Promise<void>): Promise<T> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      return await create();
    } catch (error) {
      if ((error as Error).name !== 'Natflow.NotReady') throw error;
      await settle();
    }
  }
  throw new Error('still not ready after 20 attempts');
}

export function describeCloudContract(provider: string, newWorld: () => Promise<ContractWorld>): void {
  describe(`Cloud port contract: ${provider}`, () => {
    const open: ContractWorld[] = [];
    const makeWorld = async () => {
      const world = await newWorld();
      open.push(world);
      return world;
    };
    afterEach(async () => {
      for (const world of open.splice(0)) await world.close?.();
    });

    it('creates resources as natflow names them, with the ledger fields and an externalId', async () => {
      const { cloud } = await makeWorld();
      const ctx = { plan: 'p', execution: 'exec-1', clientToken: 'p:vpc:VPC-A' };
      const vpc = await cloud.createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' }, ctx);
      expect(vpc).toMatchObject({ type: 'vpc', name: 'VPC-A', cidr: '192.168.0.0/16', plan: 'p' });
      expect(vpc.execution).toBe('exec-1');
      expect(vpc.externalId).toEqual(expect.any(String));
      expect(await cloud.get(vpc.id)).toEqual(vpc);
      expect(await cloud.list({ plan: 'p' })).toEqual([vpc]);
    });

    it('answers the same resource under the same client token, and PLAN_CHANGED for other fields', async () => {
      const { cloud } = await makeWorld();
      const ctx = { plan: 'p', execution: 'exec-1', clientToken: 'p:vpc:VPC-A' };
      const first = await cloud.createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' }, ctx);
      const again = await cloud.createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' }, ctx);
      expect(again.id).toBe(first.id);
      expect(await cloud.list({ type: 'vpc' })).toHaveLength(1);
      expect(await cloud.findByToken('p:vpc:VPC-A')).toMatchObject({ id: first.id });
      expect(await cloud.findByToken('p:vpc:nothing')).toBeUndefined();
      expect(await codeOf(cloud.createVpc({ name: 'VPC-A', cidr: '10.0.0.0/16' }, ctx))).toBe('PLAN_CHANGED');
    });

    it('refuses a create that breaks a control-plane rule with its code, creating nothing', async () => {
      const { cloud } = await makeWorld();
      expect(await codeOf(cloud.createVpc({ name: 'public', cidr: '8.8.0.0/16' }))).toBe('CIDR_OUT_OF_RANGE');
      expect(await codeOf(cloud.createVpc({ name: 'bad', cidr: '10.0.0.0/33' }))).toBe('INVALID_CIDR');
      expect(await cloud.list()).toEqual([]);
    });

    it('resolves an id or a unique name; NOT_FOUND otherwise', async () => {
      const { cloud } = await makeWorld();
      const vpc = await cloud.createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' });
      expect((await cloud.resolve('vpc', vpc.id)).id).toBe(vpc.id);
      expect((await cloud.resolve('vpc', 'VPC-A')).id).toBe(vpc.id);
      expect(await codeOf(cloud.resolve('vpc', 'VPC-Z'))).toBe('NOT_FOUND');
      expect(await codeOf(cloud.require(vpc.id, 'subnet'))).toBe('NOT_FOUND');
    });

    it('makes a gateway ready through refresh, repeated as the Wait/Choice loop does', async () => {
      const { cloud, settle } = await makeWorld();
      const vpc = await cloud.createVpc({ name: 'VPC-B', cidr: '10.0.0.0/16' });
      const subnet = await retried(
        () =>
          cloud.createSubnet(
            { name: 'subnet-B01', vpcId: vpc.id, cidr: '10.0.0.0/24' },
            { clientToken: 't:subnet-B01' },
          ),
        settle,
      );
      const gateway = await retried(
        () =>
          cloud.createGateway({ name: 'gw', vpcId: vpc.id, subnetId: subnet.id }, { clientToken: 't:gw' }),
        settle,
      );
      const ready = await until(() => cloud.refresh(gateway.id), isReady, settle);
      expect(ready).toMatchObject({ id: gateway.id, status: 'ACTIVE' });
      expect(await cloud.referrers(subnet.id)).toEqual(
        expect.arrayContaining([expect.objectContaining({ id: gateway.id })]),
      );
    });

    it('deletes in dependency order: DEPENDENCY_VIOLATION while referenced, then done, then NOT_FOUND', async () => {
      const { cloud, settle } = await makeWorld();
      const vpc = await cloud.createVpc({ name: 'VPC-B', cidr: '10.0.0.0/16' });
      const subnet = await retried(
        () =>
          cloud.createSubnet(
            { name: 'subnet-B01', vpcId: vpc.id, cidr: '10.0.0.0/24' },
            { clientToken: 't:subnet-B01' },
          ),
        settle,
      );
      expect(await codeOf(cloud.destroy(vpc.id))).toBe('DEPENDENCY_VIOLATION');
      await until(
        () => cloud.destroy(subnet.id),
        (d) => d.done,
        settle,
      );
      const deleted = await until(
        () => cloud.destroy(vpc.id),
        (d) => d.done,
        settle,
      );
      expect(deleted.resource.id).toBe(vpc.id);
      expect(await cloud.get(vpc.id)).toBeUndefined();
      expect(await codeOf(cloud.destroy(vpc.id))).toBe('NOT_FOUND');
    });

    it('dry-runs in a sandbox: the rules hold there, nothing reaches the cloud', async () => {
      const { cloud, settle } = await makeWorld();
      const vpc = await cloud.createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' });
      await retried(
        () =>
          cloud.createSubnet(
            { name: 'subnet-A01', vpcId: vpc.id, cidr: '192.168.0.0/24' },
            { clientToken: 't:subnet-A01' },
          ),
        settle,
      );
      const dry = await cloud.dryRun({ plan: 'p', references: [vpc.id] });
      expect(dry.before.has(vpc.id)).toBe(true);
      const sandboxed = await dry.cloud.createSubnet(
        { name: 'subnet-A02', vpcId: vpc.id, cidr: '192.168.1.0/24' },
        { plan: 'p', clientToken: 'p:subnet:subnet-A02' },
      );
      expect(dry.before.has(sandboxed.id)).toBe(false);
      expect(
        await codeOf(dry.cloud.createSubnet({ name: 'overlap', vpcId: vpc.id, cidr: '192.168.0.128/25' })),
      ).toBe('SUBNET_OVERLAP');
      expect(await dry.cloud.list({ plan: 'p' })).toHaveLength(1);
      expect(await cloud.list({ plan: 'p' })).toEqual([]);
      expect(await cloud.findByToken('p:subnet:subnet-A02')).toBeUndefined();
    });
  });
}

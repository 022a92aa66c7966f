/**
 * Intents (docs/real-cloud.md#failure): a real cloud's record the cloud never confirmed is shown PENDING
 * with no externalId, and left out of the probe's topology; everything else is shown as it is.
 */
import { describe, expect, it } from 'vitest';
import { ControlPlane, externalIdOf } from '../../src/cloud/control-plane.ts';
import { isIntent, shownResource, shownResources } from '../../src/cloud/intent.ts';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import type { Resource } from '../../src/cloud/resources.ts';
import { Topology } from '../../src/probe/model.ts';

async function vpc(): Promise<Resource> {
  return new ControlPlane({ store: new MemoryStore() }).createVpc({ name: 'VPC-A', cidr: '192.168.0.0/16' });
}

describe('intents', () => {
  it.each([
    ['a virtual resource', (r: Resource) => r, false],
    ['a virtual resource that names its cloud', (r: Resource) => ({ ...r, cloud: 'virtual' }), false],
    [
      'a real resource the cloud confirmed',
      (r: Resource) => ({ ...r, cloud: 'huaweicloud', externalId: 'hw-1' }),
      false,
    ],
    ['an imported one', (r: Resource) => ({ ...r, cloud: 'huaweicloud', imported: true }), false],
    [
      'an intent (its derived id)',
      (r: Resource) => ({ ...r, cloud: 'huaweicloud', externalId: externalIdOf(r.id) }),
      true,
    ],
    [
      'an intent (no id at all)',
      (r: Resource) => ({ ...r, cloud: 'huaweicloud', externalId: undefined }),
      true,
    ],
  ])('%s: intent %s', async (_name, shape, intent) => {
    expect(isIntent(shape(await vpc()) as Resource)).toBe(intent);
  });

  it('shows an intent PENDING without externalId, and anything else unchanged', async () => {
    const real = { ...(await vpc()), cloud: 'huaweicloud', externalId: 'hw-1' } as Resource;
    const base = await vpc();
    const intent = { ...base, cloud: 'huaweicloud', externalId: externalIdOf(base.id) } as Resource;
    const [shownReal, shownIntent] = shownResources([real, intent]);
    expect(shownReal).toBe(real);
    expect(shownIntent).toMatchObject({ id: intent.id, status: 'PENDING' });
    expect(shownIntent).not.toHaveProperty('externalId');
    expect(shownResource(intent).status).toBe('PENDING');
    expect(intent.status).toBe('ACTIVE');
  });

  it('leaves intents out of the probe’s topology', async () => {
    const real = { ...(await vpc()), name: 'VPC-R', cloud: 'huaweicloud', externalId: 'hw-1' } as Resource;
    const base = await vpc();
    const intent = { ...base, cloud: 'huaweicloud', externalId: externalIdOf(base.id) } as Resource;
    expect(Topology.from([real, intent]).resources.map((r) => r.id)).toEqual([real.id]);
  });
});

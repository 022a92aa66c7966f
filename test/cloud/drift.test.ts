/**
 * The drift comparison (src/cloud/drift.ts): per kind, which managed fields are compared and how (sets as
 * sets, a health check's path only for HTTP, an any-protocol rule on every port), what is left out
 * (fields a provider did not read, names, statuses), when a drift needs a replacement, the cloud as
 * found (`applyDrift`) and the `DriftDetected` detail — its shape, and the schema infra/bus.yml registers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  applyDrift,
  compareManaged,
  DriftDetectedDetailSchema,
  describeFields,
  driftDetectedDetail,
  driftOf,
  MANAGED_FIELDS,
  type Observed,
} from '../../src/cloud/drift.ts';
import { RESOURCE_TYPES, type Resource } from '../../src/cloud/resources.ts';

/** Where the resource kinds sit in the detail's JSON schema. */
type KindsOfDetail = { properties: { drift: { items: { properties: { kind: { enum: string[] } } } } } };

const base = {
  status: 'ACTIVE' as const,
  createdAt: '2026-01-01T00:00:00.000Z',
  plan: 'app',
  execution: 'exec-1',
  clientToken: 'app:x',
  externalId: '00000000-0000-4000-8000-000000000001',
  cloud: 'huaweicloud',
};

const VPC: Resource = { ...base, id: 'vpc-1', name: 'VPC-A', type: 'vpc', cidr: '192.168.0.0/16' };
const SUBNET: Resource = {
  ...base,
  id: 'subnet-1',
  name: 'subnet-A01',
  type: 'subnet',
  vpcId: 'vpc-1',
  cidr: '192.168.0.0/24',
  gatewayIp: '192.168.0.1',
};
const GROUP: Resource = {
  ...base,
  id: 'sg-1',
  name: 'ECS-B-sg',
  type: 'security-group',
  vpcId: 'vpc-2',
  inbound: [
    { protocol: 'tcp', fromPort: 80, toPort: 80, source: '10.0.0.0/16' },
    { protocol: 'udp', fromPort: 53, toPort: 53, source: '10.0.0.0/16' },
  ],
};
const SERVER: Resource = {
  ...base,
  id: 'ecs-1',
  name: 'ECS-B',
  type: 'server',
  vpcId: 'vpc-2',
  subnetId: 'subnet-2',
  ip: '10.0.0.2',
  securityGroupIds: ['sg-1'],
  apps: [{ protocol: 'http', port: 80 }],
};
const POOL: Resource = {
  ...base,
  id: 'pool-1',
  name: 'backend',
  type: 'backend-group',
  vpcId: 'vpc-2',
  protocol: 'HTTP',
  algorithm: 'round-robin',
  healthCheck: { protocol: 'HTTP', port: 80, intervalSeconds: 5 },
  members: [
    { serverId: 'ecs-1', port: 80, weight: 1 },
    { serverId: 'ecs-2', port: 80, weight: 1 },
  ],
};
const LB: Resource = {
  ...base,
  id: 'elb-1',
  name: 'ELB01',
  type: 'load-balancer',
  vpcId: 'vpc-2',
  frontendSubnetId: 'subnet-2',
  backendSubnetId: 'subnet-2',
  ip: '10.0.0.3',
  backendIp: '10.0.0.4',
  azs: ['AZ1', 'AZ2'],
};
const LISTENER: Resource = {
  ...base,
  id: 'lsnr-1',
  name: 'ELB01/HTTP-80',
  type: 'listener',
  loadBalancerId: 'elb-1',
  protocol: 'HTTP',
  port: 80,
  backendGroupId: 'pool-1',
  accessControl: 'all',
};
const TIP: Resource = {
  ...base,
  id: 'tip-1',
  name: 'transit-ip-A',
  type: 'transit-ip',
  vpcId: 'vpc-1',
  subnetId: 'subnet-1',
  ip: '192.168.0.144',
};
const GATEWAY: Resource = {
  ...base,
  id: 'pnat-1',
  name: 'gw',
  type: 'private-nat-gateway',
  vpcId: 'vpc-2',
  subnetId: 'subnet-2',
  downlinkIp: '10.0.0.5',
  spec: 'Small',
  allowSharedTransitIp: false,
};
const DNAT: Resource = {
  ...base,
  id: 'dnat-1',
  name: 'transit-ip-A-tcp-80',
  type: 'dnat-rule',
  gatewayId: 'pnat-1',
  transitIpId: 'tip-1',
  transitIp: '192.168.0.144',
  protocol: 'tcp',
  transitPort: 80,
  internalPort: 80,
  target: { kind: 'load-balancer', loadBalancerId: 'elb-1', ip: '10.0.0.3' },
};
const SNAT: Resource = {
  ...base,
  id: 'snat-1',
  name: 'out',
  type: 'snat-rule',
  gatewayId: 'pnat-1',
  subnetId: null,
  cidr: '10.0.0.0/24',
  transitIpId: 'tip-1',
};

/** Every managed field of a resource, as a provider that read it all back would observe it. */
function asObserved(resource: Resource): Observed {
  const values = resource as unknown as Record<string, unknown>;
  return Object.fromEntries(
    (MANAGED_FIELDS[resource.type] as readonly string[]).map((f) => [f, structuredClone(values[f])]),
  );
}

describe('Module: drift', () => {
  describe('Function: compareManaged', () => {
    it.each([VPC, SUBNET, GROUP, SERVER, POOL, LB, LISTENER, TIP, GATEWAY, DNAT, SNAT])(
      'finds nothing when the cloud holds every managed field of a $type as recorded',
      (resource) => {
        expect(compareManaged(resource, asObserved(resource))).toEqual([]);
      },
    );

    it.each([
      { resource: VPC, field: 'cidr', actual: '192.168.0.0/17' },
      { resource: SUBNET, field: 'gatewayIp', actual: '192.168.0.254' },
      { resource: SUBNET, field: 'vpcId', actual: 'vpc-9' },
      { resource: GROUP, field: 'inbound', actual: [] },
      { resource: SERVER, field: 'ip', actual: '10.0.0.9' },
      { resource: POOL, field: 'algorithm', actual: 'least-connections' },
      { resource: POOL, field: 'members', actual: [{ serverId: 'ecs-1', port: 80, weight: 1 }] },
      { resource: POOL, field: 'healthCheck', actual: null },
      { resource: POOL, field: 'protocol', actual: 'TCP' },
      { resource: LB, field: 'ip', actual: '10.0.0.30' },
      { resource: LB, field: 'azs', actual: ['AZ1'] },
      { resource: LISTENER, field: 'port', actual: 8080 },
      { resource: LISTENER, field: 'backendGroupId', actual: null },
      { resource: LISTENER, field: 'accessControl', actual: { allow: ['10.1.0.0/16'] } },
      { resource: TIP, field: 'ip', actual: '192.168.0.145' },
      { resource: GATEWAY, field: 'spec', actual: 'Medium' },
      { resource: GATEWAY, field: 'downlinkIp', actual: '10.0.0.99' },
      { resource: DNAT, field: 'internalPort', actual: 8080 },
      { resource: DNAT, field: 'transitPort', actual: 81 },
      { resource: DNAT, field: 'protocol', actual: 'udp' },
      { resource: DNAT, field: 'target', actual: { kind: 'ip', ip: '10.0.0.77' } },
      { resource: DNAT, field: 'gatewayId', actual: 'pnat-2' },
      { resource: SNAT, field: 'transitIpId', actual: 'tip-2' },
    ])(
      'reports $resource.type $field changed, with the recorded and the actual value',
      ({ resource, field, actual }) => {
        // Prepare
        const observed = { ...asObserved(resource), [field]: actual };

        // Act
        const fields = compareManaged(resource, observed);

        // Assess
        expect(fields).toEqual([
          { field, recorded: expect.anything(), actual: actual === null ? null : expect.anything() },
        ]);
        expect(fields[0]?.actual).toEqual(actual);
      },
    );

    it('compares sets as sets: rules, members and zones in another order are no drift', () => {
      expect(
        compareManaged(GROUP, { inbound: [...(GROUP as { inbound: unknown[] }).inbound].reverse() }),
      ).toEqual([]);
      expect(
        compareManaged(POOL, { members: [...(POOL as { members: unknown[] }).members].reverse() }),
      ).toEqual([]);
      expect(compareManaged(LB, { azs: ['AZ2', 'AZ1'] })).toEqual([]);
    });

    it("reads a health check's path as HTTP has it (default /) and ignores it for TCP", () => {
      expect(
        compareManaged(POOL, { healthCheck: { protocol: 'HTTP', port: 80, path: '/', intervalSeconds: 5 } }),
      ).toEqual([]);
      const tcp = { ...POOL, healthCheck: { protocol: 'TCP', port: 80, intervalSeconds: 5 } } as Resource;
      expect(
        compareManaged(tcp, { healthCheck: { protocol: 'TCP', port: 80, path: '/x', intervalSeconds: 5 } }),
      ).toEqual([]);
      expect(
        compareManaged(POOL, {
          healthCheck: { protocol: 'HTTP', port: 80, path: '/health', intervalSeconds: 5 },
        }),
      ).toEqual([
        {
          field: 'healthCheck',
          recorded: { protocol: 'HTTP', port: 80, path: '/', intervalSeconds: 5 },
          actual: { protocol: 'HTTP', port: 80, path: '/health', intervalSeconds: 5 },
        },
      ]);
    });

    it('reads an inbound rule for any protocol as covering every port', () => {
      const any = {
        ...GROUP,
        inbound: [{ protocol: 'any', fromPort: 0, toPort: 0, source: '10.0.0.0/16' }],
      } as Resource;
      expect(
        compareManaged(any, {
          inbound: [{ protocol: 'any', fromPort: 1, toPort: 65535, source: '10.0.0.0/16' }],
        }),
      ).toEqual([]);
    });

    it('compares only what the provider observed, and never names, statuses or unmanaged fields', () => {
      expect(compareManaged(DNAT, {})).toEqual([]);
      expect(compareManaged(DNAT, { name: 'renamed', status: 'FROZEN', transitIp: '1.2.3.4' })).toEqual([]);
      expect(compareManaged(SERVER, { ip: '10.0.0.2', apps: [] })).toEqual([]);
    });
  });

  describe('Function: driftOf', () => {
    const updatable = { 'dnat-rule': ['internalPort', 'transitPort', 'protocol', 'target', 'transitIpId'] };

    it('is gone when the cloud no longer has the resource, naming it as recorded', () => {
      expect(driftOf(DNAT, undefined, updatable)).toEqual({
        id: 'dnat-1',
        kind: 'dnat-rule',
        name: 'transit-ip-A-tcp-80',
        externalId: base.externalId,
        change: 'gone',
      });
    });

    it('is nothing when the resource is as recorded', () => {
      expect(driftOf(DNAT, asObserved(DNAT), updatable)).toBeUndefined();
    });

    it('is changed, repaired in place, when every changed field is one the cloud updates', () => {
      const drift = driftOf(DNAT, { ...asObserved(DNAT), internalPort: 8080, transitPort: 81 }, updatable);
      expect(drift).toEqual({
        id: 'dnat-1',
        kind: 'dnat-rule',
        name: 'transit-ip-A-tcp-80',
        externalId: base.externalId,
        change: 'changed',
        fields: [
          { field: 'transitPort', recorded: 80, actual: 81 },
          { field: 'internalPort', recorded: 80, actual: 8080 },
        ],
      });
      expect(describeFields(drift?.fields ?? [])).toBe('transitPort: 80 → 81; internalPort: 80 → 8080');
    });

    it('needs a replacement when any changed field is one the cloud cannot update', () => {
      const drift = driftOf(
        DNAT,
        { ...asObserved(DNAT), internalPort: 8080, gatewayId: 'pnat-2' },
        updatable,
      );
      expect(drift).toMatchObject({ change: 'changed', replace: true });
      expect(driftOf(TIP, { ...asObserved(TIP), ip: '192.168.0.9' }, updatable)).toMatchObject({
        replace: true,
      });
    });
  });

  describe('Function: applyDrift', () => {
    it('leaves out what is gone and shows what changed as the cloud holds it', () => {
      const drift = [
        driftOf(TIP, undefined, {}),
        driftOf(DNAT, { ...asObserved(DNAT), internalPort: 8080 }, {}),
      ].filter((d) => d !== undefined);
      const found = applyDrift([VPC, TIP, DNAT], drift);
      expect(found.map((r) => r.id)).toEqual(['vpc-1', 'dnat-1']);
      expect(found[1]).toMatchObject({ id: 'dnat-1', internalPort: 8080, transitPort: 80 });
      expect(DNAT).toMatchObject({ internalPort: 80 });
    });
  });

  describe('Function: driftDetectedDetail', () => {
    it('is {plan, cloud, drift: [{kind, name, externalId, change, fields?}]}, and nothing else', () => {
      // Prepare
      const drift = [
        driftOf(TIP, undefined, {}),
        driftOf(GATEWAY, { ...asObserved(GATEWAY), spec: 'Medium' }, { 'private-nat-gateway': ['spec'] }),
      ].filter((d) => d !== undefined);

      // Act
      const detail = driftDetectedDetail('app', 'huaweicloud', drift);

      // Assess
      expect(detail).toEqual({
        plan: 'app',
        cloud: 'huaweicloud',
        drift: [
          { kind: 'transit-ip', name: 'transit-ip-A', externalId: base.externalId, change: 'gone' },
          {
            kind: 'private-nat-gateway',
            name: 'gw',
            externalId: base.externalId,
            change: 'changed',
            fields: [{ field: 'spec', recorded: 'Small', actual: 'Medium' }],
          },
        ],
      });
      expect(DriftDetectedDetailSchema.parse(detail)).toEqual(detail);
    });

    it("is the schema infra/bus.yml registers for DriftDetected in the stage's schema registry", () => {
      // Prepare
      const text = readFileSync(join(import.meta.dirname, '../../infra/bus.yml'), 'utf8');
      const template = parse(text, {
        customTags: [
          { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value }) },
          { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
        ],
      }) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

      // Act
      const schema = Object.values(template.Resources).find(
        (r) => r.Type === 'AWS::EventSchemas::Schema' && r.Properties.SchemaName === 'natflow@DriftDetected',
      );
      const content = JSON.parse(String(schema?.Properties.Content)) as {
        properties: Record<string, unknown>;
      };

      // Assess
      const { $schema: _, ...detail } = z.toJSONSchema(DriftDetectedDetailSchema, { target: 'draft-4' });
      expect(schema?.Properties.Type).toBe('JSONSchemaDraft4');
      expect(content.properties.detail).toEqual(detail);
      expect(content.properties.source).toEqual({ type: 'string', enum: ['natflow'] });
      expect(content.properties['detail-type']).toEqual({ type: 'string', enum: ['DriftDetected'] });
      const registered = content.properties.detail as KindsOfDetail;
      expect(registered.properties.drift.items.properties.kind.enum).toEqual([...RESOURCE_TYPES]);
    });
  });
});

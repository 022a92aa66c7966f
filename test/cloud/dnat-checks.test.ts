/**
 * A DNAT rule's checks run in the order of the rules table of docs/error-codes.md: `DNAT_CHECKS` is
 * ordered as the table, the table is the one the documentation shows, each check throws the code it
 * is listed under, and a rule that breaks every check at once reports the table's first.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DNAT_CHECKS, type DnatCheckSubject } from '../../src/cloud/dnat-checks.ts';
import { RULE_ORDER } from '../../src/cloud/errors.ts';
import type { DnatRule, PrivateNatGateway, Resource, TransitIp } from '../../src/cloud/resources.ts';
import type { StoreTx } from '../../src/cloud/store.ts';

/** The code column of the rules table of docs/error-codes.md, row by row (a row with several codes lists them in order). */
const RULES_TABLE = [
  'INVALID_CIDR',
  'CIDR_OUT_OF_RANGE',
  'SUBNET_OVERLAP',
  'IP_NOT_IN_SUBNET',
  'IP_RESERVED',
  'IP_IN_USE',
  'SUBNET_EXHAUSTED',
  'TRANSIT_IP_IN_TARGET_VPC',
  'TARGET_NOT_IN_GATEWAY_VPC',
  'LB_ALREADY_MAPPED',
  'DNAT_PORT_CONFLICT',
  'PORT_TYPE_CONFLICT',
  'INVALID_PORT_SPEC',
  'TRANSIT_IP_SHARED',
  'SNAT_SOURCE_CONFLICT',
  'GATEWAY_NOT_ACTIVE',
  'QUOTA_EXCEEDED',
  'DEPENDENCY_VIOLATION',
  'INVALID_ADDRESS',
  'DUPLICATE_NAME',
  'MALFORMED_PLAN',
  'PLAN_CHANGED',
  'VERIFICATION_FAILED',
  'NOT_FOUND',
  'VALIDATION_FAILED',
];

/** The rules table of docs/error-codes.md, the contract users read. */
function rulesDocument(): string {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  return readFileSync(join(root, 'docs/error-codes.md'), 'utf8');
}

/** The codes of the rules table in docs/error-codes.md, in row order. */
function tableCodes(document: string): string[] {
  const start = document.indexOf('## Rules the control plane enforces');
  const section = document.slice(start, document.indexOf('\n## ', start + 1));
  const codes: string[] = [];
  for (const line of section.split('\n')) {
    const cell = /^\| ([^|]+) \|/.exec(line)?.[1];
    if (!cell) continue;
    for (const match of cell.matchAll(/`([A-Z_]+)`/g)) codes.push(match[1] as string);
  }
  return codes;
}

/** A subject breaking every DNAT check at once. */
function brokenEverywhere(): DnatCheckSubject {
  const gateway = {
    id: 'pnat-1',
    type: 'private-nat-gateway',
    name: 'gw',
    vpcId: 'vpc-gateway',
    status: 'PENDING',
    spec: 'Small',
    allowSharedTransitIp: false,
  } as PrivateNatGateway;
  const transitIp = {
    id: 'tip-1',
    type: 'transit-ip',
    name: 'tip',
    vpcId: 'vpc-transit',
    ip: '10.1.0.9',
  } as TransitIp;
  const allPorts = { id: 'dnat-any', type: 'dnat-rule', name: 'any', protocol: 'any' } as DnatRule;
  const snat = { id: 'snat-1', type: 'snat-rule', name: 'snat' } as Resource;
  const rules = Array.from({ length: 20 }, (_, i) => ({ id: `dnat-${i}`, type: 'dnat-rule' }) as Resource);
  const holder = { id: 'dnat-holder', type: 'dnat-rule', name: 'holder' } as Resource;
  const tx = {
    getByKey: async () => holder,
    referrers: async (id: string) => (id === transitIp.id ? [allPorts, snat] : rules),
  } as unknown as StoreTx;
  return {
    tx,
    input: {
      gatewayId: gateway.id,
      transitIpId: transitIp.id,
      protocol: 'tcp',
      transitPort: 0,
      internalPort: 80,
      target: { loadBalancerId: 'elb-1' },
    },
    ctx: { path: 'privateNatGateways[0].dnatRules[0]' },
    gateway,
    transitIp,
    target: { kind: 'load-balancer', loadBalancerId: 'elb-1', ip: '10.1.0.20' },
    targetVpcId: transitIp.vpcId,
    targetName: 'load balancer elb',
  };
}

async function codeOf(run: () => void | Promise<void>): Promise<string | undefined> {
  try {
    await run();
    return undefined;
  } catch (error) {
    return (error as Error).name;
  }
}

describe('Module: dnat-checks', () => {
  it('lists the checks in the order of the rules table', () => {
    const positions = DNAT_CHECKS.map(({ code }) => RULES_TABLE.indexOf(code));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(positions.length);
    expect(DNAT_CHECKS.map(({ code }) => code)).toEqual([
      'TRANSIT_IP_IN_TARGET_VPC',
      'TARGET_NOT_IN_GATEWAY_VPC',
      'LB_ALREADY_MAPPED',
      'DNAT_PORT_CONFLICT',
      'PORT_TYPE_CONFLICT',
      'INVALID_PORT_SPEC',
      'TRANSIT_IP_SHARED',
      'GATEWAY_NOT_ACTIVE',
      'QUOTA_EXCEEDED',
    ]);
  });

  it('takes its table from the code: RULE_ORDER is the same table', () => {
    expect([...RULE_ORDER]).toEqual(RULES_TABLE);
  });

  it("matches docs/error-codes.md's rules table, row by row", () => {
    expect(tableCodes(rulesDocument())).toEqual(RULES_TABLE);
  });

  it('throws, for each check, the code it is listed under', async () => {
    for (const { code, check } of DNAT_CHECKS) {
      expect(await codeOf(() => check(brokenEverywhere()))).toBe(code);
    }
  });

  it('passes each check for a rule that breaks none', async () => {
    const subject = brokenEverywhere();
    const fine: DnatCheckSubject = {
      ...subject,
      tx: { getByKey: async () => undefined, referrers: async () => [] } as unknown as StoreTx,
      input: { ...subject.input, transitPort: 8080 },
      gateway: { ...subject.gateway, status: 'ACTIVE' },
      targetVpcId: subject.gateway.vpcId,
    };
    for (const { check } of DNAT_CHECKS) expect(await codeOf(() => check(fine))).toBeUndefined();
  });
});

/**
 * A fuzz of malformed bodies on every create route of the local Huawei Cloud API: each is a 4xx in the
 * service's error shape, never a 5xx, and the store is unchanged. Bodies are valid ones broken in one
 * place (a required field removed or given a wrong value), truncated JSON, or JSON that is no object.
 * NATFLOW_FUZZ_SCALE multiplies the case count (`npm run soak` runs ×16); the fast suite runs 1,200.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Base, buildBase, type Local, raw, snapshot, startLocal, V1, V3 } from './harness.ts';

const SCALE = Math.max(1, Number(process.env.NATFLOW_FUZZ_SCALE ?? 1));
const CASES = 1200 * SCALE;

let local: Local;
let base: Base;
let pool: string;
beforeAll(async () => {
  local = await startLocal({ dataPlane: false });
  base = await buildBase(local);
  const created = await raw(
    local.url,
    'POST',
    `${V3}/elb/pools`,
    JSON.stringify({ pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: base.lb } }),
  );
  pool = String((created.json.pool as Record<string, unknown>).id);
});
afterAll(async () => {
  await local?.close();
});

type Kind = 'string' | 'ref' | 'id' | 'cidr' | 'ip' | 'int' | 'port' | 'enum' | 'array' | 'object';

interface Target {
  path: () => string;
  wrapper: string | null;
  valid: () => Record<string, unknown>;
  /** Required fields (removing one is refused), and what a wrong value for each is. */
  required: Record<string, Kind>;
  /** Optional fields whose wrong values are refused. */
  checked?: Record<string, Kind>;
}

const targets: Target[] = [
  {
    path: () => `${V1}/vpcs`,
    wrapper: 'vpc',
    valid: () => ({ name: 'v', cidr: '172.16.0.0/16' }),
    required: {},
    checked: { cidr: 'cidr', name: 'string' },
  },
  {
    path: () => `${V1}/subnets`,
    wrapper: 'subnet',
    valid: () => ({ name: 's', cidr: '10.0.9.0/24', gateway_ip: '10.0.9.1', vpc_id: base.vpcB }),
    required: { name: 'string', cidr: 'cidr', gateway_ip: 'ip', vpc_id: 'id' },
  },
  {
    path: () => `${V1}/security-group-rules`,
    wrapper: 'security_group_rule',
    valid: () => ({
      security_group_id: base.vpcA,
      direction: 'ingress',
      protocol: 'tcp',
      port_range_min: 80,
      port_range_max: 80,
    }),
    required: { security_group_id: 'id', direction: 'enum' },
  },
  {
    path: () => `${V1}/cloudservers`,
    wrapper: 'server',
    valid: () => ({
      name: 'x',
      imageRef: 'i',
      flavorRef: 'f',
      vpcid: base.vpcB,
      nics: [{ subnet_id: base.subnetB }],
    }),
    required: { name: 'string', imageRef: 'ref', flavorRef: 'ref', vpcid: 'id', nics: 'array' },
    checked: { user_data: 'ref', count: 'int' },
  },
  {
    path: () => `${V3}/elb/loadbalancers`,
    wrapper: 'loadbalancer',
    valid: () => ({ name: 'l', vip_subnet_cidr_id: base.ipv4B, availability_zone_list: ['az'] }),
    required: { vip_subnet_cidr_id: 'id', availability_zone_list: 'array' },
  },
  {
    path: () => `${V3}/elb/listeners`,
    wrapper: 'listener',
    valid: () => ({ protocol: 'HTTP', protocol_port: 8081, loadbalancer_id: base.lb }),
    required: { protocol: 'enum', protocol_port: 'int', loadbalancer_id: 'id' },
  },
  {
    path: () => `${V3}/elb/pools`,
    wrapper: 'pool',
    valid: () => ({ protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: base.lb }),
    required: { protocol: 'enum', lb_algorithm: 'enum', loadbalancer_id: 'id' },
  },
  {
    path: () => `${V3}/elb/pools/${pool}/members`,
    wrapper: 'member',
    valid: () => ({ address: '10.0.0.77', protocol_port: 80 }),
    required: { address: 'ip', protocol_port: 'int' },
  },
  {
    path: () => `${V3}/elb/healthmonitors`,
    wrapper: 'healthmonitor',
    valid: () => ({ pool_id: pool, type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 }),
    required: { pool_id: 'id', type: 'enum', delay: 'int', timeout: 'int', max_retries: 'int' },
  },
  {
    path: () => `${V3}/private-nat/gateways`,
    wrapper: 'gateway',
    valid: () => ({ name: 'g', spec: 'Small', downlink_vpcs: [{ virsubnet_id: base.subnetA }] }),
    required: { name: 'string', downlink_vpcs: 'array' },
    checked: { spec: 'enum' },
  },
  {
    path: () => `${V3}/private-nat/transit-ips`,
    wrapper: 'transit_ip',
    valid: () => ({ virsubnet_id: base.subnetA, ip_address: '192.168.0.200' }),
    required: { virsubnet_id: 'id' },
    checked: { ip_address: 'ip' },
  },
  {
    path: () => `${V3}/private-nat/dnat-rules`,
    wrapper: 'dnat_rule',
    valid: () => ({
      gateway_id: base.gateway,
      transit_ip_id: base.tip,
      network_interface_id: base.ecsBPort,
      protocol: 'tcp',
      internal_service_port: '80',
      transit_service_port: '80',
    }),
    required: {
      gateway_id: 'id',
      transit_ip_id: 'id',
      network_interface_id: 'id',
      protocol: 'enum',
      internal_service_port: 'port',
      transit_service_port: 'port',
    },
  },
  {
    path: () => `${V3}/private-nat/snat-rules`,
    wrapper: 'snat_rule',
    valid: () => ({ gateway_id: base.gateway, virsubnet_id: base.subnetB, transit_ip_ids: [base.tip] }),
    required: { gateway_id: 'id', virsubnet_id: 'id', transit_ip_ids: 'array' },
  },
];

const anyWrong = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(''),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
  fc.string({ minLength: 300, maxLength: 320 }),
);

function wrong(kind: Kind): fc.Arbitrary<unknown> {
  switch (kind) {
    case 'string':
      return fc.oneof(
        anyWrong.filter((v) => typeof v !== 'string' || v.length > 0),
        fc.string({ maxLength: 8 }).map((s) => `<${s}>`),
      );
    case 'ref':
      return anyWrong.filter((v) => v !== '' && !(typeof v === 'string' && v.length < 64));
    case 'id':
      return fc.oneof(anyWrong, fc.uuid(), fc.string({ maxLength: 30 }));
    case 'cidr':
      return fc.oneof(
        anyWrong,
        fc.string({ maxLength: 12 }).map((s) => `${s}/99`),
        fc.constant('8.8.0.0/16'),
        fc.constant('10.0.0.0/4'),
      );
    case 'ip':
      return fc.oneof(
        anyWrong,
        fc.string({ maxLength: 12 }).map((s) => `${s}.999`),
        fc.constant('300.1.1.1'),
      );
    case 'int':
      return fc.oneof(
        fc.string({ maxLength: 6 }),
        fc.boolean(),
        fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
        fc.integer({ min: 100_000 }),
        fc.integer({ max: -1 }),
        fc.array(fc.integer(), { maxLength: 2 }),
      );
    case 'port':
      return fc.oneof(
        fc.integer({ min: 65_536 }).map(String),
        fc.integer({ max: -1 }).map(String),
        fc.string({ maxLength: 6 }).filter((s) => !/^\d{1,5}$/.test(s)),
        fc.boolean(),
        fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
        fc.array(fc.string(), { maxLength: 2 }),
      );
    case 'enum':
      return fc.oneof(
        anyWrong,
        fc.string({ maxLength: 10 }).map((s) => `x${s}`),
      );
    case 'array':
      return fc.oneof(
        fc.integer(),
        fc.string(),
        fc.boolean(),
        fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
        fc.array(fc.oneof(fc.integer(), fc.constant(null), fc.boolean()), { minLength: 1, maxLength: 3 }),
        fc.constant([]),
      );
    case 'object':
      return anyWrong;
  }
}

/** One malformed request: [target index, body text]. */
const malformed = fc.integer({ min: 0, max: targets.length - 1 }).chain((index) => {
  const target = targets[index] as Target;
  const fields = Object.keys(target.required);
  const kinds: Record<string, Kind> = { ...target.required, ...(target.checked ?? {}) };
  const wrap = (inner: unknown) => JSON.stringify(target.wrapper ? { [target.wrapper]: inner } : inner);
  return fc.tuple(
    fc.constant(index),
    fc.oneof(
      // a required field removed
      fields.length === 0
        ? fc.constant('null')
        : fc.constantFrom(...fields).map((field) => {
            const body = target.valid();
            delete body[field];
            return wrap(body);
          }),
      // a field with a wrong value
      fc
        .constantFrom(...Object.keys(kinds))
        .chain((field) =>
          wrong(kinds[field] as Kind).map((value) => wrap({ ...target.valid(), [field]: value })),
        ),
      // truncated JSON
      fc.integer({ min: 1, max: 30 }).map((cut) => {
        const text = wrap(target.valid());
        return text.slice(0, Math.max(1, text.length - cut));
      }),
      // JSON that is no object, or an empty wrapper
      fc
        .oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }))
        .map((v) => JSON.stringify(v)),
      fc.constant(JSON.stringify(target.wrapper ? { [target.wrapper]: null } : null)),
      fc.constant(''),
    ),
  );
});

describe('fuzz: malformed bodies on every create route', () => {
  it(
    `${CASES} malformed bodies: each a 4xx in the service's error shape, never a 5xx, the store unchanged`,
    async () => {
      const before = await snapshot(local.store);
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(malformed, async ([index, body]) => {
          const target = targets[index] as Target;
          const path = target.path();
          const response = await raw(local.url, 'POST', path, body);
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          expect(
            response.status,
            `${path} ${body} → ${JSON.stringify(response.json)}`,
          ).toBeGreaterThanOrEqual(400);
          expect(response.status, `${path} ${body}`).toBeLessThan(500);
          const json = response.json;
          const code = (json.error_code ??
            json.code ??
            (json.error as Record<string, unknown> | undefined)?.code) as string;
          expect(code, `${path} ${body} → ${JSON.stringify(json)}`).toMatch(
            /^(NAT|ELB|VPC|Ecs|APIGW)\.\d{4}$/,
          );
          const message = (json.error_msg ??
            json.message ??
            (json.error as Record<string, unknown> | undefined)?.message) as string;
          expect(typeof message).toBe('string');
          if ((await snapshot(local.store)) !== before) throw new Error(`${path} ${body} changed the store`);
        }),
        { numRuns: CASES, endOnFailure: true },
      );
      const total = [...statuses.values()].reduce((a, b) => a + b, 0);
      console.log(
        `huaweicloud fuzz: ${total} cases, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
      );
      expect(total).toBe(CASES);
    },
    60_000 * SCALE,
  );
});

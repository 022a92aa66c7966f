/**
 * The stateless evaluate function and its contract (src/dnat/evaluate.ts, src/dnat/api.ts), and the
 * `dnat-evaluate` Lambda, on the reference scenario created through the control plane (world.ts).
 */
import type { Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/dnat-evaluate.ts';
import { depsOf } from '../../functions/lib/deps.ts';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import {
  EvaluateRequestSchema,
  EvaluateResponseSchema,
  evaluateBatch,
  evaluateRequest,
  parsePacketInput,
  resultToJson,
} from '../../src/dnat/index.ts';
import { ManualClock } from '../../src/net/clock.ts';
import { CLIENT, DOWNLINK, ELB, gatewayOf, REFERENCE_RULES, TRANSIT } from './fixtures.ts';
import { freezeGateway, type ReferenceWorld, seedReference } from './world.ts';

const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'natflow-dnatEvaluate',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:natflow-dnatEvaluate',
  memoryLimitInMB: '256',
  awsRequestId: 'req-dnat',
  logGroupName: '/aws/lambda/natflow-dnatEvaluate',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

describe('Function: parsePacketInput', () => {
  it.each([
    {
      name: 'a malformed source address',
      input: { protocol: 'tcp', src: '192.168.0.300:1', dst: `${TRANSIT}:80` },
      reason: /src '192.168.0.300:1'/,
    },
    {
      name: 'a destination without a port',
      input: { protocol: 'tcp', src: `${CLIENT}:1`, dst: TRANSIT },
      reason: /dst/,
    },
    { name: 'port 0', input: { protocol: 'tcp', src: `${CLIENT}:0`, dst: `${TRANSIT}:80` }, reason: /src/ },
    {
      name: 'port 65536',
      input: { protocol: 'udp', src: `${CLIENT}:1`, dst: `${TRANSIT}:65536` },
      reason: /dst/,
    },
    {
      name: 'an unknown protocol',
      input: { protocol: 'icmp', src: `${CLIENT}:1`, dst: `${TRANSIT}:80` },
      reason: /protocol 'icmp'/,
    },
    {
      name: 'protocol any',
      input: { protocol: 'any', src: `${CLIENT}:1`, dst: `${TRANSIT}:80` },
      reason: /protocol 'any'/,
    },
    { name: 'a missing protocol', input: { src: `${CLIENT}:1`, dst: `${TRANSIT}:80` }, reason: /protocol/ },
    {
      name: 'an unknown field',
      input: { protocol: 'tcp', src: `${CLIENT}:1`, dst: `${TRANSIT}:80`, ttl: 64 },
      reason: /ttl/,
    },
    {
      name: 'an unknown direction',
      input: { protocol: 'tcp', src: `${CLIENT}:1`, dst: `${TRANSIT}:80`, direction: 'out' },
      reason: /direction/,
    },
    {
      name: 'TCP flags on udp',
      input: { protocol: 'udp', src: `${CLIENT}:1`, dst: `${TRANSIT}:53`, tcpFlags: ['syn'] },
      reason: /udp packet has no TCP flags/,
    },
    {
      name: 'an unknown TCP flag',
      input: { protocol: 'tcp', src: `${CLIENT}:1`, dst: `${TRANSIT}:80`, tcpFlags: ['urg'] },
      reason: /TCP flag 'urg'/,
    },
    {
      name: 'an endpoint object with a bad address',
      input: { protocol: 'tcp', src: { ip: 'x', port: 1 }, dst: `${TRANSIT}:80` },
      reason: /src.ip/,
    },
    { name: 'a number', input: 42, reason: /expected object/i },
    { name: 'null', input: null, reason: /expected object/i },
    { name: 'text that is no packet', input: 'tcp to 192.168.0.144', reason: /is not a packet/ },
  ])('refuses $name', ({ input, reason }) => {
    const parsed = parsePacketInput(input);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toMatch(reason);
  });

  it.each([
    {
      name: 'the wire form',
      input: { protocol: 'TCP', src: `${CLIENT}:1`, dst: `${TRANSIT}:80`, tcpFlags: 'syn,ack' },
    },
    {
      name: 'endpoint objects',
      input: {
        protocol: 'tcp',
        src: { ip: '192.168.0.10', port: 1 },
        dst: { ip: 3232235664, port: 80 },
        tcpFlags: ['syn', 'ack'],
      },
    },
    { name: 'the CLI syntax', input: `tcp ${CLIENT}:1 > ${TRANSIT}:80 [syn,ack]` },
  ])('accepts $name', ({ input }) => {
    const parsed = parsePacketInput(input);
    expect(parsed).toMatchObject({
      ok: true,
      direction: 'inbound',
      packet: { protocol: 'tcp', tcpFlags: ['syn', 'ack'] },
    });
  });
});

describe('Function: evaluateBatch', () => {
  it('answers every well-formed packet of a batch that holds malformed ones', () => {
    const results = evaluateBatch(gatewayOf(), REFERENCE_RULES, [
      { protocol: 'tcp', src: `${CLIENT}:40000`, dst: `${TRANSIT}:80`, tcpFlags: ['syn'] },
      { protocol: 'tcp', src: `${CLIENT}:40000`, dst: '192.168.0.144:http' },
      {
        protocol: 'tcp',
        src: `${ELB}:80`,
        dst: `${DOWNLINK}:1024`,
        direction: 'reply',
        tcpFlags: ['syn', 'ack'],
      },
      'nonsense',
      { protocol: 'tcp', src: `${CLIENT}:40000`, dst: `${TRANSIT}:22` },
    ]);
    expect(results.map((r) => r.verdict)).toEqual([
      'TRANSLATED',
      'INVALID_PACKET',
      'TRANSLATED',
      'INVALID_PACKET',
      'NO_MATCHING_RULE',
    ]);
    expect(results[1]?.reason).toContain('192.168.0.144:http');
    expect(results[2]?.session?.state).toBe('SYN_RECEIVED');
  });

  it('starts every batch with a fresh session table', () => {
    const flow = { protocol: 'tcp', src: `${CLIENT}:40000`, dst: `${TRANSIT}:80` };
    const reply = { protocol: 'tcp', src: `${ELB}:80`, dst: `${DOWNLINK}:1024`, direction: 'reply' };
    const clock = new ManualClock(0);
    expect(evaluateBatch(gatewayOf(), REFERENCE_RULES, [flow], { clock })[0]?.verdict).toBe('TRANSLATED');
    expect(evaluateBatch(gatewayOf(), REFERENCE_RULES, [reply], { clock })[0]?.verdict).toBe('NO_SESSION');
  });

  it('holds the spec’s session capacity within a batch', () => {
    const packets = Array.from(
      { length: 2_001 },
      (_, i) => `udp 172.16.${i >> 8}.${i & 255}:9 > ${TRANSIT}:53`,
    );
    const results = evaluateBatch(gatewayOf({ spec: 'Small' }), REFERENCE_RULES, packets);
    expect(results.filter((r) => r.verdict === 'TRANSLATED')).toHaveLength(2_000);
    expect(results[2_000]?.verdict).toBe('SESSION_LIMIT');
  });
});

describe('Function: resultToJson', () => {
  it('writes addresses as ip:port and leaves absent fields out', () => {
    const [translated, refused] = evaluateBatch(gatewayOf(), REFERENCE_RULES, [
      `tcp ${CLIENT}:40000 > ${TRANSIT}:80 [syn]`,
      `tcp ${CLIENT}:40000 > 192.168.9.9:80`,
    ]);
    expect(resultToJson(translated as never)).toEqual({
      verdict: 'TRANSLATED',
      rule: 'dnat-http',
      translated: { src: `${DOWNLINK}:1024`, dst: `${ELB}:80` },
      session: { id: 1, state: 'SYN_SENT' },
    });
    expect(resultToJson(refused as never)).toEqual({ verdict: 'NOT_A_TRANSIT_IP' });
  });
});

describe('Schema: EvaluateRequestSchema', () => {
  it.each([
    { name: 'a missing gateway', body: { packets: ['x'] } },
    { name: 'an empty gateway', body: { gateway: '', packets: ['x'] } },
    { name: 'no packets', body: { gateway: 'g', packets: [] } },
    { name: 'packets that are no list', body: { gateway: 'g', packets: 'tcp …' } },
    { name: 'an unknown field', body: { gateway: 'g', packets: ['x'], verbose: true } },
  ])('rejects $name', ({ body }) => {
    expect(EvaluateRequestSchema.safeParse(body).success).toBe(false);
  });
});

describe('Function: evaluateRequest', () => {
  let store: MemoryStore;
  let world: ReferenceWorld;

  beforeEach(async () => {
    store = new MemoryStore();
    world = await seedReference(store);
  });

  it('resolves the gateway by name within a plan and reads its rules from the store', async () => {
    const response = await evaluateRequest(store, {
      gateway: 'private_nat_gateway',
      plan: 'ref',
      packets: [
        `tcp 192.168.0.10:40000 > 192.168.0.144:80 [syn]`,
        { protocol: 'tcp', src: `${world.serverIp}:80`, dst: `${world.downlinkIp}:1024`, direction: 'reply' },
        `udp 192.168.0.10:40000 > 192.168.0.144:5353`,
      ],
    });
    expect(EvaluateResponseSchema.parse(response)).toEqual({
      gateway: world.gatewayId,
      gatewayName: 'private_nat_gateway',
      results: [
        {
          verdict: 'TRANSLATED',
          rule: world.httpRuleId,
          translated: { src: `${world.downlinkIp}:1024`, dst: `${world.serverIp}:80` },
          session: { id: 1, state: 'SYN_SENT' },
        },
        {
          verdict: 'TRANSLATED',
          rule: world.httpRuleId,
          translated: { src: '192.168.0.144:80', dst: '192.168.0.10:40000' },
          session: { id: 1, state: 'ESTABLISHED' },
        },
        {
          verdict: 'TRANSLATED',
          rule: world.dnsRuleId,
          translated: { src: `${world.downlinkIp}:1024`, dst: '10.0.0.50:53' },
          session: { id: 2, state: 'UNREPLIED' },
        },
      ],
    });
  });

  it('resolves an id whatever the plan', async () => {
    const response = await evaluateRequest(store, {
      gateway: world.gatewayId,
      plan: 'other',
      packets: ['tcp 1.2.3.4:5 > 192.168.0.144:80'],
    });
    expect(response.gateway).toBe(world.gatewayId);
  });

  it.each([
    { name: 'an unknown gateway', gateway: 'nope', plan: undefined, code: 'NOT_FOUND' },
    { name: 'a name two plans use', gateway: 'private_nat_gateway', plan: undefined, code: 'AMBIGUOUS_NAME' },
    { name: 'a name outside the plan', gateway: 'private_nat_gateway', plan: 'nope', code: 'NOT_FOUND' },
  ])('throws $code for $name', async ({ gateway, plan, code }) => {
    const request = { gateway, ...(plan ? { plan } : {}), packets: ['tcp 1.2.3.4:5 > 192.168.0.144:80'] };
    await expect(evaluateRequest(store, request)).rejects.toMatchObject({ name: code });
  });

  it('evaluates a frozen gateway’s rules as RULE_INACTIVE', async () => {
    await freezeGateway(store, world.gatewayId);
    const response = await evaluateRequest(store, {
      gateway: world.gatewayId,
      packets: ['tcp 1.2.3.4:5 > 192.168.0.144:80'],
    });
    expect(response.results[0]).toMatchObject({ verdict: 'RULE_INACTIVE', rule: world.httpRuleId });
  });

  it('answers a gateway without rules NOT_A_TRANSIT_IP', async () => {
    const response = await evaluateRequest(store, {
      gateway: world.otherGatewayId,
      packets: ['tcp 1.2.3.4:5 > 192.168.0.144:80'],
    });
    expect(response.results).toEqual([{ verdict: 'NOT_A_TRANSIT_IP' }]);
  });
});

describe('Lambda: dnat-evaluate', () => {
  let world: ReferenceWorld;
  let handler: ReturnType<typeof createHandler>;

  beforeEach(async () => {
    const store = new MemoryStore();
    world = await seedReference(store);
    handler = createHandler(depsOf({ store, clock: new ManualClock(0) }));
  });

  it('evaluates a batch read from the store it was built with', async () => {
    // Act
    const response = await handler(
      {
        gateway: 'private_nat_gateway',
        plan: 'ref',
        packets: [`tcp 192.168.0.10:40000 > 192.168.0.144:80`, { bad: true }],
      },
      context,
    );

    // Assess
    expect(response.gateway).toBe(world.gatewayId);
    expect(response.results.map((r) => r.verdict)).toEqual(['TRANSLATED', 'INVALID_PACKET']);
    expect(response.results[0]?.translated).toEqual({
      src: `${world.downlinkIp}:1024`,
      dst: `${world.serverIp}:80`,
    });
  });

  it.each([
    {
      name: 'a malformed envelope',
      event: { gateway: 'private_nat_gateway', packets: [] },
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'an unknown field',
      event: { gateway: 'x', packets: ['x'], extra: 1 },
      code: 'VALIDATION_FAILED',
    },
    { name: 'an unknown gateway', event: { gateway: 'nope', packets: ['x'] }, code: 'NOT_FOUND' },
  ])('fails with $code for $name', async ({ event, code }) => {
    await expect(handler(event as never, context)).rejects.toMatchObject({ name: code });
  });
});

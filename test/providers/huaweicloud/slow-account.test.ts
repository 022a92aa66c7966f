/**
 * natflow against a slow account, as a user meets one (docs/real-cloud.md#time): two natflow stacks —
 * this test process serves the local Huawei Cloud API as "the account", whose resources take a second
 * or two to settle per kind (`NATFLOW_HWC_SETTLE_MS` as a JSON profile), and `natflow` processes
 * provision the reference plan into it with `--cloud huaweicloud` through signed HTTP, their waits in
 * real time (no time knob set).
 *
 * What must hold: the provisioning SUCCEEDED; the account holds exactly the plan's resources, read back
 * with the official SDK clients (VPC, ECS) and signed calls (ELB, NAT); the history polls without
 * spinning (no Wait state, at most 8 events a poll, each poll's cause naming what it waits for, with no
 * stack trace); the CLI shows the waits (`waiting for VPC-A: CREATING, 1 s`, and `{"waiting": …}` lines
 * with `--json`: provision's on stderr, executions watch's and up's among their events); and a deadline
 * too short for a booting server fails CLOUD_TIMEOUT naming the server, its status on the cloud and how
 * long natflow waited, then rolls everything back. No timing assertion.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { EcsClient, ListServersDetailsRequest } from '@huaweicloud/huaweicloud-sdk-ecs';
import { ListSubnetsRequest, ListVpcsRequest, VpcClient } from '@huaweicloud/huaweicloud-sdk-vpc';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../../src/cloud/store.ts';
import { DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK } from '../../../src/local-huaweicloud/index.ts';
import { apisFor } from '../../../src/providers/huaweicloud/apis.ts';
import { readSettings } from '../../../src/providers/huaweicloud/config.ts';
import { type Stack, startStack } from '../../../src/stack/stack.ts';
import { type Run, natflow as run } from './two-stacks.ts';

const ROOT = join(import.meta.dirname, '../../..');
const REFERENCE = join(ROOT, 'examples/reference.plan.yaml');
const PLAN = 'app-a-to-elb01';
/** A provisioning or teardown against the slow account takes 10–30 s; a test runs a few. */
const LONG = 180_000;

/** A slow account: every kind takes a second or two; a server three (so a 1 s deadline is too short). */
const PROFILE = {
  vpc: 1500,
  subnet: 1000,
  server: 3000,
  loadbalancer: 1000,
  listener: 500,
  pool: 500,
  member: 500,
  gateway: 1500,
  transit_ip: 1000,
  dnat_rule: 1000,
  snat_rule: 1000,
};

let dir: string;
let account: Stack & { url: string };
let accountStore: Store;

/** `natflow ARGS` as its own process (asynchronously: this process serves the account meanwhile). */
function natflow(args: string[], env: Record<string, string> = {}, dataDir = 'client'): Promise<Run> {
  return run(
    {
      dataDir: join(dir, dataDir),
      endpoint: account.url,
      env: { NATFLOW_TEST_TIME_SCALE: '', NO_COLOR: '1', ...env },
      timeoutMs: 170_000,
    },
    ...args,
  );
}

/** The account through the official SDK clients (VPC, ECS) and natflow's signed clients (ELB, NAT). */
function sdk() {
  const credentials = new BasicCredentials()
    .withAk(DEFAULT_AK)
    .withSk(DEFAULT_SK)
    .withProjectId(DEFAULT_PROJECT_ID);
  return {
    vpc: VpcClient.newBuilder().withCredential(credentials).withEndpoint(account.url).build(),
    ecs: EcsClient.newBuilder().withCredential(credentials).withEndpoint(account.url).build(),
    signed: apisFor(readSettings({ HUAWEICLOUD_ENDPOINT: account.url }), {
      ak: DEFAULT_AK,
      sk: DEFAULT_SK,
      projectId: DEFAULT_PROJECT_ID,
    }),
  };
}

interface Event {
  type: string;
  lambdaFunctionFailedEventDetails?: { error?: string; cause?: string };
}

async function historyOf(executionArn: string): Promise<Event[]> {
  const run = await natflow(['executions', 'history', executionArn, '--json']);
  expect(run.code, run.stderr).toBe(0);
  return (run.json() as { events: Event[] }).events;
}

const notReady = (events: Event[]) =>
  events.filter(
    (e) =>
      e.type === 'LambdaFunctionFailed' && e.lambdaFunctionFailedEventDetails?.error === 'Natflow.NotReady',
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'natflow-slow-account-'));
  vi.stubEnv('NATFLOW_HWC_SETTLE_MS', JSON.stringify(PROFILE));
  account = (await startStack({ dataDir: join(dir, 'account'), port: 0, dataPlane: false })) as Stack & {
    url: string;
  };
  vi.unstubAllEnvs();
  accountStore = account.store;
});

afterAll(async () => {
  await account.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('natflow provision --cloud huaweicloud against a slow account', () => {
  let executionArn = '';

  it(
    'SUCCEEDED, showing what each step waits for while it waits',
    async () => {
      // Act
      const run = await natflow(['provision', REFERENCE, '--cloud', 'huaweicloud']);

      // Assess
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/SUCCEEDED/);
      expect(run.stdout).toMatch(/waiting for VPC-A: CREATING, \d+ s/);
      expect(run.stdout).toMatch(/waiting for subnet-A01: UNKNOWN, \d+ s/);
      // A wait is not a failure: no ✗ line, no trace.
      expect(run.stdout).not.toMatch(/✗/);
      expect(run.stdout + run.stderr).not.toMatch(/file:\/\/|\.ts:\d+/);
      executionArn = /(arn:aws:states:\S+:execution:\S+)/.exec(run.stdout)?.[1] ?? '';
      expect(executionArn).not.toBe('');
    },
    LONG,
  );

  it(
    'leaves exactly the plan’s resources in the account, read back with the official SDKs',
    async () => {
      const { vpc, ecs, signed } = sdk();
      const vpcs = (await vpc.listVpcs(new ListVpcsRequest())).vpcs ?? [];
      expect(vpcs.map((v) => [v.name, v.status]).sort()).toEqual([
        ['VPC-A', 'OK'],
        ['VPC-B', 'OK'],
      ]);
      const subnets = (await vpc.listSubnets(new ListSubnetsRequest())).subnets ?? [];
      expect(subnets.map((s) => [s.name, s.status]).sort()).toEqual([
        ['subnet-A01', 'ACTIVE'],
        ['subnet-B01', 'ACTIVE'],
      ]);
      const servers = (await ecs.listServersDetails(new ListServersDetailsRequest())).servers ?? [];
      expect(servers.map((s) => [s.name, s.status]).sort()).toEqual([
        ['ECS-A', 'ACTIVE'],
        ['ECS-B', 'ACTIVE'],
      ]);
      expect((await signed.elb.listLoadBalancers()).map((lb) => [lb.name, lb.provisioning_status])).toEqual([
        ['ELB01', 'ACTIVE'],
      ]);
      expect(await signed.elb.listListeners()).toHaveLength(1);
      const pools = await signed.elb.listPools();
      expect(pools).toHaveLength(1);
      expect(await signed.elb.listMembers(pools[0]?.id as string)).toHaveLength(1);
      expect((await signed.nat.listGateways()).map((g) => [g.name, g.status])).toEqual([
        ['private_nat_gateway', 'ACTIVE'],
      ]);
      expect((await signed.nat.listTransitIps()).map((t) => [t.ip_address, t.status])).toEqual([
        ['192.168.0.144', 'ACTIVE'],
      ]);
      expect((await signed.nat.listDnatRules()).map((r) => r.status)).toEqual(['ACTIVE']);
      expect(await signed.nat.listSnatRules()).toEqual([]);
    },
    LONG,
  );

  it(
    'polls without spinning: no Wait state, at most 8 history events a poll, each naming what it waits for',
    async () => {
      // Prepare: the same plan on the virtual cloud, where nothing waits, is the history without polls.
      const slow = await historyOf(executionArn);
      const virtual = await natflow(['provision', REFERENCE, '--json'], {}, 'virtual');
      expect(virtual.code, virtual.stderr).toBe(0);
      const quick = (
        JSON.parse(
          (
            await natflow(
              ['executions', 'history', String(virtual.json().executionArn), '--json'],
              {},
              'virtual',
            )
          ).stdout,
        ) as { events: Event[] }
      ).events;

      // Assess
      const polls = notReady(slow);
      expect(notReady(quick), JSON.stringify(notReady(quick))).toEqual([]);
      expect(polls.length).toBeGreaterThanOrEqual(3);
      expect(slow.filter((e) => e.type.startsWith('Wait'))).toEqual([]);
      const extra = slow.length - quick.length;
      expect(extra).toBeGreaterThanOrEqual(3 * polls.length);
      expect(extra).toBeLessThanOrEqual(8 * polls.length);
      for (const poll of polls) {
        const cause = JSON.parse(poll.lambdaFunctionFailedEventDetails?.cause ?? '{}') as {
          errorMessage: string;
          trace: unknown[];
        };
        // Lambda's one line, `Type: message`, and no stack frame (docs/real-cloud.md#failure).
        expect(cause.trace).toEqual([`Natflow.NotReady: ${cause.errorMessage}`]);
        const document = JSON.parse(cause.errorMessage) as {
          code: string;
          message: string;
          waiting: unknown;
          alsoWaiting?: unknown[];
        };
        expect(document.code).toBe('Natflow.NotReady');
        expect(document.message).toMatch(/^waiting for /);
        // The shape the console reads: `waiting` one resource, the others in `alsoWaiting`.
        for (const waiting of [document.waiting, ...(document.alsoWaiting ?? [])])
          expect(waiting).toEqual({
            name: expect.any(String),
            kind: expect.any(String),
            status: expect.any(String),
            seconds: expect.any(Number),
          });
      }
    },
    LONG,
  );

  it(
    'executions watch --json prints a {"waiting": …} line for each wait',
    async () => {
      const run = await natflow(['executions', 'watch', executionArn, '--json']);
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const waits = lines.filter((line) => 'waiting' in line).map((line) => line.waiting);
      expect(waits).toContainEqual({
        name: 'VPC-A',
        kind: 'vpc',
        status: 'CREATING',
        seconds: expect.any(Number),
      });
      expect(lines.at(-1)).toMatchObject({ type: 'execution', status: 'SUCCEEDED' });
    },
    LONG,
  );

  it(
    'tears it down, then provision --json keeps stdout one document and prints the waits on stderr',
    async () => {
      const teardown = await natflow(['teardown', PLAN, '--json']);
      expect(teardown.code, teardown.stderr + teardown.stdout).toBe(0);
      expect(await accountStore.list()).toEqual([]);

      const run = await natflow(['provision', REFERENCE, '--cloud', 'huaweicloud', '--json']);
      expect(run.code, run.stderr + run.stdout).toBe(0);
      expect(run.json()).toMatchObject({ status: 'SUCCEEDED' });
      const waits = run.stderr
        .split('\n')
        .filter((line) => line.startsWith('{"waiting"'))
        .map((line) => (JSON.parse(line) as { waiting: { name: string } }).waiting.name);
      expect(waits).toContain('VPC-A');
      expect(waits).toContain('subnet-B01');
      expect((await natflow(['teardown', PLAN, '--json'])).code).toBe(0);
      expect(await accountStore.list()).toEqual([]);
    },
    LONG,
  );

  it(
    'up --once --json prints a {"waiting": …} line for each wait among its events, then its summary',
    async () => {
      // Act: the same plan through `natflow up` (its own stack, serving on a free port, once).
      const run = await natflow([
        'up',
        REFERENCE,
        '--cloud',
        'huaweicloud',
        '--once',
        '--port',
        '0',
        '--json',
      ]);

      // Assess: every stdout line one JSON document; the waits among them, in the console's shape.
      expect(run.code, run.stderr + run.stdout).toBe(0);
      const lines = run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const waits = lines.filter((line) => 'waiting' in line).map((line) => line.waiting);
      expect(waits).toContainEqual({
        name: 'VPC-A',
        kind: 'vpc',
        status: 'CREATING',
        seconds: expect.any(Number),
      });
      for (const waiting of waits)
        expect(waiting).toEqual({
          name: expect.any(String),
          kind: expect.any(String),
          status: expect.any(String),
          seconds: expect.any(Number),
        });
      expect(lines.find((line) => line.type === 'summary')).toMatchObject({ status: 'SUCCEEDED' });
      expect((await natflow(['teardown', PLAN, '--json'])).code).toBe(0);
      expect(await accountStore.list()).toEqual([]);
    },
    LONG,
  );

  it(
    'fails CLOUD_TIMEOUT past a deadline shorter than a server boots, naming it, then rolls it all back',
    async () => {
      // Act: servers may take 1 s (HUAWEICLOUD_DEADLINE_SECONDS); the account boots one in 3.
      const run = await natflow(['provision', REFERENCE, '--cloud', 'huaweicloud', '--json'], {
        HUAWEICLOUD_DEADLINE_SECONDS: '{"server": 1}',
      });

      // Assess
      expect(run.code, run.stderr + run.stdout).toBe(1);
      // The cause is the failure document (docs/real-cloud.md#failure): the step's code and message.
      const doc = run.json() as {
        status: string;
        error: string;
        cause: { code: string; message: string; rollback?: { status: string } };
      };
      expect(doc).toMatchObject({ status: 'FAILED', error: 'CLOUD_TIMEOUT' });
      expect(doc.cause).toMatchObject({ code: 'CLOUD_TIMEOUT', rollback: { status: 'COMPLETE' } });
      expect(doc.cause.message).toMatch(
        /server ECS-[AB] \(ecs-[0-9a-f]+\) is still BUILD on Huawei Cloud after \d+ s \(its deadline: 1 s/,
      );
      expect(JSON.stringify(doc.cause)).not.toMatch(/file:\/\/|\.ts:\d+/);
      // Rolled back: nothing of the plan left in the account.
      expect((await accountStore.list()).map((r) => `${r.type} ${r.name}`)).toEqual([]);
    },
    LONG,
  );
});

/**
 * Names that stay unambiguous (docs/cli.md "Names"), as a new user meets them: `npm start` (the
 * reference plan, here `natflow up PLAN`), then the Huawei walkthrough (`npm run example:walkthrough`)
 * through that stack's local Huawei API, which creates resources of the same names in no plan. Then:
 * - a bare name two resources share is AMBIGUOUS_NAME (exit 2, HTTP 422), listing every candidate
 *   ready to copy — `app-a-to-elb01/ECS-A`, and the id of the walkthrough's ECS-A — and each of those
 *   works as given;
 * - `PLAN/NAME` works everywhere a name does: `--from`, `--to`, `--gateway`, `--plan`, and the API's
 *   `from`, `to`, `gateway`;
 * - the README's examples, as written, work;
 * - the walkthrough's own last line (the probe by its ECS-A's id) works.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natflow, REFERENCE, type RunningUp, runProgram, startUp } from './support.ts';

let dir: string;
let up: RunningUp;
let walkthrough: { code: number; stdout: string; stderr: string };

const cli = (...args: string[]) => natflow([...args, '--data-dir', dir]);

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(new URL(path, up.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'natflow-names-'));
  up = await startUp([REFERENCE, '--data-dir', dir]);
  expect(await up.next('summary')).toMatchObject({ status: 'SUCCEEDED' });
  // The walkthrough, as its header says (`npm run example:walkthrough`), against this stack's Huawei API.
  walkthrough = await runProgram('npm', ['run', '--silent', 'example:walkthrough'], {
    env: { HUAWEICLOUD_ENDPOINT: up.url },
  });
}, 180_000);

afterAll(async () => {
  await up?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('after the reference plan and the walkthrough, two ECS-A exist', () => {
  it('the walkthrough ran, and printed the probe that names its ECS-A by id', () => {
    expect(walkthrough.code, walkthrough.stderr).toBe(0);
    expect(walkthrough.stdout).toMatch(
      /npx natflow probe --from \S+ --to 192\.168\.0\.144:80 --protocol http/,
    );
  });

  it('a bare --from ECS-A is AMBIGUOUS_NAME, listing each ready to copy, and each works', async () => {
    // Act
    const refused = await cli(
      'probe',
      '--from',
      'ECS-A',
      '--to',
      'transit-ip-A:80',
      '--protocol',
      'http',
      '--json',
    );

    // Assess
    expect(refused.code).toBe(2);
    const error = refused.json<{
      error: { code: string; message: string; details: { candidates: string[] } };
    }>().error;
    expect(error.code).toBe('AMBIGUOUS_NAME');
    expect(error.details.candidates).toHaveLength(2);
    expect(error.details.candidates).toContain('app-a-to-elb01/ECS-A');
    const loose = error.details.candidates.find((c) => c !== 'app-a-to-elb01/ECS-A') as string;
    expect(loose).toMatch(/^[a-z]+-[0-9a-f]+$/);
    expect(error.message).toContain('app-a-to-elb01/ECS-A');
    expect(error.message).toContain(loose);
    // The reference plan's ECS-A reaches its transit IP; the walkthrough's ECS-A is in another VPC-A,
    // where transit-ip-A is not: no route.
    const planned = await cli(
      'probe',
      '--from',
      'app-a-to-elb01/ECS-A',
      '--to',
      'transit-ip-A:80',
      '--protocol',
      'http',
      '--json',
    );
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.json()).toMatchObject({ verdict: 'REACHABLE', live: { status: 200 } });
    const other = await cli(
      'probe',
      '--from',
      loose,
      '--to',
      '192.168.0.144:80',
      '--protocol',
      'http',
      '--json',
    );
    expect(other.code, other.stderr).toBe(0);
    expect(other.json()).toMatchObject({ verdict: 'REACHABLE', live: { status: 200 } });
  });

  it('the human line of the refusal lists the candidates too', async () => {
    const refused = await cli('probe', '--from', 'ECS-A', '--to', '192.168.0.144:80', '--protocol', 'http');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /AMBIGUOUS_NAME: 'ECS-A' names 2 resources: app-a-to-elb01\/ECS-A, [a-z]+-[0-9a-f]+ \(server in no plan\)/,
    );
  });

  it("the walkthrough's own probe line, by its ECS-A's id, is REACHABLE live", async () => {
    const printed = /npx natflow probe (.+)$/m.exec(walkthrough.stdout)?.[1]?.split(' ') ?? [];
    const result = await cli('probe', ...printed, '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ verdict: 'REACHABLE', live: { status: 200 } });
  });

  it.each([
    { name: '--plan', args: ['--plan', 'app-a-to-elb01', '--from', 'ECS-A', '--to', 'transit-ip-A:80'] },
    {
      name: 'PLAN/NAME in --from and --to',
      args: ['--from', 'app-a-to-elb01/ECS-A', '--to', 'app-a-to-elb01/transit-ip-A:80'],
    },
  ])('probe with $name (the README) is REACHABLE', async ({ args }) => {
    const result = await cli('probe', ...args, '--protocol', 'http', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ verdict: 'REACHABLE' });
  });

  it('evaluate: a bare --gateway is ambiguous; PLAN/NAME and --plan name one', async () => {
    const packet = 'tcp 192.168.0.2:40000 > 192.168.0.144:80 [syn]';
    const refused = await cli('evaluate', '--gateway', 'private_nat_gateway', packet, '--json');
    expect(refused.code).toBe(2);
    expect(refused.json()).toMatchObject({ error: { code: 'AMBIGUOUS_NAME' } });
    for (const args of [
      ['--gateway', 'app-a-to-elb01/private_nat_gateway'],
      ['--gateway', 'private_nat_gateway', '--plan', 'app-a-to-elb01'],
    ]) {
      const result = await cli('evaluate', ...args, packet, '--json');
      expect(result.code, result.stderr).toBe(0);
      expect(result.json()).toMatchObject({ results: [{ verdict: 'TRANSLATED' }] });
    }
  });

  it('resources ID_OR_NAME takes PLAN/NAME too', async () => {
    const result = await cli('resources', 'app-a-to-elb01/ECS-A', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ type: 'server', name: 'ECS-A', plan: 'app-a-to-elb01' });
  });
});

describe('the API: from, to and gateway take PLAN/NAME; a bare shared name is 422 AMBIGUOUS_NAME', () => {
  it('POST /probes', async () => {
    const refused = await post('/probes', { from: 'ECS-A', to: 'transit-ip-A', protocol: 'http', port: 80 });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({
      code: 'AMBIGUOUS_NAME',
      detail: expect.stringContaining('app-a-to-elb01/ECS-A'),
    });
    const named = await post('/probes', {
      from: 'app-a-to-elb01/ECS-A',
      to: 'app-a-to-elb01/transit-ip-A',
      protocol: 'http',
      port: 80,
    });
    expect(named.status).toBe(200);
    expect(named.json).toMatchObject({ verdict: 'REACHABLE' });
  });

  it('POST /dnat/evaluate', async () => {
    const packets = [{ protocol: 'tcp', src: '192.168.0.2:40000', dst: '192.168.0.144:80' }];
    const refused = await post('/dnat/evaluate', { gateway: 'private_nat_gateway', packets });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ code: 'AMBIGUOUS_NAME' });
    const named = await post('/dnat/evaluate', { gateway: 'app-a-to-elb01/private_nat_gateway', packets });
    expect(named.status).toBe(200);
    expect(named.json).toMatchObject({ results: [{ verdict: 'TRANSLATED' }] });
  });
});

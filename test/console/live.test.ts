/**
 * The console's Step Functions–console features in chromium, against an in-process stack with injected
 * faults: a provisioning with `onFailure: keep` fails past its retries, is redriven from the Redrive
 * button and succeeds without a reload, its retries and the redrive drawn on the table view's timeline;
 * the 2 retries of a transient fault on the timeline; an execution started elsewhere appearing through
 * server-sent events with no polling while nothing changes; a kept failure rolled back from its button;
 * a rolled-back provisioning that says why it cannot be redriven; the data flow of a step.
 * Screenshots: test-artifacts/console-*.png (ignored by git).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePlanText } from '../../src/plan/plan.ts';
import { ARTIFACTS, type Browser, openBrowser } from './browser.ts';

const parsed = async (text: string) => parsePlanText(text);

const REFERENCE = readFileSync(resolve(import.meta.dirname, '../../examples/reference.plan.yaml'), 'utf8');

/** The reference plan under another name and other addresses (`n` picks them), optionally kept. */
function planText(name: string, n: number, keep = false): string {
  const text = REFERENCE.replace('name: app-a-to-elb01', `name: ${name}`)
    .replaceAll('192.168.', `172.${16 + n}.`)
    .replaceAll('10.0.', `10.${n}.`);
  return keep ? text.replace(`name: ${name}`, `name: ${name}\nonFailure: keep`) : text;
}

let b: Browser;

beforeAll(async () => {
  b = await openBrowser();
  b.page.on('dialog', (dialog) => void dialog.accept());
}, 60_000);

afterAll(async () => {
  await b?.close();
});

async function startFromUi(text: string, onFailure: '' | 'keep' | 'rollback' = ''): Promise<void> {
  const { page } = b;
  await page.getByRole('link', { name: 'Start provisioning' }).first().click();
  await page.getByLabel('Plan (YAML or JSON)').fill(text);
  await page.getByLabel('On failure').selectOption(onFailure);
  await page.getByRole('button', { name: 'Start provisioning' }).click();
  await page.waitForURL(/#\/executions\/arn/);
}

const badgeText = () => b.page.locator('.title-line .badge').textContent();
const row = (state: string) => b.page.locator(`#states-table tr[data-state="${state}"]`);

describe('console: redrive, timeline, live updates', () => {
  it('redrives a kept failure from the Redrive button: it succeeds without a reload, retries on the timeline', async () => {
    // Prepare: AddDnatRule fails its first attempt and its 3 retries.
    const { page, stack } = b;
    stack.tasks.setFaults([{ at: 'AddDnatRule', kind: 'transient', times: 4 }]);
    await page.goto(`${stack.url}/console/`);
    await expect.poll(() => page.locator('#live-status').getAttribute('data-state')).toBe('live');
    // onFailure: keep chosen in the form (the plan itself says nothing).
    await startFromUi(planText('kept-plan', 1), 'keep');
    await expect.poll(badgeText, { timeout: 30_000 }).toBe('FAILED');
    expect(await page.locator('#execution-on-failure').textContent()).toBe('keep (redrivable)');
    const redrive = page.getByRole('button', { name: 'Redrive' });
    await expect.poll(() => redrive.isEnabled()).toBe(true);
    expect(await page.locator('#action-note').textContent()).toContain(
      'Redrive continues from the failed state',
    );
    expect(await page.locator('g.state.failing').getAttribute('data-state')).toBe('AddDnatRule');
    await b.shot('kept-failure');
    // The fault is fixed; the page stays the same document throughout.
    stack.tasks.setFaults([]);
    await page.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });

    // Act
    await redrive.click();

    // Assess
    await expect.poll(badgeText, { timeout: 30_000 }).toBe('SUCCEEDED');
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(
      true,
    );
    expect(await page.locator('#execution-redrives').textContent()).toContain('1×');
    await expect
      .poll(() => page.locator('#action-result').textContent())
      .toBe('Redrive 1: the execution succeeded.');
    expect(await redrive.isHidden()).toBe(true);
    expect(await page.locator('#history tbody').textContent()).toContain('ExecutionRedriven');
    await page.getByRole('tab', { name: 'Table view' }).click();
    await row('AddDnatRule').waitFor();
    // 4 failed attempts (3 retries and the one the redrive continued after), then the success.
    expect(await row('AddDnatRule').getAttribute('data-attempts')).toBe('5');
    expect(await row('AddDnatRule').locator('rect.attempt-failed').count()).toBe(4);
    expect(await row('AddDnatRule').locator('rect.attempt-succeeded').count()).toBe(1);
    expect(await row('AddDnatRule').locator('rect.gap-redrive').count()).toBe(1);
    expect(await row('AddDnatRule').getAttribute('data-status')).toBe('succeeded');
    // The tree: AddDnatRule inside AddRules; nothing before AddRules ran twice.
    expect(await row('AddDnatRule').locator('td.tree').getAttribute('class')).toContain('depth-1');
    expect(await row('CreateNetworks').getAttribute('data-attempts')).toBe('1');
    await b.shot('redriven-table', '#table-view');
    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await expect.poll(() => page.locator('#states-table tbody tr').count()).toBe(1);
    await page.getByLabel('Status', { exact: true }).selectOption('');
  }, 90_000);

  it('draws the 2 retries of a transient fault on the timeline', async () => {
    // Prepare
    const { page, stack } = b;
    stack.tasks.setFaults([{ at: 'CreateLoadBalancer', kind: 'transient', times: 2 }]);

    // Act
    await startFromUi(planText('retried-plan', 2));
    await expect.poll(badgeText, { timeout: 30_000 }).toBe('SUCCEEDED');
    stack.tasks.setFaults([]);

    // Assess: the table view is remembered from the last execution.
    const lb = row('CreateLoadBalancer');
    await lb.waitFor();
    expect(await lb.getAttribute('data-attempts')).toBe('3');
    expect(await lb.getAttribute('data-retries')).toBe('2');
    expect(await lb.locator('rect.attempt-failed').count()).toBe(2);
    expect(await lb.locator('rect.attempt-succeeded').count()).toBe(1);
    expect(await lb.locator('.timeline-label').textContent()).toBe('3 attempts · 2 retried');
    expect(await lb.locator('td.tree').getAttribute('class')).toContain('depth-1');
    expect(await row('ProvisionInParallel').getAttribute('data-status')).toBe('succeeded');
    expect(await page.locator('#table-summary').textContent()).toContain('2 retried attempts');
    await b.shot('retries-timeline', '#table-view');
  }, 60_000);

  it('shows the data flow of a step through each stage, computed by the engine', async () => {
    const { page } = b;
    await row('AddDnatRule').locator('button').click({ timeout: 5000 });
    await expect.poll(() => page.locator('#state-panel h2').textContent()).toBe('AddDnatRule');
    await page.locator('#dataflow-details summary').click({ timeout: 5000 });
    const stages = page.locator('#dataflow .stage');
    await expect.poll(() => stages.count()).toBe(7);
    expect(await stages.evaluateAll((all) => all.map((e) => e.getAttribute('data-stage')))).toEqual([
      'Input',
      'InputPath',
      'Parameters',
      'Result',
      'ResultSelector',
      'ResultPath',
      'OutputPath',
    ]);
    const parameters = page.locator('#dataflow .stage[data-stage="Parameters"]');
    expect(await parameters.locator('pre').textContent()).toContain('"execution": "arn:aws:states:');
    expect(await parameters.locator('pre').textContent()).toContain('"step": "dnatRules"');
    // ResultPath null: the output is the input, the result discarded.
    const resultPath = page.locator('#dataflow .stage[data-stage="ResultPath"]');
    expect(await resultPath.locator('.stage-expression').textContent()).toBe('null');
    expect(await resultPath.locator('pre').textContent()).toBe(
      await page.locator('#state-output').textContent(),
    );
    // No OutputPath: the stage says so, and the data passes through unchanged.
    expect(await page.locator('#dataflow .stage[data-stage="OutputPath"] h4').textContent()).toContain(
      'not set: unchanged',
    );
    await page.locator('#dataflow').scrollIntoViewIfNeeded();
    await b.shot('dataflow', '#dataflow');
  }, 30_000);

  it('updates the executions list through server-sent events, with no request while nothing changes', async () => {
    // Prepare
    const { page, stack } = b;
    await page.getByRole('link', { name: 'Executions', exact: true }).click();
    const rows = page.locator('#executions tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    await new Promise((done) => setTimeout(done, 500));
    const quietFrom = Date.now();
    await new Promise((done) => setTimeout(done, 3000));
    const during = b.requests.filter((r) => r.at >= quietFrom && !r.url.endsWith('/console/api/live'));
    expect(during).toEqual([]);

    // Act: a provisioning started from outside the page (the API, as a script would).
    const started = await fetch(`${stack.url}/executions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: 'verify', input: {} }),
    });
    expect(started.status).toBe(201);

    // Assess
    await expect.poll(() => rows.count(), { timeout: 5000 }).toBe(3);
    expect(await page.locator('#live-status').textContent()).toBe('live');
    await b.shot('executions-live');
  }, 30_000);

  it('rolls a kept failure back from its button, and then refuses to redrive it', async () => {
    // Prepare
    const { page, stack } = b;
    stack.tasks.setFaults([{ at: 'AddDnatRule', kind: 'transient', times: 4 }]);
    await startFromUi(planText('kept-then-rolled-back', 3, true));
    await expect.poll(badgeText, { timeout: 30_000 }).toBe('FAILED');
    stack.tasks.setFaults([]);
    expect((await stack.store.list({ plan: 'kept-then-rolled-back' })).length).toBeGreaterThan(5);

    // Act
    await page.getByRole('button', { name: 'Roll back' }).click();

    // Assess
    await expect
      .poll(() => page.locator('#rollback-result').textContent())
      .toMatch(/^Rolled back: \d+ resources deleted\.$/);
    expect(await stack.store.list({ plan: 'kept-then-rolled-back' })).toEqual([]);
    expect(await page.locator('#action-note').textContent()).toContain('nothing is left to redrive');
    expect(await page.locator('#execution-on-failure').textContent()).toBe('keep (rolled back)');
    expect(await page.getByRole('button', { name: 'Redrive' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Roll back' }).isHidden()).toBe(true);
    await b.shot('rolled-back');
  }, 60_000);

  it('says why a provisioning that rolled back (the default) cannot be redriven', async () => {
    const { page, stack } = b;
    stack.tasks.setFaults([{ at: 'AddDnatRule', kind: 'permanent' }]);
    await startFromUi(planText('rolled-back-plan', 4));
    await expect.poll(badgeText, { timeout: 30_000 }).toBe('FAILED');
    stack.tasks.setFaults([]);
    expect(await page.locator('#action-note').textContent()).toContain('onFailure: rollback');
    expect(await page.getByRole('button', { name: 'Redrive' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Roll back' }).isHidden()).toBe(true);
    // The API refuses it too.
    const arn = decodeURIComponent(page.url().split('#/executions/')[1] ?? '');
    const refused = await fetch(`${stack.url}/executions/${encodeURIComponent(arn)}/redrive`, {
      method: 'POST',
    });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { code: string }).code).toBe('EXECUTION_ROLLED_BACK');
  }, 60_000);

  it('draws load balancer → member edges with health, SNAT arrows, imported resources, and exports SVG and PNG', async () => {
    // Prepare: a plan with an SNAT rule, and a VPC imported from a real cloud.
    const { page, stack } = b;
    const withSnat = planText('snat-plan', 5)
      .replace('snatRules: []', 'snatRules: [{ source: subnet-B01, transitIp: transit-ip-A }]')
      .replace('allowSharedTransitIp: false', 'allowSharedTransitIp: true');
    const started = await fetch(`${stack.url}/executions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: 'provision', input: await parsed(withSnat) }),
    });
    expect(started.status, await started.clone().text()).toBe(201);
    const { executionArn } = (await started.json()) as { executionArn: string };
    expect((await stack.sfn.waitForExecution(executionArn, 30_000)).status).toBe('SUCCEEDED');
    await stack.store.transaction(['import'], (tx) =>
      tx.insert(
        {
          id: 'vpc-imported1',
          type: 'vpc',
          name: 'prod-vpc',
          status: 'ACTIVE',
          createdAt: new Date().toISOString(),
          plan: null,
          execution: null,
          clientToken: null,
          cidr: '10.200.0.0/16',
          cloud: 'huaweicloud',
          imported: true,
        },
        { keys: [], refs: [] },
      ),
    );

    // Act
    await page.getByRole('link', { name: 'Topology', exact: true }).click();
    await page.getByLabel('Plan', { exact: true }).selectOption('');
    await page.locator('svg.topology').waitFor();

    // Assess: ELB01 → ECS-B:80 of each plan, healthy once the data plane's health check ran.
    const members = page.locator('g.edge[data-kind="member"]');
    // Three plans succeeded here (kept-plan after its redrive, retried-plan, snat-plan): one member each.
    await expect.poll(() => members.count(), { timeout: 20_000 }).toBe(3);
    await expect
      .poll(() => page.locator('g.edge[data-kind="member"][data-status="healthy"]').count(), {
        timeout: 15_000,
      })
      .toBeGreaterThanOrEqual(1);
    const healthyId = await page
      .locator('g.edge[data-kind="member"][data-status="healthy"]')
      .first()
      .getAttribute('data-id');
    expect(await page.locator(`g.edge-label[data-for="${healthyId}"]`).textContent()).toBe(':80 healthy');
    const snat = page.locator('g.edge[data-kind="snat"]');
    expect(await snat.count()).toBe(1);
    const snatId = (await snat.getAttribute('data-id')) ?? '';
    expect(await page.locator(`g.edge-label[data-for="${snatId}"] .line-name`).textContent()).toBe(
      'SNAT 10.5.0.0/24 via private_nat_gateway',
    );
    expect(await snat.locator('title').textContent()).toContain('leaves from transit-ip-A 172.21.0.144');
    const imported = page.locator('g.box[data-kind="vpc"][data-name="prod-vpc"]');
    expect(await imported.getAttribute('data-imported')).toBe('huaweicloud');
    expect(await imported.locator('.line-meta').textContent()).toContain('imported · huaweicloud');
    // One plan's picture, to look at and to export.
    await page.getByLabel('Plan', { exact: true }).selectOption('snat-plan');
    await expect.poll(() => members.count(), { timeout: 20_000 }).toBe(1);
    await expect
      .poll(() => page.locator('g.edge[data-kind="member"][data-status="healthy"]').count(), {
        timeout: 15_000,
      })
      .toBe(1);
    await b.shot('topology-edges', '#topology');

    const svgDownload = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export SVG' }).click();
    const svgFile = await (await svgDownload).path();
    const svgText = readFileSync(svgFile, 'utf8');
    expect(svgText).toMatch(/^<\?xml[^>]*>\n<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svgText).toContain('SNAT 10.5.0.0/24');
    expect(svgText).not.toContain('class=');
    const pngDownload = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export PNG' }).click();
    const png = readFileSync(await (await pngDownload).path());
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeGreaterThan(1000); // width, at twice the picture's size
    writeFileSync(join(ARTIFACTS, 'console-topology-export.png'), png);
    writeFileSync(join(ARTIFACTS, 'console-topology-export.svg'), svgText);
  }, 60_000);

  it('raised no page errors, console errors or off-origin requests', () => {
    expect(b.problems).toEqual([]);
  });
});

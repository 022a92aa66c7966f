/**
 * The console in a real browser: Debian's chromium, headless, driven by playwright-core, against a whole
 * local stack started in-process (store, Step Functions service, event bus, API, console). It starts the
 * reference provisioning from the UI and watches its states turn green, shows a validation error with its
 * path, starts a provisioning whose verification fails and reads the error at the failing state, then
 * opens the topology. Screenshots go to test-artifacts/console-*.png (ignored by git).
 *
 * Chromium is required, not optional: without it the suite fails and says how to install it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole } from '../../src/console/index.ts';
import { type Stack, startStack } from '../../src/stack/stack.ts';

const CHROMIUM = process.env.NATFLOW_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');
const REFERENCE = readFileSync(resolve(import.meta.dirname, '../../examples/reference.plan.yaml'), 'utf8');

/** The reference plan under another name and other addresses, whose second verify entry cannot hold. */
const FAILING = REFERENCE.replace('name: app-a-to-elb01', 'name: wrong-expectation')
  .replaceAll('192.168.', '172.20.')
  .replaceAll('10.0.', '10.9.')
  .replace('expect: unreachable, code: NO_MATCHING_RULE', 'expect: reachable');

/** An invalid plan: a CIDR that is no CIDR, and a port out of range. */
const INVALID = REFERENCE.replace('cidr: 10.0.0.0/16', 'cidr: 10.0.0.0/33').replace(
  'transitPort: 80',
  'transitPort: 70000',
);

let stack: Stack;
let context: BrowserContext;
let page: Page;
let profile: string;
const problems: string[] = [];
/** Failed responses the test provokes on purpose (the invalid plan's 422). */
const expectedFailures: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `chromium is not installed at ${CHROMIUM}: the console tests need it (apt-get install -y chromium, as .ci/run does; or set NATFLOW_CHROMIUM)`,
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack({
    dataDir: mkdtempSync(join(tmpdir(), 'natflow-console-')),
    port: 0,
    console: createConsole,
  });
  profile = mkdtempSync(join(tmpdir(), 'natflow-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
    viewport: { width: 1440, height: 1000 },
    colorScheme: 'light',
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    const text = message.text();
    if (text.startsWith('Failed to load resource') && expectedFailures.some((f) => text.includes(f))) return;
    problems.push(`console ${message.type()}: ${text} (${message.location().url})`);
  });
  page.on('requestfailed', (request) =>
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`),
  );
  // Offline: every request stays on the stack's origin.
  page.on('request', (request) => {
    if (!request.url().startsWith(stack.url as string)) problems.push(`off-origin request: ${request.url()}`);
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await stack?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function shot(name: string, element?: string) {
  await page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });
  if (element)
    await page
      .locator(element)
      .screenshot({ path: join(ARTIFACTS, `console-${name}-${element.replace(/\W/g, '')}.png`) });
}

async function startFromUi(planText: string | undefined): Promise<void> {
  await page.getByRole('link', { name: 'Start provisioning' }).first().click();
  await page.getByLabel('Example plan').waitFor();
  if (planText === undefined) {
    await expect.poll(() => page.locator('#plan-example option').count()).toBeGreaterThan(1);
    await page.getByLabel('Example plan').selectOption('reference.plan.yaml');
  } else {
    await page.getByLabel('Plan (YAML or JSON)').fill(planText);
  }
  await page.getByRole('button', { name: 'Start provisioning' }).click();
}

const stateStatus = (name: string) =>
  page.locator(`g.state[data-state="${name}"]`).getAttribute('data-status');

describe('console', () => {
  it('starts the reference provisioning from the UI and shows its states turn to succeeded', async () => {
    // Prepare
    await page.goto(`${stack.url}/console/`);
    await expect.poll(() => page.locator('#executions').textContent()).toContain('No executions yet');

    // Act
    await startFromUi(undefined);

    // Assess: the detail view of the new execution, live until it succeeds.
    await page.waitForURL(/#\/executions\/arn%3Aaws%3Astates/);
    await page.locator('svg.graph').waitFor();
    await expect
      .poll(() => stateStatus('PublishProvisioningSucceeded'), { timeout: 30_000 })
      .toBe('succeeded');
    await expect.poll(() => page.locator('.title-line .badge').textContent()).toBe('SUCCEEDED');
    for (const state of [
      'ValidatePlan',
      'CreateNetworks',
      'ProvisionInParallel',
      'AssignTransitIp',
      'AddDnatRule',
      'VerifyConnectivity',
    ])
      expect(await stateStatus(state), state).toBe('succeeded');
    for (const state of ['Rollback', 'ProvisioningFailed'])
      expect(await stateStatus(state), state).toBe('not-started');
    await expect.poll(() => page.locator('#history tbody tr').count()).toBeGreaterThan(20);
    expect(await page.locator('#history tbody').textContent()).toContain('ExecutionSucceeded');

    // A click on a state shows its input and output.
    await page.locator('g.state[data-state="AddDnatRule"]').click();
    await expect.poll(() => page.locator('#state-panel h2').textContent()).toBe('AddDnatRule');
    expect(await page.locator('#state-input').textContent()).toContain('app-a-to-elb01');
    expect(await page.locator('#state-output').textContent()).not.toBe('—');
    await shot('execution-succeeded', '#graph');
  }, 60_000);

  it('shows every validation error of an invalid plan with its path, and starts nothing', async () => {
    // Prepare
    expectedFailures.push('422');
    const before = (await (await fetch(`${stack.url}/executions`)).json()) as { executions: unknown[] };

    // Act
    await startFromUi(INVALID);

    // Assess
    const alert = page.locator('#start-result [role="alert"]');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('INVALID_CIDR');
    expect(text).toContain('vpcs[1].cidr');
    expect(text).toContain('privateNatGateways[0].dnatRules[0].transitPort');
    expect(page.url()).toMatch(/#\/start$/);
    const after = (await (await fetch(`${stack.url}/executions`)).json()) as { executions: unknown[] };
    expect(after.executions).toHaveLength(before.executions.length);
    await shot('validation-errors');
  }, 30_000);

  it('shows a failed execution with its error and cause at the failing state and in a banner', async () => {
    // Act
    await startFromUi(FAILING);

    // Assess
    await page.waitForURL(/#\/executions\/arn/);
    await expect
      .poll(() => page.locator('.title-line .badge').textContent(), { timeout: 30_000 })
      .toBe('FAILED');
    const banner = page.locator('#failure-banner [role="alert"]');
    await banner.waitFor();
    expect(await page.locator('#execution-error').textContent()).toBe('VERIFICATION_FAILED');
    expect(await banner.textContent()).toContain('at VerifyConnectivity');
    expect(await page.locator('#execution-cause').textContent()).toContain('tcp');
    // The failing state: highlighted on the graph, caught by the rollback, and selected with its error.
    const failing = page.locator('g.state.failing');
    expect(await failing.getAttribute('data-state')).toBe('VerifyConnectivity');
    expect(await failing.getAttribute('data-status')).toBe('caught');
    expect(await page.locator('g.error-tag').textContent()).toBe('VERIFICATION_FAILED');
    await expect.poll(() => page.locator('#state-panel h2').textContent()).toBe('VerifyConnectivity');
    const stateError = (await page.locator('#state-error').textContent()) ?? '';
    expect(stateError).toContain('Failed here');
    expect(stateError).toContain('VERIFICATION_FAILED');
    expect(stateError).toContain('expected reachable');
    for (const state of ['Rollback', 'PublishProvisioningFailed'])
      expect(await stateStatus(state), state).toBe('succeeded');
    expect(await stateStatus('ProvisioningFailed')).toBe('failed');
    expect(await stateStatus('PublishProvisioningSucceeded')).toBe('not-started');
    await shot('execution-failed', '#graph');
  }, 60_000);

  it('lists the executions, newest first, and filters them by status and workflow', async () => {
    // Act
    await page.getByRole('link', { name: 'Executions', exact: true }).click();
    const rows = page.locator('#executions tbody tr');
    await expect.poll(() => rows.count()).toBe(2);

    // Assess
    expect(await rows.nth(0).getAttribute('data-status')).toBe('FAILED');
    expect(await rows.nth(1).getAttribute('data-status')).toBe('SUCCEEDED');
    await page.getByLabel('Status').selectOption('SUCCEEDED');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('app-a-to-elb01');
    await page.getByLabel('Workflow').selectOption('teardown');
    await expect.poll(() => rows.first().textContent()).toContain('No execution matches');
    await page.getByLabel('Workflow').selectOption('');
    await page.getByLabel('Status').selectOption('');
    await expect.poll(() => rows.count()).toBe(2);
    await shot('executions');
  }, 30_000);

  it('draws the topology: VPC boxes with their CIDRs and the DNAT arrow, green from the last verification', async () => {
    // Act
    await page.getByRole('link', { name: 'Topology', exact: true }).click();
    const svg = page.locator('svg.topology');
    await svg.waitFor();

    // Assess
    await expect.poll(() => page.locator('svg.topology g[data-kind="vpc"]').count()).toBe(2);
    expect(
      await page.locator('g.box[data-kind="vpc"][data-name="VPC-A"] .line-name').textContent(),
    ).toContain('192.168.0.0/16');
    expect(
      await page.locator('g.box[data-kind="vpc"][data-name="VPC-B"] .line-name').textContent(),
    ).toContain('10.0.0.0/16');
    expect(
      await page.locator('g.box[data-kind="subnet"][data-name="subnet-B01"] .line-name').textContent(),
    ).toContain('10.0.0.0/24');
    expect(
      await page
        .locator('g.box[data-kind="transit-ip"][data-name="transit-ip-A"] .line-address')
        .textContent(),
    ).toBe('192.168.0.144');
    const dnat = page.locator('g.edge[data-kind="dnat"]');
    expect(await dnat.count()).toBe(1);
    const id = (await dnat.getAttribute('data-id')) ?? '';
    expect(await page.locator(`g.edge-label[data-for="${id}"] .line-name`).textContent()).toBe(
      'tcp 80 → 80 via private_nat_gateway',
    );
    await expect.poll(() => dnat.getAttribute('data-status')).toBe('verified');
    expect(await page.locator('g.edge[data-kind="probe"]').count()).toBe(2);
    await shot('topology', '#topology');
  }, 30_000);

  it('raised no page errors, console errors or off-origin requests', () => {
    expect(problems).toEqual([]);
  });
});

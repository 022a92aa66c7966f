/**
 * The console's Preview step in a real browser (Debian's chromium, headless, playwright-core) against a
 * whole local stack: pick the reference example, preview it — the actions table, the summary line, the
 * opened path as a dashed arrow on the topology picture — with nothing created, then start it from the
 * same form; a second preview of a conflicting plan shows the conflict's code and the path still closed.
 * Screenshots go to test-artifacts/console-preview-*.png (ignored by git).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole } from '../../src/console/index.ts';
import { type Stack, startStack } from '../../src/stack/stack.ts';
import { addRulePlan } from '../plan/scenarios.ts';

const CHROMIUM = process.env.NATFLOW_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');

let stack: Stack;
let context: BrowserContext;
let page: Page;
let profile: string;
let dataDir: string;
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `chromium is not installed at ${CHROMIUM}: the console tests need it (or set NATFLOW_CHROMIUM)`,
    );
  mkdirSync(ARTIFACTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'natflow-console-preview-'));
  stack = await startStack({ dataDir, port: 0, console: createConsole });
  profile = mkdtempSync(join(tmpdir(), 'natflow-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
    ],
    viewport: { width: 1440, height: 1000 },
    colorScheme: 'light',
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await stack?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const resources = async () =>
  ((await (await fetch(`${stack.url}/resources`)).json()) as { resources: unknown[] }).resources;

describe('console: Preview before Start provisioning', () => {
  it('previews the reference plan — actions, summary, the opened path drawn dashed — and creates nothing', async () => {
    // Prepare
    await page.goto(`${stack.url}/console/#/start`);
    await expect.poll(() => page.locator('#plan-example option').count()).toBeGreaterThan(1);
    await page.getByLabel('Example plan').selectOption('reference.plan.yaml');

    // Act
    await page.getByRole('button', { name: 'Preview' }).click();

    // Assess
    await page.locator('#preview-result').waitFor();
    expect(await page.locator('#preview-summary').textContent()).toContain(
      'Plan: 14 to create, 0 unchanged, 0 differ, 0 conflicts.',
    );
    expect(await page.locator('#preview-actions tbody tr[data-action="create"]').count()).toBe(14);
    expect(await page.locator('#preview-paths li.preview-opened').textContent()).toContain(
      'ECS-A → 192.168.0.144:80/tcp',
    );
    const arrow = page.locator('#preview-topology g.edge.preview-opened');
    await expect.poll(() => arrow.count(), { timeout: 20_000 }).toBe(1);
    expect(await arrow.getAttribute('data-path')).toBe('ECS-A 192.168.0.144:80/tcp');
    const dash = await arrow.locator('path').evaluate((el) => getComputedStyle(el).strokeDasharray);
    expect(dash).not.toBe('none');
    // The picture holds the resources the plan would create, and the DNAT rule's own arrow.
    expect(await page.locator('#preview-topology g.box[data-name="ELB01"]').count()).toBe(1);
    expect(await page.locator('#preview-topology g.edge[data-kind="dnat"]').count()).toBe(1);
    expect(await resources()).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'console-preview-reference.png'), fullPage: true });

    // Then start it from the same form.
    await page.getByRole('button', { name: 'Start provisioning' }).click();
    await page.waitForURL(/#\/executions\/arn%3Aaws%3Astates/);
    await expect
      .poll(() => page.locator('.title-line .badge').textContent(), { timeout: 30_000 })
      .toBe('SUCCEEDED');
    expect((await resources()).length).toBe(14);
  }, 90_000);

  it('shows a conflict with its code, and a rule still closed by a security group', async () => {
    await page.goto(`${stack.url}/console/#/start`);
    const plan = addRulePlan({ transitPort: 80 });
    // A second rule, to a port ECS-B's group does not open: still closed.
    plan.privateNatGateways[0].dnatRules.push({
      transitIp: 'transit-ip-A',
      protocol: 'tcp',
      transitPort: 2222,
      internalPort: 22,
      target: { server: 'ECS-B' },
    });
    await page.getByLabel('Plan (YAML or JSON)').fill(JSON.stringify(plan, null, 2));
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('#preview-result').waitFor();
    expect(await page.locator('#preview-summary').textContent()).toContain('1 conflicts.');
    const conflict = page.locator('#preview-actions tr[data-action="conflict"]');
    expect(await conflict.textContent()).toContain('DNAT_PORT_CONFLICT');
    expect(await page.locator('#preview-paths li.preview-still-closed').textContent()).toContain(
      'SECURITY_GROUP_DENIED',
    );
    await expect
      .poll(() => page.locator('#preview-topology g.edge.preview-still-closed').count(), { timeout: 20_000 })
      .toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'console-preview-conflict.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 60_000);
});

/**
 * The console with several plans on one stack, in Chromium: the reference plan, examples/udp-dns, the
 * SNAT example and a renamed copy of the reference plan with the very same addresses (three VPCs named
 * VPC-A 192.168.0.0/16, two transit IPs 192.168.0.144). Checked from the DOM, as a person would see it:
 *
 * - the topology fits 1440 px at fit-to-view; no two boxes or labels overlap (bounding boxes read from
 *   the page); every DNAT edge starts on its transit IP's box and ends on its target's;
 * - every frame, table row and edge label says its plan; every SNAT rule is drawn (the /25 one too);
 * - a frozen gateway shows FROZEN, with its rule and path not "verified" while the copy's identical rule
 *   stays verified; after a verify run and an unfreeze the path is no longer red;
 * - verification rows are timed, carry their source, and go with a torn-down plan;
 * - the executions list has a plan column, finds an execution by a value only its input holds, and
 *   shows a failure's error and cause in its row.
 * Screenshots: test-artifacts/console-many-*.png.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePlanText } from '../../src/plan/plan.ts';
import { openCloud } from '../../src/providers/registry.ts';
import { type Browser, openBrowser } from './browser.ts';

const example = (file: string) => readFileSync(resolve(import.meta.dirname, '../../examples', file), 'utf8');
const PLANS = {
  reference: example('reference.plan.yaml'),
  udp: example('udp-dns.plan.yaml'),
  snat: example('snat.plan.yaml'),
  copy: example('reference.plan.yaml').replace('name: app-a-to-elb01', 'name: walkthrough-copy'),
};

let b: Browser;

async function run(workflow: string, input: unknown): Promise<{ executionArn: string; status: string }> {
  const started = await fetch(`${b.stack.url}/executions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workflow, input }),
  });
  expect(started.status, await started.clone().text()).toBe(201);
  const { executionArn } = (await started.json()) as { executionArn: string };
  const done = await b.stack.sfn.waitForExecution(executionArn, 60_000);
  await b.stack.idle();
  return { executionArn, status: done.status ?? '' };
}

beforeAll(async () => {
  b = await openBrowser();
  for (const text of Object.values(PLANS))
    expect((await run('provision', parsePlanText(text))).status).toBe('SUCCEEDED');
}, 120_000);

afterAll(async () => {
  await b?.close();
});

type Box = { x: number; y: number; width: number; height: number; name: string };

/** Bounding boxes of the drawn resource boxes (not frames) and edge labels, as the page lays them out. */
function drawnRects(page: Page): Promise<Box[]> {
  return page.evaluate(() => {
    const rect = (el: Element, name: string) => {
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height, name };
    };
    return [
      ...[...document.querySelectorAll('svg.topology g.box:not(.frame) > rect.shape')].map((el) =>
        rect(el, `box ${el.parentElement?.getAttribute('data-id')}`),
      ),
      ...[...document.querySelectorAll('svg.topology g.edge-label > rect')].map((el) =>
        rect(el, `label ${el.parentElement?.getAttribute('data-for')}`),
      ),
      ...[
        ...document.querySelectorAll('svg.topology g.box:not(.frame) text, svg.topology g.edge-label text'),
      ].map((el) => ({
        ...rect(el, `text ${el.textContent}`),
        owner: el.parentElement?.getAttribute('data-id') ?? el.parentElement?.getAttribute('data-for'),
      })),
    ];
  });
}

const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width - 0.5 &&
  b.x < a.x + a.width - 0.5 &&
  a.y < b.y + b.height - 0.5 &&
  b.y < a.y + a.height - 0.5;

async function openTopology(): Promise<void> {
  const { page, stack } = b;
  const url = `${stack.url}/console/#/topology`;
  if (page.url() === url) await page.reload();
  else await page.goto(url);
  await page.locator('svg.topology').waitFor({ timeout: 20_000 });
  await expect
    .poll(() => page.locator('svg.topology g[data-kind="vpc"]').count(), { timeout: 20_000 })
    .toBe(8);
}

const dnatOf = (page: Page, plan: string) =>
  page.locator(`svg.topology g.edge[data-kind="dnat"][data-plan="${plan}"]`);

describe('console: several plans on one stack', () => {
  it('lays the topology out within 1440 px, with no two boxes or labels overlapping', async () => {
    // Act
    await openTopology();
    const { page } = b;

    // Assess: fit to view, inside the window's width.
    const svg = page.locator('svg.topology');
    const width = await svg.evaluate((el) => el.getBoundingClientRect().width);
    expect(width).toBeLessThanOrEqual(1440);
    expect(await page.locator('#topology-zoom').textContent()).toContain('(fit)');
    const rects = await drawnRects(page);
    const shapes = rects.filter((r) => !r.name.startsWith('text'));
    expect(shapes.length).toBeGreaterThan(30);
    for (const [i, a] of shapes.entries())
      for (const other of shapes.slice(i + 1))
        expect(overlap(a, other), `${a.name} overlaps ${other.name}`).toBe(false);
    // A text lies on no other box or label than its own.
    const texts = rects.filter((r) => r.name.startsWith('text')) as (Box & { owner?: string })[];
    for (const text of texts)
      for (const shape of shapes) {
        const mine = shape.name.endsWith(` ${text.owner}`);
        if (!mine) expect(overlap(text, shape), `${text.name} over ${shape.name}`).toBe(false);
      }
    // Frames of different VPCs do not overlap, and each says its plan and cloud.
    const frames = await page.locator('svg.topology g.box[data-kind="vpc"]').evaluateAll((els) =>
      els.map((el) => {
        const r = el.querySelector('rect')!.getBoundingClientRect();
        return {
          x: r.x,
          y: r.y,
          width: r.width,
          height: r.height,
          name: el.textContent ?? '',
          plan: el.getAttribute('data-plan'),
        };
      }),
    );
    for (const [i, a] of frames.entries()) {
      expect(a.name).toContain(`${a.plan} · virtual`);
      for (const other of frames.slice(i + 1)) expect(overlap(a, other)).toBe(false);
    }
    expect(
      frames
        .filter((f) => f.name.includes('VPC-A  192.168.0.0/16'))
        .map((f) => f.plan)
        .sort(),
    ).toEqual(['app-a-to-elb01', 'snat-egress', 'walkthrough-copy']);
    await b.shot('many-topology', '#topology');
  }, 60_000);

  it('runs every DNAT edge from its transit IP to its target, each labelled with its plan and gateway', async () => {
    const { page } = b;
    const edges = await page.locator('svg.topology g.edge[data-kind="dnat"]').evaluateAll((els) =>
      els.map((el) => {
        const path = el.querySelector('path') as SVGPathElement;
        const matrix = path.getScreenCTM()!;
        const at = (length: number) => {
          const p = path.getPointAtLength(length).matrixTransform(matrix);
          return [p.x, p.y];
        };
        const box = (id: string | null) => {
          const g = document.querySelector(`svg.topology g.box[data-id="${CSS.escape(id ?? '')}"]`);
          const r = g?.querySelector('rect')?.getBoundingClientRect();
          return r
            ? { x: r.x, y: r.y, width: r.width, height: r.height, kind: g?.getAttribute('data-kind') }
            : undefined;
        };
        const id = el.getAttribute('data-id');
        return {
          id,
          plan: el.getAttribute('data-plan'),
          start: at(0),
          end: at(path.getTotalLength()),
          from: box(el.getAttribute('data-from')),
          to: box(el.getAttribute('data-to')),
          label: document.querySelector(`svg.topology g.edge-label[data-for="${CSS.escape(id ?? '')}"]`)
            ?.textContent,
        };
      }),
    );
    expect(edges).toHaveLength(4);
    const near = ([x, y]: number[], r: { x: number; y: number; width: number; height: number }) =>
      x! >= r.x - 2 && x! <= r.x + r.width + 2 && y! >= r.y - 2 && y! <= r.y + r.height + 2;
    for (const edge of edges) {
      expect(edge.from?.kind, edge.id ?? '').toBe('transit-ip');
      expect(['load-balancer', 'server']).toContain(edge.to?.kind);
      expect(near(edge.start, edge.from!), `${edge.id} starts on its transit IP`).toBe(true);
      expect(near(edge.end, edge.to!), `${edge.id} ends on its target`).toBe(true);
      expect(edge.label).toContain(edge.plan);
      expect(edge.label).toContain(' via ');
    }
  }, 30_000);

  it('draws every SNAT rule, with an SNAT table beside the DNAT one, every row saying its plan', async () => {
    const { page } = b;
    const snat = page.locator('svg.topology g.edge[data-kind="snat"]');
    expect(await snat.count()).toBe(2);
    const batch = page.locator('svg.topology g.box[data-kind="snat-source"]', { hasText: '10.0.2.0/25' });
    expect(await batch.count()).toBe(1);
    expect(await page.locator('#snat-rules tbody tr[data-id]').count()).toBe(2);
    expect(await page.locator('#dnat-rules tbody tr[data-id]').count()).toBe(4);
    for (const table of ['#snat-rules', '#dnat-rules', '#verification-rows']) {
      const rows = page.locator(`${table} tbody tr`);
      for (let i = 0; i < (await rows.count()); i++) {
        const plan = (await rows.nth(i).getAttribute('data-plan')) ?? '';
        expect(plan).not.toBe('');
        expect(await rows.nth(i).locator('td').first().textContent()).toContain(plan);
      }
    }
  }, 30_000);

  it('shows a frozen gateway FROZEN, its rule and path not verified, the copy with the same addresses still verified', async () => {
    // Prepare
    const { page, stack } = b;
    const gateway = (await stack.store.list({ plan: 'app-a-to-elb01' })).find(
      (r) => r.type === 'private-nat-gateway',
    )!;
    const cloud = await openCloud('virtual', { store: stack.store, env: {} });

    // Act
    await cloud.freeze!(gateway.id);
    await openTopology();

    // Assess
    const box = page.locator(`svg.topology g.box[data-id="${gateway.id}"]`);
    expect(await box.getAttribute('data-status')).toBe('frozen');
    expect(await box.locator('.line-status').textContent()).toBe('FROZEN');
    await expect
      .poll(() => dnatOf(page, 'app-a-to-elb01').getAttribute('data-status'), { timeout: 10_000 })
      .toBe('frozen');
    expect(await dnatOf(page, 'walkthrough-copy').getAttribute('data-status')).toBe('verified');
    const row = page.locator('#dnat-rules tbody tr[data-plan="app-a-to-elb01"]');
    expect(await row.getAttribute('data-status')).toBe('frozen');
    expect(await row.textContent()).not.toContain('verified');
    expect(await row.textContent()).toContain('FROZEN');

    // A verify run while frozen loses the path; it stays FROZEN, not "verified".
    expect((await run('verify', { plan: 'app-a-to-elb01' })).status).toBe('FAILED');
    await openTopology();
    expect(await dnatOf(page, 'app-a-to-elb01').getAttribute('data-status')).toBe('frozen');
    await b.shot('many-frozen', '#topology');

    // After unfreeze: no longer red — the failed run was of a frozen gateway.
    await cloud.unfreeze!(gateway.id);
    await openTopology();
    const status = await dnatOf(page, 'app-a-to-elb01').getAttribute('data-status');
    expect(status).not.toBe('failed');
    expect(status).not.toBe('frozen');
    const stroke = await dnatOf(page, 'app-a-to-elb01')
      .locator('path')
      .evaluate((el) => getComputedStyle(el).stroke);
    const red = await page.evaluate(() => {
      const probe = document.createElement('span');
      probe.style.color = 'var(--fail)';
      document.body.append(probe);
      const color = getComputedStyle(probe).color;
      probe.remove();
      return color;
    });
    expect(stroke).not.toBe(red);
    // An ACTIVE rule is not drawn in red in the table either.
    const badge = page.locator('#dnat-rules tbody tr[data-plan="app-a-to-elb01"] .state-badge');
    expect(await badge.textContent()).toBe('ACTIVE');
    expect(await badge.evaluate((el) => getComputedStyle(el).color)).not.toBe(red);
  }, 60_000);

  it('lists verification rows with their time and source, only for plans that exist', async () => {
    // Prepare
    const { page } = b;
    const rows = page.locator('#verification-rows tbody tr');
    const plansShown = async () =>
      new Set(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-plan'))));
    expect(await plansShown()).toEqual(
      new Set(['app-a-to-elb01', 'udp-dns', 'snat-egress', 'walkthrough-copy']),
    );
    for (let i = 0; i < (await rows.count()); i++) {
      const when = await rows.nth(i).locator('td[data-at]').getAttribute('data-at');
      expect(Number.isNaN(Date.parse(when ?? ''))).toBe(false);
      expect((await rows.nth(i).locator('td').last().textContent())?.trim()).not.toBe('');
    }

    // Act: tear one plan down.
    expect((await run('teardown', { plan: 'udp-dns' })).status).toBe('SUCCEEDED');
    await page.reload();
    await expect
      .poll(() => page.locator('svg.topology g[data-kind="vpc"]').count(), { timeout: 20_000 })
      .toBe(6);

    // Assess
    await expect
      .poll(plansShown, { timeout: 10_000 })
      .toEqual(new Set(['app-a-to-elb01', 'snat-egress', 'walkthrough-copy']));
    await b.shot('many-verification');
  }, 60_000);

  it('filters the picture by plan and by gateway', async () => {
    const { page } = b;
    await page.getByLabel('Plan', { exact: true }).selectOption('snat-egress');
    await expect
      .poll(() => page.locator('svg.topology g[data-kind="vpc"]').count(), { timeout: 20_000 })
      .toBe(2);
    await page.getByLabel('Plan', { exact: true }).selectOption('');
    const gateway = await page
      .locator('#topology-gateway option', { hasText: 'walkthrough-copy' })
      .getAttribute('value');
    await page.getByLabel('Gateway').selectOption(gateway ?? '');
    await expect
      .poll(() => page.locator('svg.topology g.edge[data-kind="dnat"]').count(), { timeout: 20_000 })
      .toBe(1);
    expect(await page.locator('svg.topology g.edge[data-kind="dnat"]').getAttribute('data-plan')).toBe(
      'walkthrough-copy',
    );
    await page.getByLabel('Gateway').selectOption('');
  }, 30_000);

  it('finds an execution by a value in its input, lists a plan column, and shows a failure’s error and cause', async () => {
    // Prepare: a provisioning that fails (its DNAT rule refused), with a custom name that says nothing.
    const { page, stack } = b;
    stack.tasks.setFaults([{ at: 'AddDnatRule', kind: 'permanent' }]);
    const started = await fetch(`${stack.url}/executions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        workflow: 'provision',
        name: 'custom-run',
        input: parsePlanText(
          PLANS.udp
            .replace('name: udp-dns', 'name: dns-again')
            .replaceAll('172.16.', '172.29.')
            .replaceAll('10.20.', '10.29.'),
        ),
      }),
    });
    const { executionArn } = (await started.json()) as { executionArn: string };
    expect((await stack.sfn.waitForExecution(executionArn, 60_000)).status).toBe('FAILED');
    stack.tasks.setFaults([]);

    // Act
    await page.getByRole('link', { name: 'Executions', exact: true }).click();
    const rows = page.locator('#executions tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(5);

    // Assess: failures first, with their error and cause; every row with its plan.
    await expect.poll(() => rows.first().getAttribute('data-status')).toBe('FAILED');
    const failed = page.locator('#executions tbody tr[data-arn$=":custom-run"]');
    await expect.poll(() => failed.locator('.execution-error').textContent()).not.toBe('…');
    expect(await failed.locator('.execution-error').textContent()).toMatch(/^[A-Za-z_.]+$/);
    expect(((await failed.locator('.execution-cause').textContent()) ?? '').length).toBeGreaterThan(5);
    await expect.poll(() => failed.locator('td.plan-cell').textContent()).toBe('dns-again');
    const plans = await rows.evaluateAll((els) =>
      els.map((e) => e.querySelector('td.plan-cell')?.textContent),
    );
    expect(plans.filter((p) => p === 'app-a-to-elb01').length).toBeGreaterThan(0);
    await b.shot('many-executions');

    // Search by a value only the input holds: the DNS server's address.
    await page.getByLabel('Search').fill('10.29.1.53');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-arn')).toBe(executionArn);
    expect(await page.locator('#search-scope').textContent()).toContain('Searched the newest');
    await page.getByLabel('Search').fill('');
    await expect.poll(() => rows.count()).toBeGreaterThan(5);
    await page.getByLabel('Plan', { exact: true }).selectOption('snat-egress');
    await expect.poll(() => rows.count()).toBe(1);
    await expect.poll(() => rows.first().locator('td.plan-cell').textContent()).toBe('snat-egress');
    await page.getByLabel('Plan', { exact: true }).selectOption('');
    await b.shot('many-executions-search');
  }, 90_000);

  it('raised no page errors, console errors or off-origin requests (elkjs runs under the CSP)', () => {
    // The test reloads the page: requests in flight then are cut short (ERR_ABORTED), which is no problem.
    expect(b.problems.filter((p) => !/^request failed: .* net::ERR_ABORTED$/.test(p))).toEqual([]);
  });
});

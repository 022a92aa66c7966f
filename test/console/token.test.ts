/**
 * The console of a stack started with NATFLOW_TOKEN, opened in Chromium from the address `natflow up`
 * prints (`/console#token=…`, docs/cli.md#the-token): the page keeps the token, clears it from the address
 * bar, asks for nothing, and every API call and the live feed carry it. Opened without the token, the
 * page's API calls are refused (401) and it asks for one.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePlanText } from '../../src/plan/plan.ts';
import { type Browser, openBrowser } from './browser.ts';

const TOKEN = 's3cret/+&=token';
const REFERENCE = readFileSync(resolve(import.meta.dirname, '../../examples/reference.plan.yaml'), 'utf8');

let b: Browser;
/** The prompts the page opened (none is expected when the address carries the token). */
const prompts: string[] = [];
/** The status of every response to the stack's API and console API, by path. */
const responses: { path: string; status: number }[] = [];

beforeAll(async () => {
  b = await openBrowser({ token: TOKEN });
  b.page.on('dialog', (dialog) => {
    prompts.push(dialog.message());
    void dialog.dismiss();
  });
  b.page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    if (path.startsWith('/console/api') || path.startsWith('/executions'))
      responses.push({ path, status: response.status() });
  });
  const started = await fetch(`${b.stack.url}/executions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ workflow: 'provision', input: parsePlanText(REFERENCE) }),
  });
  expect(started.status, await started.clone().text()).toBe(201);
  const { executionArn } = (await started.json()) as { executionArn: string };
  expect((await b.stack.sfn.waitForExecution(executionArn, 60_000)).status).toBe('SUCCEEDED');
  await b.stack.idle();
}, 120_000);

afterAll(async () => {
  await b?.close();
});

describe('the console of a tokened stack', () => {
  it('opened from the address natflow up prints, lists the executions without asking, the token gone from the address', async () => {
    // Act
    await b.page.goto(`${b.stack.url}/console#token=${encodeURIComponent(TOKEN)}`);
    const rows = b.page.locator('#executions tbody tr');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(1);

    // Assess
    expect(await rows.first().getAttribute('data-status')).toBe('SUCCEEDED');
    expect(await rows.first().textContent()).toContain('app-a-to-elb01');
    expect(prompts).toEqual([]);
    expect(b.page.url()).not.toContain('token');
    expect(await b.page.evaluate(() => localStorage.getItem('natflow.token'))).toBe(TOKEN);
    expect(responses.length).toBeGreaterThan(0);
    expect(responses.filter((r) => r.status === 401)).toEqual([]);
    // The live feed was opened with the token too.
    await expect
      .poll(() => responses.some((r) => r.path === '/console/api/live' && r.status === 200), {
        timeout: 10_000,
      })
      .toBe(true);
  }, 60_000);

  it('opened without the token in a fresh profile, is refused by the API and asks for the token', async () => {
    // Arrange: forget the token the first visit kept
    await b.page.evaluate(() => localStorage.removeItem('natflow.token'));
    responses.length = 0;

    // Act
    await b.page.goto(`${b.stack.url}/console#/executions`);
    await expect.poll(() => prompts.length, { timeout: 20_000 }).toBeGreaterThan(0);

    // Assess
    expect(prompts[0]).toContain('NATFLOW_TOKEN');
    expect(responses.some((r) => r.status === 401)).toBe(true);
  }, 60_000);
});

/**
 * A whole local stack in-process and Debian's chromium driven by playwright-core, for the console's
 * browser tests. Collects page errors, console errors and failed or off-origin requests as `problems`
 * (the live stream's request, cut when the browser closes, is not one).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { createConsole } from '../../src/console/index.ts';
import { type Stack, type StackOptions, startStack } from '../../src/stack/stack.ts';

export const CHROMIUM = process.env.NATFLOW_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');

export interface Browser {
  stack: Stack;
  page: Page;
  context: BrowserContext;
  problems: string[];
  /** Every request the page made, in order (url, method). */
  requests: { url: string; method: string; at: number }[];
  shot(name: string, element?: string): Promise<void>;
  close(): Promise<void>;
}

export async function openBrowser(options: Partial<StackOptions> = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `chromium is not installed at ${CHROMIUM}: the console tests need it (apt-get install -y chromium, as .ci/run does; or set NATFLOW_CHROMIUM)`,
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'natflow-console-'));
  const stack = await startStack({ dataDir, port: 0, console: createConsole, ...options });
  const profile = mkdtempSync(join(tmpdir(), 'natflow-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
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
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  const requests: Browser['requests'] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    problems.push(`console ${message.type()}: ${message.text()} (${message.location().url})`);
  });
  page.on('requestfailed', (request) => {
    if (request.url().endsWith('/console/api/live')) return;
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  page.on('request', (request) => {
    requests.push({ url: request.url(), method: request.method(), at: Date.now() });
    if (!request.url().startsWith(stack.url as string)) problems.push(`off-origin request: ${request.url()}`);
  });
  return {
    stack,
    page,
    context,
    problems,
    requests,
    async shot(name, element) {
      await page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });
      if (element)
        await page
          .locator(element)
          .screenshot({ path: join(ARTIFACTS, `console-${name}-${element.replace(/\W/g, '')}.png`) });
    },
    async close() {
      await context.close();
      await stack.close();
      rmSync(profile, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

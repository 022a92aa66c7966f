/**
 * A CLI uses an advertised stack only while it is alive: pid and /health before use, and
 * again on a refused call, falling back to an embedded stack; one-shot stacks never advertise themselves.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { advertisedStack, isRefused, liveStack } from '../../src/cli/live-stack.ts';
import { openSession } from '../../src/cli/session.ts';
import { startStack } from '../../src/stack/stack.ts';

/** A loopback port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

describe('Module: live-stack', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'natflow-live-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('ignores a stack.json whose process is gone, or that is not a stack record', async () => {
    writeFileSync(
      join(dataDir, 'stack.json'),
      JSON.stringify({ pid: 2 ** 22 + 12345, url: 'http://127.0.0.1:1' }),
    );
    expect(advertisedStack(dataDir)).toBeUndefined();
    writeFileSync(join(dataDir, 'stack.json'), '{"pid": "x"}');
    expect(advertisedStack(dataDir)).toBeUndefined();
    writeFileSync(join(dataDir, 'stack.json'), 'not json');
    expect(await liveStack(dataDir)).toBeUndefined();
  });

  it('ignores a live process whose stack does not answer /health', async () => {
    const url = `http://127.0.0.1:${await deadPort()}`;
    writeFileSync(join(dataDir, 'stack.json'), JSON.stringify({ pid: process.pid, url, instance: 'i-1' }));
    expect(advertisedStack(dataDir)?.url).toBe(url);
    expect(await liveStack(dataDir)).toBeUndefined();
    // And a session on that data directory runs its own embedded stack instead.
    const session = await openSession({ dataDir, dataPlane: false });
    try {
      expect(session.stack).toBeDefined();
      expect(session.url).not.toBe(url);
      await expect(session.stateMachineArn('provision')).resolves.toMatch(/natflow-provision/);
    } finally {
      await session.close();
    }
  });

  it('uses a live advertised stack, and falls back to its own when that stack goes mid-session', async () => {
    const up = await startStack({ dataDir, port: 0, dataPlane: false });
    const session = await openSession({ dataDir, dataPlane: false });
    try {
      expect(session.stack).toBeUndefined();
      expect(session.url).toBe(up.url);
      await up.close(); // the advertised stack stops between the check and the next call
      expect(existsSync(join(dataDir, 'stack.json'))).toBe(false);
      const listed = await session.sfn.send(new ListStateMachinesCommand({}));
      expect(listed.stateMachines?.length).toBeGreaterThan(0);
      expect(session.stack).toBeDefined();
      expect(session.url).toBe(session.stack?.url);
      expect(session.url).not.toBe(up.url);
    } finally {
      await session.close();
      await up.close();
    }
  });

  it('does not advertise a one-shot embedded stack, and leaves another stack’s stack.json alone', async () => {
    const up = await startStack({ dataDir, port: 0, dataPlane: false });
    try {
      const oneShot = await startStack({ dataDir, port: 0, dataPlane: false, advertise: false });
      expect(advertisedStack(dataDir)?.url).toBe(up.url);
      await oneShot.close();
      expect(advertisedStack(dataDir)?.url).toBe(up.url);
    } finally {
      await up.close();
    }
    const session = await openSession({ dataDir, dataPlane: false });
    try {
      expect(session.stack).toBeDefined();
      expect(existsSync(join(dataDir, 'stack.json'))).toBe(false);
    } finally {
      await session.close();
    }
  });

  it('tells a refused connection from other errors, through causes', () => {
    expect(isRefused(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRefused(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }))).toBe(true);
    expect(isRefused(new Error('connect ECONNREFUSED 127.0.0.1:4000'))).toBe(true);
    expect(isRefused(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(false);
    expect(isRefused(new Error('ExecutionAlreadyExists'))).toBe(false);
    expect(isRefused(undefined)).toBe(false);
  });
});

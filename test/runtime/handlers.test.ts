/**
 * How the local runtime builds a function of serverless.yml: from its module's factory, with the deps it
 * is given — never with the Lambda default the module's `handler` export was built with.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { depsOf } from '../../functions/lib/deps.ts';
import { MemoryStore } from '../../src/cloud/memory-store.ts';
import type { Resource } from '../../src/cloud/resources.ts';
import { factoryNameOf, loadHandler } from '../../src/stack/handlers.ts';
import type { FunctionSpec } from '../../src/stack/serverless-config.ts';

const ROOT = join(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'natflow-handlers-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const spec = (module: string, exportName = 'handler'): FunctionSpec => ({
  name: 'fn',
  handler: `functions/fn.${exportName}`,
  module,
  exportName,
  http: [],
  timeoutSeconds: 29,
});

function vpc(id: string): Resource {
  return {
    id,
    name: 'VPC-A',
    type: 'vpc',
    cidr: '10.0.0.0/16',
    status: 'ACTIVE',
    createdAt: '2026-01-01T00:00:00.000Z',
    plan: 'p',
    execution: null,
    clientToken: null,
  } as Resource;
}

type ListPlans = (event: unknown, context: Context) => Promise<{ plans: string[] }>;

describe('loadHandler', () => {
  it('names the factory of an export: handler → createHandler', () => {
    expect(factoryNameOf('handler')).toBe('createHandler');
    expect(factoryNameOf('run')).toBe('createRun');
  });

  it('builds each handler with the deps it is given: two deps, two stores, two answers', async () => {
    // Prepare: two stores, one plan each
    const a = MemoryStore.from([vpc('vpc-a')]);
    const b = new MemoryStore();
    await a.transaction(['plans'], (tx) =>
      tx.putPlan({ name: 'only-in-a', document: {}, execution: null, updatedAt: '2026-01-01T00:00:00.000Z' }),
    );
    const module = join(ROOT, 'functions/list-plans.ts');

    // Act
    const inA = await loadHandler<ListPlans>(spec(module), depsOf({ store: a }));
    const inB = await loadHandler<ListPlans>(spec(module), depsOf({ store: b }));

    // Assess
    const plansA = (await inA({ input: {} }, {} as Context)).plans;
    const plansB = (await inB({ input: {} }, {} as Context)).plans;
    expect(plansA).toEqual(['only-in-a']);
    expect(plansB).toEqual([]);
  });

  it('refuses a module without the factory, naming the module and the factory', async () => {
    const file = join(scratch, 'no-factory.ts');
    writeFileSync(file, 'export const handler = async () => 1;\n');
    await expect(loadHandler(spec(file), depsOf({ store: new MemoryStore() }))).rejects.toThrow(
      /no-factory\.ts exports no createHandler\(deps\)/,
    );
  });

  it('refuses a factory that does not return a handler', async () => {
    const file = join(scratch, 'bad-factory.ts');
    writeFileSync(file, 'export const createHandler = () => 42;\nexport const handler = undefined;\n');
    await expect(loadHandler(spec(file), depsOf({ store: new MemoryStore() }))).rejects.toThrow(
      /createHandler\(deps\) did not return a handler/,
    );
  });
});

/**
 * The state machine definitions and serverless.yml, checked as what they are: one source of truth that
 * the local runtime and AWS both read. Every ASL file passes asl-validator and uses JSONPath only; every
 * Task names a function serverless.yml declares, whose handler module exists and exports the handler
 * and its factory (`createHandler(deps)`, which the local runtime builds it with);
 * every Task retries the transient errors; every provisioning step is caught into Rollback.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { factoryNameOf } from '../../src/stack/handlers.ts';
import { functionNameOfResource, readServerlessConfig } from '../../src/stack/serverless-config.ts';
import { keepVariantOf } from '../../src/workflow/keep-variant.ts';

const DIR = join(import.meta.dirname, '../../statemachines');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.asl.json'));
const config = readServerlessConfig();

interface State {
  Type: string;
  Resource?: unknown;
  Retry?: { ErrorEquals: string[]; BackoffRate?: number; JitterStrategy?: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Branches?: { States: Record<string, State> }[];
  ItemProcessor?: { States: Record<string, State> };
  QueryLanguage?: string;
  Assign?: unknown;
}

function allStates(states: Record<string, State>, into: [string, State][] = []): [string, State][] {
  for (const [name, state] of Object.entries(states)) {
    into.push([name, state]);
    for (const branch of state.Branches ?? []) allStates(branch.States, into);
    if (state.ItemProcessor) allStates(state.ItemProcessor.States, into);
  }
  return into;
}

const definitions = FILES.map((file) => ({
  file,
  definition: JSON.parse(readFileSync(join(DIR, file), 'utf8')) as {
    States: Record<string, State>;
    QueryLanguage?: string;
  },
}));

describe('state machine definitions', () => {
  it('are the three workflows and the rollback of stopped provisionings', () => {
    expect(FILES.sort()).toEqual([
      'provision.asl.json',
      'rollback.asl.json',
      'teardown.asl.json',
      'verify.asl.json',
    ]);
  });

  it.each(definitions)('$file passes asl-validator', ({ definition }) => {
    const result = aslValidator(definition);
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it.each(definitions)('$file uses JSONPath only (no JSONata, no Assign)', ({ definition }) => {
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    for (const [, state] of allStates(definition.States)) {
      expect(state.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
      expect(state.Assign).toBeUndefined();
    }
  });

  it.each(definitions)(
    '$file: every Task names a declared function by Fn::GetAtt and retries transient errors with backoff and jitter',
    ({ definition }) => {
      for (const [name, state] of allStates(definition.States)) {
        if (state.Type !== 'Task') continue;
        expect(state.Resource, name).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
        expect(
          config.functions.has(functionNameOfResource(state.Resource)),
          `${name} → ${JSON.stringify(state.Resource)}`,
        ).toBe(true);
        const transient = state.Retry?.find((r) => r.ErrorEquals.includes('Natflow.Transient'));
        expect(transient, name).toMatchObject({ JitterStrategy: 'FULL' });
        expect(transient?.BackoffRate ?? 1, name).toBeGreaterThan(1);
        expect(
          state.Retry?.some((r) => r.ErrorEquals.includes('Lambda.ServiceException')),
          name,
        ).toBe(true);
      }
    },
  );

  it('catches every provisioning step into Rollback, which ends in a Fail carrying the original error', () => {
    const provision = definitions.find((d) => d.file === 'provision.asl.json')?.definition;
    if (!provision) throw new Error('provision.asl.json is missing');
    for (const [name, state] of Object.entries(provision.States)) {
      if (state.Type !== 'Task' && state.Type !== 'Parallel') continue;
      if (['Rollback', 'RollbackGaveUp', 'PublishProvisioningFailed'].includes(name)) continue;
      expect(state.Catch?.[0], name).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'Rollback' });
    }
    expect(provision.States.ProvisioningFailed).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.rollback.error',
      CausePath: '$.rollback.cause',
    });
  });
});

describe('serverless.yml', () => {
  it('declares the five state machines from the ASL files, provision-keep as the keep variant of provision', () => {
    expect([...config.stateMachines.keys()].sort()).toEqual([
      'provision',
      'provision-keep',
      'rollback',
      'teardown',
      'verify',
    ]);
    for (const machine of config.stateMachines.values())
      expect(machine.definitionFile).toMatch(/statemachines\/\w+\.asl\.json$/);
    const keep = config.stateMachines.get('provision-keep');
    expect(keep?.keepVariantOf).toBe('provision');
    expect(keep?.name).toBe('natflow-provision-keep-dev');
    expect(keep?.definitionFile).toBe(config.stateMachines.get('provision')?.definitionFile);
    expect(keep?.definition).toEqual(keepVariantOf(config.stateMachines.get('provision')?.definition ?? {}));
  });

  it('builds the packaged provision-keep definition with the code the local stack runs (infra/keep-variant.cjs)', () => {
    // Prepare
    const packaged = createRequire(import.meta.url)('../../infra/keep-variant.cjs') as {
      provision: () => Record<string, unknown>;
    };
    // Act
    const definition = packaged.provision();
    // Assess
    expect(definition).toEqual(config.stateMachines.get('provision-keep')?.definition);
    expect(JSON.stringify(definition)).not.toContain('"Catch"');
  });

  it.each([...config.functions.values()].map((f) => ({ name: f.name, spec: f })))(
    'function $name: its handler module exists and exports the handler and its factory',
    async ({ spec }) => {
      const module = (await import(pathToFileURL(spec.module).href)) as Record<string, unknown>;
      expect(typeof module[spec.exportName]).toBe('function');
      expect(typeof module[factoryNameOf(spec.exportName)]).toBe('function');
    },
  );

  it('routes CrossVpcAccessRequested to provision (provision-keep for onFailure: keep) and TeardownRequested to teardown, with $.detail as input', () => {
    const rules = [...config.stateMachines.values()].flatMap((m) =>
      m.events.flatMap((e) => (e.eventBridge ? [{ workflow: m.key, ...e.eventBridge }] : [])),
    );
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          workflow: 'provision',
          inputPath: '$.detail',
          pattern: {
            source: ['natflow.requests'],
            'detail-type': ['CrossVpcAccessRequested'],
            detail: { onFailure: [{ exists: false }] },
          },
        }),
        expect.objectContaining({
          workflow: 'provision',
          inputPath: '$.detail',
          pattern: {
            source: ['natflow.requests'],
            'detail-type': ['CrossVpcAccessRequested'],
            detail: { onFailure: [{ 'anything-but': 'keep' }] },
          },
        }),
        expect.objectContaining({
          workflow: 'provision-keep',
          inputPath: '$.detail',
          pattern: {
            source: ['natflow.requests'],
            'detail-type': ['CrossVpcAccessRequested'],
            detail: { onFailure: ['keep'] },
          },
        }),
        expect.objectContaining({
          workflow: 'teardown',
          inputPath: '$.detail',
          pattern: { source: ['natflow.requests'], 'detail-type': ['TeardownRequested'] },
        }),
      ]),
    );
    const schedule = config.stateMachines.get('verify')?.events.find((e) => e.schedule)?.schedule;
    expect(schedule?.rate).toBe('rate(5 minutes)');
  });
});

/**
 * Reads `serverless.yml` — the one source of truth for which handler each Lambda function runs, which
 * ASL file each state machine executes, which HTTP routes exist and which EventBridge rules start which
 * workflow — so the local runtime binds exactly what AWS deploys, with nothing duplicated in code.
 *
 * CloudFormation tags (`!Ref`, `!GetAtt`, `!Sub`, …) are kept as `{Ref: …}`-style objects, and the
 * `${file(path)}` variables of state machine definitions are resolved relative to the file; other
 * Serverless variables are left as text (they matter only on AWS).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse, type Tags } from 'yaml';
import { keepVariantOf } from '../workflow/keep-variant.ts';

export interface FunctionSpec {
  name: string;
  /** `functions/create-networks.handler` */
  handler: string;
  /** Absolute path of the module and the export name. */
  module: string;
  exportName: string;
  http: { method: string; path: string }[];
}

export interface StateMachineSpec {
  /** The key in serverless.yml (`provision`), which is also the workflow's name in natflow's API. */
  key: string;
  /** The deployed name (`natflow-provision-dev`), used for ARNs. */
  name: string;
  /** The ASL file the definition comes from (provision's for `provision-keep`). */
  definitionFile: string;
  definition: Record<string, unknown>;
  /** The machine whose keep variant this one is (`provision` for `provision-keep`), if it is one. */
  keepVariantOf?: string;
  events: { eventBridge?: EventRuleSpec; schedule?: ScheduleSpec }[];
}

export interface EventRuleSpec {
  eventBusName?: string;
  pattern: Record<string, unknown>;
  /** JSONPath of the part of the event passed as the execution input (`$.detail`). */
  inputPath?: string;
}

export interface ScheduleSpec {
  rate: string;
  enabled: boolean;
  input?: unknown;
}

export interface ServerlessConfig {
  service: string;
  stage: string;
  root: string;
  functions: Map<string, FunctionSpec>;
  stateMachines: Map<string, StateMachineSpec>;
  raw: Record<string, unknown>;
}

const CFN_TAGS: Tags = [
  'Ref',
  'GetAtt',
  'Sub',
  'Join',
  'Select',
  'Split',
  'ImportValue',
  'If',
  'Equals',
  'Not',
  'FindInMap',
  'GetAZs',
  'Base64',
].flatMap((tag) => {
  const key = tag === 'Ref' ? 'Ref' : `Fn::${tag}`;
  const toJs = (value: unknown) => ({
    [key]: tag === 'GetAtt' && typeof value === 'string' ? value.split('.') : value,
  });
  return [
    { tag: `!${tag}`, resolve: (value: string) => toJs(value) },
    {
      tag: `!${tag}`,
      collection: 'seq' as const,
      resolve: (value: { toJSON(): unknown }) => toJs(value.toJSON()),
    },
    {
      tag: `!${tag}`,
      collection: 'map' as const,
      resolve: (value: { toJSON(): unknown }) => toJs(value.toJSON()),
    },
  ];
}) as Tags;

/** Parses serverless.yml (or another file of the same shape). */
export function readServerlessConfig(
  file = resolve(import.meta.dirname, '../../serverless.yml'),
): ServerlessConfig {
  const root = dirname(file);
  const raw = parse(readFileSync(file, 'utf8'), { customTags: CFN_TAGS }) as Record<string, unknown>;
  const stage = 'dev';
  const functions = new Map<string, FunctionSpec>();
  for (const [name, spec] of Object.entries(
    (raw.functions ?? {}) as Record<string, Record<string, unknown>>,
  )) {
    const handler = String(spec.handler);
    const dot = handler.lastIndexOf('.');
    const http = ((spec.events ?? []) as Record<string, unknown>[])
      .map((event) => event.http as { method?: string; path?: string } | undefined)
      .filter((event): event is { method: string; path: string } => Boolean(event?.method && event.path))
      .map((event) => ({ method: event.method.toUpperCase(), path: `/${event.path.replace(/^\//, '')}` }));
    functions.set(name, {
      name,
      handler,
      module: resolve(root, `${handler.slice(0, dot)}.ts`),
      exportName: handler.slice(dot + 1),
      http,
    });
  }
  const stateMachines = new Map<string, StateMachineSpec>();
  const machines = ((raw.stepFunctions as Record<string, unknown> | undefined)?.stateMachines ??
    {}) as Record<string, Record<string, unknown>>;
  // Keep variants (`${file(infra/keep-variant.cjs):provision}`) after the machines they derive from.
  const entries = Object.entries(machines).sort(
    ([, a], [, b]) =>
      Number(keepSourceOf(a.definition) !== undefined) - Number(keepSourceOf(b.definition) !== undefined),
  );
  for (const [key, spec] of entries) {
    const definitionRef = String(spec.definition);
    const source = keepSourceOf(spec.definition);
    const match = /^\$\{file\(([^)]+\.json)\)\}$/.exec(definitionRef);
    const from = source === undefined ? undefined : stateMachines.get(source);
    if (source !== undefined && !from)
      throw new Error(
        `serverless.yml: state machine ${key} is the keep variant of ${source}, which is missing`,
      );
    if (!from && !match?.[1])
      throw new Error(`serverless.yml: state machine ${key} must take its definition from \${file(…)}`);
    const definitionFile = from ? from.definitionFile : resolve(root, match?.[1] ?? '');
    // Serverless variables in the name (`natflow-provision-${sls:stage}`): the stage is the only one used.
    const name = String(spec.name ?? key).replace(/\$\{(?:sls:stage|self:provider\.stage)\}/g, stage);
    stateMachines.set(key, {
      key,
      name,
      definitionFile,
      // A keep variant is derived here as infra/keep-variant.cjs derives it at package time.
      definition: from
        ? keepVariantOf(from.definition)
        : (JSON.parse(readFileSync(definitionFile, 'utf8')) as Record<string, unknown>),
      ...(source !== undefined ? { keepVariantOf: source } : {}),
      events: ((spec.events ?? []) as Record<string, unknown>[]).map((event) => {
        const result: { eventBridge?: EventRuleSpec; schedule?: ScheduleSpec } = {};
        const eb = event.eventBridge as Record<string, unknown> | undefined;
        if (eb) {
          result.eventBridge = {
            pattern: (eb.event ?? eb.pattern ?? {}) as Record<string, unknown>,
            ...(typeof eb.inputPath === 'string' ? { inputPath: eb.inputPath } : {}),
            ...(typeof eb.eventBusName === 'string' ? { eventBusName: eb.eventBusName } : {}),
          };
        }
        const schedule = event.schedule as Record<string, unknown> | string | undefined;
        if (schedule) {
          result.schedule =
            typeof schedule === 'string'
              ? { rate: schedule, enabled: true }
              : { rate: String(schedule.rate), enabled: schedule.enabled !== false, input: schedule.input };
        }
        return result;
      }),
    });
  }
  return { service: String(raw.service), stage, root, functions, stateMachines, raw };
}

/** `${file(infra/keep-variant.cjs):provision}` → `provision`: the machine a keep variant derives from. */
export function keepSourceOf(definition: unknown): string | undefined {
  const match = /^\$\{file\((?:\.\/)?infra\/keep-variant\.cjs\):([A-Za-z0-9_-]+)\}$/.exec(String(definition));
  return match?.[1];
}

/** The function a Task state's `Resource` names: `{"Fn::GetAtt": ["fn", "Arn"]}` or a Lambda ARN. */
export function functionNameOfResource(resource: unknown): string {
  if (resource && typeof resource === 'object' && 'Fn::GetAtt' in resource) {
    const [logicalId] = (resource as { 'Fn::GetAtt': unknown[] })['Fn::GetAtt'];
    return String(logicalId);
  }
  if (typeof resource === 'string') {
    const match = /:function:([^:]+)/.exec(resource);
    if (match?.[1]) return match[1].replace(/^natflow-[a-z0-9]+-/, '');
  }
  throw new Error(`cannot tell which function Task resource ${JSON.stringify(resource)} names`);
}

/**
 * `osls package` builds the CloudFormation template offline, with no AWS credentials, and the template
 * holds the whole stack: the three state machines (logging ALL with execution data, X-Ray tracing), every
 * API route behind AWS_IAM, the EventBridge bus and its rules (InputPath $.detail), the verify schedule,
 * the table, and one least-privilege role per function with no `*` action anywhere.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../src/api/routes.ts';
import { readServerlessConfig } from '../../src/runtime/serverless-config.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: unknown };
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const ROOT = resolve(import.meta.dirname, '../..');
const config = readServerlessConfig();
let outDir: string;
let resources: Record<string, Resource>;

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'natflow-package-'));
  // No credentials and no profile: packaging must not need an AWS account.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  await promisify(execFile)(
    join(ROOT, 'node_modules/.bin/osls'),
    ['package', '--stage', 'dev', '--package', outDir],
    { cwd: ROOT, env: { ...env, AWS_SDK_LOAD_CONFIG: '0', HOME: outDir }, maxBuffer: 16 * 1024 * 1024 },
  );
  const template = JSON.parse(
    readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as {
    Resources: Record<string, Resource>;
  };
  resources = template.Resources;
}, 300_000);

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('the packaged CloudFormation template', () => {
  it.each(['Provision', 'Verify', 'Teardown'])(
    'has the %s state machine, logging ALL with execution data and traced',
    (name) => {
      const machine = resources[`${name}StateMachine`];
      expect(machine?.Type).toBe('AWS::StepFunctions::StateMachine');
      expect(machine?.Properties.LoggingConfiguration).toEqual({
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [
          {
            CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [`${name}StateMachineLogGroup`, 'Arn'] } },
          },
        ],
      });
      expect(machine?.Properties.TracingConfiguration).toEqual({ Enabled: true });
      expect(resources[`${name}StateMachineLogGroup`]?.Type).toBe('AWS::Logs::LogGroup');
    },
  );

  it('puts every API route behind AWS_IAM, integrated with its own function', () => {
    const methods = ofType('AWS::ApiGateway::Method').map(([, r]) => r.Properties);
    expect(methods).toHaveLength(API_ROUTES.length);
    for (const method of methods) {
      expect(method.AuthorizationType).toBe('AWS_IAM');
      expect((method.Integration as { Type: string }).Type).toBe('AWS_PROXY');
    }
    expect(methods.map((m) => m.HttpMethod).sort()).toEqual(API_ROUTES.map((r) => r.method).sort());
    const paths = ofType('AWS::ApiGateway::Resource').map(([, r]) => r.Properties.PathPart);
    expect(paths).toEqual(
      expect.arrayContaining([
        'plans',
        'validate',
        'executions',
        '{id}',
        'history',
        'stop',
        'dnat',
        'evaluate',
        'probes',
        'resources',
        'health',
        'openapi.json',
      ]),
    );
  });

  it.each([
    { machine: 'ProvisionStateMachine', detailType: 'CrossVpcAccessRequested' },
    { machine: 'TeardownStateMachine', detailType: 'TeardownRequested' },
  ])(
    'routes $detailType on the natflow bus to $machine with InputPath $.detail',
    ({ machine, detailType }) => {
      const rules = ofType('AWS::Events::Rule').filter(
        ([, r]) => (r.Properties.Targets as { Arn: unknown }[])[0]?.Arn !== undefined,
      );
      const rule = rules.find(([, r]) =>
        JSON.stringify(r.Properties.EventPattern ?? {}).includes(detailType),
      );
      expect(rule).toBeDefined();
      const properties = rule?.[1].Properties as {
        EventBusName: unknown;
        EventPattern: unknown;
        Targets: { Arn: unknown; InputPath: string }[];
      };
      expect(properties.EventBusName).toEqual({ Ref: 'NatflowBus' });
      expect(properties.EventPattern).toEqual({ source: ['natflow.requests'], 'detail-type': [detailType] });
      expect(properties.Targets).toEqual([
        expect.objectContaining({ Arn: { Ref: machine }, InputPath: '$.detail' }),
      ]);
    },
  );

  it('runs verify on a schedule', () => {
    const schedules = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression);
    expect(schedules).toHaveLength(1);
    expect(schedules[0]?.[1].Properties).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [expect.objectContaining({ Arn: { Ref: 'VerifyStateMachine' } })],
    });
  });

  it('creates the table and the bus natflow', () => {
    expect(resources.NatflowTable?.Type).toBe('AWS::DynamoDB::Table');
    expect(resources.NatflowBus).toEqual({ Type: 'AWS::Events::EventBus', Properties: { Name: 'natflow' } });
  });

  it('runs every function under its own role, and no shared role exists', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions).toHaveLength(config.functions.size);
    const roles = new Set<string>();
    for (const [id, fn] of functions) {
      const role = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      expect(role, id).toBe(id.replace(/LambdaFunction$/, 'Role'));
      roles.add(role);
    }
    expect(roles.size).toBe(functions.length);
    expect(resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it('has no IAM statement with a * action', () => {
    const statements: { role: string; statement: Statement }[] = [];
    for (const [id, role] of ofType('AWS::IAM::Role')) {
      for (const policy of (role.Properties.Policies ?? []) as {
        PolicyDocument: { Statement: Statement[] };
      }[]) {
        for (const statement of policy.PolicyDocument.Statement) statements.push({ role: id, statement });
      }
    }
    expect(statements.length).toBeGreaterThan(config.functions.size);
    for (const { role, statement } of statements) {
      for (const action of [statement.Action].flat()) expect(action, role).not.toMatch(/^\*$|:\*$/);
    }
  });

  it('grants the table only on the table and its indexes, Step Functions only on the three machines, PutEvents only on the bus', () => {
    for (const [id, role] of ofType('AWS::IAM::Role').filter(([id]) => !id.endsWith('StateMachineRole'))) {
      for (const policy of (role.Properties.Policies ?? []) as {
        PolicyDocument: { Statement: Statement[] };
      }[]) {
        for (const statement of policy.PolicyDocument.Statement) {
          const actions = [statement.Action].flat();
          const resource = JSON.stringify(statement.Resource);
          if (actions.some((a) => a.startsWith('dynamodb:')))
            expect(resource, id).toMatch(
              /^\[\{"Fn::GetAtt":\["NatflowTable","Arn"\]\},\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["NatflowTable","Arn"\]\},"\/index\/\*"\]\]\}\]$/,
            );
          if (actions.some((a) => a.startsWith('events:')))
            expect(resource, id).toBe('[{"Fn::GetAtt":["NatflowBus","Arn"]}]');
          if (actions.some((a) => a.startsWith('states:'))) {
            expect(resource, id).not.toContain('"*"');
            expect(resource, id).toMatch(/(Provision|Verify|Teardown)StateMachine/);
          }
        }
      }
    }
    const start = resources.ApiStartExecutionRole?.Properties.Policies as {
      PolicyDocument: { Statement: Statement[] };
    }[];
    const actions = start[0]?.PolicyDocument.Statement.flatMap((s) => [s.Action].flat());
    expect(actions).toContain('states:StartExecution');
    expect(actions).not.toContain('dynamodb:PutItem');
  });

  it('bundles every function under 1 MB minified', () => {
    for (const name of config.functions.keys()) {
      const entries = zipEntries(readFileSync(join(outDir, `${name}.zip`)));
      const code = entries.filter((e) => e.name.endsWith('.mjs'));
      expect(code, name).toHaveLength(1);
      expect(code[0]?.size, name).toBeLessThan(1024 * 1024);
    }
  });
});

/** The entries of a zip file (name and uncompressed size), from its central directory. */
function zipEntries(zip: Buffer): { name: string; size: number }[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: { name: string; size: number }[] = [];
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    entries.push({
      size: zip.readUInt32LE(offset + 24),
      name: zip.toString('utf8', offset + 46, offset + 46 + nameLength),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * `osls package` builds the CloudFormation template offline, with no AWS credentials, and the template
 * holds the whole stack: the state machines (logging ALL with execution data, X-Ray tracing), every API
 * route behind AWS_IAM with access logs, the EventBridge bus natflow-<stage> and its rules (InputPath
 * $.detail, a retry policy and the stage's dead-letter queue on every target), the verify schedule, the
 * retained table (created, or adopted on a redeploy), and one least-privilege role per function with no
 * `*` action anywhere. Two stages package side by side with no account-unique name in common. Packaged
 * once per run and stage (test/helpers/packaged.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../src/api/routes.ts';
import { readServerlessConfig } from '../../src/stack/serverless-config.ts';
import { keepVariantOf } from '../../src/workflow/keep-variant.ts';
import {
  type CfnResource,
  PACKAGE_TIMEOUT_MS,
  type Packaged,
  packaged,
  zipEntries,
} from '../helpers/packaged.ts';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const config = readServerlessConfig();
const iam = createRequire(import.meta.url)('../../infra/iam.cjs') as {
  cloudDriving: () => string[];
  logicalName: (name: string) => string;
};
const MiB = 1024 * 1024;
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not JavaScript's
const TABLE_ARN = 'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/natflow-dev';
let dev: Packaged;
let prod: Packaged;
let outDir: string;
let resources: Record<string, CfnResource>;

const ofType = (type: string, of: Record<string, CfnResource> = resources) =>
  Object.entries(of).filter(([, r]) => r.Type === type);

beforeAll(async () => {
  dev = await packaged({ stage: 'dev' });
  // The second stage, deployed again after a remove: it adopts its retained table.
  prod = await packaged({ stage: 'prod', params: { table: 'adopt' } });
  outDir = dev.dir;
  resources = dev.template.Resources;
}, 2 * PACKAGE_TIMEOUT_MS);

describe('the packaged CloudFormation template', () => {
  it.each(['Provision', 'ProvisionKeep', 'Verify', 'Teardown', 'Rollback'])(
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
    {
      machine: 'ProvisionStateMachine',
      detailType: 'CrossVpcAccessRequested',
      detail: { onFailure: [{ exists: false }] },
    },
    {
      machine: 'ProvisionStateMachine',
      detailType: 'CrossVpcAccessRequested',
      detail: { onFailure: [{ 'anything-but': 'keep' }] },
    },
    {
      machine: 'ProvisionKeepStateMachine',
      detailType: 'CrossVpcAccessRequested',
      detail: { onFailure: ['keep'] },
    },
    { machine: 'TeardownStateMachine', detailType: 'TeardownRequested', detail: undefined },
  ])(
    'routes $detailType on the natflow bus to $machine with InputPath $.detail ($detail)',
    ({ machine, detailType, detail }) => {
      const pattern = {
        source: ['natflow.requests'],
        'detail-type': [detailType],
        ...(detail ? { detail } : {}),
      };
      const rules = ofType('AWS::Events::Rule').filter(
        ([, r]) => (r.Properties.Targets as { Arn: unknown }[])[0]?.Arn !== undefined,
      );
      const matching = rules.filter(
        ([, r]) => JSON.stringify(r.Properties.EventPattern) === JSON.stringify(pattern),
      );
      expect(matching).toHaveLength(1);
      const properties = matching[0]?.[1].Properties as {
        EventBusName: unknown;
        EventPattern: unknown;
        Targets: { Arn: unknown; InputPath: string }[];
      };
      expect(properties.EventBusName).toEqual({ Ref: 'NatflowBus' });
      expect(properties.Targets).toEqual([
        expect.objectContaining({ Arn: { Ref: machine }, InputPath: '$.detail' }),
      ]);
    },
  );

  it('starts the rollback state machine for provisionings ended ABORTED or TIMED_OUT, from the default bus', () => {
    // Prepare
    const found = ofType('AWS::Events::Rule').find(([, r]) =>
      JSON.stringify(r.Properties.EventPattern ?? {}).includes('aws.states'),
    );
    expect(found).toBeDefined();
    const [, rule] = found as [string, CfnResource];
    // Assess: the status-change event of the provision machine only, on the account's default bus.
    expect(rule.Properties.EventBusName).toBeUndefined();
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        status: ['ABORTED', 'TIMED_OUT'],
        stateMachineArn: [{ Ref: 'ProvisionStateMachine' }, { Ref: 'ProvisionKeepStateMachine' }],
      },
    });
    const [target] = rule.Properties.Targets as {
      Arn: unknown;
      InputPath: string;
      RoleArn: { 'Fn::GetAtt': string[] };
    }[];
    expect(target).toMatchObject({ Arn: { Ref: 'RollbackStateMachine' }, InputPath: '$.detail' });
    // Least privilege: the rule's role starts only the rollback machine, which invokes only the rollback function.
    type Policies = { PolicyDocument: { Statement: Statement[] } }[];
    const statementsOf = (role: CfnResource | undefined) =>
      ((role?.Properties.Policies ?? []) as Policies).flatMap((p) => p.PolicyDocument.Statement);
    const ruleRole = resources[target?.RoleArn['Fn::GetAtt'][0] ?? ''];
    expect(statementsOf(ruleRole)).toEqual([
      { Effect: 'Allow', Action: ['states:StartExecution'], Resource: { Ref: 'RollbackStateMachine' } },
    ]);
    const machine = resources.RollbackStateMachine;
    const roleArn = machine?.Properties.RoleArn as { 'Fn::GetAtt': string[] } | undefined;
    const invoke = statementsOf(resources[roleArn?.['Fn::GetAtt'][0] ?? '']).filter((st) =>
      [st.Action].flat().includes('lambda:InvokeFunction'),
    );
    expect(invoke.length).toBeGreaterThan(0);
    expect(JSON.stringify(invoke.map((st) => st.Resource))).toMatch(/RollbackLambdaFunction/);
    expect(JSON.stringify(invoke.map((st) => st.Resource))).not.toMatch(
      /(ValidatePlan|CreateNetworks|AddDnatRules)LambdaFunction/,
    );
    expect(machine?.Properties.StateMachineName).toBe('natflow-rollback-dev');
  });

  it('gives the provision, provision-keep and rollback state machines a TimeoutSeconds', () => {
    for (const id of ['ProvisionStateMachine', 'ProvisionKeepStateMachine', 'RollbackStateMachine']) {
      const definition = JSON.stringify(resources[id]?.Properties.DefinitionString);
      expect(definition, id).toMatch(/\\"TimeoutSeconds\\": 3600/);
    }
  });

  it('deploys provision-keep: the provision definition without its Catch edges, generated from the same file', () => {
    // Prepare: the packaged definitions, with the Fn::Sub placeholders of their Lambda ARNs named back
    const definitionOf = (id: string) => {
      const [text, variables] = (
        (resources[id] as CfnResource).Properties.DefinitionString as {
          'Fn::Sub': [string, Record<string, unknown>];
        }
      )['Fn::Sub'];
      const named = text.replace(/\$\{([0-9a-f]{32})\}/g, (_, key: string) =>
        JSON.stringify(variables[key]).replace(/"/g, "'"),
      );
      return JSON.parse(named) as Record<string, unknown>;
    };
    const provision = definitionOf('ProvisionStateMachine');
    const keep = definitionOf('ProvisionKeepStateMachine');
    // Assess
    expect(resources.ProvisionKeepStateMachine?.Properties.StateMachineName).toBe(
      'natflow-provision-keep-dev',
    );
    expect(keep).toEqual(keepVariantOf(provision));
    expect(JSON.stringify(keep)).not.toContain('"Catch"');
    expect(Object.keys(keep.States as object)).not.toContain('Rollback');
    // Its role invokes the functions its states name, and not the rollback that only a Catch reached.
    const roleId = (
      (resources.ProvisionKeepStateMachine as CfnResource).Properties.RoleArn as { 'Fn::GetAtt': string[] }
    )['Fn::GetAtt'][0];
    const invoked = JSON.stringify(resources[roleId ?? '']?.Properties.Policies);
    expect(invoked).toMatch(/ValidatePlanLambdaFunction/);
    expect(invoked).toMatch(/AddDnatRulesLambdaFunction/);
    expect(invoked).not.toMatch(/"RollbackLambdaFunction"/);
    // The API finds it by its ARN.
    for (const [id, fn] of ofType('AWS::Lambda::Function').filter(([id]) => /Execution/.test(id))) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, { 'Fn::Sub'?: string }> })
        .Variables;
      expect(variables.NATFLOW_STATE_MACHINE_ARNS?.['Fn::Sub'], id).toContain(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
        '"provision-keep":"${ProvisionKeepStateMachine}"',
      );
    }
  });

  it('lets each execution route act on provision-keep as on provision, and redrive only what may be redriven', () => {
    const statementsOf = (role: string) =>
      (
        (resources[role] as CfnResource).Properties.Policies as {
          PolicyDocument: { Statement: Statement[] };
        }[]
      ).flatMap((p) => p.PolicyDocument.Statement);
    const resourcesFor = (role: string, action: string) =>
      JSON.stringify(
        statementsOf(role)
          .filter((st) => [st.Action].flat().includes(action))
          .map((st) => st.Resource),
      );
    for (const [role, action] of [
      ['ApiStartExecutionRole', 'states:StartExecution'],
      ['ApiListExecutionsRole', 'states:ListExecutions'],
      ['ApiDescribeExecutionRole', 'states:DescribeExecution'],
      ['ApiGetExecutionHistoryRole', 'states:GetExecutionHistory'],
      ['ApiStopExecutionRole', 'states:StopExecution'],
      ['ApiRedriveExecutionRole', 'states:DescribeExecution'],
      ['ApiRollbackExecutionRole', 'states:DescribeExecution'],
    ] as const) {
      const granted = resourcesFor(role, action);
      expect(granted, `${role} ${action}`).toMatch(/ProvisionKeepStateMachine/);
      expect(granted, `${role} ${action}`).toMatch(/"ProvisionStateMachine|\{ProvisionStateMachine/);
    }
    const redrive = resourcesFor('ApiRedriveExecutionRole', 'states:RedriveExecution');
    expect(redrive).toMatch(/ProvisionKeepStateMachine/);
    expect(redrive).not.toMatch(/\{ProvisionStateMachine\.Name\}/);
    // Only the rollback route starts the rollback machine; no route starts what it does not serve.
    expect(resourcesFor('ApiRollbackExecutionRole', 'states:StartExecution')).toBe(
      JSON.stringify([[{ Ref: 'RollbackStateMachine' }]]),
    );
    expect(resourcesFor('ApiStartExecutionRole', 'states:StartExecution')).not.toMatch(
      /RollbackStateMachine/,
    );
    // Read-only routes write nothing.
    for (const role of ['ApiListExecutionsRole', 'ApiDescribeExecutionRole', 'ApiStopExecutionRole'])
      expect(JSON.stringify(statementsOf(role)), role).not.toMatch(/dynamodb:/);
  });

  it('runs verify on a schedule', () => {
    const schedules = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression);
    expect(schedules).toHaveLength(1);
    expect(schedules[0]?.[1].Properties).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [expect.objectContaining({ Arn: { Ref: 'VerifyStateMachine' } })],
    });
  });

  it('creates the retained table natflow-<stage> unless told to adopt it, and the bus natflow-<stage>', () => {
    const table = resources.NatflowTable;
    expect(table).toMatchObject({
      Type: 'AWS::DynamoDB::Table',
      Condition: 'CreateNatflowTable',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: expect.objectContaining({ TableName: 'natflow-dev' }),
    });
    expect(dev.template.Conditions?.CreateNatflowTable).toEqual({
      'Fn::Equals': [{ Ref: 'NatflowTableMode' }, 'create'],
    });
    expect(dev.template.Parameters?.NatflowTableMode).toMatchObject({
      Default: 'create',
      AllowedValues: ['create', 'adopt'],
    });
    expect(resources.NatflowBus).toEqual({
      Type: 'AWS::Events::EventBus',
      Properties: { Name: 'natflow-dev' },
    });
    // Functions find the table and the bus by the stage's names.
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.NATFLOW_TABLE, id).toBe('natflow-dev');
      expect(variables.NATFLOW_EVENT_BUS, id).toEqual({ Ref: 'NatflowBus' });
    }
  });

  it('refers to the table only by name, so a stack that adopted it is the same stack', () => {
    const { NatflowTable: _table, ...others } = resources;
    const text = JSON.stringify({ others, outputs: dev.template.Outputs });
    expect(text).not.toMatch(/"Ref":"NatflowTable"|"NatflowTable","Arn"|NatflowTable\.Arn/);
    expect(text).toContain(':table/natflow-dev');
  });

  it("registers DriftDetected's schema in the stage's EventBridge schema registry", () => {
    const [[, registry] = []] = ofType('AWS::EventSchemas::Registry');
    const schemas = ofType('AWS::EventSchemas::Schema').map(([, r]) => r.Properties);
    expect(registry?.Properties.RegistryName).toBe('natflow-dev');
    expect(schemas).toEqual([
      expect.objectContaining({
        RegistryName: { 'Fn::GetAtt': ['NatflowEventSchemaRegistry', 'RegistryName'] },
        SchemaName: 'natflow@DriftDetected',
        Type: 'JSONSchemaDraft4',
      }),
    ]);
    expect(JSON.parse(String(schemas[0]?.Content))).toMatchObject({
      properties: { 'detail-type': { enum: ['DriftDetected'] }, source: { enum: ['natflow'] } },
    });
  });

  it('packages a second stage whose account-unique names all differ, adopting its retained table', () => {
    const names = (p: Packaged) => {
      const found = new Map<string, string>();
      for (const [id, r] of Object.entries(p.template.Resources)) {
        for (const key of [
          'Name',
          'TableName',
          'QueueName',
          'LogGroupName',
          'FunctionName',
          'StateMachineName',
          'RegistryName',
        ]) {
          const value = r.Properties?.[key];
          if (typeof value === 'string') found.set(`${id}.${key}`, value);
        }
      }
      return found;
    };
    const devNames = names(dev);
    const prodNames = names(prod);
    expect(devNames.size).toBeGreaterThan(config.functions.size + 5);
    expect([...prodNames.keys()].sort()).toEqual([...devNames.keys()].sort());
    const taken = new Set(devNames.values());
    for (const [where, name] of prodNames) {
      expect(taken.has(name), `${where} = ${name}`).toBe(false);
      expect(name.toLowerCase(), where).toContain('prod');
    }
    expect(prod.state.service.provider.stackParameters).toEqual([
      { ParameterKey: 'NatflowTableMode', ParameterValue: 'adopt' },
    ]);
    expect(dev.state.service.provider.stackParameters).toEqual([
      { ParameterKey: 'NatflowTableMode', ParameterValue: 'create' },
    ]);
  });

  it('retries every rule target that starts a state machine, then parks the event in the stage dead-letter queue', () => {
    const machines = new Set(ofType('AWS::StepFunctions::StateMachine').map(([id]) => id));
    const targets = ofType('AWS::Events::Rule').flatMap(([id, r]) =>
      (r.Properties.Targets as { Arn: { Ref?: string }; RetryPolicy?: unknown; DeadLetterConfig?: unknown }[])
        .filter((t) => machines.has(t.Arn.Ref ?? ''))
        .map((t) => ({ id, ...t })),
    );
    expect(targets.length).toBeGreaterThanOrEqual(4);
    for (const target of targets) {
      expect(target.RetryPolicy, target.id).toEqual({
        MaximumEventAgeInSeconds: 3600,
        MaximumRetryAttempts: 10,
      });
      expect(target.DeadLetterConfig, target.id).toEqual({
        Arn: { 'Fn::GetAtt': ['NatflowEventsDeadLetterQueue', 'Arn'] },
      });
    }
    expect(resources.NatflowEventsDeadLetterQueue?.Properties).toMatchObject({
      QueueName: 'natflow-events-dlq-dev',
      SqsManagedSseEnabled: true,
    });
    // Only these rules may send to it.
    const policy = resources.NatflowEventsDeadLetterQueuePolicy?.Properties.PolicyDocument as {
      Statement: {
        Principal: unknown;
        Action: string;
        Condition: { ArnEquals: { 'aws:SourceArn': unknown[] } };
      }[];
    };
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0]?.Principal).toEqual({ Service: 'events.amazonaws.com' });
    expect(policy.Statement[0]?.Action).toBe('sqs:SendMessage');
    expect(policy.Statement[0]?.Condition.ArnEquals['aws:SourceArn']).toEqual(
      expect.arrayContaining(
        [...new Set(targets.map((t) => t.id))].map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
      ),
    );
  });

  it('writes API Gateway access logs and error execution logs to the stage log group', () => {
    expect(resources.ApiGatewayLogGroup?.Properties).toMatchObject({
      LogGroupName: '/aws/api-gateway/natflow-dev',
      RetentionInDays: 30,
    });
    // osls applies the stage's log settings at deploy time from the resolved configuration.
    const restApi = (dev.state.service.provider.logs as { restApi: Record<string, unknown> }).restApi;
    expect(restApi).toMatchObject({
      accessLogging: true,
      executionLogging: true,
      level: 'ERROR',
      fullExecutionData: false,
    });
    expect(JSON.parse(String(restApi.format))).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
    });
  });

  it('gives every log group an explicit deletion policy', () => {
    for (const [id, group] of ofType('AWS::Logs::LogGroup')) {
      expect(group.DeletionPolicy, id).toBe('Delete');
      expect(group.UpdateReplacePolicy, id).toBe('Delete');
    }
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

  it("grants the table only on the table and its indexes, Step Functions only on natflow's machines, PutEvents only on the bus", () => {
    for (const [id, role] of ofType('AWS::IAM::Role').filter(([id]) => !id.endsWith('StateMachineRole'))) {
      for (const policy of (role.Properties.Policies ?? []) as {
        PolicyDocument: { Statement: Statement[] };
      }[]) {
        for (const statement of policy.PolicyDocument.Statement) {
          const actions = [statement.Action].flat();
          const resource = JSON.stringify(statement.Resource);
          if (actions.some((a) => a.startsWith('dynamodb:')))
            expect(resource, id).toBe(
              JSON.stringify([{ 'Fn::Sub': TABLE_ARN }, { 'Fn::Sub': `${TABLE_ARN}/index/*` }]),
            );
          if (actions.some((a) => a.startsWith('events:')))
            expect(resource, id).toBe('[{"Fn::GetAtt":["NatflowBus","Arn"]}]');
          if (actions.some((a) => a.startsWith('states:'))) {
            expect(resource, id).not.toContain('"*"');
            expect(resource, id).toMatch(/(Provision|ProvisionKeep|Verify|Teardown|Rollback)StateMachine/);
          }
        }
      }
    }
    const actionsOf = (role: string) =>
      ((resources[role]?.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[])
        .flatMap((p) => p.PolicyDocument.Statement)
        .flatMap((s) => [s.Action].flat());
    // Starting an execution dry-runs its plan on the plan's cloud, whose refresh writes natflow's model.
    expect(actionsOf('ApiStartExecutionRole')).toEqual(
      expect.arrayContaining(['states:StartExecution', 'dynamodb:PutItem']),
    );
    expect(actionsOf('ValidatePlanRole')).toContain('dynamodb:PutItem');
    // A read stays a read.
    expect(actionsOf('ApiListResourcesRole')).not.toContain('dynamodb:PutItem');
    expect(actionsOf('ApiListResourcesRole')).toContain('dynamodb:Query');
  });

  // The functions that drive a cloud (the 'cloud' grant of infra/iam.cjs) carry the providers, the
  // Huawei Cloud SDK core among them (its axios, lodash and moment-timezone are CommonJS, which esbuild
  // cannot tree-shake): at most 2 MiB. Every other bundle has the providers stubbed out
  // (infra/esbuild-plugins.cjs): at most 1 MiB (docs/decisions.md, "Small bundles").
  it('bundles each function in at most 1 MiB minified, 2 MiB where it drives a cloud, without node:sqlite', () => {
    const driving = new Set(iam.cloudDriving());
    expect(driving.size).toBeGreaterThan(0);
    const sizes: string[] = [];
    for (const name of config.functions.keys()) {
      const entries = zipEntries(readFileSync(join(outDir, `${name}.zip`)));
      const code = entries.filter((e) => e.name.endsWith('.mjs'));
      expect(code, name).toHaveLength(1);
      const bound = driving.has(name) ? 2 * MiB : MiB;
      expect(code[0]?.size, name).toBeLessThanOrEqual(bound);
      const text = code[0]?.content().toString('utf8') ?? '';
      expect(text.length, name).toBe(code[0]?.size);
      expect(text, name).not.toContain('node:sqlite');
      // The Huawei Cloud SDK (its request signer) is where a cloud is driven, and nowhere else.
      expect(text.includes('SDK-HMAC-SHA256'), name).toBe(driving.has(name));
      sizes.push(`${name} ${code[0]?.size}`);
    }
    expect(sizes).toHaveLength(config.functions.size);
  });

  it('lets exactly the functions that drive a cloud read the Huawei Cloud secret, and only that secret', () => {
    const policy = resources.HuaweiCloudSecretPolicy as CfnResource;
    expect(policy.Condition).toBe('HasHuaweiCloudSecret');
    const attached = (policy.Properties.Roles as { Ref: string }[]).map((role) => role.Ref).sort();
    expect(attached).toEqual(
      iam
        .cloudDriving()
        .map((name) => `${iam.logicalName(name)}Role`)
        .sort(),
    );
    // The workflow steps that call the cloud and the API routes that dry-run a plan on it; no other.
    expect(attached).toContain('CreateNetworksRole');
    expect(attached).toContain('RollbackRole');
    expect(attached).toContain('ApiStartExecutionRole');
    expect(attached).toContain('ApiValidatePlanRole');
    expect(attached).not.toContain('ApiListResourcesRole');
    expect(attached).not.toContain('CompleteProvisioningRole');
    const statements = (policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement;
    expect(statements[0]).toEqual({
      Sid: 'ReadHuaweiCloudSecret',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: [{ Ref: 'HuaweiCloudSecretArn' }],
    });
    for (const [id, role] of ofType('AWS::IAM::Role'))
      expect(JSON.stringify(role.Properties), id).not.toContain('secretsmanager');
  });
});

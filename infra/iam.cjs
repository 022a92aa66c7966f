/**
 * One least-privilege IAM role per Lambda function (serverless.yml gives each function `role:
 * <Function>Role`). Every role may write its own function's log group and X-Ray traces; beyond that it
 * gets exactly the grants ACCESS lists:
 *
 * - tableRead:  dynamodb:GetItem, BatchGetItem (consistent reads of referrers), Query on the natflow
 *               table and its indexes
 * - tableWrite: tableRead + PutItem, UpdateItem, DeleteItem, ConditionCheckItem (TransactWriteItems is
 *               authorised action by action)
 * - events:     events:PutEvents on the natflow bus only
 * - startExecution / listExecutions: on the four state machines the API starts (provision,
 *   provision-keep, verify, teardown) only; startRollback: on the rollback machine only
 * - describeExecution / executionHistory / stopExecution: on those machines' executions only;
 *   describeRollback on the rollback machine's; redriveExecution on those of provision-keep, verify and
 *   teardown (a provision failure has rolled back: natflow refuses to redrive it)
 * - cloud:      the function drives a cloud through the provider registry (src/providers/registry.ts):
 *               on huaweicloud it reads the Huawei Cloud AK/SK secret (HuaweiCloudSecretPolicy, made
 *               here for the roles with this grant, when the stack names a secret), and only its bundle
 *               carries the providers: every other bundle has them stubbed out (infra/esbuild-plugins.cjs),
 *               as a function that may not read the secret cannot drive the real cloud.
 *
 * No statement has a `*` action; only X-Ray, which has no resource-level permissions, takes resource `*`.
 * ARNs are built with Fn::Join and pseudo parameters (no ${aws:accountId}), so packaging needs no
 * credentials. osls loads this file through ${file(infra/iam.cjs)}.
 */
'use strict';

const ACCESS = {
  // provision workflow steps
  // Its dry run on a real cloud first re-imports the account's resources the plan references into
  // natflow's model (src/providers/huaweicloud/model-refresh.ts): a write.
  validatePlan: ['tableWrite', 'cloud'],
  createNetworks: ['tableWrite', 'cloud'],
  createServers: ['tableWrite', 'cloud'],
  createBackendGroups: ['tableWrite', 'cloud'],
  createLoadBalancers: ['tableWrite', 'cloud'],
  assignTransitIps: ['tableWrite', 'cloud'],
  createGateways: ['tableWrite', 'cloud'],
  checkActive: ['tableWrite', 'cloud'],
  addDnatRules: ['tableWrite', 'cloud'],
  addSnatRules: ['tableWrite', 'cloud'],
  evaluateTranslation: ['tableRead'],
  verifyConnectivity: ['tableRead', 'events', 'cloud'],
  completeProvisioning: ['tableWrite', 'events'],
  rollback: ['tableWrite', 'cloud'],
  publishEvent: ['events'],
  // verify and teardown workflow steps
  listPlans: ['tableRead'],
  summarizeVerification: [],
  deleteResources: ['tableWrite', 'cloud'],
  // evaluation and probes
  dnatEvaluate: ['tableRead'],
  probe: ['tableRead'],
  // the HTTP API
  // The three routes that take a plan dry-run it on the plan's cloud, as locally: a plan on a real
  // account is checked against that account (its drift refused with 409) before anything starts, so
  // they read the Huawei Cloud secret and carry the providers (docs/decisions.md, "The API reads the
  // plan's cloud on AWS"); that dry run's refresh writes natflow's model, as ValidatePlan's does.
  apiValidatePlan: ['tableWrite', 'cloud'],
  apiPreviewPlan: ['tableWrite', 'cloud'],
  apiStartExecution: ['tableWrite', 'startExecution', 'cloud'],
  // A search (`q`, `plan`) describes the executions it reads, for their input.
  apiListExecutions: ['listExecutions', 'describeExecution'],
  apiDescribeExecution: ['describeExecution'],
  apiGetExecutionHistory: ['describeExecution', 'executionHistory'],
  apiStopExecution: ['describeExecution', 'stopExecution'],
  // With the rollback machine deployed (this template), whether a kept failure was rolled back is the
  // existence of its rollback execution; the ledger and the history are read only without one (locally).
  apiRedriveExecution: ['describeExecution', 'describeRollback', 'redriveExecution'],
  // Starts the rollback state machine ({executionArn, force: true}); the in-process fallback of
  // functions/api/lib/rollback.ts (no rollback machine) is for stacks without one, not this template.
  // Reads the ledger: a provisioning whose own rollback left resources behind is resumed
  // (docs/real-cloud.md#failure), one that has nothing left is refused.
  apiRollbackExecution: ['tableRead', 'describeExecution', 'startRollback'],
  apiEvaluateDnat: ['tableRead'],
  apiProbe: ['tableRead'],
  apiListPlans: ['tableRead', 'listExecutions', 'describeExecution'],
  apiListResources: ['tableRead'],
  apiGetResource: ['tableRead'],
  apiHealth: [],
  apiOpenApi: [],
};

/** The machines the API starts, lists, describes and stops (`provision-keep` runs onFailure: keep). */
const STATE_MACHINES = [
  'ProvisionStateMachine',
  'ProvisionKeepStateMachine',
  'VerifyStateMachine',
  'TeardownStateMachine',
];
/**
 * Those whose failed executions may be redriven: not `provision`, whose failures have rolled back
 * (src/workflow/kept.ts refuses them before Step Functions is asked).
 */
const REDRIVABLE_MACHINES = ['ProvisionKeepStateMachine', 'VerifyStateMachine', 'TeardownStateMachine'];

const join = (...parts) => ({ 'Fn::Join': ['', parts] });
const pseudo = (name) => ({ Ref: `AWS::${name}` });

const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const TABLE_WRITE = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
];
/** The table by name (natflow-<stage>): the same ARN whether the stack created it or adopted it. */
const tableArn = (stage) =>
  join(
    'arn:',
    pseudo('Partition'),
    ':dynamodb:',
    pseudo('Region'),
    ':',
    pseudo('AccountId'),
    `:table/natflow-${stage}`,
  );
const tableResources = (stage) => [tableArn(stage), join(tableArn(stage), '/index/*')];
const machineArns = STATE_MACHINES.map((id) => ({ Ref: id }));
const executionsOf = (machines) =>
  machines.map((id) =>
    join(
      'arn:',
      pseudo('Partition'),
      ':states:',
      pseudo('Region'),
      ':',
      pseudo('AccountId'),
      ':execution:',
      { 'Fn::GetAtt': [id, 'Name'] },
      ':*',
    ),
  );
const executionArns = executionsOf(STATE_MACHINES);

/**
 * Least privilege on the Huawei Cloud secret (its parameters and conditions: infra/huaweicloud.yml):
 * GetSecretValue on that one secret (and Decrypt with its key, when one is given), attached only to the
 * roles of the functions with the `cloud` grant; it exists only when the stack names a secret.
 */
function secretPolicy(cloudRoles) {
  return {
    Type: 'AWS::IAM::ManagedPolicy',
    Condition: 'HasHuaweiCloudSecret',
    Properties: {
      Description: 'natflow reads the Huawei Cloud AK/SK secret',
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ReadHuaweiCloudSecret',
            Effect: 'Allow',
            Action: ['secretsmanager:GetSecretValue'],
            Resource: [{ Ref: 'HuaweiCloudSecretArn' }],
          },
          {
            'Fn::If': [
              'HasHuaweiCloudSecretKey',
              {
                Sid: 'DecryptHuaweiCloudSecret',
                Effect: 'Allow',
                Action: ['kms:Decrypt'],
                Resource: [{ Ref: 'HuaweiCloudSecretKmsKeyArn' }],
                Condition: {
                  StringEquals: {
                    'kms:ViaService': join('secretsmanager.', pseudo('Region'), '.amazonaws.com'),
                  },
                },
              },
              { Ref: 'AWS::NoValue' },
            ],
          },
        ],
      },
      Roles: cloudRoles.map((role) => ({ Ref: role })),
    },
  };
}

const grants = (stage) => ({
  // No inline statement: the secret's managed policy (secretPolicy) lists these roles.
  cloud: [],
  tableRead: [{ Sid: 'TableRead', Effect: 'Allow', Action: TABLE_READ, Resource: tableResources(stage) }],
  tableWrite: [
    {
      Sid: 'TableReadWrite',
      Effect: 'Allow',
      Action: [...TABLE_READ, ...TABLE_WRITE],
      Resource: tableResources(stage),
    },
  ],
  events: [
    {
      Sid: 'PutEventsOnNatflowBus',
      Effect: 'Allow',
      Action: ['events:PutEvents'],
      Resource: [{ 'Fn::GetAtt': ['NatflowBus', 'Arn'] }],
    },
  ],
  startExecution: [
    { Sid: 'StartExecution', Effect: 'Allow', Action: ['states:StartExecution'], Resource: machineArns },
  ],
  startRollback: [
    {
      Sid: 'StartRollback',
      Effect: 'Allow',
      Action: ['states:StartExecution'],
      Resource: [{ Ref: 'RollbackStateMachine' }],
    },
  ],
  listExecutions: [
    { Sid: 'ListExecutions', Effect: 'Allow', Action: ['states:ListExecutions'], Resource: machineArns },
  ],
  describeExecution: [
    {
      Sid: 'DescribeExecution',
      Effect: 'Allow',
      Action: ['states:DescribeExecution'],
      Resource: executionArns,
    },
  ],
  executionHistory: [
    {
      Sid: 'GetExecutionHistory',
      Effect: 'Allow',
      Action: ['states:GetExecutionHistory'],
      Resource: executionArns,
    },
  ],
  // Whether a kept failure was rolled back: its rollback execution exists (functions/api/lib/rollback.ts).
  describeRollback: [
    {
      Sid: 'DescribeRollbackExecution',
      Effect: 'Allow',
      Action: ['states:DescribeExecution'],
      Resource: executionsOf(['RollbackStateMachine']),
    },
  ],
  stopExecution: [
    { Sid: 'StopExecution', Effect: 'Allow', Action: ['states:StopExecution'], Resource: executionArns },
  ],
  redriveExecution: [
    {
      Sid: 'RedriveExecution',
      Effect: 'Allow',
      Action: ['states:RedriveExecution'],
      Resource: executionsOf(REDRIVABLE_MACHINES),
    },
  ],
});

/** `validatePlan` → `ValidatePlan`, as the framework names the function's resources. */
function logicalName(functionName) {
  return (
    functionName.charAt(0).toUpperCase() +
    functionName.slice(1).replace(/-/g, 'Dash').replace(/_/g, 'Underscore')
  );
}

function roleOf(functionName, grants, GRANTS) {
  const name = logicalName(functionName);
  const statements = [
    {
      Sid: 'OwnLogGroup',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [{ 'Fn::GetAtt': [`${name}LogGroup`, 'Arn'] }],
    },
    {
      Sid: 'Tracing',
      Effect: 'Allow',
      Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      Resource: ['*'],
    },
    ...grants.flatMap((grant) => {
      const statements = GRANTS[grant];
      if (!statements) throw new Error(`infra/iam.cjs: unknown grant ${grant} for ${functionName}`);
      return statements;
    }),
  ];
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `natflow ${functionName}: ${grants.length > 0 ? grants.join(', ') : 'logs and traces only'}`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] },
        ],
      },
      Policies: [
        {
          PolicyName: `natflow-${functionName}`,
          PolicyDocument: { Version: '2012-10-17', Statement: statements },
        },
      ],
    },
  };
}

/** The functions that drive a cloud (the `cloud` grant): only their bundles carry the providers. */
function cloudDriving() {
  return Object.entries(ACCESS)
    .filter(([, access]) => access.includes('cloud'))
    .map(([name]) => name);
}

/** Called by osls through ${file(infra/iam.cjs)}; the stage names the table. */
async function roles({ resolveVariable } = {}) {
  const stage = resolveVariable ? await resolveVariable('sls:stage') : 'dev';
  const GRANTS = grants(stage);
  const Resources = {};
  for (const [functionName, access] of Object.entries(ACCESS))
    Resources[`${logicalName(functionName)}Role`] = roleOf(functionName, access, GRANTS);
  Resources.HuaweiCloudSecretPolicy = secretPolicy(cloudDriving().map((name) => `${logicalName(name)}Role`));
  return { Resources };
}

module.exports = roles;
module.exports.ACCESS = ACCESS;
module.exports.logicalName = logicalName;
/** The functions that drive a cloud (the `cloud` grant): only their bundles carry the providers. */
module.exports.cloudDriving = cloudDriving;

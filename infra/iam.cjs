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
 * - startExecution / listExecutions: on the three state machines only
 * - describeExecution / executionHistory / stopExecution: on those state machines' executions only
 *
 * No statement has a `*` action; only X-Ray, which has no resource-level permissions, takes resource `*`.
 * ARNs are built with Fn::Join and pseudo parameters (no ${aws:accountId}), so packaging needs no
 * credentials. osls loads this file through ${file(infra/iam.cjs)}.
 */
'use strict';

const ACCESS = {
  // provision workflow steps
  validatePlan: ['tableRead'],
  createNetworks: ['tableWrite'],
  createServers: ['tableWrite'],
  createBackendGroups: ['tableWrite'],
  createLoadBalancers: ['tableWrite'],
  assignTransitIps: ['tableWrite'],
  createGateways: ['tableWrite'],
  checkActive: ['tableWrite'],
  addDnatRules: ['tableWrite'],
  addSnatRules: ['tableWrite'],
  evaluateTranslation: ['tableRead'],
  verifyConnectivity: ['tableRead', 'events'],
  completeProvisioning: ['tableWrite', 'events'],
  rollback: ['tableWrite'],
  publishEvent: ['events'],
  // verify and teardown workflow steps
  listPlans: ['tableRead'],
  summarizeVerification: [],
  deleteResources: ['tableWrite'],
  // evaluation and probes
  dnatEvaluate: ['tableRead'],
  probe: ['tableRead'],
  // the HTTP API
  apiValidatePlan: ['tableRead'],
  apiPreviewPlan: ['tableRead'],
  apiStartExecution: ['tableRead', 'startExecution'],
  apiListExecutions: ['listExecutions'],
  apiDescribeExecution: ['describeExecution'],
  apiGetExecutionHistory: ['describeExecution', 'executionHistory'],
  apiStopExecution: ['describeExecution', 'stopExecution'],
  apiRedriveExecution: ['tableRead', 'describeExecution', 'executionHistory', 'redriveExecution'],
  // Starts the rollback state machine ({executionArn, force: true}); the in-process fallback of
  // functions/api/lib/rollback.ts (no rollback machine) is for stacks without one, not this template.
  apiRollbackExecution: ['tableRead', 'describeExecution', 'startRollback'],
  apiEvaluateDnat: ['tableRead'],
  apiProbe: ['tableRead'],
  apiListPlans: ['tableRead', 'listExecutions', 'describeExecution'],
  apiListResources: ['tableRead'],
  apiGetResource: ['tableRead'],
  apiHealth: [],
  apiOpenApi: [],
};

const STATE_MACHINES = ['ProvisionStateMachine', 'VerifyStateMachine', 'TeardownStateMachine'];
/** Their executions, and the rollback machine's, are what the API describes, lists, stops, redrives. */
const EXECUTION_MACHINES = [...STATE_MACHINES, 'RollbackStateMachine'];

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
const executionArns = EXECUTION_MACHINES.map((id) =>
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

const grants = (stage) => ({
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
  stopExecution: [
    { Sid: 'StopExecution', Effect: 'Allow', Action: ['states:StopExecution'], Resource: executionArns },
  ],
  redriveExecution: [
    {
      Sid: 'RedriveExecution',
      Effect: 'Allow',
      Action: ['states:RedriveExecution'],
      Resource: executionArns,
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

/** Called by osls through ${file(infra/iam.cjs)}; the stage names the table. */
async function roles({ resolveVariable } = {}) {
  const stage = resolveVariable ? await resolveVariable('sls:stage') : 'dev';
  const GRANTS = grants(stage);
  const Resources = {};
  for (const [functionName, access] of Object.entries(ACCESS))
    Resources[`${logicalName(functionName)}Role`] = roleOf(functionName, access, GRANTS);
  return { Resources };
}

module.exports = roles;
module.exports.ACCESS = ACCESS;
module.exports.logicalName = logicalName;

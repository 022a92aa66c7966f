/**
 * The AWS identity natflow presents when it runs locally, in one place: the account id and region
 * (those of AWS's own examples), the ARNs they make, and the Lambda `Context` the local runtime hands
 * every handler it invokes (a Task state's or an API route's). On AWS none of this is used.
 */
import type { Context } from 'aws-lambda';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '123456789012';
/** The stage of serverless.yml the local stack stands for (`natflow-dev-<function>`). */
export const LOCAL_STAGE = 'dev';

/** `arn:aws:states:us-east-1:123456789012:stateMachine:<name>`. */
export function localStateMachineArn(name: string, region: string = LOCAL_REGION): string {
  return `arn:aws:states:${region}:${LOCAL_ACCOUNT_ID}:stateMachine:${name}`;
}

/** The deployed name of a function of serverless.yml: `natflow-dev-<function>`. */
export function localFunctionName(functionName: string): string {
  return `natflow-${LOCAL_STAGE}-${functionName}`;
}

export interface LambdaContextOptions {
  /** The function's key in serverless.yml (`createNetworks`). */
  functionName: string;
  requestId: string;
  /** The function's timeout: `getRemainingTimeInMillis` counts down from it. */
  timeoutMs: number;
  callbackWaitsForEmptyEventLoop?: boolean;
}

/** The Lambda context of one local invocation, as Lambda builds it for a deployed function. */
export function lambdaContext(options: LambdaContextOptions): Context {
  const deadline = Date.now() + options.timeoutMs;
  const name = localFunctionName(options.functionName);
  return {
    callbackWaitsForEmptyEventLoop: options.callbackWaitsForEmptyEventLoop ?? false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: options.requestId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

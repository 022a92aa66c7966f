/**
 * The errors of the local Step Functions service, named exactly as AWS Step Functions names them.
 *
 * An error's `name` is the AWS error code (`ExecutionDoesNotExist`): the HTTP layer sends it as the
 * `__type` of the AWS JSON 1.0 error document, and `@aws-sdk/client-sfn` turns it back into its typed
 * exception class (`ExecutionDoesNotExist`), so code written against AWS handles local errors unchanged.
 * Every client error is HTTP 400, as on AWS.
 */
export class SfnError extends Error {
  /** HTTP status of the AWS JSON error response. */
  readonly httpStatus: number = 400;
}

export class ExecutionDoesNotExistError extends SfnError {
  override name = 'ExecutionDoesNotExist';
}

export class ExecutionAlreadyExistsError extends SfnError {
  override name = 'ExecutionAlreadyExists';
}

export class StateMachineDoesNotExistError extends SfnError {
  override name = 'StateMachineDoesNotExist';
}

export class InvalidNameError extends SfnError {
  override name = 'InvalidName';
}

export class InvalidArnError extends SfnError {
  override name = 'InvalidArn';
}

export class InvalidExecutionInputError extends SfnError {
  override name = 'InvalidExecutionInput';
}

export class InvalidTokenError extends SfnError {
  override name = 'InvalidToken';
}

export class ValidationError extends SfnError {
  override name = 'ValidationException';
}

export class UnknownOperationError extends SfnError {
  override name = 'UnknownOperationException';
}

export class SerializationError extends SfnError {
  override name = 'SerializationException';
}

/** The service was closed; no request is served any more. */
export class ServiceClosedError extends SfnError {
  override name = 'ServiceUnavailable';
  override readonly httpStatus = 503;
}

/** `waitForExecution` gave up before the execution closed. */
export class ExecutionWaitTimeoutError extends Error {
  override name = 'ExecutionWaitTimeout';
}
